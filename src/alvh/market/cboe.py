"""Cboe's VIX and SKEW formulas on a strike strip (the discretized integrals of the two white papers).

Sources: Cboe, "Cboe Volatility Index (VIX) White Paper" (2019 edition, the generalized variance
formula) and "Cboe SKEW Index (SKEW)" white paper (2010; the P1, P2, P3 strips and the epsilon
corrections). Both are evaluated at one maturity ``t``: Cboe interpolates a near and a next term to
30 days; a model smile is available at exactly 30 days, so no interpolation is needed.

Every function takes out-of-the-money option prices ``otm`` (a put below ``k0``, a call above, the
average of the two at ``k0``) on increasing ``strikes`` (last axis), the forward ``forward``, ``k0``
(the first listed strike at or below the forward) and the continuously compounded rate ``r``.
Leading axes of ``otm`` broadcast (one strip per row).
"""

from __future__ import annotations

import numpy as np

from alvh.errors import InputError


def strike_steps(strikes: np.ndarray) -> np.ndarray:
    """Cboe's ``Delta K_i``: half the distance between the neighbours; the end strikes use their one neighbour.

    Raises
    ------
    InputError
        Fewer than 2 strikes, or strikes not finite, positive and strictly increasing.
    """
    k = np.asarray(strikes, dtype=float)
    if k.ndim != 1 or k.size < 2 or not np.isfinite(k).all() or (k <= 0).any() or (np.diff(k) <= 0).any():
        raise InputError(
            "strikes must be a 1-D, finite, positive, strictly increasing array of >= 2 strikes",
            argument="strikes",
            expected="increasing strikes > 0",
        )
    dk = np.empty_like(k)
    dk[1:-1] = 0.5 * (k[2:] - k[:-2])
    dk[0] = k[1] - k[0]
    dk[-1] = k[-1] - k[-2]
    return dk


def vix_variance(
    strikes: np.ndarray, otm: np.ndarray, forward: float, k0: float, t: float, r: float = 0.0
) -> np.ndarray:
    """Cboe's ``sigma^2`` (VIX white paper, eq. 1): ``VIX = 100 sqrt(sigma^2)`` at horizon ``t``.

    ``sigma^2 = (2/T) sum_i dK_i / K_i^2 e^{RT} Q(K_i) - (1/T) (F/K0 - 1)^2``
    (decimal variance per year; ``t`` in years).
    """
    k = np.asarray(strikes, dtype=float)
    q = np.asarray(otm, dtype=float)
    dk = strike_steps(k)
    total = (q * (dk / (k * k))).sum(axis=-1)
    return 2.0 / t * np.exp(r * t) * total - (forward / k0 - 1.0) ** 2 / t


def log_moment_strips(
    strikes: np.ndarray, otm: np.ndarray, forward: float, k0: float, t: float, r: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SKEW white paper's ``P1, P2, P3``: the first three risk-neutral moments of ``ln(S_T / F)``.

    ``P1 = e^{rT} sum -dK/K^2 Q + eps1``; ``P2 = e^{rT} sum 2/K^2 (1 - ln(K/F)) dK Q + eps2``;
    ``P3 = e^{rT} sum 3/K^2 (2 ln(K/F) - ln^2(K/F)) dK Q + eps3``, with
    ``eps1 = -(1 + ln(F/K0) - F/K0)``, ``eps2 = 2 ln(K0/F) (F/K0 - 1) + ln^2(K0/F) / 2``,
    ``eps3 = 3 ln^2(K0/F) (ln(K0/F) / 3 - 1 + F/K0)`` (all 0 when ``K0 = F``).
    """
    k = np.asarray(strikes, dtype=float)
    q = np.asarray(otm, dtype=float)
    wk = strike_steps(k) / (k * k)
    lk = np.log(k / forward)
    g = np.exp(r * t)
    l0 = np.log(k0 / forward)
    e1 = -(1.0 + np.log(forward / k0) - forward / k0)
    e2 = 2.0 * l0 * (forward / k0 - 1.0) + 0.5 * l0 * l0
    e3 = 3.0 * l0 * l0 * (l0 / 3.0 - 1.0 + forward / k0)
    p1 = -g * (q * wk).sum(axis=-1) + e1
    p2 = g * (q * (wk * 2.0 * (1.0 - lk))).sum(axis=-1) + e2
    p3 = g * (q * (wk * 3.0 * (2.0 * lk - lk * lk))).sum(axis=-1) + e3
    return p1, p2, p3


def skewness_from_strips(p1: np.ndarray, p2: np.ndarray, p3: np.ndarray) -> np.ndarray:
    """``S = (P3 - 3 P1 P2 + 2 P1^3) / (P2 - P1^2)^{3/2}``: the skewness of ``ln(S_T/F)``."""
    var = np.maximum(p2 - p1 * p1, 1e-300)
    return (p3 - 3.0 * p1 * p2 + 2.0 * p1**3) / var**1.5


def skew_index(strikes: np.ndarray, otm: np.ndarray, forward: float, k0: float, t: float, r: float = 0.0) -> np.ndarray:
    """Cboe SKEW at one maturity: ``SKEW = 100 - 10 S`` (SKEW white paper), ``S`` the log-return skewness.

    A lognormal price has log-return skewness 0, so SKEW = 100 on a flat smile (up to the strip's
    discretization); each unit of negative skewness adds 10 points.
    """
    return 100.0 - 10.0 * skewness_from_strips(*log_moment_strips(strikes, otm, forward, k0, t, r))


def price_moments(
    strikes: np.ndarray,
    otm: np.ndarray,
    forward: float,
    k0: float,
    t: float,
    r: float = 0.0,
    orders: tuple[int, ...] = (2, 3),
) -> tuple[np.ndarray, ...]:
    """Raw moments ``E[(S_T / F)^n]`` from the same strip (Carr-Madan spanning, not part of SKEW).

    ``E[f(S_T)] = f(K0) + f'(K0) (F - K0) + e^{rT} int f''(K) Q(K) dK`` for ``f(S) = (S/F)^n``,
    ``f'' = n (n-1) K^{n-2} / F^n`` (the strip's K0 term uses the put-call average, exact for K0 = F).
    Tested against a lognormal's price skewness ``(e^{v}+2) sqrt(e^{v}-1)``, ``v = sigma^2 T``.
    """
    k = np.asarray(strikes, dtype=float)
    q = np.asarray(otm, dtype=float)
    dk = strike_steps(k)
    g = np.exp(r * t)
    out = []
    for n in orders:
        f0 = (k0 / forward) ** n
        fp = n * k0 ** (n - 1) / forward**n
        fpp = n * (n - 1) * k ** (n - 2) / forward**n
        out.append(f0 + fp * (forward - k0) + g * (q * (fpp * dk)).sum(axis=-1))
    return tuple(out)
