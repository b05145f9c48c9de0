"""Sweep speed: 1,000 numeric variants of the default rules on 2006-2025 real data, and Dask 2 workers vs 1.

Prints measured figures only (the machine is shared: compare the ratios, measured in the same process):

1. the sweep's per-variant time against a loop of single backtests in this process: ``--loop`` variants run
   one by one (engine + the same scoring, :func:`alvh.sweep.batch.run_chunk` with one variant each), then
   ``--variants`` numeric variants (layer splits x trigger thresholds) run as path axes in chunks of
   ``--chunk`` (in this process, then on ``--workers`` local processes);
2. a LocalCluster of 2 worker processes against 1 (``--cluster-variants`` variants, chunks of 25).

Usage: ``.venv/bin/python benchmarks/bench_sweep.py [--data-dir STORE] [--variants 1000] [--loop 4]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
START, END = "2006-01-03", "2025-06-18"


def _variants(n: int):
    from alvh.config import default_rules
    from alvh.sweep.grid import expand, parse_grid

    base = default_rules()
    n_thr = -(-n // 66)  # 66 splits of 10% in 1-point steps x enough thresholds
    grid = {
        "values": {
            **{f"layers.{j}.weight": {"start": 0.0, "stop": 0.1, "step": 0.01} for j in range(3)},
            "rebalance.threshold": [round(1.0 + 0.05 * i, 4) for i in range(n_thr)],
        },
        "constraints": [{"sum": [f"layers.{j}.weight" for j in range(3)], "equals": 0.1}],
        "max_variants": 10**6,
    }
    return expand(parse_grid(grid, base), base)[:n]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--variants", type=int, default=1000)
    ap.add_argument("--loop", type=int, default=4)
    ap.add_argument("--chunk", type=int, default=100)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cluster-variants", type=int, default=200)
    a = ap.parse_args()
    if a.data_dir is None:
        sys.path.insert(0, str(REPO / "tests"))
        from alvh.data.store import Store
        from conftest import REAL_IMPORTS

        a.data_dir = Path(tempfile.mkdtemp(prefix="alvh-bench-"))
        with Store.open(a.data_dir) as store:
            for kind, rel, label in REAL_IMPORTS:
                store.import_files(kind, [SHARED / rel], name=label)
    from alvh.sweep.batch import DataRef, _market, run_chunk
    from alvh.sweep.runner import run_sweep

    ref = DataRef(str(a.data_dir), START, END)
    variants = _variants(a.variants)
    _market(ref)  # the market built once per process (as every worker does), not timed
    run_chunk(tuple(variants[:2]), ref, 0)  # numba load and kernel compilation for the batch shapes
    t = time.perf_counter()
    for v in variants[: a.loop]:
        run_chunk((v,), ref, 0)
    per_single = (time.perf_counter() - t) / a.loop
    print(
        f"loop of single backtests (engine + scoring), {START}..{END}: {per_single:.2f} s per variant ({a.loop} runs)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        run_sweep(variants, ref, Path(tmp) / "in", workers=1, chunk=a.chunk)
        one = time.perf_counter() - t
    print(
        f"{len(variants)} variants as path axes, chunks of {a.chunk}, this process: {one:.1f} s "
        f"({one / len(variants) * 1e3:.0f} ms per variant; {per_single * len(variants) / one:.1f}x the loop's "
        "throughput)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        run_sweep(variants, ref, Path(tmp) / "proc", workers=a.workers, chunk=a.chunk)
        many = time.perf_counter() - t
    print(
        f"{len(variants)} variants on {a.workers} local processes: {many:.1f} s wall "
        f"({per_single * len(variants) / many:.1f}x the loop's throughput; target < 60 s, >= 20x)"
    )
    from distributed import LocalCluster

    cv = variants[: a.cluster_variants]
    times = {}
    for n in (1, 2):
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as c:
            run_sweep(cv[:2], ref, Path(tempfile.mkdtemp()), scheduler=c.scheduler_address, chunk=1)  # warm-up
            with tempfile.TemporaryDirectory() as tmp:
                t = time.perf_counter()
                run_sweep(cv, ref, Path(tmp), scheduler=c.scheduler_address, chunk=25)
                times[n] = time.perf_counter() - t
    print(
        f"LocalCluster, {len(cv)} variants in chunks of 25: 1 worker {times[1]:.1f} s, 2 workers {times[2]:.1f} s, "
        f"speed-up {times[1] / times[2]:.2f}x (target >= 1.7x; the machine is shared with other jobs)"
    )


if __name__ == "__main__":
    main()
