"""Cboe's VIX and SKEW strip formulas (alvh.market.cboe) on distributions with known moments.

Oracles we did not write: a lognormal's variance-swap rate (sigma^2) and its textbook price skewness
(e^v + 2) sqrt(e^v - 1), v = sigma^2 T; its log-return skewness 0 (SKEW 100); and the closed-form
skewness of a two-normal mixture of log returns (prices: the same mixture of Black-76 prices).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from alvh.errors import InputError
from alvh.market import cboe

F, T, R = 100.0, 30 / 365, 0.03
K = np.arange(5.0, 400.0 + 1e-9, 0.05)  # K0 = F is a node


def _black_otm(k: np.ndarray, fwd: float, vol: float, t: float, r: float) -> np.ndarray:
    sd = vol * np.sqrt(t)
    d1 = (np.log(fwd / k) + 0.5 * sd * sd) / sd
    d2 = d1 - sd
    call = np.exp(-r * t) * (fwd * norm.cdf(d1) - k * norm.cdf(d2))
    put = np.exp(-r * t) * (k * norm.cdf(-d2) - fwd * norm.cdf(-d1))
    return np.where(k < F, put, np.where(k > F, call, 0.5 * (put + call)))


def test_flat_smile_vix_and_log_skewness_zero() -> None:
    q = _black_otm(K, F, 0.25, T, R)
    assert cboe.vix_variance(K, q, F, F, T, R) == pytest.approx(0.25**2, rel=2e-4)
    assert cboe.skew_index(K, q, F, F, T, R) == pytest.approx(100.0, abs=0.05)


@pytest.mark.parametrize("vol", [0.15, 0.4, 0.8])
def test_lognormal_price_skewness_textbook(vol: float) -> None:
    q = _black_otm(K, F, vol, T, R)
    m2, m3 = cboe.price_moments(K, q, F, F, T, R)
    v = vol * vol * T
    var = m2 - 1.0
    skew = (m3 - 3 * m2 + 2) / var**1.5  # E[X] = 1 for X = S_T / F
    assert var == pytest.approx(np.exp(v) - 1, rel=1e-4)
    assert skew == pytest.approx((np.exp(v) + 2) * np.sqrt(np.exp(v) - 1), rel=1e-3)


def test_mixture_log_skewness_gives_skew_index() -> None:
    """Two lognormal regimes (weights p, 1-p) with martingale forwards F e^{m_i}: log returns are a normal mixture."""
    p, s1, s2, m1 = 0.1, 0.45, 0.12, -0.06
    m2 = np.log((1 - p * np.exp(m1)) / (1 - p))  # p e^{m1} + (1-p) e^{m2} = 1: the mixture's mean is F
    q = p * _black_otm(K, F * np.exp(m1), s1, T, R) + (1 - p) * _black_otm(K, F * np.exp(m2), s2, T, R)
    # log-return moments: component i is N(m_i - s_i^2 T / 2, s_i^2 T)
    mu = np.array([m1 - s1 * s1 * T / 2, m2 - s2 * s2 * T / 2])
    var = np.array([s1 * s1 * T, s2 * s2 * T])
    w = np.array([p, 1 - p])
    e1 = (w * mu).sum()
    c2 = (w * (var + (mu - e1) ** 2)).sum()
    c3 = (w * ((mu - e1) ** 3 + 3 * (mu - e1) * var)).sum()
    skew_true = c3 / c2**1.5
    assert skew_true < -1.0  # a crash regime: strongly negative
    assert cboe.skew_index(K, q, F, F, T, R) == pytest.approx(100 - 10 * skew_true, abs=0.2)


def test_epsilon_terms_when_k0_below_forward() -> None:
    """K0 < F: the epsilon corrections keep the flat-smile answers (log skewness 0, variance sigma^2)."""
    fwd = 100.02
    q = np.where(K < 100.0, 0, 0)  # placeholder shape
    sd = 0.25 * np.sqrt(T)
    d1 = (np.log(fwd / K) + 0.5 * sd * sd) / sd
    d2 = d1 - sd
    call = np.exp(-R * T) * (fwd * norm.cdf(d1) - K * norm.cdf(d2))
    put = np.exp(-R * T) * (K * norm.cdf(-d2) - fwd * norm.cdf(-d1))
    q = np.where(K < 100.0, put, np.where(K > 100.0, call, 0.5 * (put + call)))
    assert cboe.vix_variance(K, q, fwd, 100.0, T, R) == pytest.approx(0.25**2, rel=2e-4)
    assert cboe.skew_index(K, q, fwd, 100.0, T, R) == pytest.approx(100.0, abs=0.05)


def test_bad_strikes() -> None:
    with pytest.raises(InputError, match="'strikes'"):
        cboe.strike_steps(np.array([1.0, 1.0, 2.0]))
    with pytest.raises(InputError, match="'strikes'"):
        cboe.strike_steps(np.array([5.0]))
