"""Engine input: :class:`MarketPaths`, every market series as arrays with a leading day axis then paths.

A historical backtest is the one-path case: :func:`paths_from_market_data` wraps a
:class:`~alvh.data.MarketData`; :func:`synthetic_paths` draws seeded synthetic SPX/VIX
paths for the many-path benchmark until the Monte Carlo simulator feeds the same object.

Every model input comes from :mod:`alvh.market` (docs/model.md): the SPX smile is the SSVI
:class:`~alvh.market.SpxSurface` solved to VIX (and SKEW, VIX9D/3M/6M where present); without VX
settlements the VX curve is the fitted two-factor :class:`~alvh.market.VXCurve` evaluated at each
listed contract's days to expiry on the real VX expiry calendar; VIX-option vol is
:func:`~alvh.market.vix_option_vol` at each contract's tenor; dF/dVIX is
:func:`~alvh.market.effective_vega_model`. ``MarketPaths.provenance`` records each choice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from alvh.calendar import vx_contract_code, vx_expiries_between
from alvh.errors import DataError, InputError
from alvh.market import SpxSurface, VXCurve, VXModelParams, effective_vega_model, vix_option_vol
from alvh.market.vx_sensitivity import ExpandingDfdvix, expanding_dfdvix

#: Days to expiry up to which a model VX contract counts as listed: Cboe lists about nine monthly VX
#: contracts (the real panel's longest DTE per day has a median of 254 days in every year 2012-2024;
#: 2006-2008 listed further out); 270 days keeps nine contracts on most days.
MODEL_LISTING_DAYS = 270


@dataclass(frozen=True)
class FlatSkewSurface:
    """Explicit opt-in smile ``sigma(k, t) = atm * clip(1 - skew * k / sqrt(t), 0.5, 3)``, atm (n_days, n_paths).

    Not a default anywhere: the engine uses :class:`alvh.market.SpxSurface`. Kept for tests that
    need a known flat vol (``skew=0``: the hand-computed month priced with QuantLib) and for
    ``paths_from_market_data(..., surface="flat_skew")`` sensitivity runs.
    """

    atm: np.ndarray
    skew: float = 0.3

    def day(self, i: int) -> _SurfaceDay:
        return _SurfaceDay(self.atm[i], self.skew)

    def take_paths(self, sel: slice) -> FlatSkewSurface:
        return FlatSkewSurface(self.atm[:, sel], self.skew)


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
class VixOptionVol:
    """VIX-option Black-76 vol by tenor: :func:`alvh.market.vix_option_vol` per day, path and contract.

    ``vix`` (n_days, n_paths) spot VIX; ``vvix`` (n_days, n_paths) VVIX in points, NaN where absent
    (then the documented VIX-level function ``vvix_intercept + vvix_slope ln VIX`` is used).
    ``vol(d, dte)`` returns the vol for ``dte`` calendar days (> 0) of shape ``(n_paths, m)``.
    """

    vix: np.ndarray
    vvix: np.ndarray
    params: VXModelParams

    def vol(self, d: int, dte: np.ndarray) -> np.ndarray:
        dd = np.asarray(dte, dtype=float)
        extra = (1,) * max(dd.ndim - 1, 0)
        return vix_option_vol(dd, self.vix[d].reshape(self.vix[d].shape + extra), self.params,
                              vvix=self.vvix[d].reshape(self.vvix[d].shape + extra))

    def take_paths(self, sel: slice) -> VixOptionVol:
        return VixOptionVol(self.vix[:, sel], self.vvix[:, sel], self.params)


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
    surface : object with ``.day(i).iv(k, t) -> (n_paths, m)`` (:class:`alvh.market.SpxSurface`)
    vix_option_vol : :class:`VixOptionVol`, ``.vol(d, dte) -> (n_paths, m)`` decimal vol by tenor
    sensitivity : callable ``dte -> dF/dVIX`` (default :func:`alvh.market.effective_vega_model`), or an
        :class:`alvh.market.vx_sensitivity.ExpandingDfdvix` on these dates (dF/dVIX known at each close,
        no look-ahead: what :func:`paths_from_market_data` gives when the market has VX settlements)
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
    vix_option_vol: VixOptionVol
    sensitivity: Callable[[np.ndarray], np.ndarray] | ExpandingDfdvix = effective_vega_model
    provenance: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n, p = self.spx_close.shape
        for name in ("spx_open", "vix_open", "vix_close"):
            if getattr(self, name).shape != (n, p):
                raise InputError(f"shape {getattr(self, name).shape}", argument=name, expected=f"({n}, {p})")
        vv = self.vix_option_vol
        if not callable(getattr(vv, "vol", None)):
            raise InputError(f"got {type(vv).__name__}", argument="vix_option_vol",
                             expected="an object with .vol(day, dte) (alvh.engine.inputs.VixOptionVol)")
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

    def take_paths(self, sel: slice) -> MarketPaths:
        """The same inputs restricted to the paths ``sel`` (a slice), e.g. to run one path alone."""
        s = self.surface
        if isinstance(s, SpxSurface):
            s = SpxSurface(theta30=s.theta30[:, sel], rho=s.rho[:, sel], term_ratio=s.term_ratio[:, sel], eta=s.eta,
                           gamma=s.gamma)
        else:
            s = s.take_paths(sel)
        return MarketPaths(dates=self.dates, spx_open=self.spx_open[:, sel], spx_close=self.spx_close[:, sel],
                           vix_open=self.vix_open[:, sel], vix_close=self.vix_close[:, sel],
                           vx_price=self.vx_price[:, sel], vx_expiry=self.vx_expiry, vx_codes=self.vx_codes,
                           rate=self.rate, surface=s, vix_option_vol=self.vix_option_vol.take_paths(sel),
                           sensitivity=self.sensitivity, provenance=dict(self.provenance))

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


def _model_vx_prices(curve: VXCurve, dates: pd.DatetimeIndex, expiry: np.ndarray) -> np.ndarray:
    """(n_days, n_paths, n_contracts) model price of each contract at its DTE; NaN where not listed."""
    d = dates.values.astype("datetime64[D]")
    dte = (expiry[None, :] - d[:, None]).astype(float)  # (n_days, n_contracts)
    listed = (dte > 0) & (dte <= MODEL_LISTING_DAYS)
    price = curve.price(np.maximum(dte, 0.0)[:, None, :])  # day axis first, broadcast over paths
    return np.where(listed[:, None, :], price, np.nan)


def _model_calendar(dates: pd.DatetimeIndex) -> tuple[np.ndarray, tuple[str, ...]]:
    expiry = vx_expiries_between(dates[0] - pd.Timedelta(days=40), dates[-1] + pd.Timedelta(days=MODEL_LISTING_DAYS + 30))
    codes = tuple(vx_contract_code(int(str(e)[:4]), int(str(e)[5:7])) for e in expiry)
    return expiry, codes


def _first_settlement(vx) -> str:  # noqa: ANN001
    rows = np.flatnonzero(np.isfinite(np.asarray(vx.settle, dtype=float)).any(axis=1))
    return str(vx.dates[rows[0]].date()) if rows.size else "none"


def _expanding_sensitivity(full, dates: pd.DatetimeIndex,  # noqa: ANN001
                           model: Callable[[np.ndarray], np.ndarray]) -> ExpandingDfdvix:
    """The expanding dF/dVIX on ``full``'s VX history up to the run's last day, restricted to ``dates``."""
    vx = full.vx
    last = int(np.searchsorted(vx.dates, dates[-1], side="right"))
    vix = full.vix["close"].reindex(vx.dates[:last]).to_numpy(dtype=float)
    if not np.isfinite(vix).all():
        bad = vx.dates[:last][~np.isfinite(vix)][0]
        raise DataError(f"no VIX close on {bad.date()}, a VX panel day", column="vix.close",
                        expected="a VIX close on every day with VX settlements (dF/dVIX regression)")
    est = expanding_dfdvix(np.asarray(vx.settle, dtype=float)[:last], np.asarray(vx.dte, dtype=float)[:last], vix,
                           vx.dates[:last], model=model)
    rows = vx.dates.get_indexer(dates)
    if (rows < 0).any():
        raise DataError(f"run day {dates[rows < 0][0].date()} is not a VX panel day", column="vx.date",
                        expected="a VX panel row on every run day")
    return est.take(rows)


def paths_from_market_data(md, start=None, end=None, *, surface: str = "ssvi",
                           params: VXModelParams | None = None) -> MarketPaths:  # noqa: ANN001
    """One-path :class:`MarketPaths` from :class:`~alvh.data.MarketData` (real VX when present).

    ``surface="ssvi"`` (default): :class:`alvh.market.SpxSurface` solved to reproduce each day's VIX
    (and SKEW, VIX9D/3M/6M where present) with Cboe's formulas (docs/model.md);
    ``surface="flat_skew"``: :class:`FlatSkewSurface` on VIX (explicit opt-in).

    When ``md.vx`` is None (e.g. ``MarketData.default()``) the VX prices are the fitted two-factor
    model (:meth:`alvh.market.VXCurve.from_model`, long factor from VIX3M/VIX6M where present, else
    the VIX EWMA map) at each contract's DTE on the real VX expiry calendar (listed up to
    :data:`MODEL_LISTING_DAYS` days); the provenance says so. VIX-option vol: :class:`VixOptionVol`
    (VVIX where present, else the VIX-level function). dF/dVIX: with VX settlements, the expanding
    no-look-ahead estimate (:func:`alvh.market.vx_sensitivity.expanding_dfdvix` on the whole history up to
    the run's end, so the run's first day already knows the years before it; the model during its
    warm-up); on the model curve :func:`alvh.market.effective_vega_model`.
    """
    full = md  # the model curve's long factor (an EWMA of VIX) warms up on the whole history, so a
    # run's VX prices do not depend on where it starts
    if start is not None or end is not None:
        md = md.slice(start, end)
    p = params if params is not None else VXModelParams.default()
    dates = md.dates
    vix_open, fallback = md.vix_open()
    prov = {"spx": "MarketData.spx", "vix_open": f"VIX open; close used on {int(fallback.sum())} days (SOQ proxy)"}
    spx_open = md.spx["open"].to_numpy(dtype=float)
    spx_close = md.spx["close"].to_numpy(dtype=float)
    no_open = ~np.isfinite(spx_open)
    if no_open.any():
        spx_open = np.where(no_open, spx_close, spx_open)
        prov["spx_open"] = f"close used as open on {int(no_open.sum())} days"
    vixc = md.vix["close"].to_numpy(dtype=float)
    idx = md.indices
    get = (lambda name: idx[name].to_numpy(dtype=float) if idx is not None and name in idx.columns else None)
    if md.vx is not None:
        expiry = np.asarray(md.vx.expiries).astype("datetime64[D]")
        price = np.asarray(md.vx.settle, dtype=float)[:, None, :]
        codes = tuple(str(c) for c in md.vx.contracts)
        prov["vx"] = f"VX settlements ({md.vx.source or 'MarketData.vx'})"
    else:
        expiry, codes = _model_calendar(dates)
        v3, v6 = get("vix3m"), get("vix6m")
        full_curve = VXCurve.from_market(full, params=p)
        rows = np.flatnonzero(full.dates.isin(dates))
        curve = VXCurve.from_model(vixc, full_curve.long_factor[rows, 0], params=p)
        price = _model_vx_prices(curve, dates, expiry)
        have = [n for n, a in (("VIX3M", v3), ("VIX6M", v6)) if a is not None and np.isfinite(a).any()]
        prov["vx"] = ("model curve: alvh.market.VXCurve.from_model (two-factor, kappa_s {:.4f}, kappa_l {:.4f}, "
                      "theta {:.3f}; long factor from {} where present, else the VIX EWMA map) at each contract's "
                      "DTE on the VX expiry calendar, listed up to {} days"
                      .format(p.kappa_s, p.kappa_l, p.theta, "/".join(have) or "no index", MODEL_LISTING_DAYS))
    vvix = get("vvix")
    n_vvix = 0 if vvix is None else int(np.isfinite(vvix).sum())
    vvix = np.full(len(dates), np.nan) if vvix is None else vvix
    prov["vix_option_vol"] = (f"alvh.market.vix_option_vol by contract tenor: VVIX on {n_vvix} days, "
                              f"{p.vvix_intercept:.3f} + {p.vvix_slope:.3f} ln(VIX) on {len(dates) - n_vvix}")
    def model_sens(dte: np.ndarray) -> np.ndarray:
        return effective_vega_model(dte, p)

    sens: Callable[[np.ndarray], np.ndarray] | ExpandingDfdvix = model_sens
    prov["sensitivity"] = "dF/dVIX = alvh.market.effective_vega_model (two-factor model, total incl. long factor)"
    if md.vx is not None and full.vx is not None and len(dates):
        sens = _expanding_sensitivity(full, dates, model_sens)
        prov["sensitivity"] = ("dF/dVIX = alvh.market.vx_sensitivity.expanding_dfdvix: expanding OLS of daily VX "
                               "settlement changes on spot VIX changes by DTE bucket, known at each close (VX history "
                               f"from {_first_settlement(full.vx)}); the model before a bucket is warm")
    if surface == "ssvi":
        surf = SpxSurface.from_market(md)
        prov["surface"] = "alvh.market.SpxSurface.from_market: SSVI solved to VIX (and SKEW, term indices)"
    elif surface == "flat_skew":
        surf = FlatSkewSurface(vixc[:, None] / 100.0)
        prov["surface"] = "FlatSkewSurface (opt-in): VIX/100 x clip(1 - 0.3 k/sqrt(t), 0.5, 3)"
    else:
        raise InputError(f"{surface!r}", argument="surface", expected="'ssvi' or 'flat_skew'")
    return MarketPaths(dates=dates, spx_open=spx_open[:, None], spx_close=spx_close[:, None],
                       vix_open=vix_open.to_numpy(dtype=float)[:, None], vix_close=vixc[:, None],
                       vx_price=price, vx_expiry=expiry, vx_codes=codes,
                       rate=md.rate.to_numpy(dtype=float), surface=surf,
                       vix_option_vol=VixOptionVol(vixc[:, None], vvix[:, None], p),
                       sensitivity=sens, provenance=prov)


def synthetic_paths(n_paths: int, n_days: int, seed: int = 0, *, start: str = "2025-01-02", spx0: float = 5000.0,
                    vix0: float = 16.0, kappa: float = 3.0, theta: float = 19.5, xi: float = 0.9,
                    rho: float = -0.7, rate: float = 0.03, mu: float = 0.06,
                    params: VXModelParams | None = None) -> MarketPaths:
    """Seeded synthetic paths through the same interface (for the many-path benchmark).

    Paths (real-world measure, a stand-in for the Monte Carlo simulator): VIX
    ``d ln V = kappa (ln theta - ln V) dt + xi dW_v`` (exact OU step; kappa 3/yr, theta 19.5,
    xi 0.9: round numbers near the long-run mean and vol of log VIX), SPX GBM with instantaneous
    vol ``0.85 V/100`` (ATM vol below VIX, its variance-swap rate) and ``corr(dW_s, dW_v) = rho``.
    A third of each day's variance is overnight (open vs previous close).

    Market model on each path, the same as on history (:mod:`alvh.market`): VX prices from
    :meth:`VXCurve.from_model` (long factor from the VIX EWMA map) at each contract's DTE on the
    real VX expiry calendar; the SPX smile :meth:`SpxSurface.from_vix` (no SKEW: the median-SKEW
    rho; default term ratios); VIX-option vol :func:`vix_option_vol` with VVIX from the VIX-level
    function; dF/dVIX :func:`effective_vega_model`. One ``numpy.random.Generator`` from
    ``SeedSequence(seed)``.
    """
    if n_paths < 1 or n_days < 2:
        raise InputError(f"n_paths={n_paths}, n_days={n_days}", argument="n_paths", expected=">= 1 path, >= 2 days")
    from alvh.calendar import trading_days

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
            vol_s = 0.85 * np.exp(lv) / 100.0
            ls = ls + (mu - 0.5 * vol_s * vol_s) * h_dt + vol_s * np.sqrt(h_dt) * zs
            lv = lt + (lv - lt) * e + sd_v * zv
            if h == 0:
                out["so"][d], out["vo"][d] = np.exp(ls), np.exp(lv)
            else:
                out["sc"][d], out["vc"][d] = np.exp(ls), np.exp(lv)
    del z
    expiry, codes = _model_calendar(dates)
    price = _model_vx_prices(VXCurve.from_model(out["vc"], params=p), dates, expiry)
    vc = out["vc"]
    full = SpxSurface.from_vix(vc)
    # no term indices on these paths: every cell has the default term ratios, so one row viewed over all
    # cells (80 MB less at 10,000 x 252); the engine reads theta30, rho and term_ratio only
    ratio = full.term_ratio
    if (ratio == ratio[:1, :1]).all():
        ratio = np.broadcast_to(ratio[:1, :1], ratio.shape)
    surf = SpxSurface(theta30=full.theta30, rho=full.rho, term_ratio=ratio, eta=full.eta, gamma=full.gamma)
    del full
    return MarketPaths(dates=dates, spx_open=out["so"], spx_close=out["sc"], vix_open=out["vo"],
                       vix_close=vc, vx_price=price, vx_expiry=expiry, vx_codes=codes,
                       rate=np.full(n_days, rate), surface=surf,
                       vix_option_vol=VixOptionVol(vc, np.broadcast_to(np.nan, vc.shape), p),  # no VVIX: a view
                       sensitivity=lambda dte: effective_vega_model(dte, p),
                       provenance={"paths": f"synthetic: seed {seed}, log-OU VIX (kappa {kappa}, theta {theta}, "
                                   f"xi {xi}), GBM SPX (rho {rho})",
                                   "vx": "model curve: alvh.market.VXCurve.from_model (VIX EWMA long factor) at each "
                                         f"contract's DTE, listed up to {MODEL_LISTING_DAYS} days",
                                   "surface": "alvh.market.SpxSurface.from_vix (SSVI to VIX, default rho and term)",
                                   "vix_option_vol": "alvh.market.vix_option_vol by tenor, VVIX from the VIX-level "
                                                     "function",
                                   "sensitivity": "alvh.market.effective_vega_model"})
