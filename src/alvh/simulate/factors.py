"""The day loop of the joint model: the curve's short and long factors, the spot gap, SPX, jumps, regimes.

Vectorized over paths; one Python loop over days (docs/simulation.md has every equation). Spot VIX is the
short factor ``V`` plus the spot gap ``x`` (the part of a spot move the futures curve does not follow).
Per day, in this order (the draws are taken in a fixed order, so a seeded generator gives bit-identical
paths):

1. regime: stress (backwardation) where the risk-neutral 30-day point of the curve is below spot VIX;
2. correlation: ``R = normalize((1 - w) Rbar[regime] + w Rhat)`` where ``Rhat`` is the EWMA correlation of
   the path's own past shocks, re-estimated on the first trading day of each week and on FOMC days;
3. jumps: a self-exciting (Hawkes) arrival with intensity ``base + excite * H`` (``H`` the excitation of
   the jumps before the day), log sizes ``jump_min + Exponential(jump_mean (1 + jump_size_excite H))``;
   the excitation also scales the diffusion's vols by ``sqrt(1 + vol_excite H)`` (alvh-sim-4);
4. the exact conditional mean of the two-factor curve over the step (one trading day, or the calendar gap
   on ``clock = "calendar"``), lognormal noise around it
   (jumps compensated, so ``E[V_{t+1} | t]`` is the closed-form futures price at ``dt``); the gap
   ``E[x_{t+1} | t] = phi x_t + (1 - phi) V (gap_level + gap_slope z + gap_curve z^2)``, ``z = ln(L / V)``,
   ``phi = exp(-kappa_g dt)`` (zero level, slope and curve under the risk-neutral dynamics), noise
   ``sigma_g V sqrt(dt)``;
5. SPX: ``vrp * V / 100`` volatility (the variance risk premium), the leverage correlation and the jump
   (``jump_spx`` per unit of spot VIX's daily vol).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alvh.market.vx import model_futures
from alvh.pricing.units import DAYS_PER_YEAR, VOL_POINTS_PER_UNIT
from alvh.simulate.params import SimParams
from alvh.simulate.scenarios import Scenario

#: Trading days per year: the unit of every volatility (per sqrt trading year).
TRADING_DAYS = 252.0
#: Spot VIX is kept inside [VIX_FLOOR, VIX_CAP] (the SPX surface solves for VIX in [2, 250]); the number of
#: clipped cells is reported in the provenance (none on the shipped parameters' 10,000-path check).
VIX_FLOOR, VIX_CAP = 5.0, 150.0
#: The regime's curve point: 30 calendar days (the VIX horizon).
_DTE30 = np.array(30.0)
#: Largest mean excess of a jump's log size (the jumps' compensators need ``jump_short x mean < 1``).
JUMP_MEAN_CAP = 0.5


@dataclass(frozen=True)
class QCurve:
    """The risk-neutral curve parameters the closed form reads (:class:`alvh.market.vx.FactorKappas`)."""

    kappa_s: float
    kappa_l: float
    theta: float


@dataclass(frozen=True)
class FactorPaths:
    """(n_days, n_paths) arrays of one run's factors; ``stress`` the regime, ``jumps`` the jump days.

    ``vix_close`` is spot VIX, ``short`` the curve's short factor ``V`` (spot minus the gap), ``long`` ``L``.
    """

    spx_open: np.ndarray
    spx_close: np.ndarray
    vix_open: np.ndarray
    vix_close: np.ndarray
    long: np.ndarray
    short: np.ndarray
    stress: np.ndarray
    jumps: np.ndarray
    n_clipped: int


def q_curve(p: SimParams) -> QCurve:
    return QCurve(p.q_kappa_s, p.q_kappa_l, p.q_theta)


def curve_price(
    spot: np.ndarray, short: np.ndarray, long: np.ndarray, dte: np.ndarray | float, p: SimParams
) -> np.ndarray:
    """The model's VX price (broadcast): the two-factor closed form on ``(V, L)`` plus the gap's term.

    ``F = model_futures(V, L, dte) + (spot - V) exp(-q_kappa_g dte / 365)``: under the risk-neutral
    dynamics the gap reverts to zero at ``q_kappa_g``, so its expectation at the expiry is that term (the
    one source of the curve for the simulation, the fit report and the S&P index check).
    """
    d = np.asarray(dte, dtype=float)
    s = np.asarray(short, dtype=float)
    return model_futures(s, long, d, q_curve(p)) + (np.asarray(spot, dtype=float) - s) * np.exp(
        -p.q_kappa_g * d / DAYS_PER_YEAR
    )


def loadings(kappa_s: float, kappa_l: float, tau: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """``a = exp(-kappa_s tau)`` and ``c = kappa_s / (kappa_s - kappa_l) (exp(-kappa_l tau) - a)``."""
    t = np.asarray(tau, dtype=float)
    a = np.exp(-kappa_s * t)
    return a, kappa_s / (kappa_s - kappa_l) * (np.exp(-kappa_l * t) - a)


def step_years(dates: pd.DatetimeIndex, clock: str) -> np.ndarray:
    """(n_days - 1,) years between consecutive days: 1/252 each on the trading clock, ACT/365 on the calendar."""
    if clock == "calendar":
        return np.diff(dates.values.astype("datetime64[D]")).astype(float) / DAYS_PER_YEAR
    return np.full(max(len(dates) - 1, 0), 1.0 / TRADING_DAYS)


def gap_mean(
    x: np.ndarray,
    v: np.ndarray,
    ll: np.ndarray,
    phi: float | np.ndarray,
    level: float,
    slope: float,
    curve: float = 0.0,
) -> np.ndarray:
    """``E[x'] = phi x + (1 - phi) V (level + slope z + curve z^2)``, ``z = ln(L / V)`` (one source for the
    fit and the day loop): the gap's target share of ``V`` is a parabola in the curve's steepness (spot sits
    above the curve's short factor both in steep contango and in a deep inversion)."""
    z = np.log(ll / v)
    return phi * x + (1.0 - phi) * v * (level + slope * z + curve * z * z)


def _normalize(m: np.ndarray) -> np.ndarray:
    d = np.sqrt(np.einsum("pii->pi", m))
    return m / (d[:, :, None] * d[:, None, :])


def simulate_factors(  # noqa: PLR0915 - one day step: regime, correlation, jumps, factors, SPX
    p: SimParams,
    n_paths: int,
    dates: pd.DatetimeIndex,
    rng: np.random.Generator,
    events: dict[str, np.ndarray],
    reestimate: np.ndarray,
    scenario: Scenario | None = None,
    corr_weight: np.ndarray | None = None,
    spot_gap: np.ndarray | None = None,
) -> FactorPaths:
    """Run the day loop (module docstring); ``events[kind]`` and ``reestimate`` are (n_days,) bool masks.

    ``corr_weight`` and ``spot_gap`` (n_paths,) override ``p.corr_weight`` / ``p.spot_gap`` path by path
    (the calibration's grids run every candidate in one loop).
    """
    n_days = len(dates)
    shape = (n_days, n_paths)
    so, sc, vo, vc, lf, sf = (np.empty(shape) for _ in range(6))
    stress = np.zeros(shape, dtype=bool)
    jumps = np.zeros(shape, dtype=bool)
    s0 = scenario.spx0 if scenario is not None and scenario.spx0 is not None else p.spx0
    spot0 = scenario.vix0 if scenario is not None and scenario.vix0 is not None else p.vix0
    l0 = scenario.long0 if scenario is not None and scenario.long0 is not None else p.long0
    x0 = scenario.gap0 if scenario is not None and scenario.gap0 is not None else p.gap0
    if scenario is not None and scenario.vix0 is not None and scenario.gap0 is None:
        x0 = 0.0  # a scenario's own spot VIX without its gap: the curve starts at spot
    x0 = float(np.clip(x0, -0.5 * spot0, 0.5 * spot0))
    v, ll, s = np.full(n_paths, spot0 - x0), np.full(n_paths, l0), np.full(n_paths, s0)
    x = np.full(n_paths, x0)
    spot = v + x
    so[0], sc[0], vo[0], vc[0], lf[0], sf[0] = s, s, spot, spot, ll, v
    gaps = step_years(dates, p.clock)
    dt = 1.0 / TRADING_DAYS
    w = p.corr_weight if corr_weight is None else np.asarray(corr_weight, dtype=float)[:, None, None]
    gap_v = p.spot_gap if spot_gap is None else np.asarray(spot_gap, dtype=float)
    rbar = np.stack([p.corr(0), p.corr(1)])
    k_f = rbar.shape[-1]
    lam_ewma = 0.5 ** (1.0 / p.corr_halflife)
    s_run = np.broadcast_to(rbar[0], (n_paths, k_f, k_f)).copy()  # EWMA of e e' on the path
    r_hat = s_run.copy()
    hawkes = np.zeros(n_paths)
    decay_f = float(np.exp(-p.jump_decay / TRADING_DAYS))
    # E[exp(jump_short J)] and E[exp(jump_long J)] for J = jump_min + Exponential(jump_mean)
    sig_v, sig_l, sig_g, vrp = (np.asarray(y) for y in (p.sigma_v, p.sigma_l, p.sigma_g, p.vrp_ratio))
    f = p.overnight_share
    shocks = scenario.by_day() if scenario is not None else {}
    breaks = [y for y in (scenario.shocks if scenario is not None else ()) if y.kind == "correlation_break"]
    n_clip = 0
    path_idx = np.arange(n_paths)
    chol_by_regime: np.ndarray | None = None
    step_loads: dict[float, tuple[np.ndarray, np.ndarray]] = {}  # per distinct step length (one on trading days)
    for d in range(1, n_days):
        reg = (curve_price(spot, v, ll, _DTE30, p) < spot).astype(np.intp)
        stress[d - 1] = reg.astype(bool)
        if reestimate[d] or chol_by_regime is None:
            # both regimes' factors once per re-estimation, each path picks its regime's every day
            r_hat = _normalize(s_run)
            chol_by_regime = np.stack(
                [
                    np.broadcast_to(np.linalg.cholesky(_normalize((1.0 - w) * rbar[k] + w * r_hat)), r_hat.shape)
                    for k in (0, 1)
                ]
            )
        chol = chol_by_regime[reg, path_idx]
        for b in breaks:
            if b.day <= d < b.day + b.days:
                r = _normalize((1.0 - w) * rbar[reg] + w * r_hat)
                r[:, 0, 1] = r[:, 1, 0] = b.size
                chol = np.linalg.cholesky(r)
        z = rng.standard_normal((k_f + 3, n_paths))
        u = rng.random(n_paths)
        expo = rng.standard_exponential(n_paths)
        e = np.einsum("pij,jp->ip", chol, z[:k_f])
        s_run = lam_ewma * s_run + (1.0 - lam_ewma) * np.einsum("ip,jp->pij", e, e)
        # the excitation of the jumps before today, H_d = sum_{s < d} exp(-decay (d - s) dt) N_s (the
        # calibration's definition, alvh.simulate.calibrate.hawkes_excitation)
        h_d = hawkes * decay_f
        lam = p.jump_base + p.jump_excite * h_d
        pj = -np.expm1(-lam * dt)
        # the jumps' mean excess grows with the excitation too (a crisis's jumps are larger), kept finite
        j_mean = np.minimum(p.jump_mean * (1.0 + p.jump_size_excite * h_d), JUMP_MEAN_CAP)
        size = p.jump_min + expo * j_mean
        # E[exp(j J)] for J = jump_min + Exponential(j_mean): the compensators of V's and L's jumps
        e_jump = np.exp(p.jump_short * p.jump_min) / (1.0 - p.jump_short * j_mean)
        e_jump_l = np.exp(p.jump_long * p.jump_min) / (1.0 - p.jump_long * j_mean)
        jump_avg = p.jump_min + j_mean
        hit = u < pj
        jmp = np.where(hit, size, 0.0)
        hawkes = h_d + hit
        g_d = float(gaps[d - 1])
        if g_d not in step_loads:
            step_loads[g_d] = loadings(p.kappa_s, p.kappa_l, g_d)
        a, c = step_loads[g_d]
        m_v = p.theta + (v - p.theta) * a + (ll - gap_v - p.theta) * c
        m_l = p.theta + (ll - p.theta) * float(np.exp(-p.kappa_l * gaps[d - 1]))
        phi = float(np.exp(-p.kappa_g * gaps[d - 1]))
        m_x = gap_mean(x, v, ll, phi, p.gap_level, p.gap_slope, p.gap_curve)
        vol_x = np.sqrt(1.0 + p.vol_excite * h_d)  # the diffusion's variance grows with the excitation
        sv = sig_v[reg] * np.sqrt(dt) * vol_x
        sl = sig_l[reg] * np.sqrt(dt) * vol_x
        log_v = sv * e[1] - 0.5 * sv * sv + p.jump_short * jmp - np.log1p(pj * (e_jump - 1.0))
        log_l = sl * e[2] - 0.5 * sl * sl + p.jump_long * jmp - np.log1p(pj * (e_jump_l - 1.0))
        for kind, mask in events.items():
            ev = p.events.get(kind)
            if ev is not None and mask[d] and (ev.sd > 0 or ev.mean != 0):
                log_v = log_v + ev.mean + ev.sd * z[k_f + 2] - 0.5 * ev.sd * ev.sd
        vol_s = vrp[reg] * spot / VOL_POINTS_PER_UNIT
        log_s = (p.spx_drift - 0.5 * vol_s * vol_s) * dt + vol_s * np.sqrt(dt) * e[0]
        unit = spot / VOL_POINTS_PER_UNIT * np.sqrt(dt)  # SPX's jump is in units of VIX's daily vol
        log_s = log_s + p.jump_spx * unit * (jmp - pj * jump_avg)
        # zero-mean noise and a compensated jump share: E[x'] is exactly m_x
        x_new = m_x + sig_g[reg] * vol_x * np.sqrt(dt) * v * e[3] + p.jump_gap * v * (jmp - pj * jump_avg)
        spot_jump = 0.0
        for y in shocks.get(d, ()):
            if y.kind == "vix_jump":
                spot_jump += y.size
                log_l, log_s = log_l + p.jump_long * y.size, log_s + p.jump_spx * unit * y.size
            elif y.kind == "cpi_surprise":
                log_v = log_v + y.size * p.events["cpi"].sd
        v_new = m_v * np.exp(log_v)
        l_new = m_l * np.exp(log_l)
        if spot_jump:  # spot moves by exp(size), split as the model's jumps: jump_short of it in the curve
            spot_pre = v_new + x_new
            v_new = v_new * np.exp(p.jump_short * spot_jump)
            x_new = spot_pre * np.exp(spot_jump) - v_new
        for y in shocks.get(d, ()):
            if y.kind == "curve_inversion":  # spot raised above the back of the curve
                v_new = np.maximum(v_new, l_new * np.exp(y.size) - x_new)
        v_new = np.clip(v_new, VIX_FLOOR, VIX_CAP)
        spot_new = v_new + x_new
        clip = (spot_new < VIX_FLOOR) | (spot_new > VIX_CAP)
        if clip.any():
            n_clip += int(clip.sum())
            spot_new = np.clip(spot_new, VIX_FLOOR, VIX_CAP)
            x_new = spot_new - v_new
        s_new = s * np.exp(log_s)
        # the open: a Brownian bridge point at the overnight share f of the day's variance
        bridge = np.sqrt(f * (1.0 - f))
        so[d] = s * np.exp(f * log_s + bridge * vol_s * np.sqrt(dt) * z[k_f])
        vo[d] = np.clip(spot * np.exp(f * np.log(spot_new / spot) + bridge * sv * z[k_f + 1]), VIX_FLOOR, VIX_CAP)
        v, ll, s, x, spot = v_new, l_new, s_new, x_new, spot_new
        sc[d], vc[d], lf[d], sf[d], jumps[d] = s, spot, ll, v, hit
    stress[n_days - 1] = curve_price(spot, v, ll, _DTE30, p) < spot
    return FactorPaths(so, sc, vo, vc, lf, sf, stress, jumps, n_clip)
