"""Engine input: :class:`MarketPaths`, every market series as arrays with a leading day axis then paths.

A historical backtest is the one-path case: :func:`paths_from_market_data` wraps a
:class:`~alvh.data.MarketData`; :func:`synthetic_paths` draws seeded synthetic
paths (SPX geometric Brownian motion with VIX-driven vol, VIX a mean-reverting
log process, the VX curve from that process's expectation) for the
many-path benchmark until the Monte Carlo simulator feeds the same object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from alvh.calendar import vx_contract_code, vx_expiries_between
from alvh.errors import DataError, InputError

#: Fallback SPX smile when no surface is supplied: sigma(k, t) = sigma_atm * (1 - SKEW * k / sqrt(t)),
#: floored at half and capped at three times sigma_atm, with sigma_atm = VIX / 100. VIX is the 30-day
#: variance-swap rate, a few points above at-the-money implied vol: the delta-selected short put then
#: sits a little further out than with a market surface. SKEW 0.3 puts the 0.20-delta put about 10%
#: above ATM vol at one month, in line with typical SPX one-month skews (docs/engine.md).
FALLBACK_SKEW = 0.3
#: Fallback VIX-option implied vol (decimal) when VVIX is absent: VVIX's 2007-2025 median is about 88.
FALLBACK_VIX_OPTION_VOL = 0.88
#: Mean-reversion speed (per year) of VIX used for dF/dVIX = exp(-kappa tau) when no market model is given.
FALLBACK_KAPPA = 3.0


@dataclass(frozen=True)
class FlatSkewSurface:
    """Smile sigma(k, t) = atm * clip(1 - skew * k / sqrt(t), 0.5, 3) with atm (n_days, n_paths)."""

    atm: np.ndarray
    skew: float = FALLBACK_SKEW

    def day(self, i: int) -> _SurfaceDay:
        return _SurfaceDay(self.atm[i], self.skew)


@dataclass(frozen=True)
class _SurfaceDay:
    atm: np.ndarray
    skew: float

    def iv(self, k: np.ndarray, t: float | np.ndarray) -> np.ndarray:
        k = np.asarray(k, dtype=float)
        a = self.atm.reshape(self.atm.shape + (1,) * max(k.ndim - 1, 0)) if k.ndim > 1 else self.atm
        tt = np.maximum(np.asarray(t, dtype=float), 1.0 / 365.0)
        return a * np.clip(1.0 - self.skew * k / np.sqrt(tt), 0.5, 3.0)


@dataclass(frozen=True)
class MarketPaths:
    """Market inputs of one run: day axis first, then paths.

    Attributes
    ----------
    dates : DatetimeIndex (n_days)
    spx_open, spx_close, vix_open, vix_close : (n_days, n_paths) index points
    vx_price : (n_days, n_paths, n_contracts) VX settlement, NaN where not listed
    vx_expiry : (n_contracts,) datetime64[D], ascending; vx_codes : contract codes
    rate : (n_days,) decimal per year, continuously compounded
    surface : object with ``.day(i).iv(k, t) -> (n_paths, m)``
    vix_option_vol : (n_days, n_paths) implied vol of VIX options (decimal)
    kappa : mean-reversion speed used for the VX sensitivity dF/dVIX = exp(-kappa tau)
    provenance : where each input came from
    """

    dates: pd.DatetimeIndex
    spx_open: np.ndarray
    spx_close: np.ndarray
    vix_open: np.ndarray
    vix_close: np.ndarray
    vx_price: np.ndarray
    vx_expiry: np.ndarray
    vx_codes: tuple[str, ...]
    rate: np.ndarray
    surface: object
    vix_option_vol: np.ndarray
    kappa: float = FALLBACK_KAPPA
    provenance: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n, p = self.spx_close.shape
        for name in ("spx_open", "vix_open", "vix_close", "vix_option_vol"):
            if getattr(self, name).shape != (n, p):
                raise InputError(f"shape {getattr(self, name).shape}", argument=name, expected=f"({n}, {p})")
        if self.vx_price.shape[:2] != (n, p) or self.vx_price.shape[2] != len(self.vx_expiry):
            raise InputError(f"shape {self.vx_price.shape}", argument="vx_price",
                             expected=f"({n}, {p}, {len(self.vx_expiry)})")
        if self.rate.shape != (n,) or not np.isfinite(self.rate).all():
            raise InputError("rate must be finite, one per day", argument="rate", expected=f"shape ({n},)")
        for name in ("spx_open", "spx_close", "vix_open", "vix_close"):
            a = getattr(self, name)
            bad = ~(np.isfinite(a) & (a > 0))
            if bad.any():
                d = int(np.argwhere(bad)[0][0])
                raise DataError(f"{name} is missing or not positive on {self.dates[d].date()}", column=name,
                                expected="positive finite prices every day")

    @property
    def n_days(self) -> int:
        return self.spx_close.shape[0]

    @property
    def n_paths(self) -> int:
        return self.spx_close.shape[1]

    def vx_dte(self) -> np.ndarray:
        """(n_days, n_contracts) calendar days to each contract's expiry."""
        d = self.dates.values.astype("datetime64[D]")
        return (self.vx_expiry[None, :] - d[:, None]).astype(np.int64)


def model_vx_curve(vix: np.ndarray, tau_years: np.ndarray, kappa: float, theta: float, xi: float) -> np.ndarray:
    """Expected VIX at horizon tau under a log-OU process: the synthetic VX futures price.

    ``ln V_T ~ N(ln theta + (ln V - ln theta) e^{-kappa tau}, xi^2 (1 - e^{-2 kappa tau}) / (2 kappa))``,
    so ``F = exp(mean + var / 2)``. Contango below ``theta``, backwardation above.
    """
    e = np.exp(-kappa * tau_years)
    mean = np.log(theta) + (np.log(vix) - np.log(theta)) * e
    var = xi * xi * (1.0 - e * e) / (2.0 * kappa)
    return np.exp(mean + 0.5 * var)


def paths_from_market_data(md, start=None, end=None, *, surface: str = "ssvi") -> MarketPaths:  # noqa: ANN001
    """One-path :class:`MarketPaths` from :class:`~alvh.data.MarketData` (real VX when present).

    ``surface="ssvi"`` (default): :class:`alvh.market.SpxSurface` solved to reproduce each day's VIX
    (and SKEW, VIX9D/3M/6M where present) with Cboe's formulas (docs/model.md);
    ``surface="flat_skew"``: :class:`FlatSkewSurface` on VIX (no market model needed).

    When ``md.vx`` is None the VX curve is the log-OU model curve (:func:`model_vx_curve`, kappa 3,
    theta 19.5, xi 0.9: the long-run VIX mean and vol of log VIX) on the real VX expiry calendar,
    and :attr:`MarketPaths.provenance` says so. The SPX smile is :class:`FlatSkewSurface` on VIX.
    VIX option vol: VVIX / 100 where present, else :data:`FALLBACK_VIX_OPTION_VOL`.
    """
    if start is not None or end is not None:
        md = md.slice(start, end)
    dates = md.dates
    n = len(dates)
    vix_open, fallback = md.vix_open()
    prov = {"spx": "MarketData.spx", "vix_open": f"VIX open; close used on {int(fallback.sum())} days (SOQ proxy)"}
    spx_open = md.spx["open"].to_numpy(dtype=float)
    spx_close = md.spx["close"].to_numpy(dtype=float)
    no_open = ~np.isfinite(spx_open)
    if no_open.any():
        spx_open = np.where(no_open, spx_close, spx_open)
        prov["spx_open"] = f"close used as open on {int(no_open.sum())} days"
    vixc = md.vix["close"].to_numpy(dtype=float)
    if md.vx is not None:
        expiry = np.asarray(md.vx.expiries).astype("datetime64[D]")
        price = np.asarray(md.vx.settle, dtype=float)[:, None, :]
        codes = tuple(str(c) for c in md.vx.contracts)
        prov["vx"] = f"VX settlements ({md.vx.source or 'MarketData.vx'})"
    else:
        lo = dates[0] - pd.Timedelta(days=40)
        hi = dates[-1] + pd.Timedelta(days=300)
        expiry = vx_expiries_between(lo, hi)
        codes = tuple(vx_contract_code(int(str(e)[:4]), int(str(e)[5:7])) for e in expiry)
        d = dates.values.astype("datetime64[D]")
        dte = (expiry[None, :] - d[:, None]).astype(float)
        listed = (dte > 0) & (dte <= 270)
        curve = model_vx_curve(vixc[:, None], np.maximum(dte, 0) / 365.0, FALLBACK_KAPPA, 19.5, 0.9)
        price = np.where(listed, curve, np.nan)[:, None, :]
        prov["vx"] = "model curve: log-OU expectation (kappa 3, theta 19.5, xi 0.9) on the VX expiry calendar"
    if md.indices is not None and "vvix" in md.indices.columns:
        vv = md.indices["vvix"].to_numpy(dtype=float) / 100.0
        vv = np.where(np.isfinite(vv), vv, FALLBACK_VIX_OPTION_VOL)
    else:
        vv = np.full(n, FALLBACK_VIX_OPTION_VOL)
    if surface == "ssvi":
        from alvh.market import SpxSurface

        surf = SpxSurface.from_market(md)
        prov["surface"] = "alvh.market.SpxSurface.from_market: SSVI solved to VIX (and SKEW, term indices)"
    elif surface == "flat_skew":
        surf = FlatSkewSurface(vixc[:, None] / 100.0)
        prov["surface"] = f"FlatSkewSurface: VIX/100 x clip(1 - {FALLBACK_SKEW} k/sqrt(t), 0.5, 3)"
    else:
        raise InputError(f"{surface!r}", argument="surface", expected="'ssvi' or 'flat_skew'")
    return MarketPaths(dates=dates, spx_open=spx_open[:, None], spx_close=spx_close[:, None],
                       vix_open=vix_open.to_numpy(dtype=float)[:, None], vix_close=vixc[:, None],
                       vx_price=price, vx_expiry=expiry, vx_codes=codes,
                       rate=md.rate.to_numpy(dtype=float), surface=surf,
                       vix_option_vol=vv[:, None], provenance=prov)


def synthetic_paths(n_paths: int, n_days: int, seed: int = 0, *, start: str = "2025-01-02", spx0: float = 5000.0,
                    vix0: float = 16.0, kappa: float = FALLBACK_KAPPA, theta: float = 19.5, xi: float = 0.9,
                    rho: float = -0.7, rate: float = 0.03, mu: float = 0.06) -> MarketPaths:
    """Seeded synthetic paths through the same interface (for the many-path benchmark).

    VIX: ``d ln V = kappa (ln theta - ln V) dt + xi dW_v`` (exact OU step); SPX: GBM with
    instantaneous vol ``0.85 V/100`` (ATM vol below VIX, its variance-swap rate) and
    ``corr(dW_s, dW_v) = rho``. A third of each day's variance is overnight (open vs previous
    close). VX curve: :func:`model_vx_curve` on the real VX expiry calendar. One
    ``numpy.random.Generator`` from ``SeedSequence(seed)``.
    """
    if n_paths < 1 or n_days < 2:
        raise InputError(f"n_paths={n_paths}, n_days={n_days}", argument="n_paths", expected=">= 1 path, >= 2 days")
    from alvh.calendar import trading_days

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
            vol_s = 0.85 * np.exp(lv) / 100.0
            ls = ls + (mu - 0.5 * vol_s * vol_s) * h_dt + vol_s * np.sqrt(h_dt) * zs
            lv = lt + (lv - lt) * e + sd_v * zv
            if h == 0:
                out["so"][d], out["vo"][d] = np.exp(ls), np.exp(lv)
            else:
                out["sc"][d], out["vc"][d] = np.exp(ls), np.exp(lv)
    expiry = vx_expiries_between(dates[0] - pd.Timedelta(days=40), dates[-1] + pd.Timedelta(days=300))
    codes = tuple(vx_contract_code(int(str(e)[:4]), int(str(e)[5:7])) for e in expiry)
    dd = dates.values.astype("datetime64[D]")
    dte = (expiry[None, :] - dd[:, None]).astype(float)
    listed = (dte > 0) & (dte <= 270)
    price = model_vx_curve(out["vc"][:, :, None], np.maximum(dte, 0)[:, None, :] / 365.0, kappa, theta, xi)
    price = np.where(listed[:, None, :], price, np.nan)
    return MarketPaths(dates=dates, spx_open=out["so"], spx_close=out["sc"], vix_open=out["vo"],
                       vix_close=out["vc"], vx_price=price, vx_expiry=expiry, vx_codes=codes,
                       rate=np.full(n_days, rate), surface=FlatSkewSurface(out["vc"] / 100.0),
                       vix_option_vol=np.full((n_days, n_paths), FALLBACK_VIX_OPTION_VOL), kappa=kappa,
                       provenance={"paths": f"synthetic: seed {seed}, log-OU VIX (kappa {kappa}, theta {theta}, "
                                   f"xi {xi}), GBM SPX (rho {rho}), model VX curve"})
