"""Fit the two-factor VX curve model to a VX settlement history and report the fit.

Used by ``scripts/fit_vx_model.py`` (which writes ``vx_model_params.json``) and by the tests.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alvh.data.vxpanel import VXPanel
from alvh.errors import DataError, InputError
from alvh.market.vx import (
    LongFactorMap,
    VXModelParams,
    ewma,
    fit_long_factor,
    model_futures,
)

#: Tenor buckets of the fit report (calendar days, [lo, hi)).
REPORT_BUCKETS: tuple[tuple[int, int], ...] = ((1, 30), (30, 90), (90, 10_000))
#: Half-lives (trading days) tried for the VIX EWMA fallback of the long factor.
EWMA_HALFLIVES: tuple[float, ...] = (10, 21, 42, 63, 126, 189, 252, 378, 504)


@dataclass(frozen=True)
class VXFit:
    """Fitted parameters, the long factor per day and the fit report."""

    params: VXModelParams
    long_factor: pd.Series
    errors: pd.DataFrame
    slopes: pd.DataFrame


def _ols(y: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray, float]:
    design = np.column_stack([np.ones(len(y)), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    rmse = float(np.sqrt(np.mean((y - design @ coef) ** 2)))
    return float(coef[0]), coef[1:], rmse


def _aligned(series: pd.Series | None, dates: pd.DatetimeIndex) -> np.ndarray:
    if series is None:
        return np.full(len(dates), np.nan)
    return series.reindex(dates).to_numpy(dtype=float)


def fit_vx_model(  # noqa: PLR0915 - one fit, then its maps and report, in order
    panel: VXPanel,
    vix: pd.Series,
    *,
    vix3m: pd.Series | None = None,
    vix6m: pd.Series | None = None,
    vvix: pd.Series | None = None,
    script: str = "scripts/fit_vx_model.py",
    data_files: dict[str, str] | None = None,
) -> VXFit:
    """Fit kappa_s, kappa_l, theta (long factor profiled out per day), then the long-factor maps and VVIX map.

    Parameters
    ----------
    panel : VXPanel
        Real settlements; days without a spot VIX close are an error.
    vix, vix3m, vix6m, vvix : pandas.Series
        Index closes on dates (VIX must cover every panel day).
    """
    dates = panel.dates
    v = _aligned(vix, dates)
    if not np.isfinite(v).all():
        bad = dates[~np.isfinite(v)][0]
        raise InputError(f"no VIX close on VX day {bad.date()}", argument="vix", expected="a VIX close on every VX day")
    s = panel.settle
    dte = panel.dte.astype(float)
    ok = np.isfinite(s) & (dte >= 1)
    day_ok = ok.any(axis=1)
    s, dte, v_f, ok = s[day_ok], dte[day_ok], v[day_ok], ok[day_ok]
    # with one or two contracts a day the per-day long factor absorbs everything and the speeds are not
    # identified: require a term structure on enough days
    n_curve_days = int((ok.sum(axis=1) >= 3).sum())
    if n_curve_days < 20:
        raise DataError(
            f"only {n_curve_days} days list three or more contracts: the fit cannot separate a fast and a slow factor",
            file=panel.source or None,
            column="settle",
            expected="at least 20 days with >= 3 listed contracts (dte >= 1)",
        )
    fdates = dates[day_ok]

    def residuals(z: np.ndarray) -> np.ndarray:
        ks, kl, th = np.exp(z[0]), np.exp(z[1]), z[2]
        lf = fit_long_factor(s, dte, v_f, (ks, kl, th))
        model = model_futures(v_f[:, None], lf[:, None], dte, _P(ks, kl, th))
        return (model - s)[ok]

    from scipy.optimize import least_squares  # a fit only: scipy.optimize is not loaded by a backtest

    best = least_squares(
        residuals,
        x0=np.array([np.log(8.0), np.log(0.5), 20.0]),
        bounds=([np.log(0.5), np.log(0.01), 5.0], [np.log(100.0), np.log(5.0), 60.0]),
    )
    ks, kl, th = float(np.exp(best.x[0])), float(np.exp(best.x[1])), float(best.x[2])
    if not ks > 1.5 * kl:
        raise DataError(
            f"the fit did not separate a fast and a slow factor (kappa_s {ks:.4f}, kappa_l {kl:.4f})",
            file=panel.source or None,
            column="settle",
            expected="a VX history with several maturities per day (at least ~1 year of data)",
        )
    lf = fit_long_factor(s, dte, v_f, (ks, kl, th))
    # co-move of the long factor with spot VIX (consecutive VX days only)
    consec = np.diff(np.flatnonzero(day_ok)) == 1
    d_l = np.diff(lf)[consec]
    d_v = np.diff(v_f)[consec]
    beta_long = float(np.polyfit(d_v, d_l, 1)[0])

    v3 = _aligned(vix3m, fdates)
    v6 = _aligned(vix6m, fdates)
    maps: dict[str, LongFactorMap] = {}
    for name, cols in (
        ("vix3m_vix6m", ("vix3m", "vix6m", "vix")),
        ("vix3m", ("vix3m", "vix")),
        ("vix6m", ("vix6m", "vix")),
    ):
        feats = {"vix3m": v3, "vix6m": v6, "vix": v_f}
        x = np.column_stack([feats[c] for c in cols])
        m = np.isfinite(x).all(axis=1) & np.isfinite(lf)
        if m.sum() >= 50:
            a, b, rmse = _ols(lf[m], x[m])
            maps[name] = LongFactorMap(
                inputs=cols, intercept=a, coef=tuple(float(c) for c in b), rmse=rmse, n_obs=int(m.sum())
            )
    # EWMA fallback: EWMA over the full VIX history (not just VX days), then sampled on VX days
    v_all = vix.dropna()
    best_ewma: tuple[float, float, np.ndarray, float, int] | None = None
    for hl in EWMA_HALFLIVES:
        e = pd.Series(ewma(v_all.to_numpy(dtype=float), hl), index=v_all.index).reindex(fdates).to_numpy()
        x = np.column_stack([e, v_f])
        m = np.isfinite(x).all(axis=1) & np.isfinite(lf)
        a, b, rmse = _ols(lf[m], x[m])
        if best_ewma is None or rmse < best_ewma[3]:
            best_ewma = (hl, a, b, rmse, int(m.sum()))
    if best_ewma is None:  # EWMA_HALFLIVES is a non-empty constant
        raise DataError("no EWMA half-life to fit", column="vix", expected="EWMA_HALFLIVES")
    hl, a, b, rmse, n = best_ewma
    maps["ewma"] = LongFactorMap(
        inputs=("vix_ewma", "vix"), intercept=a, coef=tuple(float(c) for c in b), rmse=rmse, n_obs=n
    )
    # default VVIX from ln VIX, on VVIX's reliable span (SOURCE.md: sparse and implausible before mid-2006)
    if vvix is not None:
        vv = vvix.loc["2007-01-01":].dropna()
        vx_on = vix.reindex(vv.index)
        m = np.isfinite(vx_on.to_numpy())
        vvix_a, vvix_coef, vvix_rmse = _ols(vv.to_numpy()[m], np.log(vx_on.to_numpy()[m]))
        vvix_b = float(vvix_coef[0])
        vvix_span = f"{vv.index[0].date()}..{vv.index[-1].date()}"
    else:
        vvix_a, vvix_b, vvix_rmse, vvix_span = 90.0, 0.0, float("nan"), "no VVIX given: constant 90"

    rmse_all = float(np.sqrt(np.mean(best.fun**2)))
    prov = {
        "fit_date": _dt.date.today().isoformat(),
        "script": script,
        "data_span": f"{fdates[0].date()}..{fdates[-1].date()}",
        "n_days": int(len(fdates)),
        "n_settlements": int(ok.sum()),
        "rmse_in_sample_points": rmse_all,
        "data_files": data_files or {},
        "vvix_map_span": vvix_span,
        "vvix_map_rmse": vvix_rmse,
        "source_panel": panel.source,
    }
    params = VXModelParams(
        kappa_s=ks,
        kappa_l=kl,
        theta=th,
        beta_long=beta_long,
        ewma_halflife=float(hl),
        long_maps=maps,
        vvix_intercept=vvix_a,
        vvix_slope=vvix_b,
        provenance=prov,
    )
    lf_series = pd.Series(lf, index=fdates, name="long_factor")
    # long factor as the embedded default would see it (no futures): indices or EWMA
    e_full = pd.Series(ewma(v_all.to_numpy(dtype=float), params.ewma_halflife), index=v_all.index)
    lf_idx = _long_from_maps(params, v_f, v3, v6, e_full.reindex(fdates).to_numpy())
    lf_ewma = _long_from_maps(params, v_f, None, None, e_full.reindex(fdates).to_numpy())
    errors = fit_report(s, dte, v_f, {"fitted L": lf, "L from VIX3M/6M": lf_idx, "L from VIX EWMA": lf_ewma}, params)
    slopes = slope_report(
        s,
        dte,
        v_f,
        {"model, fitted L": lf, "model, L from VIX3M/6M": lf_idx, "model, L from VIX EWMA": lf_ewma},
        params,
    )
    return VXFit(params=params, long_factor=lf_series, errors=errors, slopes=slopes)


def _long_from_maps(
    params: VXModelParams, v: np.ndarray, v3: np.ndarray | None, v6: np.ndarray | None, e: np.ndarray
) -> np.ndarray:
    """Long factor by the maps (as :func:`long_factor_from_indices`) with a precomputed full-history EWMA."""
    feats = {
        "vix": v,
        "vix_ewma": e,
        "vix3m": np.full(v.shape, np.nan) if v3 is None else v3,
        "vix6m": np.full(v.shape, np.nan) if v6 is None else v6,
    }
    out = np.full(v.shape, np.nan)
    for name in ("vix3m_vix6m", "vix3m", "vix6m", "ewma"):
        m = params.long_maps.get(name)
        if m is None:
            continue
        val = m.intercept + sum(cf * feats[i] for i, cf in zip(m.inputs, m.coef, strict=True))
        out = np.where(np.isnan(out) & np.isfinite(val), val, out)
    return out


def fit_report(
    settle: np.ndarray, dte: np.ndarray, vix: np.ndarray, long_factors: dict[str, np.ndarray], params: VXModelParams
) -> pd.DataFrame:
    """Model minus settlement by tenor bucket (0-30, 30-90, >90 days): mean, MAE, RMSE, n, per long-factor source."""
    ok = np.isfinite(settle) & (dte >= 1)
    rows = []
    for label, lf in long_factors.items():
        err = model_futures(vix[:, None], lf[:, None], dte, params) - settle
        for lo, hi in REPORT_BUCKETS:
            m = ok & (dte >= lo) & (dte < hi) & np.isfinite(err)
            e = err[m]
            row = {
                "long_factor": label,
                "bucket": f"{lo}-{hi}" if hi < 10_000 else f">{lo}",
                "n": int(e.size),
                "mean_error": np.nan,
                "mae": np.nan,
                "rmse": np.nan,
                "mae_pct_of_settle": np.nan,
            }
            if e.size:  # an empty bucket (short user history) reports n = 0 and NaN
                row.update(
                    mean_error=float(e.mean()),
                    mae=float(np.abs(e).mean()),
                    rmse=float(np.sqrt(np.mean(e**2))),
                    mae_pct_of_settle=float(np.mean(np.abs(e) / settle[m]) * 100),
                )
            rows.append(row)
    return pd.DataFrame(rows)


def _front_two(settle: np.ndarray, dte: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    ok = np.isfinite(settle) & (dte >= 1)
    d = np.where(ok, dte, np.inf)
    order = np.argsort(d, axis=1, kind="stable")
    rows = np.arange(len(d))[:, None]
    d2 = d[rows, order[:, :2]]
    s2 = np.where(np.isfinite(d2), settle[rows, order[:, :2]], np.nan)
    return s2[:, 0], s2[:, 1], d2[:, 0], d2[:, 1]


def slope_report(
    settle: np.ndarray, dte: np.ndarray, vix: np.ndarray, long_factors: dict[str, np.ndarray], params: VXModelParams
) -> pd.DataFrame:
    """Contango share (second listed contract above the first) and percentiles of the slope F2 - F1, real vs model."""
    f1, f2, d1, d2 = _front_two(settle, dte)
    m = np.isfinite(f1) & np.isfinite(f2)
    rows = []

    def row(label: str, a: np.ndarray, b: np.ndarray) -> None:
        sl = (b - a)[m]
        sl = sl[np.isfinite(sl)]
        q = np.percentile(sl, [5, 25, 50, 75, 95])
        rows.append(
            {
                "curve": label,
                "n_days": int(sl.size),
                "contango_share": float((sl > 0).mean()),
                "slope_p05": q[0],
                "slope_p25": q[1],
                "slope_p50": q[2],
                "slope_p75": q[3],
                "slope_p95": q[4],
                "corr_with_real": float(np.corrcoef(sl, (f2 - f1)[m][np.isfinite((b - a)[m])])[0, 1]),
            }
        )

    row("real", f1, f2)
    for label, lf in long_factors.items():
        dd1 = np.where(np.isfinite(d1), d1, 0.0)
        dd2 = np.where(np.isfinite(d2), d2, 0.0)
        row(label, model_futures(vix, lf, dd1, params), model_futures(vix, lf, dd2, params))
    return pd.DataFrame(rows)


class _P:
    """Minimal parameter holder for model_futures during the optimization."""

    def __init__(self, ks: float, kl: float, th: float) -> None:
        self.kappa_s, self.kappa_l, self.theta = ks, kl, th
