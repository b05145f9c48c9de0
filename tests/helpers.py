"""Shared test helpers: slow scalar references, synthetic records, QuantLib oracles.

The one module test files share (a test module never imports another test module). Every
reference here is written independently of alvh's kernels (``math`` closed forms, QuantLib).
Units as alvh.pricing: vega per vol point, theta per calendar day, vanna per vol point,
volga per vol point squared.

* ``bsm_scalar`` / ``black76_scalar``: textbook Black-Scholes-Merton and Black-76, one option at a
  time, all greeks (tests/test_pricing.py, tests/test_pricing_iv.py).
* ``ref_bsm`` / ``ref_black76`` / ``intrinsic``: the attribution reference's closed forms.
* ``make_records`` / ``single_record``: synthetic, internally consistent ``PositionRecords``.
* ``ql_european`` / ``ql_black76``: QuantLib oracles (QuantLib is a test dependency: imported
  plainly, never skipped).
* ``ENGINE_RULES`` / ``FUTURES_LAYERS`` / ``assert_same_summary``: engine rules with every feature on.
* ``current_file`` / ``real_rows`` / ``to_cfe_line``: Cboe CFE VX files written from the real long table.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path

import numpy as np
import QuantLib as ql

from alvh.calendar import vx_final_settlement
from alvh.engine.records import InstrumentKind, PositionRecords, SlotInfo

__all__ = [
    "CFE_HEADER",
    "CORE_SLOTS",
    "ENGINE_RULES",
    "FUTURES_LAYERS",
    "MONTHS",
    "assert_same_summary",
    "black76_scalar",
    "bsm_scalar",
    "current_file",
    "intrinsic",
    "make_records",
    "norm_cdf",
    "norm_pdf",
    "ql",
    "ql_black76",
    "ql_european",
    "real_rows",
    "ref_black76",
    "ref_bsm",
    "single_record",
    "to_cfe_line",
]


# ---------------------------------------------------------------- scalar pricing references (math.erfc)
def norm_cdf(x: float) -> float:
    """Standard normal CDF via erfc (accurate in the lower tail)."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def norm_pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def bsm_scalar(s: float, k: float, t: float, vol: float, r: float, q: float, is_call: bool) -> dict[str, float]:
    """Textbook Black-Scholes-Merton (Hull, ch. 17/19) for one option; t > 0."""
    d1 = (math.log(s / k) + (r - q + 0.5 * vol * vol) * t) / (vol * math.sqrt(t))
    d2 = d1 - vol * math.sqrt(t)
    eq, er = math.exp(-q * t), math.exp(-r * t)
    if is_call:
        price = s * eq * norm_cdf(d1) - k * er * norm_cdf(d2)
        delta = eq * norm_cdf(d1)
        theta = (
            -s * eq * norm_pdf(d1) * vol / (2 * math.sqrt(t)) + q * s * eq * norm_cdf(d1) - r * k * er * norm_cdf(d2)
        )
    else:
        price = k * er * norm_cdf(-d2) - s * eq * norm_cdf(-d1)
        delta = -eq * norm_cdf(-d1)
        theta = (
            -s * eq * norm_pdf(d1) * vol / (2 * math.sqrt(t)) - q * s * eq * norm_cdf(-d1) + r * k * er * norm_cdf(-d2)
        )
    gamma = eq * norm_pdf(d1) / (s * vol * math.sqrt(t))
    vega = s * eq * norm_pdf(d1) * math.sqrt(t)
    vanna = -eq * norm_pdf(d1) * d2 / vol
    volga = vega * d1 * d2 / vol
    return {
        "price": price,
        "delta": delta,
        "gamma": gamma,
        "vega": vega * 0.01,
        "theta": theta / 365.0,
        "vanna": vanna * 0.01,
        "volga": volga * 1e-4,
    }


def black76_scalar(f: float, k: float, t: float, vol: float, r: float, is_call: bool) -> dict[str, float]:
    """Black (1976) for one option on a future, discounted at r; t > 0."""
    d1 = (math.log(f / k) + 0.5 * vol * vol * t) / (vol * math.sqrt(t))
    d2 = d1 - vol * math.sqrt(t)
    df = math.exp(-r * t)
    if is_call:
        price = df * (f * norm_cdf(d1) - k * norm_cdf(d2))
        delta = df * norm_cdf(d1)
    else:
        price = df * (k * norm_cdf(-d2) - f * norm_cdf(-d1))
        delta = -df * norm_cdf(-d1)
    gamma = df * norm_pdf(d1) / (f * vol * math.sqrt(t))
    vega = df * f * norm_pdf(d1) * math.sqrt(t)
    theta = r * price - df * f * norm_pdf(d1) * vol / (2 * math.sqrt(t))
    vanna = -df * norm_pdf(d1) * d2 / vol
    volga = vega * d1 * d2 / vol
    return {
        "price": price,
        "delta": delta,
        "gamma": gamma,
        "vega": vega * 0.01,
        "theta": theta / 365.0,
        "vanna": vanna * 0.01,
        "volga": volga * 1e-4,
    }


# ---------------------------------------------------------------- reference closed forms (scalar, math only)
def _n(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def ref_bsm(s, k, t, vol, r, q, call):
    """Price and greeks per the architecture's units (vega per vol point, vanna/volga per point)."""
    sq = vol * math.sqrt(t)
    d1 = (math.log(s / k) + (r - q + 0.5 * vol * vol) * t) / sq
    d2 = d1 - sq
    dq, dr = math.exp(-q * t), math.exp(-r * t)
    if call:
        price = s * dq * _cdf(d1) - k * dr * _cdf(d2)
        delta = dq * _cdf(d1)
    else:
        price = k * dr * _cdf(-d2) - s * dq * _cdf(-d1)
        delta = dq * (_cdf(d1) - 1.0)
    gamma = dq * _n(d1) / (s * sq)
    vega1 = s * dq * _n(d1) * math.sqrt(t)
    return dict(
        price=price,
        delta=delta,
        gamma=gamma,
        vega=vega1 / 100,
        vanna=-dq * _n(d1) * d2 / vol / 100,
        volga=vega1 * d1 * d2 / vol / 1e4,
    )


def ref_black76(f, k, t, vol, r, call):
    sq = vol * math.sqrt(t)
    d1 = (math.log(f / k) + 0.5 * vol * vol * t) / sq
    d2 = d1 - sq
    dr = math.exp(-r * t)
    if call:
        price = dr * (f * _cdf(d1) - k * _cdf(d2))
        delta = dr * _cdf(d1)
    else:
        price = dr * (k * _cdf(-d2) - f * _cdf(-d1))
        delta = dr * (_cdf(d1) - 1.0)
    gamma = dr * _n(d1) / (f * sq)
    vega1 = dr * f * _n(d1) * math.sqrt(t)
    return dict(
        price=price,
        delta=delta,
        gamma=gamma,
        vega=vega1 / 100,
        vanna=-dr * _n(d1) * d2 / vol / 100,
        volga=vega1 * d1 * d2 / vol / 1e4,
    )


def intrinsic(u, k, call):
    return max(u - k, 0.0) if call else max(k - u, 0.0)


# ---------------------------------------------------------------- synthetic records
CORE_SLOTS = ("core.short_put", "core.long_put", "core.short_call", "core.long_call")


def make_records(
    seed: int = 0,
    n_days: int = 40,
    n_paths: int = 3,
    layer_kind: str = "futures",
    mark_noise: float = 0.0,
    expiry_day: int | None = None,
    flat_core_days: tuple[int, ...] = (),
) -> PositionRecords:
    """Random but internally consistent records: an iron condor core and three hedge layers.

    Marks are full revaluations with the reference closed forms (plus optional
    noise, so the residual also carries a mark mismatch). Each layer slot
    rolls to a new contract every ``20 + 10*layer`` days.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    layers = ("short", "mid", "long")
    names = CORE_SLOTS + tuple(f"{layer}.vx" for layer in layers)
    component = ("core",) * 4 + layers
    mult = np.array([100.0] * 4 + ([1000.0] * 3 if layer_kind == "futures" else [100.0] * 3))
    shape = (n_days, n_paths, len(names))
    f = {
        name: np.full(shape, np.nan)
        for name in (
            "strike",
            "t_prev",
            "t_now",
            "underlying_prev",
            "underlying_now",
            "underlying_rolldown",
            "vol_prev",
            "vol_now",
            "rate_prev",
            "div_prev",
            "price_prev",
            "price_now",
        )
    }
    kind = np.zeros(shape, dtype=np.int8)
    qty = np.zeros(shape)
    is_call = np.zeros(shape, dtype=bool)
    spot = 4000.0 * np.exp(np.cumsum(rng.normal(0, 0.012, (n_days, n_paths)), axis=0))
    ivs = np.clip(0.18 + np.cumsum(rng.normal(0, 0.008, (n_days, n_paths)), axis=0), 0.08, 0.8)
    vix = ivs * 100
    for d in range(1, n_days):
        for p in range(n_paths):
            # core: 4 legs
            age = (d - 1) % 40  # a new condor every 40 days, entered at 45 DTE
            t0, t1 = (45 - age) / 365, (44 - age) / 365
            if d == expiry_day:
                t1 = 0.0
            s0, s1 = spot[d - 1, p], spot[d, p]
            for j, (k_rel, call, q) in enumerate(
                ((0.92, False, -1), (0.88, False, 1), (1.06, True, -1), (1.10, True, 1))
            ):
                if d in flat_core_days:
                    continue
                k = round(4000 * k_rel, 0)
                skew = 0.02 * (1 - k_rel) * 10
                v0 = ivs[d - 1, p] + skew + rng.normal(0, 0.001)
                v1 = ivs[d, p] + skew + rng.normal(0, 0.001)
                p0 = ref_bsm(s0, k, t0, v0, 0.03, 0.015, call)["price"]
                p1 = ref_bsm(s1, k, t1, v1, 0.03, 0.015, call)["price"] if t1 > 0 else intrinsic(s1, k, call)
                p1 += mark_noise * rng.normal()
                row = dict(
                    strike=k,
                    t_prev=t0,
                    t_now=t1,
                    underlying_prev=s0,
                    underlying_now=s1,
                    underlying_rolldown=s0,
                    vol_prev=v0,
                    vol_now=v1,
                    rate_prev=0.03,
                    div_prev=0.015,
                    price_prev=p0,
                    price_now=p1,
                )
                for name, value in row.items():
                    f[name][d, p, j] = value
                kind[d, p, j] = InstrumentKind.SPX_OPTION
                qty[d, p, j] = q * 3
                is_call[d, p, j] = call
            for li, (base_dte, cycle) in enumerate(((25, 20), (75, 30), (140, 40))):
                j = 4 + li
                age = (d - 1) % cycle
                dte0 = base_dte - age
                dte1 = dte0 - 1
                slope = 0.05 * (1 if rng.random() < 0.8 else -1)  # contango most days
                beta = math.exp(-dte0 / 60)
                f0 = vix[d - 1, p] + slope * dte0 * (1 - 0.3 * beta)
                froll = vix[d - 1, p] + slope * dte1 * (1 - 0.3 * beta)
                f1 = froll + beta * (vix[d, p] - vix[d - 1, p]) + rng.normal(0, 0.2)
                if layer_kind == "futures":
                    kind[d, p, j] = InstrumentKind.VX_FUTURE
                    row = dict(
                        t_prev=dte0 / 365,
                        t_now=dte1 / 365,
                        underlying_prev=f0,
                        underlying_now=f1,
                        underlying_rolldown=froll,
                        price_prev=f0,
                        price_now=f1,
                        rate_prev=0.03,
                        div_prev=0.0,
                    )
                    qty[d, p, j] = (2, 2, 1)[li]
                else:
                    kind[d, p, j] = InstrumentKind.VIX_OPTION
                    k = 20.0 + 5 * li
                    sv0 = 0.9 - 0.1 * li + rng.normal(0, 0.02)
                    sv1 = sv0 + rng.normal(0, 0.03)
                    p0 = ref_black76(f0, k, dte0 / 365, sv0, 0.03, True)["price"]
                    p1 = ref_black76(f1, k, dte1 / 365, sv1, 0.03, True)["price"]
                    row = dict(
                        strike=k,
                        t_prev=dte0 / 365,
                        t_now=dte1 / 365,
                        underlying_prev=f0,
                        underlying_now=f1,
                        underlying_rolldown=froll,
                        vol_prev=sv0,
                        vol_now=sv1,
                        rate_prev=0.03,
                        div_prev=0.0,
                        price_prev=p0,
                        price_now=p1 + mark_noise * rng.normal(),
                    )
                    is_call[d, p, j] = True
                    qty[d, p, j] = (20, 20, 10)[li]
                for name, value in row.items():
                    f[name][d, p, j] = value
    return PositionRecords(
        slots=SlotInfo(names=names, component=component, multiplier=mult), kind=kind, quantity=qty, is_call=is_call, **f
    )


def single_record(
    kind,
    *,
    call=True,
    k=np.nan,
    t0=np.nan,
    t1=np.nan,
    u0,
    u1,
    ur=None,
    s0=np.nan,
    s1=np.nan,
    r=0.0,
    q=0.0,
    p0,
    p1,
    qty=1.0,
    mult=100.0,
) -> PositionRecords:
    """Records of one slot held on day 1."""
    vals = dict(
        strike=k,
        t_prev=t0,
        t_now=t1,
        underlying_prev=u0,
        underlying_now=u1,
        underlying_rolldown=u0 if ur is None else ur,
        vol_prev=s0,
        vol_now=s1,
        rate_prev=r,
        div_prev=q,
        price_prev=p0,
        price_now=p1,
    )
    arrays = {name: np.array([np.nan, v], dtype=float).reshape(2, 1, 1) for name, v in vals.items()}
    return PositionRecords(
        slots=SlotInfo(
            names=("x",),
            component=("core",) if kind == InstrumentKind.SPX_OPTION else ("layer",),
            multiplier=np.array([mult]),
        ),
        kind=np.array([0, int(kind)], dtype=np.int8).reshape(2, 1, 1),
        quantity=np.array([0.0, qty]).reshape(2, 1, 1),
        is_call=np.array([False, call]).reshape(2, 1, 1),
        **arrays,
    )


# ---------------------------------------------------------------- QuantLib oracles
def ql_european(s, k, t_days, vol, r, q, call):
    """QuantLib analytic European option (price, delta, gamma, vega per 1.0 vol) on an ACT/365 clock."""
    today = ql.Date(2, 1, 2024)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()
    spot = ql.SimpleQuote(s)
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(spot),
        ql.YieldTermStructureHandle(ql.FlatForward(today, q, dc)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, r, dc)),
        ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), vol, dc)),
    )
    option = ql.EuropeanOption(
        ql.PlainVanillaPayoff(ql.Option.Call if call else ql.Option.Put, k), ql.EuropeanExercise(today + int(t_days))
    )
    option.setPricingEngine(ql.AnalyticEuropeanEngine(process))
    return option.NPV(), option.delta(), option.gamma(), option.vega()


def ql_black76(f, k, t, vol, r, call):
    payoff = ql.PlainVanillaPayoff(ql.Option.Call if call else ql.Option.Put, k)
    calc = ql.BlackCalculator(payoff, f, vol * math.sqrt(t), math.exp(-r * t))
    return calc.value(), calc.delta(f), calc.gamma(f), calc.vega(t)


# ---------------------------------------------------------------- engine rules with every feature on
#: Rules with every engine feature on (exits, a VIX-call layer with the extrinsic roll, effective-vega
#: sizing, adaptive weights, a rebalance that fires on synthetic paths, financing). Threshold 1.0: on
#: synthetic paths the two-factor model curve gives raw ratios of 0.55-1.46, so 1.4 would rarely fire.
ENGINE_RULES: dict = {
    "general": {"contracts": "fractional", "rate_source": "constant"},
    "core": {"exits": {"take_profit": 0.5, "stop_loss": 2.0, "close_at_dte": 5}},
    "layers": [
        {"name": "short", "weight": 0.04, "min_dte": 0, "max_dte": 30},
        {
            "name": "medium",
            "weight": 0.04,
            "min_dte": 30,
            "max_dte": 90,
            "instrument": "vix_call",
            "call_moneyness": 1.1,
            "roll": {"extrinsic_below": 0.4},
        },
        {"name": "long", "weight": 0.02, "min_dte": 90, "max_dte": 180, "sizing": "effective_vega"},
    ],
    "adaptive": {"enabled": True},
    "rebalance": {"window": 30, "min_nobs": 20, "cooldown_days": 5, "threshold": 1.0},
    "financing": {"enabled": True, "fraction": 0.25, "rate": 0.07},
}

#: The default 4/4/2 layers as VX futures (the long one sized by effective vega): the compiled VX marks.
FUTURES_LAYERS: list = [
    {"name": "short", "weight": 0.04, "min_dte": 0, "max_dte": 30},
    {"name": "medium", "weight": 0.04, "min_dte": 30, "max_dte": 90},
    {"name": "long", "weight": 0.02, "min_dte": 90, "max_dte": 180, "sizing": "effective_vega"},
]


def assert_same_summary(a: object, b: object, rtol: float = 1e-9, path: str = "summary") -> None:
    """Nested ``summary_dict()`` equality: keys, strings, ints and bools exact; floats to ``rtol``."""
    if isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), (path, sorted(set(a) ^ set(b)))
        for k in a:
            assert_same_summary(a[k], b[k], rtol, f"{path}.{k}")
    elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same_summary(x, y, rtol, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=rtol, abs_tol=1e-9), (path, a, b)
    else:
        assert type(a) is type(b) and a == b, (path, a, b)


# ---------------------------------------------------------------- Cboe CFE VX files written from the real long table
CFE_HEADER = "Trade Date,Futures,Open,High,Low,Close,Settle,Change,Total Volume,EFP,Open Interest"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def real_rows(lines: list[str], contract: str) -> list[dict[str, str]]:
    return [r for r in csv.DictReader(lines) if r["contract"] == contract]


def to_cfe_line(r: dict[str, str], *, legacy: bool, label: str) -> str:
    """One real long-table row written back in Cboe's per-contract layout (legacy: 10x before 2007-03-26)."""
    day = dt.date.fromisoformat(r["trade_date"])
    scale = 10.0 if (legacy and day < dt.date(2007, 3, 26)) else 1.0
    px = [r[k] for k in ("open", "high", "low", "close", "settle", "change")]
    px = [v if (v == "" or scale == 1.0) else repr(round(float(v) * scale, 6)) for v in px]
    date = f"{day.month}/{day.day}/{day.year}" if legacy else day.isoformat()
    return ",".join([date, label, *px, r["volume"], r["efp"], r["open_interest"]])


def current_file(
    tmp_path: Path, lines: list[str], code: str, *, iso_label: bool = False, name: str | None = None
) -> tuple[Path, list[dict[str, str]]]:
    """Contract ``code``'s real long-table rows written as Cboe's current per-contract file ``VX_<expiry>.csv``."""
    rows = real_rows(lines, code)
    year = 2000 + int(code[1:])
    month = "FGHJKMNQUVXZ".index(code[0]) + 1
    expiry = vx_final_settlement(year, month).isoformat()
    label = expiry if iso_label else f"{code[0]} ({MONTHS[month - 1]} {year})"
    body = [to_cfe_line(r, legacy=False, label=label) for r in rows]
    return _write(tmp_path / (name or f"VX_{expiry}.csv"), "\n".join([CFE_HEADER] + body) + "\n"), rows
