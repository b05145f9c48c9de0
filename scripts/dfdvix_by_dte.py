"""dF/dVIX by days to expiry: the model (the response to spot, and the short-factor one), history, simulation.

Usage::

    python scripts/dfdvix_by_dte.py --data-dir STORE [--start 2006-01-03] [--end 2025-12-31] [--paths 40]

Prints the markdown table of docs/simulation.md ("Layer vega decay"): per DTE bucket (1-30, 30-90, 90-270)
and per DTE window, the pooled OLS of the real contracts' daily settlement changes on spot VIX's
(:func:`alvh.market.estimate_effective_vega`, with intercept, contracts whose DTE the day before is in the
window), the simulated regression of fixed-DTE futures on spot (the shipped parameters, ``--paths``
histories of the span from its first state, seed 0, as the fit report), and the model's two dF/dVIX:
:func:`alvh.market.spot_dfdvix_model` (new; the response to spot given the split of a spot move) and
:func:`alvh.market.effective_vega_model` (the response to the curve's short factor), each averaged over the
real observations' DTEs in the window.
"""

from __future__ import annotations

import argparse

import numpy as np

from alvh.data import MarketData
from alvh.market import VXModelParams, effective_vega_model, estimate_effective_vega, spot_dfdvix_model
from alvh.simulate.factors import curve_price, simulate_factors
from alvh.simulate.fitreport import start_of
from alvh.simulate.history import load_history
from alvh.simulate.model import curve_params
from alvh.simulate.params import SimParams
from alvh.simulate.schedule import reestimation_mask
from alvh.simulate.vega import spot_split

WINDOWS = ((1, 30), (30, 90), (90, 270), (1, 4), (4, 8), (8, 12), (14, 19), (28, 33), (55, 66), (115, 126), (175, 186))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--start", default="2006-01-03")
    ap.add_argument("--end", default="2025-12-31")
    ap.add_argument("--paths", type=int, default=40)
    a = ap.parse_args()
    md = MarketData.from_store(a.data_dir).slice(a.start, a.end)
    if md.vx is None:
        raise SystemExit("the store has no VX settlements")
    p = SimParams.default()
    vxp = curve_params(p)
    split = spot_split(p)
    vix = md.vix["close"].reindex(md.vx.dates).ffill().to_numpy(float)
    real = estimate_effective_vega(md.vx, vix, WINDOWS)
    d0 = md.vx.dte[:-1]
    ok = np.isfinite(md.vx.settle[1:] - md.vx.settle[:-1]) & (md.vx.dte[1:] >= 1)
    h = load_history(md, VXModelParams.default())
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(0)))
    fp = simulate_factors(p, a.paths, h.dates, rng, h.events, reestimation_mask(h.dates, h.events["fomc"]), start_of(h))
    ds = np.diff(fp.vix_close, axis=0)
    dss = float((ds * ds).sum())
    print(f"split of a spot move: short {split.short:.4f}, gap {split.gap:.4f}, long {split.long:.4f}")
    head = ("DTE (days)", "mean DTE", "real contracts (n obs)", "simulated")
    head += ("model: spot (new)", "model: short factor (old)")
    print("| " + " | ".join(head) + " |")
    print("|---|---:|---:|---:|---:|---:|")
    for lo, hi in WINDOWS:
        m = ok & (d0 >= lo) & (d0 < hi)
        dte = d0[m].astype(float)
        new = float(spot_dfdvix_model(dte, vxp, split).mean())
        old = float(effective_vega_model(dte, vxp).mean())
        taus = np.unique(dte)
        w = np.array([(dte == t).sum() for t in taus], dtype=float)
        sims = [
            float((np.diff(curve_price(fp.vix_close, fp.short, fp.long, np.array(t), p), axis=0) * ds).sum() / dss)
            for t in taus
        ]
        sim = float(np.average(sims, weights=w))
        r = real.loc[f"{lo}-{hi}"]
        real_cell = f"{r['beta']:.3f} ({int(r['n_obs']):,})"
        print(f"| {lo}-{hi - 1} | {dte.mean():.1f} | {real_cell} | {sim:.3f} | {new:.3f} | {old:.3f} |")


if __name__ == "__main__":
    main()
