"""The iron condor core as struct-of-arrays: strike selection, sizing, collateral, break-evens.

Legs are always in the order ``LEG_NAMES``; arrays have shape ``(n_paths, 4)``.
Strikes are rounded to the listed SPX strike increment (5 points by default:
the finest increment Cboe lists across the SPX monthly chain near the money;
far wings may only list 25-point strikes, which the rules file can set).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from alvh.config import Core, Exits
from alvh.strategy.costs import SPX_MULTIPLIER
from alvh.strategy.kernels import bsm_greeks, strike_for_delta_at

LEG_NAMES: tuple[str, ...] = ("long_put", "short_put", "short_call", "long_call")
LEG_SIGN = np.array([1.0, -1.0, -1.0, 1.0])  #: contracts per condor (negative = short)
LEG_IS_CALL = np.array([False, False, True, True])


@dataclass(frozen=True)
class StrikeChoice:
    """Strikes ``(n_paths, 4)`` and a mask of paths where no valid condor exists."""

    strikes: np.ndarray
    invalid: np.ndarray


def _round(k: np.ndarray, inc: float) -> np.ndarray:
    return np.round(k / inc) * inc


def _order(strikes: np.ndarray, inc: float) -> StrikeChoice:
    # After rounding, a wing may land on its short strike: move it one increment out (a listed strike).
    s = strikes.copy()
    s[:, 0] = np.minimum(s[:, 0], s[:, 1] - inc)
    s[:, 3] = np.maximum(s[:, 3], s[:, 2] + inc)
    invalid = ~np.all(np.isfinite(s), axis=1) | (s[:, 1] >= s[:, 2]) | (s[:, 0] <= 0)
    return StrikeChoice(strikes=s, invalid=invalid)


def select_strikes(
    core: Core,
    spot: np.ndarray,
    t: float | np.ndarray,
    rate: np.ndarray,
    iv: Callable[[np.ndarray, Any], np.ndarray],
    n_iter: int = 6,
    deltas: np.ndarray | None = None,
) -> StrikeChoice:
    """Choose the four strikes per path.

    ``strike_mode = "delta"``: the strike whose Black-Scholes delta (forward, undiscounted
    ``N(d1)``) equals the target at the smile vol of that strike, found by fixed-point
    iteration ``K <- K(delta, sigma(ln K/F))`` (converges in a few steps for a smooth smile),
    then rounded to the listed increment. ``"width"``: spot -/+ offsets, wings at fixed width.

    Parameters
    ----------
    spot : (n_paths,) SPX close; t : years to expiry (or one per row, (n_paths,)); rate : (n_paths,) decimal;
    iv : callable ``iv(k, t) -> (n_paths, m)`` implied vol at log-moneyness ``k = ln(K/F)``;
    deltas : optional (n_paths, 4) signed leg deltas per path (a sweep's variants,
    :class:`alvh.strategy.axis.RuleAxis`) replacing the core's four delta keys.
    """
    inc = core.strike_increment
    fwd = spot * np.exp((rate - core.dividend_yield) * t)
    if core.strike_mode == "width":
        sp = _round(spot - core.short_put_offset, inc)
        sc = _round(spot + core.short_call_offset, inc)
        raw = np.stack([sp - core.put_wing_width, sp, sc, sc + core.call_wing_width], axis=1)
        return _order(_round(raw, inc), inc)
    if deltas is None:
        d4 = np.array([-core.long_put_delta, -core.short_put_delta, core.short_call_delta, core.long_call_delta])
        deltas = d4[None, :]
    k = np.broadcast_to(fwd[:, None], (len(spot), 4)).copy()
    # strike_for_delta with its vol-free part (d1) computed once: the same numbers (tests/test_strategy.py)
    t_col = t if np.ndim(t) == 0 else np.asarray(t)[:, None]  # one expiry, or one per row
    strike_at = strike_for_delta_at(deltas, fwd[:, None], t_col, LEG_IS_CALL[None, :])
    for _ in range(n_iter):
        with np.errstate(divide="ignore", invalid="ignore"):
            lk = np.log(k / fwd[:, None])
        k = strike_at(iv(np.where(np.isfinite(lk), lk, 0.0), t))
    return _order(_round(k, inc), inc)


def max_loss_per_condor(strikes: np.ndarray, credit: np.ndarray) -> np.ndarray:
    """Maximum loss in points per condor: the wider wing minus the credit.

    Only one side can finish in the money, so the loss is bounded by the wider of the two
    wings (not the put wing, Lean's open bug #9775), less the credit collected.
    """
    put_w = strikes[:, 1] - strikes[:, 0]
    call_w = strikes[:, 3] - strikes[:, 2]
    return np.maximum(put_w, call_w) - credit


def collateral(strikes: np.ndarray, credit: np.ndarray, condors: np.ndarray, multiplier: float) -> np.ndarray:
    """Defined-risk collateral in dollars: (wider wing - credit) x 100 x condors (0 where flat)."""
    ml = np.where(condors != 0, max_loss_per_condor(strikes, credit), 0.0)
    return np.maximum(ml, 0.0) * multiplier * np.abs(condors)


def break_evens(strikes: np.ndarray, credit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Expiry break-evens in SPX points: short put - credit, short call + credit.

    Where the credit is at least a wing's width that side never loses at expiry (the P&L beyond the
    long strike is ``credit - wing > 0``): its break-even is ``-inf`` (put side) or ``+inf`` (call side).
    The roots of the expiry payoff, as :func:`alvh.analytics.steward.break_even_expansion` finds them.
    """
    put_w = strikes[:, 1] - strikes[:, 0]
    call_w = strikes[:, 3] - strikes[:, 2]
    lo = np.where(credit < put_w, strikes[:, 1] - credit, -np.inf)
    hi = np.where(credit < call_w, strikes[:, 2] + credit, np.inf)
    return lo, hi


def net_credit(prices: np.ndarray) -> np.ndarray:
    """Points per condor received for selling the 4 legs at ``prices`` (P, 4) (= the buy-back cost when held):
    ``short put + short call - long put - long call``."""
    return -(LEG_SIGN[None, :] * prices).sum(axis=1)


def exit_mask(exits: Exits, buyback: np.ndarray, credit: np.ndarray, dte: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Paths whose held condor (``on``) exits today: take profit when ``B <= (1 - tp) credit``, stop when
    ``B >= stop x credit``, close at ``DTE <= N`` (``B`` = buy-back cost in points per condor)."""
    hit = np.zeros(on.shape, dtype=bool)
    if exits.take_profit:
        hit |= buyback <= (1.0 - exits.take_profit) * credit
    if exits.stop_loss:
        hit |= buyback >= exits.stop_loss * credit
    if exits.close_at_dte is not None:
        hit |= dte <= exits.close_at_dte
    return hit & on


def has_exit_rule(exits: Exits) -> bool:
    """Whether any exit rule is set (else a held condor runs to its settlement)."""
    return bool(exits.take_profit or exits.stop_loss or exits.close_at_dte is not None)


def entry_expiry(core: Core, expiries: np.ndarray, today: int) -> int | None:
    """The SPX expiry (days since epoch) a new condor opens on: the next one after today (``third_friday``)
    or the one whose DTE is closest to ``target_dte`` (``target_dte``); None when none is later."""
    later = expiries[expiries > today]
    if core.entry != "third_friday":
        later = later[np.argsort(np.abs((later - today) - core.target_dte), kind="stable")]
    return int(later[0]) if len(later) else None


def invalid_condor(choice: StrikeChoice, credit: np.ndarray, max_loss: np.ndarray, vol: np.ndarray) -> np.ndarray:
    """Paths with no tradable condor: crossed or missing strikes, a credit that is not positive, no loss bound,
    a leg without a smile vol."""
    return choice.invalid | ~np.isfinite(credit) | (credit <= 0) | ~(max_loss > 0) | ~np.isfinite(vol).all(axis=1)


def condor_count(core: Core, contracts: str, capital: np.ndarray, max_loss: np.ndarray, go: np.ndarray) -> np.ndarray:
    """Condors to open where ``go``: ``max_loss_fraction x capital / (max loss x 100)``; floored unless
    ``contracts = "fractional"`` (the fraction is a risk cap: never round a condor count up)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.where(go, core.max_loss_fraction * capital / np.where(max_loss > 0, max_loss * SPX_MULTIPLIER, 1.0), 0.0)
    if contracts != "fractional":
        n = np.floor(n)
    return n


def condor_vega(
    qty: np.ndarray, spot: np.ndarray, strikes: np.ndarray, t: np.ndarray, vol: np.ndarray, rate: np.ndarray, q: float
) -> np.ndarray:
    """|Vega| of the condor's live legs in dollars per vol point, (P,): ``|sum qty x 100 x BSM vega|`` over the
    legs (P, 4) with a quantity and time left (t > 0); legs expiring today count 0 (sizing.basis "core_vega")."""
    live = (qty != 0) & (t > 0)
    if not live.any():
        return np.zeros(qty.shape[0])
    ok = live & np.isfinite(vol)
    g = bsm_greeks(
        np.where(live, spot, 1.0),
        np.where(live, strikes, 1.0),
        np.where(live, t, 1.0),
        np.where(ok, vol, 0.2),
        rate,
        q,
        LEG_IS_CALL[None, :],
    )
    return np.abs(np.where(live, qty * SPX_MULTIPLIER * g.vega, 0.0).sum(axis=1))
