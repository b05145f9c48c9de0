"""The report of one backtest (:func:`backtest_report`): sections of charts and tables from the result objects.

Charts: ``report/backtest_charts.py``. Tables here, each formatted once (the decimals shown are chosen
here; the figures are the analysis's own: ``summary_dict()`` and the analysis tables).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from alvh.analytics import HedgeAnalysis
from alvh.analytics.hedge_cost import CORE_BOOKS, CORE_LABELS
from alvh.analytics.text import fmt, headline_sentence, interest_sentence, seed_layers
from alvh.errors import InputError
from alvh.report import backtest_charts as bc
from alvh.report.model import Report, Section, Table
from alvh.report.screen import PNL_NOTE, pnl_rows

if TYPE_CHECKING:
    from alvh.results import BacktestResult

__all__ = ["backtest_report", "headline"]


def _pct(x: object, nd: int = 2) -> str:
    return "n/a" if x is None else f"{float(x):.{nd}f}%"  # type: ignore[arg-type]


def _with_n(x: object, n: object, nd: int) -> str:
    """A mean with its day count: "2.99 [1,150]"."""
    return fmt(x, nd) if n is None or pd.isna(n) else f"{fmt(x, nd)} [{int(n):,}]"  # type: ignore[call-overload]


def headline(res: BacktestResult) -> dict[str, Any]:
    """The figures ``alvh compare`` puts side by side (name -> number or None), from ``summary_dict()``."""
    s: dict[str, Any] = res.summary_dict()
    an = s["analysis"]
    hc = an["hedge_cost"]
    out: dict[str, Any] = {
        "total return (%)": s["total_return"] * 100.0,
        "CAGR (%)": None if s["cagr"] is None else s["cagr"] * 100.0,
        "max drawdown (%)": s["max_drawdown"] * 100.0,
        "hedge cost, all layers (bp/month)": hc.get("total_bp_per_month"),
    }
    ci = hc.get("ci95") or [None, None]
    if "total_bp_per_month" in hc:
        out["hedge cost, all layers: months (n)"] = hc.get("n_months")
        out["hedge cost, all layers: 95% CI low (bp/month)"] = ci[0]
        out["hedge cost, all layers: 95% CI high (bp/month)"] = ci[1]
    for layer, v in hc.get("per_layer_bp_per_month", {}).items():
        out[f"hedge cost, {layer} (bp/month)"] = v
    labels = hc.get("split_labels", {})
    for term, v in hc.get("split_bp_per_month", {}).items():
        out[f"hedge cost part {labels.get(term, term)} (bp/month)"] = v
    b = an["what_it_bought"]
    if isinstance(b, dict):
        core = CORE_LABELS[b.get("core_book", "inside")]
        for book, name in (("core_alone", core), ("core_plus_layers", "core + hedge")):
            out[f"{name}: 95% ES of a month (%)"] = b[book]["es95_monthly_pct"]
            out[f"{name}: max drawdown (%)"] = b[book]["max_drawdown_pct"]
    sc = an["seed_claim"]
    if isinstance(sc, dict):
        out["contango-heavy months cost (bp/month)"] = sc["contango_heavy"]["mean"]
    out["trades"] = s["n_trades"]
    out["rebalance firings"] = s["rebalance_firings"]
    return out


def _summary_table(res: BacktestResult) -> Table:
    h = headline(res)
    rows = [[k, fmt(v, 2) if isinstance(v, float) else str(v)] for k, v in h.items()]
    hc: dict[str, Any] = res.summary_dict()["analysis"]["hedge_cost"]  # type: ignore[index]
    return Table(
        "summary",
        "Headline figures",
        ["figure", "value"],
        rows,
        note="bp of the initial capital (fixed) per "
        "calendar month; % of the initial capital; the run's own figures (summary.json)."
        + (f" Hedge cost: {headline_sentence(hc)}." if "total_bp_per_month" in hc else ""),
    )


def _pnl_table(res: BacktestResult) -> Table:
    """Where the NAV change came from: each component, the interest on cash, the margin-debt interest."""
    s: dict[str, Any] = res.summary_dict()
    rows = [
        [label, fmt(pnl, 0), "" if costs is None else fmt(costs, 0), _pct(pnl / res.capital * 100.0)]
        for label, pnl, costs in pnl_rows(s, res.components)
    ]
    change = s["final_nav"] - s["capital"]
    rows.append(["NAV change", fmt(change, 0), "", _pct(change / res.capital * 100.0)])
    return Table(
        "pnl_table",
        "P&L by component, interest and financing",
        ["component", "net P&L ($)", "costs ($)", "% of capital"],
        rows,
        note=PNL_NOTE + ".",
    )


def _bought_table(a: HedgeAnalysis) -> Table:
    b = a.bought or {}
    keys = [
        ("monthly_vol_pct", "monthly volatility (%)"),
        ("worst_month_pct", "worst month (%)"),
        ("es95_monthly_pct", "95% expected shortfall, monthly (%)"),
        ("max_drawdown_pct", "max drawdown (%)"),
        ("mean_month_pct", "mean month (%)"),
    ]
    inside = b.get("core_inside_hedged_book")  # beside the standalone core, for comparison
    rows = [
        [label, fmt(b["core_alone"][k], 2), fmt(b["core_plus_layers"][k], 2)]
        + ([fmt(inside[k], 2)] if isinstance(inside, dict) else [])
        for k, label in keys
    ]
    pad = [""] if isinstance(inside, dict) else []
    own = b.get("on_own_nav")
    if isinstance(own, dict):  # each book at its own size (docs/drag.md "What the hedge buys")
        for k, label in (
            ("monthly_vol_pct", "monthly volatility, % of own NAV"),
            ("worst_month_pct", "worst month, % of own NAV"),
            ("es95_monthly_pct", "95% expected shortfall, % of own NAV"),
        ):
            rows.append([label, fmt(own["core_alone"][k], 2), fmt(own["core_plus_layers"][k], 2)] + pad)
        rows.append(
            [
                "cost per pp of ES reduction on own NAV (bp/month)",
                "",
                fmt(own.get("cost_bp_per_month_per_pp_es95_reduction")),
            ]
            + pad
        )
    rows.append(
        ["cost per pp of ES reduction (bp/month)", "", fmt(b.get("cost_bp_per_month_per_pp_es95_reduction"))] + pad
    )
    rows.append(
        ["cost per pp of drawdown reduction (bp/month)", "", fmt(b.get("cost_bp_per_month_per_pp_drawdown_reduction"))]
        + pad
    )
    book = b.get("core_book", "inside")
    core = CORE_LABELS[book]
    return Table(
        "bought_table",
        f"What the hedge bought: {core} vs core + hedge",
        ["", core, "core + hedge"] + (["core's P&L inside the hedged book"] if isinstance(inside, dict) else []),
        rows,
        note=f"{b.get('unit', '')}; n = {b.get('n_months')} months. 'n/a' = the hedge did not reduce it. "
        f"{core}: {CORE_BOOKS[book]}"
        + ("; the last column, for comparison only: " + CORE_BOOKS["inside"] if isinstance(inside, dict) else "")
        + ".",
    )


def _cost_table(a: HedgeAnalysis) -> Table:
    hc = a.cost_summary
    terms = list(hc["split_bp_per_month"])
    rows = [
        [
            layer,
            hc["instruments"][layer],
            fmt(total, 2),
            *(fmt(hc["per_layer_split_bp_per_month"][layer][t], 2) for t in terms),
        ]
        for layer, total in hc["per_layer_bp_per_month"].items()
    ]
    rows.append(["all", "", fmt(hc["total_bp_per_month"], 2), *(fmt(hc["split_bp_per_month"][t], 2) for t in terms)])
    labels = hc.get("split_labels", {})
    return Table(
        "cost_table",
        f"What the hedge cost: bp of the {hc['basis']} per month",
        ["layer", "instrument", "total", *(labels.get(t, t) for t in terms)],
        rows,
        note=f"{hc['definition']}; {headline_sentence(hc)}; {interest_sentence(hc)}; decomposition exact to "
        f"{hc['decomposition_max_error_bp']:.1e} bp.",
    )


def _seed_table(a: HedgeAnalysis) -> Table | None:
    sc = a.seed_claim
    if sc is None:
        return None
    rows = [
        [
            k.replace("_", " "),
            str(sc[k]["n_months"]),
            fmt(sc[k]["mean"], 1),
            fmt(sc[k]["median"], 1),
            f"[{fmt(sc[k]['ci95'][0], 1)}, {fmt(sc[k]['ci95'][1], 1)}]",
        ]
        for k in ("contango_heavy", "other_months", "all_months")
    ]
    rows[-1][0] = "all full months (>= 15 trading days)"  # not the headline's sample: that row follows
    hc = a.cost_summary
    if "total_bp_per_month" in hc:
        ci = hc.get("ci95") or [None, None]
        rows.append(
            [
                "every month spanned (the headline)",
                str(hc["n_months"]),
                fmt(hc["total_bp_per_month"], 1),
                "",
                f"[{fmt(ci[0], 1)}, {fmt(ci[1], 1)}]",
            ]
        )
    lo, hi = sc["claim_bp_per_month"]
    return Table(
        "seed_claim",
        f"The seed's claim ({lo:g}-{hi:g} bp/month in contango-heavy months, a claim for unadjusted layers; "
        f"tested on {seed_layers(sc)}): {sc['verdict']}",
        ["months", "n", "mean bp/month", "median", "95% CI"],
        rows,
        note=f"{sc['definition']}; {sc['interval']}." + (f" {sc['note']}" if sc.get("note") else ""),
    )


def _regime_table(a: HedgeAnalysis) -> Table:
    rows = []
    for (reg, lab), r in a.regime_table.iterrows():
        rows.append(
            [
                f"{reg}={lab}" + (" *" if r["small_sample"] else ""),
                str(int(r["n_days"])),
                str(int(r["n_months"])),
                fmt(r["mean_daily_bp"], 2),
                f"[{fmt(r['ci95_lo_daily_bp'], 2)}, {fmt(r['ci95_hi_daily_bp'], 2)}]",
                fmt(r["bp_per_month_equiv"]),
                f"[{fmt(r['ci95_lo_month_equiv'])}, {fmt(r['ci95_hi_month_equiv'])}]",
            ]
        )
    return Table(
        "regime_table",
        "Hedge cost by regime (all layers)",
        ["regime=label", "days", "months", "bp/day", "95% CI (day)", "bp/month-equiv (x21)", "95% CI"],
        rows,
        note=f"bp of the {a.cost_summary.get('basis', 'basis')}; 95% intervals "
        "from a month-cluster bootstrap; * = too few days or months (docs/analytics.md).",
    )


def _trigger_table(res: BacktestResult) -> Table:
    log = res.rebalance_log
    cols = [c for c in ("date", "beta_short", "beta_long", "ratio", "contracts_traded", "cost") if c in log]
    rows = [
        [pd.Timestamp(v).strftime("%Y-%m-%d") if c == "date" else fmt(v, 2) for c, v in zip(cols, r, strict=True)]
        for r in log[cols].itertuples(index=False)
    ]
    return Table(
        "trigger_log",
        f"Trigger log: the {len(log)} rebalance firings",
        cols,
        rows,
        note="rebalance.csv; betas in $ of layer P&L per unit SPX return; cost in $.",
    )


def _steward_tables(a: HedgeAnalysis) -> list[Table]:
    irr = a.irr
    out = [
        Table(
            "irr",
            "Per-layer IRR of the trade cash flows",
            ["component", "IRR (%/yr)", "paid ($)", "received ($)", "note"],
            [
                [
                    str(k),
                    _pct(None if pd.isna(r["irr"]) else r["irr"] * 100.0),
                    fmt(r["paid"], 0),
                    fmt(r["received"], 0),
                    str(r["reason"]),
                ]
                for k, r in irr.iterrows()
            ],
            note=f"n = {len(irr)} components; annual IRR of each component's signed cash flows.",
        )
    ]
    if a.regression is not None:
        g = a.regression
        out.append(
            Table(
                "regression",
                "Regressions of each component's daily return",
                ["component", "alpha (annual)", "t", "beta SPX", "t", "beta VRP", "t", "R2", "n", "errors"],
                [
                    [
                        str(k),
                        fmt(r["alpha_annual"], 4),
                        fmt(r["t_alpha"], 2),
                        fmt(r["beta_spx"], 3),
                        fmt(r["t_spx"], 2),
                        fmt(r["beta_vrp"], 4),
                        fmt(r["t_vrp"], 2),
                        fmt(r["r2"], 3),
                        str(int(r["nobs"])),
                        str(r["cov_type"]),
                    ]
                    for k, r in g.iterrows()
                ],
                note="OLS with HAC standard errors (docs/analytics.md); n = days.",
            )
        )
    if a.break_even is not None:
        be = a.break_even
        out.append(
            Table(
                "break_even_table",
                "The core's break-evens while held, per IV shift",
                [
                    "IV shift",
                    "held days",
                    "with a zone",
                    "lower (% below spot) [days]",
                    "upper (% above spot) [days]",
                    "width (% of spot) [days]",
                    "narrowing (%) [days]",
                ],
                [
                    [
                        str(k),
                        f"{int(r['n_days']):,}",
                        f"{int(r['n_zone']):,}",
                        _with_n(r["mean_lower_pct_spot"], r.get("n_lower"), 2),
                        _with_n(r["mean_upper_pct_spot"], r.get("n_upper"), 2),
                        _with_n(r["mean_width_pct_spot"], r.get("n_bounded"), 2),
                        _with_n(r["mean_narrowing_pct"], r.get("n_narrowing"), 1),
                    ]
                    for k, r in be.iterrows()
                ],
                note="Held days: days the core condor has been held at least one day with a positive entry credit. "
                "Each mean is over its own days, in brackets: lower / upper over the days that break-even exists "
                "(a one-sided zone has one), width over the days with a zone bounded on both sides, narrowing "
                "(1 - width / unshifted width) over the days with a bounded unshifted zone, a zone that vanishes "
                "counting 100%. The width is thus a mean over the zones that survive the shift: it can rise "
                "while the narrowing rises (docs/analytics.md).",
            )
        )
    return out


def backtest_report(res: BacktestResult, market: Any, *, rules_text: str, data: str = "") -> Report:
    """The report of ``res`` (analysis attached) on ``market`` (the MarketData it ran on)."""
    a = res.analysis
    if not isinstance(a, HedgeAnalysis):
        raise InputError("a result without its analysis", argument="res", expected="a BacktestResult from alvh.run")
    md = res.metadata
    secs: list[Section] = [Section("Summary", [_summary_table(res), _pnl_table(res)])]
    if a.cost is not None:
        secs.append(Section("NAV and drawdowns", [bc.nav_chart(res, a)]))
        cost_items: list[Any] = [bc.cost_cumulative_chart(a), bc.cost_monthly_chart(a), _cost_table(a)]
        seed = _seed_table(a)
        secs.append(Section("What the hedge cost", cost_items + ([seed] if seed else [])))
        secs.append(Section("What the hedge bought", [bc.bought_chart(a), _bought_table(a)]))
    secs.append(Section("Regimes", [bc.regime_chart(res, a, market), _regime_table(a)]))
    if len(a.betas.columns) and "ratio_raw" in a.betas:
        secs.append(
            Section(
                "Rolling betas and the trigger", [bc.betas_chart(res, a), a.trigger["sentence"], _trigger_table(res)]
            )
        )
    if a.cost is not None:
        vega: list[Any] = [bc.vega_chart(a), bc.decay_chart(a)]
        ts = bc.term_structure_chart(res, a, market)
        secs.append(Section("Vega: hedge ratio, effective vega, decay, term structure", vega + ([ts] if ts else [])))
    secs.append(Section("The core", [bc.break_even_chart(res, market)]))
    secs.append(Section("Steward figures", list(_steward_tables(a))))
    if a.notes:
        secs.append(Section("Notes", [f"note: {n}" for n in a.notes]))
    meta = {
        "alvh version": md.get("alvh_version"),
        "config hash": md.get("config_hash"),
        "seed": md.get("seed"),
        "data span": f"{md.get('data_start')} .. {md.get('data_end')} ({md.get('n_days')} days)",
        "data": data,
        "capital": f"${res.capital:,.0f}",
        "reproduce": "alvh backtest --rules rules.toml --start {} --end {} --out DIR".format(
            md.get("data_start"), md.get("data_end")
        ),
        "rules_text": rules_text,
    }
    span = f"{md.get('data_start')} .. {md.get('data_end')}"
    return Report(f"alvh backtest {span}", "backtest", meta, secs, headline(res))
