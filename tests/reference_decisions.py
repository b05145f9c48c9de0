"""Slow, obviously correct reference of WHEN the engine trades, derived from the rules and the market alone.

One path at a time, one day at a time, plain Python loops over the rules as docs/engine.md and
docs/rules.md state them. It reads only ``alvh.config.Rules``, the market (``MarketPaths``: dates,
SPX/VIX, VX settlements and expiries) and, for the rebalance regression only, the sizes of the hedge
positions from the engine's public ledger (a layer's size depends on NAV, which this reference does
not rebuild: the decisions it checks are when a layer rolls, into which contract, when it is resized,
and when the rebalance fires, never how many contracts). It imports nothing from alvh.engine or
alvh.strategy, so it survives any re-organisation of the engine's internals.

What it derives (per path):

* **Core** (``entry = "third_friday"`` or ``"target_dte"``): SPX monthly expiries are the third
  Fridays (the Thursday before when that Friday is not a trading day, e.g. Good Friday 2014-04-18 ->
  04-17); an expiry settles on the first trading day on or after it (AM settlement). ``third_friday``:
  on each settlement day, when flat, open the condor on the next monthly expiry after today.
  ``target_dte``: whenever flat, the expiry whose calendar DTE is closest to ``target_dte`` (the
  earlier on a tie). Strikes: by delta (the fixed point on the market's SPX smile,
  ``MarketPaths.surface``) or by width, rounded to the increment. Exits: take profit / stop on the
  buy-back cost (legs marked with scalar Black-Scholes-Merton at that smile's vol) against the entry
  credit, and ``close_at_dte`` (DTE <= N).
* **Layers** (VX futures): on each day, a held contract settles on the first trading day on or after
  its expiry (reason ``expiry``); a layer is due when flat or when the held contract's DTE is below
  ``min_dte``; it rolls (``roll``, or ``entry`` the first time) into the listed contract with the
  largest (``far_end``) or smallest (``near_end``) DTE inside ``[min_dte, max_dte]``, never one
  expiring that day, else the nearest listed one above the bucket; when the adaptive total weight
  (the schedule on the VIX close, ``upper`` inclusive) changes, a held layer that is not rolling is
  resized (``adaptive``), and a weight of 0 opens nothing. With ``roll.rolldown_above`` a held layer
  also rolls when its future's drop over the last day along yesterday's curve (``(F_{d-1} -
  F_rolldown) / F_{d-1}``, the roll-down below) exceeds it. Each roll carries its reason (``why``:
  ``dte``, ``rolldown``, ``expired`` after a settlement, ``flat`` otherwise), as trades.csv's
  ``roll_reason``.
* **Rebalance**: each day, each compared layer's vega P&L over the holding period
  ``q x 1000 x (F_now - F_rolldown)`` (F_now the settlement, the VIX open on the contract's settlement
  day; F_rolldown yesterday's curve, VIX close at DTE 0 and the listed VX, linear in DTE, at today's
  DTE; 0 when the layer is flat; undefined on the first day) regressed on the SPX close-to-close
  return over the last ``window`` days (``numpy.polyfit`` per window, at least ``min_nobs``
  observations); a beta is undefined when the window correlation is at most ``BETA_TOL`` or ``y`` is
  constant; the rule fires when ``|beta_short| / |beta_long| > threshold``, both layers are held after
  the day's layer rules, and ``cooldown_days`` trading days have passed since the last firing.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

#: A beta is undefined below this window correlation (docs/analytics.md 1.2; written here, not imported).
BETA_TOL = 1e-6
VX_MULT = 1000.0


def third_fridays(first: dt.date, last: dt.date) -> list[dt.date]:
    """Third Friday of every month from ``first``'s month to ``last``'s month."""
    out = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        d1 = dt.date(y, m, 1)
        out.append(d1 + dt.timedelta(days=(4 - d1.weekday()) % 7 + 14))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def spx_monthly_expiries(dates: list[dt.date]) -> list[dt.date]:
    """Monthly SPX expiries over the run (and 800 days after it), holiday Fridays moved to the day before."""
    trading = set(dates)
    out = []
    for f in third_fridays(dates[0], dates[-1] + dt.timedelta(days=800)):
        e = f
        if dates[0] <= f <= dates[-1] and f not in trading:
            e = f - dt.timedelta(days=1)  # Cboe: an exchange-holiday Friday expires the business day before
        out.append(e)
    return out


def settle_index(dates: list[dt.date], day: dt.date) -> int:
    """Index of the first trading day on or after ``day`` (len(dates) if after the run)."""
    for i, d in enumerate(dates):
        if d >= day:
            return i
    return len(dates)


_NORM = NormalDist()
_LEGS = (("long_put", False, 1.0), ("short_put", False, -1.0), ("short_call", True, -1.0), ("long_call", True, 1.0))


def smile_iv(surface, d: int, p: int, k: float, t: float) -> float:
    """The market input's SPX smile (``MarketPaths.surface``) of day d, path p at log-moneyness k, t years.

    The smile is market data here, not re-derived (tests/test_engine.py's slow reference writes the
    smile model out): this reference checks the decision logic built on it.
    """
    return float(np.asarray(surface.day(d).iv(np.full((surface.theta30.shape[1], 1), k), t))[p, 0])


def _cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def bsm(s: float, k: float, t: float, vol: float, r: float, q: float, call: bool) -> float:
    """Black-Scholes-Merton price (Hull eq. 15.20), ``math.erf`` normal CDF."""
    sd = vol * math.sqrt(t)
    d1 = (math.log(s / k) + (r - q) * t + 0.5 * sd * sd) / sd
    d2 = d1 - sd
    c = s * math.exp(-q * t) * _cdf(d1) - k * math.exp(-r * t) * _cdf(d2)
    return c if call else c - s * math.exp(-q * t) + k * math.exp(-r * t)


def _rate(rules, mp, i: int) -> float:
    return float(rules.general.constant_rate) if rules.general.rate_source == "constant" else float(mp.rate[i])


def leg_mark(rules, mp, i: int, p: int, k: float, t: float, call: bool) -> float:
    """Close mark of one SPX leg with t > 0 years left: BSM at the smile vol of its log-moneyness."""
    r, q = _rate(rules, mp, i), rules.core.dividend_yield
    s = float(mp.spx_close[i, p])
    f = s * math.exp((r - q) * t)
    return bsm(s, k, t, smile_iv(mp.surface, i, p, math.log(k / f), t), r, q, call)


def core_strikes(rules, mp, i: int, p: int, t: float) -> tuple[float, float, float, float]:
    """The condor's strikes (long put, short put, short call, long call) entered at day i's close (scalar loop).

    ``delta``: for each leg the fixed point ``K <- F exp(-sigma(K) sqrt(t) N^-1(delta_c) + sigma(K)^2 t / 2)``
    (forward delta; ``delta_c = delta`` for calls, ``1 - |delta|`` for puts), six steps from K = F, rounded
    to the increment; ``width``: spot -/+ offsets rounded, wings at the widths. A wing that rounds onto
    its short moves one increment out.
    """
    c = rules.core
    inc = c.strike_increment
    s = float(mp.spx_close[i, p])
    if c.strike_mode == "width":
        sp = round((s - c.short_put_offset) / inc) * inc
        sc = round((s + c.short_call_offset) / inc) * inc
        raw = [sp - c.put_wing_width, sp, sc, sc + c.call_wing_width]
    else:
        f = s * math.exp((_rate(rules, mp, i) - c.dividend_yield) * t)
        targets = (c.long_put_delta, c.short_put_delta, c.short_call_delta, c.long_call_delta)
        raw = []
        for (_, call, _), delta in zip(_LEGS, targets, strict=True):
            dc = delta if call else 1.0 - delta
            k = f
            for _ in range(6):
                vol = smile_iv(mp.surface, i, p, math.log(k / f), t)
                sd = vol * math.sqrt(t)
                k = f * math.exp(-sd * _NORM.inv_cdf(dc) + 0.5 * sd * sd)
            raw.append(k)
    lp, sp, sc, lc = (round(k / inc) * inc for k in raw)
    return min(lp, sp - inc), sp, sc, max(lc, sc + inc)


@dataclass
class _Layer:
    contract: int = -1
    held: bool = False
    ever_held: bool = False
    settled: bool = False  # the last contract held settled (a later roll's reason is "expired", else "flat")


def _schedule_weight(rules, level: float) -> float:
    for step in rules.adaptive.schedule:
        if step.upper is None or level <= step.upper:
            return float(step.weight)
    raise AssertionError("schedule without an open-ended last step")


def _bucket_target(layer, dte: list[int], listed: list[bool]) -> int:
    inside = [c for c in range(len(dte)) if listed[c] and dte[c] > 0 and layer.min_dte <= dte[c] <= layer.max_dte]
    if inside:
        key = (lambda c: dte[c]) if layer.roll.into == "far_end" else (lambda c: -dte[c])
        return max(inside, key=key)  # ties: the first contract (the engine's argmax/argmin order)
    above = [c for c in range(len(dte)) if listed[c] and dte[c] > layer.max_dte]
    return min(above, key=lambda c: dte[c]) if above else -1


def derive(rules, mp, trades: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The decisions of ``rules`` on ``mp`` for every path: ``core``, ``layers`` and ``rebalance`` frames.

    ``trades`` (the engine's ledger) is read only for the hedge positions' sizes in the rebalance
    regression; without it the rebalance frame is empty.
    """
    dates = [pd.Timestamp(x).date() for x in mp.dates]
    n, n_paths = len(dates), mp.spx_close.shape[1]
    vx_exp = [pd.Timestamp(x).date() for x in mp.vx_expiry]
    codes = list(mp.vx_codes)
    n_c = len(vx_exp)
    dte = [[(e - d).days for e in vx_exp] for d in dates]
    listed = [[bool(np.isfinite(mp.vx_price[i, 0, c])) for c in range(n_c)] for i in range(n)]
    vx_settle = [settle_index(dates, e) for e in vx_exp]
    spx_exp = spx_monthly_expiries(dates)
    spx_settle_days = {settle_index(dates, e) for e in spx_exp}
    core_rows, layer_rows, reb_rows, strike_rows = [], [], [], []
    layers = list(rules.layers)
    targets = [[_bucket_target(la, dte[i], listed[i]) for i in range(n)] for la in layers]
    base = sum(la.weight for la in layers)
    reb = rules.rebalance
    names = [la.name for la in layers]
    do_reb = trades is not None and reb.enabled and len(layers) >= 2
    if do_reb:
        js, jl = names.index(reb.short_layer), names.index(reb.long_layer)
    for p in range(n_paths):
        # ------------------------------------------------------------ core
        core_exp: dt.date | None = None
        strikes: tuple[float, float, float, float] = (math.nan,) * 4
        credit = math.nan
        ex = rules.core.exits
        for i, d in enumerate(dates):
            if core_exp is not None and core_exp <= d:
                core_rows.append((d, p, "expiry", core_exp))
                core_exp = None
            if core_exp is not None:
                t = (core_exp - d).days / 365.0
                hit = ex.close_at_dte is not None and (core_exp - d).days <= ex.close_at_dte
                if ex.take_profit or ex.stop_loss:
                    marks = [
                        leg_mark(rules, mp, i, p, k, t, call) for k, (_, call, _) in zip(strikes, _LEGS, strict=True)
                    ]
                    buy_back = marks[1] + marks[2] - marks[0] - marks[3]  # points per condor
                    hit |= bool(ex.take_profit) and buy_back <= (1.0 - ex.take_profit) * credit
                    hit |= bool(ex.stop_loss) and buy_back >= ex.stop_loss * credit
                if hit:
                    core_rows.append((d, p, "exit", core_exp))
                    core_exp = None
            if not rules.core.enabled or core_exp is not None:
                continue
            later = [e for e in spx_exp if e > d]
            if rules.core.entry == "third_friday":
                if i not in spx_settle_days or not later:
                    continue
                core_exp = later[0]
            else:
                if not later:
                    continue
                core_exp = min(later, key=lambda e: (abs((e - d).days - rules.core.target_dte), e))
            t = (core_exp - d).days / 365.0
            strikes = core_strikes(rules, mp, i, p, t)
            marks = [leg_mark(rules, mp, i, p, k, t, call) for k, (_, call, _) in zip(strikes, _LEGS, strict=True)]
            credit = marks[1] + marks[2] - marks[0] - marks[3]
            core_rows.append((d, p, "entry", core_exp))
            strike_rows.append((d, p, *strikes))
        # ------------------------------------------------------------ layers and rebalance inputs
        state = [_Layer() for _ in layers]
        prev_scale = math.nan
        held_after = np.zeros((n, len(layers)), dtype=bool)
        contract_held = np.full((n, len(layers)), -1)  # contract held over (d-1, d] (before day d's rules)
        for i, d in enumerate(dates):
            for j in range(len(layers)):
                contract_held[i, j] = state[j].contract if state[j].held else -1
            # settlement of expiring contracts
            for j, st in enumerate(state):
                if st.held and vx_settle[st.contract] <= i:
                    layer_rows.append((d, p, layers[j].name, "expiry", codes[st.contract], ""))
                    st.held, st.settled = False, True
            if rules.adaptive.enabled:
                assert rules.adaptive.basis == "vix", "reference: adaptive basis 'vix' only"
                scale = _schedule_weight(rules, float(mp.vix_close[i, p])) / base
            else:
                scale = 1.0
            changed = not math.isnan(prev_scale) and scale != prev_scale
            prev_scale = scale
            for j, (la, st) in enumerate(zip(layers, state, strict=True)):
                assert la.instrument == "vx_future", "reference: VX-futures layers only"
                why = _roll_why(la, st, mp, i, p, dte, listed)
                roll = why != ""
                resize = st.held and not roll and changed
                c_new = targets[j][i]
                if (roll or resize) and c_new >= 0:
                    if roll:
                        if st.held:
                            layer_rows.append((d, p, la.name, "roll_close", codes[st.contract], why))
                            st.held = False
                        if la.weight * scale > 0:
                            first = not st.ever_held
                            row = (d, p, la.name, "entry" if first else "roll", codes[c_new], "" if first else why)
                            layer_rows.append(row)
                            st.contract, st.held, st.ever_held, st.settled = c_new, True, True, False
                    elif resize:
                        layer_rows.append((d, p, la.name, "adaptive", codes[st.contract], ""))
                        if la.weight * scale <= 0:
                            st.held, st.settled = False, False
                held_after[i, j] = st.held
        if do_reb:
            reb_rows += _rebalance_path(
                rules, mp, trades, p, dates, dte, listed, vx_settle, contract_held, held_after, (js, jl), names
            )
    return {
        "core": pd.DataFrame(core_rows, columns=["date", "path", "reason", "expiry"]),
        "layers": pd.DataFrame(layer_rows, columns=["date", "path", "layer", "reason", "contract", "why"]),
        "rebalance": pd.DataFrame(reb_rows, columns=["date", "path", "ratio"]),
        "strikes": pd.DataFrame(strike_rows, columns=["date", "path", *(leg for leg, _, _ in _LEGS)]),
    }


def _roll_why(la, st: _Layer, mp, i: int, p: int, dte, listed) -> str:
    """Why the layer rolls today ("" = it does not): flat (``expired`` after a settlement, else ``flat``), the
    held contract's DTE below ``min_dte`` (``dte``), or ``roll.rolldown_above``: the held future's drop over the
    last day along yesterday's curve, ``(F_{i-1} - F_rolldown) / F_{i-1}``, above the threshold (``rolldown``)."""
    if not st.held:
        return "expired" if st.settled else "flat"
    c = st.contract
    if dte[i][c] < la.min_dte:
        return "dte"
    thr = la.roll.rolldown_above
    if thr is not None and i > 0:
        f0 = float(mp.vx_price[i - 1, p, c])
        rd = _rolldown(mp, i, p, c, dte[i][c], dte, listed)
        if math.isfinite(rd) and f0 > 0 and (f0 - rd) / f0 > thr:
            return "rolldown"
    return ""


def _rolldown(mp, i: int, p: int, c: int, tau_now: int, dte, listed) -> float:
    """Yesterday's curve (VIX close at DTE 0, every listed VX with DTE > 0) linear in DTE, at ``tau_now``."""
    pts = [(0.0, float(mp.vix_close[i - 1, p]))]
    pts += [
        (float(dte[i - 1][k]), float(mp.vx_price[i - 1, p, k]))
        for k in range(len(dte[i - 1]))
        if listed[i - 1][k] and dte[i - 1][k] > 0
    ]
    pts.sort()
    hi = next((pt for pt in pts if pt[0] > tau_now), None)
    lo = max((pt for pt in pts if pt[0] <= tau_now), default=pts[0])
    if hi is None or not listed[i - 1][c]:
        return math.nan
    return lo[1] + (hi[1] - lo[1]) * (tau_now - lo[0]) / (hi[0] - lo[0])


def _rebalance_path(
    rules, mp, trades, p, dates, dte, listed, vx_settle, contract_held, held_after, pair, names
) -> list[tuple]:
    reb = rules.rebalance
    n = len(dates)
    # size held over (d-1, d] per compared layer: the ledger's position at the end of day d-1
    tp = trades[trades["path"] == p]
    qty = np.zeros((n, 2))
    day_of = {d: i for i, d in enumerate(dates)}
    for k, j in enumerate(pair):
        rows = tp[tp["slot"] == f"{names[j]}.contract"]
        pos = np.zeros(n)
        for r in rows.itertuples():
            pos[day_of[pd.Timestamp(r.date).date()]] += r.quantity
        qty[1:, k] = np.cumsum(pos)[:-1]
    y = np.full((n, 2), np.nan)
    last_mark = np.full(2, np.nan)
    for i in range(1, n):
        for k, j in enumerate(pair):
            c = int(contract_held[i, j])
            if c < 0 or qty[i, k] == 0:
                y[i, k] = 0.0
                continue
            f = _settlement(mp, i, p, c) if vx_settle[c] <= i else float(mp.vx_price[i, p, c])
            f_prev = float(mp.vx_price[i - 1, p, c]) if listed[i - 1][c] else last_mark[k]
            if not math.isfinite(f):
                f = f_prev  # no settlement today: the position keeps its last mark
            rd = _rolldown(mp, i, p, c, dte[i][c], dte, listed)
            if not math.isfinite(rd):
                rd = f_prev
            y[i, k] = qty[i, k] * VX_MULT * (f - rd)
            last_mark[k] = f
    close = mp.spx_close[:, p]
    x = np.concatenate([[np.nan], close[1:] / close[:-1] - 1.0])
    out = []
    cooldown = 0
    for i in range(n):
        lo = max(0, i - reb.window + 1)
        betas = []
        for k in range(2):
            yy, xx = y[lo : i + 1, k], x[lo : i + 1]
            ok = np.isfinite(yy) & np.isfinite(xx)
            if ok.sum() < reb.min_nobs or np.ptp(yy[ok]) == 0 or np.ptp(xx[ok]) == 0:
                betas.append(math.nan)
                continue
            b = float(np.polyfit(xx[ok], yy[ok], 1)[0])
            corr = abs(float(np.corrcoef(xx[ok], yy[ok])[0, 1]))
            betas.append(b if corr > BETA_TOL else math.nan)
        ratio = abs(betas[0]) / abs(betas[1]) if all(math.isfinite(b) for b in betas) else math.nan
        both = bool(held_after[i, pair[0]] and held_after[i, pair[1]])
        fire = math.isfinite(ratio) and ratio > reb.threshold and cooldown <= 0 and both
        cooldown -= 1
        if fire:
            cooldown = reb.cooldown_days
            out.append((dates[i], p, ratio))
    return out


def engine_decisions(res) -> dict[str, pd.DataFrame]:
    """The same three frames from an engine result's public trades and rebalance log."""
    tr = res.trades.copy()
    tr["date"] = pd.to_datetime(tr["date"]).dt.date
    core = tr[tr["slot"] == "core.short_put"]
    core = pd.DataFrame(
        {
            "date": core["date"],
            "path": core["path"],
            "reason": core["reason"],
            "expiry": pd.to_datetime(core["expiry"]).dt.date,
        }
    )
    lay = tr[tr["component"] != "core"]
    lay = lay[lay["reason"].isin(["entry", "roll", "expiry", "adaptive"]) & lay["slot"].str.endswith(".contract")]
    reason = np.where((lay["reason"] == "roll") & (lay["quantity"] < 0), "roll_close", lay["reason"])
    layers = pd.DataFrame(
        {
            "date": lay["date"],
            "path": lay["path"],
            "layer": lay["slot"].str[: -len(".contract")],
            "reason": reason,
            "contract": lay["contract"],
            "why": lay["roll_reason"],
        }
    )
    rl = res.rebalance_log
    reb = pd.DataFrame({"date": pd.to_datetime(rl["date"]).dt.date, "path": rl["path"], "ratio": rl["ratio"]})
    ent = tr[(tr["component"] == "core") & (tr["reason"] == "entry")]
    strikes = ent.pivot_table(index=["date", "path"], columns="slot", values="strike", aggfunc="first")
    strikes = strikes.rename(columns=lambda c: c.split(".", 1)[1]).reset_index()[
        ["date", "path", *(leg for leg, _, _ in _LEGS)]
    ]
    return {"core": core, "layers": layers, "rebalance": reb, "strikes": strikes}


def compare(ref: dict[str, pd.DataFrame], eng: dict[str, pd.DataFrame]) -> list[str]:
    """Differences between two sets of decisions, as readable lines (empty when they agree)."""
    out = []
    for key in ("core", "layers", "rebalance", "strikes"):
        cols = [c for c in ref[key].columns if c != "ratio"]
        a = ref[key][cols].astype(str).sort_values(cols).drop_duplicates()
        b = eng[key][cols].astype(str).sort_values(cols).drop_duplicates()
        m = a.merge(b, how="outer", indicator=True)
        bad = m[m["_merge"] != "both"]
        side = {"left_only": "reference only", "right_only": "engine only"}
        out += [
            f"{key}: {side[str(row.pop('_merge'))]}: " + " ".join(f"{c}={v}" for c, v in row.items())
            for row in bad.to_dict("records")
        ]
    return out


# ---------------------------------------------------------------- mutations the reference must catch
#: (name, regex over the source of alvh.engine.* / alvh.strategy.*, replacement, frame that must differ).
#: "late_roll": the layer roll trigger as the engine writes it ("the held contract's DTE is below
#: min_dte"), ``< la.min_dte`` / ``< layer.min_dte`` (not the bucket test, ``>= ... min_dte``), made
#: 3 days late. "long_cooldown": one more day of rebalance cooldown (the engine reads it per path from
#: ``st.ax``, alvh.strategy.axis). "strict_dte_exit": the DTE exit
#: at ``DTE < N`` instead of ``DTE <= N``.
MUTATIONS: tuple[tuple[str, str, str, str], ...] = (
    ("late_roll", r"<\s*(la|layer|lay)\.min_dte\b", r"< (\1.min_dte - 3)", "layers"),
    ("long_cooldown", r"\b(rb|reb|rebalance|ax)\.cooldown_days\b", r"(\1.cooldown_days + 1)", "rebalance"),
    ("strict_dte_exit", r"<=\s*(ex|exits)\.close_at_dte\b", r"< \1.close_at_dte", "core"),
    # issue 10.4: the roll-down trigger at twice its threshold
    ("lazy_rolldown", r">\s*(la|layer|lay)\.roll\.rolldown_above\b", r"> 2 * \1.roll.rolldown_above", "layers"),
)


def mutated_source(module, pattern: str, repl: str) -> tuple[str, int]:
    """``module``'s source with ``pattern`` replaced by ``repl``, and the number of replacements."""
    import inspect
    import re

    return re.subn(pattern, repl, inspect.getsource(module))


def _settlement(mp, i: int, p: int, c: int) -> float:  # noqa: ANN001
    """Cboe's final settlement value (SOQ) of contract c where the data has it, else the VIX open of day i."""
    final = None if mp.vx_final is None else float(mp.vx_final[c])
    return final if final is not None and math.isfinite(final) else float(mp.vix_open[i, p])
