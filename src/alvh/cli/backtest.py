"""``alvh backtest [--rules FILE] [--start DATE] [--end DATE] [--data-dir DIR] [--vx-model FILE] --out DIR``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

#: Files written into --out (the order of the final "wrote" line).
OUTPUTS: tuple[str, ...] = (
    "summary.json",
    "daily.parquet",
    "trades.csv",
    "events.csv",
    "rebalance.csv",
    "drag_monthly.csv",
    "regimes.csv",
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
        help="VX model parameters (JSON) written by 'alvh market fit-vx'; default: the shipped fit.",
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
        help="Output folder (created if missing): summary.json, daily.parquet, trades.csv, "
        "events.csv, rebalance.csv, drag_monthly.csv, regimes.csv.",
    ),
) -> None:
    """Run the rules on market data, analyse the hedge, write the outputs.

    Analysis: alvh.analytics.analyze (docs/drag.md); prints a summary.

    Examples:

    \b
      alvh backtest --out out/
      alvh backtest --rules rules.toml --data-dir ~/alvh-data --start 2006-01-03 --end 2025-06-18 --out out/
      alvh market fit-vx --vx vx.csv --vix VIX_History.csv --out vx_model.json
      alvh backtest --vx-model vx_model.json --out out/
      alvh data import series usdjpy.csv --name usdjpy
      alvh backtest --regime-exog usdjpy --exog usdjpy --out out/
    """
    from alvh.api import run
    from alvh.config import default_rules, load_rules
    from alvh.data.source import resolve_data_source, resolve_span

    r = load_rules(rules) if rules is not None else default_rules()
    src = resolve_data_source(data_dir)
    md = src.load()
    first, last, how = resolve_span(md, r, start, end)
    typer.echo(f"data: {src.description}; {how}")
    for note in r.notes:
        typer.echo(f"note: {note}")
    if vx_model is not None:
        from alvh.market import VXModelParams

        res = run(
            r,
            md,
            first,
            last,
            vx_params=VXModelParams.load(vx_model),
            exog=exog or None,
            regime_exog=regime_exog or None,
        )
    else:
        res = run(r, md, first, last, exog=exog or None, regime_exog=regime_exog or None)
    a = res.analysis
    out.mkdir(parents=True, exist_ok=True)
    summary = res.summary_dict()
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    # the engine's daily table joined with the hedge cost's daily decomposition per layer (bp of the basis)
    res.to_frame().join(a.daily_hedge_cost()).to_parquet(out / "daily.parquet")
    res.trades.to_csv(out / "trades.csv", index=False)
    res.event_log.to_csv(out / "events.csv", index=False)
    res.rebalance_log.to_csv(out / "rebalance.csv", index=False)
    a.monthly.to_csv(out / "drag_monthly.csv", index=False)
    a.regime_table.reset_index().to_csv(out / "regimes.csv", index=False)

    import sys

    from alvh.report.screen import print_backtest

    # a terminal gets its own width; a pipe or file 132 columns, so the tables fit without folding
    width = None if sys.stdout.isatty() else 132
    print_backtest(Console(markup=False, highlight=False, width=width), res, [f"{out}/{name}" for name in OUTPUTS])


#: ``alvh backtest`` as a one-command app (the root loads it lazily: alvh.cli.COMMANDS).
app = typer.Typer(name="backtest", add_completion=False)
app.command("backtest")(backtest)


def register(root: typer.Typer) -> None:
    """Attach ``alvh backtest`` to another app (the root CLI loads :data:`app` lazily instead)."""
    root.command("backtest")(backtest)
