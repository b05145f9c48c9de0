"""The Monte Carlo model against what we did not write: its closed form, Gruenbichler-Longstaff, S&P's figures.

Also every bad-input refusal (a clear error naming the parameter, before anything runs).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alvh.errors import ConfigError
from alvh.market import model_futures
from alvh.simulate import Scenario, Shock, SimParams, simulate_market
from alvh.simulate.factors import curve_price, q_curve, simulate_factors
from alvh.simulate.model import run_dates, simulate_factor_paths
from alvh.simulate.params import MODEL_VERSION


def _q_dynamics(p: SimParams, **kw: object) -> SimParams:
    """The model run under its risk-neutral parameters on the calendar clock (the closed form's dynamics):
    the curve's speeds and level, and a spot gap that reverts to zero at its risk-neutral speed."""
    return p.replace(
        kappa_s=p.q_kappa_s,
        kappa_l=p.q_kappa_l,
        theta=p.q_theta,
        spot_gap=0.0,
        kappa_g=p.q_kappa_g,
        gap_level=0.0,
        gap_slope=0.0,
        gap_curve=0.0,
        clock="calendar",
        **kw,
    )


@pytest.mark.parametrize("jumps", [False, True], ids=["diffusion", "with-hawkes-jumps"])
def test_closed_form_futures_equal_the_monte_carlo_mean_under_the_same_dynamics(jumps: bool) -> None:
    # F(tau) = theta + (V - theta) a(tau) + (L - theta) c(tau) + x exp(-q_kappa_g tau) is E[spot_T] under the
    # curve's dynamics (spot = V + x); the MC steps the factors day by day (lognormal noise, the gap's noise,
    # compensated self-exciting jumps, regime switches). Started off the curve (a gap of 3 points) so the
    # gap's term is tested too; at 5 days it is still 1/3 of the gap.
    p = SimParams.default().replace(q_kappa_g=np.log(2) / (3.0 / 365))
    q = _q_dynamics(p, **({} if jumps else {"jump_base": 0.0}))
    n, days = 40_000, 130
    dates = run_dates("2025-01-02", days)
    events = {k: np.zeros(days, dtype=bool) for k in ("cpi", "ppi", "fomc")}
    sc = Scenario("start", vix0=30.0, long0=21.0, gap0=3.0)
    fp = simulate_factors(q, n, dates, np.random.default_rng(11), events, np.zeros(days, dtype=bool), sc)
    for i in (1, 5, 21, 63, 129):
        tau = float((dates[i] - dates[0]).days)
        closed = float(curve_price(np.array(30.0), np.array(27.0), np.array(21.0), np.array(tau), p))
        if i == 1:
            assert closed - float(model_futures(np.array(27.0), np.array(21.0), np.array(tau), q_curve(p))) > 1.0
        v = fp.vix_close[i]
        se = v.std() / np.sqrt(n)
        assert abs(v.mean() - closed) < 4 * se + 1e-3, (i, v.mean(), closed, se)
    assert fp.n_clipped < 5e-4 * fp.vix_close.size  # the [5, 150] clip: too rare to move the mean


def test_one_factor_case_against_gruenbichler_longstaff() -> None:
    # Gruenbichler & Longstaff (1996): VIX follows dV = k (theta - V) dt + s sqrt(V) dW (square root);
    # the futures price is F = theta + (V - theta) exp(-k tau). Sampled here exactly (noncentral chi-square),
    # independent of alvh; alvh's curve with the long factor pinned at theta is the one-factor case.
    k, theta, s, v0 = 6.0, 20.0, 5.0, 35.0
    rng = np.random.default_rng(5)
    for tau in (30 / 365, 90 / 365, 0.5):
        c = s * s * (1 - np.exp(-k * tau)) / (4 * k)
        dof = 4 * k * theta / (s * s)
        nc = v0 * np.exp(-k * tau) / c
        vt = c * rng.noncentral_chisquare(dof, nc, size=400_000)
        gl = theta + (v0 - theta) * np.exp(-k * tau)
        ours = model_futures(
            np.array(v0),
            np.array(theta),
            np.array(tau * 365),
            q_curve(SimParams.default().replace(q_kappa_s=k, q_kappa_l=0.5, q_theta=theta)),
        )
        assert abs(float(ours) - gl) < 1e-12
        assert abs(vt.mean() - gl) < 4 * vt.std() / np.sqrt(vt.size)
    # and alvh's own Monte Carlo in the one-factor case (long factor fixed at theta) reaches the GL price
    p = SimParams.default().replace(q_kappa_s=k, q_kappa_l=0.5, q_theta=theta)
    q = _q_dynamics(p, jump_base=0.0, sigma_l=(1e-9, 1e-9), sigma_g=(0.0, 0.0))
    dates = run_dates("2025-01-02", 64)
    ev = {kk: np.zeros(64, dtype=bool) for kk in ("cpi", "ppi", "fomc")}
    fp = simulate_factors(
        q, 40_000, dates, np.random.default_rng(2), ev, np.zeros(64, bool), Scenario("s", vix0=v0, long0=theta)
    )
    tau = (dates[63] - dates[0]).days / 365
    v = fp.vix_close[63]
    assert abs(v.mean() - (theta + (v0 - theta) * np.exp(-k * tau))) < 4 * v.std() / np.sqrt(v.size)


def test_index_rebuild_reproduces_sp_published_figures_on_real_settlements(real_market_data) -> None:
    # the index rebuild itself checked against S&P's published figures (spvixviews.com, 2011-12-10, since
    # inception): short-term contango 77% of days, 0.18% a day rolled away, beta to VIX 0.43; mid-term 64%,
    # 0.07%, 0.21. The months CFE had not listed yet (before 2008) come from the day's real curve.
    from alvh.simulate.cmindex import filled_settlements, index_stats, panel_price

    md = real_market_data.slice("2006-01-03", "2011-11-30")
    vx = md.vx
    vix = md.vix["close"].reindex(vx.dates).ffill().to_numpy(float)
    settle = filled_settlements(vx, vix)
    s = index_stats(vx.dates, vx.expiries, vix[:, None], panel_price(settle), "short-term")
    assert abs(s.contango[0] - 0.77) < 0.05 and abs(s.roll_cost[0] - 0.0018) < 0.0003 and abs(s.beta[0] - 0.43) < 0.05
    m = index_stats(vx.dates, vx.expiries, vix[:, None], panel_price(settle), "mid-term")
    assert abs(m.contango[0] - 0.64) < 0.05 and abs(m.roll_cost[0] - 0.0007) < 0.0002 and abs(m.beta[0] - 0.21) < 0.05
    # without the fill the mid-term index skips most of 2006-2007 (its 4th-7th months were not listed)
    raw = index_stats(vx.dates, vx.expiries, vix[:, None], panel_price(vx.settle), "mid-term")
    assert abs(raw.contango[0] - 0.64) > 0.05


def test_shipped_params_reproduce_the_real_index_figures(real_market_data) -> None:
    # the simulated 20-year histories against the same index code on the real curve of the same span, and
    # the short-term beta (the front end's response to spot, too stiff in a two-factor curve) against S&P's
    from alvh.market import VXModelParams
    from alvh.simulate.calibration import index_rows
    from alvh.simulate.history import load_history

    h = load_history(real_market_data.slice("2006-01-03", "2025-12-31"), VXModelParams.default())
    rows = {r.name: r for r in index_rows(SimParams.default(), h, 0)}
    assert all(r.ok_model for r in rows.values()), [r for r in rows.values() if not r.ok_model]
    assert all(r.ok_rebuild for r in rows.values())
    assert abs(rows["short-term beta to VIX"].sim[0] - 0.43) < 0.1
    assert abs(rows["mid-term beta to VIX"].sim[0] - 0.21) < 0.1


def test_fit_on_real_data_reproduces_the_shipped_parameters(real_market_data) -> None:
    from alvh.market import VXModelParams
    from alvh.simulate.calibrate import fit_params
    from alvh.simulate.history import load_history

    h = load_history(real_market_data.slice("2006-01-03", "2025-12-31"), VXModelParams.default())
    fit = fit_params(h, VXModelParams.default())
    shipped = SimParams.default()
    names = ("kappa_s", "kappa_l", "theta", "jump_base", "jump_mean", "jump_spx", "spx_drift", "kappa_g", "q_kappa_g")
    # rel 1e-4, not 1e-6: least_squares stops at ftol 1e-8 on the cost, so a parameter is pinned to about
    # sqrt(1e-8) relative in a flat direction, and the inputs' last bits differ between CPUs (BLAS kernels,
    # FMA): the alvh-sim-3 params fitted on one machine refitted on an AMD EPYC with kappa_s 1.1e-6 and
    # kappa_l 3.6e-6 apart. A wrong model or data change moves them by far more.
    for name in names + ("gap_slope", "gap_curve", "jump_gap", "vol_excite", "jump_size_excite"):
        assert getattr(fit, name) == pytest.approx(getattr(shipped, name), rel=1e-4), name
    assert fit.sigma_v == pytest.approx(shipped.sigma_v, rel=1e-4)
    assert fit.sigma_g == pytest.approx(shipped.sigma_g, rel=1e-4)
    # spot_gap is refined by simulation after the fit (calibration step 9), the rest is the fit's
    # the variance risk premium: realized SPX variance below VIX^2 in calm markets
    assert fit.vrp_ratio[0] < 0.8


def test_scenario_shocks_hit_the_chosen_day_of_every_path() -> None:
    p = SimParams.default()
    base = simulate_market(p, 30, 40, np.random.default_rng(1))
    sc = Scenario("jump", (Shock("vix_jump", 10, 0.5),))
    hit = simulate_market(p, 30, 40, np.random.default_rng(1), scenario=sc)
    np.testing.assert_array_equal(hit.vix_close[:10], base.vix_close[:10])
    ratio = hit.vix_close[10] / base.vix_close[10]
    np.testing.assert_allclose(ratio, np.exp(0.5), rtol=0.05)  # the regime may differ on the day after
    assert (hit.spx_close[10] < base.spx_close[10]).all()  # the model's own SPX response to a VIX jump
    inv = simulate_market(
        p, 30, 40, np.random.default_rng(1), scenario=Scenario("inv", (Shock("curve_inversion", 5, 0.2),))
    )
    front = inv.vx_price[5][:, np.isfinite(inv.vx_price[5, 0])][:, -1]
    assert (inv.vix_close[5] > front).all()  # spot above the back of the curve: inverted


def test_presets_resemble_their_episodes() -> None:
    p = SimParams.default()
    assert set(p.scenarios) == {"calm_2017", "gfc_2008", "volmageddon_2018", "covid_2020"}
    for name, peak in (("calm_2017", 16.04), ("covid_2020", 82.69), ("gfc_2008", 80.86)):
        from alvh.simulate.model import get_scenario

        sc = get_scenario(name, p)
        assert sc.target["peak_vix"] == pytest.approx(peak, abs=0.01)
        _, fp, _ = simulate_factor_paths(p, 200, int(sc.target["n_days"]), np.random.default_rng(0), scenario=sc)
        med = np.median(fp.vix_close.max(0))
        assert 0.6 * peak < med < 1.6 * peak, (name, med)


# ------------------------------------------------------------------ bad input, before anything runs


@pytest.mark.parametrize(
    "change,key",
    [
        ({"kappa_s": 0.0}, "kappa_s"),
        ({"kappa_l": -1.0}, "kappa_l"),
        ({"sigma_v": (0.8, -0.1)}, "sigma_v"),
        ({"jump_excite": 60.0}, "jump_excite"),
        (
            {"corr_calm": ((1.0, -0.99, 0.9, 0.0), (-0.99, 1.0, 0.9, 0.0), (0.9, 0.9, 1.0, 0.0), (0.0, 0.0, 0.0, 1.0))},
            "corr_calm",
        ),
        ({"corr_calm": ((1.0, -0.7, 0.5), (-0.7, 1.0, 0.5), (0.5, 0.5, 1.0))}, "corr_calm"),  # 3x3: the old model's
        ({"corr_stress": ((1.0, 0.5), (0.5, 1.0))}, "corr_stress"),
        ({"model_version": "alvh-sim-1"}, "model_version"),
        ({"clock": "lunar"}, "clock"),
        ({"kappa_g": 0.0}, "kappa_g"),
        ({"sigma_g": (0.5, -0.1)}, "sigma_g"),
    ],
    ids=lambda v: next(iter(v)) if isinstance(v, dict) else None,
)
def test_exploding_or_invalid_parameters_are_refused_naming_the_key(change, key) -> None:
    with pytest.raises(ConfigError) as exc:
        SimParams.default().replace(**change)
    assert exc.value.key == key


def test_params_file_from_another_model_version(tmp_path) -> None:
    text = (pytest.importorskip("importlib.resources").files("alvh.resources") / "sim_params.toml").read_text()
    f = tmp_path / "old.toml"
    f.write_text(text.replace(f'model_version = "{MODEL_VERSION}"', 'model_version = "alvh-sim-1"'))
    with pytest.raises(ConfigError, match="model_version.*another model"):
        SimParams.from_toml(f)
    f.write_text(text.replace("kappa_s = ", "kappa_z = ", 1))
    with pytest.raises(ConfigError, match="kappa_z"):
        SimParams.from_toml(f)


def test_scenario_errors_name_the_shock(tmp_path) -> None:
    p = SimParams.default()
    with pytest.raises(ConfigError, match=r"shocks\[1\]\.day.*beyond the horizon"):
        simulate_market(
            p,
            2,
            20,
            np.random.default_rng(0),
            scenario=Scenario("s", (Shock("vix_jump", 3, 0.2), Shock("vix_jump", 25, 0.2))),
        )
    with pytest.raises(ConfigError, match="positive"):
        simulate_market(
            p, 2, 20, np.random.default_rng(0), scenario=Scenario("s", (Shock("correlation_break", 3, 0.99),))
        )
    f = tmp_path / "s.toml"
    f.write_text('name = "x"\n[[shocks]]\nkind = "vix_jmp"\nday = 3\nsize = 0.2\n')
    with pytest.raises(ConfigError, match=r"shocks\[0\]\.kind"):
        Scenario.from_toml(f)
    with pytest.raises(ConfigError, match="overrides.kappa_s"):
        simulate_market(p, 2, 20, np.random.default_rng(0), scenario=Scenario("o", overrides={"kappa_s": -1.0}))


def test_event_calendar_projection_keeps_weekdays() -> None:
    from alvh.calendar import load_event_calendar
    from alvh.simulate.schedule import event_mask

    dates = run_dates("2026-01-02", 600)
    m = event_mask(dates, "cpi")
    known = load_event_calendar("cpi").dates
    inside = dates[m][dates[m] <= known[-1]]
    assert set(inside) <= set(known)
    assert 11 <= m[(dates > pd.Timestamp("2027-01-01")) & (dates < pd.Timestamp("2028-01-01"))].sum() <= 13


@pytest.mark.parametrize(
    ("shock", "key"),
    [
        ('kind = "vix_jump"\nday = "ten"\nsize = 0.6\n', "scenario.shocks[0].day"),
        ('kind = "vix_jump"\nday = 4.7\nsize = 0.6\n', "scenario.shocks[0].day"),  # never truncated to day 4
        ('kind = "vix_jump"\nday = true\nsize = 0.6\n', "scenario.shocks[0].day"),
        ('kind = "vix_jump"\nday = 4\nsize = "big"\n', "scenario.shocks[0].size"),
        ('kind = "correlation_break"\nday = 4\nsize = 0.2\ndays = 2.5\n', "scenario.shocks[0].days"),
        ('kind = "vix_jump"\nday = 4\nsiz = 0.6\n', "scenario.shocks[0].siz"),  # the unknown key itself
        ('kind = "vix_jump"\nday = 4\n', "scenario.shocks[0].size"),  # the missing key
    ],
)
def test_scenario_file_of_wrong_types_is_a_config_error_naming_the_key(tmp_path, shock, key) -> None:
    f = tmp_path / "sc.toml"
    f.write_text('name = "x"\n[[shocks]]\n' + shock)
    with pytest.raises(ConfigError) as exc:
        Scenario.from_toml(f)
    assert exc.value.key == key
    assert str(f) in str(exc.value)


def test_scenario_shocks_that_are_not_tables(tmp_path) -> None:
    for text in ('name = "x"\nshocks = [1]\n', 'name = "x"\nshocks = 3\n'):
        f = tmp_path / "sc.toml"
        f.write_text(text)
        with pytest.raises(ConfigError) as exc:
            Scenario.from_toml(f)
        assert str(exc.value.key).startswith("scenario.shocks")


def test_fit_without_vx_settlements_has_no_spot_gap(real_market_data) -> None:
    # without settlements the gap cannot be told from the short factor: it is zero, its noise and jump share
    # too, its shock uncorrelated; the parameters still validate and simulate
    import dataclasses

    from alvh.market import VXModelParams
    from alvh.simulate.calibrate import fit_params
    from alvh.simulate.history import load_history

    md = dataclasses.replace(real_market_data.slice("2006-01-03", "2025-12-31"), vx=None)
    h = load_history(md, VXModelParams.default())
    assert not h.gap.any()
    fit = fit_params(h, VXModelParams.default(), corr_weight=0.5)
    assert fit.sigma_g == (0.0, 0.0) and fit.jump_gap == 0.0 and fit.gap_slope == 0.0
    assert np.array(fit.corr_calm)[3, :3].tolist() == [0.0, 0.0, 0.0]
    fp = simulate_factor_paths(fit, 20, 60, np.random.default_rng(0))[1]
    np.testing.assert_array_equal(fp.vix_close, fp.short)  # spot is the curve's short factor
