"""alvh-sim-4's spike dynamics: the jumps' excitation scales the diffusion's vol and the jumps' sizes.

The estimators recover known values from draws of their own model; the day loop does what the equations
say (docs/simulation.md, "Spikes"); the shipped parameters' fit report holds the rows the change was for
(the largest 1-month VIX rise, the slope's 95% quantile, SPX kurtosis, corr(SPX, dVIX) in backwardation).
"""

from __future__ import annotations

import numpy as np
import pytest

from alvh.errors import ConfigError
from alvh.simulate import SimParams
from alvh.simulate.calibrate import fit_jump_sizes, fit_vol_excite, hawkes_excitation
from alvh.simulate.factors import gap_mean, simulate_factors
from alvh.simulate.model import run_dates
from alvh.simulate.params import MODEL_VERSION


def test_vol_excite_recovered_from_residuals_of_known_excitation() -> None:
    rng = np.random.default_rng(5)
    n = 60_000
    jumps = rng.random(n) < 0.03
    hh = hawkes_excitation(jumps.astype(float), np.exp(-50.0 / 252))
    stress = rng.random(n) < 0.2
    sd = np.where(stress, 0.07, 0.045) * np.sqrt(1.0 + 1.5 * hh)
    eps = sd * rng.standard_normal(n)
    k = fit_vol_excite(eps, hh, (~stress & ~jumps, stress & ~jumps))
    assert k == pytest.approx(1.5, abs=0.2)
    # without excitation in the draws the estimate is near zero
    assert fit_vol_excite(0.05 * rng.standard_normal(n), hh, (~jumps,)) < 0.15


def test_jump_sizes_growing_with_the_excitation_recovered_by_maximum_likelihood() -> None:
    rng = np.random.default_rng(6)
    hh = rng.exponential(0.5, 4_000)
    excess = rng.exponential(0.08 * (1.0 + 1.2 * hh))
    mean, k = fit_jump_sizes(excess, hh)
    assert mean == pytest.approx(0.08, rel=0.06)
    assert k == pytest.approx(1.2, rel=0.15)


def test_gap_mean_is_a_parabola_in_the_curve_steepness() -> None:
    v, ll = np.array([20.0, 40.0]), np.array([25.0, 20.0])
    z = np.log(ll / v)
    got = gap_mean(np.array([0.5, 2.0]), v, ll, 0.8, -0.01, 0.14, 0.09)
    np.testing.assert_allclose(got, 0.8 * np.array([0.5, 2.0]) + 0.2 * v * (-0.01 + 0.14 * z + 0.09 * z * z))
    # without the curvature it is the alvh-sim-3 line
    np.testing.assert_allclose(
        gap_mean(np.array([0.5, 2.0]), v, ll, 0.8, -0.01, 0.14),
        0.8 * np.array([0.5, 2.0]) + 0.2 * v * (-0.01 + 0.14 * z),
    )


def _two_days(p: SimParams, n: int, seed: int):  # noqa: ANN202
    dates = run_dates("2025-01-02", 3)
    events = {k: np.zeros(3, dtype=bool) for k in ("cpi", "ppi", "fomc")}
    return simulate_factors(p, n, dates, np.random.default_rng(seed), events, np.zeros(3, dtype=bool))


def test_the_excitation_scales_the_next_days_diffusion() -> None:
    # a jump on day 1 excites day 2 by H = exp(-decay dt): the short factor's log noise on day 2 then has
    # variance sigma_v^2 (1 + vol_excite H) dt; days 2 without a jump, split by whether day 1 had one
    base = SimParams.default().replace(jump_base=60.0, jump_excite=0.0, jump_decay=30.0, sigma_l=(0.2, 0.2))
    n = 200_000
    ratios = {}
    for k in (0.0, 3.0):
        fp = _two_days(base.replace(vol_excite=k), n, 3)
        d2 = np.log(fp.short[2] / fp.short[1])
        calm = ~fp.stress[1] & ~fp.jumps[2]
        after, quiet = calm & fp.jumps[1], calm & ~fp.jumps[1]
        ratios[k] = d2[after].var() / d2[quiet].var()
    h = np.exp(-30.0 / 252)
    assert ratios[0.0] == pytest.approx(1.0, abs=0.08)
    assert ratios[3.0] == pytest.approx(1.0 + 3.0 * h, rel=0.12)


def test_no_jumps_no_excitation_effect_bit_for_bit() -> None:
    p = SimParams.default().replace(jump_base=0.0)
    a = _two_days(p, 500, 1)
    b = _two_days(p.replace(vol_excite=0.0, jump_size_excite=0.0), 500, 1)
    np.testing.assert_array_equal(a.vix_close, b.vix_close)
    np.testing.assert_array_equal(a.spx_close, b.spx_close)


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"vol_excite": -0.1}, "vol_excite"),
        ({"jump_size_excite": 11.0}, "jump_size_excite"),
        ({"gap_curve": 3.0}, "gap_curve"),
        ({"jump_spx": -25.0}, "jump_spx"),
    ],
)
def test_new_parameters_out_of_range_are_refused_naming_the_key(change: dict, key: str) -> None:
    with pytest.raises(ConfigError) as exc:
        SimParams.default().replace(**change)
    assert exc.value.key == key


def test_alvh_sim_3_params_file_is_refused_with_the_refit_command(tmp_path) -> None:  # noqa: ANN001
    assert MODEL_VERSION == "alvh-sim-4"
    text = (pytest.importorskip("importlib.resources").files("alvh.resources") / "sim_params.toml").read_text()
    f = tmp_path / "sim3.toml"
    f.write_text(text.replace(f'model_version = "{MODEL_VERSION}"', 'model_version = "alvh-sim-3"'))
    with pytest.raises(ConfigError, match="alvh-sim-3.*another model") as exc:
        SimParams.from_toml(f)
    assert "alvh calibrate" in str(exc.value)


@pytest.mark.slow
def test_shipped_params_fit_report_key_rows(real_market_data) -> None:  # noqa: ANN001
    # the committed docs/simulation_fit.md table: the rows the alvh-sim-4 dynamics were for, recomputed
    from alvh.market import VXModelParams
    from alvh.simulate.fitreport import fit_report
    from alvh.simulate.history import load_history

    h = load_history(real_market_data.slice("2006-01-03", "2025-12-31"), VXModelParams.default())
    rep = fit_report(SimParams.default(), h, n_paths=40, seed=0)
    rows = {r.name: r for r in rep.rows}
    rise = rows["largest 1-month VIX rise (ratio)"]
    assert rise.hist == pytest.approx(5.84, abs=0.01) and rise.ok and rise.hi > 5.84
    for name in (
        "slope 30d/VIX - 1, 95% quantile",
        "SPX excess kurtosis",
        "corr(SPX, dVIX), backwardation",
        "ln VIX change 99% quantile",
        "VX 1-30d: dF/dVIX (pooled OLS)",
    ):
        assert rows[name].ok, rows[name]
    assert rep.n_pass == 46 and rep.n_checked == 46
    # the pricing module's dF/dVIX as the response to spot (alvh.market.spot_dfdvix_model, the gap-aware
    # split) is within tolerance of the simulated front and of the real front contracts; the short-factor
    # response (effective_vega_model, 0.79 at 16 days) was not
    front = rows["VX 1-30d: pricing dF/dVIX (spot, bucket mean) vs simulated"]
    assert front.ok and abs(front.hist - rows["VX 1-30d: dF/dVIX (pooled OLS)"].hist) < 0.08
