"""Surface solve for 5,000 days x 1,000 paths: time, peak memory and accuracy (printed, not asserted).

Run: .venv/bin/python benchmarks/bench_surface.py [--days 5000] [--paths 1000]

Simulated inputs (log-normal VIX around 18, SKEW 105-150, VIX3M/VIX6M ratios around their medians),
then SpxSurface.from_vix in three configurations: VIX only; VIX + term indices; VIX + term + SKEW.
Accuracy: the exact Cboe sums (strike by strike on the 721-point grid) recomputed on 2,000 random
cells, max |sigma^2 - (VIX/100)^2|. The one-off table build is timed separately.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from alvh.market import surface as surf_mod
from alvh.market.surface import SpxSurface, cboe_sums


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=5000)
    ap.add_argument("--paths", type=int, default=1000)
    args = ap.parse_args()
    shape = (args.days, args.paths)
    rng = np.random.default_rng(np.random.SeedSequence(2026))
    vix = np.clip(np.exp(rng.normal(np.log(18.0), 0.35, size=shape)), 8.0, 120.0)
    vix3m = vix * np.exp(rng.normal(np.log(1.13), 0.05, size=shape))
    vix6m = vix3m * np.exp(rng.normal(np.log(1.08), 0.03, size=shape))
    skew = rng.uniform(105.0, 150.0, size=shape)
    cells = vix.size

    t0 = time.perf_counter()
    surf_mod._tables()
    print(
        f"one-off table build (exact Cboe sums on 120 x 70 (theta, tail) nodes x 721 strikes): "
        f"{time.perf_counter() - t0:.2f} s"
    )
    print(f"surface solve, {args.days:,} days x {args.paths:,} paths = {cells:,} cells:")
    for label, kwargs in (
        ("VIX only", {}),
        ("VIX + VIX3M/VIX6M", {"vix3m": vix3m, "vix6m": vix6m}),
        ("VIX + VIX3M/VIX6M + SKEW", {"vix3m": vix3m, "vix6m": vix6m, "skew": skew}),
    ):
        tracemalloc.start()
        t0 = time.perf_counter()
        s = SpxSurface.from_vix(vix, **kwargs)
        dt = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        idx = rng.choice(cells, size=2000, replace=False)
        var, sk = cboe_sums(s.theta30.ravel()[idx], s.tail.ravel()[idx])
        err = np.abs(var - (vix.ravel()[idx] / 100.0) ** 2).max()
        line = (
            f"  {label:26s} {dt:7.2f} s  ({cells / dt / 1e6:5.2f} M cells/s)  peak numpy memory "
            f"{peak / 2**20:7.0f} MiB  max |var err| on 2,000 cells {err:.1e}"
        )
        if "skew" in kwargs:
            ok = ~s.skew_clipped.ravel()[idx]
            line += f"  max |SKEW err| {np.abs(sk[ok] - skew.ravel()[idx][ok]).max():.1e}"
            line += f"  clipped {s.skew_clipped.mean():.1%}"
        print(line)
        del s


if __name__ == "__main__":
    main()
