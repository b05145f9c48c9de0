"""Vega correlation drag of the hedge layers, in basis points of capital.

docs/drag.md defines every quantity; in short, for each hedge layer ``L`` and
day ``d`` (drag is a *cost*: positive when the layer loses against the
benchmark):

* ``carry``       = -(theta + carry roll-down) of the layer: what it loses
  at an unchanged curve;
* ``correlation`` = counterfactual - the layer's market-move P&L, where the
  counterfactual is a layer of the same vega notional ``N_L`` (dollars per
  point of its own volatility underlying, from the attribution) whose vol moved
  one-for-one with the core's implied volatility: ``N_L * dIV_core``;
* ``costs``, ``financing`` = minus the layer's trading-cost and financing P&L;
* ``total`` = the sum = ``N_L * dIV_core - (layer's total P&L)``.

With an effective vega ``E_L`` (dollars per spot-VIX point, see
:mod:`alvh.analytics.exposure`) the correlation drag splits exactly into a
*maturity* part ``(N_L - E_L) * dIV_core`` (a longer future moves less than
spot VIX) and a *decorrelation* part ``E_L * dIV_core - market-move P&L``.

``dIV_core`` is the core's implied-vol change in vol points: by default the
daily change of spot VIX (the 30-day SPX implied vol); optionally
(``core_vol="legs"``) the ``|q*m*vega|``-weighted mean of the core legs' IV
changes, with VIX on days the core is flat.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from alvh.analytics import _fused
from alvh.analytics.attribution import MARKET_MOVE_TERMS, NON_LAYER_GROUPS, Attribution
from alvh.analytics.exposure import EffectiveVega
from alvh.engine.records import InstrumentKind, PositionRecords
from alvh.errors import InputError
from alvh.pricing.backend import resolve_backend
from alvh.pricing.units import BP_PER_UNIT

#: Drag parts, in the order stored; ``total`` is their sum.
PARTS: tuple[str, ...] = ("carry", "correlation", "costs", "financing")
#: Share of a month's trading days with front VX > spot VIX that makes it contango-heavy.
CONTANGO_HEAVY_SHARE = 0.8
#: The seed text's claim for unadjusted layers in contango-heavy months (bp of capital per month).
SEED_CLAIM_BP_PER_MONTH = (18.0, 35.0)
_BP = BP_PER_UNIT


@dataclass(frozen=True)
class Drag:
    """Daily drag per hedge layer, in basis points of capital (positive = cost).

    Attributes
    ----------
    layers : tuple of str
        Hedge layer names (the attribution groups other than "core" and "financing").
    instruments : dict
        Layer name -> "futures", "calls", "puts", several joined with "+", or "none": what each number refers to.
    dates : DatetimeIndex
        Trading days, length n_days.
    daily : ndarray, shape (n_parts, n_days, n_paths, n_layers)
        bp of capital per day for each part in :data:`PARTS`.
    maturity, decorrelation : ndarray or None, shape (n_days, n_paths, n_layers)
        bp; the exact split of ``correlation`` when an effective vega was given.
    core_vol_change : ndarray, shape (n_days, n_paths)
        Vol points used as the core's IV change.
    core_vol_source : ndarray of bool, shape (n_days, n_paths)
        True where ``core_vol_change`` is the core's own IV, False where it is spot VIX.
    counterfactual : ndarray, shape (n_days, n_paths, n_layers)
        Dollars: ``N_L * dIV_core``.
    """

    layers: tuple[str, ...]
    instruments: dict[str, str]
    dates: pd.DatetimeIndex
    daily: np.ndarray
    maturity: np.ndarray | None
    decorrelation: np.ndarray | None
    core_vol_change: np.ndarray
    core_vol_source: np.ndarray
    counterfactual: np.ndarray

    def part(self, name: str) -> np.ndarray:
        """bp per day of one part (or "total"), shape ``(n_days, n_paths, n_layers)``."""
        if name == "total":
            return self.daily.sum(axis=0)
        if name not in PARTS:
            raise InputError(f"unknown drag part {name!r}", argument="name", expected=f"one of {PARTS + ('total',)}")
        return self.daily[PARTS.index(name)]

    def cumulative(self, name: str = "total") -> np.ndarray:
        """Cumulative bp from the first day, shape ``(n_days, n_paths, n_layers)``."""
        return np.cumsum(self.part(name), axis=0)

    @cached_property
    def monthly_sums(self) -> tuple[pd.PeriodIndex, np.ndarray, np.ndarray]:
        """See :func:`monthly_drag` (computed once)."""
        return _monthly_sums(self)

    @property
    def n_months(self) -> int:
        """Distinct calendar months spanned by ``dates``."""
        return int(self.dates.to_period("M").nunique())


def layer_instruments(records: PositionRecords, layers: Sequence[str]) -> dict[str, str]:
    """Which instruments each layer held over the run: "futures", "calls", "puts", joined with "+" when it held
    several (e.g. "futures+calls" for a futures layer after a conversion), or "none"."""
    kind = np.asarray(records.kind)
    held = np.asarray(records.quantity) != 0
    is_call = np.asarray(records.is_call, dtype=bool)
    out = {}
    for layer in layers:
        cols = [i for i, c in enumerate(records.slots.component) if c == layer]
        k = kind[..., cols][held[..., cols]]
        call = is_call[..., cols][held[..., cols]]
        opt = k == InstrumentKind.VIX_OPTION
        parts = (
            ("futures", bool((k == InstrumentKind.VX_FUTURE).any())),
            ("calls", bool((opt & call).any())),
            ("puts", bool((opt & ~call).any())),
        )
        out[layer] = "+".join(name for name, present in parts if present) or "none"
    return out


def _per_day_path(values: np.ndarray, n_days: int, n_paths: int, argument: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.shape[0] != n_days or arr.shape[1] not in (1, n_paths) or arr.ndim != 2:
        raise InputError(
            f"shape {np.shape(values)}", argument=argument, expected=f"shape ({n_days},) or ({n_days}, {n_paths})"
        )
    return np.broadcast_to(arr, (n_days, n_paths))


def _check_dates(dates: pd.DatetimeIndex, n_days: int) -> pd.DatetimeIndex:
    dates = pd.DatetimeIndex(dates)
    if len(dates) != n_days:
        raise InputError(f"{len(dates)} dates for {n_days} days", argument="dates", expected=f"{n_days} trading days")
    if dates.hasnans or not dates.is_monotonic_increasing or not dates.is_unique:
        raise InputError("dates are not strictly increasing", argument="dates", expected="sorted unique trading days")
    return dates


#: Sources of the core's implied-vol change: spot VIX (default) or the core legs' own IVs.
CORE_VOL_SOURCES: tuple[str, ...] = ("vix", "legs")


def core_vol_change(attribution: Attribution, vix: np.ndarray, source: str = "vix") -> tuple[np.ndarray, np.ndarray]:
    """The core's implied-vol change in vol points.

    Parameters
    ----------
    attribution : Attribution
        Carries the ``|q*m*vega|``-weighted IV change of the core legs.
    vix : ndarray, shape (n_days,) or (n_days, n_paths)
        Spot VIX close in index points (= vol points).
    source : {"vix", "legs"}
        "vix" (default): the daily change of spot VIX, the 30-day SPX implied vol, on every
        day. "legs": the core legs' ``|q*m*vega|``-weighted IV change, with the VIX change on
        days the core is flat. A leg's recorded IV change also holds its slide along the smile
        and term structure as it ages (on the 2006-2025 real run with the engine's earlier SSVI surface
        it averaged +0.39 vol points a day against +0.02 for VIX, correlation 0.44), which is
        not a market vol move; docs/drag.md explains why VIX is the default.

    Returns
    -------
    change : ndarray, shape (n_days, n_paths)
        Vol points; day 0 is 0.
    from_core : ndarray of bool, shape (n_days, n_paths)
        True where the core's own legs gave the change.
    """
    if source not in CORE_VOL_SOURCES:
        raise InputError(f"unknown core vol source {source!r}", argument="core_vol", expected='"vix" or "legs"')
    n_days, n_paths = attribution.core_iv_change.shape
    v = _per_day_path(vix, n_days, n_paths, "vix")
    if not np.isfinite(v).all():
        bad = np.argwhere(~np.isfinite(v))[0]
        raise InputError(
            f"non-finite VIX at (day, path) = {tuple(int(b) for b in bad)}",
            argument="vix",
            expected="finite index points on every day",
        )
    dvix = np.zeros((n_days, n_paths))
    dvix[1:] = v[1:] - v[:-1]
    if source == "vix":
        return dvix, np.zeros((n_days, n_paths), dtype=bool)
    from_core = np.isfinite(attribution.core_iv_change)
    return np.where(from_core, np.nan_to_num(attribution.core_iv_change), dvix), from_core


def compute_drag(
    attribution: Attribution,
    *,
    dates: pd.DatetimeIndex,
    vix: np.ndarray,
    instruments: dict[str, str] | None = None,
    effective_vega: np.ndarray | None = None,
    core_vol: str = "vix",
    backend: str = "auto",
) -> Drag:
    """Daily drag per hedge layer from an attribution (docs/drag.md).

    Parameters
    ----------
    attribution : Attribution
        From :func:`alvh.analytics.attribution.attribute`.
    dates : DatetimeIndex
        The n_days trading days of the records.
    vix : ndarray, shape (n_days,) or (n_days, n_paths)
        Spot VIX close (points), the core's vol change on days the core is flat.
    instruments : dict, optional
        Layer -> instrument label (see :func:`layer_instruments`); "unknown" if omitted.
    effective_vega : ndarray, shape (n_days, n_paths, n_groups), optional
        Dollars per spot-VIX point per group (from :func:`alvh.analytics.exposure.effective_vega`);
        when given, ``correlation`` is split into ``maturity`` and ``decorrelation``.
    core_vol : {"vix", "legs"}
        Source of the core's implied-vol change (see :func:`core_vol_change`).
    backend : {"auto", "numpy", "numba"}
        "numba": one compiled pass over (day, path, layer) (:mod:`alvh.analytics._fused`),
        bit-identical to "numpy" (the reference); "auto": numba from
        ``alvh.analytics._fused.AUTO_CELLS`` cells on.

    Returns
    -------
    Drag
    """
    use_numba = resolve_backend(backend).name == "numba"  # an unknown name errors before any work
    n_terms, n_days, n_paths, n_groups = attribution.pnl.shape
    dates = _check_dates(dates, n_days)
    layer_list = [i for i, g in enumerate(attribution.groups) if g not in NON_LAYER_GROUPS]
    layers = tuple(attribution.groups[i] for i in layer_list)
    layer_idx: list[int] | slice = layer_list
    if layer_list and layer_list == list(range(layer_list[0], layer_list[-1] + 1)):
        layer_idx = slice(layer_list[0], layer_list[-1] + 1)  # contiguous: views instead of copies
    dcore, from_core = core_vol_change(attribution, vix, core_vol)
    ev_checked = None
    if effective_vega is not None:
        ev_checked = np.asarray(effective_vega, dtype=float)
        # the exposure has no group for a separate financing leg (always appended last)
        n_ev = n_groups - 1 if attribution.groups[-1] == NON_LAYER_GROUPS[1] else n_groups
        if (
            ev_checked.shape not in ((n_days, n_paths, n_groups), (n_days, n_paths, n_ev))
            or not np.isfinite(ev_checked).all()
        ):
            raise InputError(
                f"shape {ev_checked.shape} or non-finite values",
                argument="effective_vega",
                expected=f"finite dollars per VIX point of shape {(n_days, n_paths, n_groups)}",
            )
    n_cells = n_days * n_paths * len(layers)
    if backend == "auto":
        use_numba = resolve_backend("auto", size=n_cells, auto_min_size=_fused.AUTO_CELLS).name == "numba"
    if use_numba and layers:
        daily, counterfactual, maturity, decorrelation = _drag_numba(attribution, dcore, ev_checked, layer_list)
    else:
        daily, counterfactual, maturity, decorrelation = _drag_numpy(attribution, dcore, ev_checked, layer_idx)
    labels = {layer: "unknown" for layer in layers}
    if instruments is not None:
        unknown = set(instruments) - set(layers)
        if unknown:
            raise InputError(
                f"layers {sorted(unknown)} are not in the attribution",
                argument="instruments",
                expected=f"keys among {layers}",
            )
        labels.update(instruments)
    return Drag(
        layers=layers,
        instruments=labels,
        dates=dates,
        daily=daily,
        maturity=maturity,
        decorrelation=decorrelation,
        core_vol_change=dcore,
        core_vol_source=from_core,
        counterfactual=counterfactual,
    )


_DragArrays = tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]


def _drag_numba(
    attribution: Attribution, dcore: np.ndarray, ev: np.ndarray | None, layer_list: list[int]
) -> _DragArrays:
    """compute_drag's arrays in one compiled pass (bit-identical to :func:`_drag_numpy`)."""
    _, n_days, n_paths, _ = attribution.pnl.shape
    n_layers = len(layer_list)
    terms = attribution.terms
    daily = np.empty((len(PARTS), n_days, n_paths, n_layers))
    counterfactual = np.empty((n_days, n_paths, n_layers))
    has_ev = ev is not None
    maturity = np.empty((n_days, n_paths, n_layers)) if has_ev else np.empty((0, 0, 0))
    decorrelation = np.empty((n_days, n_paths, n_layers)) if has_ev else np.empty((0, 0, 0))
    _fused.drag_fill(
        attribution.pnl,
        attribution.vega_notional,
        np.ascontiguousarray(attribution.capital, dtype=float),
        dcore,
        ev if ev is not None else np.empty((0, 0, 0)),
        has_ev,
        np.asarray(layer_list, dtype=np.intp),
        np.asarray([terms.index(t) for t in MARKET_MOVE_TERMS], dtype=np.intp),
        terms.index("theta"),
        terms.index("carry"),
        terms.index("costs"),
        terms.index("financing"),
        terms.index("interest"),
        float(_BP),
        daily,
        counterfactual,
        maturity,
        decorrelation,
    )
    return daily, counterfactual, (maturity if has_ev else None), (decorrelation if has_ev else None)


def _drag_numpy(
    attribution: Attribution, dcore: np.ndarray, ev: np.ndarray | None, layer_idx: list[int] | slice
) -> _DragArrays:
    """compute_drag's arrays with whole-array ufuncs (the reference)."""
    _, n_days, n_paths, _ = attribution.pnl.shape
    n_layers = len(_fused.index_array(layer_idx, attribution.pnl.shape[3]))
    to_bp = _BP / attribution.capital[:, :, None]
    terms = attribution.terms

    def term(name: str) -> np.ndarray:
        return attribution.pnl[terms.index(name)][..., layer_idx]

    # in-place ufuncs into preallocated outputs: the same operations in the same order as the
    # expressions they replace (bit-identical), without a fresh temporary per operator
    move = np.add(term(MARKET_MOVE_TERMS[0]), term(MARKET_MOVE_TERMS[1]))
    for name in MARKET_MOVE_TERMS[2:]:
        np.add(move, term(name), out=move)
    notional = attribution.vega_notional[..., layer_idx]
    dc = dcore[..., None]
    counterfactual = np.multiply(notional, dc)
    daily = np.empty((len(PARTS), n_days, n_paths, n_layers))
    neg_bp = np.negative(to_bp)
    np.add(term("theta"), term("carry"), out=daily[0])
    np.multiply(daily[0], neg_bp, out=daily[0])  # -(a + b) * x == (a + b) * (-x) exactly
    np.subtract(counterfactual, move, out=daily[1])
    np.multiply(daily[1], to_bp, out=daily[1])
    np.multiply(term("costs"), neg_bp, out=daily[2])
    np.multiply(np.add(term("financing"), term("interest")), neg_bp, out=daily[3])  # the layer's cash: both

    maturity = decorrelation = None
    if ev is not None:
        ev = ev[..., layer_idx]
        maturity = np.subtract(notional, ev)
        np.multiply(maturity, dc, out=maturity)
        np.multiply(maturity, to_bp, out=maturity)
        decorrelation = np.multiply(ev, dc)
        np.subtract(decorrelation, move, out=decorrelation)
        np.multiply(decorrelation, to_bp, out=decorrelation)
    return daily, counterfactual, maturity, decorrelation


def _month_bounds(dates: pd.DatetimeIndex) -> tuple[pd.PeriodIndex, np.ndarray, np.ndarray]:
    periods = dates.to_period("M")
    codes = np.asarray(periods.year * 12 + periods.month)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    counts = np.diff(np.r_[starts, len(codes)])
    return periods[starts], starts, counts


def monthly_drag(drag: Drag) -> tuple[pd.PeriodIndex, np.ndarray, np.ndarray]:
    """Drag per calendar month in bp: months, sums ``(n_parts+1, n_months, n_paths, n_layers+1)``, day counts.

    The last part is ``total``; the last layer is the sum of all layers ("all"). Computed once
    per Drag object (the result is cached on it; treat it as read-only).
    """
    return drag.monthly_sums


def _monthly_sums(drag: Drag) -> tuple[pd.PeriodIndex, np.ndarray, np.ndarray]:
    months, starts, counts = _month_bounds(drag.dates)
    # sums are linear: reduce the daily parts to months first, then add "total" and "all" at month size
    by_month = np.add.reduceat(drag.daily, starts, axis=1)  # (parts, months, paths, layers)
    parts = np.concatenate([by_month, by_month.sum(axis=0, keepdims=True)], axis=0)
    sums = np.concatenate([parts, parts.sum(axis=-1, keepdims=True)], axis=-1)
    return months, sums, counts


def contango_share(dates: pd.DatetimeIndex, front_vx: np.ndarray, vix: np.ndarray) -> pd.Series:
    """Share of each calendar month's trading days with front VX settle > spot VIX close.

    Parameters
    ----------
    front_vx, vix : ndarray, shape (n_days,)
        Points on the same trading days as ``dates`` (historical curve).

    Raises
    ------
    InputError
        On length mismatch or NaN (a gap must be filled or cut before, not skipped silently).
    """
    dates = _check_dates(dates, len(dates))
    fv, vx = np.asarray(front_vx, float), np.asarray(vix, float)
    for name, arr in (("front_vx", fv), ("vix", vx)):
        if arr.shape != (len(dates),):
            raise InputError(f"shape {arr.shape}", argument=name, expected=f"shape ({len(dates)},)")
        if not np.isfinite(arr).all():
            bad = int(np.flatnonzero(~np.isfinite(arr))[0])
            raise InputError(
                f"non-finite value on {dates[bad].date()}",
                argument=name,
                expected="a finite value on every trading day",
            )
    months, starts, counts = _month_bounds(dates)
    share = np.add.reduceat((fv > vx).astype(float), starts) / counts
    return pd.Series(share, index=months, name="contango_share")


def monthly_drag_table(drag: Drag, *, contango: pd.Series | None = None) -> pd.DataFrame:
    """Per calendar month and layer, the drag parts in bp of capital (mean over paths).

    Returns
    -------
    DataFrame
        Columns: month, layer ("all" = every layer), instrument, n_days, carry, correlation,
        costs, financing, total, and contango_share when ``contango`` is given.
    """
    months, sums, counts = monthly_drag(drag)
    names = list(drag.layers) + ["all"]
    mean = sums.mean(axis=2)  # (parts, months, layers)
    rows = {
        "month": np.repeat(np.asarray(months.astype(str)), len(names)),
        "layer": np.tile(names, len(months)),
        "instrument": np.tile(
            [
                drag.instruments.get(n, "all") if n != "all" else "+".join(sorted(set(drag.instruments.values())))
                for n in names
            ],
            len(months),
        ),
        "n_days": np.repeat(counts, len(names)),
    }
    for j, part in enumerate(PARTS + ("total",)):
        rows[part] = mean[j].reshape(-1)
    table = pd.DataFrame(rows)
    if contango is not None:
        share = contango.reindex(months)
        if share.isna().any():
            raise InputError(
                "contango share is missing for some months",
                argument="contango",
                expected="a share for every month of the drag",
            )
        table["contango_share"] = np.repeat(share.to_numpy(), len(names))
    return table


def drag_distribution(
    drag: Drag,
    contango: pd.Series,
    *,
    threshold: float = CONTANGO_HEAVY_SHARE,
    min_days: int = 15,
    quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95),
) -> pd.DataFrame:
    """Quantiles of the monthly drag, overall and in contango-heavy months.

    A month is contango-heavy when at least ``threshold`` (default 0.8) of its
    trading days have the front VX settle above spot VIX. Months with fewer
    than ``min_days`` trading days in the run (a partial first or last month)
    are left out. Every (month, path) is one observation.

    Returns
    -------
    DataFrame
        Index (subset, layer, part) with subset in {"all_months", "contango_heavy",
        "not_contango_heavy"}; columns n_months, mean, and one per quantile (bp/month).
    """
    if not 0.0 < threshold <= 1.0:
        raise InputError(f"threshold {threshold}", argument="threshold", expected="0 < threshold <= 1")
    months, sums, counts = monthly_drag(drag)
    share = contango.reindex(months)
    if share.isna().any():
        missing = [str(m) for m in months[share.isna().to_numpy()]][:3]
        raise InputError(
            f"contango share missing for months {missing}",
            argument="contango",
            expected="a share for every month of the drag",
        )
    full = counts >= min_days
    heavy = share.to_numpy() >= threshold
    names = list(drag.layers) + ["all"]
    part_names = PARTS + ("total",)
    records = []
    for subset, mask in (("all_months", full), ("contango_heavy", full & heavy), ("not_contango_heavy", full & ~heavy)):
        sel = sums[:, mask]  # (parts, m, paths, layers)
        for li, layer in enumerate(names):
            for pj, part in enumerate(part_names):
                values = sel[pj, :, :, li].reshape(-1)
                row = {
                    "subset": subset,
                    "layer": layer,
                    "part": part,
                    "n_months": int(mask.sum()),
                    "n_obs": int(values.size),
                }
                if values.size:
                    row["mean"] = float(values.mean())
                    for q, v in zip(quantiles, np.quantile(values, quantiles), strict=True):
                        row[f"q{q:g}"] = float(v)
                else:
                    row["mean"] = np.nan
                    for q in quantiles:
                        row[f"q{q:g}"] = np.nan
                records.append(row)
    return pd.DataFrame(records).set_index(["subset", "layer", "part"])


def drag_summary(
    drag: Drag, *, contango: pd.Series | None = None, threshold: float = CONTANGO_HEAVY_SHARE, min_days: int = 15
) -> dict:
    """A JSON-ready dict of the headline drag for summary.json (bp of capital per month).

    bp per month = the run's total bp / the number of calendar months spanned,
    averaged over paths. With ``contango`` the monthly median and mean in
    contango-heavy months are added next to the seed's 18-35 bp claim.
    """
    per_path_total = drag.daily.sum(axis=1)  # (parts, paths, layers)
    n_months = drag.n_months
    per_month = per_path_total.mean(axis=1) / n_months  # (parts, layers)
    out: dict = {
        "definition": "docs/drag.md; positive bp = cost of the hedge; per month = run total / calendar months",
        "unit": "bp of capital per month",
        "n_months": n_months,
        "n_paths": int(drag.daily.shape[2]),
        "instruments": dict(drag.instruments),
        "total_drag_bp_per_month": float(per_month.sum()),
        "split_bp_per_month": {p: float(per_month[j].sum()) for j, p in enumerate(PARTS)},
        "per_layer_drag_bp_per_month": {layer: float(per_month[:, i].sum()) for i, layer in enumerate(drag.layers)},
        "per_layer_split_bp_per_month": {
            layer: {p: float(per_month[j, i]) for j, p in enumerate(PARTS)} for i, layer in enumerate(drag.layers)
        },
        "core_vol_change_source": {
            "core_leg_iv_days": int(drag.core_vol_source[:, 0].sum()),
            "spot_vix_days": int((~drag.core_vol_source[:, 0]).sum()),
        },
    }
    if drag.maturity is not None and drag.decorrelation is not None:
        out["correlation_split_bp_per_month"] = {
            "maturity": float(drag.maturity.sum(axis=0).mean(axis=0).sum() / n_months),
            "decorrelation": float(drag.decorrelation.sum(axis=0).mean(axis=0).sum() / n_months),
        }
    if contango is not None:
        dist = drag_distribution(drag, contango, threshold=threshold, min_days=min_days)
        block: dict[str, object] = {}
        for subset in ("all_months", "contango_heavy"):
            row = dist.loc[(subset, "all", "total")]
            block[subset] = {
                "n_months": int(row["n_months"]),
                "mean": _json_float(row["mean"]),
                "median": _json_float(row["q0.5"]),
                "q05": _json_float(row["q0.05"]),
                "q95": _json_float(row["q0.95"]),
            }
        block["contango_heavy_definition"] = f">= {threshold:.0%} of the month's trading days with front VX > VIX"
        block["seed_claim_bp_per_month"] = list(SEED_CLAIM_BP_PER_MONTH)
        out["monthly_total_drag_bp"] = block
    return out


def _json_float(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


@dataclass(frozen=True)
class DragAnalysis:
    """Everything the backtest result needs from attribution, exposure and drag, in one object.

    Attributes
    ----------
    attribution : Attribution
    drag : Drag
    exposure : EffectiveVega or None
        None when no sensitivity was given.
    monthly : DataFrame
        :func:`monthly_drag_table` (with contango_share when the front VX was given).
    distribution : DataFrame or None
        :func:`drag_distribution`; None without a front VX series.
    decay : dict of str to DataFrame
        :func:`alvh.analytics.exposure.decay_curve` per layer (empty without a sensitivity).
    summary : dict
        :func:`drag_summary` plus ``attribution_bp`` (whole-run bp per group and term): JSON-ready.
    """

    attribution: Attribution
    drag: Drag
    exposure: EffectiveVega | None
    monthly: pd.DataFrame
    distribution: pd.DataFrame | None
    decay: dict
    summary: dict


def drag_analysis(
    records: PositionRecords,
    *,
    dates: pd.DatetimeIndex,
    capital: float | np.ndarray,
    vix: np.ndarray,
    front_vx: np.ndarray | None = None,
    cost_pnl: np.ndarray | None = None,
    financing_pnl: np.ndarray | None = None,
    sensitivity: np.ndarray | Callable[[np.ndarray], np.ndarray] | None = None,
    trust_marks: bool = True,
    core_vol: str = "vix",
    interest_pnl: np.ndarray | None = None,
    group_financing_pnl: np.ndarray | None = None,
) -> DragAnalysis:
    """One call from the engine's output to the drag tables and the summary.json block.

    Parameters
    ----------
    records : PositionRecords
        The engine's records.
    dates : DatetimeIndex
        The n_days trading days.
    capital : float or ndarray (n_paths,) or (n_days, n_paths)
        Dollars; each day's bp are of that day's capital (e.g. the NAV at the previous close).
    vix : ndarray, shape (n_days,) or (n_days, n_paths)
        Spot VIX close (points): the core's vol change on days it is flat.
    front_vx : ndarray, shape (n_days,), optional
        Front VX settle on the same days (historical runs): enables the
        contango-heavy distribution. Simulated runs may pass None.
    cost_pnl : ndarray, shape (n_days, n_paths, n_groups), optional
        Signed dollars per group from the engine's ledger (negative when paid; see :func:`attribute`).
    financing_pnl : ndarray, shape (n_days, n_paths, n_groups) or (n_days, n_paths), optional
        Signed dollars; a 2-D array becomes its own "financing" group.
    interest_pnl, group_financing_pnl : ndarray, shape (n_days, n_paths, n_groups), optional
        The engine's interest on each group's cash and the private financing booked to each group
        (``BacktestResult.interest`` / ``hedge_financing`` in group order; see :func:`attribute`).
    sensitivity : ndarray or callable, optional
        dF/dVIX per slot or by DTE (market module); enables effective vega, the
        maturity/decorrelation split and the decay curves.
    core_vol : {"vix", "legs"}
        Source of the core's implied-vol change (see :func:`core_vol_change`); "vix" by default.
    trust_marks : bool
        Passed to :func:`attribute`: use the engine's previous marks as the starting model value
        when a sample shows they are the model (default; it re-prices otherwise).

    Returns
    -------
    DragAnalysis
    """
    from alvh.analytics.attribution import attribute
    from alvh.analytics.exposure import decay_curve, effective_vega

    att = attribute(
        records,
        capital=capital,
        cost_pnl=cost_pnl,
        financing_pnl=financing_pnl,
        interest_pnl=interest_pnl,
        group_financing_pnl=group_financing_pnl,
        trust_marks=trust_marks,
    )
    layers = tuple(g for g in att.groups if g not in NON_LAYER_GROUPS)
    exposure = effective_vega(records, sensitivity) if sensitivity is not None else None
    drag = compute_drag(
        att,
        dates=dates,
        vix=vix,
        instruments=layer_instruments(records, layers),
        effective_vega=None if exposure is None else exposure.per_group,
        core_vol=core_vol,
    )
    share = None
    if front_vx is not None:
        vix_arr = np.asarray(vix, dtype=float)
        share = contango_share(drag.dates, front_vx, vix_arr if vix_arr.ndim == 1 else vix_arr[:, 0])
    summary = drag_summary(drag, contango=share)
    bp = att.totals("bp")
    summary["attribution_bp"] = {group: {col: float(bp.loc[group, col]) for col in bp.columns} for group in bp.index}
    decay = {} if exposure is None else {layer: decay_curve(records, exposure, layer) for layer in layers}
    return DragAnalysis(
        attribution=att,
        drag=drag,
        exposure=exposure,
        monthly=monthly_drag_table(drag, contango=share),
        distribution=None if share is None else drag_distribution(drag, share),
        decay=decay,
        summary=summary,
    )


def restrict_drag(drag: Drag, days: np.ndarray | slice) -> Drag:
    """The same drag on a subset of its days (a boolean mask or a slice over the day axis).

    Used to keep the contango-based tables on the days a VX curve covers when a run goes
    past the VX data (docs/drag.md, "Runs past the VX data"). Monthly sums are recomputed
    from the kept days only.
    """
    sel: np.ndarray | slice
    if isinstance(days, slice):
        sel = days
    else:
        sel = mask = np.asarray(days)
        if mask.dtype != bool or mask.shape != (len(drag.dates),):
            raise InputError(
                f"shape {mask.shape}, dtype {mask.dtype}",
                argument="days",
                expected=f"a boolean mask of length {len(drag.dates)} or a slice",
            )
        if not mask.any():
            raise InputError("no day kept", argument="days", expected="at least one day")

    def cut(a: np.ndarray, axis: int = 0) -> np.ndarray:
        index: list[slice | np.ndarray] = [slice(None)] * a.ndim
        index[axis] = sel
        return a[tuple(index)]

    def cut_optional(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else cut(a)

    return Drag(
        layers=drag.layers,
        instruments=dict(drag.instruments),
        dates=drag.dates[sel],
        daily=cut(drag.daily, 1),
        maturity=cut_optional(drag.maturity),
        decorrelation=cut_optional(drag.decorrelation),
        core_vol_change=cut(drag.core_vol_change),
        core_vol_source=cut(drag.core_vol_source),
        counterfactual=cut(drag.counterfactual),
    )
