"""The day loop of the joint model: spot VIX, the long curve factor, SPX, jumps, regimes, correlations.

Vectorized over paths; one Python loop over days (docs/simulation.md has every equation). Per day, in this
order (the draws are taken in a fixed order, so a seeded generator gives bit-identical paths):

1. regime: stress (backwardation) where the risk-neutral 30-day point of the curve is below spot VIX;
2. correlation: ``R = normalize((1 - w) Rbar[regime] + w Rhat)`` where ``Rhat`` is the EWMA correlation of
   the path's own past shocks, re-estimated on the first trading day of each week and on FOMC days;
3. jumps: a self-exciting (Hawkes) arrival with intensity ``base + excite * H``, log sizes
   ``jump_min + Exponential(jump_mean)``;
4. the exact conditional mean of the two-factor curve over the step (one trading day, or the calendar gap
   on ``clock = "calendar"``), lognormal noise around it
   (jumps compensated, so ``E[V_{t+1} | t]`` is the closed-form futures price at ``dt``);
5. SPX: ``vrp * V / 100`` volatility (the variance risk premium), the leverage correlation and the jump.
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


@dataclass(frozen=True)
class QCurve:
    """The risk-neutral curve parameters the closed form reads (:class:`alvh.market.vx.FactorKappas`)."""

    kappa_s: float
    kappa_l: float
    theta: float


@dataclass(frozen=True)
class FactorPaths:
    """(n_days, n_paths) arrays of one run's factors; ``stress`` the regime, ``jumps`` the jump days."""

    spx_open: np.ndarray
    spx_close: np.ndarray
    vix_open: np.ndarray
    vix_close: np.ndarray
    long: np.ndarray
    stress: np.ndarray
    jumps: np.ndarray
    n_clipped: int


def q_curve(p: SimParams) -> QCurve:
    return QCurve(p.q_kappa_s, p.q_kappa_l, p.q_theta)


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
) -> FactorPaths:
    """Run the day loop (module docstring); ``events[kind]`` and ``reestimate`` are (n_days,) bool masks."""
    n_days = len(dates)
    q = q_curve(p)
    shape = (n_days, n_paths)
    so, sc, vo, vc, lf = (np.empty(shape) for _ in range(5))
    stress = np.zeros(shape, dtype=bool)
    jumps = np.zeros(shape, dtype=bool)
    s0 = scenario.spx0 if scenario is not None and scenario.spx0 is not None else p.spx0
    v0 = scenario.vix0 if scenario is not None and scenario.vix0 is not None else p.vix0
    l0 = scenario.long0 if scenario is not None and scenario.long0 is not None else p.long0
    v, ll, s = np.full(n_paths, v0), np.full(n_paths, l0), np.full(n_paths, s0)
    so[0], sc[0], vo[0], vc[0], lf[0] = s, s, v, v, ll
    gaps = step_years(dates, p.clock)
    dt = 1.0 / TRADING_DAYS
    rbar = np.stack([p.corr(0), p.corr(1)])
    lam_ewma = 0.5 ** (1.0 / p.corr_halflife)
    s_run = np.broadcast_to(rbar[0], (n_paths, 3, 3)).copy()  # EWMA of e e' on the path
    r_hat = s_run.copy()
    hawkes = np.zeros(n_paths)
    # E[exp(J)] and E[exp(jump_long J)] for J = jump_min + Exponential(jump_mean)
    e_jump = np.exp(p.jump_min) / (1.0 - p.jump_mean)
    e_jump_l = np.exp(p.jump_long * p.jump_min) / (1.0 - p.jump_long * p.jump_mean)
    jump_avg = p.jump_min + p.jump_mean
    sig_v, sig_l, vrp = (np.asarray(x) for x in (p.sigma_v, p.sigma_l, p.vrp_ratio))
    f = p.overnight_share
    shocks = scenario.by_day() if scenario is not None else {}
    breaks = [x for x in (scenario.shocks if scenario is not None else ()) if x.kind == "correlation_break"]
    n_clip = 0
    path_idx = np.arange(n_paths)
    chol_by_regime: np.ndarray | None = None
    for d in range(1, n_days):
        reg = (model_futures(v, ll, _DTE30, q) < v).astype(np.intp)
        stress[d - 1] = reg.astype(bool)
        if reestimate[d] or chol_by_regime is None:
            # both regimes' factors once per re-estimation, each path picks its regime's every day
            r_hat = _normalize(s_run)
            chol_by_regime = np.stack(
                [
                    np.linalg.cholesky(_normalize((1.0 - p.corr_weight) * rbar[k] + p.corr_weight * r_hat))
                    for k in (0, 1)
                ]
            )
        chol = chol_by_regime[reg, path_idx]
        for b in breaks:
            if b.day <= d < b.day + b.days:
                r = _normalize((1.0 - p.corr_weight) * rbar[reg] + p.corr_weight * r_hat)
                r[:, 0, 1] = r[:, 1, 0] = b.size
                chol = np.linalg.cholesky(r)
        z = rng.standard_normal((6, n_paths))
        u = rng.random(n_paths)
        size = p.jump_min + rng.standard_exponential(n_paths) * p.jump_mean
        e = np.einsum("pij,jp->ip", chol, z[:3])
        s_run = lam_ewma * s_run + (1.0 - lam_ewma) * np.einsum("ip,jp->pij", e, e)
        lam = p.jump_base + p.jump_excite * hawkes
        pj = -np.expm1(-lam * dt)
        hit = u < pj
        jmp = np.where(hit, size, 0.0)
        hawkes = hawkes * np.exp(-p.jump_decay * dt) + hit
        a, c = loadings(p.kappa_s, p.kappa_l, gaps[d - 1])
        m_v = p.theta + (v - p.theta) * a + (ll - p.spot_gap - p.theta) * c
        m_l = p.theta + (ll - p.theta) * float(np.exp(-p.kappa_l * gaps[d - 1]))
        sv = sig_v[reg] * np.sqrt(dt)
        sl = sig_l[reg] * np.sqrt(dt)
        log_v = sv * e[1] - 0.5 * sv * sv + jmp - np.log1p(pj * (e_jump - 1.0))
        log_l = sl * e[2] - 0.5 * sl * sl + p.jump_long * jmp - np.log1p(pj * (e_jump_l - 1.0))
        for kind, mask in events.items():
            ev = p.events.get(kind)
            if ev is not None and mask[d] and (ev.sd > 0 or ev.mean != 0):
                log_v = log_v + ev.mean + ev.sd * z[5] - 0.5 * ev.sd * ev.sd
        vol_s = vrp[reg] * v / VOL_POINTS_PER_UNIT
        log_s = (p.spx_drift - 0.5 * vol_s * vol_s) * dt + vol_s * np.sqrt(dt) * e[0]
        log_s = log_s + p.jump_spx * (jmp - pj * jump_avg)
        for x in shocks.get(d, ()):
            if x.kind == "vix_jump":
                log_v, log_l, log_s = log_v + x.size, log_l + p.jump_long * x.size, log_s + p.jump_spx * x.size
            elif x.kind == "cpi_surprise":
                log_v = log_v + x.size * p.events["cpi"].sd
        v_new = m_v * np.exp(log_v)
        l_new = m_l * np.exp(log_l)
        for x in shocks.get(d, ()):
            if x.kind == "curve_inversion":
                v_new = np.maximum(v_new, l_new * np.exp(x.size))
        clip = (v_new < VIX_FLOOR) | (v_new > VIX_CAP)
        if clip.any():
            n_clip += int(clip.sum())
            v_new = np.clip(v_new, VIX_FLOOR, VIX_CAP)
        s_new = s * np.exp(log_s)
        # the open: a Brownian bridge point at the overnight share f of the day's variance
        bridge = np.sqrt(f * (1.0 - f))
        so[d] = s * np.exp(f * log_s + bridge * vol_s * np.sqrt(dt) * z[3])
        vo[d] = np.clip(v * np.exp(f * np.log(v_new / v) + bridge * sv * z[4]), VIX_FLOOR, VIX_CAP)
        v, ll, s = v_new, l_new, s_new
        sc[d], vc[d], lf[d], jumps[d] = s, v, ll, hit
    stress[n_days - 1] = model_futures(v, ll, _DTE30, q) < v
    return FactorPaths(so, sc, vo, vc, lf, stress, jumps, n_clip)
