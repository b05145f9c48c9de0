"""How a simulated spot VIX move splits between the curve's factors and the spot gap (layer vega decay).

The joint model's daily moves of the short factor ``V``, the long factor ``L`` and the gap ``x``
(:mod:`alvh.simulate.factors`) have, per unit of ``V^2`` and per year, the stationary covariance

    diffusion  g (s_i s_j R_ij)                       g = 1 + vol_excite E[H]
    jumps      lam E[J^2] (j_i j_j)                   lam = jump_base / (1 - jump_excite / jump_decay)
    gap's own  var dx x 2 / (1 + phi)                  phi = exp(-kappa_g dt): the AR(1) gap's reversion

with ``s = (sigma_v, r sigma_l, sigma_g)[regime]``, ``R`` the regime's correlation of the ``(V, L, x)``
shocks, ``j = (jump_short, r jump_long, jump_gap)``, ``r = theta / (theta - spot_gap)`` the long-run
``L / V`` (``dL`` is ``L`` times its log shock, the others ``V`` times theirs), ``E[H] = lam / jump_decay``
the stationary excitation and ``E[J^2] = (jump_min + m)^2 + m^2`` at ``m = jump_mean (1 + jump_size_excite
E[H])``. The two regimes are pooled with day weights ``1 - stress_share`` and ``stress_share``.
:class:`alvh.market.SpotMoveSplit` turns the covariance into the regression slopes of ``dV`` and ``dL`` on the
spot move; :func:`alvh.market.spot_dfdvix_model` gives each contract's dF/dVIX by days to expiry from it
(docs/simulation.md, "Layer vega decay", with a worked number).
"""

from __future__ import annotations

import numpy as np

from alvh.errors import InputError
from alvh.market import SpotMoveSplit
from alvh.simulate.params import SimParams

#: Day weight of the stress regime when pooling the two: the share of backwardation days in the shipped
#: calibration span (949 of 5,030, docs/simulation.md). Each regime alone moves dF/dVIX at 16 days by <= 0.01.
STRESS_SHARE = 0.19
_TRADING_DAYS = 252.0


def spot_move_covariance(p: SimParams, regime: int) -> np.ndarray:
    """3x3 stationary covariance of the daily ``(dV, dL, dx)`` per unit of ``V^2`` and year (module docstring)."""
    r = p.theta / (p.theta - p.spot_gap) if p.theta > p.spot_gap else 1.0
    lam = p.jump_base / max(1.0 - p.jump_excite / p.jump_decay, 1e-9)
    h_bar = lam / p.jump_decay
    m = min(p.jump_mean * (1.0 + p.jump_size_excite * h_bar), 0.5)
    e_j2 = (p.jump_min + m) ** 2 + m * m
    s = np.array([p.sigma_v[regime], r * p.sigma_l[regime], p.sigma_g[regime]])
    corr = p.corr(regime)[1:, 1:]  # (V, L, x) of the (spx, V, L, x) shocks
    j = np.array([p.jump_short, r * p.jump_long, p.jump_gap])
    cov = (1.0 + p.vol_excite * h_bar) * np.outer(s, s) * corr + lam * e_j2 * np.outer(j, j)
    phi = float(np.exp(-p.kappa_g / _TRADING_DAYS))
    cov[2, 2] *= 2.0 / (1.0 + phi)
    return cov


def spot_split(p: SimParams, stress_share: float = STRESS_SHARE) -> SpotMoveSplit:
    """The split of a spot move implied by the model (module docstring), the gap priced at ``q_kappa_g``."""
    if not 0.0 <= stress_share <= 1.0:
        raise InputError(f"{stress_share!r}", argument="stress_share", expected="a share in [0, 1]")
    cov = (1.0 - stress_share) * spot_move_covariance(p, 0) + stress_share * spot_move_covariance(p, 1)
    return SpotMoveSplit.from_covariance(cov, p.q_kappa_g)
