"""SpxSurface: VIX and SKEW reproduced by Cboe's formulas on every real day, no static arbitrage, a call wing.

The oracle is the Cboe VIX white paper's discretized formula written out here
strike by strike in index points (F, K0, delta K, e^{RT}, put/call selection),
with Black-76 from scipy's normal CDF, on a sample of real days; the vectorized
check then covers every day 1990-2026.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from alvh.errors import InputError
from alvh.market.surface import (
    DEFAULT_TAIL,
    DEFAULT_TERM_RATIO,
    T30,
    TAIL_MAX,
    TAIL_MIN,
    SpxSurface,
    cboe_sums,
    solve_theta30,
)


def _read_index(shared: Path, name: str) -> pd.Series:
    frame = pd.read_csv(shared / "vix_index" / f"{name}_History.csv")
    idx = pd.to_datetime(frame["DATE"], format="%m/%d/%Y")
    return pd.Series(frame.iloc[:, -1].to_numpy(dtype=float), index=idx, name=name)


@pytest.fixture(scope="module")
def indices(shared_data: Path) -> pd.DataFrame:
    vix = _read_index(shared_data, "VIX")
    cols = {"vix": vix}
    for name in ("VIX9D", "VIX3M", "VIX6M", "SKEW"):
        cols[name.lower()] = _read_index(shared_data, name).reindex(vix.index)
    return pd.DataFrame(cols)


@pytest.fixture(scope="module")
def hist_surface(indices: pd.DataFrame) -> SpxSurface:
    return SpxSurface.from_vix(
        indices["vix"].to_numpy(),
        vix9d=indices["vix9d"].to_numpy(),
        vix3m=indices["vix3m"].to_numpy(),
        vix6m=indices["vix6m"].to_numpy(),
        skew=indices["skew"].to_numpy(),
    )


def _cboe_reference(smile, spot: float, rate: float) -> tuple[float, float]:
    """VIX^2 and SKEW by the white papers, one strike at a time, in index points (slow, obvious)."""
    t = T30
    fwd = spot * np.exp(rate * t)
    strikes = fwd * np.arange(80, 801) / 400.0  # the same K/F grid in points
    k0 = strikes[strikes <= fwd * (1 + 1e-12)].max()
    total = 0.0
    p1 = p2 = p3 = 0.0
    for i, strike in enumerate(strikes):
        dk = (strikes[min(i + 1, len(strikes) - 1)] - strikes[max(i - 1, 0)]) / (
            2.0 if 0 < i < len(strikes) - 1 else 1.0
        )
        vol = float(smile.iv(np.array([[np.log(strike / fwd)]]), t)[0, 0])
        sd = vol * np.sqrt(t)
        d1 = (np.log(fwd / strike) + 0.5 * sd * sd) / sd
        d2 = d1 - sd
        call = np.exp(-rate * t) * (fwd * norm.cdf(d1) - strike * norm.cdf(d2))
        put = np.exp(-rate * t) * (strike * norm.cdf(-d2) - fwd * norm.cdf(-d1))
        q = put if strike < k0 else call if strike > k0 else 0.5 * (put + call)
        total += dk / strike**2 * np.exp(rate * t) * q
        lk = np.log(strike / fwd)
        p1 -= np.exp(rate * t) * q * dk / strike**2
        p2 += np.exp(rate * t) * q * dk / strike**2 * 2 * (1 - lk)
        p3 += np.exp(rate * t) * q * dk / strike**2 * 3 * (2 * lk - lk * lk)
    r = np.log(k0 / fwd)
    e1 = -(1 + r - fwd / k0)
    e2 = 2 * r * (fwd / k0 - 1) + 0.5 * r * r
    e3 = 3 * r * r * (r / 3 - 1 + fwd / k0)
    p1, p2, p3 = p1 + e1, p2 + e2, p3 + e3
    var = 2.0 / t * total - (fwd / k0 - 1) ** 2 / t
    s = (p3 - 3 * p1 * p2 + 2 * p1**3) / (p2 - p1**2) ** 1.5
    return var, 100 - 10 * s


def test_vix_reproduced_on_every_real_day(indices: pd.DataFrame, hist_surface: SpxSurface) -> None:
    var, skew = hist_surface.vix_check()
    target = (indices["vix"].to_numpy() / 100.0) ** 2
    assert var.shape == (len(indices), 1)
    err = np.abs(var[:, 0] - target)
    assert err.max() < 1e-6, f"worst day {indices.index[int(err.argmax())].date()}: {err.max():.3e}"
    # the default solve (tables, Newton polish only above POLISH_VIX_ABOVE) in VIX index points too
    pts = np.abs(np.sqrt(var[:, 0]) * 100.0 - indices["vix"].to_numpy())
    assert pts.max() < 1e-6, f"worst day {indices.index[int(pts.argmax())].date()}: {pts.max():.3e} points"
    # SKEW matched wherever it was reachable (not clipped)
    s = indices["skew"].to_numpy()
    ok = np.isfinite(s) & ~hist_surface.skew_clipped[:, 0]
    assert ok.sum() > 7000
    assert np.abs(skew[ok, 0] - s[ok]).max() < 0.02


def test_reference_cboe_formula_on_sample_days(indices: pd.DataFrame, hist_surface: SpxSurface) -> None:
    rng = np.random.default_rng(np.random.SeedSequence(20261126))
    days = np.sort(rng.choice(len(indices), size=6, replace=False))
    days = np.concatenate([days, [int(indices["vix"].to_numpy().argmax())]])  # the 2008/2020 peak
    for i in days:
        var, skew = _cboe_reference(hist_surface.day(int(i)), spot=3000.0, rate=0.03)
        assert abs(var - (indices["vix"].iloc[i] / 100) ** 2) < 1e-6
        if not hist_surface.skew_clipped[i, 0] and np.isfinite(indices["skew"].iloc[i]):
            assert abs(skew - indices["skew"].iloc[i]) < 0.02


def test_simulated_paths_vectorized_matches_per_path_solve() -> None:
    rng = np.random.default_rng(np.random.SeedSequence(7))
    vix = np.exp(rng.normal(np.log(18), 0.4, size=(20, 30)))
    skew = rng.uniform(110, 135, size=vix.shape)
    surf = SpxSurface.from_vix(vix, skew=skew, polish=False)
    var, sk = surf.vix_check()
    assert np.abs(var - (vix / 100) ** 2).max() < 1e-6
    ok = ~surf.skew_clipped
    assert np.abs(sk[ok] - skew[ok]).max() < 0.02
    # one path at a time gives the same parameters (broadcasting check)
    for p in (0, 17, 29):
        one = SpxSurface.from_vix(vix[:, p : p + 1], skew=skew[:, p : p + 1], polish=False)
        np.testing.assert_allclose(one.theta30[:, 0], surf.theta30[:, p], rtol=1e-12)
        np.testing.assert_allclose(one.tail[:, 0], surf.tail[:, p], rtol=1e-12)


@pytest.mark.parametrize("with_skew", [False, True])
def test_default_solve_reproduces_extreme_simulated_vix(with_skew: bool) -> None:
    """The default solve (no polish below POLISH_VIX_ABOVE) on VIX over the whole range [2, 250]:
    VIX within 1e-6 index points of Cboe's sum on every cell, SKEW within 1 point wherever reachable."""
    rng = np.random.default_rng(np.random.SeedSequence(20261203))
    vix = np.concatenate([np.geomspace(2.0, 250.0, 600), np.exp(rng.uniform(np.log(2.0), np.log(250.0), 1400))])
    vix = vix.reshape(-1, 40)
    skew = rng.uniform(95.0, 200.0, size=vix.shape) if with_skew else None
    th, tail, clipped = solve_theta30(vix, skew)
    var, sk = cboe_sums(th, tail)
    pts = np.abs(np.sqrt(var) * 100.0 - vix)
    assert pts.max() < 1e-6, f"VIX {vix.ravel()[pts.argmax()]:.2f}: {pts.max():.3e} points"
    if skew is not None:
        ok = ~clipped
        assert ok.mean() > 0.4
        assert (np.abs(sk[ok] - skew[ok]) <= 1.0).mean() >= 0.99
        assert np.abs(sk[ok] - skew[ok]).max() < 0.05


def test_default_polish_is_per_cell() -> None:
    """The default polishes exactly the cells with a SKEW and VIX > POLISH_VIX_ABOVE, whatever else is solved
    with them (the old default polished everything below 5,000 cells: a chunk's size changed its numbers).
    Unpolished cells do not depend on the batch at all; polished ones to the last bit of the exact sum's
    Black prices (the pricing backend is chosen by array size)."""
    from alvh.market.surface import POLISH_VIX_ABOVE

    rng = np.random.default_rng(np.random.SeedSequence(11))
    vix = np.exp(rng.uniform(np.log(5.0), np.log(120.0), size=(30, 20)))
    skew = rng.uniform(105.0, 160.0, size=vix.shape)
    skew[::7] = np.nan  # no SKEW: the 1-D column, never polished
    auto = solve_theta30(vix, skew)[0]
    raw = solve_theta30(vix, skew, polish=False)[0]
    full = solve_theta30(vix, skew, polish=True)[0]
    hi = np.isfinite(skew) & (vix > POLISH_VIX_ABOVE)
    assert hi.any() and (~hi).any()
    np.testing.assert_array_equal(auto[hi], full[hi])
    np.testing.assert_array_equal(auto[~hi], raw[~hi])
    for sl in (np.s_[:, :1], np.s_[3:9, 5:6], np.s_[17:18, :]):
        part = solve_theta30(vix[sl], skew[sl])[0]
        np.testing.assert_array_equal(part[~hi[sl]], auto[sl][~hi[sl]])
        np.testing.assert_allclose(part[hi[sl]], auto[sl][hi[sl]], rtol=1e-14)


def test_default_tail_reproduces_median_skew(indices: pd.DataFrame) -> None:
    med_vix = float(indices["vix"].median())
    med_skew = float(indices["skew"].median())
    theta, tail, _ = solve_theta30(np.array([med_vix]), np.array([med_skew]))
    assert tail[0] == pytest.approx(DEFAULT_TAIL, abs=5e-4)
    _, skew = cboe_sums(theta, np.array([DEFAULT_TAIL]))
    assert skew[0] == pytest.approx(med_skew, abs=0.05)


def test_default_term_ratios_are_real_medians(indices: pd.DataFrame) -> None:
    for name, value in DEFAULT_TERM_RATIO.items():
        ratio = (indices[name] / indices["vix"]).dropna()
        assert ratio.median() == pytest.approx(value, abs=5e-4)


def test_term_structure_follows_indices() -> None:
    vix = np.array([[20.0], [20.0]])
    surf = SpxSurface.from_vix(vix, vix3m=np.array([[24.0], [np.nan]]))
    r = surf.term_ratio
    assert r[0, 0, 2] == pytest.approx((24 / 20) ** 2 * 93 / 30)
    assert r[1, 0, 2] == pytest.approx((DEFAULT_TERM_RATIO["vix3m"]) ** 2 * 93 / 30)
    assert surf.term_default[1, 0, 1] and not surf.term_default[0, 0, 1]
    # backwardation beyond what calendar arbitrage allows is floored: total variance never decreases
    inv = SpxSurface.from_vix(np.array([[40.0]]), vix3m=np.array([[15.0]]), vix6m=np.array([[14.0]]))
    assert (np.diff(inv.term_ratio[0, 0]) >= 0).all()


def test_no_butterfly_arbitrage_call_prices_convex(hist_surface: SpxSurface, indices: pd.DataFrame) -> None:
    from alvh.pricing import black76_price

    strikes = np.linspace(0.3, 2.0, 681)
    stressed = [int(indices["vix"].to_numpy().argmax()), int(indices["vix"].to_numpy().argmin()), 4000, 8000]
    for i in stressed:
        smile = hist_surface.day(i)
        for days in (1, 9, 30, 93, 365, 730):
            t = days / 365
            vol = smile.iv(np.log(strikes)[None, :], t)[0]
            call = black76_price(1.0, strikes, t, vol, 0.0, True)
            second = call[2:] - 2 * call[1:-1] + call[:-2]
            assert second.min() > -1e-12, (i, days, second.min())
            assert (np.diff(call) <= 1e-15).all()


def test_no_calendar_arbitrage_total_variance_non_decreasing(hist_surface: SpxSurface) -> None:
    k = np.linspace(-1.0, 0.6, 33)[None, :]
    ts = np.array([1, 5, 9, 20, 30, 60, 93, 150, 184, 365, 730]) / 365
    for i in range(0, hist_surface.shape[0], 97):  # every 97th real day
        smile = hist_surface.day(i)
        w = np.stack([smile.total_variance(k, t)[0] for t in ts])
        assert (np.diff(w, axis=0) >= -1e-15).all(), i


def test_iv_broadcasts_paths_by_strikes() -> None:
    vix = np.array([[15.0, 25.0, 40.0]])
    surf = SpxSurface.from_vix(vix)
    smile = surf.day(0)
    k = np.array([[-0.1, 0.0, 0.1]] * 3)
    iv = smile.iv(k, 30 / 365)
    assert iv.shape == (3, 3)
    # higher VIX -> higher ATM vol; the tail weight puts the put wing above the call wing
    assert (np.diff(iv[:, 1]) > 0).all()
    assert (iv[:, 0] > iv[:, 2]).all()
    np.testing.assert_allclose(smile.iv(k[:1], 30 / 365)[0], iv[0])
    assert smile.iv(np.zeros((3, 2)), np.array([[9 / 365, 184 / 365]])).shape == (3, 2)


@pytest.mark.parametrize("bad", [np.nan, 0.0, -5.0, np.inf, 1.0, 400.0])
def test_bad_vix_names_argument(bad: float) -> None:
    with pytest.raises(InputError, match="'vix'"):
        SpxSurface.from_vix(np.array([[20.0, bad]]))


def test_bad_time_and_moneyness() -> None:
    smile = SpxSurface.from_vix(np.array([[20.0]])).day(0)
    with pytest.raises(InputError, match="'t'"):
        smile.iv(np.array([[0.0]]), -1 / 365)
    with pytest.raises(InputError, match="'t'"):
        smile.iv(np.array([[0.0]]), 0.0)
    with pytest.raises(InputError, match="'k'"):
        smile.iv(np.array([[np.nan]]), 0.1)
    with pytest.raises(InputError, match="'skew'"):
        SpxSurface.from_vix(np.array([[20.0]]), skew=np.array([[-3.0]]))
    with pytest.raises(InputError, match="'vix3m'"):
        SpxSurface.from_vix(np.array([[20.0]]), vix3m=np.array([[0.0]]))
    with pytest.raises(InputError, match="'vix'"):
        SpxSurface.from_vix(np.ones((2, 2, 2)) * 20)


def test_from_market_uses_indices(real_market_data) -> None:
    md = real_market_data.slice("2019-01-01", "2019-12-31")
    surf = SpxSurface.from_market(md)
    assert surf.shape == (len(md.dates), 1)
    var, _ = surf.vix_check()
    assert np.abs(var[:, 0] - (md.vix["close"].to_numpy() / 100) ** 2).max() < 1e-6
    assert not surf.term_default.any()  # 2019 has VIX9D, VIX3M and VIX6M


def test_per_day_inputs_broadcast_over_paths() -> None:
    vix = np.array([[15.0, 25.0], [18.0, 30.0], [20.0, 22.0]])
    per_day_skew = np.array([120.0, 125.0, 118.0])
    a = SpxSurface.from_vix(vix, skew=per_day_skew, vix3m=np.array([16.0, 20.0, 21.0]))
    b = SpxSurface.from_vix(
        vix,
        skew=np.repeat(per_day_skew[:, None], 2, axis=1),
        vix3m=np.array([[16.0, 16.0], [20.0, 20.0], [21.0, 21.0]]),
    )
    np.testing.assert_array_equal(a.tail, b.tail)
    np.testing.assert_array_equal(a.term_ratio, b.term_ratio)
    with pytest.raises(InputError, match="'skew'"):
        SpxSurface.from_vix(vix, skew=np.ones(4) * 120)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(
    vix=st.floats(5.0, 150.0),
    skew=st.floats(100.0, 185.0),
    vix3m_ratio=st.floats(0.6, 1.6),
    days=st.sampled_from([1, 7, 30, 90, 184, 365]),
)
def test_property_smile_free_of_static_arbitrage(vix: float, skew: float, vix3m_ratio: float, days: int) -> None:
    """Any VIX/SKEW/term input gives call prices decreasing and convex in strike, and VIX reproduced."""
    from alvh.pricing import black76_price

    surf = SpxSurface.from_vix(np.array([[vix]]), skew=np.array([[skew]]), vix3m=np.array([[vix * vix3m_ratio]]))
    var, _ = surf.vix_check()
    assert abs(var[0, 0] - (vix / 100) ** 2) < 1e-6
    x = np.linspace(0.3, 2.5, 441)
    t = days / 365
    call = black76_price(1.0, x, t, surf.day(0).iv(np.log(x)[None, :], t)[0], 0.0, True)
    assert (np.diff(call) <= 1e-15).all()
    assert (call[2:] - 2 * call[1:-1] + call[:-2]).min() > -1e-12
    w = np.stack([surf.day(0).total_variance(np.log(x)[None, :], d / 365)[0] for d in (1, 9, 30, 93, 184, 400)])
    assert (np.diff(w, axis=0) >= -1e-15).all()


# ------------------------------------------------------------------ SKEW, arbitrage and the call wing, every day
def test_skew_reproduced_within_one_point_on_99pct_of_days(indices: pd.DataFrame, hist_surface: SpxSurface) -> None:
    _, skew = hist_surface.vix_check()
    s = indices["skew"].to_numpy()
    have = np.isfinite(s)
    err = np.abs(skew[have, 0] - s[have])
    assert have.sum() > 8000
    assert (err <= 1.0).mean() >= 0.99, f"{(err <= 1.0).mean():.4%}"
    # the tail weight is pinned at a bound on at most 1% of the days SKEW exists
    tail = hist_surface.tail[have, 0]
    pinned = (tail <= TAIL_MIN) | (tail >= TAIL_MAX)
    assert pinned.mean() <= 0.01
    assert (pinned == hist_surface.skew_clipped[have, 0]).all()


def _every_day_grid(hist_surface: SpxSurface, days: tuple[int, ...], x: np.ndarray):
    """Call prices per unit forward on (day, tenor, strike), from the solved smiles of every real day."""
    from alvh.pricing import black76_price

    n = hist_surface.shape[0]
    from alvh.market.surface import SpxSmileDay

    one = SpxSmileDay(
        theta30=hist_surface.theta30[:, 0], tail=hist_surface.tail[:, 0], term_ratio=hist_surface.term_ratio[:, 0]
    )  # all days as "paths"
    out = np.empty((n, len(days), x.size))
    w = np.empty_like(out)
    for j, d in enumerate(days):
        t = d / 365
        vol = one.iv(np.log(x)[None, :], t)
        w[:, j] = vol * vol * t
        out[:, j] = black76_price(1.0, x[None, :], t, vol, 0.0, True, validate=False)
    return out, w


def test_every_real_day_free_of_butterfly_and_calendar_arbitrage(hist_surface: SpxSurface) -> None:
    """Density >= 0 (calls convex, decreasing in strike) and total variance non-decreasing in T, every day."""
    x = np.linspace(0.4, 1.6, 241)
    days = (1, 9, 30, 60, 93, 184)
    call, w = _every_day_grid(hist_surface, days, x)
    second = call[..., 2:] - 2 * call[..., 1:-1] + call[..., :-2]
    assert second.min() > -1e-12, np.unravel_index(second.argmin(), second.shape)
    assert (np.diff(call, axis=-1) <= 1e-15).all()
    assert (np.diff(w, axis=1) >= -1e-15).all()


def test_call_wing_property_every_real_day(hist_surface: SpxSurface) -> None:
    """30-day IV at +5% moneyness (K = 1.05 F) within 45-100% of ATM; call delta N(d1) decreasing in strike."""
    from scipy.stats import norm as _norm

    from alvh.market.surface import SpxSmileDay

    one = SpxSmileDay(
        theta30=hist_surface.theta30[:, 0], tail=hist_surface.tail[:, 0], term_ratio=hist_surface.term_ratio[:, 0]
    )
    t = 30 / 365
    ratio = one.iv(np.log(1.05), t)[:, 0] / one.iv(0.0, t)[:, 0]
    assert ratio.min() >= 0.45 and ratio.max() <= 1.0, (ratio.min(), ratio.max())
    k = np.log(np.linspace(0.7, 1.3, 241))[None, :]
    for days in (9, 30, 60):
        tt = days / 365
        sd = one.iv(k, tt) * np.sqrt(tt)
        delta = _norm.cdf(-k / sd + 0.5 * sd)
        step = np.diff(delta, axis=1)
        assert step.max() <= 0.0, days  # never rises with the strike (equal only where N(d1) is 0 or 1 in floats)
        inside = (delta[:, 1:] > 1e-12) & (delta[:, :-1] < 1 - 1e-12)
        assert (step[inside] < 0).all(), days


def test_calm_day_2014_06_20_has_a_call_wing(indices: pd.DataFrame, hist_surface: SpxSurface) -> None:
    """The day issue 8 quotes (VIX 10.85, SKEW 143): SSVI gave 9.2% ATM and 1.4% at +4% (35 days)."""
    i = indices.index.get_loc(pd.Timestamp("2014-06-20"))
    smile = hist_surface.day(i)
    t = 35 / 365
    atm, up4 = smile.iv(np.array([[0.0, np.log(1.04)]]), t)[0]
    assert 0.45 * atm <= up4 < atm
    assert up4 > 0.05


def test_numba_kernel_uses_the_same_smile() -> None:
    """The engine's compiled marks kernel evaluates the one smile formula: vols equal the numpy path."""
    pytest.importorskip("numba")
    from alvh.market._spx_kernel import spx_marks
    from alvh.market.surface import _TERM_T

    rng = np.random.default_rng(np.random.SeedSequence(3))
    vix = rng.uniform(9, 60, size=(1, 5))
    surf = SpxSurface.from_vix(vix, skew=rng.uniform(105, 170, size=vix.shape), polish=False)
    P, L = 5, 4
    spot = np.full(P, 4000.0)
    strike = spot[:, None] * np.array([0.8, 0.95, 1.03, 1.1])[None, :]
    t = np.array([[3, 30, 45, 200]] * P) / 365
    out = [np.zeros((P, L)) for _ in range(3)]
    settle = np.zeros((P, L), dtype=bool)
    greeks = np.zeros((P, 4))
    spx_marks(
        spot,
        spot,
        strike,
        t,
        surf.theta30[0],
        surf.tail[0],
        surf.term_ratio[0],
        _TERM_T,
        0.0,
        0.0,
        np.array([False, False, True, True]),
        np.ones((P, L)),
        100.0,
        np.zeros((P, L)),
        np.zeros((P, L)),
        np.zeros((P, L)),
        out[0],
        out[1],
        out[2],
        settle,
        greeks,
    )
    expect = surf.day(0).iv(np.log(strike / spot[:, None]), t)
    np.testing.assert_allclose(out[2], expect, rtol=1e-13)


@pytest.mark.parametrize("theta", [1e-4, 1e-3, 0.01, 0.05, 0.2, 0.8, 3.0, 10.0])
def test_durrleman_condition_for_every_tail_and_theta(theta: float) -> None:
    """Gatheral-Jacquier Lemma 2.2 (Durrleman): g(k) = (1 - k w'/2w)^2 - w'^2/4 (1/w + 1/4) + w''/2 >= 0.

    Checked on the smile formula itself (derivatives by central differences) for tail weights 0..1 and
    ATM total variance up to 10 (VIX 250 for 4 years): the damping keeps the put wing inside Lee's bound.
    """
    from alvh.market._spx_kernel import total_variance

    sd = np.sqrt(theta)
    k = np.linspace(-12 * sd - 1.0, 6 * sd + 0.5, 60_001)
    dk = k[1] - k[0]
    for tail in np.linspace(0.0, 1.0, 11):
        w = total_variance(k, theta, tail)
        wp = (w[2:] - w[:-2]) / (2 * dk)
        wpp = (w[2:] - 2 * w[1:-1] + w[:-2]) / dk**2
        kk, ww = k[1:-1], w[1:-1]
        g = (1 - kk * wp / (2 * ww)) ** 2 - wp**2 / 4 * (1 / ww + 0.25) + wpp / 2
        assert g.min() > 0.0, (theta, tail, g.min())
        # and the wing slope stays inside Lee's moment bound |dw/dk| < 2
        assert np.abs(wp).max() < 2.0
