"""alvh.stats.irr against scipy brentq per series and hand-computed IRRs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq

from alvh.errors import InputError
from alvh.stats import irr
from alvh.stats.irr import REASON_NO_ROOT_IN_BRACKET, REASON_NO_SIGN_CHANGE


def _brentq_irr(cf: np.ndarray, t: np.ndarray) -> float:
    """Slow reference: XIRR-style NPV root in r with scipy brentq on one series."""

    def npv(r: float) -> float:
        return float(np.sum(cf / (1.0 + r) ** t))

    return brentq(npv, -0.99, 1e3, xtol=1e-14, rtol=1e-14, maxiter=500)


def test_hand_examples():
    # pay 100, receive 110 a year later: 10%
    assert float(irr([-100.0, 110.0], [0.0, 1.0]).rate) == pytest.approx(0.10, abs=1e-14)
    # a 5% annual-coupon bond bought at par: 5% (numpy_financial.irr([-100, 5, 105]) = 0.05)
    assert float(irr([-100.0, 5.0, 105.0], [0, 1, 2]).rate) == pytest.approx(0.05, abs=1e-13)
    # dates: 50 paid 2024-01-01, 60 received 2024-07-01 (182 days): 1.2 ** (365/182) - 1
    res = irr([[-50.0], [60.0]], pd.to_datetime(["2024-01-01", "2024-07-01"]))
    assert res.rate[0] == pytest.approx(1.2 ** (365 / 182) - 1, rel=1e-12)
    # a VIX call doubled in 10 days: huge but finite annualized rate, 2 ** 36.5 - 1
    res = irr([-1.0, 2.0], ["2024-03-01", "2024-03-11"])
    assert float(res.rate) == pytest.approx(2.0**36.5 - 1, rel=1e-9)
    # a total loss of 90%: -90% over one year
    assert float(irr([-100.0, 10.0], [0.0, 1.0]).rate) == pytest.approx(-0.9, rel=1e-12)


def test_vectorized_matches_brentq_per_path():
    rng = np.random.default_rng(np.random.SeedSequence(31))
    n_flows, paths, layers = 24, 40, 3
    days = np.sort(rng.choice(np.arange(1, 900), size=n_flows - 1, replace=False))
    dates = pd.Timestamp("2020-01-02") + pd.to_timedelta(np.concatenate([[0], days]), unit="D")
    cf = np.zeros((n_flows, paths, layers))
    cf[0] = -rng.uniform(50, 150, size=(paths, layers))  # purchase
    more = rng.normal(0, 5, size=(n_flows - 2, paths, layers)) * (rng.random((n_flows - 2, paths, layers)) < 0.3)
    cf[1:-1] = -np.abs(more)  # more purchases
    cf[-1] = rng.uniform(20, 200, size=(paths, layers))  # terminal mark
    res = irr(cf, dates)
    t = (dates - dates[0]).days.to_numpy() / 365.0
    for i in range(paths):
        for j in range(layers):
            if res.sign_changes[i, j] == 1:
                assert res.rate[i, j] == pytest.approx(_brentq_irr(cf[:, i, j], t), rel=1e-9, abs=1e-12)
    assert (res.sign_changes == 1).all() and np.isfinite(res.rate).all()
    assert (res.reason[np.isfinite(res.rate)] == "").all()


def test_nan_with_reason_and_bad_input():
    res = irr(np.array([[-100.0, -100.0, 0.0], [110.0, -5.0, 0.0]]), [0.0, 1.0])
    assert np.isnan(res.rate[1]) and np.isnan(res.rate[2])  # all outflow / no flow at all
    assert res.reason[1] == REASON_NO_SIGN_CHANGE and res.reason[2] == REASON_NO_SIGN_CHANGE
    assert np.isfinite(res.rate[0]) and res.reason[0] == ""
    # two IRRs (10% and 20%): NPV is negative at both ends of the bracket -> NaN, two sign changes
    two = irr([-100.0, 230.0, -132.0], [0, 1, 2])
    assert np.isnan(two.rate) and str(two.reason) == REASON_NO_ROOT_IN_BRACKET and int(two.sign_changes) == 2
    with pytest.raises(InputError, match="cash_flows"):
        irr([-100.0, np.nan], [0.0, 1.0])
    with pytest.raises(InputError, match="dates"):
        irr([-100.0, 110.0, 5.0], [0.0, 1.0])
    with pytest.raises(InputError, match="sorted"):
        irr([-100.0, 110.0], ["2024-02-01", "2024-01-01"])


def test_iteration_cap_gives_nan_with_reason():
    res = irr([-110.0, -5.0, 21.0], [0.0, 1.0, 2.4], max_iter=2)
    assert np.isnan(res.rate) and "did not converge" in str(res.reason)
    full = irr([-110.0, -5.0, 21.0], [0.0, 1.0, 2.4])
    ref = _brentq_irr(np.array([-110.0, -5.0, 21.0]), np.array([0, 1, 2.4]))
    assert float(full.rate) == pytest.approx(ref, rel=1e-10)


def test_rate_beyond_float_range_is_nan_with_reason():
    # x10 in one day: ln(1 + r) = 365 ln 10 = 840 > 709, so (1 + r) is not representable
    res = irr([-1.0, 10.0], ["2024-03-01", "2024-03-02"])
    assert np.isnan(res.rate) and "float64" in str(res.reason)
    ok = irr([-1.0, 2.0], ["2024-03-01", "2024-03-02"])  # x2 in a day: 2^365 - 1 ~ 7.5e109
    assert float(ok.rate) == pytest.approx(2.0**365 - 1, rel=1e-9)
