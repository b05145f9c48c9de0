"""alvh.stats.beta_trigger: batch trigger history vs the engine's RollingBeta and statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.regression.rolling import RollingOLS

from alvh.errors import InputError
from alvh.stats import RollingBeta, beta_trigger


def _layers(n=400, seed=61):
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    idx = pd.bdate_range("2019-01-01", periods=n)
    spx = pd.Series(rng.normal(0, 0.01, n), index=idx)
    # the short layer's vega P&L loads more on SPX in the second half (regime change)
    load_short = np.where(np.arange(n) < n // 2, -4e4, -1.2e5)
    pnl = pd.DataFrame(
        {
            "L1": load_short * spx + rng.normal(0, 200, n),
            "L2": -5e4 * spx + rng.normal(0, 200, n),
            "L3": -2e4 * spx + rng.normal(0, 200, n),
        },
        index=idx,
    )
    return spx, pnl


def test_matches_rolling_beta_day_loop_and_statsmodels():
    spx, pnl = _layers()
    out = beta_trigger(pnl, spx, "L1", "L3", window=90)
    rb = RollingBeta(90, 90, (3,))
    loop = np.stack([rb.update(pnl.iloc[t].to_numpy(), spx.iloc[t]) for t in range(len(spx))])
    np.testing.assert_allclose(out["beta_short"], loop[:, 0], rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(out["beta_long"], loop[:, 2], rtol=1e-9, equal_nan=True)
    ref = RollingOLS(pnl["L1"].to_numpy(), sm.add_constant(spx.to_numpy()), 90).fit().params[:, 1]
    np.testing.assert_allclose(out["beta_short"], ref, rtol=1e-9, equal_nan=True)
    ratio = np.abs(loop[:, 0]) / np.abs(loop[:, 2])
    np.testing.assert_allclose(out["ratio_raw"], ratio, rtol=1e-9, equal_nan=True)
    np.testing.assert_array_equal(out["fires"], np.nan_to_num(ratio, nan=0.0) > 1.4)
    assert not out["fires"].iloc[:89].any() and out["fires"].iloc[-1]  # loading 1.2e5 vs 2e4: ratio ~6


def test_normalized_ratio_with_constant_notional_and_switch():
    spx, pnl = _layers()
    notional = pd.DataFrame({"L1": 4.0e5, "L2": 4.0e5, "L3": 2.0e5}, index=pnl.index)
    out = beta_trigger(pnl, spx, "L1", "L3", notional=notional, use="normalized")
    np.testing.assert_allclose(out["beta_short_norm"], out["beta_short"] / 4.0e5, rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(out["ratio_normalized"], out["ratio_raw"] * 2.0e5 / 4.0e5, rtol=1e-9, equal_nan=True)
    np.testing.assert_array_equal(out["fires"], np.nan_to_num(out["ratio_normalized"], nan=0.0) > 1.4)


def test_bad_layer_names_gaps_and_short_history():
    spx, pnl = _layers(120)
    with pytest.raises(InputError, match="'short'.*'L9' does not exist"):
        beta_trigger(pnl, spx, "L9", "L3")
    gappy = pnl.copy()
    gappy.iloc[50, 0] = np.nan
    with pytest.raises(InputError, match="'L1'.*row 50"):
        beta_trigger(gappy, spx, "L1", "L3")
    dropped = beta_trigger(gappy, spx, "L1", "L3", missing="drop", min_nobs=80)
    assert np.isfinite(dropped["beta_short"].iloc[100])
    with pytest.raises(InputError, match="window"):
        beta_trigger(pnl, spx, "L1", "L3", window=121)
    with pytest.raises(InputError, match="notional"):
        beta_trigger(pnl, spx, "L1", "L3", use="normalized")


def test_exogenous_regressor_and_its_gap():
    spx, pnl = _layers(200)
    rng = np.random.default_rng(np.random.SeedSequence(62))
    exog = pd.DataFrame({"rate_diff": rng.normal(0, 1, 200)}, index=pnl.index)
    out = beta_trigger(pnl, spx, "L1", "L3", window=90, exog=exog)
    design = sm.add_constant(np.column_stack([spx.to_numpy(), exog.to_numpy()]))
    ref = RollingOLS(pnl["L1"].to_numpy(), design, 90).fit().params[:, 1]
    np.testing.assert_allclose(out["beta_short"], ref, rtol=1e-9, equal_nan=True)
    exog.iloc[120, 0] = np.nan
    with pytest.raises(InputError, match="'rate_diff'.*row 120"):
        beta_trigger(pnl, spx, "L1", "L3", window=90, exog=exog)
