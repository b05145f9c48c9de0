"""``alvh calibrate [--data-dir D] [--start DATE] [--end DATE] --out params.toml``: fit the Monte Carlo model.

Thin: resolve the data, call :func:`alvh.simulate.calibration.calibrate`, write the parameters, print the
fit report (docs/simulation.md).
"""

from __future__ import annotations

from pathlib import Path

import typer


def _date(value: str | None) -> str | None:
    if value is None:
        return None
    import datetime as dt

    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (expected YYYY-MM-DD)") from None
    return value


def calibrate(
    data_dir: Path | None = typer.Option(
        None,
        "--data-dir",
        metavar="DIR",
        file_okay=False,
        help="Data store folder (from 'alvh data import'); default: $ALVH_DATA_DIR, the user data home, "
        "else the embedded default data (no VX: the long factor from the VIX-EWMA map).",
    ),
    start: str | None = typer.Option(
        None, "--start", metavar="DATE", callback=_date, help="First day (default: the first day with VX settlements)."
    ),
    end: str | None = typer.Option(None, "--end", metavar="DATE", callback=_date, help="Last day (default: the last)."),
    out: Path = typer.Option(..., "--out", metavar="FILE", dir_okay=False, help="Parameters file to write (TOML)."),
    report: Path | None = typer.Option(
        None, "--report", metavar="FILE", dir_okay=False, help="Also write the fit report as a Markdown table."
    ),
    paths: int = typer.Option(40, "--paths", min=2, metavar="N", help="Simulated histories in the fit report."),
    seed: int = typer.Option(0, "--seed", metavar="S", help="Seed of the fit report's simulations."),
) -> None:
    """Fit the Monte Carlo model to history and print the fit report.

    Prints every statistic simulated beside historical with its tolerance, the S&P VIX futures index
    figures and the episode presets (docs/simulation.md).

    Example (the command that fitted the shipped parameters, on a store holding the shared data):

    \b
      alvh calibrate --data-dir ~/alvh-data --start 2006-01-03 --end 2025-12-31 --out params.toml
    """
    from alvh.data.source import resolve_data_source
    from alvh.errors import InputError
    from alvh.simulate.calibration import calibrate as run_calibration

    if out.exists() and out.is_dir():
        raise InputError(f"{out} is a folder", argument="--out", expected="a file path for the parameters")
    src = resolve_data_source(data_dir)
    md = src.load()
    first = start
    if first is None and md.vx is not None:
        import numpy as np

        listed = np.flatnonzero(np.isfinite(md.vx.settle).any(axis=1))
        first = str(md.vx.dates[listed[0]].date()) if listed.size else None
    md = md.slice(first, end)
    typer.echo(f"data: {src.description}; calibrating on {md.dates[0].date()}..{md.dates[-1].date()}")
    res = run_calibration(md, n_paths=paths, seed=seed)
    command = f"alvh calibrate --data-dir DIR --start {md.dates[0].date()} --end {md.dates[-1].date()} --out FILE"
    params = res.params.replace(provenance={**res.params.provenance, "command": command})
    out.parent.mkdir(parents=True, exist_ok=True)
    params.to_toml(out)
    typer.echo(res.summary())
    if report is not None:
        report.write_text(res.to_markdown() + "\n", encoding="utf-8")
        typer.echo(f"wrote {out} and {report}")
    else:
        typer.echo(f"wrote {out}")


#: ``alvh calibrate`` as a one-command app (the root loads it lazily: alvh.cli.COMMANDS).
app = typer.Typer(name="calibrate", add_completion=False)
app.command("calibrate")(calibrate)
