"""Engine input: :class:`MarketPaths`, every market series as arrays with a leading day axis then paths.

A historical backtest is the one-path case: :func:`paths_from_market_data` wraps a
:class:`~alvh.data.MarketData`; simulated paths (:func:`alvh.simulate.synthetic_paths`, and the
Monte Carlo model next) feed the same object.

Every model input comes from :mod:`alvh.market` (docs/model.md): the SPX smile is the tail-weight
:class:`~alvh.market.SpxSurface` solved to VIX and SKEW (VIX9D/3M/6M where present); without VX
settlements the VX curve is the fitted two-factor :class:`~alvh.market.VXCurve` evaluated at each
listed contract's days to expiry on the real VX expiry calendar; VIX-option vol is
:func:`~alvh.market.vix_option_vol` at each contract's tenor; dF/dVIX is
:func:`~alvh.market.effective_vega_model`. ``MarketPaths.provenance`` records each choice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from alvh._display import concise_repr, html_view
from alvh.calendar import vx_contract_code, vx_expiries_between
from alvh.data.frame import RATE_MAX_GAP_DAYS
from alvh.errors import DataError, InputError
from alvh.market import SpxSurface, VXCurve, VXModelParams, effective_vega_model, vix_option_vol
from alvh.market.vix_smile import VixSmile
from alvh.market.vx import vix_option_sigma_v, vix_option_tenor_scale
from alvh.market.vx_sensitivity import ExpandingDfdvix, expanding_dfdvix
from alvh.pricing.units import DAYS_PER_YEAR, VOL_POINTS_PER_UNIT

if TYPE_CHECKING:
    from alvh.data import MarketData

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
        tt = np.maximum(np.asarray(t, dtype=float), 1.0 / DAYS_PER_YEAR)
        return a * np.clip(1.0 - self.skew * k / np.sqrt(tt), 0.5, 3.0)


@dataclass(frozen=True)
class VixOptionVol:
    """VIX-option Black-76 vol by tenor: :func:`alvh.market.vix_option_vol` per day, path and contract.

    ``vix`` (n_days, n_paths) spot VIX; ``vvix`` (n_days, n_paths) VVIX in points, NaN where absent
    (then the documented VIX-level function ``vvix_intercept + vvix_slope ln VIX`` is used).
    ``vol(d, dte)`` returns the at-the-money vol for ``dte`` calendar days (> 0) of shape ``(n_paths, m)``;
    ``vol_at(d, dte, forward, strike)`` the smile vol of a strike (``smile``, :class:`alvh.market.VixSmile`:
    the upward VIX skew, docs/pricing.md). The engine marks every VIX option with ``vol_at``.
    """

    vix: np.ndarray
    vvix: np.ndarray
    params: VXModelParams
    smile: VixSmile = field(default_factory=VixSmile)

    @cached_property
    def _sigma_v(self) -> np.ndarray:
        """``sigma_V`` per day and path (:func:`alvh.market.vx.vix_option_sigma_v`), computed once; NaN where the
        inputs are invalid (those days go through the validating :func:`vix_option_vol`)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            sv = vix_option_sigma_v(self.vix, self.params, self.vvix)
        ok = np.isfinite(self.vix) & (self.vix > 0) & ~(np.isfinite(self.vvix) & (self.vvix <= 0))
        return np.where(ok & np.isfinite(sv), sv, np.nan)

    @cached_property
    def _tenor_scale(self) -> np.ndarray:
        """The tenor factor at whole days 0..800 (index 0 unused): engine DTEs are whole calendar days."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return vix_option_tenor_scale(np.arange(801, dtype=float), self.params)

    def vol(self, d: int, dte: np.ndarray) -> np.ndarray:
        """At-the-money vol (decimal) at ``dte`` calendar days, ``(n_paths, m)``: ``sigma_V x`` the tenor factor
        (:func:`alvh.market.vix_option_vol`, the same arithmetic; whole-day DTEs read the factor from a table)."""
        dd = np.asarray(dte, dtype=float)
        extra = (1,) * max(dd.ndim - 1, 0)
        sv = self._sigma_v[d]
        whole = dd.astype(np.int64)
        if np.isfinite(sv).all() and (dd >= 1).all() and (whole == dd).all() and (whole < 801).all():
            return sv.reshape(sv.shape + extra) * self._tenor_scale[whole]
        return vix_option_vol(
            dd,
            self.vix[d].reshape(self.vix[d].shape + extra),
            self.params,
            vvix=self.vvix[d].reshape(self.vvix[d].shape + extra),
        )

    def vol_at(self, d: int, dte: np.ndarray, forward: np.ndarray, strike: np.ndarray) -> np.ndarray:
        """Smile vol (decimal) of a VIX option with ``strike`` on ``forward`` at ``dte`` days (:class:`VixSmile`)."""
        return self.smile.vol(self.vol(d, dte), forward, strike, dte)

    def take_paths(self, sel: slice) -> VixOptionVol:
        return VixOptionVol(self.vix[:, sel], self.vvix[:, sel], self.params, self.smile)


@dataclass(frozen=True, repr=False)
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
    vx_final : (n_contracts,) Cboe's final settlement value (the special opening quotation, SOQ) of each
        contract where the data carries it (the VX history's row on the expiry date), NaN elsewhere; the
        engine settles VX futures and VIX options at it, at the VIX open where it is NaN (docs/engine.md)
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
    vx_final: np.ndarray | None = None

    def __post_init__(self) -> None:
        n, p = self.spx_close.shape
        if self.vx_final is not None and np.shape(self.vx_final) != (len(self.vx_expiry),):
            raise InputError(
                f"shape {np.shape(self.vx_final)}", argument="vx_final", expected=f"({len(self.vx_expiry)},)"
            )
        for name in ("spx_open", "vix_open", "vix_close"):
            if getattr(self, name).shape != (n, p):
                raise InputError(f"shape {getattr(self, name).shape}", argument=name, expected=f"({n}, {p})")
        vv = self.vix_option_vol
        if not callable(getattr(vv, "vol", None)):
            raise InputError(
                f"got {type(vv).__name__}",
                argument="vix_option_vol",
                expected="an object with .vol(day, dte) (alvh.engine.inputs.VixOptionVol)",
            )
        if self.vx_price.shape[:2] != (n, p) or self.vx_price.shape[2] != len(self.vx_expiry):
            raise InputError(
                f"shape {self.vx_price.shape}", argument="vx_price", expected=f"({n}, {p}, {len(self.vx_expiry)})"
            )
        if self.rate.shape != (n,) or not np.isfinite(self.rate).all():
            raise InputError("rate must be finite, one per day", argument="rate", expected=f"shape ({n},)")
        for name in ("spx_open", "spx_close", "vix_open", "vix_close"):
            a = getattr(self, name)
            bad = ~(np.isfinite(a) & (a > 0))
            if bad.any():
                d = int(np.argwhere(bad)[0][0])
                raise DataError(
                    f"{name} is missing or not positive on {self.dates[d].date()}",
                    column=name,
                    expected="positive finite prices every day",
                )

    def take_paths(self, sel: slice) -> MarketPaths:
        """The same inputs restricted to the paths ``sel`` (a slice), e.g. to run one path alone."""
        s = self.surface
        if isinstance(s, SpxSurface):
            s = SpxSurface(theta30=s.theta30[:, sel], tail=s.tail[:, sel], term_ratio=s.term_ratio[:, sel])
        else:
            s = s.take_paths(sel)  # type: ignore[attr-defined]  # any other surface must provide it
        return MarketPaths(
            dates=self.dates,
            spx_open=self.spx_open[:, sel],
            spx_close=self.spx_close[:, sel],
            vix_open=self.vix_open[:, sel],
            vix_close=self.vix_close[:, sel],
            vx_price=self.vx_price[:, sel],
            vx_expiry=self.vx_expiry,
            vx_codes=self.vx_codes,
            rate=self.rate,
            surface=s,
            vix_option_vol=self.vix_option_vol.take_paths(sel),
            sensitivity=self.sensitivity,
            provenance=dict(self.provenance),
            vx_final=self.vx_final,
        )

    def broadcast_paths(self, n_paths: int) -> MarketPaths:
        """A one-path market seen as ``n_paths`` identical paths: read-only broadcast views (stride 0, no copy).

        A sweep runs one rule variant per path slot on the same history (:mod:`alvh.strategy.axis`); the
        engine recognises the shared market and computes its per-contract VX tables once.
        """
        if self.n_paths != 1:
            raise InputError(f"{self.n_paths} paths", argument="paths", expected="a one-path market to broadcast")
        return self._map_paths(lambda a: np.broadcast_to(a, (a.shape[0], n_paths) + a.shape[2:]))

    def twice(self) -> MarketPaths:
        """The paths followed by the same paths again (``2 x n_paths``): path ``P + i`` is path ``i``.

        The engine's standalone core (``run_engine(..., core_alone=True)``) runs the core alone on a second
        copy of the market, one path slot per path. A one-path market is broadcast (views, no copy: the
        engine sees a shared market); several paths are copied.
        """
        if self.n_paths == 1:
            return self.broadcast_paths(2)
        return self._map_paths(lambda a: np.concatenate([a, a], axis=1))

    def _map_paths(self, b: Callable[[np.ndarray], np.ndarray]) -> MarketPaths:
        """A copy with ``b`` applied to every array with a path axis (axis 1)."""
        s = self.surface
        if isinstance(s, SpxSurface):
            s = SpxSurface(theta30=b(s.theta30), tail=b(s.tail), term_ratio=b(s.term_ratio))
        elif isinstance(s, FlatSkewSurface):
            s = FlatSkewSurface(b(s.atm), s.skew)
        else:
            raise InputError(f"{type(s).__name__}", argument="surface", expected="SpxSurface or FlatSkewSurface")
        vv = self.vix_option_vol
        # replace(): every other field (dates, expiries, rate, settlement values, provenance...) as it is
        return replace(
            self,
            spx_open=b(self.spx_open),
            spx_close=b(self.spx_close),
            vix_open=b(self.vix_open),
            vix_close=b(self.vix_close),
            vx_price=b(self.vx_price),
            surface=s,
            vix_option_vol=VixOptionVol(b(vv.vix), b(vv.vvix), vv.params),
        )

    @property
    def n_days(self) -> int:
        return self.spx_close.shape[0]

    @property
    def n_paths(self) -> int:
        return self.spx_close.shape[1]

    def summary_dict(self) -> dict[str, object]:
        """JSON-ready description: span, paths, VX contracts, the surface's type and the provenance."""
        return {
            "start": str(self.dates[0].date()),
            "end": str(self.dates[-1].date()),
            "n_days": self.n_days,
            "n_paths": self.n_paths,
            "n_vx_contracts": len(self.vx_codes),
            "surface": type(self.surface).__name__,
            "provenance": dict(self.provenance),
        }

    def to_dict(self) -> dict[str, object]:
        """Same as :meth:`summary_dict`."""
        return self.summary_dict()

    def summary(self) -> str:
        """Plain text: span and size, then where each input came from."""
        lines = [
            f"MarketPaths: {self.dates[0].date()}..{self.dates[-1].date()}, {self.n_days} days x "
            f"{self.n_paths} path(s), {len(self.vx_codes)} VX contracts, surface {type(self.surface).__name__}"
        ]
        lines += [f"  {k}: {v}" for k, v in self.provenance.items()]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return concise_repr(
            "MarketPaths",
            {
                "span": f"{self.dates[0].date()}..{self.dates[-1].date()}",
                "days": self.n_days,
                "paths": self.n_paths,
                "vx_contracts": len(self.vx_codes),
                "surface": type(self.surface).__name__,
            },
        )

    def _repr_html_(self) -> str:
        return html_view(
            "alvh MarketPaths", {k: v for k, v in self.summary_dict().items() if k != "provenance"}, self.summary()
        )

    def vx_dte(self) -> np.ndarray:
        """(n_days, n_contracts) calendar days to each contract's expiry."""
        d = self.dates.values.astype("datetime64[D]")
        return (self.vx_expiry[None, :] - d[:, None]).astype(np.int64)


def model_vx_prices(curve: VXCurve, dates: pd.DatetimeIndex, expiry: np.ndarray) -> np.ndarray:
    """(n_days, n_paths, n_contracts) model price of each contract at its DTE; NaN where not listed."""
    d = dates.values.astype("datetime64[D]")
    dte = (expiry[None, :] - d[:, None]).astype(float)  # (n_days, n_contracts)
    listed = (dte > 0) & (dte <= MODEL_LISTING_DAYS)
    price = curve.price(np.maximum(dte, 0.0)[:, None, :])  # day axis first, broadcast over paths
    return np.where(listed[:, None, :], price, np.nan)


def model_vx_calendar(dates: pd.DatetimeIndex) -> tuple[np.ndarray, tuple[str, ...]]:
    """VX expiries (and codes) listed at some point of ``dates`` on the real CFE calendar (model curve's contracts)."""
    expiry = vx_expiries_between(
        dates[0] - pd.Timedelta(days=40), dates[-1] + pd.Timedelta(days=MODEL_LISTING_DAYS + 30)
    )
    codes = tuple(vx_contract_code(int(str(e)[:4]), int(str(e)[5:7])) for e in expiry)
    return expiry, codes


def _first_settlement(vx) -> str:  # noqa: ANN001
    rows = np.flatnonzero(np.isfinite(np.asarray(vx.settle, dtype=float)).any(axis=1))
    return str(vx.dates[rows[0]].date()) if rows.size else "none"


def _expanding_sensitivity(
    full,  # noqa: ANN001
    dates: pd.DatetimeIndex,
    model: Callable[[np.ndarray], np.ndarray],
) -> ExpandingDfdvix:
    """The expanding dF/dVIX on ``full``'s VX history up to the run's last day, restricted to ``dates``."""
    vx = full.vx
    last = int(np.searchsorted(vx.dates, dates[-1], side="right"))
    vix = full.vix["close"].reindex(vx.dates[:last]).to_numpy(dtype=float)
    if not np.isfinite(vix).all():
        bad = vx.dates[:last][~np.isfinite(vix)][0]
        raise DataError(
            f"no VIX close on {bad.date()}, a VX panel day",
            column="vix.close",
            expected="a VIX close on every day with VX settlements (dF/dVIX regression)",
        )
    est = expanding_dfdvix(
        np.asarray(vx.settle, dtype=float)[:last],
        np.asarray(vx.dte, dtype=float)[:last],
        vix,
        vx.dates[:last],
        model=model,
    )
    rows = vx.dates.get_indexer(dates)
    if (rows < 0).any():
        raise DataError(
            f"run day {dates[rows < 0][0].date()} is not a VX panel day",
            column="vx.date",
            expected="a VX panel row on every run day",
        )
    return est.take(rows)


def _check_rate_age(md: MarketData, limit: int) -> None:
    """Refuse a run day whose rate was last observed more than ``limit`` calendar days before it."""
    age = md.rate_age
    if age is None or not len(age) or int(age.max()) <= limit:
        return
    i = int(np.argmax(age.to_numpy() > limit))
    day = age.index[i]
    last = day - pd.Timedelta(days=int(age.iloc[i])) if int(age.iloc[i]) < 10**6 else None
    raise DataError(
        f"no rate observation within {limit} calendar days before {day.date()} (last one "
        f"{last.date() if last is not None else 'none'}; {md.provenance.get('rate', 'rate series')})",
        column="rate",
        row=None,
        expected=f"a rate series reaching the run's end (or end the run by the last observation + {limit} days, "
        "or rate_max_gap_days=N)",
    )


def vx_final_settlements(vx) -> np.ndarray:  # noqa: ANN001
    """(n_contracts,) final settlement value of each contract of a :class:`~alvh.data.VXPanel`, NaN if absent.

    Cboe's VX history carries a row on each contract's final settlement date whose settle is the final
    settlement value, the special opening quotation of VIX (../shared/data/vix_futures/SOURCE.md: "expiry
    = last trade date in the file (the final-settlement row)"); a contract whose expiry is not a row of
    the panel (it settles after the data end, or the row is missing) gets NaN.
    """
    settle = np.asarray(vx.settle, dtype=float)
    at_expiry = np.asarray(vx.dte) == 0
    rows = np.argmax(at_expiry, axis=0)
    cols = np.arange(settle.shape[1])
    has = at_expiry.any(axis=0) & np.isfinite(settle[rows, cols])
    return np.where(has, settle[rows, cols], np.nan)


def _vx_inputs(
    md: MarketData, full: MarketData, p: VXModelParams, prov: dict[str, str]
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """VX expiries, prices (n_days, 1, n_contracts) and codes: the settlements, or the model curve."""
    dates = md.dates
    vixc = md.vix["close"].to_numpy(dtype=float)
    idx = md.indices

    def get(name: str) -> np.ndarray | None:
        return idx[name].to_numpy(dtype=float) if idx is not None and name in idx.columns else None

    if md.vx is not None:
        expiry = np.asarray(md.vx.expiries).astype("datetime64[D]")
        price = np.asarray(md.vx.settle, dtype=float)[:, None, :]
        codes = tuple(str(c) for c in md.vx.contracts)
        prov["vx"] = f"VX settlements ({md.vx.source or 'MarketData.vx'})"
    else:
        expiry, codes = model_vx_calendar(dates)
        v3, v6 = get("vix3m"), get("vix6m")
        full_curve = VXCurve.from_market(full, params=p)
        rows = np.flatnonzero(full.dates.isin(dates))
        long_factor = full_curve.long_factor
        if long_factor is None:  # from_market always fits the long factor
            raise InputError("the model VX curve has no long factor", argument="md", expected="VIX history")
        curve = VXCurve.from_model(vixc, long_factor[rows, 0], params=p)
        price = model_vx_prices(curve, dates, expiry)
        have = [n for n, a in (("VIX3M", v3), ("VIX6M", v6)) if a is not None and np.isfinite(a).any()]
        prov["vx"] = (
            "model curve: alvh.market.VXCurve.from_model (two-factor, kappa_s {:.4f}, kappa_l {:.4f}, "
            "theta {:.3f}; long factor from {} where present, else the VIX EWMA map) at each contract's "
            "DTE on the VX expiry calendar, listed up to {} days".format(
                p.kappa_s, p.kappa_l, p.theta, "/".join(have) or "no index", MODEL_LISTING_DAYS
            )
        )
    return expiry, price, codes


def _surface(md: MarketData, surface: str, prov: dict[str, str]) -> SpxSurface | FlatSkewSurface:
    """The SPX smile of the run (see paths_from_market_data)."""
    if surface == "vix_skew":
        surf: SpxSurface | FlatSkewSurface = SpxSurface.from_market(md)
        prov["surface"] = "alvh.market.SpxSurface.from_market: tail-weight smile solved to VIX and SKEW (term indices)"
    elif surface == "flat_skew":
        surf = FlatSkewSurface(md.vix["close"].to_numpy(dtype=float)[:, None] / VOL_POINTS_PER_UNIT)
        prov["surface"] = "FlatSkewSurface (opt-in): VIX/100 x clip(1 - 0.3 k/sqrt(t), 0.5, 3)"
    else:
        raise InputError(f"{surface!r}", argument="surface", expected="'vix_skew' or 'flat_skew'")
    return surf


def paths_from_market_data(
    md: MarketData,
    start: object = None,
    end: object = None,
    *,
    surface: str = "vix_skew",
    params: VXModelParams | None = None,
    rate_max_gap_days: int = RATE_MAX_GAP_DAYS,
) -> MarketPaths:
    """One-path :class:`MarketPaths` from :class:`~alvh.data.MarketData` (real VX when present).

    ``surface="vix_skew"`` (default): :class:`alvh.market.SpxSurface` solved to reproduce each day's VIX
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

    A rate series is carried forward over days without an observation for at most
    ``rate_max_gap_days`` calendar days (:data:`alvh.data.importers.RATE_MAX_GAP_DAYS`); a run day whose
    last rate observation is older (the series ends before the run does, or has a hole) is a
    ``DataError`` naming the day and the last observation, raised before any work.
    """
    full = md  # the model curve's long factor (an EWMA of VIX) warms up on the whole history, so a
    # run's VX prices do not depend on where it starts
    if start is not None or end is not None:
        md = md.slice(start, end)
    p = params if params is not None else VXModelParams.default()
    dates = md.dates
    _check_rate_age(md, rate_max_gap_days)
    vix_open, fallback = md.vix_open()
    prov = {"spx": "MarketData.spx", "vix_open": f"VIX open; close used on {int(fallback.sum())} days (SOQ proxy)"}
    prov["rate"] = md.provenance.get("rate", "MarketData.rate")
    spx_open = md.spx["open"].to_numpy(dtype=float)
    spx_close = md.spx["close"].to_numpy(dtype=float)
    no_open = ~np.isfinite(spx_open)
    if no_open.any():
        spx_open = np.where(no_open, spx_close, spx_open)
        prov["spx_open"] = f"close used as open on {int(no_open.sum())} days"
    vixc = md.vix["close"].to_numpy(dtype=float)
    idx = md.indices

    def get(name: str) -> np.ndarray | None:
        return idx[name].to_numpy(dtype=float) if idx is not None and name in idx.columns else None

    expiry, price, codes = _vx_inputs(md, full, p, prov)
    vvix = get("vvix")
    n_vvix = 0 if vvix is None else int(np.isfinite(vvix).sum())
    vvix = np.full(len(dates), np.nan) if vvix is None else vvix
    prov["vix_option_vol"] = (
        f"alvh.market.vix_option_vol by contract tenor: VVIX on {n_vvix} days, "
        f"{p.vvix_intercept:.3f} + {p.vvix_slope:.3f} ln(VIX) on {len(dates) - n_vvix}"
    )

    def model_sens(dte: np.ndarray) -> np.ndarray:
        return effective_vega_model(dte, p)

    sens: Callable[[np.ndarray], np.ndarray] | ExpandingDfdvix = model_sens
    prov["sensitivity"] = "dF/dVIX = alvh.market.effective_vega_model (two-factor model, total incl. long factor)"
    if md.vx is not None and full.vx is not None and len(dates):
        sens = _expanding_sensitivity(full, dates, model_sens)
        prov["sensitivity"] = (
            "dF/dVIX = alvh.market.vx_sensitivity.expanding_dfdvix: expanding OLS of daily VX "
            "settlement changes on spot VIX changes by DTE bucket, known at each close (VX history "
            f"from {_first_settlement(full.vx)}); the model before a bucket is warm"
        )
    surf = _surface(md, surface, prov)
    final = vx_final_settlements(md.vx) if md.vx is not None else np.full(len(expiry), np.nan)
    return MarketPaths(
        dates=dates,
        spx_open=spx_open[:, None],
        spx_close=spx_close[:, None],
        vix_open=vix_open.to_numpy(dtype=float)[:, None],
        vix_close=vixc[:, None],
        vx_price=price,
        vx_expiry=expiry,
        vx_codes=codes,
        rate=md.rate.to_numpy(dtype=float),
        surface=surf,
        vix_option_vol=VixOptionVol(vixc[:, None], vvix[:, None], p),
        sensitivity=sens,
        provenance=prov,
        vx_final=final,
    )
