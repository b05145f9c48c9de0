"""``alvh.analytics.analyze`` on real data: its time next to the engine's, and the headline figures.

Run:  .venv/bin/python benchmarks/bench_analysis.py [--start 2006-01-03] [--end 2025-06-18] [--repeat 3]

Imports every real series the test store holds (SPX, VIX, VIX9D/3M/6M, VVIX, SKEW, VX, NYSE breadth,
CPI dates) from ../shared/data (or $ALVH_SHARED_DATA) into a temporary store, runs the default rules
and the unadjusted futures layers, and prints per run: engine time and analyze() time (first call
and the best of --repeat of each), the ratio against the issue's 30% target, then the analysis text
(drag and split, contango-heavy months next to the seed's 18-35 bp claim, trigger, regime table,
steward), and last an OVERHEAD summary of the ratios. Every number is computed in this run; nothing
is asserted. Timings on the shared 2-core machine vary with the other jobs' load.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(os.environ.get("ALVH_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
# the store the tests use: every real series (SPX, VIX family, SKEW, VX, breadth, CPI dates)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import REAL_IMPORTS as IMPORTS  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--start", default="2006-01-03")
    ap.add_argument("--end", default="2025-06-18")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from alvh.analytics import analyze
    from alvh.config import default_rules
    from alvh.data import MarketData
    from alvh.data.store import Store
    from alvh.engine import run_backtest

    with tempfile.TemporaryDirectory() as tmp:
        with Store.open(tmp) as store:
            for kind, rel, label in IMPORTS:
                store.import_files(kind, [DATA / rel], name=label)
        md = MarketData.from_store(tmp)
    rules = default_rules()
    unadjusted = rules.model_copy(
        update={
            "rebalance": rules.rebalance.model_copy(update={"enabled": False}),
            "adaptive": rules.adaptive.model_copy(update={"enabled": False}),
        }
    )
    overhead: dict[str, tuple[float, float, float]] = {}
    for label, r in (("default rules", rules), ("unadjusted futures layers", unadjusted)):
        engine_times = []
        for _ in range(max(args.repeat, 1)):  # the engine's best of --repeat too: both sides equally warm
            t0 = time.perf_counter()
            res = run_backtest(r, md, args.start, args.end)
            engine_times.append(time.perf_counter() - t0)
        t_engine = min(engine_times)
        times = []
        for _ in range(max(args.repeat, 1)):
            t0 = time.perf_counter()
            a = analyze(res, md, r)
            times.append(time.perf_counter() - t0)
        best = min(times)
        print(f"=== {label}, {res.dates[0].date()} .. {res.dates[-1].date()} ({len(res.dates)} days)")
        print(
            f"engine best of {len(engine_times)} {t_engine:.2f} s (first {engine_times[0]:.2f} s); analyze first "
            f"call {times[0]:.2f} s, best of {len(times)} {best:.2f} s; analyze / engine = {best / t_engine:.1%} "
            f"(first calls {times[0] / engine_times[0]:.1%}; target < 30%)"
        )
        overhead[label] = (t_engine, best, times[0])
        print(a.summary())
        print()
    print("OVERHEAD (analyze() over the engine's time, both best of --repeat in this run; target < 30%)")
    for label, (t_engine, best, first) in overhead.items():
        print(
            f"  real data, {label}: engine {t_engine:.2f} s, analyze {best:.2f} s = {best / t_engine:.1%} "
            f"({'meets' if best / t_engine < 0.30 else 'misses'} the target; analyze first call {first:.2f} s)"
        )


if __name__ == "__main__":
    main()
