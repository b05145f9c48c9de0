"""``alvh backtest [--rules FILE] [--start D] [--end D] [--data-dir D] --out DIR``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from alvh.config import default_rules, load_rules


def backtest(
    rules: Path | None = typer.Option(None, "--rules", help="Rules file (TOML); default: the shipped 4/4/2 rules."),
    start: str | None = typer.Option(None, "--start", help="First day (YYYY-MM-DD)."),
    end: str | None = typer.Option(None, "--end", help="Last day (YYYY-MM-DD)."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="alvh data store (from `alvh data import`); "
                                         "default: the embedded default data (SPX/VIX 2014-2018, model VX curve)."),
    out: Path = typer.Option(..., "--out", help="Output folder: summary.json, daily.parquet, trades.csv."),
) -> None:
    """Run the rules on market data; write summary.json, daily.parquet, trades.csv; print a summary table."""
    from alvh.data import MarketData
    from alvh.engine import run_backtest

    r = load_rules(rules) if rules is not None else default_rules()
    md = MarketData.from_store(data_dir) if data_dir is not None else MarketData.default()
    res = run_backtest(r, md, start, end)
    out.mkdir(parents=True, exist_ok=True)
    summary = res.summary_dict()
    summary["drag"] = _drag_block(res, md)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    res.to_frame().to_parquet(out / "daily.parquet")
    res.trades.to_csv(out / "trades.csv", index=False)
    res.event_log.to_csv(out / "events.csv", index=False)
    res.rebalance_log.to_csv(out / "rebalance.csv", index=False)
    con = Console()
    t = Table(title=f"alvh backtest {summary['start']} .. {summary['end']}  (config {str(res.metadata['config_hash'])[:12]})")
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
    dr = summary["drag"]
    split = ", ".join(f"{k} {v:.1f}" for k, v in dr["split_bp_per_month"].items())
    con.print(f"hedge drag {dr['total_drag_bp_per_month']:.1f} bp of capital per month ({split}); instruments "
              + ", ".join(f"{k}: {v}" for k, v in dr["instruments"].items()) + " (docs/drag.md)")
    if "rebalance_note" in summary:
        con.print(str(summary["rebalance_note"]))
    con.print(f"trades {summary['n_trades']}  rebalance firings {summary['rebalance_firings']}  "
              f"events {sum(v for v in summary['events'].values())} (see events.csv)")
    con.print(f"wrote {out}/summary.json, daily.parquet, trades.csv, events.csv, rebalance.csv")


def _drag_block(res, md) -> dict:  # noqa: ANN001
    """The analytics layer's drag summary (alvh.analytics.drag.drag_analysis) for summary.json."""
    import numpy as np

    from alvh.analytics.drag import drag_analysis

    vix = md.vix["close"].reindex(res.dates).to_numpy(dtype=float)
    front = md.vx.front().reindex(res.dates)["settle"].to_numpy(dtype=float) if md.vx is not None else None
    nav_prev = np.vstack([np.full((1, res.n_paths), res.capital), res.nav[:-1]])
    cost = -res.costs  # groups of the attribution = the engine's components, same order
    da = drag_analysis(res.records, dates=res.dates, capital=nav_prev, vix=vix, front_vx=front, cost_pnl=cost,
                       financing_pnl=res.financing)
    return da.summary


def register(app: typer.Typer) -> None:
    """Attach ``alvh backtest`` to the root app."""
    app.command("backtest")(backtest)
