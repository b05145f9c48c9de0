"""Whole-process speed of the ``alvh`` command line, and the pandas-loop peer timed in the same run.

Times the installed console script as a user runs it (a fresh Python process per run, imports
included): ``alvh --help``, ``alvh data info`` on a store of the real shared data, and the whole
``alvh backtest`` 2006-01-03..2025-06-18 on that store; then ``benchmarks/peer_pandas_loop.py`` (the same
condor + 4/4/2 VX-futures job as a plain loop over days with scalar scipy pricing), interleaved
with the backtest runs so both see the same machine load. Targets (issue 14.7): ``--help`` < 0.25 s,
``data info`` < 0.6 s, the backtest < 2 s and >= 5x faster than the peer.

Prints, per command: the minimum and median wall time of ``--repeat`` runs, the CPU time (user + sys
of the child, from ``getrusage``) and the machine's load average, so a figure measured on a busy
machine can be read as such; then the peer/alvh ratios (wall and CPU). With ``--imports`` it also
prints the slowest top-level imports of the backtest process (``python -X importtime``).

With ``--breakdown`` it runs the backtest's stages in one process and prints the CPU time of each
(imports, loading the store, the market inputs, the capital pre-check, the engine, the analysis, the
outputs, report.html), as ``alvh backtest`` runs them, and the whole process's CPU beside their sum.

Usage: ``.venv/bin/python benchmarks/bench_cli.py [--data-dir STORE] [--repeat 5] [--imports] [--breakdown]``
(without ``--data-dir`` a temporary store is built from ../shared/data first, not timed).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
ALVH = Path(sys.executable).with_name("alvh")
START, END = "2006-01-03", "2025-06-18"


def _timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of one run; the run must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _store(path: Path) -> None:
    sys.path.insert(0, str(REPO / "tests"))
    from alvh.data.store import Store
    from conftest import REAL_IMPORTS

    with Store.open(path) as store:
        for kind, rel, label in REAL_IMPORTS:
            store.import_files(kind, [SHARED / rel], name=label)


def _row(name: str, runs: list[tuple[float, float]], target: float | None) -> dict[str, float]:
    walls, cpus = [w for w, _ in runs], [c for _, c in runs]
    out = {"min": min(walls), "median": statistics.median(walls), "cpu": min(cpus)}
    goal = f"  (target < {target:g} s)" if target is not None else ""
    print(
        f"{name:<34} wall min {out['min']:7.3f} s  median {out['median']:7.3f} s  "
        f"CPU min {out['cpu']:7.3f} s  n={len(runs)}{goal}"
    )
    return out


def _imports(cmd: list[str], top: int = 12) -> None:
    r = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-c",
            "import sys; from alvh.cli import run; sys.exit(run(sys.argv[1:]))",
            *cmd,
        ],
        capture_output=True,
        text=True,
    )
    rows = []
    for line in r.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if m and len(m.group(3)) <= 2:  # top-level imports and their direct children
            rows.append((int(m.group(2)) / 1e6, m.group(4)))
    print(f"slowest imports of 'alvh {' '.join(cmd[:1])}' (cumulative, s; python -X importtime):")
    for sec, mod in sorted(rows, reverse=True)[:top]:
        print(f"  {sec:6.3f}  {mod}")


_BREAKDOWN = r"""
import sys, time, json, tempfile
from pathlib import Path
clock = time.process_time
marks = []
t = clock()
seen = {m.split(".")[0] for m in sys.modules}
NOTABLE = {"numpy", "pandas", "scipy", "numba", "duckdb", "pyarrow", "pydantic", "pandas_market_calendars",
           "statsmodels", "rich", "typer", "arch", "matplotlib", "exchange_calendars"}
def mark(label):
    global t, seen
    now = clock()
    top = {m.split(".")[0] for m in sys.modules}
    new = sorted((top - seen) & NOTABLE)
    seen = top
    marks.append((label + (f" [imports {', '.join(new)}]" if new else ""), now - t))
    t = now
import typer  # noqa: F401
mark("import typer (the CLI root)")
import pandas, numpy  # noqa: F401,E401
mark("import numpy, pandas")
from alvh.data import MarketData
mark("import alvh.data")
from alvh.config import default_rules, default_rules_text
from alvh.engine import paths_from_market_data, run_engine
mark("import alvh.engine")
from alvh.analytics import analyze
from alvh.api import check_can_trade, check_traded
mark("import alvh.analytics")
md = MarketData.from_store(sys.argv[1])
mark("MarketData.from_store")
rules = default_rules()
paths = paths_from_market_data(md, sys.argv[2], sys.argv[3])
mark("market inputs: SPX surface solve (SSVI to VIX/SKEW), VX curve")
check_can_trade(rules, paths)
mark("check_can_trade (capital for one contract, before the day loop)")
res = run_engine(rules, paths)
check_traded(res, rules)
mark("engine: the day loop (incl. loading the cached numba kernels)")
res = res.with_analysis(analyze(res, md, rules))
mark("analysis (drag, betas, regimes, steward)")
out = Path(tempfile.mkdtemp())
(out / "summary.json").write_text(json.dumps(res.summary_dict(), default=str))
res.to_frame().join(res.analysis.daily_hedge_cost()).to_parquet(out / "daily.parquet")
res.trades.to_csv(out / "trades.csv", index=False)
mark("outputs (summary.json, parquet, CSV)")
from alvh.report.backtest_report import backtest_report
from alvh.report.files import write_report
from alvh.report.outputs import OutputFolder
folder = OutputFolder.prepare(out / "run")
with folder:
    write_report(folder, backtest_report(res, md, rules_text=default_rules_text(), data="store"))
    folder.commit(command="backtest")
mark("report.html (charts, plotly.js embedded)")
total = sum(s for _, s in marks)
for label, sec in marks:
    print(f"  {sec:6.3f} s  {sec / total:5.1%}  {label}")
print(f"  {total:6.3f} s  total CPU (process_time) of the stages above")
import gc
gc.freeze()  # as alvh.cli.main before its exit
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--imports", action="store_true")
    ap.add_argument("--breakdown", action="store_true", help="CPU time of the backtest's stages, in one process")
    a = ap.parse_args()
    if not ALVH.is_file():
        raise SystemExit(f"no alvh console script next to {sys.executable}: pip install -e '.[test]'")
    tmp = tempfile.TemporaryDirectory()
    store = a.data_dir
    if store is None:
        store = Path(tmp.name) / "store"
        print(f"building a store of the real shared data in {store} (not timed) ...")
        _store(store)
    out = Path(tmp.name) / "out"
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
    help_ = [_timed([str(ALVH), "--help"]) for _ in range(a.repeat)]
    info = [_timed([str(ALVH), "data", "info", "--data-dir", str(store)]) for _ in range(a.repeat)]
    backtest_cmd = [
        *[str(ALVH), "backtest", "--data-dir", str(store), "--start", START, "--end", END],
        *["--out", str(out), "--overwrite"],  # every run replaces the last one's folder
    ]
    peer_cmd = [sys.executable, str(REPO / "benchmarks" / "peer_pandas_loop.py"), "--start", START, "--end", END]
    bt, peer = [], []
    for _ in range(a.repeat):  # interleaved: both see the same load
        bt.append(_timed(backtest_cmd))
        peer.append(_timed(peer_cmd))
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    _row("alvh --help", help_, 0.25)
    _row("alvh data info (real store)", info, 0.6)
    b = _row(f"alvh backtest {START[:4]}-{END[:4]} (process)", bt, 2.0)
    p = _row("peer pandas loop (process)", peer, None)
    print(
        f"peer / alvh backtest: wall (min) {p['min'] / b['min']:.2f}x, wall (median) "
        f"{p['median'] / b['median']:.2f}x, CPU {p['cpu'] / b['cpu']:.2f}x  (target >= 5x)"
    )
    if a.breakdown:
        print(
            f"where the backtest's time goes (CPU seconds of one process, stage by stage; load "
            f"{os.getloadavg()[0]:.2f}):"
        )
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        r = subprocess.run([sys.executable, "-c", _BREAKDOWN, str(store), START, END], capture_output=True, text=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(r.stdout.rstrip() or r.stderr[-2000:])
        whole = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        m = re.search(r"([\d.]+) s  total CPU", r.stdout)
        if m:
            print(
                f"  {whole:6.3f} s  the whole process (user + sys): {whole - float(m.group(1)):.3f} s above the stages "
                "(interpreter start-up, numba's worker threads, the exit after gc.freeze as alvh.cli.main)"
            )
    if a.imports:
        _imports(
            ["backtest", "--data-dir", str(store), "--start", START, "--end", END, "--out", str(out), "--overwrite"]
        )
        _imports(["data", "info", "--data-dir", str(store)])
    tmp.cleanup()


if __name__ == "__main__":
    main()
