"""Hedge cost of the VIX layers: the headline, its exact daily decomposition, the core it hedges,
what the hedge buys, and the intervals behind every per-month figure (docs/drag.md).

Hedge cost (positive = the hedge cost money; a month in which the hedge pays is negative), per
layer ``L``, day ``d`` and path, in basis points of a stated capital basis ``B_d``::

    cost_L,d = -P&L_L,d / B_d * 1e4

``P&L_L,d`` is the layer's total P&L of the day: mark-to-market change plus trading costs plus
financing, exactly the ledger's (tests reconcile it to trades.csv and the marks). ``B_d`` is the
initial capital (default, fixed) or the NAV at the previous close (``basis="nav"``, labelled so).

Decomposition (each a P&L in dollars; the cost terms are minus these over ``B_d``)::

    carry      = theta + carry                   roll-down along an unchanged curve; theta of calls
    spot_vix   = E_L,d * dVIX_d                  effective vega ($ per VIX point, dF/dVIX known at
                                                 the previous close) x the day's spot-VIX change
    option_vol = vol_of_vol                      VIX calls: their own implied-vol move
    curve      = market move - spot_vix - option_vol
                                                 the rest of the curve's move: slope and shape
    costs                                        from the engine's ledger
    financing  = financing + interest            the layer's cash: the private financing of its cash needs
                                                 and the T-bill interest on its cash balance (negative:
                                                 the interest its premium, margin and costs took from
                                                 the core's collateral), from the engine

and ``carry + spot_vix + option_vol + curve + costs + financing = P&L_L,d`` on every day, path and
layer (to float rounding; ``curve`` closes the identity, so it also holds the Taylor remainder).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alvh.analytics import _fused
from alvh.analytics._blas import one_thread_matmul
from alvh.analytics.attribution import NON_LAYER_GROUPS, Attribution
from alvh.errors import InputError
from alvh.pricing.backend import resolve_backend
from alvh.pricing.units import BP_PER_UNIT

#: Hedge-cost terms, in the order stored; the total is their sum.
TERMS: tuple[str, ...] = ("carry", "spot_vix", "curve", "option_vol", "costs", "financing")
#: How the screen and the report name each term (summary.json keeps the keys of :data:`TERMS`): the
#: ``financing`` term is the layers' cash interest (T-bill interest on their cash balances, plus a private
#: hedge-cash financing when used), not the engine's margin-debt interest (summary.json top-level "financing").
TERM_LABELS: dict[str, str] = {
    "carry": "carry",
    "spot_vix": "spot_vix",
    "curve": "curve",
    "option_vol": "option_vol",
    "costs": "costs",
    "financing": "cash interest",
}
#: The headline's month sample (hedge_cost_summary, the screen, the report, alvh sweep).
MONTH_SAMPLE = (
    "every calendar month the run spans, a partial first or last month included (the run total / the months "
    "spanned = the mean of the monthly costs)"
)
#: Capital bases: "initial" (fixed initial capital, default) or "nav" (NAV at the previous close).
BASES: dict[str, str] = {"initial": "initial capital (fixed)", "nav": "NAV at the previous close (moving)"}
#: Trading days in a month-equivalent of a per-day mean: 252 / 12.
TRADING_DAYS_PER_MONTH = 21.0
#: Months a regime row needs (and days) before its mean is read as saying something.
MIN_REGIME_MONTHS = 12
MIN_REGIME_DAYS = 63
#: Bootstrap: resamples, moving-block length in months, and the fixed seed (docs/drag.md).
N_BOOT = 4000
BLOCK_MONTHS = 3
BOOT_SEED = 20260
#: Window (trading days) of the rolling correlation between the layers' and the core's vol P&L.
CORR_WINDOW = 63
#: The two cores "what the hedge buys" can compare core + layers with (docs/drag.md "What the hedge buys").
CORE_BOOKS: dict[str, str] = {
    "standalone": "the core alone: its own book in the same engine call (every layer at weight 0, the core "
    "sized on its own NAV)",
    "inside": "the core's P&L inside the hedged book (core + financing without the layers' P&L; its "
    "condors sized on the hedged NAV: not a book a trader could hold)",
}
#: Short names of :data:`CORE_BOOKS` in tables and charts.
CORE_LABELS: dict[str, str] = {"standalone": "core alone", "inside": "the core's P&L inside the hedged book"}
#: Months of the core's worst months whose layer P&L is listed.
N_WORST = 10
#: Expected shortfall level (share of worst months averaged).
ES_LEVEL = 0.05
#: The seed's claim for unadjusted layers in contango-heavy months, bp of capital per month.
SEED_CLAIM_BP_PER_MONTH = (18.0, 35.0)
_BP = BP_PER_UNIT
_VOL_TERMS = ("vega", "volga")
#: (day, path, layer) cells per block of :meth:`HedgeCost.decomposition_error_bp` (~2 MB temporaries).
_ERR_BLOCK_CELLS = 1 << 18


@dataclass(frozen=True)
class HedgeCost:
    """Daily hedge cost per layer and its decomposition (module docstring; docs/drag.md).

    Attributes
    ----------
    layers : tuple of str
    instruments : dict of str to str
        Layer -> "futures", "calls", "puts", several joined with "+", or "none".
    dates : DatetimeIndex, n_days
    basis : str
        Key of :data:`BASES`; ``basis_label`` says it in words.
    basis_usd : ndarray, shape (n_days, n_paths)
        Dollars each day's bp are of.
    initial_capital : float
    pnl_usd : ndarray, shape (n_terms, n_days, n_paths, n_layers)
        Signed P&L dollars of each term of :data:`TERMS`.
    total_usd : ndarray, shape (n_days, n_paths, n_layers)
        The layer's total P&L (the attribution's total: marks + costs + financing).
    effective_vega : ndarray, shape (n_days, n_paths, n_layers)
        Dollars per spot-VIX point held over the day.
    dvix : ndarray, shape (n_days, n_paths)
        Spot-VIX change, points (day 0 is 0).
    core_vega : ndarray, shape (n_days, n_paths)
        The core's vega held over the day, dollars per SPX implied-vol point (``sum q*m*vega``).
    core_vol_pnl : ndarray, shape (n_days, n_paths)
        The core's vega + volga P&L, dollars (its P&L from its implied vols' moves).
    core_total_usd : ndarray, shape (n_days, n_paths)
        The core's total P&L, dollars (with its costs).
    other_usd : ndarray, shape (n_days, n_paths)
        P&L outside the core and the layers (the engine's financing leg), dollars.
    core_alone_usd : ndarray, shape (n_days, n_paths), or None
        Daily P&L of the standalone core, dollars: the NAV changes of the core run alone as its own book
        in the same engine call (every layer at weight 0, sized on its own NAV;
        ``BacktestResult.core_alone_nav``). None when it was not run: "what it buys" then compares with
        the core's P&L inside the hedged book (:func:`core_and_hedged_usd`).
    """

    layers: tuple[str, ...]
    instruments: dict[str, str]
    dates: pd.DatetimeIndex
    basis: str
    basis_usd: np.ndarray
    initial_capital: float
    pnl_usd: np.ndarray
    total_usd: np.ndarray
    effective_vega: np.ndarray
    dvix: np.ndarray
    core_vega: np.ndarray
    core_vol_pnl: np.ndarray
    core_total_usd: np.ndarray
    other_usd: np.ndarray
    core_alone_usd: np.ndarray | None = None

    @property
    def core_book(self) -> str:
        """Which core "what it buys" compares with: ``"standalone"`` or ``"inside"`` (:data:`CORE_BOOKS`)."""
        return "standalone" if self.core_alone_usd is not None else "inside"

    @property
    def basis_label(self) -> str:
        return BASES[self.basis]

    @property
    def n_paths(self) -> int:
        return int(self.basis_usd.shape[1])

    def cost_bp(self, term: str = "total") -> np.ndarray:
        """Hedge cost in bp of the basis per day, shape ``(n_days, n_paths, n_layers)`` (positive = cost)."""
        if term == "total":
            usd = self.total_usd
        elif term in TERMS:
            usd = self.pnl_usd[TERMS.index(term)]
        else:
            raise InputError(
                f"unknown hedge-cost term {term!r}", argument="term", expected=f"one of {TERMS + ('total',)}"
            )
        return usd * (-_BP / self.basis_usd[:, :, None])

    def decomposition_error_bp(self) -> float:
        """Largest ``|sum of the terms' cost - total cost|`` in bp over every day, path and layer."""
        # in blocks of days (cache-sized temporaries instead of full-size ones); per cell the same
        # operations in the same order, so the maximum is the whole-array one exactly
        inv = _BP / self.basis_usd
        n_days = self.total_usd.shape[0]
        step = max(1, _ERR_BLOCK_CELLS // max(1, self.total_usd[0].size))
        worst = []
        for d0 in range(0, n_days, step):
            d1 = min(n_days, d0 + step)
            err = self.pnl_usd[:, d0:d1].sum(axis=0)
            np.subtract(err, self.total_usd[d0:d1], out=err)
            np.abs(err, out=err)
            np.multiply(err, inv[d0:d1, :, None], out=err)
            worst.append(np.max(err, initial=0.0))
        return float(np.max(np.asarray(worst), initial=0.0))

    @property
    def n_months(self) -> int:
        return int(self.dates.to_period("M").nunique())

    @property
    def fixed_basis(self) -> bool:
        """True when every day of a path has the same basis (the initial capital)."""
        return self.basis == "initial"

    def path_sums_bp(self) -> tuple[np.ndarray, np.ndarray]:
        """Run totals in bp per path and layer: the terms ``(n_terms, n_paths, n_layers)`` and the total
        ``(n_paths, n_layers)``, without a full-size temporary."""
        inv = _BP / self.basis_usd
        if self.fixed_basis:
            return -self.pnl_usd.sum(axis=1) * inv[0][None, :, None], -self.total_usd.sum(axis=0) * inv[0][:, None]
        return (-np.einsum("tdpl,dp->tpl", self.pnl_usd, inv), -np.einsum("dpl,dp->pl", self.total_usd, inv))

    def monthly(self) -> tuple[pd.PeriodIndex, np.ndarray, np.ndarray]:
        """Months, bp sums ``(n_terms + 1, n_months, n_paths, n_layers + 1)`` (last term total, last
        layer "all") and day counts."""
        months, starts, counts = month_bounds(self.dates)
        if self.fixed_basis:  # sum dollars first, then one scale per path
            scale = (-_BP / self.basis_usd[0])[None, None, :, None]
            by_month = np.add.reduceat(self.pnl_usd, starts, axis=1) * scale
            total = np.add.reduceat(self.total_usd, starts, axis=0)[None] * scale
        else:
            by_month = np.stack([np.add.reduceat(self.cost_bp(t), starts, axis=0) for t in TERMS])
            total = np.add.reduceat(self.cost_bp("total"), starts, axis=0)[None]
        parts = np.concatenate([by_month, total], axis=0)
        return months, np.concatenate([parts, parts.sum(axis=-1, keepdims=True)], axis=-1), counts

    def to_frame(self, path: int = 0) -> pd.DataFrame:
        """Daily decomposition of one path: ``hedge_cost_<layer>_<term>_bp`` (terms and total, layers and
        "all"), ``effective_vega_<layer>`` ($/VIX pt), ``hedge_core_vega`` ($/vol pt),
        ``hedge_layers_effective_vega``, ``hedge_ratio``, ``hedge_core_vol_pnl``, ``hedge_layers_move_pnl``,
        ``hedge_error`` (dollars) and ``hedge_dvix`` (points). Index: dates."""
        if not 0 <= path < self.n_paths:
            raise InputError(f"path {path}", argument="path", expected=f"0..{self.n_paths - 1}")
        cols: dict[str, np.ndarray] = {}
        names = list(self.layers)
        for term in TERMS + ("total",):
            x = self.cost_bp(term)[:, path]
            for j, layer in enumerate(names):
                cols[f"hedge_cost_{layer}_{term}_bp"] = x[:, j]
            cols[f"hedge_cost_all_{term}_bp"] = x.sum(axis=1)
        for j, layer in enumerate(names):
            cols[f"effective_vega_{layer}"] = self.effective_vega[:, path, j]
        vs = against_core_daily(self)
        for k in (
            "core_vega",
            "layers_effective_vega",
            "hedge_ratio",
            "core_vol_pnl",
            "layers_move_pnl",
            "hedge_error",
        ):
            cols[k if k.startswith("hedge_") else f"hedge_{k}"] = vs[k][:, path]
        cols["hedge_dvix"] = self.dvix[:, path]
        return pd.DataFrame(cols, index=pd.Index(self.dates, name="date"))


#: The last dates given to :func:`month_bounds` and its answer (read-only arrays): a sweep scores many
#: variants on the same dates object, each asking for its months several times (pandas' to_period: ~2 ms).
_MONTHS_MEMO: list[tuple[pd.DatetimeIndex, tuple[pd.PeriodIndex, np.ndarray, np.ndarray]]] = []


def month_bounds(dates: pd.DatetimeIndex) -> tuple[pd.PeriodIndex, np.ndarray, np.ndarray]:
    """Calendar months of sorted ``dates``: the months, each month's first row and its day count."""
    memo = _MONTHS_MEMO[-1] if _MONTHS_MEMO else None
    if memo is not None and memo[0] is dates:  # the same (immutable) index object: the same months
        return memo[1]
    periods = dates.to_period("M")
    codes = np.asarray(periods.year * 12 + periods.month)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    counts = np.diff(np.r_[starts, len(codes)])
    starts.flags.writeable = False
    counts.flags.writeable = False
    out = (periods[starts], starts, counts)
    _MONTHS_MEMO[:] = [(dates, out)]
    return out


def _basis(basis: str, initial_capital: float, nav_prev: np.ndarray | None, n_days: int, n_paths: int) -> np.ndarray:
    if basis not in BASES:
        raise InputError(f"unknown capital basis {basis!r}", argument="basis", expected=f"one of {sorted(BASES)}")
    if not (
        isinstance(initial_capital, (int, float, np.floating, np.integer))
        and math.isfinite(initial_capital)
        and initial_capital > 0
    ):
        raise InputError(
            f"capital {initial_capital!r}", argument="capital", expected="a positive finite capital basis in dollars"
        )
    if basis == "initial":
        return np.full((n_days, n_paths), float(initial_capital))
    if nav_prev is None:
        raise InputError("no NAV given", argument="nav_prev", expected='the NAV at the previous close for basis="nav"')
    arr = np.broadcast_to(np.asarray(nav_prev, dtype=float), (n_days, n_paths))
    bad = ~(np.isfinite(arr) & (arr > 0))
    if bad.any():
        d, p = (int(i) for i in np.argwhere(bad)[0])
        raise InputError(
            f"NAV {arr[d, p]!r} at (day, path) = ({d}, {p})",
            argument="nav_prev",
            expected="a positive NAV on every day (a NAV basis is undefined once the book is wiped out)",
        )
    return np.array(arr)


def _terms_numpy(
    attribution: Attribution,
    ev: np.ndarray,
    dvix: np.ndarray,
    sel: slice | list[int],
    total: np.ndarray,
    pnl: np.ndarray,
) -> None:
    """Fill ``pnl`` (n_terms, n_days, n_paths, n_layers) with whole-array ufuncs (the reference path)."""
    terms = attribution.terms

    def term(name: str) -> np.ndarray:
        return attribution.pnl[terms.index(name)][..., sel]

    # written in place (no temporaries of the full size): 10,000-path runs hold ~10^8 cells here
    np.add(term("theta"), term("carry"), out=pnl[0])
    np.multiply(ev, dvix[..., None], out=pnl[1])
    pnl[3] = term("vol_of_vol")
    pnl[4] = term("costs")
    np.add(term("financing"), term("interest"), out=pnl[5])  # private financing + T-bill interest on its cash
    # curve closes the identity: the market move not explained by spot VIX or the calls' own vol
    np.subtract(total, pnl[0], out=pnl[2])
    for k in (1, 3, 4, 5):
        np.subtract(pnl[2], pnl[k], out=pnl[2])


def _nav_changes(nav: np.ndarray, capital: float, shape: tuple[int, int]) -> np.ndarray:
    """Daily changes of a NAV (days, paths) from ``capital``: the standalone core's daily P&L, dollars."""
    arr = np.asarray(nav, dtype=float)
    if arr.shape != shape or not np.isfinite(arr).all():
        raise InputError(
            f"shape {arr.shape} or non-finite values",
            argument="core_alone_nav",
            expected=f"the standalone core's finite NAV in dollars, shape {shape}",
        )
    return np.diff(arr, axis=0, prepend=np.full((1, shape[1]), capital))


def hedge_cost(
    attribution: Attribution,
    effective_vega: np.ndarray,
    *,
    dates: pd.DatetimeIndex,
    vix: np.ndarray,
    capital: float,
    basis: str = "initial",
    nav_prev: np.ndarray | None = None,
    instruments: Mapping[str, str] | None = None,
    backend: str = "auto",
    core_alone_nav: np.ndarray | None = None,
) -> HedgeCost:
    """The daily hedge cost and its decomposition from an attribution (module docstring).

    Parameters
    ----------
    attribution : Attribution
        From :func:`alvh.analytics.attribution.attribute` (its own capital is not used here).
    effective_vega : ndarray, shape (n_days, n_paths, n_groups) or (n_days, n_paths, n_slot_groups)
        Dollars per spot-VIX point per attribution group (:func:`alvh.analytics.exposure.effective_vega`
        with dF/dVIX from :func:`alvh.analytics.sensitivity.records_sensitivity`).
    dates : DatetimeIndex
    vix : ndarray, shape (n_days,) or (n_days, n_paths)
        Spot VIX close, points.
    capital : float
        The initial capital in dollars (> 0): the default, fixed basis.
    basis : {"initial", "nav"}
    nav_prev : ndarray, shape (n_days, n_paths), optional
        The NAV at the previous close (required for ``basis="nav"``).
    instruments : mapping, optional
        Layer -> instrument label.
    backend : {"auto", "numpy", "numba"}
        "numba": the terms in one compiled pass over (day, path, layer) (:mod:`alvh.analytics._fused`),
        bit-identical to "numpy" (the reference); "auto": numba from
        ``alvh.analytics._fused.AUTO_CELLS`` cells on.
    core_alone_nav : ndarray, shape (n_days, n_paths), optional
        The standalone core's NAV (``BacktestResult.core_alone_nav``): its daily changes from ``capital``
        are :attr:`HedgeCost.core_alone_usd`.

    Raises
    ------
    InputError
        No hedge layer ("there is no hedge to cost"), a non-positive basis, bad shapes or values.
    """
    resolve_backend(backend)  # an unknown name or a missing numba errors before any work
    n_terms, n_days, n_paths, n_groups = attribution.pnl.shape
    dates = pd.DatetimeIndex(dates)
    if len(dates) != n_days or not dates.is_monotonic_increasing or not dates.is_unique:
        raise InputError(
            f"{len(dates)} dates for {n_days} days", argument="dates", expected=f"{n_days} sorted unique trading days"
        )
    layer_idx = [i for i, g in enumerate(attribution.groups) if g not in NON_LAYER_GROUPS]
    if not layer_idx:
        raise InputError(
            "the run holds no hedge layer: there is no hedge to cost",
            argument="rules.layers",
            expected="at least one hedge layer (the core alone has no hedge cost)",
        )
    layers = tuple(attribution.groups[i] for i in layer_idx)
    b = _basis(basis, capital, nav_prev, n_days, n_paths)
    v = np.asarray(vix, dtype=float)
    v = v[:, None] if v.ndim == 1 else v
    if v.shape not in ((n_days, 1), (n_days, n_paths)) or not np.isfinite(v).all():
        raise InputError(
            f"shape {np.shape(vix)} or non-finite values",
            argument="vix",
            expected=f"finite spot VIX of shape ({n_days},) or ({n_days}, {n_paths})",
        )
    dvix = np.zeros((n_days, n_paths))
    dvix[1:] = np.broadcast_to(v[1:] - v[:-1], (n_days - 1, n_paths))
    ev = np.asarray(effective_vega, dtype=float)
    n_ev = n_groups - 1 if attribution.groups[-1] == NON_LAYER_GROUPS[1] else n_groups
    if ev.shape not in ((n_days, n_paths, n_groups), (n_days, n_paths, n_ev)) or not np.isfinite(ev).all():
        raise InputError(
            f"shape {ev.shape} or non-finite values",
            argument="effective_vega",
            expected=f"finite dollars per VIX point of shape {(n_days, n_paths, n_ev)}",
        )
    if layer_idx == list(range(layer_idx[0], layer_idx[-1] + 1)):
        sel: slice | list[int] = slice(layer_idx[0], layer_idx[-1] + 1)  # contiguous: views, not copies
    else:
        sel = layer_idx
    terms = attribution.terms
    total = attribution.total[..., sel]
    pnl = np.empty((len(TERMS), n_days, n_paths, len(layers)))
    use_numba = (
        resolve_backend(backend, size=n_days * n_paths * len(layers), auto_min_size=_fused.AUTO_CELLS).name == "numba"
    )
    if use_numba:  # one pass, the same scalar operations in the same order as _terms_numpy (bit-identical)
        _fused.hedge_fill(
            attribution.pnl,
            attribution.total,
            ev,
            dvix,
            np.asarray(layer_idx, dtype=np.intp),
            *(terms.index(t) for t in ("theta", "carry", "vol_of_vol", "costs", "financing", "interest")),
            pnl,
        )
        ev = ev[..., sel]
    else:
        ev = ev[..., sel]
        _terms_numpy(attribution, ev, dvix, sel, total, pnl)
    core = attribution.groups.index("core") if "core" in attribution.groups else None
    zeros = np.zeros((n_days, n_paths))
    if core is not None:
        core_vega = attribution.vega_notional[..., core]
        core_vol = sum(attribution.pnl[terms.index(t)][..., core] for t in _VOL_TERMS)
        core_total = attribution.total[..., core]
    else:
        core_vega, core_vol, core_total = zeros, zeros, zeros
    other = [i for i, g in enumerate(attribution.groups) if g == NON_LAYER_GROUPS[1]]
    other_usd = attribution.total[..., other].sum(axis=-1) if other else zeros
    alone = None if core_alone_nav is None else _nav_changes(core_alone_nav, float(capital), (n_days, n_paths))
    labels = {layer: "unknown" for layer in layers}
    if instruments is not None:
        labels.update({k: str(v) for k, v in instruments.items() if k in labels})
    return HedgeCost(
        layers=layers,
        instruments=labels,
        dates=dates,
        basis=basis,
        basis_usd=b,
        initial_capital=float(capital),
        pnl_usd=pnl,
        total_usd=total,
        effective_vega=ev,
        dvix=dvix,
        core_vega=np.asarray(core_vega, dtype=float),
        core_vol_pnl=np.asarray(core_vol, dtype=float),
        core_total_usd=np.asarray(core_total, dtype=float),
        other_usd=np.asarray(other_usd, dtype=float),
        core_alone_usd=alone,
    )


# ====================================================================== against the core
def against_core_daily(hc: HedgeCost) -> dict[str, np.ndarray]:
    """Per (day, path): the core's vega ($/vol pt) and vol P&L, the layers' effective vega and
    market-move P&L (everything but carry, costs and financing), the hedge ratio
    ``sum E_L / |core vega|`` (NaN while the core holds no vega) and the hedge error
    ``core vol P&L + layers' market-move P&L`` (dollars)."""
    move = hc.pnl_usd[1] + hc.pnl_usd[2] + hc.pnl_usd[3]  # spot_vix + curve + option_vol
    layers_move = move.sum(axis=-1)
    ev = hc.effective_vega.sum(axis=-1)
    cv = np.abs(hc.core_vega)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(cv > 0, ev / np.where(cv > 0, cv, 1.0), np.nan)
    return {
        "core_vega": hc.core_vega,
        "layers_effective_vega": ev,
        "hedge_ratio": ratio,
        "core_vol_pnl": hc.core_vol_pnl,
        "layers_move_pnl": layers_move,
        "hedge_error": hc.core_vol_pnl + layers_move,
    }


def label_groups(labels: pd.Series) -> list[tuple[object, np.ndarray]]:
    """``(value, day mask)`` of each label in order of first appearance, an undefined label (NaN) as
    ``"n/a"`` (merged with an "n/a" label): the groups of ``lab = labels.astype(object).where(notna, "n/a")``,
    ``pd.unique(lab)`` and ``lab == value``, from one ``pd.factorize`` (no object array of strings)."""
    codes, uniques = pd.factorize(labels, use_na_sentinel=True)
    values: list[object] = list(uniques)
    groups = [(v, codes == k) for k, v in enumerate(values)]
    na = codes < 0
    if na.any():
        if "n/a" in values:
            k = values.index("n/a")
            groups[k] = ("n/a", groups[k][1] | na)
        else:
            first = int(np.argmax(na))
            pos = int(codes[:first].max()) + 1 if first else 0  # the groups seen before the first NaN
            groups.insert(pos, ("n/a", na))
    return groups


def _corr(x: np.ndarray, y: np.ndarray) -> float:
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3 or np.ptp(x[ok]) == 0 or np.ptp(y[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(x[ok], y[ok])[0, 1])


def rolling_corr(x: np.ndarray, y: np.ndarray, window: int = CORR_WINDOW) -> np.ndarray:
    """Trailing-window Pearson correlation from running sums (NaN before ``window`` days or when a
    window has no variation), shape as ``x`` (n_days,)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(x)
    out = np.full(n, np.nan)
    if n < window:
        return out

    def wsum(a: np.ndarray) -> np.ndarray:
        c = np.r_[0.0, np.cumsum(a)]
        return c[window:] - c[:-window]

    sx, sy, sxx, syy, sxy = wsum(x), wsum(y), wsum(x * x), wsum(y * y), wsum(x * y)
    vx = sxx - sx * sx / window
    vy = syy - sy * sy / window
    cov = sxy - sx * sy / window
    # a variance below rounding noise of its sums is no variation
    tol = 1e-12 * np.maximum(sxx, 1e-300)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where((vx > tol) & (vy > 1e-12 * np.maximum(syy, 1e-300)), cov / np.sqrt(vx * vy), np.nan)
    out[window - 1 :] = np.clip(r, -1.0, 1.0)
    return out


def against_core_summary(hc: HedgeCost, labels: pd.DataFrame | None = None, path: int = 0) -> dict:
    """The seed's "vega correlation" measured: hedge ratio, hedge error and correlation (path ``path``)."""
    d = against_core_daily(hc)
    ratio = d["hedge_ratio"][:, path]
    ok = np.isfinite(ratio)
    b = hc.basis_usd[:, path]
    err_bp = d["hedge_error"][:, path] * _BP / b
    core_bp = d["core_vol_pnl"][:, path] * _BP / b
    lay_bp = d["layers_move_pnl"][:, path] * _BP / b
    roll = rolling_corr(d["layers_move_pnl"][:, path], d["core_vol_pnl"][:, path])
    out: dict = {
        "unit": "hedge ratio: layers' effective vega ($/VIX pt) / |core vega| ($/vol pt); P&L in bp of the "
        f"{hc.basis_label}",
        "days_core_has_vega": int(ok.sum()),
        # the mean of daily ratios is dominated by days the core is nearly flat: ratio of means instead
        "hedge_ratio_of_means": _nan_none(
            d["layers_effective_vega"][ok, path].mean() / np.abs(hc.core_vega[ok, path]).mean() if ok.any() else np.nan
        ),
        "hedge_ratio_median": _nan_none(np.median(ratio[ok]) if ok.any() else np.nan),
        "hedge_ratio_p10_p90": [_nan_none(np.quantile(ratio[ok], q)) if ok.any() else None for q in (0.1, 0.9)],
        "core_vega_mean_usd_per_vol_pt": float(hc.core_vega[:, path].mean()),
        "layers_effective_vega_mean_usd_per_vix_pt": float(d["layers_effective_vega"][:, path].mean()),
        "core_vol_pnl_bp_per_month": float(core_bp.sum() / hc.n_months),
        "layers_move_pnl_bp_per_month": float(lay_bp.sum() / hc.n_months),
        "hedge_error_daily_sd_bp": _nan_none(np.std(err_bp, ddof=1) if len(err_bp) > 1 else np.nan),
        "core_vol_pnl_daily_sd_bp": _nan_none(np.std(core_bp, ddof=1) if len(core_bp) > 1 else np.nan),
        "correlation_layers_move_vs_core_vol": _nan_none(_corr(lay_bp, core_bp)),
        f"rolling_{CORR_WINDOW}d_correlation_median": _nan_none(
            np.nanmedian(roll) if np.isfinite(roll).any() else np.nan
        ),
    }
    if labels is not None and len(labels.columns):
        per: dict = {}
        for reg in labels.columns:
            for value, m in label_groups(labels[reg]):
                per[f"{reg}={value}"] = {"days": int(m.sum()), "correlation": _nan_none(_corr(lay_bp[m], core_bp[m]))}
        out["correlation_by_regime"] = per
    return out


# ====================================================================== what the hedge buys
def _monthly_returns(daily_usd: np.ndarray, dates: pd.DatetimeIndex, capital: float) -> np.ndarray:
    _, starts, _ = month_bounds(dates)
    return np.add.reduceat(daily_usd, starts, axis=0) / capital * 100.0  # % of capital


def drawdown_pct(daily_usd: np.ndarray, capital: float) -> np.ndarray:
    """Daily drawdown in % from the running peak of ``capital + cumsum(daily_usd)`` (the start counts as a peak)."""
    equity = capital + np.cumsum(daily_usd, axis=0)
    peak = np.maximum.accumulate(np.vstack([np.full((1,) + equity.shape[1:], capital), equity]), axis=0)[1:]
    return (equity / peak - 1.0) * 100.0


def _max_drawdown_pct(daily_usd: np.ndarray, capital: float) -> np.ndarray:
    return np.min(drawdown_pct(daily_usd, capital), axis=0)


def core_and_hedged_usd(hc: HedgeCost) -> tuple[np.ndarray, np.ndarray]:
    """Daily P&L ($, shape (n_days, n_paths)) of the core "what it buys" compares with and of core + layers.

    The core: the standalone core's NAV changes when it was run (:attr:`HedgeCost.core_alone_usd`), else
    the core's P&L inside the hedged book (core + financing without the layers', :data:`CORE_BOOKS`).
    Core + layers: the hedged book's core + financing + the layers' total P&L (its NAV change).
    """
    inside = hc.core_total_usd + hc.other_usd
    hedged = inside + hc.total_usd.sum(axis=-1)
    return (hc.core_alone_usd if hc.core_alone_usd is not None else inside), hedged


def monthly_returns_on_own_nav(daily_usd: np.ndarray, dates: pd.DatetimeIndex, capital: float) -> np.ndarray:
    """Monthly returns in % of the book's own NAV at the previous month's last close (the first month: of
    ``capital``), shape (n_months, n_paths): each book measured at its own size."""
    _, starts, _ = month_bounds(dates)
    equity = capital + np.cumsum(daily_usd, axis=0)
    base = np.vstack([np.full((1,) + equity.shape[1:], capital), equity[starts[1:] - 1]])
    return np.add.reduceat(daily_usd, starts, axis=0) / base * 100.0


def expected_shortfall(monthly: np.ndarray, level: float = ES_LEVEL) -> np.ndarray:
    """Mean of the worst ``max(1, ceil(level * n))`` monthly returns along axis 0 (same unit)."""
    n = monthly.shape[0]
    k = max(1, math.ceil(level * n - 1e-12))
    return np.sort(monthly, axis=0)[:k].mean(axis=0)


def what_it_buys(hc: HedgeCost) -> dict:
    """Core alone against core + layers (docs/drag.md "What the hedge buys").

    The core alone is the standalone core (its own book in the same engine call,
    :attr:`HedgeCost.core_alone_usd`) when it was run, else the core's P&L inside the hedged book;
    ``core_book`` and ``core_definition`` say which (:data:`CORE_BOOKS`). With the standalone core,
    ``core_inside_hedged_book`` gives the same statistics of the core's P&L inside the hedged book
    (labelled: not a book anyone could hold). Monthly returns are month sums of daily P&L in % of the
    initial capital (fixed); the engine's financing leg is counted in both books. Figures are means
    over paths (a historical run has one). Cost of protection = hedge cost (bp/month, the run's basis)
    per percentage point of reduction of the maximum drawdown or of the 95% expected shortfall; "n/a"
    when the hedge did not reduce it.
    """
    cap = hc.initial_capital
    core, hedged = core_and_hedged_usd(hc)
    months, _, counts = month_bounds(hc.dates)
    mc = _monthly_returns(core, hc.dates, cap)
    mh = _monthly_returns(hedged, hc.dates, cap)
    n_m = mc.shape[0]

    def stats(m: np.ndarray, daily: np.ndarray) -> dict:
        return {
            "monthly_vol_pct": float(np.mean(np.std(m, axis=0, ddof=1))) if n_m > 1 else None,
            "worst_month_pct": float(np.mean(m.min(axis=0))),
            "es95_monthly_pct": float(np.mean(expected_shortfall(m))),
            "max_drawdown_pct": float(np.mean(_max_drawdown_pct(daily, cap))),
            "mean_month_pct": float(np.mean(m.mean(axis=0))),
        }

    a, b = stats(mc, core), stats(mh, hedged)
    cost_m = float(hc.path_sums_bp()[1].sum(axis=-1).mean() / hc.n_months)
    dd_red = b["max_drawdown_pct"] - a["max_drawdown_pct"]  # drawdowns are negative: > 0 = reduced
    es_red = b["es95_monthly_pct"] - a["es95_monthly_pct"]
    out: dict = {
        "unit": "% of the initial capital; monthly = calendar-month sums"
        + ("; mean over paths" if hc.n_paths > 1 else ""),
        "n_months": int(n_m),
        "n_paths": hc.n_paths,
        "core_book": hc.core_book,
        "core_definition": CORE_BOOKS[hc.core_book],
        "core_alone": a,
        "core_plus_layers": b,
        "max_drawdown_reduction_pp": dd_red,
        "es95_reduction_pp": es_red,
        "hedge_cost_bp_per_month": cost_m,
        "cost_bp_per_month_per_pp_drawdown_reduction": cost_m / dd_red if dd_red > 0 else None,
        "cost_bp_per_month_per_pp_es95_reduction": cost_m / es_red if es_red > 0 else None,
    }
    # the same on each book's own NAV: the fixed basis above credits the hedge with the smaller book its cost
    # leaves (a smaller book has smaller dollar tails); returns on each book's NAV take the size out
    own: dict[str, dict[str, float | None]] = {}
    tails: dict[str, tuple[float, float]] = {}
    for key, daily in (("core_alone", core), ("core_plus_layers", hedged)):
        m = monthly_returns_on_own_nav(daily, hc.dates, cap)
        tails[key] = (float(np.mean(m.min(axis=0))), float(np.mean(expected_shortfall(m))))
        own[key] = {
            "monthly_vol_pct": float(np.mean(np.std(m, axis=0, ddof=1))) if n_m > 1 else None,
            "worst_month_pct": tails[key][0],
            "es95_monthly_pct": tails[key][1],
            "mean_month_pct": float(np.mean(m.mean(axis=0))),
        }
    es_own = tails["core_plus_layers"][1] - tails["core_alone"][1]
    out["on_own_nav"] = {
        "unit": "% of each book's own NAV at the previous month-end (returns: each book at its own size); "
        "max drawdown is from each book's own peak in both bases",
        **own,
        "es95_reduction_pp": es_own,
        "worst_month_reduction_pp": tails["core_plus_layers"][0] - tails["core_alone"][0],
        # the hedge cost stays in bp of the run's basis: what the layers cost per pp of return-tail reduction
        "cost_bp_per_month_per_pp_es95_reduction": cost_m / es_own if es_own > 0 else None,
        "final_nav_usd": {
            "core_alone": float(np.mean(cap + core.sum(axis=0))),
            "core_plus_layers": float(np.mean(cap + hedged.sum(axis=0))),
        },
    }
    if hc.core_alone_usd is not None:
        inside = hc.core_total_usd + hc.other_usd
        out["core_inside_hedged_book"] = {
            "label": CORE_BOOKS["inside"] + "; for comparison only",
            **stats(_monthly_returns(inside, hc.dates, cap), inside),
        }
    # the layers' P&L in the core's ten worst months (path 0), full months only
    full = counts >= 15
    lay_m = _monthly_returns(hc.total_usd.sum(axis=-1), hc.dates, cap)[:, 0] * 100.0  # bp
    core_m = mc[:, 0] * 100.0
    idx = np.flatnonzero(full)
    worst = idx[np.argsort(core_m[idx])[:N_WORST]]
    out["core_worst_months"] = [
        {"month": str(months[i]), "core_bp": float(core_m[i]), "layers_bp": float(lay_m[i])} for i in worst
    ]
    out["layers_bp_in_core_worst_months_total"] = float(lay_m[worst].sum()) if worst.size else None
    out["core_bp_in_core_worst_months_total"] = float(core_m[worst].sum()) if worst.size else None
    return out


# ====================================================================== intervals
def block_bootstrap_indices(
    n: int, *, block: int = BLOCK_MONTHS, n_boot: int = N_BOOT, seed: int = BOOT_SEED
) -> np.ndarray | None:
    """The resampled rows ``(n_boot, n)`` of :func:`block_bootstrap_mean`'s circular moving-block bootstrap
    (for a statistic other than the mean of the same months); None for fewer than two blocks of data."""
    L = max(1, int(block))
    if n < max(2, 2 * L):  # fewer than two blocks: the resamples cannot vary enough to say anything
        return None
    k = -(-n // L)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    start = rng.integers(0, n, size=(n_boot, k))
    # rows = start + (0..L-1), wrapped: < 2n (start < n, L <= n), so ``% n`` is one subtraction where >= n;
    # written in place into one (n_boot, k, L) array (the same indices as the broadcast + np.where)
    rows = np.empty((n_boot, k, L), dtype=start.dtype)
    for j in range(L):
        np.add(start, j, out=rows[:, :, j])
    np.subtract(rows, n, out=rows, where=rows >= n)
    return rows.reshape(n_boot, -1)[:, :n]


def block_bootstrap_mean(
    x: np.ndarray, *, block: int = BLOCK_MONTHS, n_boot: int = N_BOOT, seed: int = BOOT_SEED, level: float = 0.95
) -> tuple[float, float, float]:
    """Mean and a percentile interval from a circular moving-block bootstrap of a monthly series.

    Blocks of ``block`` consecutive months (wrapping around) are drawn with replacement until
    the series' length; one ``numpy.random.Generator`` from ``SeedSequence(seed)``.
    Returns ``(mean, lo, hi)``; NaN interval (reported "n/a") for fewer than two blocks of data.
    """
    x = np.asarray(x, dtype=float)
    n = x.size
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(x.mean())
    idx = block_bootstrap_indices(n, block=block, n_boot=n_boot, seed=seed)
    if idx is None:
        return m, float("nan"), float("nan")
    means = x[idx].mean(axis=1)
    a = (1.0 - level) / 2.0
    lo, hi = np.quantile(means, [a, 1.0 - a])
    return m, float(lo), float(hi)


def cluster_bootstrap_mean(
    values: np.ndarray, clusters: np.ndarray, *, n_boot: int = N_BOOT, seed: int = BOOT_SEED, level: float = 0.95
) -> tuple[float, float, float]:
    """Mean over days and a percentile interval resampling whole clusters (months) with replacement.

    ``mean_b = sum of the drawn months' sums / sum of their day counts``: within-month dependence
    is kept; months are treated as independent. NaN interval with fewer than 2 clusters.
    """
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return float("nan"), float("nan"), float("nan")
    codes, inv = np.unique(np.asarray(clusters), return_inverse=True)
    s = np.bincount(inv, weights=v)
    c = np.bincount(inv).astype(float)
    m = float(v.mean())
    if codes.size < 2:
        return m, float("nan"), float("nan")
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    idx = rng.integers(0, codes.size, size=(n_boot, codes.size))
    means = s[idx].sum(axis=1) / c[idx].sum(axis=1)
    a = (1.0 - level) / 2.0
    lo, hi = np.quantile(means, [a, 1.0 - a])
    return m, float(lo), float(hi)


def seed_claim_test(
    hc: HedgeCost, contango: pd.Series, *, threshold: float = 0.8, min_days: int = 15, path: int = 0
) -> dict:
    """The seed's 18-35 bp/month claim on the hedge cost of all layers, with a 95% interval.

    Observations: the run's full months (>= ``min_days`` trading days) whose contango share
    (front VX > VIX) is at least ``threshold``; each month's hedge cost in bp of the basis.
    Interval: circular moving-block bootstrap over those months in calendar order (blocks of
    :data:`BLOCK_MONTHS`, :data:`N_BOOT` resamples, seed :data:`BOOT_SEED`).
    """
    if not 0.0 < threshold <= 1.0:
        raise InputError(f"threshold {threshold}", argument="threshold", expected="0 < threshold <= 1")
    months, sums, counts = hc.monthly()
    share = contango.reindex(months)
    covered = share.notna().to_numpy()
    full = counts >= min_days
    total = sums[-1, :, path, -1]
    lo_c, hi_c = SEED_CLAIM_BP_PER_MONTH
    out: dict = {
        "claim_bp_per_month": [lo_c, hi_c],
        "definition": (
            f"months with >= {min_days} trading days and >= {threshold:.0%} of them with front VX "
            "> VIX; hedge cost of all layers, bp of the " + hc.basis_label + " per month"
        ),
        "interval": f"95% circular moving-block bootstrap by month (block {BLOCK_MONTHS}, {N_BOOT} resamples, "
        f"seed {BOOT_SEED})",
    }
    for name, mask in (
        ("contango_heavy", covered & full & (share.fillna(0).to_numpy() >= threshold)),
        ("other_months", covered & full & (share.fillna(1).to_numpy() < threshold)),
        ("all_months", full),
    ):
        m, lo, hi = block_bootstrap_mean(total[mask])
        out[name] = {
            "n_months": int(mask.sum()),
            "mean": _nan_none(m),
            "ci95": [_nan_none(lo), _nan_none(hi)],
            "median": _nan_none(np.median(total[mask]) if mask.any() else np.nan),
        }
    ch = out["contango_heavy"]
    lo, hi = ch["ci95"]
    if lo is None or hi is None:
        verdict = f"n/a: {ch['n_months']} contango-heavy months, too few for an interval"
    elif hi < lo_c:
        verdict = f"below the claim: the interval {lo:.1f}..{hi:.1f} lies under {lo_c:g}-{hi_c:g}"
    elif lo > hi_c:
        verdict = f"above the claim: the interval {lo:.1f}..{hi:.1f} lies over {lo_c:g}-{hi_c:g}"
    elif lo >= lo_c and hi <= hi_c:
        verdict = f"consistent: the interval {lo:.1f}..{hi:.1f} lies inside {lo_c:g}-{hi_c:g}"
    else:
        verdict = f"not rejected: the interval {lo:.1f}..{hi:.1f} overlaps {lo_c:g}-{hi_c:g}"
    out["verdict"] = verdict
    return out


def regime_cost_table(daily_bp: pd.Series, labels: pd.DataFrame) -> pd.DataFrame:
    """Hedge cost by regime label: mean bp/day with n_days, n_months and a 95% interval.

    The interval is a month-cluster bootstrap: the run's calendar months are drawn with replacement
    (one draw shared by every row, :data:`N_BOOT` resamples, seed :data:`BOOT_SEED`), and each
    resample's row mean is the drawn months' sum of the label's days' cost over their count of such
    days (resamples holding none of the label's days are skipped); "n/a" with fewer than 2 months.
    ``bp_per_month_equiv`` and its interval are the daily figures x 21. Rows with fewer than
    :data:`MIN_REGIME_MONTHS` months or :data:`MIN_REGIME_DAYS` days are marked ``small_sample``.
    Undefined labels are the row "n/a"; a label with no day has no row.
    """
    cols = [
        "n_days",
        "n_months",
        "share_of_days",
        "mean_daily_bp",
        "ci95_lo_daily_bp",
        "ci95_hi_daily_bp",
        "bp_per_month_equiv",
        "ci95_lo_month_equiv",
        "ci95_hi_month_equiv",
        "small_sample",
    ]
    if labels.shape[1] == 0 or len(daily_bp) == 0:
        return pd.DataFrame(columns=cols, index=pd.MultiIndex.from_tuples([], names=["regime", "label"]))
    x = daily_bp.to_numpy(dtype=float)
    if not np.isfinite(x).all():
        raise InputError("non-finite daily hedge cost", argument="daily_bp", expected="finite bp on every day")
    month = np.asarray(daily_bp.index.to_period("M").astype(str))
    codes, m_of_day = np.unique(month, return_inverse=True)
    n_m = codes.size
    keys: list[tuple[str, str]] = []
    masks = []
    same_days = labels.index.equals(daily_bp.index)
    for reg in labels.columns:
        lab = labels[reg] if same_days else labels[reg].reindex(daily_bp.index)
        for value, m in sorted(label_groups(lab), key=lambda g: str(g[0])):
            keys.append((str(reg), str(value)))
            masks.append(m)
    if not keys:
        return pd.DataFrame(columns=cols, index=pd.MultiIndex.from_tuples([], names=["regime", "label"]))
    mask = np.stack(masks, axis=1)  # (days, rows)
    # per month and row: the sum of the label's days' cost and their count
    # (bincount adds in day order from 0, as np.add.at did: the same sums, a fraction of the time)
    s_m = np.stack([np.bincount(m_of_day, weights=mask[:, k] * x, minlength=n_m) for k in range(len(keys))], axis=1)
    c_m = np.stack([np.bincount(m_of_day, weights=mask[:, k], minlength=n_m) for k in range(len(keys))], axis=1)
    # month-cluster bootstrap, one draw of months for every row: W[b, m] = times month m is drawn
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(BOOT_SEED)))
    draws = rng.integers(0, n_m, size=(N_BOOT, n_m))
    cells = (np.arange(N_BOOT)[:, None] * n_m + draws).ravel()
    W = np.bincount(cells, minlength=N_BOOT * n_m).reshape(N_BOOT, n_m).astype(float)
    num, den = one_thread_matmul(W, s_m), one_thread_matmul(W, c_m)  # no BLAS thread left spinning
    with np.errstate(divide="ignore", invalid="ignore"):
        boot = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    rows = {}
    for k, key in enumerate(keys):
        n = int(mask[:, k].sum())
        nm = int((c_m[:, k] > 0).sum())
        mean = float(x[mask[:, k]].mean())
        b = boot[:, k][np.isfinite(boot[:, k])]
        lo, hi = np.quantile(b, [0.025, 0.975]) if nm >= 2 and b.size else (np.nan, np.nan)
        rows[key] = [
            n,
            nm,
            n / len(x),
            mean,
            float(lo),
            float(hi),
            mean * TRADING_DAYS_PER_MONTH,
            float(lo) * TRADING_DAYS_PER_MONTH,
            float(hi) * TRADING_DAYS_PER_MONTH,
            nm < MIN_REGIME_MONTHS or n < MIN_REGIME_DAYS,
        ]
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=cols)
    frame.index = pd.MultiIndex.from_tuples(frame.index, names=["regime", "label"])
    return frame


# ====================================================================== tables and summary
def monthly_table(hc: HedgeCost, contango: pd.Series | None = None) -> pd.DataFrame:
    """Per calendar month and layer ("all" = every layer): n_days, each term's cost and the total
    in bp of the basis (mean over paths), and contango_share where given (NaN outside its months)."""
    months, sums, counts = hc.monthly()
    names = list(hc.layers) + ["all"]
    mean = sums.mean(axis=2)
    rows: dict[str, object] = {
        "month": np.repeat(np.asarray(months.astype(str)), len(names)),
        "layer": np.tile(names, len(months)),
        "instrument": np.tile(
            [
                hc.instruments.get(n, "all") if n != "all" else "+".join(sorted(set(hc.instruments.values())))
                for n in names
            ],
            len(months),
        ),
        "n_days": np.repeat(counts, len(names)),
        "basis": hc.basis_label,
    }
    for j, term in enumerate(TERMS + ("total",)):
        rows[f"{term}_bp"] = mean[j].reshape(-1)
    table = pd.DataFrame(rows)
    if contango is not None:
        share = contango.reindex(months)
        table["contango_share"] = np.repeat(share.to_numpy(dtype=float), len(names))
    return table


def hedge_cost_summary(hc: HedgeCost) -> dict:
    """Headline: hedge cost per layer and in total, bp of the basis per month (run total over the
    calendar months spanned, mean over paths), with its decomposition; JSON-ready."""
    n_m = hc.n_months
    terms_pp, total_pp = hc.path_sums_bp()
    per_term = terms_pp.mean(axis=1)  # (terms, layers)
    total = total_pp.mean(axis=0)
    usd = -hc.total_usd.sum(axis=0).mean(axis=0)
    return {
        "definition": "minus the layers' total P&L (marks + costs + their cash interest); positive = the hedge "
        "cost money",
        "basis": hc.basis_label,
        "basis_key": hc.basis,
        "unit": f"bp of the {hc.basis_label} per month (run total / calendar months spanned)",
        "n_months": n_m,
        "n_paths": hc.n_paths,
        "instruments": dict(hc.instruments),
        "total_bp_per_month": float(total.sum() / n_m),
        "total_usd": float(usd.sum()),
        "split_bp_per_month": {t: float(per_term[j].sum() / n_m) for j, t in enumerate(TERMS)},
        "per_layer_bp_per_month": {layer: float(total[i] / n_m) for i, layer in enumerate(hc.layers)},
        "per_layer_usd": {layer: float(usd[i]) for i, layer in enumerate(hc.layers)},
        "per_layer_split_bp_per_month": {
            layer: {t: float(per_term[j, i] / n_m) for j, t in enumerate(TERMS)} for i, layer in enumerate(hc.layers)
        },
        "decomposition_max_error_bp": hc.decomposition_error_bp(),
        "month_sample": MONTH_SAMPLE,
        "ci95": _headline_ci(hc),
        "interval": (
            f"95% circular moving-block bootstrap of the {n_m} monthly costs (block {BLOCK_MONTHS}, {N_BOOT} "
            f"resamples, seed {BOOT_SEED}); the same interval as alvh sweep's"
            if hc.n_paths == 1
            else "n/a over several paths: see the per-path distribution"
        ),
        "split_labels": dict(TERM_LABELS),
    }


def _headline_ci(hc: HedgeCost) -> list[float | None]:
    """The headline's 95% interval: the month-block bootstrap of the run's monthly costs of all layers (every
    calendar month spanned, a partial first or last month included: their mean is the headline); one path only."""
    if hc.n_paths != 1:
        return [None, None]
    _, sums, _ = hc.monthly()
    _, lo, hi = block_bootstrap_mean(sums[-1, :, 0, -1])
    return [_nan_none(lo), _nan_none(hi)]


def _nan_none(x: object) -> float | None:
    if x is None:
        return None
    f = float(x)  # type: ignore[arg-type]
    return f if math.isfinite(f) else None
