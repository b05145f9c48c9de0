"""Fit :class:`SimParams` to history (docs/simulation.md, "Calibration": every estimator, in this order).

1. Risk-neutral curve (``q_kappa_s``, ``q_kappa_l``, ``q_theta``, ``beta_long``): the shipped VX-curve fit
   (:meth:`VXModelParams.default`, real VX 2004-2025; refit with ``alvh market fit-vx``).
2. Real-world speeds ``kappa_s``, ``kappa_l``, level ``theta`` and ``spot_gap``: least squares of the
   one-step errors of the short factor ``V = spot - x`` and of ``L`` against the exact two-factor mean over
   one trading day (:func:`fit_speeds`); the spot gap's ``kappa_g``, ``gap_level``, ``gap_slope`` by least
   squares of ``x'`` on its mean (:func:`fit_gap`)
   (its risk-neutral speed ``q_kappa_g`` and the daily ``x`` come with the history,
   :func:`alvh.simulate.history.fit_gap_speed`).
3. Regime of each day: stress where the model's 30-day point is below spot VIX (backwardation).
4. Jump days: spot's ``ln(spot'/E[spot'])`` above ``JUMP_Z`` robust (MAD) sds of the day's regime; the
   Hawkes intensity by maximum likelihood on the jump days; sizes ``jump_min + Exponential(jump_mean (1 +
   jump_size_excite H))`` by maximum likelihood (:func:`fit_jump_sizes`); ``vol_excite``, how the
   diffusion's variance grows with the excitation ``H`` (:func:`fit_vol_excite`).
5. Diffusion vols (at ``H = 0``), correlations (SPX return per unit of its VIX-implied vol, ln V, ln L and gap
   residuals),
   ``vrp_ratio`` (realized SPX variance over VIX^2): per regime, on the days without a jump.
6. Jump responses ``jump_short``, ``jump_gap`` (how a spot jump splits between the curve's short factor and
   the gap), ``jump_spx`` (the SPX return per unit of spot VIX's daily vol), ``jump_long``: regressions
   through the origin on the jump days.
7. Release-day shocks: excess mean and variance of the ln VIX residual on CPI/PPI/FOMC days.
8. ``corr_weight``: the weight of the path's own EWMA correlation, chosen on a grid so the simulated
   dispersion of 63-day corr(SPX, VIX) matches the historical one (:func:`fit_corr_weight`).
9. ``spot_gap`` again, by simulation: the level that gives the simulated histories the historical mean of
   ``ln(L / V)`` (:func:`alvh.simulate.calibration.fit_spot_gap`; the stationary-mean estimate of step 2
   matches the mean in points, but the short factor's right skew then leaves it too far below ``L`` most
   of the time, and the curve too steep).
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
from scipy import optimize

from alvh._version import __version__
from alvh.errors import DataError
from alvh.market import VXModelParams, model_futures
from alvh.simulate.factors import TRADING_DAYS, QCurve, gap_mean, loadings, step_years
from alvh.simulate.history import History
from alvh.simulate.params import MODEL_VERSION, EventShock, SimParams

#: A day is a jump day when spot VIX's log residual exceeds this many robust standard deviations of its regime.
JUMP_Z = 3.0
#: Half-life (trading days) of the path's EWMA correlation estimate: a quarter (63 days), the window over
#: which desks re-estimate hedge correlations; its weight is fitted (step 8).
CORR_HALFLIFE = 63.0
#: Fewest event days for an event shock to be estimated (else zero, with n_days recorded).
MIN_EVENT_DAYS = 10


@dataclasses.dataclass(frozen=True)
class Residuals:
    """One-step quantities of the history (n_days - 1,): residuals, regime, jump days, SPX returns."""

    eps_v: np.ndarray
    eps_l: np.ndarray
    eps_g: np.ndarray
    eps_spot: np.ndarray
    ret: np.ndarray
    stress: np.ndarray
    jump: np.ndarray
    zs: np.ndarray


def _means(x: np.ndarray, v: np.ndarray, ll: np.ndarray, gap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ks, kl, th, gap_v = x
    a, c = loadings(ks, kl, gap)
    return th + (v - th) * a + (ll - gap_v - th) * c, th + (ll - th) * np.exp(-kl * gap)


def fit_speeds(h: History) -> tuple[float, float, float, float]:
    """Step 2: ``(kappa_s, kappa_l, theta, spot_gap)``, one equation at a time.

    ``kappa_l`` and ``theta`` by least squares of the long factor's one-step errors (in points: the
    conditional mean is linear, so this is unbiased whatever the noise); ``spot_gap = mean(L) - mean(V)``
    (in the stationary state ``E[V] = E[L] - spot_gap``); then ``kappa_s`` by least squares of spot VIX's
    one-step errors given the rest.
    """
    v, ll = h.short, h.long
    gap = step_years(h.dates, "trading")

    def resid_l(x: np.ndarray) -> np.ndarray:
        return ll[1:] - (x[1] + (ll[:-1] - x[1]) * np.exp(-x[0] * gap))

    sol_l = optimize.least_squares(resid_l, np.array([0.5, float(ll.mean())]), bounds=([0.01, 5.0], [20.0, 60.0]))
    kl, th = (float(x) for x in sol_l.x)
    gap_v = float(ll.mean() - v.mean())

    def resid_v(x: np.ndarray) -> np.ndarray:
        return v[1:] - _means(np.array([x[0], kl, th, gap_v]), v[:-1], ll[:-1], gap)[0]

    sol_v = optimize.least_squares(resid_v, np.array([5.0]), bounds=([kl * 1.01 + 0.01], [60.0]))
    ks = float(sol_v.x[0])
    if not (sol_l.success and sol_v.success):
        raise DataError(f"the curve speeds did not converge ({sol_l.message}; {sol_v.message})", column="vix.close")
    return ks, kl, th, gap_v


def fit_gap(h: History) -> tuple[float, float, float, float]:
    """The spot gap's real-world mean: ``(phi, level, slope, curve)`` by least squares of

    ``x' = phi x + (1 - phi) V (level + slope z + curve z^2)``, ``z = ln(L / V)`` (no intercept): the gap
    reverts each day by ``1 - phi`` towards a share of the short factor that is a parabola in the curve's
    steepness (on history spot sits above the curve's short factor in steep contango and in a deep
    inversion, below it in between). ``phi`` is kept in (0.01, 0.999).
    """
    x, v = h.gap, h.short
    z = np.log(h.long / v)
    a = np.stack([x[:-1], v[:-1], v[:-1] * z[:-1], v[:-1] * z[:-1] ** 2], axis=1)
    coef, *_ = np.linalg.lstsq(a, x[1:], rcond=None)
    phi = float(np.clip(coef[0], 0.01, 0.999))
    return phi, float(coef[1] / (1.0 - phi)), float(coef[2] / (1.0 - phi)), float(coef[3] / (1.0 - phi))


def residuals(
    h: History, ks: float, kl: float, th: float, gap_v: float, q: QCurve, gfit: tuple[float, float, float, float]
) -> Residuals:
    """Steps 3-4: residuals, regime (the model curve's 30-day point below spot) and jump days.

    ``eps_g`` is the gap's one-step error per point of the short factor, ``(x' - E[x']) / V``
    (``gfit`` from :func:`fit_gap`); ``eps_spot = ln(spot' / (E[V'] + E[x']))`` spot VIX's own, on which
    the jump days are found (a spike is in spot: partly in the curve's short factor, partly in the gap).
    """
    v, ll, x, spot = h.short, h.long, h.gap, h.vix
    gap = step_years(h.dates, "trading")
    mv, ml = _means(np.array([ks, kl, th, gap_v]), v[:-1], ll[:-1], gap)
    eps_v, eps_l = np.log(v[1:] / mv), np.log(ll[1:] / ml)
    mx = gap_mean(x[:-1], v[:-1], ll[:-1], *gfit)
    eps_g = (x[1:] - mx) / v[:-1]
    eps_spot = np.log(spot[1:] / np.maximum(mv + mx, 1e-6))
    f30 = model_futures(v[:-1], ll[:-1], np.array(30.0), q) + x[:-1] * np.exp(-h.q_kappa_g * 30.0 / 365.0)
    stress = f30 < spot[:-1]
    jump = np.zeros(len(eps_v), dtype=bool)
    for reg in (False, True):
        m = stress == reg
        if m.sum() > 20:
            med = np.median(eps_spot[m])
            mad = 1.4826 * np.median(np.abs(eps_spot[m] - med))
            jump |= m & (eps_spot - med > JUMP_Z * mad)
    ret = np.log(h.spx[1:] / h.spx[:-1])
    zs = ret / (spot[:-1] / 100.0 * np.sqrt(1.0 / TRADING_DAYS))
    return Residuals(eps_v, eps_l, eps_g, eps_spot, ret, stress, jump, zs)


def hawkes_excitation(n: np.ndarray, phi: float) -> np.ndarray:
    """``H_t = phi (H_{t-1} + N_{t-1})``, ``H_0 = 0``, for a 0/1 daily series ``n`` (what
    ``scipy.signal.lfilter([0, phi], [1, -phi], n)`` gives, tested against it; scipy.signal is not imported
    for it: its import costs more than the whole fit).

    Between jump days ``H`` only decays, so the recursion runs over the jump days (about 150 in 20 years):
    after jump day ``s_k`` the level is ``G_k = G_{k-1} phi^(s_k - s_{k-1}) + 1``, and on a day ``t`` after
    it ``H_t = G_k phi^(t - s_k)``.
    """
    x = np.asarray(n, dtype=float)
    days = np.flatnonzero(x)
    out = np.zeros(len(x))
    if days.size == 0:
        return out
    g = np.empty(days.size)
    level = 0.0
    prev = int(days[0])
    for k, s_k in enumerate(days):  # a loop over the jump days, not the days
        level = level * phi ** (int(s_k) - prev) + x[s_k]
        g[k], prev = level, int(s_k)
    t = np.arange(len(x))
    last = np.searchsorted(days, t, side="left") - 1  # the last jump day strictly before t
    has = last >= 0
    out[has] = g[last[has]] * phi ** (t[has] - days[last[has]]).astype(float)
    return out


def fit_hawkes(jump: np.ndarray) -> tuple[float, float, float]:
    """Step 4: ``(base, excite, decay)`` per trading year by maximum likelihood of the daily jump indicator."""
    n = jump.astype(float)
    dt = 1.0 / TRADING_DAYS

    def nll(x: np.ndarray) -> float:
        base, ratio, decay = np.exp(x[0]), 1.0 / (1.0 + np.exp(-x[1])), np.exp(x[2])
        phi = np.exp(-decay * dt)
        hh = hawkes_excitation(n, phi)
        p = -np.expm1(-(base + ratio * decay * hh) * dt)
        p = np.clip(p, 1e-12, 1 - 1e-12)
        return float(-(n * np.log(p) + (1 - n) * np.log1p(-p)).sum())

    rate = max(n.mean() * TRADING_DAYS, 0.1)
    best = None
    for decay0 in (5.0, 20.0, 60.0):  # a few starts: the likelihood has flat directions
        r = optimize.minimize(nll, np.array([np.log(rate / 2), 0.0, np.log(decay0)]), method="Nelder-Mead")
        if best is None or r.fun < best.fun:
            best = r
    assert best is not None
    base, ratio, decay = np.exp(best.x[0]), 1.0 / (1.0 + np.exp(-best.x[1])), np.exp(best.x[2])
    ratio = min(ratio, 0.95)  # keep the branching ratio below one with room (the validation refuses >= 1)
    return float(base), float(ratio * decay), float(decay)


def fit_vol_excite(eps: np.ndarray, hh: np.ndarray, masks: tuple[np.ndarray, ...]) -> float:
    """``vol_excite`` ``k``: the diffusion's variance is ``sigma[regime]^2 (1 + k H)`` (``H`` the jumps'
    excitation, :func:`hawkes_excitation`). Per regime the least squares ``eps^2 = a + b H`` on its days
    without a jump; ``k = sum_r n_r b_r / sum_r n_r a_r`` (kept in [0, 10])."""
    num = den = 0.0
    for m in masks:
        if m.sum() < 20:
            continue
        x = np.stack([np.ones(int(m.sum())), hh[m]], axis=1)
        (a, b), *_ = np.linalg.lstsq(x, eps[m] ** 2, rcond=None)
        num, den = num + m.sum() * b, den + m.sum() * a
    return float(np.clip(num / den, 0.0, 10.0)) if den > 0 else 0.0


def fit_jump_sizes(excess: np.ndarray, hh: np.ndarray) -> tuple[float, float]:
    """``(jump_mean, jump_size_excite)``: maximum likelihood of the jumps' excess log sizes over the
    smallest, ``Exponential(mean (1 + k H))`` with ``H`` the excitation on the jump day (``k`` in [0, 10],
    ``mean`` in [0.01, 0.45])."""
    e = np.maximum(np.asarray(excess, dtype=float), 0.0)

    def nll(x: np.ndarray) -> float:
        m = x[0] * (1.0 + x[1] * hh)
        return float(np.sum(np.log(m) + e / m))

    r = optimize.minimize(nll, np.array([max(e.mean(), 0.01), 0.5]), bounds=[(0.01, 0.45), (0.0, 10.0)])
    return float(r.x[0]), float(r.x[1])


def _corr(x: np.ndarray) -> tuple[tuple[float, ...], ...]:
    """Correlation matrix of the rows of ``x``; a row without variation (the gap on a history without VX
    settlements, where it is zero) is uncorrelated with the rest."""
    sd = x.std(axis=1)
    live = sd > 0
    c = np.eye(len(x))
    if live.sum() > 1:
        c[np.ix_(live, live)] = np.corrcoef(x[live])
    return tuple(tuple(float(v) for v in row) for row in c)


def _event_shocks(h: History, res: Residuals) -> dict[str, EventShock]:
    any_ev = np.zeros(len(res.eps_v), dtype=bool)
    masks = {k: m[1:] for k, m in h.events.items()}
    for m in masks.values():
        any_ev |= m
    base = res.eps_v[~any_ev & ~res.jump]
    out = {}
    for k in ("cpi", "ppi", "fomc"):
        m = masks.get(k, np.zeros(len(res.eps_v), dtype=bool)) & ~res.jump
        if m.sum() < MIN_EVENT_DAYS:
            out[k] = EventShock(0.0, 0.0, int(m.sum()))
            continue
        e = res.eps_v[m]
        out[k] = EventShock(float(e.mean() - base.mean()), float(np.sqrt(max(e.var() - base.var(), 0.0))), int(m.sum()))
    return out


def _overnight_share(h: History) -> float:
    o, c = h.spx_open[1:], h.spx
    real = np.isfinite(o) & (np.abs(o / c[:-1] - 1.0) > 1e-9)  # before ~2010 the open is often the previous close
    if real.sum() < 250:
        return 1.0 / 3.0
    on = np.log(o[real] / c[:-1][real])
    cc = np.log(c[1:][real] / c[:-1][real])
    return float(np.clip((on**2).sum() / (cc**2).sum(), 0.05, 0.95))


def _data_provenance(h: History) -> str:
    """Each imported series with its file hash (no local paths: the params file is shipped)."""
    prov = h.md.provenance if isinstance(h.md.provenance, dict) else {}
    parts = []
    for k in sorted(prov):
        m = re.search(r"/([^/;]+?) \(sha256 ([0-9a-f]+)", str(prov[k]))
        if m:
            parts.append(f"{k}: {m.group(1)} sha256 {m.group(2)}")
    return "; ".join(parts) or "embedded default data (alvh.data.MarketData.default)"


def fit_params(h: History, vxp: VXModelParams, *, corr_weight: float | None = None) -> SimParams:
    """Steps 1-7 (and 8 unless ``corr_weight`` is given) on the history ``h``; the result is validated."""
    q = QCurve(vxp.kappa_s, vxp.kappa_l, vxp.theta)
    ks, kl, th, gap_v = fit_speeds(h)
    gfit = fit_gap(h)
    phi = gfit[0]
    res = residuals(h, ks, kl, th, gap_v, q, gfit)
    base, excite, decay = fit_hawkes(res.jump)
    calm, stress = ~res.stress & ~res.jump, res.stress & ~res.jump
    if stress.sum() < 50 or calm.sum() < 50:
        raise DataError(
            f"{int(stress.sum())} backwardation and {int(calm.sum())} contango days",
            column="vx.settle",
            expected=">= 50 of each to fit both regimes (a span including a stress episode)",
        )
    dt = 1.0 / TRADING_DAYS
    hh = hawkes_excitation(res.jump.astype(float), float(np.exp(-decay * dt)))
    vx = fit_vol_excite(res.eps_v, hh, (calm, stress))
    scale = [float(np.mean(1.0 + vx * hh[m])) for m in (calm, stress)]
    sig_v = tuple(float(res.eps_v[m].std() / np.sqrt(dt * k)) for m, k in zip((calm, stress), scale, strict=True))
    sig_l = tuple(float(res.eps_l[m].std() / np.sqrt(dt * k)) for m, k in zip((calm, stress), scale, strict=True))
    sig_g = tuple(float(res.eps_g[m].std() / np.sqrt(dt * k)) for m, k in zip((calm, stress), scale, strict=True))
    x = np.stack([res.zs, res.eps_v, res.eps_l, res.eps_g])
    v_prev = h.vix[:-1] / 100.0
    vrp = tuple(float(np.sqrt((res.ret[m] ** 2).mean() / ((v_prev[m] ** 2).mean() * dt))) for m in (calm, stress))
    jm = res.jump
    size = res.eps_spot[jm]
    jump_min = float(size.min()) if jm.any() else 0.1
    jmean, jsx = fit_jump_sizes(size - jump_min, hh[jm]) if jm.any() else (0.05, 0.0)
    jump_spx = float(np.clip((res.zs[jm] * size).sum() / (size**2).sum(), -20.0, 0.0)) if jm.any() else 0.0
    jump_long = float(np.clip((res.eps_l[jm] * size).sum() / (size**2).sum(), 0.0, 0.99)) if jm.any() else 0.0
    # how a spot jump splits between the curve's short factor and the gap (a spike is partly transient)
    jump_short = float(np.clip((res.eps_v[jm] * size).sum() / (size**2).sum(), 0.0, 1.5)) if jm.any() else 1.0
    jump_gap = float(np.clip((res.eps_g[jm] * size).sum() / (size**2).sum(), -1.0, 1.0)) if jm.any() else 0.0
    drift = float(res.ret.mean() / dt + 0.5 * (res.ret**2).mean() / dt)
    p = SimParams(
        model_version=MODEL_VERSION,
        kappa_s=ks,
        kappa_l=kl,
        theta=th,
        spot_gap=gap_v,
        sigma_v=sig_v,  # type: ignore[arg-type]
        sigma_l=sig_l,  # type: ignore[arg-type]
        corr_calm=_corr(x[:, calm]),
        corr_stress=_corr(x[:, stress]),
        corr_weight=0.5 if corr_weight is None else corr_weight,
        corr_halflife=CORR_HALFLIFE,
        spx_drift=drift,
        vrp_ratio=vrp,  # type: ignore[arg-type]
        jump_base=base,
        jump_excite=excite,
        vol_excite=vx,
        jump_decay=decay,
        jump_min=jump_min,
        jump_mean=jmean,
        jump_size_excite=jsx,
        jump_long=jump_long,
        jump_spx=jump_spx,
        events=_event_shocks(h, res),
        overnight_share=_overnight_share(h),
        q_kappa_s=vxp.kappa_s,
        q_kappa_l=vxp.kappa_l,
        q_theta=vxp.theta,
        beta_long=vxp.beta_long,
        kappa_g=float(-np.log(phi) / dt),
        sigma_g=sig_g,  # type: ignore[arg-type]
        q_kappa_g=h.q_kappa_g,
        jump_gap=jump_gap,
        jump_short=jump_short,
        gap_level=gfit[1],
        gap_slope=gfit[2],
        gap_curve=gfit[3],
        spx0=float(h.spx[-1]),
        vix0=float(h.vix[-1]),
        long0=float(h.long[-1]),
        gap0=float(h.gap[-1]),
        provenance={
            "fit": f"alvh calibrate {__version__} on {h.span} ({len(h.dates)} days); long factor from {h.long_source}",
            "data": _data_provenance(h),
            "jump_days": f"{int(jm.sum())} of {len(jm)} (residual > {JUMP_Z} robust sd of the regime)",
            "stress_days": f"{int(res.stress.sum())} of {len(jm)} (model 30-day point below spot VIX)",
        },
    )
    return p
