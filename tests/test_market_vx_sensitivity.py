"""alvh.market.vx_sensitivity: the expanding, no-look-ahead dF/dVIX by DTE bucket.

Oracles we did not write here: alvh.market.vx.estimate_effective_vega (a whole-sample OLS) refit
from scratch on the VX panel cut at each checked day (the slow per-day reference), numpy.polyfit,
and synthetic futures built with a known slope per bucket.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alvh.data.vxpanel import VXPanel
from alvh.errors import InputError
from alvh.market.vx import DEFAULT_VEGA_BUCKETS, effective_vega_model, estimate_effective_vega
from alvh.market.vx_sensitivity import MIN_OBS, expanding_dfdvix, expanding_dfdvix_from_panel


@pytest.fixture(scope="module")
def real_panel(real_market_data):
    md = real_market_data
    vx = md.vx
    vix = md.vix["close"].reindex(vx.dates).to_numpy(dtype=float)
    keep = np.isfinite(vix)
    return vx, vix, keep


def _cut(vx: VXPanel, last: int) -> VXPanel:
    return VXPanel(
        dates=vx.dates[: last + 1],
        contracts=vx.contracts,
        expiries=vx.expiries,
        settle=np.asarray(vx.settle)[: last + 1],
        dte=np.asarray(vx.dte)[: last + 1],
        source="cut",
    )


def test_expanding_estimate_equals_a_refit_on_the_panel_cut_at_each_day(real_panel):
    vx, vix, keep = real_panel
    assert keep.all()
    est = expanding_dfdvix_from_panel(vx, vix)
    have = np.flatnonzero(np.isfinite(vx.settle).any(axis=1))
    days = np.unique(np.linspace(have[0] + 5, len(vx.dates) - 1, 25).astype(int))
    checked = 0
    for d in days:  # slow reference: refit from scratch with only the data up to close d
        ref = estimate_effective_vega(_cut(vx, d), vix[: d + 1])
        for j in range(len(DEFAULT_VEGA_BUCKETS)):
            n = int(ref["n_obs"].iloc[j])
            assert est.n_obs_close[d, j] == n
            if n >= MIN_OBS:
                assert est.beta_close[d, j] == pytest.approx(ref["beta"].iloc[j], rel=1e-9, abs=1e-12)
                assert est.dte_mean_close[d, j] == pytest.approx(ref["dte_mean"].iloc[j], rel=1e-12)
                checked += 1
            else:
                assert np.isnan(est.beta_close[d, j])
        if d + 1 < len(vx.dates):  # the holding-day estimate is the previous close's
            np.testing.assert_array_equal(est.beta[d + 1], est.beta_close[d])
    assert checked > 100
    # at the last close it is the whole-sample fit
    whole = estimate_effective_vega(vx, vix)
    np.testing.assert_allclose(est.beta_close[-1], whole["beta"].to_numpy(), rtol=1e-9)


def test_no_look_ahead_changing_the_future_leaves_the_past_unchanged(real_panel):
    vx, vix, _ = real_panel
    est = expanding_dfdvix_from_panel(vx, vix)
    cut = len(vx.dates) // 2
    settle = np.asarray(vx.settle, dtype=float).copy()
    settle[cut + 1 :] *= 1.7  # a different future
    v2 = vix.copy()
    v2[cut + 1 :] += 5.0
    est2 = expanding_dfdvix(settle, np.asarray(vx.dte, float), v2, vx.dates)
    np.testing.assert_array_equal(est.beta_close[: cut + 1], est2.beta_close[: cut + 1])
    np.testing.assert_array_equal(est.beta[: cut + 2], est2.beta[: cut + 2])
    assert not np.allclose(est.beta_close[-1], est2.beta_close[-1])


def _synthetic(n=900, seed=3):
    """Monthly contracts 8 months out; F moves beta(dte) x dVIX + noise with a known beta by bucket."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    dates = pd.bdate_range("2010-01-04", periods=n)
    expiries = pd.date_range("2010-01-20", periods=n // 15 + 12, freq="28D").to_numpy().astype("datetime64[D]")
    dte = (expiries[None, :] - dates.to_numpy().astype("datetime64[D]")[:, None]).astype(np.int64)
    true = {b: 0.9 - 0.003 * (b[0] + b[1]) / 2 for b in DEFAULT_VEGA_BUCKETS}

    def slope(d):
        out = np.zeros(d.shape)
        for (lo, hi), s in true.items():
            out[(d >= lo) & (d < hi)] = s
        return out

    dv = rng.normal(0, 1.0, n)
    vix = 18 + np.concatenate([[0.0], np.cumsum(dv[1:])]) * 0.3
    dvix = np.concatenate([[0.0], np.diff(vix)])
    listed = (dte >= 0) & (dte < 270)
    settle = np.full(dte.shape, np.nan)
    level = np.full(dte.shape[1], 20.0)
    for d in range(n):
        if d:
            level = level + slope(dte[d - 1]) * dvix[d] + rng.normal(0, 0.02, dte.shape[1])
        settle[d] = np.where(listed[d], level, np.nan)
    return dates, settle, dte, vix, true


def test_synthetic_slopes_recovered_and_warm_up_uses_the_model():
    dates, settle, dte, vix, true = _synthetic()
    est = expanding_dfdvix(settle, dte.astype(float), vix, dates, min_obs=60)
    for j, b in enumerate(DEFAULT_VEGA_BUCKETS):
        assert est.beta_close[-1, j] == pytest.approx(true[b], abs=0.01)
        # the bucket's slope by numpy.polyfit on the same pairs
        m = np.isfinite(settle[1:] - settle[:-1]) & (dte[1:] >= 1) & (dte[:-1] >= b[0]) & (dte[:-1] < b[1])
        y = (settle[1:] - settle[:-1])[m]
        x = np.broadcast_to(np.diff(vix)[:, None], m.shape)[m]
        assert est.beta_close[-1, j] == pytest.approx(np.polyfit(x, y, 1)[0], rel=1e-9)
    # warm-up: before any bucket holds 60 pairs the model answers; after, the estimate
    first = int(np.flatnonzero(np.isfinite(est.beta_close).any(axis=1))[0])
    assert first > 0
    model = lambda d: effective_vega_model(d)  # noqa: E731
    np.testing.assert_allclose(
        est.at_close(np.zeros(3, int), np.array([5.0, 50.0, 200.0])), model(np.array([5.0, 50.0, 200.0]))
    )
    assert est.at(np.array([first + 1]), np.array([5.0]))[0] == pytest.approx(
        est.at_close(np.array([first]), np.array([5.0]))[0]
    )
    # a day on which some buckets are warm and others not: a cold bucket stands at the model at its mid DTE
    part = np.flatnonzero(np.isfinite(est.beta_close).any(axis=1) & ~np.isfinite(est.beta_close).all(axis=1))
    assert part.size
    row = int(part[0])
    cold = [j for j in range(len(DEFAULT_VEGA_BUCKETS)) if not np.isfinite(est.beta_close[row, j])]
    warm = [j for j in range(len(DEFAULT_VEGA_BUCKETS)) if np.isfinite(est.beta_close[row, j])]
    mids = np.array([sum(DEFAULT_VEGA_BUCKETS[j]) / 2.0 for j in cold])
    np.testing.assert_allclose(est.at_close(np.full(mids.size, row), mids), model(mids), rtol=1e-12)
    at_mean = est.dte_mean_close[row, warm]
    np.testing.assert_allclose(est.at_close(np.full(at_mean.size, row), at_mean), est.beta_close[row, warm], rtol=1e-12)
    tab = est.close_table(300)
    assert tab.shape == (len(dates), 300)
    np.testing.assert_allclose(tab[0], model(np.arange(300.0)))
    np.testing.assert_allclose(tab[-1, [9, 100]], est.at_close(np.array([len(dates) - 1] * 2), np.array([9.0, 100.0])))
    # a run's days inside the history keep what the history knew
    sub = est.take(np.arange(400, 500))
    np.testing.assert_array_equal(sub.beta_close, est.beta_close[400:500])
    np.testing.assert_array_equal(sub.beta[0], est.beta_close[399])


def test_bad_input_names_the_argument():
    dates, settle, dte, vix, _ = _synthetic(n=60)
    v = vix.copy()
    v[7] = np.nan
    with pytest.raises(InputError, match="vix") as e:
        expanding_dfdvix(settle, dte.astype(float), v, dates)
    assert str(dates[7].date()) in str(e.value)
    with pytest.raises(InputError, match="min_obs"):
        expanding_dfdvix(settle, dte.astype(float), vix, dates, min_obs=1)
    with pytest.raises(InputError, match="buckets"):
        expanding_dfdvix(settle, dte.astype(float), vix, dates, buckets=((30, 60), (15, 40)))
    with pytest.raises(InputError, match="vix"):
        expanding_dfdvix(settle[:, :3], dte.astype(float), vix, dates)
    est = expanding_dfdvix(settle, dte.astype(float), vix, dates, min_obs=10)
    with pytest.raises(InputError, match="dte"):
        est.at(np.array([3]), np.array([-1.0]))
    with pytest.raises(InputError, match="day"):
        est.at_close(np.array([60]), np.array([10.0]))


def test_interp_rows_is_np_interp_row_by_row():
    # the vectorized per-day interpolation (close_table, at) against np.interp, bit for bit: knots in any
    # order, queries on knots, between, left and right of them, one-knot rows
    from alvh.market.vx_sensitivity import _interp_rows

    rng = np.random.default_rng(3)
    for k in (1, 2, 5, 7):
        xs = np.stack([rng.permutation(rng.choice(np.arange(0.0, 300.0, 0.5), k, replace=False)) for _ in range(300)])
        ys = rng.normal(0.5, 0.3, xs.shape)
        q = np.concatenate([rng.uniform(-20, 320, (300, 40)), xs, np.rint(rng.uniform(0, 300, (300, 10)))], axis=1)
        got = _interp_rows(xs, ys, q)
        for i in range(xs.shape[0]):
            o = np.argsort(xs[i])
            assert np.array_equal(got[i], np.interp(q[i], xs[i][o], ys[i][o])), (k, i)


def test_interp_rows_on_grid_is_interp_rows_bit_for_bit():
    # close_table's loop over days of np.interp against the vectorized rows on the broadcast grid
    from alvh.market.vx_sensitivity import _interp_rows, _interp_rows_on_grid

    rng = np.random.default_rng(5)
    grid = np.arange(400, dtype=float)
    for k in (1, 2, 6):
        xs = np.stack([rng.permutation(rng.choice(np.arange(0.0, 300.0, 0.5), k, replace=False)) for _ in range(200)])
        ys = rng.normal(0.5, 0.3, xs.shape)
        want = _interp_rows(xs, ys, np.broadcast_to(grid, (xs.shape[0], grid.size)))
        assert np.array_equal(_interp_rows_on_grid(xs, ys, grid), want), k
