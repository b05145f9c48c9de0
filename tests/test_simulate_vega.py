"""Layer vega decay: the gap-aware dF/dVIX (the response of F(tau) to a move of spot VIX).

alvh.market.spot_dfdvix_model against Monte Carlo regressions under the same dynamics (a Gaussian
factor-and-gap process, and the joint model's own day loop), its limiting cases, and simulated paths reading it.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from alvh.calendar import trading_days
from alvh.errors import InputError
from alvh.market import SpotMoveSplit, VXModelParams, effective_vega_model, model_futures, spot_dfdvix_model
from alvh.simulate import simulate_market
from alvh.simulate.factors import curve_price, simulate_factors
from alvh.simulate.model import curve_params
from alvh.simulate.params import SimParams
from alvh.simulate.vega import STRESS_SHARE, spot_move_covariance, spot_split

DTES = np.array([0.0, 1.0, 3.0, 5.0, 9.0, 16.0, 30.0, 60.0, 120.0, 180.0])


def _slope(y: np.ndarray, x: np.ndarray) -> float:
    return float(np.dot(y, x) / np.dot(x, x))


def test_formula_against_monte_carlo_of_a_gaussian_factor_and_gap_process() -> None:
    # V and L random walks, the gap an AR(1) with daily persistence phi; F is the curve's closed form plus
    # the gap's term. The pooled regression of dF(tau) on dSpot must be the formula with the split of the
    # covariance of the daily moves (the gap's own variance 2 / (1 + phi) times its shock's)
    p = VXModelParams.default()
    rng = np.random.Generator(np.random.PCG64(7))
    n_days, n_paths = 4000, 200
    sd = np.array([1.0, 0.35, 0.6])  # daily sd of the shocks of V, L, x (points)
    corr = np.array([[1.0, 0.6, 0.3], [0.6, 1.0, 0.1], [0.3, 0.1, 1.0]])
    chol = np.linalg.cholesky(corr * np.outer(sd, sd))
    phi, gap_kappa = 0.8, 60.0
    e = np.einsum("ij,djp->dip", chol, rng.standard_normal((n_days, 3, n_paths)))
    v = 20.0 + np.cumsum(e[:, 0], axis=0)
    ll = 22.0 + np.cumsum(e[:, 1], axis=0)
    x = np.empty((n_days, n_paths))
    x[0] = e[0, 2] / np.sqrt(1.0 - phi * phi)
    for d in range(1, n_days):
        x[d] = phi * x[d - 1] + e[d, 2]
    cov = corr * np.outer(sd, sd)
    cov[2, 2] *= 2.0 / (1.0 + phi)
    split = SpotMoveSplit.from_covariance(cov, gap_kappa)
    ds = np.diff(v + x, axis=0).ravel()
    for dte in DTES:
        f = model_futures(v, ll, np.array(dte), p) + x * np.exp(-gap_kappa * dte / 365.0)
        sim = _slope(np.diff(f, axis=0).ravel(), ds)
        assert sim == pytest.approx(float(spot_dfdvix_model(np.array(dte), p, split)), abs=0.006), dte
    # and the short-factor response is not it: at 16 days it is off by far more than the Monte Carlo error
    f16 = model_futures(v, ll, np.array(16.0), p) + x * np.exp(-gap_kappa * 16.0 / 365.0)
    assert abs(_slope(np.diff(f16, axis=0).ravel(), ds) - float(effective_vega_model(np.array(16.0), p))) > 0.1


def test_formula_against_the_joint_models_own_day_loop() -> None:
    # the shipped dynamics (jumps, excitation, regimes, the gap's mean) against the stationary covariance
    # of alvh.simulate.vega: the split of a spot move is within 0.01 of the simulated one, the front
    # contracts' dF/dVIX within 0.015; further out the long factor's slope is overstated (on stress days L/V
    # is below its long-run ratio and the excitation above its mean), docs/simulation.md: within 0.05
    p = SimParams.default()
    dates = trading_days(pd.Timestamp("2006-01-03"), pd.Timestamp("2015-12-31"))
    n = len(dates)
    events = {k: np.zeros(n, dtype=bool) for k in ("cpi", "ppi", "fomc")}
    reest = np.zeros(n, dtype=bool)
    reest[::5] = True
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(3)))
    fp = simulate_factors(p, 40, dates, rng, events, reest)
    split = spot_split(p)
    ds = np.diff(fp.vix_close, axis=0).ravel()
    assert _slope(np.diff(fp.short, axis=0).ravel(), ds) == pytest.approx(split.short, abs=0.01)
    vxp = curve_params(p)
    for dte, tol in ((1.0, 0.015), (5.0, 0.015), (16.0, 0.015), (30.0, 0.025), (60.0, 0.04), (180.0, 0.05)):
        f = curve_price(fp.vix_close, fp.short, fp.long, np.array(dte), p)
        sim = _slope(np.diff(f, axis=0).ravel(), ds)
        assert sim == pytest.approx(float(spot_dfdvix_model(np.array(dte), vxp, split)), abs=tol), dte


def test_worked_number_at_16_days() -> None:
    # docs/simulation.md, "Layer vega decay": the hand computation
    p = SimParams.default()
    split = spot_split(p)
    assert split.short == pytest.approx(0.7002, abs=5e-5) and split.long == pytest.approx(0.1901, abs=5e-5)
    a = np.exp(-p.q_kappa_s * 16 / 365)
    c = p.q_kappa_s / (p.q_kappa_s - p.q_kappa_l) * (np.exp(-p.q_kappa_l * 16 / 365) - a)
    g = np.exp(-p.q_kappa_g * 16 / 365)
    hand = split.short * a + split.long * c + split.gap * g
    assert float(spot_dfdvix_model(np.array(16.0), curve_params(p), split)) == pytest.approx(hand, rel=1e-12)
    assert hand == pytest.approx(0.583, abs=5e-4)


def test_limiting_cases() -> None:
    p = VXModelParams.default()
    d = DTES
    # no gap moves: the short-factor response (the two-factor curve's dF/dVIX) exactly
    none = SpotMoveSplit(short=1.0, long=p.beta_long, gap_kappa=84.0)
    np.testing.assert_allclose(spot_dfdvix_model(d, p, none), effective_vega_model(d, p), rtol=0, atol=1e-15)
    # gap variance zero in the covariance: the split says so
    cov = np.array([[2.0, 0.3, 0.0], [0.3, 0.5, 0.0], [0.0, 0.0, 0.0]])
    s0 = SpotMoveSplit.from_covariance(cov, 84.0)
    assert s0.short == 1.0 and s0.gap == 0.0 and s0.long == pytest.approx(0.15)
    np.testing.assert_allclose(
        spot_dfdvix_model(d, p, s0), effective_vega_model(d, dataclasses.replace(p, beta_long=0.15)), atol=1e-15
    )
    # at expiry every split gives 1 (the future is spot)
    split = SpotMoveSplit(short=0.7, long=0.19, gap_kappa=84.0)
    assert float(spot_dfdvix_model(np.array(0.0), p, split)) == pytest.approx(1.0)
    # a gap the curve forgets at once (q_kappa_g -> infinity): only the factors' share of the move, short a + long c
    tau = d / 365.0
    a = np.exp(-p.kappa_s * tau)
    c = p.kappa_s / (p.kappa_s - p.kappa_l) * (np.exp(-p.kappa_l * tau) - a)
    fast = dataclasses.replace(split, gap_kappa=1e12)
    np.testing.assert_allclose(spot_dfdvix_model(d[1:], p, fast), 0.7 * a[1:] + 0.19 * c[1:], atol=1e-12)
    # a gap that never fades (q_kappa_g = 0) moves every future one for one
    still = dataclasses.replace(split, gap_kappa=0.0)
    np.testing.assert_allclose(spot_dfdvix_model(d, p, still), 0.7 * a + 0.19 * c + 0.3, atol=1e-12)
    # the gap-aware response lies below the short-factor one when the gap carries part of a spot move
    same_long = dataclasses.replace(split, long=p.beta_long)
    assert (spot_dfdvix_model(d[1:], p, same_long) < effective_vega_model(d[1:], p)).all()


def test_regime_pooling_moves_the_front_little() -> None:
    p = SimParams.default()
    vxp = curve_params(p)
    at16 = [float(spot_dfdvix_model(np.array(16.0), vxp, spot_split(p, s))) for s in (0.0, STRESS_SHARE, 1.0)]
    assert max(at16) - min(at16) < 0.012
    assert spot_move_covariance(p, 0).shape == (3, 3)
    with pytest.raises(InputError, match="stress_share"):
        spot_split(p, 1.5)


def test_bad_input_names_the_argument() -> None:
    p = VXModelParams.default()
    split = SpotMoveSplit(0.7, 0.19, 84.0)
    with pytest.raises(InputError, match="dte"):
        spot_dfdvix_model(np.array([-1.0]), p, split)
    with pytest.raises(InputError, match="cov"):
        SpotMoveSplit.from_covariance(np.eye(2), 84.0)
    with pytest.raises(InputError, match="cov"):
        SpotMoveSplit.from_covariance(np.diag([1.0, 1.0, -1.0]), 84.0)
    with pytest.raises(InputError, match="gap_kappa"):
        SpotMoveSplit.from_covariance(np.eye(3), -1.0)


def test_simulated_paths_read_the_spot_response() -> None:
    p = SimParams.default()
    mp = simulate_market(p, 3, 30, np.random.Generator(np.random.PCG64(1)))
    d = np.arange(0.0, 271.0)
    np.testing.assert_array_equal(mp.sensitivity(d), spot_dfdvix_model(d, curve_params(p), spot_split(p)))
    assert "spot_dfdvix_model" in mp.provenance["sensitivity"]
    assert float(mp.sensitivity(np.array(16.0))) == pytest.approx(0.583, abs=5e-4)
