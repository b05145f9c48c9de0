"""alvh.stats rolling regression: RollingBeta (incremental) and rolling_ols (batch).

Oracles we did not write: statsmodels RollingOLS and numpy lstsq per window (slow reference loop).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.regression.rolling import RollingOLS

from alvh.errors import InputError
from alvh.stats import RollingBeta, beta_ratio, rolling_ols, trigger


def _lstsq_window(y: np.ndarray, x: np.ndarray, add_constant: bool = True) -> tuple[np.ndarray, int]:
    """Slow reference: OLS on the valid rows of one window with numpy lstsq (x centred for conditioning)."""
    x = x.reshape(len(y), -1)
    ok = np.isfinite(y) & np.isfinite(x).all(axis=1)
    ys, xs = y[ok], x[ok]
    if add_constant:
        design = np.column_stack([np.ones(len(ys)), xs])
    else:
        design = xs
    coef = np.linalg.lstsq(design, ys, rcond=None)[0]
    return coef, int(ok.sum())


def _ref_betas(y: np.ndarray, x: np.ndarray, window: int, min_nobs: int) -> np.ndarray:
    """Per-day, per-element reference beta (explicit loops over days and elements)."""
    n = y.shape[0]
    xb = np.broadcast_to(x, y.shape)
    out = np.full(y.shape, np.nan)
    for t in range(n):
        lo = max(0, t - window + 1)
        for idx in np.ndindex(y.shape[1:]):
            ys = y[(slice(lo, t + 1), *idx)]
            xs = xb[(slice(lo, t + 1), *idx)]
            ok = np.isfinite(ys) & np.isfinite(xs)
            if ok.sum() >= min_nobs and np.ptp(xs[ok]) > 0:
                xc = xs[ok] - xs[ok].mean()
                out[(t, *idx)] = np.linalg.lstsq(np.column_stack([np.ones(ok.sum()), xc]), ys[ok], rcond=None)[0][1]
    return out


@pytest.mark.parametrize("recompute_every", [None, 7, 10**9])
def test_rolling_beta_matches_lstsq_reference_with_nans_and_broadcast(recompute_every):
    rng = np.random.default_rng(np.random.SeedSequence(11))
    n, paths, layers, window, min_nobs = 120, 4, 3, 20, 12
    x = rng.normal(0, 0.01, size=(n, paths, 1))
    y = 50.0 * x * np.array([1.0, -2.0, 0.5]) + rng.normal(0, 0.2, size=(n, paths, layers))
    y[rng.random(y.shape) < 0.08] = np.nan
    x[rng.random(x.shape) < 0.05] = np.nan
    x[30:45, 1] = np.nan  # a long gap on one path: nobs falls below min_nobs, then recovers
    rb = RollingBeta(window, min_nobs, (paths, layers), recompute_every=recompute_every)
    got = np.stack([rb.update(y[t], x[t]) for t in range(n)])
    ref = _ref_betas(y, x, window, min_nobs)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-9)
    assert np.isnan(got[: min_nobs - 1]).all()
    assert np.isfinite(got[min_nobs - 1 :]).mean() > 0.8
    assert np.isnan(got[45:50, 1]).any()  # the gap shows as explicit NaN, never a stale value


@pytest.mark.parametrize(("recompute_every", "rtol"), [(10**9, 1e-7), (None, 2e-9)])
def test_rolling_beta_precise_with_spx_levels_and_tiny_moves(recompute_every, rtol):
    # x = SPX *levels* near 5000 with moves of ~1e-3 points: raw sums of squares would lose all digits.
    rng = np.random.default_rng(np.random.SeedSequence(12))
    n, window = 600, 90
    x = 5000.0 + np.cumsum(rng.normal(0, 1e-3, n))
    y = 3.0 * (x - 5000.0) + rng.normal(0, 1e-4, n)
    # 10**9: Welford add/remove steps only; None: plus a two-pass recompute every window updates
    rb = RollingBeta(window, window, (1,), recompute_every=recompute_every)
    got = np.array([rb.update(y[t : t + 1], x[t : t + 1])[0] for t in range(n)])
    ref = _ref_betas(y[:, None], x[:, None], window, window)[:, 0]
    np.testing.assert_allclose(got[window - 1 :], ref[window - 1 :], rtol=rtol)
    # the naive one-pass formula from raw sums fails on the same data (so the test can fail)
    xs, ys = x[-window:], y[-window:]
    naive = (window * (xs * ys).sum() - xs.sum() * ys.sum()) / (window * (xs * xs).sum() - xs.sum() ** 2)
    assert abs(naive - ref[-1]) > 1e-5 * abs(ref[-1])


def test_rolling_beta_matches_statsmodels_rolling_ols_on_one_series():
    rng = np.random.default_rng(np.random.SeedSequence(13))
    n, window = 400, 90
    x = rng.normal(0, 0.012, n)
    y = -8e4 * x + rng.normal(0, 300.0, n)
    rb = RollingBeta(window, window, (1,))
    got = np.array([rb.update(y[t : t + 1], x[t : t + 1])[0] for t in range(n)])
    sm_res = RollingOLS(y, sm.add_constant(x), window).fit()
    np.testing.assert_allclose(got, sm_res.params[:, 1], rtol=1e-10, equal_nan=True)
    np.testing.assert_allclose(rb.alpha()[0], sm_res.params[-1, 0], rtol=1e-8)


def test_rolling_beta_constant_x_is_nan_and_bad_arguments_raise():
    rb = RollingBeta(5, 3, (2,))
    for t in range(6):
        beta = rb.update(np.array([t, 2.0 * t]), np.array([4000.0, float(t)]))
    assert np.isnan(beta[0]) and beta[1] == pytest.approx(2.0)
    with pytest.raises(InputError, match="window"):
        RollingBeta(1, 1, (2,))
    with pytest.raises(InputError, match="min_nobs"):
        RollingBeta(10, 11, (2,))
    with pytest.raises(InputError, match="'y'"):
        rb.update(np.zeros(3), np.zeros(2))
    with pytest.raises(InputError, match="'x'"):
        rb.update(np.zeros(2), np.zeros(3))


def test_beta_ratio_and_trigger_hand_values():
    ratio = beta_ratio([-2.8, 1.0, np.nan, 1.0], [2.0, -1.0, 1.0, 0.0])
    np.testing.assert_allclose(ratio[:2], [1.4, 1.0])
    assert np.isnan(ratio[2]) and np.isnan(ratio[3])
    # strict inequality: exactly 1.4 does not fire; NaN never fires
    np.testing.assert_array_equal(trigger([1.4, 1.4000001, np.nan, 4.8]), [False, True, False, True])
    np.testing.assert_array_equal(trigger([1.2, 2.0], threshold=1.5), [False, True])
    with pytest.raises(InputError, match="threshold"):
        trigger([1.0], threshold=np.nan)


# ------------------------------------------------------------------ rolling_ols


def _data(n=300, seed=21):
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    x = rng.normal(size=(n, 2))
    y = 1.0 + x @ np.array([0.5, -2.0]) + rng.normal(size=n)
    return y, x


@pytest.mark.parametrize("expanding", [False, True])
def test_rolling_ols_matches_statsmodels_window_by_window(expanding):
    y, x = _data()
    got = rolling_ols(y, x, 60, expanding=expanding, min_nobs=10 if expanding else None)
    ref = RollingOLS(y, sm.add_constant(x), 60, expanding=expanding, min_nobs=10 if expanding else None).fit()
    for name in ("params", "bse", "tvalues"):
        np.testing.assert_allclose(
            getattr(got, name), getattr(ref, name), rtol=1e-9, atol=1e-12, equal_nan=True, err_msg=name
        )
    np.testing.assert_allclose(got.rsquared, ref.rsquared, rtol=1e-9, equal_nan=True)
    assert got.param_names == ("const", "x1", "x2")


def test_rolling_ols_drop_matches_statsmodels_and_lstsq():
    y, x = _data()
    y[[100, 150]] = np.nan
    x[120, 1] = np.nan
    got = rolling_ols(y, x, 60, missing="drop")
    ref = RollingOLS(y, sm.add_constant(x), 60, missing="drop").fit()
    np.testing.assert_allclose(got.params, ref.params, rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(got.bse, ref.bse, rtol=1e-9, equal_nan=True)
    np.testing.assert_array_equal(got.nobs[59:], ref.nobs[59:])
    for t in (59, 130, 160, 299):
        coef, nobs = _lstsq_window(y[t - 59 : t + 1], x[t - 59 : t + 1])
        np.testing.assert_allclose(got.params[t], coef, rtol=1e-9)
        assert got.nobs[t] == nobs


def test_rolling_ols_skip_gives_nan_for_any_window_with_a_gap():
    # statsmodels 0.15 "skip" counts only window-1 rows for the NaN test (row 209 below, whose window
    # 150..209 holds the NaN at 150, gets an estimate there), so this checks against lstsq instead.
    y, x = _data()
    y[150] = np.nan
    got = rolling_ols(y, x, 60, missing="skip")
    assert np.isnan(got.params[150:210]).all()
    assert np.isfinite(got.params[[149, 210]]).all()
    np.testing.assert_allclose(got.params[210], _lstsq_window(y[151:211], x[151:211])[0], rtol=1e-9)


def test_rolling_ols_batch_axes_match_per_series_and_no_constant_matches_statsmodels():
    rng = np.random.default_rng(np.random.SeedSequence(22))
    n, paths, layers = 150, 3, 2
    x = rng.normal(size=(n, paths, layers, 1))
    y = 2.0 * x[..., 0] + rng.normal(size=(n, paths, layers))
    got = rolling_ols(y, x, 40)
    for i in range(paths):
        for j in range(layers):
            ref = RollingOLS(y[:, i, j], sm.add_constant(x[:, i, j, :]), 40).fit()
            np.testing.assert_allclose(got.params[:, i, j], ref.params, rtol=1e-9, equal_nan=True)
    # shared X of shape (n, k) broadcasts over the batch
    shared = rolling_ols(y, x[:, 0, 0, :], 40)
    ref = RollingOLS(y[:, 2, 1], sm.add_constant(x[:, 0, 0, :]), 40).fit()
    np.testing.assert_allclose(shared.params[:, 2, 1], ref.params, rtol=1e-9, equal_nan=True)
    noc = rolling_ols(y[:, 0, 0], x[:, 0, 0, :], 40, add_constant=False)
    ref = RollingOLS(y[:, 0, 0], x[:, 0, 0, :], 40).fit()
    np.testing.assert_allclose(noc.params, ref.params, rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(noc.rsquared, ref.rsquared, rtol=1e-9, equal_nan=True)


def test_rolling_ols_levels_precision_and_agreement_with_rolling_beta():
    rng = np.random.default_rng(np.random.SeedSequence(23))
    n, window = 2000, 90
    x = 5000.0 + np.cumsum(rng.normal(0, 1e-3, n))
    y = 3.0 * (x - 5000.0) + rng.normal(0, 1e-4, n)
    got = rolling_ols(y, x, window)
    for t in (window - 1, 777, n - 1):
        xs = x[t - window + 1 : t + 1]
        ref = _lstsq_window(y[t - window + 1 : t + 1], xs - xs.mean())[0][1]
        assert got.params[t, 1] == pytest.approx(ref, rel=1e-7)
    rb = RollingBeta(window, window, (1,))
    inc = np.array([rb.update(y[t : t + 1], x[t : t + 1])[0] for t in range(n)])
    np.testing.assert_allclose(inc, got.params[:, 1], rtol=1e-7, equal_nan=True)


def test_rolling_ols_pandas_names_gap_and_bad_arguments():
    idx = pd.bdate_range("2024-01-01", periods=50)
    y = pd.Series(np.arange(50.0) + np.sin(np.arange(50.0)), index=idx, name="vega_pnl")
    xf = pd.DataFrame({"spx_ret": np.cos(np.arange(50.0)), "vrp": np.sin(np.arange(50.0) / 3)}, index=idx)
    res = rolling_ols(y, xf, 20)
    frame = res.to_frame()
    assert list(frame.columns[:3]) == ["const", "spx_ret", "vrp"]
    assert frame.index.equals(idx) and frame["nobs"].iloc[-1] == 20
    assert frame["spx_ret"].iloc[:19].isna().all()
    gappy = xf.copy()
    gappy.loc[idx[7], "vrp"] = np.nan
    with pytest.raises(InputError, match="'vrp'.*row 7 .*2024-01-10"):
        rolling_ols(y, gappy, 20)
    with pytest.raises(InputError, match="window"):
        rolling_ols(y, xf, 51)
    assert np.isfinite(rolling_ols(y, xf, 51, expanding=True).params[-1]).all()
    with pytest.raises(InputError, match="index of X"):
        rolling_ols(y, xf.iloc[::-1], 20)
    with pytest.raises(InputError, match="missing"):
        rolling_ols(y, xf, 20, missing="ignore")
    with pytest.raises(InputError, match="min_nobs"):
        rolling_ols(y, xf, 20, min_nobs=2)


def test_rolling_beta_on_real_vix_vs_spx_against_lstsq_sample(real_market_data):
    # real data: daily VIX change (points) on SPX daily return, 2006-2025, window 90
    md = real_market_data.slice("2006-01-01", "2025-12-31")
    spx_ret = md.spx["close"].pct_change().to_numpy()[1:]
    dvix = md.vix["close"].diff().to_numpy()[1:]
    rb = RollingBeta(90, 90, (1,))
    betas = np.array([rb.update(dvix[t : t + 1], spx_ret[t : t + 1])[0] for t in range(len(dvix))])
    rng = np.random.default_rng(np.random.SeedSequence(24))
    for t in rng.choice(np.arange(89, len(dvix)), size=25, replace=False):
        coef, _ = _lstsq_window(dvix[t - 89 : t + 1], spx_ret[t - 89 : t + 1])
        assert betas[t] == pytest.approx(coef[1], rel=1e-9)
    # VIX falls when SPX rises: the rolling beta is negative on (almost) every day
    assert np.mean(betas[89:] < 0) > 0.99


@pytest.mark.parametrize("expanding", [False, True])
def test_one_regressor_fast_path_with_gaps_matches_statsmodels(expanding):
    y, x = _data(seed=25)
    x1 = x[:, :1].copy()
    y[[40, 41, 200]] = np.nan
    x1[120] = np.nan
    kw = dict(missing="drop", expanding=expanding, min_nobs=30)
    got = rolling_ols(y, x1, 60, **kw)
    ref = RollingOLS(y, sm.add_constant(x1), 60, **kw).fit()
    for name in ("params", "bse", "tvalues"):
        np.testing.assert_allclose(getattr(got, name), getattr(ref, name), rtol=1e-9, equal_nan=True, err_msg=name)
    np.testing.assert_allclose(got.rsquared, ref.rsquared, rtol=1e-9, equal_nan=True)


@pytest.mark.parametrize("recompute_every", [None, 7, 10**9])
def test_rolling_beta_numba_backend_equals_numpy(recompute_every):
    # the compiled update (the engine's one-path loop) against the numpy steps: NaN gaps, a window that
    # empties (a valid leaver with no valid pair left), broadcast x, recomputes; state and betas equal
    pytest.importorskip("numba")
    rng = np.random.default_rng(np.random.SeedSequence(21))
    n, paths, layers, window, min_nobs = 150, 3, 2, 12, 5
    x = rng.normal(0, 0.01, size=(n, paths, 1))
    y = 40.0 * x + rng.normal(0, 0.2, size=(n, paths, layers))
    y[rng.random(y.shape) < 0.1] = np.nan
    x[60:80, 2] = np.nan  # longer than the window: path 2 empties completely
    a = RollingBeta(window, min_nobs, (paths, layers), recompute_every=recompute_every)
    b = RollingBeta(window, min_nobs, (paths, layers), recompute_every=recompute_every, backend="numba")
    for t in range(n):
        ga, gb = a.update(y[t], x[t]), b.update(y[t], x[t])
        np.testing.assert_allclose(gb, ga, rtol=1e-12, atol=1e-15, equal_nan=True)
    np.testing.assert_array_equal(b.nobs, a.nobs)
    np.testing.assert_allclose(b.alpha(), a.alpha(), rtol=1e-12, equal_nan=True)
    assert np.isnan(a.beta()[2]).all() == np.isnan(b.beta()[2]).all()
    with pytest.raises(InputError, match="'x'"):
        b.update(np.zeros((paths, layers)), np.zeros(4))
    with pytest.raises(InputError, match="backend"):
        RollingBeta(5, 3, (2,), backend="cuda")


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("recompute_every", [None, 7])
def test_update_with_scale_equals_update_then_scale(backend, recompute_every):
    # the engine's rebalance reads beta and scale every day in one call: the compiled pass writes the scale
    # itself; it must be the numbers update() then scale() give, bit for bit (NaN gaps, recomputes)
    if backend == "numba":
        pytest.importorskip("numba")
    rng = np.random.default_rng(np.random.SeedSequence(22))
    n, shape, window, min_nobs = 120, (3, 2), 10, 4
    x = rng.normal(0, 0.01, size=(n, 3, 1))
    y = -25.0 * x + rng.normal(0, 0.3, size=(n, *shape))
    y[rng.random(y.shape) < 0.1] = np.nan
    a = RollingBeta(window, min_nobs, shape, recompute_every=recompute_every, backend=backend)
    b = RollingBeta(window, min_nobs, shape, recompute_every=recompute_every, backend=backend)
    seen = 0
    for t in range(n):
        beta_a = a.update(y[t], x[t])
        scale_a = a.scale()
        beta_b, scale_b = b.update_with_scale(y[t], x[t])
        np.testing.assert_array_equal(beta_b, beta_a)
        np.testing.assert_array_equal(scale_b, scale_a)
        seen += int(np.isfinite(scale_b).sum())
    assert seen > 100
    with pytest.raises(InputError, match="'y'"):
        b.update_with_scale(np.zeros(4), x[0])
