"""``alvh report RUN_DIR [--out FILE] [--png DIR]``: redraw a run's report from its saved outputs."""

from __future__ import annotations

from pathlib import Path

import typer


def report(
    run_dir: Path = typer.Argument(..., metavar="RUN_DIR", help="A finished run folder (holds manifest.json)."),
    out: Path | None = typer.Option(
        None,
        "--out",
        metavar="FILE",
        dir_okay=False,
        help="Write the HTML here instead (default: replace RUN_DIR/report.html and its manifest entry).",
    ),
    png: Path | None = typer.Option(
        None, "--png", metavar="DIR", file_okay=False, help="Also write every chart as a PNG file into DIR."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing --out file or --png folder."),
) -> None:
    """Redraw the report of a saved run (report_data.json) without rerunning it.

    Checks the run's manifest (every file's SHA-256) first; draws report.html from report_data.json.

    Examples:

    \b
      alvh report out/
      alvh report out/ --out /tmp/report.html --png /tmp/charts
    """
    from alvh.errors import InputError
    from alvh.report.files import REPORT_HTML, load_report, write_pngs
    from alvh.report.html import render_html
    from alvh.report.outputs import OutputFolder, replace_file
    from alvh.report.progress import Steps

    if out is not None and out.exists() and not overwrite:
        raise InputError(f"{out} exists", argument="--out", expected="a new file, or --overwrite")
    png_folder = OutputFolder.prepare(png, overwrite=overwrite, argument="--png") if png is not None else None
    rep = load_report(run_dir)  # verifies the manifest
    with Steps("building report", total=1 + (len(rep.charts()) if png else 0)) as steps:
        steps("HTML")
        text = render_html(rep)
        if out is None:
            written = replace_file(run_dir, REPORT_HTML, text)
        else:
            tmp = out.with_name(f".{out.name}.partial")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(out)
            written = out
        typer.echo(f"wrote {written}")
        if png_folder is not None:
            with png_folder:
                write_pngs(rep, png_folder.staging, steps)
                typer.echo(f"wrote {png_folder.commit(command='report --png', run=str(run_dir))}")


#: ``alvh report`` as a one-command app (the root loads it lazily: alvh.cli.COMMANDS).
app = typer.Typer(name="report", add_completion=False)
app.command("report")(report)
