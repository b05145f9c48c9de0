"""``alvh.analytics.analyze`` on real data: its time next to the engine's, and the headline figures.

Run:  .venv/bin/python benchmarks/bench_analysis.py [--start 2006-01-03] [--end 2025-06-18] [--repeat 3]

Imports every real series the test store holds (SPX, VIX, VIX9D/3M/6M, VVIX, SKEW, VX, NYSE breadth,
CPI dates) from ../shared/data (or $ALVH_SHARED_DATA) into a temporary store, runs the default rules
and the unadjusted futures layers, and prints per run: engine time and analyze() time (first call
and the best of --repeat of each, CPU time beside wall time, the two alternated), the CPU ratio
against the issue's 30% target, then the analysis text
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
    overhead: dict[str, tuple[float, float, float, float]] = {}
    for label, r in (("default rules", rules), ("unadjusted futures layers", unadjusted)):
        # engine and analyze() alternate (engine, analyze, engine, analyze, ...) so both see the same load;
        # CPU time (time.process_time) is the figure compared, wall time is printed beside it
        engine_times, engine_cpu, times, cpu = [], [], [], []
        for _ in range(max(args.repeat, 1)):
            t0, c0 = time.perf_counter(), time.process_time()
            res = run_backtest(r, md, args.start, args.end)
            engine_times.append(time.perf_counter() - t0)
            engine_cpu.append(time.process_time() - c0)
            t0, c0 = time.perf_counter(), time.process_time()
            a = analyze(res, md, r)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        t_engine, best = min(engine_times), min(times)
        c_engine, c_best = min(engine_cpu), min(cpu)
        print(f"=== {label}, {res.dates[0].date()} .. {res.dates[-1].date()} ({len(res.dates)} days)")
        print(
            f"engine CPU best of {len(engine_cpu)} {c_engine:.2f} s "
            f"(wall {t_engine:.2f} s, first {engine_times[0]:.2f} s); "
            f"analyze CPU first call {cpu[0]:.2f} s, best {c_best:.2f} s (wall {best:.2f} s); "
            f"analyze / engine CPU = {c_best / c_engine:.1%}, wall {best / t_engine:.1%} "
            f"(first calls {times[0] / engine_times[0]:.1%}; target < 30%)"
        )
        overhead[label] = (c_engine, c_best, cpu[0], best / t_engine)
        print(a.summary())
        print()
    print("OVERHEAD (analyze() over the engine's CPU time, both best of --repeat, alternated; target < 30%)")
    for label, (c_engine, c_best, first, wall_ratio) in overhead.items():
        print(
            f"  real data, {label}: engine {c_engine:.2f} s CPU, analyze {c_best:.2f} s CPU = {c_best / c_engine:.1%} "
            f"({'meets' if c_best / c_engine < 0.30 else 'misses'} the target; wall ratio {wall_ratio:.1%}; "
            f"analyze first call {first:.2f} s CPU)"
        )


if __name__ == "__main__":
    main()
