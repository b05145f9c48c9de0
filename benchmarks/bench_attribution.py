"""Attribution and drag: speed against the engine, and the real-data monthly drag distribution.

Run:  .venv/bin/python benchmarks/bench_attribution.py [--paths 10000] [--days 252] [--skip-synthetic]

Prints
1. Real data 2006-2025, 4/4/2 VX futures layers: the time of attribution +
   drag + exposure next to the time of the run that produced the records, and
   the monthly drag distribution overall and in contango-heavy months (>= 80% of
   the month's days with front VX > VIX) next to the seed's 18-35 bp/month claim.
   The records come from the engine when ``alvh.engine`` provides a backtest,
   and always also from the *standalone ladder* below, an independent baseline
   written here with pandas/numpy only (no engine code).
2. Synthetic (n_days x n_paths) records shaped like the engine's 10,000-path run:
   attribution + drag + exposure time, and the ratio to the engine's time when the
   engine is available.
3. For the engine's real-data run (default rules) and its 10,000-path run: each part
   of the analytics timed on its own (attribute, effective_vega, compute_drag, tables,
   decay curves), and at the end an OVERHEAD summary: analytics time over the engine's
   time, both measured in this run (the issue's target: at most 50%).

Every number printed is computed in this run; nothing is asserted. The machine's
cores are shared: compare ratios within one run. The first analytics call of a
process also loads (or, after a source change, compiles) the numba kernels.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from alvh.analytics._attribution_checks import FLOAT_FIELDS
from alvh.analytics.attribution import attribute
from alvh.analytics.drag import (
    SEED_CLAIM_BP_PER_MONTH,
    compute_drag,
    contango_share,
    drag_distribution,
    drag_summary,
    layer_instruments,
)
from alvh.analytics.exposure import decay_curve, effective_vega
from alvh.engine.records import InstrumentKind, PositionRecords, SlotInfo

DATA = Path(os.environ.get("ALVH_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
CAPITAL = 1_000_000.0
VX_MULTIPLIER = 1000.0  # prices before 2007-03-26 are rescaled by 1/10 in the file, so 1000 holds throughout
#: (name, weight of capital in VX notional, roll when DTE < roll_below,
#:  enter the longest contract with DTE <= enter_max)
LADDER = (("short", 0.04, 5, 35), ("mid", 0.04, 30, 90), ("long", 0.02, 90, 180))


# ------------------------------------------------------------------ real data, read directly from the shared files
def load_real(start: str = "2006-01-03", end: str = "2025-06-18"):
    """Trading days with a VX curve, spot VIX close, and the (day x contract) settle and DTE panels."""
    vx = pd.read_csv(
        DATA / "vix_futures" / "vx_contracts_daily_2004_2025.csv.gz",
        usecols=["trade_date", "contract", "expiry", "settle", "dte_cal"],
    )
    vx = vx[(vx.trade_date >= start) & (vx.trade_date <= end)]
    vix = pd.read_csv(DATA / "vix_index" / "VIX_History.csv")
    vix.index = pd.to_datetime(vix["DATE"], format="%m/%d/%Y")
    dates = pd.DatetimeIndex(sorted(set(pd.to_datetime(vx.trade_date)) & set(vix.index)))
    settle = vx.pivot(index="trade_date", columns="expiry", values="settle")
    settle.index = pd.to_datetime(settle.index)
    settle = settle.reindex(dates)
    expiries = pd.to_datetime(settle.columns).to_numpy().astype("datetime64[D]")
    dte = (expiries[None, :] - dates.to_numpy().astype("datetime64[D]")[:, None]).astype(int)
    spot = vix["CLOSE"].reindex(dates).to_numpy(float)
    return dates, spot, settle.to_numpy(float), dte


def _curve_at(spot: float, settles: np.ndarray, dtes: np.ndarray, at_dte: float) -> float:
    """Linear interpolation of one day's curve in DTE, with spot VIX as the DTE-0 node."""
    ok = np.isfinite(settles) & (dtes > 0)
    x = np.r_[0.0, dtes[ok]]
    y = np.r_[spot, settles[ok]]
    order = np.argsort(x)
    return float(np.interp(at_dte, x[order], y[order]))


def ladder_records(dates, spot, settle, dte) -> tuple[PositionRecords, np.ndarray]:
    """Standalone 4/4/2 VX futures ladder (benchmark baseline, not the engine).

    Each layer holds one contract sized to ``weight x capital`` of VX notional
    at entry (fractional contracts), enters the longest listed contract with
    DTE <= enter_max (or, if none, the shortest with DTE >= roll_below), and
    rolls at the close when its DTE falls below roll_below or it settles. No
    costs. Returns the records (core absent) and the front VX settle per day.
    """
    n_days, n_layers = len(dates), len(LADDER)
    shape = (n_days, 1, n_layers)
    fields = {name: np.full(shape, np.nan) for name in FLOAT_FIELDS}
    kind = np.zeros(shape, dtype=np.int8)
    qty = np.zeros(shape)
    front = np.empty(n_days)
    for d in range(n_days):
        listed = np.isfinite(settle[d]) & (dte[d] > 0)
        front[d] = settle[d][listed][np.argmin(dte[d][listed])]
    held = [-1] * n_layers
    size = [0.0] * n_layers
    for d in range(n_days):
        for li, (_, weight, roll_below, enter_max) in enumerate(LADDER):
            c = held[li]
            if d > 0 and c >= 0:
                if not np.isfinite(settle[d, c]):
                    raise ValueError(f"held contract has no settle on {dates[d].date()}")
                f0, f1 = settle[d - 1, c], settle[d, c]
                roll = _curve_at(spot[d - 1], settle[d - 1], dte[d - 1], max(dte[d, c], 0))
                row = dict(
                    t_prev=dte[d - 1, c] / 365,
                    t_now=max(dte[d, c], 0) / 365,
                    underlying_prev=f0,
                    underlying_now=f1,
                    underlying_rolldown=roll if dte[d, c] > 0 else spot[d - 1],
                    price_prev=f0,
                    price_now=f1,
                    rate_prev=0.0,
                    div_prev=0.0,
                )
                for name, value in row.items():
                    fields[name][d, 0, li] = value
                kind[d, 0, li] = InstrumentKind.VX_FUTURE
                qty[d, 0, li] = size[li]
            if c < 0 or dte[d, c] < roll_below:
                listed = np.flatnonzero(np.isfinite(settle[d]) & (dte[d] >= max(roll_below, 1)))
                inside = listed[dte[d, listed] <= enter_max]
                # no contract inside the bucket (thin early curves, or a gap between months):
                # take the shortest one still above the roll threshold
                c_new = int(inside[-1]) if inside.size else int(listed[0])
                held[li] = c_new
                size[li] = weight * CAPITAL / (settle[d, c_new] * VX_MULTIPLIER)
    slots = SlotInfo(
        names=tuple(f"{n}.vx" for n, *_ in LADDER),
        component=tuple(n for n, *_ in LADDER),
        multiplier=np.full(n_layers, VX_MULTIPLIER),
    )
    return PositionRecords(slots=slots, kind=kind, quantity=qty, is_call=np.zeros(shape, bool), **fields), front


def empirical_sensitivity(dates, spot, settle, dte) -> callable:
    """dF/dVIX by DTE: OLS slope of daily settle changes on daily VIX changes per 15-day DTE bucket.

    A benchmark-side estimate used only for the maturity/decorrelation split
    until the market module's sensitivity is wired in.
    """
    d_f = settle[1:] - settle[:-1]
    d_v = (spot[1:] - spot[:-1])[:, None] * np.ones_like(d_f)
    dd = dte[1:]
    ok = np.isfinite(d_f) & (dd > 0)
    buckets = np.arange(0, 361, 15)
    slopes = []
    for lo in buckets[:-1]:
        m = ok & (dd >= lo) & (dd < lo + 15)
        x, y = d_v[m], d_f[m]
        slopes.append(float((x * y).sum() / (x * x).sum()) if m.sum() > 50 else np.nan)
    slopes = pd.Series(slopes).ffill().to_numpy()
    mids = buckets[:-1] + 7.5

    def sens(days: np.ndarray) -> np.ndarray:
        return np.interp(np.asarray(days, float), mids, slopes)

    sens.table = pd.Series(slopes, index=buckets[:-1], name="dF/dVIX")  # type: ignore[attr-defined]
    return sens


def analyse(records, dates, vix, front, sens):
    """Attribution + exposure + drag: the analytics this benchmark times."""
    att = attribute(records, capital=CAPITAL)
    ev = effective_vega(records, sens)
    drag = compute_drag(
        att,
        dates=dates,
        vix=vix,
        instruments=layer_instruments(records, att.groups[1:] if att.groups[0] == "core" else att.groups),
        effective_vega=ev.per_group,
    )
    share = contango_share(dates, front, vix)
    dist = drag_distribution(drag, share)
    return att, ev, drag, share, dist


def print_distribution(dist: pd.DataFrame, layers) -> None:
    lo, hi = SEED_CLAIM_BP_PER_MONTH
    print(f"  monthly drag, bp of capital (positive = cost); seed claim for contango-heavy months: {lo:g}-{hi:g}")
    cols = ["n_months", "mean", "q0.05", "q0.25", "q0.5", "q0.75", "q0.95"]
    for subset in ("all_months", "contango_heavy", "not_contango_heavy"):
        print(f"  [{subset}]")
        block = dist.loc[subset].loc[(list(layers) + ["all"], slice(None)), cols]
        print(block.round(1).to_string(max_rows=200).replace("\n", "\n    "))


def real_data_section() -> dict:
    t0 = time.perf_counter()
    dates, vix, settle, dte = load_real()
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    rec, front = ladder_records(dates, vix, settle, dte)
    t_ladder = time.perf_counter() - t0
    sens = empirical_sensitivity(dates, vix, settle, dte)
    t0 = time.perf_counter()
    att, ev, drag, share, dist = analyse(rec, dates, vix, front, sens)
    t_analytics = time.perf_counter() - t0
    print(
        f"REAL DATA {dates[0].date()} .. {dates[-1].date()}: {len(dates)} days, "
        f"{int((share >= 0.8).sum())}/{len(share)} months contango-heavy"
    )
    print(f"  standalone ladder (records, pure-python day loop): {t_ladder:.2f} s; load {t_load:.2f} s")
    print(
        f"  attribution + exposure + drag + distribution: {t_analytics:.3f} s "
        f"({t_analytics / t_ladder:.1%} of the ladder's time); sum error {att.sum_error():.2e} $"
    )
    print(
        "  dF/dVIX by DTE bucket (benchmark estimate):",
        ", ".join(f"{k}d {v:.2f}" for k, v in sens.table.items() if k in (0, 30, 60, 90, 150, 240)),
    )
    print_distribution(dist, drag.layers)
    summary = drag_summary(drag, contango=share)
    print(
        "  summary.json block:",
        summary["total_drag_bp_per_month"],
        summary["split_bp_per_month"],
        summary.get("correlation_split_bp_per_month"),
    )
    for layer in drag.layers:
        curve = decay_curve(rec, ev, layer, max_days=60)
        picks = [h for h in (0, 5, 10, 20, 40, 60) if h in curve.index]
        print(
            f"  decay {layer}: dV/dVIX per contract by days held "
            + ", ".join(f"{h}:{curve.loc[h, 'per_contract']:.2f}" for h in picks)
            + "; relative "
            + ", ".join(f"{h}:{curve.loc[h, 'relative']:.2f}" for h in picks)
        )
    return {"summary": summary, "dist": dist, "t_analytics": t_analytics}


# ------------------------------------------------------------------ synthetic records shaped like the 10,000-path run
def synthetic_records(n_days: int, n_paths: int, seed: int = 20261126) -> tuple[PositionRecords, np.ndarray]:
    """Vectorized random records: 4 SPX condor legs + 3 VX futures layers, marks from alvh.pricing."""
    from alvh import pricing

    rng = np.random.default_rng(np.random.SeedSequence(seed))
    n_slots = 7
    shape = (n_days, n_paths, n_slots)
    spot = 4000 * np.exp(np.cumsum(rng.normal(0, 0.011, (n_days + 1, n_paths)), axis=0))
    iv = np.clip(0.18 + np.cumsum(rng.normal(0, 0.007, (n_days + 1, n_paths)), axis=0), 0.08, 0.9)
    vix = 100 * iv[1:]
    day = np.arange(n_days)[:, None, None]
    age = day % 30
    t0 = np.broadcast_to((45 - age) / 365, shape).copy()
    t1 = t0 - 1 / 365
    k_rel = np.array([0.92, 0.88, 1.06, 1.10, np.nan, np.nan, np.nan])
    is_call = np.broadcast_to(np.array([0, 0, 1, 1, 0, 0, 0], bool), shape).copy()
    strike = np.broadcast_to(np.round(4000 * k_rel), shape).copy()
    s0 = np.broadcast_to(spot[:-1, :, None], shape).copy()
    s1 = np.broadcast_to(spot[1:, :, None], shape).copy()
    v0 = np.broadcast_to(iv[:-1, :, None], shape) + 0.02 * np.nan_to_num(1 - k_rel) * 10
    v1 = np.broadcast_to(iv[1:, :, None], shape) + 0.02 * np.nan_to_num(1 - k_rel) * 10
    kind = np.zeros(shape, np.int8)
    kind[..., :4] = InstrumentKind.SPX_OPTION
    kind[..., 4:] = InstrumentKind.VX_FUTURE
    qty = np.broadcast_to(np.array([-3, 3, -3, 3, 2, 2, 1], float), shape).copy()
    r = np.full(shape, 0.03)
    y = np.where(kind == InstrumentKind.SPX_OPTION, 0.015, 0.0)
    p0 = np.asarray(pricing.bsm_price(s0, strike, t0, v0, r, y, is_call, validate=False))
    p1 = np.asarray(pricing.bsm_price(s1, strike, t1, v1, r, y, is_call, validate=False))
    # futures: layer DTEs 25/75/140 ageing, a contango slope, beta-damped VIX moves
    dte0 = np.array([25, 75, 140])[None, None, :] - (day % 20)
    slope = 0.04
    beta = np.exp(-dte0 / 60)
    f0 = vix[:, :, None] - np.r_[np.zeros((1, n_paths)), np.diff(vix, axis=0)][:, :, None] + slope * dte0
    froll = f0 - slope
    f1 = (
        froll
        + beta * np.r_[np.zeros((1, n_paths)), np.diff(vix, axis=0)][:, :, None]
        + rng.normal(0, 0.15, (n_days, n_paths, 3))
    )
    for _name, arr, fut in (
        ("t0", t0, dte0 / 365),
        ("t1", t1, (dte0 - 1) / 365),
        ("s0", s0, f0),
        ("s1", s1, f1),
        ("p0", p0, f0),
        ("p1", p1, f1),
    ):
        arr[..., 4:] = fut
    ur = s0.copy()
    ur[..., 4:] = froll
    v0 = np.where(kind == InstrumentKind.SPX_OPTION, v0, np.nan)
    v1 = np.where(kind == InstrumentKind.SPX_OPTION, v1, np.nan)
    qty[0] = 0.0
    slots = SlotInfo(
        names=("sp", "lp", "sc", "lc", "short.vx", "mid.vx", "long.vx"),
        component=("core",) * 4 + ("short", "mid", "long"),
        multiplier=np.array([100.0] * 4 + [1000.0] * 3),
    )
    rec = PositionRecords(
        slots=slots,
        kind=kind,
        quantity=qty,
        is_call=is_call,
        strike=strike,
        t_prev=t0,
        t_now=t1,
        underlying_prev=s0,
        underlying_now=s1,
        underlying_rolldown=ur,
        vol_prev=v0,
        vol_now=v1,
        rate_prev=r,
        div_prev=y,
        price_prev=p0,
        price_now=p1,
    )
    front = vix + 1.0
    return rec, front


def synthetic_section(n_days: int, n_paths: int) -> float:
    t0 = time.perf_counter()
    rec, front = synthetic_records(n_days, n_paths)
    t_build = time.perf_counter() - t0
    dates = pd.bdate_range("2030-01-02", periods=n_days)
    vix = np.asarray(front - 1.0)
    t0 = time.perf_counter()
    att = attribute(rec, capital=CAPITAL)
    t_att = time.perf_counter() - t0
    t0 = time.perf_counter()
    ev = effective_vega(rec, lambda d: np.exp(-np.asarray(d, float) / 60))
    drag = compute_drag(att, dates=dates, vix=vix, effective_vega=ev.per_group)
    share = contango_share(dates, front[:, 0], vix[:, 0])
    drag_distribution(drag, share)
    drag_summary(drag, contango=share)
    t_drag = time.perf_counter() - t0
    print(
        f"SYNTHETIC {n_days} days x {n_paths} paths x 7 slots: build {t_build:.2f} s, "
        f"attribution {t_att:.2f} s, exposure+drag+distribution {t_drag:.2f} s, "
        f"total analytics {t_att + t_drag:.2f} s; sum error {att.sum_error():.2e} $"
    )
    return t_att + t_drag


# ------------------------------------------------------------------ the engine's runs
REAL_IMPORTS = (
    ("spx", "spx/SPX_daily.csv"),
    ("vix", "vix_index/VIX_History.csv"),
    ("vvix", "vix_index/VVIX_History.csv"),
    ("vx", "vix_futures/vx_contracts_daily_2004_2025.csv.gz"),
)


def _group_costs(result, groups) -> np.ndarray:
    """The engine's costs (positive = paid) as signed P&L in the attribution's group order."""
    index = {c: k for k, c in enumerate(result.components)}
    return np.stack([-result.costs[..., index[g]] for g in groups], axis=-1)


def nav_prev_close(result) -> np.ndarray:
    """(n_days, n_paths) NAV at the previous close (the starting capital on day 0): the bp denominator."""
    nav = np.asarray(result.nav, dtype=float)
    return np.concatenate([np.full((1, nav.shape[1]), float(result.capital)), nav[:-1]], axis=0)


def engine_analytics(result, *, vix, front_vx, sensitivity, capital=None, estimate=None, rows=None):
    """The analytics on the engine's output: drag_analysis (attribution, exposure, the spot-VIX
    diagnostic) and the hedge cost headline (decomposition, summary, monthly table, what it buys).

    With ``estimate`` (an :class:`alvh.analytics.sensitivity.ExpandingDfdvix`, real data) dF/dVIX is the
    no-look-ahead estimate at each previous close (as ``analyze`` uses); else ``sensitivity``.
    Returns ``(drag_analysis output, HedgeCost, hedge-cost summary)``.
    """
    from alvh.analytics import hedge_cost as hcm
    from alvh.analytics.attribution import slot_groups
    from alvh.analytics.drag import drag_analysis
    from alvh.analytics.sensitivity import records_sensitivity

    groups, _ = slot_groups(result.records)
    nav_prev = nav_prev_close(result)
    cap = nav_prev if capital is None else capital
    if estimate is not None:
        sensitivity = records_sensitivity(result.records, estimate=estimate, rows=rows)
    out = drag_analysis(
        result.records,
        dates=result.dates,
        capital=cap,
        vix=vix,
        front_vx=front_vx,
        cost_pnl=_group_costs(result, groups),
        financing_pnl=result.financing,
        sensitivity=sensitivity,
    )
    hc = hcm.hedge_cost(
        out.attribution,
        out.exposure.per_group,
        dates=result.dates,
        vix=vix,
        capital=float(result.capital),
        nav_prev=nav_prev,
        instruments=out.drag.instruments,
    )
    summary = hcm.hedge_cost_summary(hc)
    hcm.monthly_table(hc)
    summary["what_it_buys"] = hcm.what_it_buys(hc)
    return out, hc, summary


def analytics_breakdown(result, *, vix, front_vx, sensitivity) -> dict[str, float]:
    """Seconds of each part of :func:`engine_analytics`, each call timed on its own.

    The same calls, arguments and order as ``alvh.analytics.drag.drag_analysis`` (run once more
    after the timed ``engine_analytics``, so the compiled kernels are loaded).
    """
    from alvh.analytics.attribution import slot_groups
    from alvh.analytics.drag import NON_LAYER_GROUPS, monthly_drag_table

    parts: dict[str, float] = {}

    def timed(name, fn, *args, **kwargs):
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        parts[name] = parts.get(name, 0.0) + time.perf_counter() - t0
        return out

    rec = result.records
    groups, _ = slot_groups(rec)
    att = timed(
        "attribute",
        attribute,
        rec,
        capital=nav_prev_close(result),
        cost_pnl=_group_costs(result, groups),
        financing_pnl=result.financing,
        trust_marks=True,
    )
    layers = tuple(g for g in att.groups if g not in NON_LAYER_GROUPS)
    ev = timed("effective_vega", effective_vega, rec, sensitivity)
    instruments = timed("drag: layer_instruments", layer_instruments, rec, layers)
    drag = timed(
        "drag: compute_drag",
        compute_drag,
        att,
        dates=result.dates,
        vix=vix,
        instruments=instruments,
        effective_vega=ev.per_group,
    )
    share = (
        None
        if front_vx is None
        else timed(
            "drag: contango_share",
            contango_share,
            drag.dates,
            front_vx,
            np.asarray(vix, float) if np.ndim(vix) == 1 else vix[:, 0],
        )
    )
    timed(
        "drag: summary + monthly table",
        lambda: (drag_summary(drag, contango=share), monthly_drag_table(drag, contango=share)),
    )
    if share is not None:
        timed("drag: distribution", drag_distribution, drag, share)
    timed("attribution.totals(bp)", att.totals, "bp")
    for layer in layers:
        timed("decay_curve", decay_curve, rec, ev, layer)
    return parts


def print_breakdown(parts: dict[str, float], t_engine: float) -> None:
    total = sum(parts.values())
    print(
        f"  where the analytics time goes (each part timed alone, sum {total:.2f} s = {total / t_engine:.1%} "
        "of the engine): " + ", ".join(f"{k} {v:.2f} s" for k, v in parts.items())
    )


def _variants(rules):
    """(label, rules) pairs: the default rules, and the seed's unadjusted layers with futures and with calls."""
    unadjusted = rules.model_copy(
        update={
            "rebalance": rules.rebalance.model_copy(update={"enabled": False}),
            "adaptive": rules.adaptive.model_copy(update={"enabled": False}),
        }
    )
    calls = unadjusted.model_copy(
        update={"layers": [la.model_copy(update={"instrument": "vix_call"}) for la in unadjusted.layers]}
    )
    return (
        ("default rules (beta-ratio rebalance on)", rules),
        ("unadjusted futures layers", unadjusted),
        ("unadjusted VIX-call layers", calls),
    )


def engine_real_section(start: str = "2006-01-03", end: str = "2025-06-18", variants: str = "all") -> dict:
    import tempfile

    from alvh.config import default_rules
    from alvh.data import MarketData
    from alvh.data.store import Store
    from alvh.engine import paths_from_market_data, run_engine

    with tempfile.TemporaryDirectory() as tmp:
        with Store.open(tmp) as store:
            for kind, rel in REAL_IMPORTS:
                store.import_files(kind, [DATA / rel])
        full = MarketData.from_store(tmp)  # the whole VX history (from 2004) feeds the expanding dF/dVIX
        md = full.slice(start, end)
    paths = paths_from_market_data(md)
    vix = paths.vix_close[:, 0]
    front = md.vx.front(min_dte=1)["settle"].to_numpy()
    from alvh.market.vx import effective_vega_history, estimate_effective_vega

    # the market module's dF/dVIX by DTE (OLS of daily settle changes on VIX changes per bucket, whole run:
    # look-ahead; printed for comparison) and the analytics' no-look-ahead expanding estimate (used)
    table = estimate_effective_vega(md.vx, vix)
    sens = effective_vega_history(table)
    print(
        "ENGINE: whole-run dF/dVIX from alvh.market.vx.estimate_effective_vega (for comparison): "
        + ", ".join(f"{k} {b:.2f}" for k, b in table["beta"].items())
    )
    from alvh.analytics.sensitivity import expanding_dfdvix

    est = expanding_dfdvix(full.vx.settle, full.vx.dte, full.vix["close"].to_numpy(float), full.dates)
    rows = full.dates.get_indexer(md.dates)
    chosen = _variants(default_rules())
    if variants == "default":
        chosen = chosen[:1]
    overhead = {}
    for label, rules in chosen:
        t0 = time.perf_counter()
        result = run_engine(rules, paths)
        t_engine = time.perf_counter() - t0
        t0 = time.perf_counter()
        out, hc, hsum = engine_analytics(result, vix=vix, front_vx=front, sensitivity=sens, estimate=est, rows=rows)
        t_analytics = time.perf_counter() - t0
        att = out.attribution
        fixed, _, _ = engine_analytics(result, vix=vix, front_vx=front, sensitivity=sens, capital=result.capital)
        print(
            f"ENGINE REAL DATA {md.dates[0].date()} .. {md.dates[-1].date()}, {label} "
            f"(layers: {', '.join(f'{la.name} {la.weight:.0%} {la.instrument}' for la in rules.layers)}; core on)"
        )
        print(
            f"  engine {t_engine:.2f} s; attribution+exposure+hedge cost+diagnostic+tables {t_analytics:.2f} s "
            f"= {t_analytics / t_engine:.1%} of the engine (target <= 30%); sum error {att.sum_error():.2e} $"
        )
        bought = hsum["what_it_buys"]
        print(
            f"  HEDGE COST: {hsum['total_bp_per_month']:.2f} bp/month of the {hsum['basis']} = "
            + " + ".join(f"{k} {v:.2f}" for k, v in hsum["split_bp_per_month"].items())
            + f"; decomposition max error {hsum['decomposition_max_error_bp']:.1e} bp; max drawdown core "
            f"{bought['core_alone']['max_drawdown_pct']:.1f}% -> with layers "
            f"{bought['core_plus_layers']['max_drawdown_pct']:.1f}%, "
            f"ES95 {bought['core_alone']['es95_monthly_pct']:.2f}%"
            f" -> {bought['core_plus_layers']['es95_monthly_pct']:.2f}%"
        )
        overhead[label] = (t_engine, t_analytics)
        if label == chosen[0][0]:
            print_breakdown(analytics_breakdown(result, vix=vix, front_vx=front, sensitivity=sens), t_engine)
        engine_total = result.pnl.sum() - result.costs.sum() + result.financing.sum()
        print(f"  attribution total {att.total.sum():,.2f} $ vs engine P&L - costs + financing {engine_total:,.2f} $")
        residual = np.abs(att.term("residual")).sum(axis=(0, 1))
        explained = sum(np.abs(att.term(t)).sum(axis=(0, 1)) for t in ("delta", "gamma", "vega", "theta", "carry"))
        print(
            "  |residual| / |delta+gamma+vega+theta+carry| by group: "
            + ", ".join(f"{g} {r / e:.2%}" for g, r, e in zip(att.groups, residual, explained, strict=True) if e > 0)
        )
        print("  whole-run attribution, bp (sum of daily bp of the previous close's NAV):")
        print("    " + att.totals("bp").round(1).to_string().replace("\n", "\n    "))
        print_distribution(out.distribution, out.drag.layers)
        summ = out.summary
        print(
            f"  headline: total drag {summ['total_drag_bp_per_month']:.1f} bp/month "
            f"({summ['instruments']}); split { ({k: round(v, 1) for k, v in summ['split_bp_per_month'].items()}) }; "
            f"correlation = { ({k: round(v, 1) for k, v in summ.get('correlation_split_bp_per_month', {}).items()}) }"
        )
        print(
            f"  (bp of the NAV at the previous close; NAV {result.nav[0, 0]:,.0f} -> {result.nav[-1, 0]:,.0f} $. "
            f"In bp of the fixed starting capital instead: total {fixed.summary['total_drag_bp_per_month']:.1f} "
            f"bp/month, contango-heavy median "
            f"{fixed.summary['monthly_total_drag_bp']['contango_heavy']['median']:.1f})"
        )
        legs = compute_drag(att, dates=result.dates, vix=vix, core_vol="legs")
        dcore = att.core_iv_change[:, 0]
        held = np.isfinite(dcore)
        print(
            f"  core vol source: spot VIX (default). With the core legs' own IV changes instead: total drag "
            f"{drag_summary(legs)['total_drag_bp_per_month']:.1f} bp/month; legs' IV change mean "
            f"{dcore[held].mean():+.3f} pts/day vs VIX {np.diff(vix, prepend=vix[0])[held].mean():+.3f}, "
            f"correlation {np.corrcoef(dcore[held], np.diff(vix, prepend=vix[0])[held])[0, 1]:.2f}"
        )
        ch = summ["monthly_total_drag_bp"]["contango_heavy"]
        print(
            f"  contango-heavy months: n {ch['n_months']}, mean {ch['mean']:.1f}, median {ch['median']:.1f}, "
            f"5-95% {ch['q05']:.1f}..{ch['q95']:.1f} bp/month; seed claim {SEED_CLAIM_BP_PER_MONTH}"
        )
        for layer in out.drag.layers:
            curve = out.decay[layer]
            picks = [h for h in (0, 5, 10, 20, 40, 60) if h in curve.index]
            print(
                f"  decay {layer}: effective vega $/VIX pt by days held "
                + ", ".join(f"{h}:{curve.loc[h, 'effective_vega']:,.0f}" for h in picks)
                + "; relative "
                + ", ".join(f"{h}:{curve.loc[h, 'relative']:.2f}" for h in picks)
            )
    return overhead


def engine_synthetic_section(n_days: int, n_paths: int) -> tuple[float, float]:
    from alvh.config import default_rules
    from alvh.engine import run_engine
    from alvh.simulate import synthetic_paths

    t0 = time.perf_counter()
    paths = synthetic_paths(n_paths, n_days, seed=7)
    t_paths = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = run_engine(default_rules(), paths)
    t_engine = time.perf_counter() - t0
    # dF/dVIX by DTE: the paths' own (the market model's, when the engine provides it)
    sens = getattr(paths, "sensitivity", None)
    if sens is None:
        kappa = paths.kappa

        def sens(dte):
            return np.exp(-kappa * np.asarray(dte, float) / 365.0)

    times = []
    out = None
    for _ in range(2):  # the first call also loads (or compiles) the numba kernel
        out = hc = hsum = None  # free the previous call's arrays first: each call runs as it would alone
        t0 = time.perf_counter()
        out, hc, hsum = engine_analytics(result, vix=paths.vix_close, front_vx=None, sensitivity=sens)
        times.append(time.perf_counter() - t0)
    print(
        f"ENGINE SYNTHETIC {n_days} days x {n_paths} paths (default rules): paths {t_paths:.2f} s, "
        f"engine {t_engine:.2f} s, analytics first call {times[0]:.2f} s = {times[0] / t_engine:.1%}, "
        f"second call {times[1]:.2f} s = {times[1] / t_engine:.1%} of the engine (target <= 30%; "
        f"attribution backend {out.attribution.meta['backend']}); sum error {out.attribution.sum_error():.2e} $; "
        f"hedge cost {hsum['total_bp_per_month']:.1f} bp/month of the initial capital (decomposition max error "
        f"{hsum['decomposition_max_error_bp']:.1e} bp); diagnostic {out.summary['total_drag_bp_per_month']:.1f}"
    )
    del out, hc, hsum  # the breakdown runs without the last call's arrays held, like the calls above
    print_breakdown(analytics_breakdown(result, vix=paths.vix_close, front_vx=None, sensitivity=sens), t_engine)
    return t_engine, times[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=252)
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--skip-real", action="store_true")
    parser.add_argument(
        "--records-only",
        action="store_true",
        help="synthetic: time the analytics on benchmark-built records (no engine run)",
    )
    parser.add_argument("--skip-engine", action="store_true")
    parser.add_argument("--variants", choices=("all", "default"), default="all")
    args = parser.parse_args(argv)
    overhead: dict[str, tuple[float, float]] = {}
    if not args.skip_real:
        real_data_section()
        if not args.skip_engine:
            for label, times in engine_real_section(variants=args.variants).items():
                overhead[f"real data 2006-2025, {label}"] = times
    if not args.skip_synthetic:
        if args.records_only or args.skip_engine:
            synthetic_section(args.days, args.paths)
        else:
            overhead[f"synthetic {args.days} days x {args.paths} paths (second call)"] = engine_synthetic_section(
                args.days, args.paths
            )
    if overhead:
        print(
            "OVERHEAD (attribution + exposure + hedge cost + diagnostic + tables, over the engine's time in the same "
            "run; target <= 30%)"
        )
        for label, (t_engine, t_analytics) in overhead.items():
            print(f"  {label}: engine {t_engine:.2f} s, analytics {t_analytics:.2f} s = {t_analytics / t_engine:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
