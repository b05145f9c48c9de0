"""Exact daily P&L attribution of the core and of every hedge layer: the result (:class:`Attribution`) and its
driver (:func:`attribute`). The closed-form kernels are :mod:`alvh.analytics._attribution_kernels`, the
checks of the engine records :mod:`alvh.analytics._attribution_checks`.

One vectorized pass over ``(days, paths, slots)`` of the engine's
:class:`~alvh.engine.records.PositionRecords` (no Python loop over paths or
positions; the day axis is processed in chunks only to bound memory).

Order of revaluation (docs/attribution.md gives every formula)
--------------------------------------------------------------
Each holding period goes from the previous close state
``(U0, sigma0, t0)`` to today's ``(U1, sigma1, t1)``:

1. **time step first**: ``theta = V(U0, sigma0, t1) - V(U0, sigma0, t0)``
   (full revaluation, so the whole decay is here and not in the vega term);
2. greeks are evaluated at the *new* time and the *old* market,
   ``(U0, sigma0, t1)``, and give the Taylor terms of the market move:
   delta, gamma, vega, vanna, volga (vega in vol points);
3. ``residual = (price_now - price_prev) - sum(terms)``: the engine's mark
   change minus everything explained. It holds the Taylor remainder (third and
   higher order), the rate change, and any mark that was not the model price.

So the components sum to the engine's P&L exactly, by construction, on every
day, path and slot.

VX futures: ``carry = F_rolldown - F0`` (the future sliding along yesterday's
unchanged curve to today's DTE) and ``vega = F1 - F_rolldown`` (the curve
move; a VX future's exposure is to volatility); everything else is zero.

VIX options (Black-76 on the future of the same expiry): the future's own
move is split into roll-down ``a = F_rolldown - F0`` and curve move
``b = F1 - F_rolldown``; with greeks at ``(F0, sigma0, t1)``:
``carry = Delta*a + Gamma*a^2/2``, ``vega = Delta*b``,
``volga = Gamma*((a+b)^2 - a^2)/2``, ``vol_of_vol = nu*dsigma + volga_iv*dsigma^2/2``
(the option's own implied vol), ``vanna = vanna_iv*(a+b)*dsigma``.
"vega" and "volga" of VIX products are the first and second order terms in the
volatility factor (the VIX level) so that futures and calls read alike;
"delta" and "gamma" are the SPX-spot terms and are zero for VIX products.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from alvh.analytics._attribution_checks import FLOAT_FIELDS, _validate_cells, _validate_structure, validate_records
from alvh.analytics._attribution_kernels import (
    _PATH_BLOCK,
    _T_SETTLED,
    _VOL_POINTS,
    MARKET_MOVE_TERMS,
    NUMBA_AVAILABLE,
    TERMS,
    _fused_paths_compiled,
    _numba_arg,
    _option_terms,
    _sample_marks_are_model,
)
from alvh.engine.records import InstrumentKind, PositionRecords
from alvh.errors import InputError
from alvh.pricing.backend import resolve_backend
from alvh.pricing.units import BP_PER_UNIT

__all__ = [
    "FINANCING_GROUP",
    "MARKET_MOVE_TERMS",
    "NON_LAYER_GROUPS",
    "NUMBA_AVAILABLE",
    "TERMS",
    "Attribution",
    "attribute",
    "slot_groups",
    "validate_records",
]

#: Group that holds a financing leg passed per (day, path) rather than per group.
FINANCING_GROUP = "financing"
#: Groups that are not hedge layers.
NON_LAYER_GROUPS: tuple[str, ...] = ("core", FINANCING_GROUP)
#: (day, path, slot) cells from which backend="auto" uses the fused numba pass.
_NUMBA_AUTO_CELLS = 200_000
#: Days processed per chunk (bounds temporary memory on 10,000-path runs).
_DAY_CHUNK_DEFAULT = 64
#: ``day_chunk=None``: days per chunk so that a chunk holds about this many (day, path, slot) cells (at least
#: :data:`_DAY_CHUNK_DEFAULT` days): a one-path history is one chunk, not 77 (the per-chunk numpy calls were
#: most of its time); 10,000 paths x 7 slots keep 64-day chunks' memory
_CHUNK_CELLS = 1 << 20


@dataclass(frozen=True)
class Attribution:
    """Daily P&L attribution, per group ("core" and each hedge layer).

    Attributes
    ----------
    terms : tuple of str
        Names of the attribution terms (axis 0 of ``pnl``), see :data:`TERMS`.
    groups : tuple of str
        "core" and the hedge layer names, in the order of first appearance in
        the records' slots (axis 3 of ``pnl``).
    pnl : ndarray, shape (n_terms, n_days, n_paths, n_groups)
        Dollars per term. ``pnl.sum(axis=0) == total`` to rounding (1e-9).
    total : ndarray, shape (n_days, n_paths, n_groups)
        Dollars: the engine's mark-to-market change plus costs plus financing.
    capital : ndarray, shape (n_days, n_paths)
        Dollars; the denominator of each day's basis-point figures (a fixed
        capital, or e.g. the NAV at the previous close, as passed in).
    vega_notional : ndarray, shape (n_days, n_paths, n_groups)
        Dollars per point of each position's own volatility underlying, held
        over the day: SPX options ``q*m*vega`` (per SPX IV point), VX futures
        ``q*m`` (per VX point), VIX options ``q*m*Delta_F`` (per point of the
        future). Evaluated at ``(U0, sigma0, t1)``.
    core_iv_change : ndarray, shape (n_days, n_paths)
        The core's implied-vol change in vol points: the mean of its legs'
        ``100*(vol_now - vol_prev)`` weighted by ``|q*m*vega|``; NaN on days the
        core holds no option (see :func:`alvh.analytics.drag.core_vol_change`).
    meta : dict
        Backend, chunking, how the marks were used.
    path_sums : ndarray or None, shape (n_paths, n_groups, 2, n_terms + 1)
        Per path and group, the dollars (``[..., 0, :]``) and bp of each day's capital
        (``[..., 1, :]``) of every term (and the total, last) summed over days; the numba
        backend fills it in its pass so that :meth:`totals` needs no second pass over ``pnl``.
        None: :meth:`totals` computes from ``pnl``.
    """

    terms: tuple[str, ...]
    groups: tuple[str, ...]
    pnl: np.ndarray
    total: np.ndarray
    capital: np.ndarray
    vega_notional: np.ndarray
    core_iv_change: np.ndarray
    meta: dict = field(default_factory=dict)
    path_sums: np.ndarray | None = field(default=None, repr=False, compare=False)

    def term(self, name: str) -> np.ndarray:
        """Dollars of one term, shape ``(n_days, n_paths, n_groups)``."""
        if name not in self.terms:
            raise InputError(f"unknown attribution term {name!r}", argument="name", expected=f"one of {self.terms}")
        return self.pnl[self.terms.index(name)]

    def group(self, name: str) -> np.ndarray:
        """Dollars of every term for one group, shape ``(n_terms, n_days, n_paths)``."""
        if name not in self.groups:
            raise InputError(f"unknown group {name!r}", argument="name", expected=f"one of {self.groups}")
        return self.pnl[..., self.groups.index(name)]

    def sum_error(self) -> float:
        """Largest ``|sum of terms - total|`` in dollars over all days, paths, groups."""
        return float(np.max(np.abs(self.pnl.sum(axis=0) - self.total), initial=0.0))

    def totals(self, unit: str = "usd") -> pd.DataFrame:
        """Whole-run totals per group and term, averaged over paths.

        Parameters
        ----------
        unit : {"usd", "bp"}
            Dollars, or basis points: the sum over days of each day's dollars
            over that day's capital.

        Returns
        -------
        DataFrame
            Index: groups plus "all"; columns: terms plus "total".
        """
        if unit not in ("usd", "bp"):
            raise InputError(f"unknown unit {unit!r}", argument="unit", expected='"usd" or "bp"')
        if self.path_sums is not None:
            sums = np.moveaxis(self.path_sums[:, :, 0 if unit == "usd" else 1], -1, 0)  # (terms + 1, paths, groups)
            per_path, total = sums[:-1], sums[-1]
        elif unit == "bp":
            inv = BP_PER_UNIT / self.capital[:, :, None]
            # einsum: no (terms, days, paths, groups) temporary
            per_path = np.einsum("tdpg,dp->tpg", self.pnl, inv[..., 0])
            total = np.einsum("dpg,dp->pg", self.total, inv[..., 0])
        else:
            per_path = self.pnl.sum(axis=1)  # (n_terms, n_paths, n_groups)
            total = self.total.sum(axis=0)  # (n_paths, n_groups)
        table = pd.DataFrame(per_path.mean(axis=1).T, index=list(self.groups), columns=list(self.terms))
        table["total"] = total.mean(axis=0)
        table.loc["all"] = table.sum(axis=0)
        table.index.name = "group"
        return table

    def to_frame(self, path: int = 0, dates: pd.DatetimeIndex | None = None) -> pd.DataFrame:
        """Daily dollars of one path in long-wide form: rows (day, group), columns terms + total."""
        n_terms, n_days, n_paths, n_groups = self.pnl.shape
        if not 0 <= path < n_paths:
            raise InputError(f"path {path} out of range", argument="path", expected=f"0 <= path < {n_paths}")
        days = dates if dates is not None else pd.RangeIndex(n_days, name="day")
        if len(days) != n_days:
            raise InputError(f"{len(days)} dates for {n_days} days", argument="dates", expected=f"{n_days} dates")
        index = pd.MultiIndex.from_product(
            [days, list(self.groups)], names=["date" if dates is not None else "day", "group"]
        )
        data = self.pnl[:, :, path, :].reshape(n_terms, n_days * n_groups).T
        frame = pd.DataFrame(data, index=index, columns=list(self.terms))
        frame["total"] = self.total[:, path, :].reshape(-1)
        return frame


def slot_groups(records: PositionRecords) -> tuple[tuple[str, ...], np.ndarray]:
    """Group names (first-appearance order) and each slot's group index."""
    names: list[str] = []
    index = np.empty(len(records.slots.component), dtype=np.intp)
    for i, comp in enumerate(records.slots.component):
        if comp not in names:
            names.append(comp)
        index[i] = names.index(comp)
    return tuple(names), index


def _as_group_array(value: np.ndarray | None, shape: tuple[int, int, int], argument: str) -> np.ndarray:
    if value is None:
        return np.zeros(shape)
    arr = np.asarray(value, dtype=float)
    if arr.shape != shape:
        raise InputError(f"shape {arr.shape}", argument=argument, expected=f"shape {shape} (days, paths, groups)")
    if not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise InputError(
            f"non-finite value at (day, path, group) = {tuple(int(b) for b in bad)}",
            argument=argument,
            expected="finite dollars",
        )
    return arr


def _capital_array(capital: float | np.ndarray, n_days: int, n_paths: int) -> np.ndarray:
    """Capital as (n_days, n_paths) dollars from a scalar, (n_paths,) or (n_days, n_paths)."""
    arr = np.asarray(capital, dtype=float)
    shapes = {0: (), 1: (n_paths,), 2: (n_days, n_paths)}
    if arr.ndim not in shapes or arr.shape != shapes[arr.ndim] or not (np.isfinite(arr).all() and (arr > 0).all()):
        raise InputError(
            f"capital of shape {arr.shape} with values {arr.ravel()[:3]}...",
            argument="capital",
            expected=f"positive finite dollars: scalar, shape ({n_paths},) or ({n_days}, {n_paths})",
        )
    return np.broadcast_to(arr, (n_days, n_paths)).copy()


def attribute(  # noqa: PLR0915 - validate, then one pass per chunk of days
    records: PositionRecords,
    *,
    capital: float | np.ndarray,
    cost_pnl: np.ndarray | None = None,
    financing_pnl: np.ndarray | None = None,
    interest_pnl: np.ndarray | None = None,
    group_financing_pnl: np.ndarray | None = None,
    day_chunk: int | None = None,
    validate: bool = True,
    trust_marks: bool = False,
    backend: str = "auto",
) -> Attribution:
    """Attribute every day's P&L of the core and each hedge layer to its sources.

    Parameters
    ----------
    records : PositionRecords
        The engine's per (day, path, slot) holding-period states.
    capital : float or ndarray of shape (n_paths,) or (n_days, n_paths)
        Dollars; each day's basis points are of that day's capital (pass the
        NAV at the previous close when positions are sized on NAV).
    cost_pnl : ndarray of shape (n_days, n_paths, n_groups), optional
        Signed dollar P&L of trading costs per group (negative when paid), from
        the engine's ledger; groups in the order of :func:`slot_groups`.
    financing_pnl : ndarray of shape (n_days, n_paths, n_groups) or (n_days, n_paths), optional
        Signed dollar P&L of financing (negative when interest is paid). A 2-D
        array (the engine's financing leg, not tied to a component) becomes its
        own group named :data:`FINANCING_GROUP`, appended after the slot groups.
    interest_pnl : ndarray of shape (n_days, n_paths, n_groups), optional
        Signed dollars of interest on each group's cash (the engine's ``BacktestResult.interest``): the
        "interest" term (zero in a separate financing group).
    group_financing_pnl : ndarray of shape (n_days, n_paths, n_groups), optional
        With a 2-D ``financing_pnl``: the financing booked to each slot group (the engine's
        ``BacktestResult.hedge_financing``), in that group's "financing" term.
    day_chunk : int, optional
        Days per vectorized chunk (memory bound only; results do not depend on it). None: about
        :data:`_CHUNK_CELLS` (day, path, slot) cells per chunk, at least 64 days.
    validate : bool
        Check shapes and finiteness of held positions first (see :func:`validate_records`).
    trust_marks : bool
        Use the previous mark as ``V(U0, sigma0, t0)`` instead of re-pricing it, for each batch
        whose marks equal the model (within 1e-8 relative) on every held option of a batch of up to
        65,536 (an evenly spaced sample of 65,536 in a larger one); otherwise that batch is
        re-priced. Saves one pricing call per option on engine output (whose marks are the
        model). Exactness of the sum is unaffected either way; only a mark that is not the model
        would move from the residual into theta.
        The numba backend always re-prices (it is cheap there).
    backend : {"auto", "numpy", "numba"}
        "numba": one fused, compiled pass per chunk (parallel over days); "numpy": the array
        path calling alvh.pricing; "auto": numba when installed and the records hold at least
        200,000 (day, path, slot) cells. Both give the same terms (tested to 1e-9).

    Returns
    -------
    Attribution
        Terms in dollars; ``sum over terms == total`` on every day, path and group.

    Notes
    -----
    Order of revaluation and greeks' evaluation point: docs/attribution.md.
    Tested against QuantLib revaluation and finite differences on single
    instruments and against a per-position reference loop (tests/test_attribution.py).
    """
    resolve_backend(backend)  # an unknown name or a missing numba errors before any work
    if validate:
        _validate_structure(records)
    n_days, n_paths, n_slots = np.shape(records.quantity)
    use_numba = resolve_backend(backend, size=n_days * n_paths * n_slots, auto_min_size=_NUMBA_AUTO_CELLS).compiled
    if validate and (not use_numba or np.asarray(records.kind).dtype != np.int8):
        # the numba pass runs the same checks inside, on int8 kinds (other integer kinds are
        # checked here first, so that no code is wrapped into a valid one by the cast)
        _validate_cells(records)
    if day_chunk is None:
        day_chunk = max(_DAY_CHUNK_DEFAULT, _CHUNK_CELLS // max(1, n_paths * n_slots))
    if not isinstance(day_chunk, (int, np.integer)) or day_chunk < 1:
        raise InputError(f"day_chunk {day_chunk!r}", argument="day_chunk", expected="a positive integer")
    groups, group_of_slot = slot_groups(records)
    n_groups = len(groups)
    cap = _capital_array(capital, n_days, n_paths)
    costs = _as_group_array(cost_pnl, (n_days, n_paths, n_groups), "cost_pnl")
    separate_financing = financing_pnl is not None and np.ndim(financing_pnl) == 2
    financing_leg = None
    if separate_financing:
        financing_leg = _as_group_array(
            np.asarray(financing_pnl, dtype=float)[..., None], (n_days, n_paths, 1), "financing_pnl"
        )[..., 0]
        financing = _as_group_array(group_financing_pnl, (n_days, n_paths, n_groups), "group_financing_pnl")
        groups = groups + (FINANCING_GROUP,)
    else:
        if group_financing_pnl is not None:
            raise InputError(
                "group_financing_pnl with a per-group financing_pnl",
                argument="group_financing_pnl",
                expected="a 2-D financing_pnl (the financing leg) beside it, or the two summed in financing_pnl",
            )
        financing = _as_group_array(financing_pnl, (n_days, n_paths, n_groups), "financing_pnl")
    interest = _as_group_array(interest_pnl, (n_days, n_paths, n_groups), "interest_pnl")
    if separate_financing:
        interest = np.concatenate([interest, np.zeros((n_days, n_paths, 1))], axis=-1)
    marks_used = [0, 0]  # batches re-priced, batches that used the marks
    is_core_slot = np.array([c == "core" for c in records.slots.component])
    mult = np.asarray(records.slots.multiplier, dtype=float)
    if use_numba:
        return _with_interest(
            _attribute_numba(
                records,
                groups=groups,
                group_of_slot=group_of_slot,
                is_core_slot=is_core_slot,
                mult=mult,
                cap=cap,
                costs=costs,
                financing=financing,
                financing_leg=financing_leg,
                trust_marks=trust_marks,
                validate=validate,
            ),
            interest,
        )
    if financing_leg is not None:
        # the financing group is one more column holding only the financing leg
        financing = np.concatenate([financing, financing_leg[..., None]], axis=-1)
        costs = np.concatenate([costs, np.zeros((n_days, n_paths, 1))], axis=-1)
        n_groups += 1  # the financing group holds no slot: bincount targets never reach it

    n_terms = len(TERMS)
    pnl = np.zeros((n_terms, n_days, n_paths, n_groups))
    market = np.zeros((n_days, n_paths, n_groups))
    vega_notional = np.zeros((n_days, n_paths, n_groups))
    core_iv_change = np.full((n_days, n_paths), np.nan)
    fields = (
        "strike",
        "is_call",
        "t_prev",
        "t_now",
        "underlying_prev",
        "underlying_now",
        "underlying_rolldown",
        "vol_prev",
        "vol_now",
        "rate_prev",
        "div_prev",
    )
    i_carry, i_vega = TERMS.index("carry"), TERMS.index("vega")

    for start in range(0, n_days, day_chunk):
        stop = min(start + day_chunk, n_days)
        sl = slice(start, stop)
        n_cd = stop - start
        # everything below works on the held positions only, as flat 1-D arrays; the sums per
        # (day, path, group) are one np.bincount each (no dense (terms, days, paths, slots) array)
        kind1d = np.asarray(records.kind[sl]).reshape(-1)
        qty1d = np.asarray(records.quantity[sl], dtype=float).reshape(-1)
        held_idx = np.flatnonzero(qty1d)
        slot_of = held_idx % n_slots
        dp_of = held_idx // n_slots  # flat (day, path) index inside the chunk
        target = dp_of * n_groups + group_of_slot[slot_of]
        n_bins = n_cd * n_paths * n_groups
        qm_h = qty1d[held_idx] * mult[slot_of]
        kind_h = kind1d[held_idx]

        def gather(name: str, idx: np.ndarray, sl: slice = sl) -> np.ndarray:  # bound to this chunk
            return np.asarray(getattr(records, name)[sl]).reshape(-1)[idx]

        # per-group sums accumulate batch by batch (futures, SPX options, VIX options); each term
        # that is structurally zero for a kind is skipped, and no (terms x positions) array is built
        i_res = TERMS.index("residual")
        acc = np.zeros((9, n_bins))  # the 8 model terms and the residual
        market_acc = np.zeros(n_bins)
        notional_acc = np.zeros(n_bins)
        core_w = core_dsig = core_dp = None

        def add(row: np.ndarray, tgt: np.ndarray, weights: np.ndarray, n_bins: int = n_bins) -> None:
            row += np.bincount(tgt, weights=weights, minlength=n_bins)

        fut = np.flatnonzero(kind_h == InstrumentKind.VX_FUTURE)
        if fut.size:
            idx, tgt, q_k = held_idx[fut], target[fut], qm_h[fut]
            up, ur, un, pp, pn = (
                gather(n, idx).astype(float)
                for n in ("underlying_prev", "underlying_rolldown", "underlying_now", "price_prev", "price_now")
            )
            carry_d, vega_d, market_d = (ur - up) * q_k, (un - ur) * q_k, (pn - pp) * q_k
            add(acc[i_carry], tgt, carry_d)
            add(acc[i_vega], tgt, vega_d)
            add(acc[i_res], tgt, market_d - carry_d - vega_d)
            add(market_acc, tgt, market_d)
            add(notional_acc, tgt, q_k)
        for k in (InstrumentKind.SPX_OPTION, InstrumentKind.VIX_OPTION):
            pos = np.flatnonzero(kind_h == k)
            if not pos.size:
                continue
            idx, tgt, q_k = held_idx[pos], target[pos], qm_h[pos]
            flat = {name: gather(name, idx).astype(bool if name == "is_call" else float) for name in fields}
            flat["price_prev"] = gather("price_prev", idx).astype(float)
            terms_k, notional_k, used = _option_terms(k, flat, trust_marks)
            marks_used[used] += 1
            market_d = (gather("price_now", idx).astype(float) - flat["price_prev"]) * q_k
            residual_d = market_d.copy()
            for j, name in enumerate(TERMS[:8]):
                term_pts = terms_k[name]
                if not term_pts.any():
                    continue
                dollars_d = term_pts * q_k
                residual_d -= dollars_d
                add(acc[j], tgt, dollars_d)
            add(acc[i_res], tgt, residual_d)
            add(market_acc, tgt, market_d)
            add(notional_acc, tgt, q_k * notional_k)
            if k == InstrumentKind.SPX_OPTION:
                core = is_core_slot[slot_of[pos]]
                if core.any():
                    core_w = np.abs(q_k[core] * notional_k[core])
                    core_dsig = (flat["vol_now"][core] - flat["vol_prev"][core]) * _VOL_POINTS
                    core_dp = dp_of[pos[core]]

        shape_c = (n_cd, n_paths, n_groups)
        pnl[:8, sl] = acc[:8].reshape((8,) + shape_c)
        pnl[i_res, sl] = acc[8].reshape(shape_c)
        market[sl] = market_acc.reshape(shape_c)
        vega_notional[sl] = notional_acc.reshape(shape_c)

        # core implied-vol change: |q*m*vega|-weighted mean of the core legs' IV changes, in vol points
        if core_w is not None and core_dp is not None and core_dsig is not None:
            wsum = np.bincount(core_dp, weights=core_w, minlength=n_cd * n_paths)
            num = np.bincount(core_dp, weights=core_w * core_dsig, minlength=n_cd * n_paths)
            core_iv_change[sl] = np.where(wsum > 0, num / np.where(wsum > 0, wsum, 1.0), np.nan).reshape(n_cd, n_paths)

    pnl[TERMS.index("costs")] = costs
    pnl[TERMS.index("financing")] = financing
    pnl[TERMS.index("interest")] = interest
    total = market + costs + financing + interest
    # the residual was computed per slot; re-close on the aggregated total so the
    # identity holds to float rounding of the group sums as well
    pnl[TERMS.index("residual")] += total - pnl.sum(axis=0)
    return Attribution(
        terms=TERMS,
        groups=groups,
        pnl=pnl,
        total=total,
        capital=cap,
        vega_notional=vega_notional,
        core_iv_change=core_iv_change,
        meta={
            "revaluation_order": "time, then Taylor at (U0, sigma0, t1), residual last",
            "day_chunk": int(day_chunk),
            "backend": "numpy",
            "option_batches_repriced": marks_used[0],
            "option_batches_using_marks": marks_used[1],
        },
    )


def _with_interest(att: Attribution, interest: np.ndarray) -> Attribution:
    """The compiled pass's result (its "interest" row unwritten, its path sums without it) with the interest
    term added: the term, the total, and the path sums' dollars and bp (the kernel is unchanged)."""
    i = TERMS.index("interest")
    att.pnl[i] = interest
    att.total[...] += interest
    if att.path_sums is not None:
        usd = interest.sum(axis=0)
        bp = np.einsum("dpg,dp->pg", interest, BP_PER_UNIT / att.capital)
        extra = np.stack([usd, bp], axis=2)  # (paths, groups, 2)
        att.path_sums[..., i + 1] = att.path_sums[..., i] + extra  # the total (last), the kernel's index i
        att.path_sums[..., i] = extra
    return att


def _attribute_numba(
    records: PositionRecords,
    *,
    groups: tuple[str, ...],
    group_of_slot: np.ndarray,
    is_core_slot: np.ndarray,
    mult: np.ndarray,
    cap: np.ndarray,
    costs: np.ndarray,
    financing: np.ndarray,
    financing_leg: np.ndarray | None,
    trust_marks: bool,
    validate: bool,
) -> Attribution:
    """:func:`attribute` with ``backend="numba"`` (arguments already checked and converted).

    ``costs`` and ``financing`` are per slot group; a separate financing leg (days, paths) is the
    last group of ``groups`` and is read by the pass directly (no concatenated copies).
    """
    n_days, n_paths, n_slots = np.shape(records.quantity)
    n_groups = len(groups)
    use_marks = np.zeros(4, dtype=np.bool_)
    batches = [0, 0]  # option kinds re-priced, option kinds that used the marks
    if trust_marks:
        for k in (InstrumentKind.SPX_OPTION, InstrumentKind.VIX_OPTION):
            use_marks[int(k)] = bool(_sample_marks_are_model(records, k))
    block = max(1, min(_PATH_BLOCK, -(-n_paths // 8)))
    n_blocks = -(-n_paths // block)
    pnl = np.empty((len(TERMS), n_days, n_paths, n_groups))
    total = np.empty((n_days, n_paths, n_groups))
    notional = np.empty((n_days, n_paths, n_groups))
    core_iv = np.empty((n_days, n_paths))
    # each path's sums together (cache friendly); the kernel writes the terms before "interest" and the total
    # at the interest's index (it predates the term), which _with_interest moves to the end
    path_sums = np.zeros((n_paths, n_groups, 2, len(TERMS) + 1))
    first_bad = np.full(n_blocks, -1, dtype=np.int64)
    held_count = np.zeros((n_blocks, 4), dtype=np.int64)
    _fused_paths_compiled(
        _numba_arg(records, "kind", np.int8),
        _numba_arg(records, "quantity", np.float64),
        _numba_arg(records, "is_call", np.bool_),
        *(_numba_arg(records, name, np.float64) for name in FLOAT_FIELDS),
        mult,
        group_of_slot.astype(np.int64),
        is_core_slot,
        _T_SETTLED,
        use_marks,
        costs,
        financing,
        np.zeros((1, 1)) if financing_leg is None else financing_leg,
        np.ascontiguousarray(cap),
        block,
        pnl,
        total,
        notional,
        core_iv,
        path_sums,
        first_bad,
        held_count,
    )
    if validate and (first_bad >= 0).any():
        _validate_cells(records)  # names the first offending cell
        bad = np.unravel_index(int(first_bad[first_bad >= 0].min()), (n_days, n_paths, n_slots))
        raise InputError(
            f"invalid inputs at (day, path, slot) = {tuple(int(b) for b in bad)}",
            argument="records",
            expected="a known kind, finite inputs, t_prev > 0, t_now >= 0, vol_prev > 0 for held options",
        )
    held = held_count.sum(axis=0)
    for k in (InstrumentKind.SPX_OPTION, InstrumentKind.VIX_OPTION):
        if held[int(k)]:
            batches[int(use_marks[int(k)])] += 1
    return Attribution(
        terms=TERMS,
        groups=groups,
        pnl=pnl,
        total=total,
        capital=cap,
        vega_notional=notional,
        core_iv_change=core_iv,
        path_sums=path_sums,
        meta={
            "revaluation_order": "time, then Taylor at (U0, sigma0, t1), residual last",
            "day_chunk": None,
            "backend": "numba",
            "path_block": int(block),
            "option_batches_repriced": batches[0],
            "option_batches_using_marks": batches[1],
            "held_cells": {k.name: int(held[int(k)]) for k in InstrumentKind if k != InstrumentKind.NONE},
        },
    )
