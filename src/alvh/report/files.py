"""Writing a report into a run folder, and reading it back (``alvh report``, ``alvh compare``).

A run folder holds ``report_data.json`` (the :class:`~alvh.report.model.Report`: every chart's series and
every table, built from the result objects) and ``report.html`` drawn from it; ``alvh report RUN_DIR``
redraws the HTML (and PNGs) from ``report_data.json`` without rerunning.
"""

from __future__ import annotations

import json
from pathlib import Path

from alvh.errors import DataError
from alvh.report.model import Report
from alvh.report.outputs import OutputFolder, verify
from alvh.report.progress import Steps

__all__ = ["REPORT_DATA", "REPORT_HTML", "load_report", "write_pngs", "write_report"]

REPORT_DATA = "report_data.json"
REPORT_HTML = "report.html"


def write_report(folder: OutputFolder, report: Report, steps: Steps | None = None) -> None:
    """``report_data.json`` and ``report.html`` into ``folder`` (before its commit)."""
    from alvh.report.html import render_html

    if steps is not None:
        steps("report data")
    folder.write_text(REPORT_DATA, json.dumps(report.to_dict(), separators=(",", ":"), allow_nan=False))
    if steps is not None:
        steps("HTML")
    folder.write_text(REPORT_HTML, render_html(report))


def load_report(run_dir: str | Path) -> Report:
    """The report saved in a finished run folder (manifest checked, every file's checksum verified)."""
    run = Path(run_dir)
    verify(run)
    p = run / REPORT_DATA
    if not p.is_file():
        raise DataError(f"no {REPORT_DATA}", file=run, expected="a run folder written by alvh with its report")
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"not valid JSON ({exc})", file=p) from None
    return Report.from_dict(d, source=str(p))


def write_pngs(report: Report, out: Path, steps: Steps | None = None) -> list[Path]:
    """Every chart of ``report`` as ``out/NN_<id>.png`` (matplotlib); returns the files written."""
    from alvh.report.png import chart_png

    written = []
    for k, chart in enumerate(report.charts()):
        if steps is not None:
            steps(f"PNG {chart.id}")
        written.append(chart_png(chart, out / f"{k + 1:02d}_{chart.id}.png"))
    return written
