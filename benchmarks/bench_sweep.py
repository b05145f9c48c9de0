"""Sweep speed: 1,000 numeric variants of the default rules on 2006-2025 real data, and Dask 2 workers vs 1.

Prints measured figures only (the machine is shared: compare the ratios, measured in the same process):

1. where a chunk's time goes: process CPU of the engine and of the scoring for chunks of 1, 50 and
   ``--chunk`` variants (the engine's fixed cost per call and its cost per variant), the pickled result's
   size and round trip (what a task ships back), and the market's build (once per worker process);
2. the sweep's per-variant time against a loop of single backtests in this process: ``--loop`` variants run
   one by one (engine + the same scoring, :func:`alvh.sweep.batch.run_chunk` with one variant each), then
   ``--variants`` numeric variants (layer splits x trigger thresholds) run as path axes in chunks (default:
   :func:`alvh.sweep.runner.auto_chunk`), in this process, then on ``--workers`` local processes (the wall
   time beside the CPU the tasks spent in engine and scoring: the rest is process start, imports, the
   market's build and waiting for the shared cores);
3. a LocalCluster of 2 worker processes against 1 (``--cluster-variants`` variants in ``--cluster-chunk``
   chunks, the same chunks for both, every worker warmed up first).

Usage: ``.venv/bin/python benchmarks/bench_sweep.py [--data-dir STORE] [--variants 1000] [--loop 4]``
"""

from __future__ import annotations

import argparse
import resource
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


def _warm(ref) -> None:  # noqa: ANN001 - DataRef
    from alvh.sweep.batch import _market

    _market(ref)


def _cpu(timings: list[dict[str, float]]) -> str:
    eng = sum(t["engine"] for t in timings)
    sco = sum(t["scoring"] for t in timings)
    mkt = sum(t["market"] for t in timings)
    return f"tasks' CPU: engine {eng:.1f} s, scoring {sco:.1f} s, market build {mkt:.1f} s, {len(timings)} tasks"


def main() -> None:  # noqa: PLR0915 - one benchmark after the other, each printed
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--variants", type=int, default=1000)
    ap.add_argument("--loop", type=int, default=4)
    ap.add_argument("--chunk", type=int, default=None, help="variants per engine call (default: auto_chunk)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cluster-variants", type=int, default=200)
    ap.add_argument("--cluster-chunk", type=int, default=50)
    ap.add_argument("--skip-profile", action="store_true")
    ap.add_argument("--only-cluster", action="store_true", help="run part 3 alone")
    a = ap.parse_args()
    if a.data_dir is None:
        sys.path.insert(0, str(REPO / "tests"))
        from alvh.data.store import Store
        from conftest import REAL_IMPORTS

        a.data_dir = Path(tempfile.mkdtemp(prefix="alvh-bench-"))
        with Store.open(a.data_dir) as store:
            for kind, rel, label in REAL_IMPORTS:
                store.import_files(kind, [SHARED / rel], name=label)
    import pickle

    from alvh.sweep.batch import DataRef, _market, run_chunk
    from alvh.sweep.runner import auto_chunk, run_sweep

    ref = DataRef(str(a.data_dir), START, END)
    variants = _variants(a.variants)
    t = time.process_time()
    _market(ref)  # the market built once per process (as every worker does)
    print(f"market build (store -> engine inputs, once per process): {time.process_time() - t:.2f} s CPU")
    run_chunk(tuple(variants[:2]), ref, 0)  # numba load and kernel compilation for the batch shapes
    if a.only_cluster:
        _cluster(a, ref, variants)
        return
    big = a.chunk or auto_chunk(len(variants), a.workers)
    if not a.skip_profile:
        rows = []
        for n in (1, 50, big):
            c = run_chunk(tuple(variants[:n]), ref, 0)
            t = time.perf_counter()
            blob = pickle.dumps(c)
            pickle.loads(blob)
            ser = time.perf_counter() - t
            eng, sco = c.seconds["engine"], c.seconds["scoring"]
            rows.append((n, eng, sco))
            print(
                f"chunk of {n:4d} variants: engine {eng:6.2f} s CPU, scoring {sco:5.2f} s "
                f"CPU ({(eng + sco) / n * 1e3:5.0f} ms per variant); result "
                f"{len(blob) / 1e6:.2f} MB, pickle round trip {ser * 1e3:.0f} ms"
            )
        (n0, e0, s0), (n1, e1, s1) = rows[1], rows[2]
        de, ds = (e1 - e0) / (n1 - n0), (s1 - s0) / (n1 - n0)
        print(
            f"engine per call: {e0 - de * n0:.2f} s fixed + {de * 1e3:.0f} ms per variant; scoring "
            f"{s0 - ds * n0:.2f} s fixed + {ds * 1e3:.0f} ms per variant (from the chunks of {n0} and {n1})"
        )
    t, c = time.perf_counter(), time.process_time()
    for v in variants[: a.loop]:
        run_chunk((v,), ref, 0)
    per_single = (time.perf_counter() - t) / a.loop
    cpu_single = (time.process_time() - c) / a.loop
    print(
        f"loop of single backtests (engine + scoring), {START}..{END}: {per_single:.2f} s wall, {cpu_single:.2f} s "
        f"CPU per variant ({a.loop} runs)"
    )
    one_chunk = a.chunk or auto_chunk(len(variants), 1)
    with tempfile.TemporaryDirectory() as tmp:
        tim: list[dict[str, float]] = []
        t, c = time.perf_counter(), time.process_time()
        run_sweep(variants, ref, Path(tmp) / "in", workers=1, chunk=one_chunk, timings=tim)
        one, cpu_one = time.perf_counter() - t, time.process_time() - c
    print(
        f"{len(variants)} variants as path axes, chunks of {one_chunk}, this process: {one:.1f} s wall, "
        f"{cpu_one:.1f} s "
        f"CPU ({cpu_one / len(variants) * 1e3:.0f} ms CPU per variant; {cpu_single * len(variants) / cpu_one:.1f}x the "
        f"loop's throughput in CPU, {per_single * len(variants) / one:.1f}x in wall time); {_cpu(tim)}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        tim = []
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        run_sweep(variants, ref, Path(tmp) / "proc", workers=a.workers, chunk=a.chunk, timings=tim)
        many = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the pool's processes have ended: their CPU
    cpu_kids = (after.ru_utime + after.ru_stime) - (kids.ru_utime + kids.ru_stime)
    print(
        f"{len(variants)} variants on {a.workers} local processes, chunks of {big}: {many:.1f} s wall "
        f"({per_single * len(variants) / many:.1f}x the loop's throughput; target < 60 s, >= 20x); {_cpu(tim)}; "
        f"the worker processes' CPU in all (start, imports, market, tasks): {cpu_kids:.1f} s, "
        f"{cpu_kids / a.workers:.1f} s per worker ({cpu_kids / many:.2f} cores busy on average)"
    )
    _cluster(a, ref, variants)


def _cluster(a, ref, variants) -> None:  # noqa: ANN001 - argparse.Namespace, DataRef, list of Variant
    from distributed import Client, LocalCluster

    from alvh.sweep.runner import run_sweep

    cv = variants[: a.cluster_variants]
    times, cpus = {}, {}
    for n in (1, 2):
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as c:
            with Client(c.scheduler_address) as cl:
                cl.run(_warm, ref)  # every worker builds the market before the clock starts
            run_sweep(cv[: 2 * n], ref, Path(tempfile.mkdtemp()), scheduler=c.scheduler_address, chunk=1)  # numba
            with tempfile.TemporaryDirectory() as tmp:
                tim = []
                t = time.perf_counter()
                run_sweep(cv, ref, Path(tmp), scheduler=c.scheduler_address, chunk=a.cluster_chunk, timings=tim)
                times[n] = time.perf_counter() - t
                busy = sum(x["engine"] + x["scoring"] for x in tim)
                cpus[n] = f"{_cpu(tim)} ({busy / times[n]:.2f} cores busy on average)"
    print(
        f"LocalCluster, {len(cv)} variants in chunks of {a.cluster_chunk}: 1 worker {times[1]:.1f} s, 2 workers "
        f"{times[2]:.1f} s, speed-up {times[1] / times[2]:.2f}x (target >= 1.7x; the machine is shared with other "
        f"jobs); 1 worker {cpus[1]}; 2 workers {cpus[2]}"
    )


if __name__ == "__main__":
    main()
