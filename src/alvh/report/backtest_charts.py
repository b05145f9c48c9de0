"""The charts of a backtest report, each from the result objects (no figure computed twice).

Every series comes from :class:`~alvh.results.BacktestResult` and its :class:`~alvh.analytics.HedgeAnalysis`
(the hedge cost's daily decomposition, the rolling betas, the regime labels, the decay curves), except the
VX curves and SPX closes of the market data the run traded (the same ``MarketData`` the analysis reads).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from alvh.analytics.hedge_cost import (
    CORE_BOOKS,
    CORE_LABELS,
    TERM_LABELS,
    TERMS,
    against_core_daily,
    core_and_hedged_usd,
    drawdown_pct,
)
from alvh.analytics.regimes import front_second
from alvh.report.model import Chart, Series, VBand, clean_floats

if TYPE_CHECKING:
    from alvh.analytics import HedgeAnalysis
    from alvh.results import BacktestResult

SEED_BAND_BP = (18.0, 35.0)  # the seed's claim, bp of capital per month in contango-heavy months
BACKWARDATION = "#d62728"
BEARISH = "#7f7f7f"
CORE, HEDGED = "#1f77b4", "#ff7f0e"  # the core alone and core + hedge, the same on every chart
N_CURVE = 8  # monthly VX contracts drawn on a term-structure snapshot


def _x(dates: pd.DatetimeIndex) -> list[str]:
    """ISO dates (vectorized: a per-day strftime cost 0.8 s of the 2006-2025 report)."""
    return np.datetime_as_string(np.asarray(dates.values, dtype="datetime64[D]")).tolist()


def runs(dates: pd.DatetimeIndex, mask: np.ndarray, label: str, color: str, panel: int | None = None) -> list[VBand]:
    """Shaded bands over the runs of consecutive True days of ``mask`` (first day .. last day)."""
    m = np.asarray(mask, dtype=bool)
    if not m.any():
        return []
    edges = np.diff(np.r_[0, m.astype(np.int8), 0])
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    x = _x(dates)
    return [VBand(x[s], x[e], label, color, panel) for s, e in zip(starts, ends, strict=True)]


def backwardation_bands(a: HedgeAnalysis, panel: int | None = None) -> list[VBand]:
    lab = a.labels["front_state"].astype(str).to_numpy() if "front_state" in a.labels else np.array([])
    return runs(a.labels.index, lab == "backwardation", "front VX below VIX (backwardation)", BACKWARDATION, panel)


def nav_chart(res: BacktestResult, a: HedgeAnalysis) -> Chart:
    hc = a.cost
    assert hc is not None  # the caller builds the cost charts only for a run with layers
    cap = hc.initial_capital
    core, hedged = core_and_hedged_usd(hc)
    nav_core, nav_hedged = cap + np.cumsum(core[:, 0]), cap + np.cumsum(hedged[:, 0])
    x = _x(hc.dates)
    name = CORE_LABELS[hc.core_book]
    return Chart(
        "nav",
        f"NAV: {name} against core + hedge, with drawdowns",
        [
            Series(name, x, clean_floats(nav_core), color=CORE),
            Series("core + hedge", x, clean_floats(nav_hedged), color=HEDGED),
            Series(f"{name} drawdown", x, clean_floats(drawdown_pct(core, cap)[:, 0]), "area", 1, CORE),
            Series("core + hedge drawdown", x, clean_floats(drawdown_pct(hedged, cap)[:, 0]), "area", 1, HEDGED),
        ],
        panels=["NAV ($)", "drawdown (% from peak)"],
        vbands=backwardation_bands(a),
        note=f"Both books from ${cap:,.0f} in one engine call; {name}: {CORE_BOOKS[hc.core_book]} "
        "(docs/drag.md, 'What the hedge buys'). Shaded: days the front VX future is below VIX.",
    )


def cost_cumulative_chart(a: HedgeAnalysis) -> Chart:
    hc = a.cost
    assert hc is not None
    x = _x(hc.dates)
    bp = hc.cost_bp("total")[:, 0, :]  # (days, layers)
    series = [Series(f"{layer}", x, clean_floats(np.cumsum(bp[:, j]))) for j, layer in enumerate(hc.layers)]
    series.append(Series("all layers", x, clean_floats(np.cumsum(bp.sum(axis=1))), color="#000000"))
    return Chart(
        "cost_cumulative",
        f"Hedge cost per layer, cumulative (bp of the {hc.basis_label})",
        series,
        panels=["cumulative hedge cost (bp)"],
        vbands=backwardation_bands(a),
        note="Minus the layers' total P&L (marks + costs + cash interest), summed from the first day; rising = the "
        "hedge costs money, falling = it pays. Shaded: backwardation.",
    )


def cost_monthly_chart(a: HedgeAnalysis) -> Chart:
    m = a.monthly
    allm = m[m["layer"] == "all"]
    months = allm["month"].astype(str).tolist()
    series = [
        Series(TERM_LABELS.get(term, term), months, clean_floats(allm[f"{term}_bp"]), "bar", 0, stack=True)
        for term in TERMS
    ]
    series.append(Series("total", months, clean_floats(allm["total_bp"]), "markers", 0, color="#000000"))
    layers = [lay for lay in pd.unique(m["layer"]) if lay != "all"]
    for layer in layers:
        sub = m[m["layer"] == layer].set_index("month")["total_bp"].reindex(allm["month"])
        series.append(Series(f"{layer} total", months, clean_floats(sub), "bar", 1, stack=True))
    lo, hi = SEED_BAND_BP
    n = len(months)
    return Chart(
        "cost_monthly",
        f"Hedge cost by month (bp of the {a.cost_summary.get('basis', 'basis')}): all layers split into its parts, "
        "and per layer",
        series,
        panels=["all layers, by part (bp)", "by layer (bp)"],
        x_kind="category",
        hbands=[(lo, hi, f"seed's claim {lo:g}-{hi:g} bp/month", 0)],
        note=f"{n} calendar months; bp of the {a.cost_summary.get('basis', 'basis')} per month. The green band is "
        "the seed's 18-35 bp/month claim for contango-heavy months (tested with an interval in the table below).",
    )


def bought_chart(a: HedgeAnalysis) -> Chart:
    b = a.bought or {}
    worst = b.get("core_worst_months", [])
    months = [w["month"] for w in worst]
    return Chart(
        "bought",
        "What the hedge bought: the core's worst months and what the layers made in them (bp)",
        [
            Series("core", months, clean_floats([w["core_bp"] for w in worst]), "bar"),
            Series("layers", months, clean_floats([w["layers_bp"] for w in worst]), "bar"),
        ],
        panels=["bp of the initial capital"],
        x_kind="category",
        note=f"The core's {len(worst)} worst full calendar months (>= 15 trading days), worst first; the layers' "
        "P&L in the same months (positive = the hedge paid).",
    )


def regime_chart(res: BacktestResult, a: HedgeAnalysis, market: Any) -> Chart:
    dates = a.labels.index
    x = _x(dates)
    vix = market.vix["close"].reindex(dates).to_numpy(dtype=float)
    spx = market.spx["close"].reindex(dates).to_numpy(dtype=float)
    macd = a.labels["macd_state"].astype(str).to_numpy() if "macd_state" in a.labels else np.array([])
    return Chart(
        "regimes",
        "Regimes: VX term structure (contango/backwardation) and MACD state",
        [Series("VIX close", x, clean_floats(vix)), Series("SPX close", x, clean_floats(spx), panel=1)],
        panels=["VIX (index points)", "SPX"],
        vbands=backwardation_bands(a, panel=0) + runs(dates, macd == "bearish", "MACD bearish", BEARISH, 1),
        note="Top: red = front VX below VIX (backwardation). Bottom: grey = MACD bearish "
        "(docs/analytics.md section 2: labels from data up to each day only).",
    )


def betas_chart(res: BacktestResult, a: HedgeAnalysis) -> Chart:
    b = a.betas
    x = _x(b.index)
    layers = [c[len("beta_") :] for c in b.columns if c.startswith("beta_") and not c.endswith("_norm")]
    series = [Series(f"beta {layer}", x, clean_floats(b[f"beta_{layer}"])) for layer in layers]
    series.append(Series("ratio (raw)", x, clean_floats(b["ratio_raw"]), panel=1, color="#000000"))
    log = res.rebalance_log
    fired = pd.to_datetime(log["date"]) if len(log) else pd.DatetimeIndex([])
    series.append(
        Series("trigger fired", _x(pd.DatetimeIndex(fired)), clean_floats(log["ratio"]), "markers", 1, "#d62728")
    )
    t = a.trigger
    thr = float(t.get("threshold", np.nan))
    return Chart(
        "betas",
        f"Rolling {t.get('window', '')}-day betas of each layer, their ratio, and the trigger's firings",
        series,
        panels=[
            "beta ($ of layer P&L per unit SPX return)",
            f"|beta {t.get('short_layer')}| / |beta {t.get('long_layer')}|",
        ],
        hlines=[(thr, f"threshold {thr:g}", 1)] if np.isfinite(thr) else [],
        vbands=backwardation_bands(a, panel=0),
        note=f"Betas of each layer's daily P&L on {', '.join(t.get('regressors', []))} over a {t.get('window')}-day "
        f"window (min {t.get('min_nobs')} observations). Triangles: the {len(log)} days the engine fired the "
        "rebalance (rebalance.csv).",
    )


def vega_chart(a: HedgeAnalysis) -> Chart:
    hc = a.cost
    assert hc is not None
    x = _x(hc.dates)
    d = against_core_daily(hc)
    series = [Series("hedge ratio", x, clean_floats(d["hedge_ratio"][:, 0]), color="#000000")]
    series += [
        Series(f"{layer} effective vega", x, clean_floats(hc.effective_vega[:, 0, j]), panel=1)
        for j, layer in enumerate(hc.layers)
    ]
    series.append(Series("|core vega|", x, clean_floats(np.abs(hc.core_vega[:, 0])), panel=1, dash=True))
    return Chart(
        "vega",
        "Realized vega hedge ratio and the layers' effective vega",
        series,
        panels=["layers' effective vega / |core vega| (log)", "$ per VIX point (core: $ per vol point)"],
        vbands=backwardation_bands(a),
        log_panels=[0],
        note="Effective vega = position x dF/dVIX x multiplier (docs/drag.md); the ratio spikes where the core is "
        "nearly flat (between condors).",
    )


def decay_chart(a: HedgeAnalysis) -> Chart:
    series = []
    for layer, curve in a.drag.decay.items():
        series.append(
            Series(
                layer,
                [int(i) for i in curve.index],
                clean_floats(curve["relative"]),
                text=[f"n={int(n)} cycles" for n in curve["n_obs"]],
            )
        )
    return Chart(
        "decay",
        "Decay curves: each layer's effective vega relative to its first day in a roll cycle",
        series,
        panels=["effective vega / first day's"],
        x_kind="number",
        x_title="days held in the cycle",
        note="Mean over roll cycles (n per point in the hover); fewer cycles reach the longer holding times.",
    )


def term_structure_chart(res: BacktestResult, a: HedgeAnalysis, market: Any) -> Chart | None:
    """VX curves on the calmest (lowest VIX), most inverted (front above second) and latest day, contracts held."""
    from alvh.calendar import vx_expiries_between
    from alvh.market import VXCurve

    dates = res.dates
    rows = market.dates.get_indexer(dates)
    days = market.dates.values.astype("datetime64[D]")
    expiry = vx_expiries_between(market.dates[0], market.dates[-1] + pd.Timedelta(days=31 * (N_CURVE + 2)))
    # the first expiry on or after each day (expiry is sorted and runs N_CURVE + 2 months past the last day),
    # then the next N_CURVE: dte per (day, contract) without the (days x expiries) table
    first = np.searchsorted(expiry, days, side="left")
    dte = (expiry[first[:, None] + np.arange(N_CURVE)[None, :]] - days[:, None]).astype(np.int64)
    if market.vx is not None:
        settle = np.asarray(market.vx.settle, dtype=float)[rows]
        vx_dte = np.asarray(market.vx.dte)[rows]
        front, second = front_second(settle, vx_dte, min_dte=1)
    else:
        price = VXCurve.from_market(market).price(dte.astype(float)).reshape(len(days), N_CURVE)[rows]
        front, second = front_second(price, dte[rows], min_dte=1)
    vix = market.vix["close"].to_numpy(dtype=float)[rows]
    spread = front - second
    if not np.isfinite(spread).any():
        return None
    picks = {
        "calmest (lowest VIX)": int(np.nanargmin(vix)),
        "most inverted (front - second VX largest)": int(np.nanargmax(spread)),
        "latest": len(dates) - 1,
    }
    rec = res.records
    vx_slots = [j for j, c in enumerate(rec.slots.component) if c != "core"]
    series: list[Series] = []
    for k, (what, i) in enumerate(picks.items()):
        day = dates[i].strftime("%Y-%m-%d")
        color = ("#2ca02c", "#d62728", "#1f77b4")[k]
        if market.vx is not None:
            cur = market.vx.curve(dates[i])
            xs, ys = cur["dte"].astype(int).tolist(), cur["settle"].astype(float).tolist()
        else:
            xs, ys = dte[rows[i]].tolist(), price[i].tolist()
        series.append(Series(f"{day} {what}", [0, *xs], clean_floats([vix[i], *ys]), color=color))
        held = [j for j in vx_slots if rec.quantity[i, 0, j] != 0]
        hx = [float(rec.t_now[i, 0, j] * 365.0) for j in held]
        hy = [float(rec.underlying_now[i, 0, j]) for j in held]
        text = [f"{rec.slots.names[j]} x {rec.quantity[i, 0, j]:g}" for j in held]
        series.append(Series(f"{day} contracts held", hx, clean_floats(hy), "markers", color=color, text=text))
    src = "settlements" if market.vx is not None else "the model VX curve the layers traded (no VX settlements)"
    return Chart(
        "term_structure",
        "VX term structure on chosen days, with the contracts held",
        series,
        panels=["VX (index points); dte 0 = spot VIX"],
        x_kind="number",
        x_title="calendar days to expiry",
        note=f"Curves from {src}; triangles: the layers' contracts held that day (hover: slot and quantity).",
    )


def break_even_chart(res: BacktestResult, market: Any) -> Chart:
    x = _x(res.dates)
    spx = market.spx["close"].reindex(res.dates).to_numpy(dtype=float)
    be = res.break_evens[:, 0, :]
    return Chart(
        "break_even",
        "The core condor's break-evens at expiry against SPX",
        [
            Series("SPX close", x, clean_floats(spx), color="#000000"),
            Series("lower break-even", x, clean_floats(be[:, 0]), color="#d62728"),
            Series("upper break-even", x, clean_floats(be[:, 1]), color="#2ca02c"),
        ],
        panels=["SPX points"],
        note="Root-found where the condor's P&L at expiry crosses zero (gaps: no condor held, or a side without a "
        "break-even).",
    )
