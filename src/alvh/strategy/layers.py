"""Hedge layers as data: bucket contract choice, roll triggers, adaptive weights, constant maturity.

Everything here is computed once per run on the contract calendar (path-invariant:
all paths share the same listed contracts and expiries), or vectorized over paths.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from alvh.config import Adaptive, Layer
from alvh.strategy.kernels import strike_for_delta


@dataclass(frozen=True)
class BucketPlan:
    """Per day, the contract a layer rolls into, and whether it came from inside the bucket.

    ``contract`` (n_days,) int: column index into the VX contracts, -1 if nothing is listed;
    ``in_bucket`` (n_days,) bool: False where no listed contract fills the bucket and the
    nearest one above it was used instead (a counted ``bucket_unfilled`` event).
    """

    contract: np.ndarray
    in_bucket: np.ndarray


def bucket_plan(layer: Layer, dte: np.ndarray, listed: np.ndarray) -> BucketPlan:
    """Contract to roll into on each day.

    ``far_end`` (default): the listed contract with the largest DTE inside
    ``[min_dte, max_dte]`` (the time-shifting rule: enter at the far end, hold while it
    ages through the bucket); ``near_end``: the smallest DTE inside. A contract expiring
    today (DTE 0) is never entered. If none is inside, the listed contract with the smallest
    DTE above ``max_dte`` (the nearest that keeps the layer's maturity), flagged.

    Parameters
    ----------
    dte : (n_days, n_contracts) calendar days; listed : (n_days, n_contracts) bool, a price exists.
    """
    ok = listed & (dte > 0)
    inside = ok & (dte >= layer.min_dte) & (dte <= layer.max_dte)
    big = np.iinfo(np.int64).max // 4
    if layer.roll.into == "far_end":
        score = np.where(inside, dte, -1)
        best = np.argmax(score, axis=1)
    else:
        score = np.where(inside, dte, big)
        best = np.argmin(score, axis=1)
    has_inside = inside.any(axis=1)
    above = ok & (dte > layer.max_dte)
    nearest_above = np.argmin(np.where(above, dte, big), axis=1)
    has_above = above.any(axis=1)
    contract = np.where(has_inside, best, np.where(has_above, nearest_above, -1))
    return BucketPlan(contract=contract.astype(np.int64), in_bucket=np.asarray(has_inside))


def adaptive_total_weight(
    adaptive: Adaptive,
    level: np.ndarray | None = None,
    contango: np.ndarray | None = None,
    *,
    upper: np.ndarray | None = None,
    weight: np.ndarray | None = None,
) -> np.ndarray:
    """Total hedge weight from the schedule, elementwise over ``level`` (or regime labels).

    Level basis: the weight of the first step whose ``upper`` is at or above the level
    (``upper`` inclusive, as VXTH: "0% at or below 15"); the last step is open-ended.
    NaN levels give NaN (the engine then keeps the previous weight and counts an event).
    ``upper`` (P, n_steps - 1) and ``weight`` (P, n_steps): the schedule's numbers per path (a sweep's
    variants, :class:`alvh.strategy.axis.RuleAxis`) for a ``level`` or ``contango`` of shape (P,).
    """
    if weight is not None:
        return _per_path_weight(adaptive, weight, upper, level, contango)
    if adaptive.basis == "regime":
        by = {s.label: s.weight for s in adaptive.schedule}
        c = np.asarray(contango)
        out = np.where(c, by.get("contango", np.nan), by.get("backwardation", np.nan))
        return out.astype(float)
    lv = np.asarray(level, dtype=float)
    uppers = np.array([s.upper for s in adaptive.schedule[:-1]], dtype=float)
    weights = np.array([s.weight for s in adaptive.schedule], dtype=float)
    idx = np.searchsorted(uppers, np.where(np.isfinite(lv), lv, 0.0), side="left")
    return np.where(np.isfinite(lv), weights[idx], np.nan)


def _per_path_weight(
    adaptive: Adaptive,
    weight: np.ndarray,
    upper: np.ndarray | None,
    level: np.ndarray | None,
    contango: np.ndarray | None,
) -> np.ndarray:
    """:func:`adaptive_total_weight` with a schedule per path: the same step is chosen (the count of
    uppers below the level is what ``searchsorted(side="left")`` returns) and its weight read."""
    if adaptive.basis == "regime":
        labels = [s.label for s in adaptive.schedule]
        nan = np.full(weight.shape[0], np.nan)
        pick = {lab: weight[:, labels.index(lab)] if lab in labels else nan for lab in ("contango", "backwardation")}
        return np.where(np.asarray(contango), pick["contango"], pick["backwardation"]).astype(float)
    lv = np.asarray(level, dtype=float)
    ok = np.isfinite(lv)
    up = np.empty((weight.shape[0], 0)) if upper is None else upper
    idx = (up < np.where(ok, lv, 0.0)[:, None]).sum(axis=1)
    return np.where(ok, np.take_along_axis(weight, idx[:, None], axis=1)[:, 0], np.nan)


#: Constant-maturity schedules and how many contracts each holds at once.
CM_SLOTS: dict[str, int] = {"sp_roll": 2, "calendar": 2, "sp_mid_term": 4}


def cm_weights(
    dte: np.ndarray, listed: np.ndarray, roll_days: np.ndarray, n_days: int, target_days: int, schedule: str
) -> tuple[np.ndarray, np.ndarray]:
    """Contracts and weights of the constant-maturity mix for each day.

    Returns ``(contracts (n_days, k) int, weights (n_days, k) float)`` with ``k = CM_SLOTS[schedule]``;
    weights are unit weights (S&P's CRW): the position holds contracts in proportion to them, so their
    scale does not change the mix's return.

    ``roll_days`` (length ``n_contracts + 1``): ``b_k``, the trading day (index into the run's days, may be
    negative or ``>= n_days``) before each contract's expiry, after ``b_{-1}`` for the expiry preceding the
    first contract (:func:`alvh.engine.prepare.prepare` counts them on the NYSE calendar outside the run),
    so the roll period that contains the run's first day is entered on that day and the last period runs
    to its true end (not cut at the run's end).

    ``sp_roll`` (S&P VIX Futures Indices methodology, short-term index): on day ``t`` in the roll period
    ``[b_{k-1}, b_k)`` the first month is the contract expiring at ``E_k``, the second ``E_{k+1}``,
    ``CRW1 = dr/dt`` with ``dt = b_k - b_{k-1}`` and ``dr = b_k - t`` trading days, ``CRW2 = 1 - CRW1``.
    For target_days other than 30 the pair is shifted by ``round(target_days/30) - 1`` months.
    ``sp_mid_term`` (S&P 500 VIX Mid-Term Futures Index): the 4th to 7th months ``E_{k+3} .. E_{k+6}``
    with ``CRW4 = dr/dt``, ``CRW5 = CRW6 = 1``, ``CRW7 = 1 - dr/dt`` (rolling from the 4th month into
    the 7th while holding the 5th and 6th; target_days is not read). ``calendar``: the pair bracketing
    ``target_days`` with ``w1 = (tau2 - target)/(tau2 - tau1)``.
    """
    n_c = dte.shape[1]
    k_slots = CM_SLOTS[schedule]
    pair = np.full((n_days, k_slots), -1, dtype=np.int64)
    w = np.zeros((n_days, k_slots))
    if schedule == "calendar":
        ok = listed & (dte > 0)
        below = ok & (dte <= target_days)
        above = ok & (dte > target_days)
        big = 10**9
        c1 = np.argmax(np.where(below, dte, -1), axis=1)
        c2 = np.argmin(np.where(above, dte, big), axis=1)
        has = below.any(axis=1) & above.any(axis=1)
        rows = np.arange(n_days)
        t1 = dte[rows, c1].astype(float)
        t2 = dte[rows, c2].astype(float)
        w1 = np.where(has, (t2 - target_days) / np.where(has, t2 - t1, 1.0), np.nan)
        pair[:, 0] = np.where(has, c1, -1)
        pair[:, 1] = np.where(has, c2, -1)
        w[:, 0] = w1
        w[:, 1] = 1.0 - w1
        return pair, w
    b = np.asarray(roll_days, dtype=np.int64)
    t = np.arange(n_days)
    k = np.searchsorted(b, t, side="right")  # b[k-1] <= t < b[k]: contract k-1 (the front) ends the period
    ok = (k >= 1) & (k < b.size)
    kk = np.where(ok, k, 1)
    dt = (b[kk] - b[kk - 1]).astype(float)
    frac = np.where(ok, (b[kk] - t) / dt, np.nan)  # dr / dt
    cols: tuple[np.ndarray, ...]
    weights: tuple[np.ndarray, ...]
    if schedule == "sp_roll":
        first = kk - 1 + max(int(round(target_days / 30.0)) - 1, 0)
        cols = (first, first + 1)
        weights = (frac, 1.0 - frac)
    else:  # sp_mid_term: months 4..7
        first = kk - 1 + 3
        cols = (first, first + 1, first + 2, first + 3)
        weights = (frac, np.ones(n_days), np.ones(n_days), 1.0 - frac)
    ok &= cols[-1] < n_c
    for i, (c, wi) in enumerate(zip(cols, weights, strict=True)):
        pair[:, i] = np.where(ok, c, -1)
        w[:, i] = np.where(ok, wi, 0.0)
    return pair, w


def round_contracts(target: np.ndarray, mode: str) -> np.ndarray:
    """Hedge contracts: ``"whole"`` = floor (never above the weight), ``"nearest"`` = round half up (the layer's
    weight is hit on average, not under-shot by half a contract), ``"fractional"`` = exact."""
    if mode == "whole":
        return np.floor(target)
    if mode == "nearest":
        return np.floor(target + 0.5)
    return target


def sizing_unit(
    layer: Layer, mult: float, f: np.ndarray, price: np.ndarray, delta: np.ndarray, sens: np.ndarray | float
) -> np.ndarray:
    """Dollars of the layer's sizing basis per contract: premium ``mult x price`` (options; a spread's net
    premium), effective vega ``mult x F x delta x dF/dVIX`` (a spread's net delta), else notional ``mult x F``;
    contracts = weight x capital / unit."""
    if layer.sizing == "premium" and layer.is_option:
        return mult * price
    if layer.sizing == "effective_vega":
        return mult * f * delta * sens
    return mult * f


def extrinsic_value(
    price: np.ndarray,
    f: np.ndarray,
    strike: np.ndarray,
    rate: float | np.ndarray,
    t: np.ndarray | float,
    is_call: bool | np.ndarray = True,
) -> np.ndarray:
    """A VIX option's price less its discounted intrinsic value (``max(F - K, 0)`` calls, ``max(K - F, 0)``
    puts, times ``exp(-r t)``), points."""
    intrinsic = np.where(is_call, np.maximum(f - strike, 0.0), np.maximum(strike - f, 0.0))
    return price - intrinsic * np.exp(-rate * t)


#: Why a layer rolls, in the order of their int8 code in the ledger ("" = not a roll trade). ``flat``: the layer
#: held nothing (never entered, sized to zero contracts before, or had no price); ``expired``: its contract settled.
ROLL_REASONS: tuple[str, ...] = ("", "dte", "expired", "extrinsic", "rolldown", "flat")
_RR = {r: np.int8(i) for i, r in enumerate(ROLL_REASONS)}


def roll_reasons(
    layer: Layer,
    held: np.ndarray,
    settled: np.ndarray,
    dte: np.ndarray,
    extrinsic: np.ndarray | None,
    entry_extrinsic: np.ndarray,
    rolldown: np.ndarray | None,
) -> np.ndarray:
    """Why the layer rolls today on each path (codes of :data:`ROLL_REASONS`; 0 = it does not roll).

    In order of precedence: not held (``expired`` where its last contract settled (``settled``); ``flat``
    otherwise: never entered, sized to zero, or no price), DTE below ``min_dte`` (the contract left the
    bucket: ``dte``), (options) extrinsic value below ``roll.extrinsic_below`` x its value at entry
    (``extrinsic``), the last day's roll-down (the future's drop along yesterday's unchanged curve, a
    fraction of its price) above ``roll.rolldown_above`` (``rolldown``).
    """
    code = np.zeros(held.shape, dtype=np.int8)
    if layer.roll.rolldown_above is not None and rolldown is not None:
        code = np.where(held & (rolldown > layer.roll.rolldown_above), _RR["rolldown"], code)
    if layer.roll.extrinsic_below is not None and extrinsic is not None:
        code = np.where(held & (extrinsic < layer.roll.extrinsic_below * entry_extrinsic), _RR["extrinsic"], code)
    code = np.where(held & (dte < layer.min_dte), _RR["dte"], code)
    code = np.where(~held, np.where(settled, _RR["expired"], _RR["flat"]), code)
    return code.astype(np.int8)


def roll_mask(
    layer: Layer, held: np.ndarray, dte: np.ndarray, extrinsic: np.ndarray | None, entry_extrinsic: np.ndarray
) -> np.ndarray:
    """Paths where the layer rolls today: flat, its contract's DTE below ``min_dte`` (or settled), or (options)
    extrinsic value below ``roll.extrinsic_below`` x the extrinsic value at entry (:func:`roll_reasons` without
    the roll-down trigger, as a mask)."""
    return roll_reasons(layer, held, ~held, dte, extrinsic, entry_extrinsic, None) != 0


def _round_strike(k: np.ndarray, inc: float) -> np.ndarray:
    return np.maximum(np.round(k / inc) * inc, inc)


def option_strike(layer: Layer, f: np.ndarray, t: float, vol_of: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Strike of a new VIX call or put (a spread's long leg): ``round(moneyness x F / inc) x inc`` or the Black-76
    forward-delta strike on the smile (``vol_of(K)``: four fixed-point steps ``K <- K(delta, sigma(K))``), at least
    one increment."""
    call = layer.is_call
    mode = layer.call_strike_mode if call else layer.put_strike_mode
    inc = layer.call_strike_increment if call else layer.put_strike_increment
    if mode == "moneyness":
        return _round_strike((layer.call_moneyness if call else layer.put_moneyness) * f, inc)
    delta = layer.call_delta if call else -layer.put_delta
    return _round_strike(_delta_strike(delta, f, t, vol_of, call), inc)


def spread_short_strike(
    layer: Layer, f: np.ndarray, t: float, vol_of: Callable[[np.ndarray], np.ndarray], k_long: np.ndarray
) -> np.ndarray:
    """Strike of a spread's short leg (``short_moneyness`` / ``short_delta`` in the long leg's mode), rounded; moved
    one increment further out when it rounds onto the long strike; NaN when a put spread has no room below."""
    call = layer.is_call
    mode = layer.call_strike_mode if call else layer.put_strike_mode
    inc = layer.call_strike_increment if call else layer.put_strike_increment
    sm, sd = layer.spread_short()
    raw = sm * f if mode == "moneyness" else _delta_strike(sd if call else -sd, f, t, vol_of, call)
    k = np.round(raw / inc) * inc
    if call:
        return np.maximum(k, k_long + inc)
    k = np.minimum(k, k_long - inc)
    return np.where(k >= inc, k, np.nan)


def _delta_strike(
    delta: float, f: np.ndarray, t: float, vol_of: Callable[[np.ndarray], np.ndarray], call: bool
) -> np.ndarray:
    k = np.asarray(f, dtype=float)
    for _ in range(4):
        k = strike_for_delta(delta, f, t, vol_of(k), 0.0, call)
    return k


def call_strike(layer: Layer, f: np.ndarray, t: float, vol: np.ndarray) -> np.ndarray:
    """Strike of a new VIX call at one vol (no smile): ``round(moneyness x F / inc) x inc`` or the Black-76 delta
    strike, at least one increment."""
    inc = layer.call_strike_increment
    if layer.call_strike_mode == "moneyness":
        k = np.round(layer.call_moneyness * f / inc) * inc
    else:
        k = np.round(strike_for_delta(layer.call_delta, f, t, vol, 0.0, True) / inc) * inc
    return np.maximum(k, inc)


def layer_scale(total: np.ndarray, prev_scale: np.ndarray, base: float | np.ndarray) -> tuple[np.ndarray, int]:
    """Multiplier of every layer's base weight from the schedule's total weight; where the total is NaN
    (level missing) the previous scale is kept (0 before any). Returns (scale, paths with a missing level)."""
    nanm = ~np.isfinite(total)
    n_missing = int(nanm.sum()) if nanm.any() else 0
    if n_missing:
        prev = np.where(np.isfinite(prev_scale), prev_scale * base, 0.0)
        total = np.where(nanm, prev, total)
    b = np.asarray(base, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, total / np.where(b > 0, b, 1.0), 0.0), n_missing
