"""The standalone core's cost (``run_engine(..., core_alone=True)``).

"What the hedge bought" compares core + layers with the core alone run as its own book (docs/drag.md): on
a one-path market one more path slot of the same engine call, on several paths a core-only pass of its own
(``alvh.engine.simulate.core_alone_nav``). This prints, measured alternately in one process (CPU time,
medians of ``--repeat`` runs; the first run of each kind is a warm-up and not counted):

* the real-data backtest (one path, ``--start``..``--end``, default rules): engine CPU time without and
  with the standalone core, and their ratio;
* ``--paths`` x ``--days`` simulated paths (alvh.montecarlo's default path model, one chunk of
  ``--chunk`` paths at a time as ``alvh simulate`` runs them): the chunk's path generation, engine and
  per-path analysis without the standalone core, the engine with it, the core-only pass alone against the
  hedged book's engine, and the extra engine time as a share of the whole run.

Usage: ``.venv/bin/python benchmarks/bench_core_alone.py --data-dir STORE [--repeat 3] [--paths 2000]
[--days 252] [--chunk 1000] [--skip-real] [--skip-mc]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path


def _cpu(fn):  # noqa: ANN001, ANN202
    t = time.process_time()
    out = fn()
    return time.process_time() - t, out


def real(store: str, start: str, end: str, repeat: int) -> None:
    from alvh.config import default_rules
    from alvh.data import MarketData
    from alvh.engine import paths_from_market_data, run_engine

    md = MarketData.from_store(Path(store))
    rules = default_rules()
    paths = paths_from_market_data(md, start, end)
    run_engine(rules, paths)  # warm-up: numba kernels' load, smile tables
    run_engine(rules, paths, core_alone=True)
    plain, alone = [], []
    for _ in range(repeat):
        plain.append(_cpu(lambda: run_engine(rules, paths))[0])
        alone.append(_cpu(lambda: run_engine(rules, paths, core_alone=True))[0])
    a, b = statistics.median(plain), statistics.median(alone)
    print(
        f"real data {paths.dates[0].date()}..{paths.dates[-1].date()} ({paths.n_days} days, default rules): "
        f"engine CPU {a:.2f} s without the standalone core, {b:.2f} s with it: x{b / a:.3f} "
        f"(medians of {repeat}: {', '.join(f'{x:.2f}' for x in plain)} / {', '.join(f'{x:.2f}' for x in alone)})"
    )


def many(n_paths: int, n_days: int, chunk: int, repeat: int) -> None:
    from alvh.analytics.paths_summary import path_analysis
    from alvh.config import default_rules
    from alvh.engine import run_engine
    from alvh.engine.simulate import core_alone_nav
    from alvh.montecarlo.streams import PathModel, chunk_paths
    from alvh.strategy.costs import CostModel

    rules, model, seed = default_rules(), PathModel(), 2026
    bounds = [(f, min(n_paths, f + chunk)) for f in range(0, n_paths, chunk)]
    gen = eng = ana = eng_ca = 0.0
    runs: list[tuple[float, float]] = []
    mp = chunk_paths(model, seed, 0, min(chunk, n_paths), n_days)
    run_engine(rules, mp, backend="numba")  # warm-up
    run_engine(rules, mp, backend="numba", core_alone=True)
    costs = CostModel(rules.costs)
    passes: list[float] = []
    for rep in range(repeat):
        gen = eng = ana = eng_ca = core = 0.0
        for first, last in bounds:
            tg, mp = _cpu(lambda first=first, last=last: chunk_paths(model, seed, first, last, n_days))
            te, res = _cpu(lambda mp=mp: run_engine(rules, mp, backend="numba"))
            ta, _ = _cpu(
                lambda mp=mp, res=res: path_analysis(res, vix=mp.vix_close, sensitivity=mp.sensitivity, backend="numba")
            )
            del res
            tc, _ = _cpu(lambda mp=mp: run_engine(rules, mp, backend="numba", core_alone=True))
            tp, _ = _cpu(lambda mp=mp: core_alone_nav(rules, mp, costs, backend="numba"))
            gen, eng, ana, eng_ca, core = gen + tg, eng + te, ana + ta, eng_ca + tc, core + tp
        runs.append((gen + eng + ana, eng_ca - eng))
        passes.append(core / eng)
        print(
            f"  run {rep + 1}: paths {gen:.1f} s, engine {eng:.1f} s, analysis {ana:.1f} s; "
            f"engine with the standalone core {eng_ca:.1f} s (x{eng_ca / eng:.2f}); the core-only pass alone "
            f"{core:.1f} s ({core / eng:.2f} of the hedged book's engine)"
        )
    total = statistics.median(r[0] for r in runs)
    extra = statistics.median(r[1] for r in runs)
    print(
        f"{n_paths:,} paths x {n_days} days in chunks of {chunk} (alvh.montecarlo default path model, default "
        f"rules, numba): the standalone core adds {extra:.1f} s of engine CPU to a {total:.1f} s run "
        f"(paths + engine + analysis): +{extra / total:.0%}; the core-only pass costs "
        f"{statistics.median(passes):.2f} of the hedged book's engine time per path (medians of {repeat})"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--start", default="2006-01-03")
    ap.add_argument("--end", default="2025-06-18")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--paths", type=int, default=2000)
    ap.add_argument("--days", type=int, default=252)
    ap.add_argument("--chunk", type=int, default=1000)
    ap.add_argument("--skip-real", action="store_true")
    ap.add_argument("--skip-mc", action="store_true")
    a = ap.parse_args()
    if not a.skip_real:
        if a.data_dir is None:
            raise SystemExit("--data-dir STORE (an alvh store of the real data) is needed for the real-data part")
        real(a.data_dir, a.start, a.end, a.repeat)
    if not a.skip_mc:
        many(a.paths, a.days, a.chunk, a.repeat)


if __name__ == "__main__":
    main()
