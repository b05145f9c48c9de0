"""Engine: cash conservation, a slow per-path per-position reference, records, bad input.

The reference (:func:`_replay_nav`) shares no code with the engine: it reprices every open
position of one path each day with scalar math (``math.erf`` Black-Scholes / Black-76, the SSVI
smile written out from the surface's solved parameters, the VIX-option tenor vol written out
from docs/model.md section 4), replays the trades ledger into cash, and rebuilds the NAV; it also
checks every trade price against its own scalar mark (or settlement value).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alvh.config import rules_from_dict
from alvh.engine import MarketPaths, prepare, run_engine
from alvh.errors import ConfigError
from alvh.market import VXModelParams
from alvh.simulate import synthetic_paths

FULL = {
    "general": {"contracts": "fractional"},
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
    # threshold 1.0: on these paths the two-factor model curve gives raw ratios of 0.55-1.46, so 1.4 would
    # rarely fire and the rebalance trades would go untested
    "rebalance": {"window": 30, "min_nobs": 20, "cooldown_days": 5, "threshold": 1.0},
    "financing": {"enabled": True, "fraction": 0.25, "rate": 0.07},
}


def _ncdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _black(f: float, k: float, t: float, vol: float, r: float, call: bool) -> float:
    if t <= 0:
        return max(f - k, 0.0) if call else max(k - f, 0.0)
    sd = vol * math.sqrt(t)
    d1 = (math.log(f / k) + 0.5 * sd * sd) / sd
    d2 = d1 - sd
    c = math.exp(-r * t) * (f * _ncdf(d1) - k * _ncdf(d2))
    return c if call else c - math.exp(-r * t) * (f - k)


def _smile_iv(mp: MarketPaths, d: int, p: int, k: float, t: float) -> float:
    """Scalar tail-weight smile (docs/model.md 1.1) with theta(t) piecewise linear in t (docs/model.md 1.4)."""
    s = mp.surface
    th30, tail, ratio = float(s.theta30[d, p]), float(s.tail[d, p]), [float(x) for x in s.term_ratio[d, p]]
    nodes = [9 / 365, 30 / 365, 93 / 365, 184 / 365]
    if t <= nodes[0]:
        r = ratio[0] * t / nodes[0]
    elif t > nodes[-1]:
        r = ratio[-1] * t / nodes[-1]
    else:
        j = max(i for i in range(3) if t > nodes[i])
        r = ratio[j] + (ratio[j + 1] - ratio[j]) * (t - nodes[j]) / (nodes[j + 1] - nodes[j])
    theta = th30 * r
    z = k / math.sqrt(theta)
    sp = lambda x: math.log1p(math.exp(x)) if x < 30 else x  # noqa: E731 - softplus ln(1 + e^x)
    h = 0.5 * (sp(-z / 0.5) - math.log(2)) + 2.0 * 1.5 * (sp((-3.5 - z) / 1.5) - sp(-3.5 / 1.5))
    w = theta * (1 + tail / (1 + 1.5 * tail * math.sqrt(theta)) * h)
    return math.sqrt(w / t)


_P = VXModelParams.default()


def _vix_vol(mp: MarketPaths, d: int, p: int, dte: float, f: float, k: float) -> float:
    """docs/model.md section 4: sigma_B(tau) = sigma_V sqrt((1 - e^{-2 ks tau}) / (2 ks tau)), 30-day vol = VVIX;
    times the VIX smile of docs/pricing.md with its documented defaults (slope 0.6, curvature 0.3, floor 0.6,
    cap 2.5): x = ln(K/F) sqrt(30/dte), clip(1 + 0.6 x + 0.3 x^2, 0.6, 2.5)."""
    vvix = _P.vvix_intercept + _P.vvix_slope * math.log(mp.vix_close[d, p])

    def scale(tau: float) -> float:
        return math.sqrt((1 - math.exp(-2 * _P.kappa_s * tau)) / (2 * _P.kappa_s * tau))

    x = math.log(k / f) * math.sqrt(30.0 / dte)
    return vvix / 100 / scale(30 / 365) * scale(dte / 365) * min(max(1 + 0.6 * x + 0.3 * x * x, 0.6), 2.5)


def _spx_mark(mp: MarketPaths, d: int, p: int, k: float, t: float, call: bool, r: float, q: float) -> float:
    if t <= 0:
        s = mp.spx_open[d, p]
        return max(s - k, 0.0) if call else max(k - s, 0.0)
    s = mp.spx_close[d, p]
    f = s * math.exp((r - q) * t)
    return _black(f, k, t, _smile_iv(mp, d, p, math.log(k / f), t), r, call)


def _vx_mark(mp: MarketPaths, d: int, p: int, code: str) -> float:
    c = mp.vx_codes.index(code)
    exp = mp.vx_expiry[c]
    if mp.dates[d].to_datetime64().astype("datetime64[D]") >= exp:
        final = np.nan if mp.vx_final is None else float(mp.vx_final[c])  # Cboe's SOQ, else the VIX open
        return final if math.isfinite(final) else float(mp.vix_open[d, p])
    return float(mp.vx_price[d, p, c])


def _replay_nav(res, mp: MarketPaths, rules, p: int) -> np.ndarray:
    """Slow reference: per day, per open position, scalar marks; cash from the ledger."""
    r = rules.general.constant_rate
    q = rules.core.dividend_yield
    tr = res.trades[res.trades["path"] == p]
    debt = rules.financing.fraction * rules.general.capital if rules.financing.enabled else 0.0
    cash = rules.general.capital + debt
    book: dict[tuple, float] = {}
    nav = np.zeros(mp.n_days)
    by_day = {d: g for d, g in tr.groupby("date")}
    fut_value = 0.0  # the futures' value at the previous close: the cash account is cash + it
    for d, date in enumerate(mp.dates):
        days = (date - mp.dates[d - 1]).days if d else 0
        interest = (cash + fut_value) * math.expm1(r * days / 365.0) if rules.general.interest_on_cash else 0.0
        if d > 0 and debt:
            cash -= debt * rules.financing.rate * days / 365.0
        cash += interest
        for row in by_day[date].itertuples() if date in by_day else ():
            t = (pd.Timestamp(row.expiry) - date).days / 365.0
            if row.instrument == "spx_option":
                mark = _spx_mark(mp, d, p, row.strike, t, "call" in row.slot, r, q)
                mult = 100.0
            elif row.instrument == "vx_future":
                mark = _vx_mark(mp, d, p, row.contract)
                mult = 1000.0
            else:
                f = _vx_mark(mp, d, p, row.contract)
                vol = _vix_vol(mp, d, p, max(t * 365, 1.0), f, row.strike)
                mark = _black(f, row.strike, max(t, 0.0), vol, r, row.instrument == "vix_call")
                mult = 100.0
            assert row.price == pytest.approx(mark, rel=1e-9, abs=1e-9), (row, mark)
            cash -= row.quantity * mult * row.price + row.cost
            key = (row.slot, row.instrument, row.contract, row.strike, pd.Timestamp(row.expiry), mult)
            book[key] = book.get(key, 0.0) + row.quantity
        value = fut_value = 0.0
        for (slot, inst, code, k, exp, mult), qty in book.items():
            if abs(qty) < 1e-12:
                continue
            t = (exp - date).days / 365.0
            if inst == "spx_option":
                value += qty * mult * _spx_mark(mp, d, p, k, t, "call" in slot, r, q)
            elif inst == "vx_future":
                fut_value += qty * mult * _vx_mark(mp, d, p, code)
                value += qty * mult * _vx_mark(mp, d, p, code)
            else:
                f = _vx_mark(mp, d, p, code)
                vol = _vix_vol(mp, d, p, max(t * 365, 1.0), f, k)
                value += qty * mult * _black(f, k, t, vol, r, inst == "vix_call")
        nav[d] = cash + value - debt
    return nav


@pytest.fixture(scope="module")
def small():
    rules = rules_from_dict({**FULL, "general": {"contracts": "fractional", "rate_source": "constant"}})
    mp = synthetic_paths(4, 160, seed=7)
    return rules, mp, run_engine(rules, mp)


def test_cash_conserved_every_day(small):
    rules, mp, res = small
    dnav = np.diff(res.nav, axis=0)
    explained = (res.pnl - res.costs + res.interest + res.hedge_financing).sum(axis=2)[1:] + res.financing[1:]
    assert np.abs(dnav - explained).max() < 1e-9 * rules.general.capital
    # and the first day: NAV = capital - first day's costs
    np.testing.assert_allclose(res.nav[0], rules.general.capital - res.costs[0].sum(axis=1), rtol=0, atol=1e-6)
    # the run exercised every feature
    reasons = set(res.trades["reason"])
    assert {"entry", "roll", "expiry", "exit"} <= reasons
    assert (res.financing[1:] < 0).all()


def test_vectorized_equals_slow_reference(small):
    rules, mp, res = small
    for p in range(mp.n_paths):
        ref = _replay_nav(res, mp, rules, p)
        np.testing.assert_allclose(res.nav[:, p], ref, rtol=1e-10, atol=1e-6)


def test_paths_are_independent(small):
    # broadcasting bugs show up as one path's state leaking into another's
    rules, mp, res = small
    p = 2
    one = mp.take_paths(slice(p, p + 1))
    res1 = run_engine(rules, one)
    np.testing.assert_allclose(res1.nav[:, 0], res.nav[:, p], rtol=1e-12, atol=1e-7)


def test_records_reproduce_pnl(small):
    _, _, res = small
    rec = res.records
    slot_pnl = rec.quantity * rec.slots.multiplier * (rec.price_now - rec.price_prev)
    comp = np.array(rec.slots.component)
    for k, c in enumerate(res.components):
        np.testing.assert_allclose(slot_pnl[:, :, comp == c].sum(axis=2), res.pnl[:, :, k], atol=1e-8)
    held = rec.quantity != 0
    assert (rec.kind[held] > 0).all() and (rec.kind[~held] == 0).all()
    assert (rec.t_prev[held] > 0).all() and (rec.t_now[held] >= 0).all()
    assert np.all(rec.quantity[0] == 0)


def test_records_feed_attribution(small):
    from alvh.analytics.attribution import attribute

    rules, _, res = small
    att = attribute(res.records, capital=rules.general.capital)
    assert att.sum_error() < 1e-6


def test_rebalance_logged(small):
    _, _, res = small
    log = res.rebalance_log
    assert len(log) > 0
    assert (log["ratio"] > 1.0).all()
    assert set(res.trades.loc[res.trades["reason"] == "rebalance", "component"]) <= {"short", "medium", "long"}


def test_bucket_no_contract_can_fill_is_an_error_before_the_run():
    mp = synthetic_paths(1, 30, seed=1)
    rules = rules_from_dict(
        {"layers": [{"name": "far", "weight": 0.02, "min_dte": 400, "max_dte": 500}], "rebalance": {"enabled": False}}
    )
    with pytest.raises(ConfigError) as exc:
        prepare(rules, mp)
    assert exc.value.key == "layers.0.max_dte"


def test_window_longer_than_run_is_an_error():
    mp = synthetic_paths(1, 30, seed=1)
    with pytest.raises(ConfigError) as exc:
        prepare(rules_from_dict({}), mp)
    assert exc.value.key == "rebalance.min_nobs"


def test_unfilled_bucket_days_are_counted_events():
    # 0-30 days: just after a VX expiry the next contract can be 35 days out
    mp = synthetic_paths(1, 120, seed=3)
    res = run_engine(rules_from_dict({"core": {"enabled": False}, "rebalance": {"enabled": False}}), mp)
    assert res.events["bucket_unfilled_days.short"] > 0
    assert len(res.event_log) > 0


def test_whole_contracts_and_collateral_wider_wing():
    from alvh.strategy.legs import collateral, max_loss_per_condor

    strikes = np.array([[3800.0, 3900.0, 4100.0, 4125.0]])
    credit = np.array([10.0])
    assert max_loss_per_condor(strikes, credit)[0] == 90.0  # the 100-point put wing, not the call wing
    assert collateral(strikes, credit, np.array([3.0]), 100.0)[0] == 27000.0


@pytest.mark.parametrize(
    "variant",
    [
        {
            "rebalance": {
                "window": 30,
                "min_nobs": 20,
                "cooldown_days": 5,
                "action": "shift",
                "basis": "normalized",
                "threshold": 0.5,
            }
        },
        {
            "adaptive": {
                "enabled": True,
                "basis": "regime",
                "schedule": [{"label": "contango", "weight": 0.05}, {"label": "backwardation", "weight": 0.15}],
            },
            "core": {"entry": "target_dte", "target_dte": 45, "strike_mode": "width"},
        },
        {
            "general": {"contracts": "whole", "sizing_capital": "initial"},
            "financing": {"enabled": True, "fraction": 0.5, "rate_source": "data_plus_spread"},
        },
        # issue 10: VIX puts and vertical spreads on the smile, the roll-down trigger, conversion and reversal
        {
            "layers": [
                {"name": "short", "weight": 0.04, "min_dte": 0, "max_dte": 30, "instrument": "vix_put"},
                {
                    "name": "medium",
                    "weight": 0.04,
                    "min_dte": 30,
                    "max_dte": 90,
                    "instrument": "vix_call_spread",
                    "call_strike_mode": "delta",
                    "short_delta": 0.1,
                    "roll": {"extrinsic_below": 0.5},
                },
                {
                    "name": "long",
                    "weight": 0.02,
                    "min_dte": 90,
                    "max_dte": 180,
                    "instrument": "vix_put_spread",
                    "put_moneyness": 1.1,
                    "sizing": "premium",
                    "roll": {"rolldown_above": 0.002},
                },
            ],
            "rebalance": {"window": 30, "min_nobs": 20, "cooldown_days": 5, "threshold": 0.5, "action": "conversion"},
        },
        {
            "layers": [
                {"name": "short", "weight": 0.04, "min_dte": 0, "max_dte": 30, "roll": {"rolldown_above": 0.003}},
                {"name": "long", "weight": 0.02, "min_dte": 90, "max_dte": 180},
            ],
            "rebalance": {
                "window": 30,
                "min_nobs": 20,
                "cooldown_days": 5,
                "threshold": 0.5,
                "action": "conversion",
                "conversion_fraction": 0.5,
            },
        },
        {
            "layers": [
                {"name": "short", "weight": 0.04, "min_dte": 0, "max_dte": 30, "instrument": "vix_call"},
                {"name": "long", "weight": 0.02, "min_dte": 90, "max_dte": 180, "instrument": "vix_call"},
            ],
            "rebalance": {"window": 30, "min_nobs": 20, "cooldown_days": 5, "threshold": 0.5, "action": "reversal"},
        },
    ],
)
def test_variants_conserve_cash_and_match_reference(variant):
    data = {**FULL, **variant}
    data["general"] = {**FULL["general"], "rate_source": "constant", **variant.get("general", {})}
    rules = rules_from_dict(data)
    mp = synthetic_paths(2, 130, seed=11)
    res = run_engine(rules, mp)
    dnav = np.diff(res.nav, axis=0)
    explained = (res.pnl - res.costs + res.interest + res.hedge_financing).sum(axis=2)[1:] + res.financing[1:]
    assert np.abs(dnav - explained).max() < 1e-9 * rules.general.capital
    if rules.financing.rate_source == "constant":
        for p in range(mp.n_paths):
            np.testing.assert_allclose(res.nav[:, p], _replay_nav(res, mp, rules, p), rtol=1e-10, atol=1e-6)
    if variant.get("rebalance", {}).get("action") == "shift":
        assert len(res.rebalance_log) > 0
        reb = res.trades[res.trades["reason"] == "rebalance"]
        # shift: the short layer sells, the long layer buys
        assert (reb.loc[reb["component"] == "short", "quantity"] < 0).all()
        assert (reb.loc[reb["component"] == "long", "quantity"] > 0).all()
    if variant.get("rebalance", {}).get("action") in ("conversion", "reversal"):
        reb = res.trades[res.trades["reason"] == "rebalance"]
        assert len(reb) > 0 and set(reb["component"]) == {"short"}
    if variant.get("adaptive"):
        # first short-layer entry: notional = 4% x (regime total / 10% base) x (capital + borrowed)
        first = res.trades[(res.trades["component"] == "short")].iloc[0]
        d0 = list(mp.dates).index(first["date"])
        front = mp.vx_price[d0, first["path"], np.nanargmax(np.isfinite(mp.vx_price[d0, first["path"]]))]
        total = 0.05 if front > mp.vix_close[d0, first["path"]] else 0.15
        nav_before = res.nav[d0 - 1, first["path"]] if d0 > 0 else rules.general.capital
        cap = nav_before + rules.financing.fraction * rules.general.capital
        assert first["quantity"] * 1000 * first["price"] == pytest.approx(0.04 * total / 0.10 * cap, rel=1e-6)


def test_delta_target_with_no_strike_is_a_counted_event():
    # a 1000-point strike grid: the 0.20-delta shorts (about 2-3% from SPX 5000) both round onto 5000, so
    # no listed condor has the target deltas; each entry day is a counted event and no core trade happens
    mp = synthetic_paths(2, 60, seed=5)
    rules = rules_from_dict({"core": {"strike_increment": 1000.0}, "layers": [], "rebalance": {"enabled": False}})
    res = run_engine(rules, mp)
    entry_days = sum(1 for d in mp.dates if d.weekday() == 4 and 15 <= d.day <= 21)  # third Fridays in the run
    assert entry_days >= 2
    assert res.events["core_no_valid_condor"] == 2 * entry_days
    assert set(res.event_log["event"]) == {"core_no_valid_condor"}
    assert len(res.trades) == 0
    # the same rules on the 5-point grid trade: the event is the strike grid, not the paths
    ok = run_engine(rules_from_dict({"layers": [], "rebalance": {"enabled": False}}), mp)
    assert ok.events.get("core_no_valid_condor", 0) == 0 and len(ok.trades) > 0


def test_surface_table_disk_cache_is_bit_identical(tmp_path, monkeypatch):
    # the smile solve tables (exact Cboe sums, a few s per process) are memoized on disk; a cached, a fresh and
    # a rebuilt-after-corruption table must give the same surface to the last bit
    from alvh.market import surface as sm

    monkeypatch.setenv(sm.CACHE_ENV, str(tmp_path))
    vix = np.array([[9.0, 17.5], [35.0, 80.0]])
    skew = np.array([[115.0, np.nan], [130.0, 140.0]])

    def solve():
        sm._tables.cache_clear()
        sm._theta_column.cache_clear()
        return sm.solve_theta30(vix, skew, polish=False)

    first = solve()
    files = sorted(tmp_path.glob("tailsmile_*.npz"))
    assert [f.name.split("_")[1] for f in files] == ["column", "tables"]
    again = solve()  # from the files
    files[0].write_bytes(b"not an npz")  # the small column table: rebuilt (and rewritten) when unreadable
    rebuilt = solve()
    assert np.load(files[0])["var"].shape == (400,)
    for other in (again, rebuilt):
        for x, y in zip(first, other, strict=True):
            assert np.array_equal(x, y)
    sm._tables.cache_clear()
    sm._theta_column.cache_clear()


def test_bad_sensitivity_is_an_input_error():
    from dataclasses import replace

    from alvh.errors import InputError

    mp = synthetic_paths(1, 30, seed=1)
    bad = replace(mp, sensitivity=lambda dte: np.where(np.asarray(dte) > 100, np.nan, 0.5))
    with pytest.raises(InputError) as exc:
        run_engine(rules_from_dict({"rebalance": {"enabled": False}}), bad)
    assert exc.value.argument == "sensitivity"


_FUTURES_LAYERS = [
    {"name": "short", "weight": 0.04, "min_dte": 0, "max_dte": 30},
    {"name": "medium", "weight": 0.04, "min_dte": 30, "max_dte": 90},
    {"name": "long", "weight": 0.02, "min_dte": 90, "max_dte": 180, "sizing": "effective_vega"},
]


@pytest.mark.parametrize(
    "variant",
    [
        {},  # a VIX-call layer: the VX slots take the numpy path, the SPX legs the compiled one
        {"general": {"contracts": "nearest", "rate_source": "constant"}},
        {"core": {"entry": "target_dte", "target_dte": 45}},
        {"layers": _FUTURES_LAYERS},  # all futures: the compiled VX marks
        {
            "layers": _FUTURES_LAYERS,
            "constant_maturity": {"enabled": True, "weight": 0.5},
            "general": {"contracts": "nearest"},
        },
    ],
)
def test_numba_and_numpy_backends_agree(variant):
    # the compiled day kernels (default "auto") and the pure-numpy path: same trades, marks and NAV to rounding
    from alvh.pricing import _numba

    if not _numba.AVAILABLE:
        pytest.skip("numba not installed")
    data = {**FULL, **variant}
    data["general"] = {**FULL["general"], "rate_source": "constant", **variant.get("general", {})}
    rules = rules_from_dict(data)
    mp = synthetic_paths(3, 200, seed=13)
    a = run_engine(rules, mp, backend="numpy")
    b = run_engine(rules, mp, backend="numba")
    np.testing.assert_allclose(b.nav, a.nav, rtol=1e-12, atol=1e-6)
    pd.testing.assert_frame_equal(b.trades, a.trades, check_exact=False, rtol=1e-10)
    for k in (
        "quantity",
        "strike",
        "t_prev",
        "t_now",
        "underlying_prev",
        "underlying_now",
        "underlying_rolldown",
        "vol_prev",
        "vol_now",
        "price_prev",
        "price_now",
    ):
        np.testing.assert_allclose(getattr(b.records, k), getattr(a.records, k), rtol=1e-11, atol=1e-9, err_msg=k)
    np.testing.assert_array_equal(b.records.kind, a.records.kind)
    np.testing.assert_allclose(b.greeks, a.greeks, rtol=1e-5, atol=1e-3)  # float32 storage
    assert b.summary_dict()["events"] == a.summary_dict()["events"]


def test_unknown_backend_is_an_input_error():
    from alvh.errors import InputError

    with pytest.raises(InputError, match="backend"):
        run_engine(rules_from_dict(FULL), synthetic_paths(1, 30, seed=1), backend="fortran")


def test_surface_term_ratio_scalar_t_equals_array_form():
    # the engine's condor entry asks the smile at one t for every path; that shortcut picks the segment once
    from alvh.market.surface import _TERM_T, _interp_ratio

    ratio = np.sort(np.random.default_rng(1).uniform(0.3, 1.6, (5, 1, 4)), axis=-1)
    for t in [1e-9, 0.01, _TERM_T[0], 0.05, _TERM_T[1], 0.1, _TERM_T[2], 0.3, _TERM_T[3], 0.9, 3.0, np.nan]:
        got = _interp_ratio(np.asarray(t), ratio)
        ref = _interp_ratio(np.full((5, 1), t), ratio)
        np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("layers", [None, _FUTURES_LAYERS])
def test_vx_day_tables_equal_direct_marks(monkeypatch, layers):
    # few paths: marks/roll-downs gathered from per-day tables of every contract; many paths: the held slots
    # marked directly. Same arithmetic, so the same numbers to the last bit
    from alvh.engine.state import EngineState

    data = {**FULL, "general": {**FULL["general"], "rate_source": "constant"}}
    if layers is not None:
        data["layers"] = layers
    rules = rules_from_dict(data)
    mp = synthetic_paths(3, 160, seed=17)
    for backend in ("numpy", "numba"):
        a = run_engine(rules, mp, backend=backend)
        with monkeypatch.context() as m:
            m.setattr(EngineState, "VX_TABLE_MAX_CELLS", 0)
            b = run_engine(rules, mp, backend=backend)
        np.testing.assert_array_equal(b.nav, a.nav)
        for k in ("underlying_now", "underlying_rolldown", "price_now"):
            np.testing.assert_array_equal(getattr(b.records, k), getattr(a.records, k))


def test_result_objects_read_alike():
    # BacktestResult, PositionRecords and MarketPaths: summary() text, summary_dict()/to_dict() for JSON,
    # a one-line repr that never prints arrays, an HTML view for notebooks
    import json

    mp = synthetic_paths(2, 60, seed=5)
    res = run_engine(rules_from_dict(FULL), mp)
    for obj, name in ((res, "BacktestResult"), (res.records, "PositionRecords"), (mp, "MarketPaths")):
        r = repr(obj)
        assert r.startswith(name + "(") and "\n" not in r and len(r) < 400, r
        assert "array([" not in r and "[[" not in r
        text = obj.summary()
        assert isinstance(text, str) and text.count("\n") >= 1
        d = obj.to_dict()
        assert d == obj.summary_dict()
        json.dumps(d, default=str)
        h = obj._repr_html_()
        assert h.startswith("<div>") and "<table>" in h and "summary()" in h
    assert "60 days x 2 path(s)" in res.records.summary() and "core.short_put" in res.records.summary()
    assert f"final NAV {res.nav[-1, 0]:,.0f}" in res.summary()
    assert res.records.summary_dict()["slots"]["core.short_put"]["held_share"] == pytest.approx(
        float((res.records.quantity[:, :, 1] != 0).mean())
    )
    assert "days=60" in repr(res) and "paths=2" in repr(res)


def test_html_view_escapes_text():
    from alvh._display import html_view

    h = html_view("a<b", {"k": "[/]<script>"}, "x < y & z")
    assert "<script>" not in h and "&lt;script&gt;" in h and "x &lt; y &amp; z" in h and "a&lt;b" in h


def test_batch_layer_events_are_those_of_the_variants_alone():
    # a flat layer of weight 0 on a path never opens, so it makes no daily roll attempt (and counts no
    # "bucket_unfilled"/"layer_size_zero" event); a batch's layer events are the sum of its variants' alone
    # (the size-zero event reads each path's own weight, not the batch's first rules)
    from alvh.config import default_rules

    base = default_rules().model_dump(mode="json")

    def variant(weights):
        return rules_from_dict(
            {**base, "layers": [{**la, "weight": w} for la, w in zip(base["layers"], weights, strict=True)]}
        )

    variants = [variant((0.04, 0.04, 0.02)), variant((0.05, 0.0, 0.00003)), variant((0.0, 0.0, 0.0))]
    mp = synthetic_paths(1, 260, seed=4)
    batch = run_engine(variants[0], mp.broadcast_paths(len(variants)), variants=variants)
    alone = [run_engine(v, mp) for v in variants]
    keys = {k for r in (batch, *alone) for k in r.events if k.startswith(("layer_", "bucket_unfilled."))}
    assert any(k.startswith("layer_size_zero") for k in keys)  # the tiny long layer rounds to 0 contracts
    for k in keys:
        assert batch.events.get(k, 0) == sum(r.events.get(k, 0) for r in alone), k
    assert not any(k.endswith(".medium") and v for r in alone[1:] for k, v in r.events.items())
    for p, r in enumerate(alone):
        assert np.array_equal(batch.nav[:, p], r.nav[:, 0])
