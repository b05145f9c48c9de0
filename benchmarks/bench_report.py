"""What building the report adds to a backtest: report model + report_data.json + report.html.

Targets (issue 12): at most 1 s on the default run (embedded data, 2014-2018) and 2 s on the 2006-2025
real-data run. Measured in one process, after the run: the first build (cold: its imports, plotly.min.js
read from disk) and the best of --repeat, with the run's own time beside it as the ratio's base.

    .venv/bin/python benchmarks/bench_report.py [--repeat 3] [--skip-real]

The real-data store is the tests' (tests/conftest.REAL_IMPORTS) built from ../shared/data.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(os.environ.get("ALVH_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import REAL_IMPORTS as IMPORTS  # noqa: E402


def _build(res, md, tmp: Path, k: int) -> tuple[float, int]:
    from alvh.config import default_rules_text
    from alvh.report.backtest_report import backtest_report
    from alvh.report.files import REPORT_HTML, write_report
    from alvh.report.outputs import OutputFolder

    t0 = time.perf_counter()
    folder = OutputFolder.prepare(tmp / f"run{k}")
    with folder:
        write_report(folder, backtest_report(res, md, rules_text=default_rules_text(), data="bench"))
        final = folder.commit(command="bench")
    return time.perf_counter() - t0, (final / REPORT_HTML).stat().st_size


def _case(label: str, md, start, end, repeat: int, target: float) -> tuple[str, float, float, float]:
    import alvh
    from alvh.config import default_rules

    t0 = time.perf_counter()
    res = alvh.run(default_rules(), md, start, end)
    t_run = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        times, size = [], 0
        for k in range(max(repeat, 1)):
            t, size = _build(res, md, Path(tmp), k)
            times.append(t)
    best = min(times)
    print(
        f"=== {label}: {res.dates[0].date()} .. {res.dates[-1].date()} ({len(res.dates)} days); run (engine + "
        f"analysis) {t_run:.2f} s; report first {times[0]:.2f} s, best of {len(times)} {best:.2f} s "
        f"(= {best / t_run:.1%} of the run; target <= {target:g} s); report.html {size / 1e6:.2f} MB"
    )
    return label, times[0], best, target


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-real", action="store_true")
    args = ap.parse_args()
    from alvh.data import MarketData
    from alvh.data.store import Store

    rows = [_case("default run (embedded data)", MarketData.default(), None, None, args.repeat, 1.0)]
    if not args.skip_real:
        with tempfile.TemporaryDirectory() as tmp:
            with Store.open(tmp) as store:
                for kind, rel, name in IMPORTS:
                    store.import_files(kind, [DATA / rel], name=name)
            md = MarketData.from_store(tmp)
        rows.append(_case("real data", md, "2006-01-03", "2025-06-18", args.repeat, 2.0))
    print("REPORT BUILD (the machine is shared: figures are noisy; the ratio to the run is the steadier one)")
    for label, first, best, target in rows:
        verdict = "met" if first <= target else "NOT met"
        print(f"  {label}: first {first:.2f} s, best {best:.2f} s, target {target:g} s: {verdict}")


if __name__ == "__main__":
    main()
