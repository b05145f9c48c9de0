"""VX curve (settlements and two-factor model), effective vega, VIX-option vol, on the real VX history.

Oracles: the real settlements themselves (node reproduction, per-day np.interp reference), numpy lstsq
per day for the profiled long factor, statsmodels OLS for the effective-vega regression, finite
differences for dF/dVIX, and the real contango share / slope distribution for the fitted model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alvh.data import VXPanel, read_index_csv, read_vx_long
from alvh.errors import ConfigError, InputError
from alvh.market.vx import (
    VXCurve,
    VXModelParams,
    effective_vega_model,
    estimate_effective_vega,
    fit_long_factor,
    long_factor_from_indices,
    model_futures,
    vix_option_settlement,
    vix_option_vol,
)


@pytest.fixture(scope="module")
def real(shared_data: Path) -> dict:
    long = read_vx_long(shared_data / "vix_futures" / "vx_contracts_daily_2004_2025.csv.gz")
    closes = {
        n: read_index_csv(shared_data / "vix_index" / f"{n.upper()}_History.csv", n)["close"]
        for n in ("vix", "vix3m", "vix6m", "vvix")
    }
    panel = VXPanel.from_long(long)
    panel = VXPanel.from_long(long, dates=panel.dates[panel.dates.isin(closes["vix"].index)])
    vix = closes["vix"].reindex(panel.dates).to_numpy()
    return {"panel": panel, "vix": vix, "closes": closes}


@pytest.fixture(scope="module")
def params() -> VXModelParams:
    return VXModelParams.default()


def test_settlement_curve_reproduces_nodes_and_matches_reference(real: dict) -> None:
    panel, vix = real["panel"], real["vix"]
    curve = VXCurve.from_panel(panel, vix)
    # at every listed (day, contract) with dte >= 1 the curve returns the settlement
    ok = np.isfinite(panel.settle) & (panel.dte >= 1)
    got = curve.price(np.where(ok, panel.dte, 1).astype(float))
    np.testing.assert_allclose(got[ok], panel.settle[ok], rtol=0, atol=1e-12)
    np.testing.assert_allclose(curve.price(np.zeros((curve.n_days, 1)))[:, 0], vix)
    # against np.interp day by day on a sample (flat beyond the last node)
    rng = np.random.default_rng(np.random.SeedSequence(11))
    q = rng.uniform(0, 400, size=(curve.n_days, 5))
    price = curve.price(q)
    flag = curve.extrapolated(q)
    for i in rng.choice(curve.n_days, 60, replace=False):
        row = ok[i]
        xs = np.concatenate([[0.0], panel.dte[i][row].astype(float)])
        ys = np.concatenate([[vix[i]], panel.settle[i][row]])
        order = np.argsort(xs)
        np.testing.assert_allclose(price[i], np.interp(q[i], xs[order], ys[order]), atol=1e-12)
        np.testing.assert_array_equal(flag[i], q[i] > xs.max())


def test_profiled_long_factor_equals_per_day_lstsq(real: dict, params: VXModelParams) -> None:
    panel, vix = real["panel"], real["vix"]
    lf = fit_long_factor(panel.settle, panel.dte, vix, params)
    ks, kl, th = params.kappa_s, params.kappa_l, params.theta
    for i in range(0, len(panel.dates), 397):
        m = np.isfinite(panel.settle[i]) & (panel.dte[i] >= 1)
        tau = panel.dte[i][m] / 365.0
        a = np.exp(-ks * tau)
        c = ks / (ks - kl) * (np.exp(-kl * tau) - a)
        y = panel.settle[i][m] - th - (vix[i] - th) * a
        sol, *_ = np.linalg.lstsq(c[:, None], y, rcond=None)
        assert lf[i] == pytest.approx(th + sol[0], rel=1e-12)


def test_two_factor_model_shape_and_sensitivity(params: VXModelParams) -> None:
    dte = np.array([0.0, 7, 30, 90, 180, 365, 5000])
    f = model_futures(20.0, 25.0, dte, params)
    assert f[0] == pytest.approx(20.0)
    assert f[-1] == pytest.approx(params.theta, abs=0.01)
    # the partial dF/dVIX is exp(-kappa_s tau): finite difference of the model price
    h = 1e-5
    fd = (model_futures(20.0 + h, 25.0, dte, params) - model_futures(20.0 - h, 25.0, dte, params)) / (2 * h)
    np.testing.assert_allclose(effective_vega_model(dte, params, include_long_factor=False), fd, atol=1e-8)
    fd_total = (
        model_futures(20 + h, 25 + params.beta_long * h, dte, params)
        - model_futures(20 - h, 25 - params.beta_long * h, dte, params)
    ) / (2 * h)
    np.testing.assert_allclose(effective_vega_model(dte, params), fd_total, atol=1e-8)
    ev = effective_vega_model(dte, params)
    assert (np.diff(ev) < 0).all() and ev[0] == pytest.approx(1.0)
    # two factors: a front move leaves the back nearly unchanged, a long-factor move does not
    up_front = model_futures(30.0, 25.0, dte, params) - f
    up_long = model_futures(20.0, 30.0, dte, params) - f
    assert up_front[1] > 5 * up_front[4] and up_long[4] > up_long[1]


def test_model_curve_broadcasts_days_paths_tenors(params: VXModelParams) -> None:
    rng = np.random.default_rng(np.random.SeedSequence(3))
    vix = rng.uniform(10, 60, size=(4, 6))
    lf = rng.uniform(15, 30, size=(4, 6))
    curve = VXCurve.from_model(vix, lf, params)
    tenors = np.array([1.0, 30, 60, 200])
    got = curve.price(np.broadcast_to(tenors, (4, 1, 4)))
    assert got.shape == (4, 6, 4)
    for d in range(4):
        for p in range(6):
            np.testing.assert_allclose(got[d, p], model_futures(vix[d, p], lf[d, p], tenors, params))
    per_path = curve.price(np.full((4, 6), 45.0))
    np.testing.assert_allclose(per_path, model_futures(vix, lf, 45.0, params))
    assert curve.sensitivity(np.full((4, 6), 45.0)).shape == (4, 6)


def test_fitted_model_vs_real_history(real: dict, params: VXModelParams) -> None:
    """The shipped fit on the real curve: error by bucket and contango share (docs/model.md records these)."""
    from alvh.market.vx_fit import fit_report, slope_report

    panel, vix = real["panel"], real["vix"]
    lf = fit_long_factor(panel.settle, panel.dte, vix, params)
    has = np.isfinite(lf)
    s, d, v = panel.settle[has], panel.dte[has].astype(float), vix[has]
    err = fit_report(s, d, v, {"fitted": lf[has]}, params).set_index("bucket")
    assert (err["rmse"] < 1.0).all(), err
    assert (err["mean_error"].abs() < 0.15).all(), err
    slopes = slope_report(s, d, v, {"model": lf[has]}, params).set_index("curve")
    assert abs(slopes.loc["model", "contango_share"] - slopes.loc["real", "contango_share"]) < 0.03
    assert slopes.loc["model", "corr_with_real"] > 0.85
    # a one-factor curve (L pinned at theta) moves every maturity together and fits worse at the back
    one = fit_report(s, d, v, {"one": np.full(has.sum(), params.theta)}, params).set_index("bucket")
    assert one.loc[">90", "rmse"] > 2 * err.loc[">90", "rmse"]


def test_long_factor_without_futures(real: dict, params: VXModelParams) -> None:
    panel, vix = real["panel"], real["vix"]
    closes = real["closes"]
    lf = fit_long_factor(panel.settle, panel.dte, vix, params)
    v3 = closes["vix3m"].reindex(panel.dates).to_numpy()
    v6 = closes["vix6m"].reindex(panel.dates).to_numpy()
    est, src = long_factor_from_indices(vix, params, vix3m=v3, vix6m=v6)
    both = np.isfinite(v3) & np.isfinite(v6) & np.isfinite(lf)
    assert (src[both] == "vix3m_vix6m").all()
    assert np.sqrt(np.nanmean((est[both] - lf[both]) ** 2)) < 1.5
    only_vix, src2 = long_factor_from_indices(vix, params)
    assert (src2 == "ewma").all() and np.isfinite(only_vix).all()


def test_effective_vega_regression_matches_statsmodels(real: dict) -> None:
    import statsmodels.api as sm

    panel, vix = real["panel"], real["vix"]
    table = estimate_effective_vega(panel, vix)
    df = panel.settle[1:] - panel.settle[:-1]
    dv = np.broadcast_to(np.diff(vix)[:, None], df.shape)
    m = np.isfinite(df) & (panel.dte[1:] >= 1) & (panel.dte[:-1] >= 30) & (panel.dte[:-1] < 60)
    res = sm.OLS(df[m], sm.add_constant(dv[m])).fit()
    assert table.loc["30-60", "beta"] == pytest.approx(res.params[1], rel=1e-10)
    assert table.loc["30-60", "se"] == pytest.approx(res.bse[1], rel=1e-8)
    assert table.loc["30-60", "n_obs"] == m.sum()
    # effective vega decays with maturity, in history
    assert (np.diff(table["beta"].to_numpy()) < 0).all()


def test_vix_option_vol_mapping(params: VXModelParams) -> None:
    vol = vix_option_vol(np.array([30.0, 60, 120, 240]), 20.0, params, vvix=np.array([110.0] * 4))
    assert vol[0] == pytest.approx(1.10, rel=1e-12)
    assert (np.diff(vol) < 0).all()
    tau = 120 / 365
    ks = params.kappa_s
    expected = (
        1.10
        * np.sqrt((1 - np.exp(-2 * ks * tau)) / (2 * ks * tau))
        / np.sqrt((1 - np.exp(-2 * ks * 30 / 365)) / (2 * ks * 30 / 365))
    )
    assert vol[2] == pytest.approx(expected, rel=1e-12)
    fallback = vix_option_vol(30.0, 20.0, params, vvix=np.nan)
    assert fallback == pytest.approx((params.vvix_intercept + params.vvix_slope * np.log(20)) / 100)
    np.testing.assert_allclose(vix_option_settlement(np.array([18.0, 18.0]), 20.0, np.array([True, False])), [0.0, 2.0])


def test_vvix_default_fit_near_real(real: dict, params: VXModelParams) -> None:
    vv = real["closes"]["vvix"].loc["2007":]
    vx = real["closes"]["vix"].reindex(vv.index)
    pred = params.vvix_intercept + params.vvix_slope * np.log(vx)
    assert abs(float((pred - vv).mean())) < 0.5
    assert params.vvix_slope > 0  # VVIX rises with VIX


def test_bad_inputs_name_the_argument(real: dict, params: VXModelParams) -> None:
    with pytest.raises(InputError, match="'dte'"):
        effective_vega_model(np.array([-1.0]), params)
    with pytest.raises(InputError, match="'dte'"):
        vix_option_vol(0.0, 20.0, params)
    with pytest.raises(InputError, match="'vix'"):
        vix_option_vol(30.0, np.nan, params)
    with pytest.raises(InputError, match="'vvix'"):
        vix_option_vol(30.0, 20.0, params, vvix=-1.0)
    with pytest.raises(InputError, match="'vix'"):
        VXCurve.from_model(np.array([[20.0, np.nan]]), params=params)
    with pytest.raises(InputError, match="'vix'"):
        VXCurve.from_panel(real["panel"], real["vix"][:-1], params)
    curve = VXCurve.from_model(np.array([[20.0]]), params=params)
    with pytest.raises(InputError, match="'dte'"):
        curve.price(np.array([[np.nan]]))
    with pytest.raises(InputError, match="'dte'"):
        curve.price(np.array([[1.0], [2.0]]))
    with pytest.raises(InputError, match="'soq'"):
        vix_option_settlement(np.nan, 20.0, True)


def test_params_json_errors_name_the_key(params: VXModelParams, tmp_path: Path) -> None:
    again = VXModelParams.from_json(params.to_json())
    assert again == params
    assert "fit_date" in params.provenance and "data_span" in params.provenance and "script" in params.provenance
    with pytest.raises(ConfigError, match="kappa_l"):
        VXModelParams.from_json(params.to_json().replace('"kappa_l"', '"kappa_x"'))
    import json

    raw = json.loads(params.to_json())
    raw["kappa_s"] = -1
    bad = tmp_path / "p.json"
    bad.write_text(json.dumps(raw))
    with pytest.raises(ConfigError, match="kappa_s") as info:
        VXModelParams.load(bad)
    assert str(bad) in str(info.value)
    with pytest.raises(ConfigError, match="JSON"):
        VXModelParams.from_json("{not json")


@pytest.mark.slow
def test_refit_reproduces_shipped_parameters(real: dict, params: VXModelParams) -> None:
    from alvh.market.vx_fit import fit_vx_model

    closes = real["closes"]
    fit = fit_vx_model(real["panel"], closes["vix"], vix3m=closes["vix3m"], vix6m=closes["vix6m"], vvix=closes["vvix"])
    for key in ("kappa_s", "kappa_l", "theta", "beta_long"):
        assert getattr(fit.params, key) == pytest.approx(getattr(params, key), rel=1e-4), key
    assert isinstance(fit.long_factor, pd.Series)


def test_history_sensitivity_interpolator(real: dict) -> None:
    from alvh.market.vx import effective_vega_history

    panel, vix = real["panel"], real["vix"]
    table = estimate_effective_vega(panel, vix)
    fn = effective_vega_history(table)
    mids = table["dte_mean"].to_numpy()
    np.testing.assert_allclose(fn(mids), table["beta"].to_numpy())
    assert fn(np.array([0.0]))[0] == pytest.approx(table["beta"].iloc[0])
    assert fn(np.array([400.0]))[0] == pytest.approx(table["beta"].iloc[-1])
    half = 0.5 * (mids[2] + mids[3])
    assert fn(np.array([half]))[0] == pytest.approx(0.5 * (table["beta"].iloc[2] + table["beta"].iloc[3]))
    curve = VXCurve.from_panel(panel, vix, sensitivity=fn)
    np.testing.assert_allclose(curve.sensitivity(np.full((curve.n_days, 1), 45.0)), fn(np.array(45.0)))
    with pytest.raises(InputError, match="'dte'"):
        fn(np.array([-3.0]))


def test_params_map_inputs_validated(params: VXModelParams) -> None:
    bad = params.to_json().replace('"vix_ewma"', '"vix_ema"')
    with pytest.raises(ConfigError, match="long_maps.ewma.inputs"):
        VXModelParams.from_json(bad)


def test_fit_needs_a_term_structure(real: dict) -> None:
    """One contract per day cannot separate two factors: a clear DataError, not silent parameters."""
    from alvh.errors import DataError
    from alvh.market.vx_fit import fit_vx_model

    panel = real["panel"].slice("2019-01-01", "2019-12-31")
    front = np.where(np.cumsum(np.isfinite(panel.settle) & (panel.dte >= 1), axis=1) == 1, panel.settle, np.nan)
    one = VXPanel(
        dates=panel.dates,
        contracts=panel.contracts,
        expiries=panel.expiries,
        settle=front,
        dte=panel.dte,
        source="front-only",
    )
    with pytest.raises(DataError, match="separate"):
        fit_vx_model(one, real["closes"]["vix"])
