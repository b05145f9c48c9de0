"""The real-data engine time of this checkout against a baseline checkout, in one benchmark run.

Run:  .venv/bin/python benchmarks/bench_engine_vs_baseline.py --baseline /path/to/checkout [--repeat 5]
          [--core-alone] [--mc-paths 10000 [--mc-days 252] [--mc-repeat 2]] | --startup

``--core-alone`` runs the standalone core beside the hedged book (two path slots, as ``alvh backtest``
does); ``--mc-paths N`` also times the engine alone on N simulated paths (``chunk_paths``, 1,000-path
chunks with the standalone core, as ``alvh simulate`` runs it), alternating checkouts ``--mc-repeat``
times, and prints each side's mean final NAV (equal when the change is bit-identical). ``--startup`` only
measures numba's one-off cost in a fresh process (the first engine call minus the second, CPU), with the
kernels' disk cache warm and empty (``NUMBA_CACHE_DIR`` a new folder: everything compiled).

Issue 8's target: "the real-data engine time rises by at most 20%" over the engine before issue 8's
work (main at dbebd1b, 2026-12-02 14:25 UTC: SSVI smile, flat half-spreads, no expanding dF/dVIX):

    git -C /work/main worktree add --detach /tmp/alvh_base dbebd1b
    .venv/bin/python benchmarks/bench_engine_vs_baseline.py --baseline /tmp/alvh_base
    git -C /work/main worktree remove /tmp/alvh_base

Each checkout runs in its own Python process (``PYTHONPATH=<checkout>/src``, this venv's packages)
with its own importers, store and default rules: every real series of the test store (SPX, VIX
family, SKEW, VX, breadth, CPI dates) is imported from ../shared/data into a temporary store per
checkout (not timed). A warm-up process per checkout compiles or loads its numba kernels and surface
tables. Then ``--repeat`` rounds alternate the two checkouts (baseline, current, baseline, ...), so
both see the same machine load; each process runs ``run_backtest(default_rules(), md, START, END)``
twice and reports the second run (warm: the first run in a process also loads the cached kernels),
split into the market inputs (``paths_from_market_data``: surface solve, VX curve, dF/dVIX) and the
day loop (``run_engine``), in wall-clock and CPU (process) time. Prints every round, the medians and the
ratio current / baseline of each part. The machine is shared: read the ratio (both sides measured
alternately), not the seconds, and prefer the CPU figures when the load is high.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("ALVH_SHARED_DATA", REPO.parent / "shared" / "data"))
START, END = "2006-01-03", "2025-06-18"
#: the test store's series (tests/conftest.REAL_IMPORTS, one list; both checkouts import the same files)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import REAL_IMPORTS as IMPORTS  # noqa: E402

_BUILD = r"""
import json, sys
from pathlib import Path
from alvh.data.store import Store
store, data, imports = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3])
with Store.open(store) as s:
    for kind, rel, label in imports:
        s.import_files(kind, [data / rel], name=label)
"""

_TIME = r"""
import json, sys, time
import alvh
from alvh.config import default_rules
from alvh.data import MarketData
from alvh.engine import paths_from_market_data, run_engine
md = MarketData.from_store(sys.argv[1])
rules = default_rules()
core_alone = sys.argv[4] == "1"
out = {}
for run in ("first", "warm"):
    t0, c0 = time.perf_counter(), time.process_time()
    paths = paths_from_market_data(md, sys.argv[2], sys.argv[3])
    t1, c1 = time.perf_counter(), time.process_time()
    res = run_engine(rules, paths, core_alone=core_alone)
    t2, c2 = time.perf_counter(), time.process_time()
    out[run] = {"inputs": t1 - t0, "loop": t2 - t1, "engine": t2 - t0,
                "inputs_cpu": c1 - c0, "loop_cpu": c2 - c1, "engine_cpu": c2 - c0}
out["alvh_file"] = alvh.__file__
out["days"] = len(res.dates)
out["final_nav"] = float(res.nav[-1, 0])
print(json.dumps(out))
"""


#: the engine alone on simulated chunks (as alvh simulate runs it: 1,000-path chunks, the standalone core)
_MANY = r"""
import json, sys, time
import numpy as np
from alvh.config import default_rules
from alvh.engine import run_engine
from alvh.montecarlo.streams import PathModel, chunk_paths
n, days, chunk = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rules = default_rules()
run_engine(rules, chunk_paths(PathModel(), 1, 0, 4, 80), core_alone=True)  # numba kernels loaded, not timed
cpu = wall = 0.0
nav = []
for first in range(0, n, chunk):
    paths = chunk_paths(PathModel(), 7, first, min(first + chunk, n), days)
    t0, c0 = time.perf_counter(), time.process_time()
    res = run_engine(rules, paths, core_alone=True)
    wall += time.perf_counter() - t0
    cpu += time.process_time() - c0
    nav.append(res.nav[-1])
print(json.dumps({"engine": wall, "engine_cpu": cpu, "mean_nav": float(np.concatenate(nav).mean())}))
"""


#: numba's one-off cost in a fresh process: the first engine call (kernels loaded or compiled) minus the second
_STARTUP = r"""
import json, time
t0 = time.process_time()
from alvh.config import default_rules
from alvh.engine import run_engine
from alvh.montecarlo.streams import PathModel, chunk_paths
import numba  # noqa: F401  (imported before the timing: both checkouts import it)
from alvh.pricing import _numba  # noqa: F401
rules = default_rules()
paths = chunk_paths(PathModel(), 1, 0, 2, 80)
t1 = time.process_time()
run_engine(rules, paths, core_alone=True)
t2 = time.process_time()
run_engine(rules, paths, core_alone=True)
t3 = time.process_time()
print(json.dumps({"imports": t1 - t0, "first": t2 - t1, "second": t3 - t2, "one_off": (t2 - t1) - (t3 - t2)}))
"""


def _run(checkout: Path, code: str, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(checkout / "src")}
    r = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=checkout)
    if r.returncode != 0:
        raise SystemExit(f"{checkout}: failed ({r.returncode}): {r.stderr.strip()[-3000:]}")
    return r.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", type=Path, required=True, help="a checkout of the baseline commit")
    ap.add_argument("--repeat", type=int, default=5, help="alternating rounds (one process per checkout each)")
    ap.add_argument("--core-alone", action="store_true", help="run the standalone core too (as alvh backtest does)")
    ap.add_argument("--mc-paths", type=int, default=0, help="also time the engine on this many simulated paths")
    ap.add_argument("--mc-days", type=int, default=252)
    ap.add_argument("--mc-repeat", type=int, default=2, help="alternating rounds of the many-path run")
    ap.add_argument("--startup", action="store_true", help="only numba's one-off cost, warm and empty cache")
    a = ap.parse_args()
    sides = {"baseline": a.baseline.resolve(), "current": REPO}
    for name, path in sides.items():
        if not (path / "src" / "alvh" / "__init__.py").is_file():
            raise SystemExit(f"{name} {path}: no src/alvh package there")
    if a.startup:
        _startup(sides)
        return
    with tempfile.TemporaryDirectory() as tmp:
        stores = {}
        for name, path in sides.items():
            stores[name] = str(Path(tmp) / name)
            print(f"building the {name} store ({path}) from {DATA} (not timed) ...", flush=True)
            _run(path, _BUILD, stores[name], str(DATA), json.dumps(IMPORTS))
        for name, path in sides.items():  # warm-up: numba compiles or loads, surface table caches
            w = json.loads(_run(path, _TIME, stores[name], START, END, "1" if a.core_alone else "0"))
            print(
                f"warm-up {name}: {w['alvh_file']}, {w['days']} days, final NAV ${w['final_nav']:,.0f}, "
                f"engine {w['warm']['engine']:.2f} s",
                flush=True,
            )
        rows: dict[str, list[dict[str, float]]] = {name: [] for name in sides}
        print(f"load average {os.getloadavg()[0]:.2f} at the start of the rounds")
        for i in range(a.repeat):
            for name, path in sides.items():
                w = json.loads(_run(path, _TIME, stores[name], START, END, "1" if a.core_alone else "0"))["warm"]
                rows[name].append(w)
                print(
                    f"round {i + 1} {name:<8} engine {w['engine']:6.3f} s  (inputs {w['inputs']:6.3f} s, "
                    f"day loop {w['loop']:6.3f} s)  CPU engine {w['engine_cpu']:6.3f} s  (inputs "
                    f"{w['inputs_cpu']:6.3f} s, day loop {w['loop_cpu']:6.3f} s)",
                    flush=True,
                )
        print(f"load average {os.getloadavg()[0]:.2f} at the end")
    print(f"MEDIANS of {a.repeat} alternating rounds (each the second run_backtest in its process), {START}..{END}:")
    parts = ("engine", "inputs", "loop", "engine_cpu", "inputs_cpu", "loop_cpu")
    med = {n: {k: statistics.median(r[k] for r in rows[n]) for k in parts} for n in sides}
    for part in parts:  # wall, then CPU (process time, steadier on a shared machine)
        b, c = med["baseline"][part], med["current"][part]
        print(f"  {part:<10} baseline {b:6.3f} s  current {c:6.3f} s  current / baseline {c / b:5.2f}")
    for part in ("engine", "engine_cpu"):
        ratio = med["current"][part] / med["baseline"][part]
        verdict = "meets" if ratio <= 1.20 else "misses"
        clock = "CPU" if part.endswith("cpu") else "wall"
        print(f"engine time ({clock}) rises by {ratio - 1:+.1%} (issue 8 target: at most +20%: {verdict})")
    if a.mc_paths:
        _many(sides, a)


def _startup(sides: dict[str, Path]) -> None:
    """The first engine call's one-off CPU in a fresh process: warm numba cache (twice), then an empty one."""
    print(f"load average {os.getloadavg()[0]:.2f}: numba's one-off cost (CPU s; first call - second call)")
    for cache in ("warm", "warm", "empty"):
        for name, path in sides.items():
            with tempfile.TemporaryDirectory() as tmp:
                if cache == "empty":
                    os.environ["NUMBA_CACHE_DIR"] = tmp
                try:
                    w = json.loads(_run(path, _STARTUP))
                finally:
                    os.environ.pop("NUMBA_CACHE_DIR", None)
            print(f"  {cache:<5} cache {name:<8} one-off {w['one_off']:6.2f} s (imports {w['imports']:.2f} s)")


def _many(sides: dict[str, Path], a: argparse.Namespace) -> None:
    """The engine on ``--mc-paths`` simulated paths (1,000-path chunks, standalone core), alternating checkouts."""
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in sides}
    print(f"load average {os.getloadavg()[0]:.2f}: many paths ({a.mc_paths:,} x {a.mc_days} days)")
    for i in range(a.mc_repeat):
        for name, path in sides.items():
            w = json.loads(_run(path, _MANY, str(a.mc_paths), str(a.mc_days), "1000"))
            rows[name].append(w)
            print(
                f"round {i + 1} {name:<8} engine {w['engine']:6.2f} s  CPU {w['engine_cpu']:6.2f} s  "
                f"mean final NAV {w['mean_nav']:,.6f}",
                flush=True,
            )
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    med = {n: {k: statistics.median(r[k] for r in rows[n]) for k in ("engine", "engine_cpu")} for n in sides}
    for part in ("engine", "engine_cpu"):
        b, c = med["baseline"][part], med["current"][part]
        print(f"  many paths {part:<10} baseline {b:6.2f} s  current {c:6.2f} s  current / baseline {c / b:5.2f}")


if __name__ == "__main__":
    main()
