"""The statistics of the fit report, computed the same way on history (one path) and on simulated paths.

Every function takes arrays with the day axis first, ``(n_days, n_paths)``, and returns one value per
path, so the report shows the simulated median and its 5-95% band across paths (each path as long as the
history) beside the historical value.
"""

from __future__ import annotations

import numpy as np

#: VIX futures maturity buckets of the layers (calendar days to expiry, [lo, hi)).
BUCKETS = ((1, 30), (30, 90), (90, 270))
#: Constant-maturity points standing for the buckets in the correlation rows.
BUCKET_POINTS = (15.0, 60.0, 150.0)
#: One month of trading days (largest 1-month VIX rise).
MONTH = 21


def moments(x: np.ndarray) -> dict[str, np.ndarray]:
    """Per path: annualized mean and sd (252), skewness, excess kurtosis, 1% and 99% quantiles.

    Skewness ``m3 / m2^1.5`` and excess kurtosis ``m4 / m2^2 - 3`` of the central moments (the population
    definitions of ``scipy.stats.skew`` / ``kurtosis`` with their defaults, tested against them; scipy.stats
    is not imported for two moments).
    """
    d = x - x.mean(axis=0)
    m2 = (d * d).mean(axis=0)
    return {
        "mean (ann.)": x.mean(axis=0) * 252,
        "sd (ann.)": x.std(axis=0) * np.sqrt(252),
        "skewness": (d**3).mean(axis=0) / m2**1.5,
        "excess kurtosis": (d**4).mean(axis=0) / (m2 * m2) - 3.0,
        "1% quantile": np.quantile(x, 0.01, axis=0),
        "99% quantile": np.quantile(x, 0.99, axis=0),
    }


def ar1(lv: np.ndarray) -> np.ndarray:
    """Per path: lag-1 autocorrelation of a daily series."""
    a, b = lv[:-1] - lv[:-1].mean(axis=0), lv[1:] - lv[1:].mean(axis=0)
    return (a * b).sum(axis=0) / np.sqrt((a * a).sum(axis=0) * (b * b).sum(axis=0))


def half_life(phi: np.ndarray) -> np.ndarray:
    """Trading days for a deviation to halve under an AR(1) coefficient ``phi``."""
    return np.log(0.5) / np.log(np.clip(phi, 1e-9, 1 - 1e-9))


def spells(flag: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per path: mean and longest length (days) of runs of True."""
    n, p = flag.shape
    mean, longest = np.full(p, np.nan), np.zeros(p)
    for j in range(p):  # a handful of paths; the run lengths of one path are vectorized
        f = np.concatenate([[False], flag[:, j], [False]]).astype(np.int8)
        d = np.diff(f)
        lengths = np.flatnonzero(d == -1) - np.flatnonzero(d == 1)
        if lengths.size:
            mean[j], longest[j] = lengths.mean(), lengths.max()
    return mean, longest


def max_rise(v: np.ndarray, days: int = MONTH) -> np.ndarray:
    """Per path: the largest ratio ``V_{t+days} / V_t`` (the largest 1-month VIX rise)."""
    return (v[days:] / v[:-days]).max(axis=0)


def corr(x: np.ndarray, y: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per path: correlation of ``x`` and ``y`` over the days where ``mask``; NaN with < 20 such days."""
    out = np.full(x.shape[1], np.nan)
    for j in range(x.shape[1]):
        m = mask[:, j]
        if m.sum() >= 20:
            out[j] = np.corrcoef(x[m, j], y[m, j])[0, 1]
    return out


def beta(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Per path: OLS slope of ``y`` on ``x`` with intercept (day axis 0; any further pooled axes after 1)."""
    xm = x - x.mean(axis=0, keepdims=True)
    ym = y - y.mean(axis=0, keepdims=True)
    sxx = (xm * xm).reshape(xm.shape[0], xm.shape[1], -1).sum(axis=(0, 2))
    sxy = (xm * ym).reshape(xm.shape[0], xm.shape[1], -1).sum(axis=(0, 2))
    return sxy / sxx


def event_effect(dlv: np.ndarray, mask: np.ndarray, other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per path: mean ln VIX change on event days minus other days, and the ratio of their sds."""
    m, o = mask[:, None] & np.ones_like(dlv, dtype=bool), other[:, None] & np.ones_like(dlv, dtype=bool)
    if mask.sum() < 5:
        nan = np.full(dlv.shape[1], np.nan)
        return nan, nan
    mean = np.where(m, dlv, 0).sum(0) / m.sum(0) - np.where(o, dlv, 0).sum(0) / o.sum(0)
    sd_e = np.sqrt(np.where(m, dlv**2, 0).sum(0) / m.sum(0))
    sd_o = np.sqrt(np.where(o, dlv**2, 0).sum(0) / o.sum(0))
    return mean, sd_e / sd_o
