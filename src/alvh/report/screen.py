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
from alvh.analytics.text import bought_lines, core_lines, fmt, headline_sentence, interest_sentence, seed_lines
from alvh.errors import InputError

if TYPE_CHECKING:
    from alvh.results import BacktestResult

__all__ = ["PNL_NOTE", "pnl_rows", "print_backtest"]

#: What the P&L table's non-component rows are (the screen and the report print it under the table).
PNL_NOTE = (
    "net P&L = marks - costs, before interest; interest on cash = T-bill interest on each book's cash "
    "(summary.json 'interest'; the layers' part is the 'cash interest' column of the hedge cost); "
    "margin-debt interest = the engine's borrowing (summary.json 'financing'); the rows add up to the NAV change"
)


def pnl_rows(summary: dict[str, Any], components: Sequence[str]) -> list[tuple[str, float, float | None]]:
    """The P&L table's rows ``(label, $, costs $ or None)``: each component's net P&L, the interest on cash
    (core / layers), the margin-debt interest and, when used, the hedge-cash financing; they add up to
    ``final_nav - capital`` (docs/engine.md: NAV changes by pnl - costs + financing + interest)."""
    rows: list[tuple[str, float, float | None]] = [
        (c, float(summary["component_pnl_net"][c]), float(summary["component_costs"][c])) for c in components
    ]
    interest = summary.get("interest") or {}
    layers = [c for c in components if c != "core"]
    rows.append(("interest on cash: core", float(interest.get("core", 0.0)), None))
    rows.append(("interest on cash: layers", float(sum(interest.get(c, 0.0) for c in layers)), None))
    rows.append(("margin-debt interest", float(summary["financing"]), None))
    if summary.get("hedge_financing"):
        rows.append(("hedge-cash financing", float(summary["hedge_financing"]), None))
    return rows


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
    for label, pnl, costs in pnl_rows(summary, res.components):
        t.add_row(label, f"{pnl:,.0f}", "" if costs is None else f"{costs:,.0f}", f"{pnl / res.capital:.2%}")
    change = summary["final_nav"] - summary["capital"]
    t.add_row("NAV change", f"{change:,.0f}", "", f"{change / res.capital:.2%}")
    con.print(t)
    con.print(PNL_NOTE, highlight=False)
    cagr = summary["cagr"]
    con.print(
        f"final NAV {summary['final_nav']:,.0f}  total return {summary['total_return']:.2%}"
        + (f"  CAGR {cagr:.2%}" if cagr is not None else "")
        + f"  max drawdown {summary['max_drawdown']:.2%}"
    )
    an: dict[str, Any] = summary["analysis"]
    con.print(_cost_table(an["hedge_cost"]))
    if "total_bp_per_month" in an["hedge_cost"]:
        con.print(f"headline: {headline_sentence(an['hedge_cost'])}", highlight=False)
        con.print(f"  {interest_sentence(an['hedge_cost'])}", highlight=False)
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
    labels = hc.get("split_labels", {})
    t = Table(
        title=f"WHAT THE HEDGE COST: bp of the {hc['basis']} per month (positive = cost, negative = the hedge "
        "paid; docs/drag.md)",
    )
    for col in ("layer", "instrument", "total", *(labels.get(k, k) for k in terms)):
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
