"""``alvh backtest [--rules FILE] [--start DATE] [--end DATE] [--data-dir DIR] [--vx-model FILE] --out DIR``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

#: Files written into --out (the order of the final "wrote" line).
OUTPUTS: tuple[str, ...] = ("summary.json", "daily.parquet", "trades.csv", "events.csv", "rebalance.csv",
                            "drag_monthly.csv", "regimes.csv")


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
    rules: Path | None = typer.Option(None, "--rules", metavar="FILE", exists=True, dir_okay=False, readable=True,
                                      help="Rules file (TOML, see 'alvh rules init'); default: the shipped 4/4/2 "
                                           "rules."),
    start: str | None = typer.Option(None, "--start", metavar="DATE", callback=_date,
                                     help="First day (YYYY-MM-DD)."),
    end: str | None = typer.Option(None, "--end", metavar="DATE", callback=_date, help="Last day (YYYY-MM-DD)."),
    data_dir: Path | None = typer.Option(None, "--data-dir", metavar="DIR", file_okay=False,
                                         help="Data store folder (from 'alvh data import'); default: the embedded "
                                              "default data (SPX/VIX 2014-2018, model VX curve)."),
    vx_model: Path | None = typer.Option(None, "--vx-model", metavar="FILE", exists=True, dir_okay=False,
                                         readable=True,
                                         help="VX model parameters (JSON) written by 'alvh market fit-vx'; "
                                              "default: the shipped fit."),
    out: Path = typer.Option(..., "--out", metavar="DIR", file_okay=False,
                             help="Output folder (created if missing): summary.json, daily.parquet, trades.csv, "
                                  "events.csv, rebalance.csv, drag_monthly.csv, regimes.csv."),
) -> None:
    """Run the rules on market data, analyse the hedge, write the outputs.

    Analysis: alvh.analytics.analyze (docs/drag.md); prints a summary.

    Examples:

    \b
      alvh backtest --out out/
      alvh backtest --rules rules.toml --data-dir ~/alvh-data --start 2006-01-03 --end 2025-06-18 --out out/
      alvh market fit-vx --vx vx.csv --vix VIX_History.csv --out vx_model.json
      alvh backtest --vx-model vx_model.json --out out/
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

        res = run(r, md, first, last, vx_params=VXModelParams.load(vx_model))
    else:
        res = run(r, md, first, last)
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

    con = Console(markup=False, highlight=False)  # user text (paths, values) printed verbatim
    t = Table(title=f"alvh backtest {summary['start']} .. {summary['end']}  "
                    f"(config {str(res.metadata['config_hash'])[:12]})")
    t.add_column("component")
    t.add_column("net P&L ($)", justify="right")
    t.add_column("costs ($)", justify="right")
    t.add_column("net P&L (% of capital)", justify="right")
    for c in res.components:
        pnl = summary["component_pnl_net"][c]
        t.add_row(c, f"{pnl:,.0f}", f"{summary['component_costs'][c]:,.0f}", f"{pnl / res.capital:.2%}")
    t.add_row("financing", f"{summary['financing']:,.0f}", "", f"{summary['financing'] / res.capital:.2%}")
    con.print(t)
    cagr = summary["cagr"]
    con.print(f"final NAV {summary['final_nav']:,.0f}  total return {summary['total_return']:.2%}"
              + (f"  CAGR {cagr:.2%}" if cagr is not None else "") + f"  max drawdown {summary['max_drawdown']:.2%}")
    an = summary["analysis"]
    con.print(_cost_table(an["hedge_cost"]))
    from alvh.report.text import bought_lines, core_lines, seed_lines

    for line in bought_lines(an["what_it_bought"]) + seed_lines(an["seed_claim"]) + core_lines(an["against_core"]):
        con.print(line, highlight=False)
    con.print(a.trigger["sentence"])
    con.print(_regime_rich(a.regime_table))
    for note in a.notes:
        con.print(f"note: {note}", highlight=False)
    con.print(f"trades {summary['n_trades']}  rebalance firings {summary['rebalance_firings']}  "
              f"events {sum(v for v in summary['events'].values())} (see events.csv)")
    con.print(f"wrote {out}/" + ", ".join(OUTPUTS))


def _num(x: float | None, nd: int = 1) -> str:
    import math

    return "n/a" if x is None or not math.isfinite(float(x)) else f"{float(x):,.{nd}f}"


def _cost_table(hc: dict) -> Table | str:
    """Hedge cost per layer and its split, bp of the basis per month (docs/drag.md)."""
    if "total_bp_per_month" not in hc:
        return f"hedge cost: {hc.get('statement', 'n/a')}"
    terms = list(hc["split_bp_per_month"])
    t = Table(title=f"WHAT THE HEDGE COST: bp of the {hc['basis']} per month (positive = cost, negative = the hedge "
                    "paid; docs/drag.md)")
    for col in ("layer", "instrument", "total", *terms):
        t.add_column(col, justify="left" if col in ("layer", "instrument") else "right")
    for layer, total in hc["per_layer_bp_per_month"].items():
        sp = hc["per_layer_split_bp_per_month"][layer]
        t.add_row(layer, hc["instruments"][layer], _num(total, 2), *(_num(sp[k], 2) for k in terms))
    sp = hc["split_bp_per_month"]
    t.add_row("all", "", _num(hc["total_bp_per_month"], 2), *(_num(sp[k], 2) for k in terms))
    return t


def _regime_rich(table) -> Table:  # noqa: ANN001
    t = Table(title="hedge cost by regime, all layers: bp of the basis per day and per month-equivalent (x21), 95% "
                    "interval (month-cluster bootstrap; daily interval in regimes.csv); * = too few days or months",
              box=None)
    for col in ("regime=label", "days", "months", "bp/day", "bp/month", "95% CI"):
        t.add_column(col, justify="left" if col == "regime=label" else "right", no_wrap=True)
    for (reg, lab), r in table.iterrows():
        t.add_row(("*" if r["small_sample"] else "") + f"{reg}={lab}", f"{int(r['n_days'])}", f"{int(r['n_months'])}",
                  _num(r["mean_daily_bp"], 2), _num(r["bp_per_month_equiv"]),
                  f"[{_num(r['ci95_lo_month_equiv'])}, {_num(r['ci95_hi_month_equiv'])}]")
    return t


#: ``alvh backtest`` as a one-command app (the root loads it lazily: alvh.cli.COMMANDS).
app = typer.Typer(name="backtest", add_completion=False)
app.command("backtest")(backtest)


def register(root: typer.Typer) -> None:
    """Attach ``alvh backtest`` to another app (the root CLI loads :data:`app` lazily instead)."""
    root.command("backtest")(backtest)
