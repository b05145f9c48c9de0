"""The terminal screen of ``alvh backtest``, built from the result object only (no figure computed here).

Order: the P&L table per component, NAV figures, what the hedge cost (table), what it bought, the seed's
claim with its interval, the core comparison, the trigger sentence, the regime table with intervals, notes.
The console is the caller's (the CLI passes one with markup off: user text is printed verbatim).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from alvh.analytics import HedgeAnalysis
from alvh.analytics.text import bought_lines, core_lines, fmt, seed_lines
from alvh.errors import InputError

if TYPE_CHECKING:
    from alvh.results import BacktestResult

__all__ = ["print_backtest"]


def print_backtest(con: Console, res: BacktestResult, written: Sequence[str]) -> None:
    """Print the backtest screen of ``res`` (with its analysis attached) and the files ``written``."""
    a = res.analysis
    if not isinstance(a, HedgeAnalysis):
        raise InputError(
            f"a result without its analysis ({type(a).__name__})",
            argument="res",
            expected="a BacktestResult from alvh.run (analysis attached)",
        )
    summary: dict[str, Any] = res.summary_dict()  # JSON-shaped: the figures the screen shows
    t = Table(
        title=f"alvh backtest {summary['start']} .. {summary['end']}  (config {str(res.metadata['config_hash'])[:12]})"
    )
    t.add_column("component")
    t.add_column("net P&L ($)", justify="right", overflow="fold")
    t.add_column("costs ($)", justify="right", overflow="fold")
    t.add_column("net P&L (% of capital)", justify="right", overflow="fold")
    for c in res.components:
        pnl = summary["component_pnl_net"][c]
        t.add_row(c, f"{pnl:,.0f}", f"{summary['component_costs'][c]:,.0f}", f"{pnl / res.capital:.2%}")
    t.add_row("financing", f"{summary['financing']:,.0f}", "", f"{summary['financing'] / res.capital:.2%}")
    con.print(t)
    cagr = summary["cagr"]
    con.print(
        f"final NAV {summary['final_nav']:,.0f}  total return {summary['total_return']:.2%}"
        + (f"  CAGR {cagr:.2%}" if cagr is not None else "")
        + f"  max drawdown {summary['max_drawdown']:.2%}"
    )
    an: dict[str, Any] = summary["analysis"]
    con.print(_cost_table(an["hedge_cost"]))
    for line in bought_lines(an["what_it_bought"]) + seed_lines(an["seed_claim"]) + core_lines(an["against_core"]):
        con.print(line, highlight=False)
    con.print(a.trigger["sentence"])
    con.print(_regime_rich(a.regime_table, an["hedge_cost"].get("basis", "basis")))
    for note in a.notes:
        con.print(f"note: {note}", highlight=False)
    con.print(
        f"trades {summary['n_trades']}  rebalance firings {summary['rebalance_firings']}  "
        f"events {sum(res.events.values())} (see events.csv)"
    )
    con.print("wrote " + ", ".join(written))


def _cost_table(hc: dict) -> Table | str:
    """Hedge cost per layer and its split, bp of the basis per month (docs/drag.md)."""
    if "total_bp_per_month" not in hc:
        return f"hedge cost: {hc.get('statement', 'n/a')}"
    terms = list(hc["split_bp_per_month"])
    t = Table(
        title=f"WHAT THE HEDGE COST: bp of the {hc['basis']} per month (positive = cost, negative = the hedge "
        "paid; docs/drag.md)"
    )
    for col in ("layer", "instrument", "total", *terms):
        t.add_column(col, justify="left" if col in ("layer", "instrument") else "right", overflow="fold")
    for layer, total in hc["per_layer_bp_per_month"].items():
        sp = hc["per_layer_split_bp_per_month"][layer]
        t.add_row(layer, hc["instruments"][layer], fmt(total, 2), *(fmt(sp[k], 2) for k in terms))
    sp = hc["split_bp_per_month"]
    t.add_row("all", "", fmt(hc["total_bp_per_month"], 2), *(fmt(sp[k], 2) for k in terms))
    return t


def _regime_rich(table: pd.DataFrame, basis: str) -> Table:
    t = Table(
        title=f"hedge cost by regime, all layers: bp of the {basis} per day and per month-equivalent (x21), 95% "
        "interval (month-cluster bootstrap; daily interval in regimes.csv); * = too few days or months",
        box=None,
    )
    for col in ("regime=label", "days", "months", "bp/day", "bp/month", "95% CI"):
        t.add_column(col, justify="left" if col == "regime=label" else "right", overflow="fold")  # never cut a number
    for (reg, lab), r in table.iterrows():
        t.add_row(
            ("*" if r["small_sample"] else "") + f"{reg}={lab}",
            f"{int(r['n_days'])}",
            f"{int(r['n_months'])}",
            fmt(r["mean_daily_bp"], 2),
            fmt(r["bp_per_month_equiv"]),
            f"[{fmt(r['ci95_lo_month_equiv'])}, {fmt(r['ci95_hi_month_equiv'])}]",
        )
    return t
