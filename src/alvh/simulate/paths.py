"""Path generation: seeded synthetic SPX/VIX paths as :class:`~alvh.engine.inputs.MarketPaths`.

:func:`synthetic_paths` is the stand-in for the Monte Carlo simulator (the many-path benchmark, the engine
tests): a log-OU VIX and a GBM SPX, with the same market model on top as on history (VX curve, tail-weight
smile, VIX-option vol, dF/dVIX from :mod:`alvh.market`). One ``numpy.random.Generator`` from
``SeedSequence(seed)``, never the global RNG. Moved here from ``alvh.engine.inputs`` (``alvh.engine``
still re-exports it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alvh.calendar import trading_days
from alvh.engine.inputs import MODEL_LISTING_DAYS, MarketPaths, VixOptionVol, model_vx_calendar, model_vx_prices
from alvh.errors import InputError
from alvh.market import SpxSurface, VXCurve, VXModelParams, effective_vega_model
from alvh.pricing.units import VOL_POINTS_PER_UNIT


def synthetic_paths(
    n_paths: int,
    n_days: int,
    seed: int = 0,
    *,
    start: str = "2025-01-02",
    spx0: float = 5000.0,
    vix0: float = 16.0,
    kappa: float = 3.0,
    theta: float = 19.5,
    xi: float = 0.9,
    rho: float = -0.7,
    rate: float = 0.03,
    mu: float = 0.06,
    params: VXModelParams | None = None,
) -> MarketPaths:
    """Seeded synthetic paths through the same interface (for the many-path benchmark).

    Paths (real-world measure, a stand-in for the Monte Carlo simulator): VIX
    ``d ln V = kappa (ln theta - ln V) dt + xi dW_v`` (exact OU step; kappa 3/yr, theta 19.5,
    xi 0.9: round numbers near the long-run mean and vol of log VIX), SPX GBM with instantaneous
    vol ``0.85 V/100`` (ATM vol below VIX, its variance-swap rate) and ``corr(dW_s, dW_v) = rho``.
    A third of each day's variance is overnight (open vs previous close).

    Market model on each path, the same as on history (:mod:`alvh.market`): VX prices from
    :meth:`VXCurve.from_model` (long factor from the VIX EWMA map) at each contract's DTE on the
    real VX expiry calendar; the SPX smile :meth:`SpxSurface.from_vix` (no SKEW: the median-SKEW
    tail weight; default term ratios); VIX-option vol :func:`vix_option_vol` with VVIX from the VIX-level
    function; dF/dVIX :func:`effective_vega_model`. One ``numpy.random.Generator`` from
    ``SeedSequence(seed)``.
    """
    if n_paths < 1 or n_days < 2:
        raise InputError(f"n_paths={n_paths}, n_days={n_days}", argument="n_paths", expected=">= 1 path, >= 2 days")
    p = params if params is not None else VXModelParams.default()
    dates = trading_days(pd.Timestamp(start), pd.Timestamp(start) + pd.Timedelta(days=int(n_days * 1.6) + 30))
    dates = dates[:n_days]
    if len(dates) < n_days:
        raise InputError("calendar too short", argument="n_days", expected="fewer days")
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    dt = 1.0 / 252.0
    z = rng.standard_normal((n_days, 2, 2, n_paths))  # (day, overnight/intraday, spx/vix, path)
    frac = np.array([1.0 / 3.0, 2.0 / 3.0])
    lv = np.log(vix0) * np.ones(n_paths)
    ls = np.log(spx0) * np.ones(n_paths)
    out = {k: np.empty((n_days, n_paths)) for k in ("so", "sc", "vo", "vc")}
    lt = np.log(theta)
    for d in range(n_days):
        for h in range(2):
            h_dt = dt * frac[h]
            e = np.exp(-kappa * h_dt)
            sd_v = xi * np.sqrt((1.0 - e * e) / (2.0 * kappa))
            zs = z[d, h, 0]
            zv = rho * zs + np.sqrt(1.0 - rho * rho) * z[d, h, 1]
            vol_s = 0.85 * np.exp(lv) / VOL_POINTS_PER_UNIT
            ls = ls + (mu - 0.5 * vol_s * vol_s) * h_dt + vol_s * np.sqrt(h_dt) * zs
            lv = lt + (lv - lt) * e + sd_v * zv
            if h == 0:
                out["so"][d], out["vo"][d] = np.exp(ls), np.exp(lv)
            else:
                out["sc"][d], out["vc"][d] = np.exp(ls), np.exp(lv)
    del z
    expiry, codes = model_vx_calendar(dates)
    price = model_vx_prices(VXCurve.from_model(out["vc"], params=p), dates, expiry)
    vc = out["vc"]
    full = SpxSurface.from_vix(vc)
    # no term indices on these paths: every cell has the default term ratios, so one row viewed over all
    # cells (80 MB less at 10,000 x 252); the engine reads theta30, tail and term_ratio only
    ratio = full.term_ratio
    if (ratio == ratio[:1, :1]).all():
        ratio = np.broadcast_to(ratio[:1, :1], ratio.shape)
    surf = SpxSurface(theta30=full.theta30, tail=full.tail, term_ratio=ratio)
    del full
    return MarketPaths(
        dates=dates,
        spx_open=out["so"],
        spx_close=out["sc"],
        vix_open=out["vo"],
        vix_close=vc,
        vx_price=price,
        vx_expiry=expiry,
        vx_codes=codes,
        rate=np.full(n_days, rate),
        surface=surf,
        vix_option_vol=VixOptionVol(vc, np.broadcast_to(np.nan, vc.shape), p),  # no VVIX: a view
        sensitivity=lambda dte: effective_vega_model(dte, p),
        provenance={
            "paths": f"synthetic: seed {seed}, log-OU VIX (kappa {kappa}, theta {theta}, xi {xi}), GBM SPX (rho {rho})",
            "vx": "model curve: alvh.market.VXCurve.from_model (VIX EWMA long factor) at each "
            f"contract's DTE, listed up to {MODEL_LISTING_DAYS} days",
            "surface": "alvh.market.SpxSurface.from_vix (tail-weight smile to VIX, median-SKEW tail, default term)",
            "vix_option_vol": "alvh.market.vix_option_vol by tenor, VVIX from the VIX-level function",
            "sensitivity": "alvh.market.effective_vega_model",
        },
    )
