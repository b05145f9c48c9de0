"""The peer of ``alvh backtest``: the same job written the way a user would, a pandas loop over days.

An SPX iron condor entered on each month's third Friday (30-day target, short strikes at 20 delta,
long wings at 5 delta, strikes on a 5-point grid, sized so the wider wing risks 10% of NAV), marked
every day with scalar Black-Scholes (scipy.stats.norm, flat vol = VIX/100, r 2%, q 1.5%) and held to
expiry; plus the 4/4/2 hedge in VX futures: 4% of NAV in the farthest contract with 0-30 days to
expiry, 4% in 30-90 days, 2% in 90-180 days (notional weights), rolled into the farthest eligible
contract when a layer's contract leaves its window, marked at Cboe settlements; a rebalance rule
that refits 90-day betas of the short and long layers' daily P&L on VIX changes (``np.polyfit`` per
day) and restores the weights when their ratio exceeds 1.4 (21-day cooldown). Costs: SPX $0.50 half
spread and $1 per leg, VX $2 and one $0.05 tick per contract. The rules are alvh's shipped defaults
(``alvh rules init``); the pricing and the loop are deliberately plain (what benchmarks/bench_cli.py
compares against, as a whole process). It reads the shared CSVs directly.

Usage: ``python benchmarks/peer_pandas_loop.py [--start 2006-01-03] [--end 2025-06-18] [--out DIR]``
Prints the final NAV, the P&L by component and the hedge drag in bp of capital per month.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CAPITAL = 10_000_000.0
R, Q = 0.02, 0.015
LAYERS = (("short", 0.04, 0, 30), ("medium", 0.04, 30, 90), ("long", 0.02, 90, 180))


def bs(spot: float, strike: float, t: float, vol: float, call: bool) -> float:
    """Scalar Black-Scholes-Merton price (index points)."""
    if t <= 0:
        return max(spot - strike, 0.0) if call else max(strike - spot, 0.0)
    sd = vol * math.sqrt(t)
    d1 = (math.log(spot / strike) + (R - Q + 0.5 * vol * vol) * t) / sd
    d2 = d1 - sd
    if call:
        return spot * math.exp(-Q * t) * norm.cdf(d1) - strike * math.exp(-R * t) * norm.cdf(d2)
    return strike * math.exp(-R * t) * norm.cdf(-d2) - spot * math.exp(-Q * t) * norm.cdf(-d1)


def strike_for_delta(spot: float, t: float, vol: float, delta: float, call: bool) -> float:
    """The strike whose BSM delta is ``delta`` (calls) or ``-delta`` (puts), on the 5-point grid."""
    sd = vol * math.sqrt(t)
    d1 = norm.ppf(delta * math.exp(Q * t)) if call else -norm.ppf(delta * math.exp(Q * t))
    k = spot * math.exp(-(d1 * sd) + (R - Q + 0.5 * vol * vol) * t)
    return round(k / 5.0) * 5.0


def third_friday(year: int, month: int) -> pd.Timestamp:
    first = pd.Timestamp(year, month, 1)
    return first + pd.Timedelta(days=(4 - first.weekday()) % 7 + 14)


def load(start: str, end: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    spx = pd.read_csv(SHARED / "spx" / "SPX_daily.csv", parse_dates=["Date"]).set_index("Date")
    vix = pd.read_csv(SHARED / "vix_index" / "VIX_History.csv")
    vix["DATE"] = pd.to_datetime(vix["DATE"], format="%m/%d/%Y")
    vix = vix.set_index("DATE")
    days = pd.DataFrame({"spx": spx["Close"], "vix": vix["CLOSE"]}).dropna().loc[start:end]
    vx = pd.read_csv(
        SHARED / "vix_futures" / "vx_contracts_daily_2004_2025.csv.gz", parse_dates=["trade_date", "expiry"]
    )
    vx = vx[(vx["trade_date"] >= days.index[0]) & (vx["trade_date"] <= days.index[-1]) & (vx["settle"] > 0)]
    return days, vx


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--start", default="2006-01-03")
    ap.add_argument("--end", default="2025-06-18")
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    days, vx = load(a.start, a.end)
    by_day = {d: g for d, g in vx.groupby("trade_date")}

    cash = CAPITAL
    condor = None  # dict: expiry, legs [(strike, call, qty)] with qty < 0 short
    hold = {name: None for name, *_ in LAYERS}  # name -> (contract, qty)
    last_settle: dict[str, float] = {}
    pnl = {"core": 0.0, "short": 0.0, "medium": 0.0, "long": 0.0}
    costs = {"core": 0.0, "short": 0.0, "medium": 0.0, "long": 0.0}
    layer_daily = {name: [] for name, *_ in LAYERS}
    vix_changes: list[float] = []
    navs = []
    cooldown = 0
    prev_vix = None
    prev_core_value = 0.0
    entered = None  # (year, month) of the last entry
    for day, row in days.iterrows():
        spot, vol = float(row["spx"]), float(row["vix"]) / 100.0
        quotes = by_day.get(day)
        settle = {} if quotes is None else dict(zip(quotes["contract"], quotes["settle"], strict=True))
        expiry = {} if quotes is None else dict(zip(quotes["contract"], quotes["expiry"], strict=True))
        nav_before = cash + prev_core_value  # futures are marked to cash every day (variation margin)
        # ---- VX layers: mark, then roll or size
        for name, weight, lo, hi in LAYERS:
            h = hold[name]
            day_pnl = 0.0
            if h is not None and h[0] in settle:
                c, qty = h
                day_pnl = qty * (settle[c] - last_settle[c]) * 1000.0
                cash += day_pnl
                pnl[name] += day_pnl
                last_settle[c] = settle[c]
            layer_daily[name].append(day_pnl)
            dte = None if h is None or h[0] not in expiry else (expiry[h[0]] - day).days
            if settle and (h is None or dte is None or not lo <= dte <= hi):
                elig = [(expiry[c], c) for c in settle if lo <= (expiry[c] - day).days <= hi]
                if elig:
                    _, c = max(elig)
                    qty = round(weight * nav_before / (settle[c] * 1000.0))
                    traded = abs(qty) + (abs(h[1]) if h is not None else 0)
                    fee = traded * (2.0 + 0.05 * 1000.0)
                    cash -= fee
                    costs[name] += fee
                    pnl[name] -= fee
                    hold[name] = (c, qty)
                    last_settle[c] = settle[c]
        # ---- rebalance: rolling betas of the short and long layers on VIX changes, refit every day
        vix_changes.append(0.0 if prev_vix is None else float(row["vix"]) - prev_vix)
        prev_vix = float(row["vix"])
        cooldown = max(cooldown - 1, 0)
        if len(vix_changes) >= 90 and cooldown == 0:
            x = np.array(vix_changes[-90:])
            b_short = np.polyfit(x, np.array(layer_daily["short"][-90:]), 1)[0]
            b_long = np.polyfit(x, np.array(layer_daily["long"][-90:]), 1)[0]
            if abs(b_long) > 1e-9 and abs(b_short / b_long) > 1.4 and settle:
                for name, weight, _, _ in LAYERS:
                    h = hold[name]
                    if h is not None and h[0] in settle:
                        qty = round(weight * nav_before / (settle[h[0]] * 1000.0))
                        fee = abs(qty - h[1]) * (2.0 + 0.05 * 1000.0)
                        cash -= fee
                        costs[name] += fee
                        pnl[name] -= fee
                        hold[name] = (h[0], qty)
                cooldown = 21
        # ---- core iron condor: expire, enter on the third Friday, mark
        if condor is not None and day >= condor["expiry"]:
            value = sum(q * bs(spot, k, 0.0, vol, c) * 100.0 for k, c, q in condor["legs"])
            cash += value
            condor = None
        if condor is None and day >= third_friday(day.year, day.month) and entered != (day.year, day.month):
            exp = third_friday(day.year + (day.month == 12), day.month % 12 + 1)
            t = (exp - day).days / 365.0
            sp = strike_for_delta(spot, t, vol, 0.20, False)
            sc = strike_for_delta(spot, t, vol, 0.20, True)
            lp = min(strike_for_delta(spot, t, vol, 0.05, False), sp - 5.0)
            lc = max(strike_for_delta(spot, t, vol, 0.05, True), sc + 5.0)
            credit = (
                bs(spot, sp, t, vol, False)
                + bs(spot, sc, t, vol, True)
                - bs(spot, lp, t, vol, False)
                - bs(spot, lc, t, vol, True)
            )
            risk = (max(sp - lp, lc - sc) - credit) * 100.0
            n = math.floor(0.10 * (cash + prev_core_value) / risk) if risk > 0 else 0
            if n > 0:
                legs = [(sp, False, -n), (sc, True, -n), (lp, False, n), (lc, True, n)]
                cash -= sum(q * bs(spot, k, t, vol, c) * 100.0 for k, c, q in legs)
                fee = 4 * n * (0.5 * 100.0 + 1.0)
                cash -= fee
                costs["core"] += fee
                condor = {"expiry": exp, "legs": legs}
            entered = (day.year, day.month)
        t = 0.0 if condor is None else max((condor["expiry"] - day).days, 0) / 365.0
        core_value = 0.0 if condor is None else sum(q * bs(spot, k, t, vol, c) * 100.0 for k, c, q in condor["legs"])
        prev_core_value = core_value
        navs.append(cash + core_value)

    nav = pd.Series(navs, index=days.index, name="nav")
    months = len(nav) / 21.0
    hedge = sum(pnl[name] for name, *_ in LAYERS)
    pnl["core"] = float(nav.iloc[-1] - CAPITAL - hedge)
    summary = {
        "start": str(nav.index[0].date()),
        "end": str(nav.index[-1].date()),
        "final_nav": float(nav.iloc[-1]),
        "total_return": float(nav.iloc[-1] / CAPITAL - 1),
        "max_drawdown": float((nav / nav.cummax() - 1).min()),
        "component_pnl_net": pnl,
        "component_costs": costs,
        "hedge_drag_bp_per_month": float(-hedge / CAPITAL * 1e4 / months),
    }
    if a.out is not None:
        a.out.mkdir(parents=True, exist_ok=True)
        nav.to_frame().to_parquet(a.out / "daily.parquet")
        (a.out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    print(
        f"peer {summary['start']} .. {summary['end']}: final NAV {summary['final_nav']:,.0f}  "
        f"total return {summary['total_return']:.2%}  max drawdown {summary['max_drawdown']:.2%}"
    )
    print("P&L by component ($): " + ", ".join(f"{k} {v:,.0f}" for k, v in pnl.items()))
    print(f"hedge drag {summary['hedge_drag_bp_per_month']:.1f} bp of capital per month")


if __name__ == "__main__":
    main()
