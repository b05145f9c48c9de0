"""``alvh compare RUN_A RUN_B [RUN...] --out DIR``: compare saved runs side by side."""

from __future__ import annotations

from pathlib import Path

import typer


def compare(
    runs: list[Path] = typer.Argument(..., metavar="RUN_DIR...", help="Two or more finished run folders."),
    out: Path = typer.Option(
        ...,
        "--out",
        metavar="DIR",
        file_okay=False,
        help="Output folder: report.html, report_data.json, comparison.csv, manifest.json.",
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an earlier comparison's --out folder."),
) -> None:
    """Compare saved runs: headline figures side by side with their differences, and the rules diff.

    Differences are each run minus the first. Reads each run's report_data.json (manifest checked).

    Examples:

    \b
      alvh compare out_442/ out_core_vega/ --out cmp/
    """
    import sys

    import pandas as pd
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from alvh.errors import InputError
    from alvh.report.compare import compare_reports, headline_rows, rules_key_changes
    from alvh.report.files import load_report, write_report
    from alvh.report.outputs import OutputFolder
    from alvh.report.progress import Steps

    if len(runs) < 2:
        raise InputError(f"{len(runs)} run folder given", argument="RUN_DIR...", expected="two or more run folders")
    folder = OutputFolder.prepare(out, overwrite=overwrite)
    with folder:
        reports = [load_report(r) for r in runs]
        labels = [str(r) for r in runs]
        cols, rows = headline_rows(reports, labels)
        with Steps("building comparison", total=2) as steps:
            write_report(folder, compare_reports(reports, labels), steps)
        pd.DataFrame(rows, columns=cols).to_csv(folder.path("comparison.csv"), index=False)
        final = folder.commit(command="compare", runs=labels)
    width = None if sys.stdout.isatty() else 160
    con = Console(markup=False, highlight=False, width=width)
    t = Table(title=Text("headline figures (differences: each run minus the first)"))
    for k, c in enumerate(cols):
        t.add_column(Text(c), justify="left" if k == 0 else "right", overflow="fold")
    for row in rows:
        t.add_row(*(Text(v) for v in row))
    con.print(t)
    for r, lab in zip(reports[1:], labels[1:], strict=True):
        base_text, text = str(reports[0].meta.get("rules_text", "")), str(r.meta.get("rules_text", ""))
        if text == base_text:
            con.print(Text(f"rules: {lab} same as {labels[0]}"))
            continue
        keys = rules_key_changes(base_text, text)
        what = "; ".join(keys) if keys else "the same keys and values, other text (comments or layout)"
        con.print(Text(f"rules: {lab} differs from {labels[0]}: {what} (diff in report.html)"))
    con.print(Text(f"wrote {final}/report.html, {final}/comparison.csv, {final}/manifest.json"))


#: ``alvh compare`` as a one-command app (the root loads it lazily: alvh.cli.COMMANDS).
app = typer.Typer(name="compare", add_completion=False)
app.command("compare")(compare)
