"""Simulated runs: paths/s, peak memory and the time split of ``alvh.montecarlo.simulate``.

Run:  .venv/bin/python benchmarks/bench_simulate.py [--paths 10000] [--big 100000] [--days 252]
                                                    [--chunk-size 1000] [--workers 1] [--baseline] [--core-in-book]

Each configuration runs in a fresh Python process (so its peak resident memory is its own):

1. ``--paths`` paths x ``--days`` days through path generation, the engine, the attribution and the
   per-path analysis and the reductions over paths, in chunks of ``--chunk-size`` (Parquet tables
   streamed to a temporary folder, as ``alvh simulate`` does);
2. with ``--big N``: the same with N paths (the issue's 100,000): peak memory against run 1 (target: within
   10%) and seconds per path against run 1 (target: linear);
3. with ``--baseline``: the same model's paths and the engine alone on all ``--paths`` paths in one call
   (no chunks, no analysis), as the earlier many-path benchmark ran it, for the ratio.

Prints paths per second, peak memory (``resource.getrusage`` ru_maxrss of the process; with ``--workers``
> 1 the parent's plus workers x the largest worker's), the time split (path generation, engine, analysis,
summary), and analysis / engine. Nothing is asserted. The machine's 2 cores are shared with other jobs:
read ratios within one run. The first chunk of a process loads the numba kernels from the disk cache.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GIB = 1024**3


def _one(args: argparse.Namespace) -> dict:
    from alvh.config import default_rules

    rules = default_rules()
    if args.mode == "baseline":
        import numpy as np

        from alvh.engine import run_engine
        from alvh.simulate import SimParams, simulate_market

        t0, c0 = time.perf_counter(), time.process_time()
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(args.seed)))
        paths = simulate_market(SimParams.default(), args.paths, args.days, rng)
        t1, c1 = time.perf_counter(), time.process_time()
        run_engine(rules, paths)
        t2, c2 = time.perf_counter(), time.process_time()
        out = {"paths": t1 - t0, "engine": t2 - t1, "analysis": 0.0, "summary": 0.0, "total": t2 - t0}
        out |= {"paths_cpu": c1 - c0, "engine_cpu": c2 - c1, "analysis_cpu": 0.0, "summary_cpu": 0.0}
        out["total_cpu"] = c2 - c0
    else:
        from alvh.montecarlo import simulate

        # warm-up: load the numba kernels from the disk cache (every process pays it once, ~1-3 s)
        tw = time.perf_counter()
        # --core-in-book: what the hedge bought against the core inside the hedged book (no standalone core:
        # half the engine's paths; how the earlier figures, before the standalone core, were measured)
        extra = {"core_alone": False} if args.core_in_book else {}
        simulate(rules, n_paths=2, n_days=max(70, rules.rebalance.min_nobs + 5), seed=0, chunk_size=2, **extra)
        warm = time.perf_counter() - tw
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            res = simulate(
                rules,
                n_paths=args.paths,
                n_days=args.days,
                seed=args.seed,
                chunk_size=args.chunk_size,
                workers=args.workers,
                folder=Path(tmp),
                **extra,
            )
            total = time.perf_counter() - t0
        info = res.run_info
        out = {**info["seconds_in_chunks"], "summary": info["seconds_summary"], "total": total}
        out |= {"summary_cpu": info["cpu_seconds_summary"], "total_cpu": info["cpu_seconds_total"]}
        out["cost_all_bp_per_month"] = res.summary_dict()["hedge_cost"]["per_layer"]["all"]["mean"]
        out["warmup"] = warm
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    out["peak_bytes"] = own + (args.workers * child if args.workers > 1 and args.mode != "baseline" else 0)
    return out


def _spawn(mode: str, paths: int, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--one", mode, "--paths", str(paths), "--days", str(args.days)]
    cmd += ["--chunk-size", str(args.chunk_size), "--workers", str(args.workers), "--seed", str(args.seed)]
    cmd += ["--core-in-book"] if args.core_in_book else []
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{mode} run failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _line(label: str, n: int, r: dict) -> str:
    ratio = (r["analysis"] + r["summary"]) / r["engine"] if r["engine"] else float("nan")
    cpu = (r["analysis_cpu"] + r["summary_cpu"]) / r["engine_cpu"] if r["engine_cpu"] else float("nan")
    return (
        f"{label}: {n:,} paths in {r['total']:.2f} s = {n / r['total']:,.0f} paths/s; peak {r['peak_bytes'] / GIB:.2f} "
        f"GiB; split: paths {r['paths']:.2f} s, engine {r['engine']:.2f} s, analysis {r['analysis']:.2f} s, "
        f"summary {r['summary']:.2f} s; (analysis + summary) / engine {ratio:.1%}\n"
        f"  CPU seconds of the process (all threads): total {r['total_cpu']:.2f}, paths {r['paths_cpu']:.2f}, "
        f"engine {r['engine_cpu']:.2f}, analysis {r['analysis_cpu']:.2f}, summary {r['summary_cpu']:.2f}; "
        f"(analysis + summary) / engine {cpu:.1%}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", type=int, default=10_000)
    ap.add_argument("--big", type=int, default=0, help="also run this many paths (e.g. 100000)")
    ap.add_argument("--days", type=int, default=252)
    ap.add_argument("--chunk-size", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--baseline", action="store_true", help="also time the engine alone on all paths at once")
    ap.add_argument("--core-in-book", action="store_true", help="no standalone core (alvh simulate --core-in-book)")
    ap.add_argument("--one", choices=("simulate", "baseline"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        args.mode = args.one
        print(json.dumps(_one(args)))
        return 0
    with open("/proc/loadavg", encoding="ascii") as f:
        load = f.read().split()[:3]
    print(
        f"machine load average {' '.join(load)} (2 cores, shared: absolute seconds vary, compare ratios); "
        f"chunk size {args.chunk_size}, workers {args.workers}, {args.days} days, "
        + ("core inside the hedged book (--core-in-book)" if args.core_in_book else "standalone core (default)")
    )
    base = _spawn("simulate", args.paths, args)
    print(_line("SIMULATE", args.paths, base))
    print(
        f"  hedge cost of all layers: {base['cost_all_bp_per_month']:.2f} bp/month of the initial capital (mean); "
        f"warm-up before timing (kernel loading, not counted) {base['warmup']:.2f} s"
    )
    eng_ana = base["engine"] + base["analysis"] + base["summary"]
    print(
        f"  engine + attribution + analysis + summary {eng_ana:.2f} s (path generation excluded: {base['paths']:.2f} s)"
    )
    print(
        f"  targets: under 8 s ({'met' if eng_ana < 8 else 'NOT met'} here, without path generation) and under 1.5 GiB "
        f"({'met' if base['peak_bytes'] < 1.5 * GIB else 'NOT met'}); analysis under 30% of the engine "
        f"({'met' if base['analysis'] + base['summary'] < 0.3 * base['engine'] else 'NOT met'})"
    )
    if args.big:
        big = _spawn("simulate", args.big, args)
        print(_line("SIMULATE BIG", args.big, big))
        mem = big["peak_bytes"] / base["peak_bytes"] - 1.0
        per = (big["total"] / args.big) / (base["total"] / args.paths)
        print(
            f"  peak memory {mem:+.1%} against {args.paths:,} paths (target within 10%: "
            f"{'met' if abs(mem) <= 0.10 else 'NOT met'}); seconds per path x{per:.2f} (linear = 1.00)"
        )
    if args.baseline:
        eng = _spawn("baseline", args.paths, args)
        print(_line("ENGINE ALONE, ONE CALL", args.paths, eng))
        print(
            f"  chunked run / engine alone: time {base['total'] / eng['total']:.2f}, engine part "
            f"{base['engine'] / eng['engine']:.2f}, peak memory {base['peak_bytes'] / eng['peak_bytes']:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
