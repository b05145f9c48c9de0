"""The real-data engine time of this checkout against a baseline checkout, in one benchmark run.

Run:  .venv/bin/python benchmarks/bench_engine_vs_baseline.py --baseline /path/to/checkout [--repeat 5]

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
out = {}
for run in ("first", "warm"):
    t0, c0 = time.perf_counter(), time.process_time()
    paths = paths_from_market_data(md, sys.argv[2], sys.argv[3])
    t1, c1 = time.perf_counter(), time.process_time()
    res = run_engine(rules, paths)
    t2, c2 = time.perf_counter(), time.process_time()
    out[run] = {"inputs": t1 - t0, "loop": t2 - t1, "engine": t2 - t0,
                "inputs_cpu": c1 - c0, "loop_cpu": c2 - c1, "engine_cpu": c2 - c0}
out["alvh_file"] = alvh.__file__
out["days"] = len(res.dates)
out["final_nav"] = float(res.nav[-1, 0])
print(json.dumps(out))
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
    a = ap.parse_args()
    sides = {"baseline": a.baseline.resolve(), "current": REPO}
    for name, path in sides.items():
        if not (path / "src" / "alvh" / "__init__.py").is_file():
            raise SystemExit(f"{name} {path}: no src/alvh package there")
    with tempfile.TemporaryDirectory() as tmp:
        stores = {}
        for name, path in sides.items():
            stores[name] = str(Path(tmp) / name)
            print(f"building the {name} store ({path}) from {DATA} (not timed) ...", flush=True)
            _run(path, _BUILD, stores[name], str(DATA), json.dumps(IMPORTS))
        for name, path in sides.items():  # warm-up: numba compiles or loads, surface table caches
            w = json.loads(_run(path, _TIME, stores[name], START, END))
            print(
                f"warm-up {name}: {w['alvh_file']}, {w['days']} days, final NAV ${w['final_nav']:,.0f}, "
                f"engine {w['warm']['engine']:.2f} s",
                flush=True,
            )
        rows: dict[str, list[dict[str, float]]] = {name: [] for name in sides}
        print(f"load average {os.getloadavg()[0]:.2f} at the start of the rounds")
        for i in range(a.repeat):
            for name, path in sides.items():
                w = json.loads(_run(path, _TIME, stores[name], START, END))["warm"]
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


if __name__ == "__main__":
    main()
