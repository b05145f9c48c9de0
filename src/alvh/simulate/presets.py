"""The four episode presets, built from the history by ``alvh calibrate`` and stored in the params file.

For each episode window (:data:`EPISODES`) the preset takes, from the real data:

* the start state: spot VIX, the long factor, the spot gap and SPX on the window's first day, and that date;
* the window's own diffusion vols (the full fit's where a regime has fewer than 20 days in the window,
  the replayed days below left out);
* for an episode that was a regime of its own (2017, 2008-09: ``levels = "window"`` in :data:`EPISODES`)
  the level it moved around: ``theta`` = the window's mean long factor, ``spot_gap`` = that minus its mean
  short factor (spot VIX minus the gap), ``kappa_l`` its own reversion speed towards that mean (least
  squares); a spike on top of the usual levels (2018, 2020) keeps the full fit's levels and speeds;
* its large moves: every day of the window whose spot ln VIX residual is more than ``calibrate.JUMP_Z`` robust
  standard deviations from its regime's median, up or down, becomes a ``vix_jump`` shock of that size on
  the same day of every path; when the window has jump days the random jumps are switched off
  (``jump_base = 0``), so the crisis unfolds as it did and the noise around it is the model's.

``target`` records the episode's peak VIX, mean VIX and contango share; ``alvh calibrate`` prints them
beside the simulated medians (docs/simulation.md, "Scenarios").
"""

from __future__ import annotations

import numpy as np

from alvh.simulate.calibrate import JUMP_Z, fit_gap, residuals
from alvh.simulate.factors import TRADING_DAYS, QCurve
from alvh.simulate.history import History
from alvh.simulate.params import SimParams

#: name -> (first day, last day, levels, crisis, what it reproduces). ``levels``: "window" for an episode that
#: was a regime of its own (a calm year, a prolonged crisis), "full" for a spike on top of the usual levels;
#: ``crisis``: the random jumps are off (the episode's own moves are replayed instead).
EPISODES = {
    "calm_2017": ("2017-01-03", "2017-12-29", "window", False, "the calm contango year 2017 (VIX 9-17)"),
    "gfc_2008": ("2008-09-02", "2009-03-31", "window", True, "the 2008 crisis: Lehman to the March 2009 low"),
    "volmageddon_2018": ("2018-01-02", "2018-04-30", "full", True, "the February 2018 spike (VIX 37 on 5 Feb)"),
    "covid_2020": ("2020-02-03", "2020-06-30", "full", True, "the March 2020 crash (VIX 82.7 on 16 Mar 2020)"),
}

#: Fewest days of a regime in a window to use the window's own vol for it.
MIN_REGIME_DAYS = 20


def _window_kappa_l(lw: np.ndarray, theta: float) -> float:
    """The window's own reversion speed of the long factor towards its mean (least squares, in [0.1, 20])."""
    dt = 1.0 / TRADING_DAYS
    x, y = lw[:-1] - theta, lw[1:] - theta
    phi = float(np.clip((x * y).sum() / max((x * x).sum(), 1e-12), np.exp(-20 * dt), np.exp(-0.1 * dt)))
    return float(-np.log(phi) / dt)


def episode_presets(h: History, p: SimParams) -> dict[str, dict[str, object]]:
    """TOML-ready presets (module docstring) for the episodes inside the history's span."""
    q = QCurve(p.q_kappa_s, p.q_kappa_l, p.q_theta)
    res = residuals(h, p.kappa_s, p.kappa_l, p.theta, p.spot_gap, q, fit_gap(h))
    out: dict[str, dict[str, object]] = {}
    dt = 1.0 / TRADING_DAYS
    med, mad = np.zeros(2), np.zeros(2)
    for reg in (0, 1):
        e = res.eps_spot[res.stress == bool(reg)]
        med[reg] = np.median(e)
        mad[reg] = 1.4826 * np.median(np.abs(e - med[reg]))
    for name, (first, last, levels, crisis, what) in EPISODES.items():
        m = (h.dates >= first) & (h.dates <= last)
        if m.sum() < 40 or h.dates[0] > np.datetime64(first):
            continue
        idx = np.flatnonzero(m)
        i0, i1 = int(idx[0]), int(idx[-1])
        step = slice(i0, i1)  # residual t is the step from day t to t + 1
        big = (
            np.abs(res.eps_spot[step] - med[res.stress[step].astype(int)]) > JUMP_Z * mad[res.stress[step].astype(int)]
        )
        sig_v, sig_l, sig_g = list(p.sigma_v), list(p.sigma_l), list(p.sigma_g)
        for reg in (0, 1):
            r = (res.stress[step] == bool(reg)) & ~big  # the replayed days are not noise too
            if r.sum() >= MIN_REGIME_DAYS:
                sig_v[reg] = float(res.eps_v[step][r].std() / np.sqrt(dt))
                sig_l[reg] = float(res.eps_l[step][r].std() / np.sqrt(dt))
                sig_g[reg] = float(res.eps_g[step][r].std() / np.sqrt(dt))
        jumps = np.flatnonzero(big)
        shocks = [
            {"kind": "vix_jump", "day": int(j + 1), "size": float(res.eps_spot[i0 + j]), "days": 1} for j in jumps
        ]
        lw, vw, sw = h.long[i0 : i1 + 1], h.vix[i0 : i1 + 1], h.short[i0 : i1 + 1]
        kl = _window_kappa_l(lw, float(lw.mean()))
        f30 = h.f30[i0 : i1 + 1]
        ok = np.isfinite(f30)
        overrides: dict[str, object] = {"sigma_v": sig_v, "sigma_l": sig_l, "sigma_g": sig_g}
        # random jumps at the window's own rate beyond the replayed moves: none in a crisis window
        overrides["jump_base"] = 0.0 if crisis else float(res.jump[step].mean() * TRADING_DAYS)
        if levels == "window":
            overrides |= {"kappa_l": kl, "theta": float(lw.mean()), "spot_gap": float(lw.mean() - sw.mean())}
        out[name] = {
            "description": f"{what}; {h.dates[i0].date()}..{h.dates[i1].date()}, {i1 - i0 + 1} days, "
            f"{jumps.size} jump day(s) replayed as shocks",
            "start": str(h.dates[i0].date()),
            "vix0": float(h.vix[i0]),
            "long0": float(h.long[i0]),
            "gap0": float(h.gap[i0]),
            "spx0": float(h.spx[i0]),
            "overrides": overrides,
            "shocks": shocks,
            "target": {
                "n_days": float(i1 - i0 + 1),
                "peak_vix": float(vw.max()),
                "mean_vix": float(vw.mean()),
                "contango_share": float((f30[ok] >= vw[ok]).mean()) if ok.any() else float("nan"),
            },
        }
    return out
