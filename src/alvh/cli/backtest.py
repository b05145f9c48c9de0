"""``alvh backtest [--rules FILE] [--start DATE] [--end DATE] [--data-dir DIR] [--vx-model FILE] --out DIR``."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

if TYPE_CHECKING:
    from alvh.report.outputs import OutputFolder, PngTarget

#: Files written into --out (the order of the final "wrote" line); manifest.json, written last, lists them
#: all with their SHA-256 (alvh.report.outputs).
OUTPUTS: tuple[str, ...] = (
    "summary.json",
    "daily.parquet",
    "trades.csv",
    "events.csv",
    "rebalance.csv",
    "drag_monthly.csv",
    "regimes.csv",
    "rules.toml",
    "report_data.json",
    "report.html",
)


def _date(value: str | None) -> str | None:
    """Check a --start/--end value before anything is loaded: a usage error names it."""
    if value is None:
        return None
    import datetime as dt

    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (expected YYYY-MM-DD)") from None
    return value


def backtest(
    rules: Path | None = typer.Option(
        None,
        "--rules",
        metavar="FILE",
        exists=True,
        dir_okay=False,
        readable=True,
        help="Rules file (TOML, see 'alvh rules init'); default: the shipped 4/4/2 rules.",
    ),
    start: str | None = typer.Option(None, "--start", metavar="DATE", callback=_date, help="First day (YYYY-MM-DD)."),
    end: str | None = typer.Option(None, "--end", metavar="DATE", callback=_date, help="Last day (YYYY-MM-DD)."),
    data_dir: Path | None = typer.Option(
        None,
        "--data-dir",
        metavar="DIR",
        file_okay=False,
        help="Data store folder (from 'alvh data import'); default: the embedded "
        "default data (SPX/VIX 2014-2018, model VX curve).",
    ),
    vx_model: Path | None = typer.Option(
        None,
        "--vx-model",
        metavar="FILE",
        exists=True,
        dir_okay=False,
        readable=True,
        help="VX model parameters (JSON file; default: the shipped fit), as written by 'alvh market fit-vx'.",
    ),
    exog: list[str] | None = typer.Option(
        None,
        "--exog",
        metavar="NAME",
        help="An imported series ('alvh data import series') as an extra regressor of the rolling betas "
        "(repeat for several); default: the rules' [analysis] exog.",
    ),
    regime_exog: list[str] | None = typer.Option(
        None,
        "--regime-exog",
        metavar="NAME",
        help="An imported series as a regime input: the hedge cost by regime gets 'exog_NAME' (high/low "
        "against its previous 252-day median; repeat for several); default: the rules' [analysis] regime_exog.",
    ),
    out: Path = typer.Option(
        ...,
        "--out",
        metavar="DIR",
        file_okay=False,
        help="Output folder (created if missing; refused if not empty, see --overwrite): summary.json, "
        "daily.parquet, trades.csv, events.csv, rebalance.csv, drag_monthly.csv, regimes.csv, rules.toml (the "
        "rules used), manifest.json (every file's SHA-256, written last). The run writes into a hidden folder "
        "beside it and renames it into place when complete.",
    ),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace an earlier run's --out folder (only a folder written by alvh)."
    ),
    png: Path | None = typer.Option(
        None,
        "--png",
        metavar="DIR",
        file_okay=False,
        help="Also write every chart of report.html as a PNG file into DIR (a folder inside --out, or a new "
        "folder with its own manifest.json).",
    ),
) -> None:
    """Run the rules on market data, analyse the hedge, write the outputs.

    Analysis: alvh.analytics.analyze (docs/drag.md); prints a summary.

    Examples:

    \b
      alvh backtest --out out/
      alvh backtest --out out/ --png out/png --overwrite
      alvh backtest --rules rules.toml --data-dir ~/alvh-data --start 2006-01-03 --end 2025-06-18 --out out/
      alvh market fit-vx --vx vx.csv --vix VIX_History.csv --out vx_model.json
      alvh backtest --vx-model vx_model.json --out out/
      alvh data import series usdjpy.csv --name usdjpy
      alvh backtest --regime-exog usdjpy --exog usdjpy --out out/
    """
    from alvh.report.outputs import OutputFolder, PngTarget

    folder = OutputFolder.prepare(out, overwrite=overwrite)  # a bad --out or --png fails here, before any work
    with folder:
        target = PngTarget.prepare(png, folder, overwrite=overwrite) if png is not None else None
        with target if target is not None else contextlib.nullcontext():
            _run_into(folder, rules, start, end, data_dir, vx_model, target, exog or None, regime_exog or None)


def _run_into(
    folder: OutputFolder,
    rules: Path | None,
    start: str | None,
    end: str | None,
    data_dir: Path | None,
    vx_model: Path | None,
    png: PngTarget | None,
    exog: list[str] | None = None,
    regime_exog: list[str] | None = None,
) -> None:
    """The backtest proper, every file written into ``folder`` (renamed into place at the end)."""
    from alvh.api import run
    from alvh.config import default_rules, default_rules_text, load_rules
    from alvh.data.source import resolve_data_source, resolve_span

    r = load_rules(rules) if rules is not None else default_rules()
    src = resolve_data_source(data_dir)
    md = src.load()
    first, last, how = resolve_span(md, r, start, end)
    typer.echo(f"data: {src.description}; {how}")
    for note in r.notes:
        typer.echo(f"note: {note}")
    from alvh._kernel_cache import first_run_note

    if (cold := first_run_note()) is not None:  # the first run compiles numba's kernels: say why it is slow
        typer.echo(cold, err=True)
    if vx_model is not None:
        from alvh.market import VXModelParams

        res = run(
            r,
            md,
            first,
            last,
            vx_params=VXModelParams.load(vx_model),
            exog=exog,
            regime_exog=regime_exog,
        )
    else:
        res = run(r, md, first, last, exog=exog, regime_exog=regime_exog)
    a = res.analysis
    summary = res.summary_dict()
    folder.write_json("summary.json", summary)
    # the engine's daily table joined with the hedge cost's daily decomposition per layer (bp of the basis)
    res.to_frame().join(a.daily_hedge_cost()).to_parquet(folder.path("daily.parquet"))
    res.trades.to_csv(folder.path("trades.csv"), index=False)
    res.event_log.to_csv(folder.path("events.csv"), index=False)
    res.rebalance_log.to_csv(folder.path("rebalance.csv"), index=False)
    a.monthly.to_csv(folder.path("drag_monthly.csv"), index=False)
    a.regime_table.reset_index().to_csv(folder.path("regimes.csv"), index=False)
    rules_text = rules.read_text(encoding="utf-8") if rules is not None else default_rules_text()
    folder.write_text("rules.toml", rules_text)  # the rules used, verbatim

    from alvh.report.backtest_report import backtest_report
    from alvh.report.files import write_pngs, write_report
    from alvh.report.progress import Steps

    with Steps("building report", total=3) as steps:
        steps("charts")
        report = backtest_report(res, md, rules_text=rules_text, data=src.description)
        steps.total += len(report.charts()) if png is not None else 0
        write_report(folder, report, steps)
        if png is not None:
            write_pngs(report, png.folder_path(), steps)
    final = folder.commit(
        command="backtest",
        config_hash=res.metadata.get("config_hash"),
        start=summary["start"],
        end=summary["end"],
        data=src.description,
    )

    import sys

    from alvh.report.screen import print_backtest

    # a terminal gets its own width; a pipe or file 132 columns, so the tables fit without folding
    width = None if sys.stdout.isatty() else 132
    written = [f"{final}/{name}" for name in (*OUTPUTS, "manifest.json")]
    if png is not None:
        written.append(str(png.finish(final)))
    print_backtest(Console(markup=False, highlight=False, width=width), res, written)


#: ``alvh backtest`` as a one-command app (the root loads it lazily: alvh.cli.COMMANDS).
app = typer.Typer(name="backtest", add_completion=False)
app.command("backtest")(backtest)


def register(root: typer.Typer) -> None:
    """Attach ``alvh backtest`` to another app (the root CLI loads :data:`app` lazily instead)."""
    root.command("backtest")(backtest)
