r"""Vectorized implied volatility for BSM and Black-76 that never raises mid-batch.

Algorithm (docs/pricing.md, "Implied volatility"):

1. Undiscount and move to forward terms: ``F = S e^{(r-q)t}`` (BSM) or the given forward
   (Black-76), ``c = price / e^{-rt}``.
2. Classify every element: NaN input, non-positive underlying/strike, ``t <= 0``, price below
   the intrinsic ``max(omega (F-K), 0)``, at the intrinsic, at/above the upper bound (``F`` for a
   call, ``K`` for a put). Those get ``vol = NaN`` and a :class:`IVReason`.
3. Put-call parity turns an in-the-money price into the out-of-the-money one; dividing by
   ``sqrt(F K)`` gives the normalized OTM call (Jaeckel, "Let's Be Rational", 2015, eq. 2.5)

   .. math:: \beta = b(x, s) = e^{x/2} N(x/s + s/2) - e^{-x/2} N(x/s - s/2),\quad x = -|\ln(F/K)|,\ s = \sigma\sqrt t

   which increases from 0 to ``e^{x/2}`` in ``s``.
4. Solve ``ln b(x, s) = ln beta`` by Newton's method, safeguarded by a bracket of the
   iterates (a step leaving it is replaced by bisection, or doubling while no upper end is
   known). ``ln b`` behaves like ``-x^2 / (2 s^2)`` for small ``s`` and flattens towards ``x/2``,
   so from the left Newton approaches the root monotonically (about 1.5x per step while far)
   and a step from the right that overshoots below 0 is caught by the bracket. ``b`` is evaluated
   through ``erfcx`` when ``x/s + s/2 <= 0`` so its logarithm stays finite for prices far below
   1e-300. The start is the larger of the inflection point ``sqrt(2|x|)`` and the exact
   at-the-money inverse ``2 N^{-1}((1+beta)/2)``.
5. Iterate until the Newton step is below 4e-15 relative or
   ``|ln b - ln beta| <= max(1e-13 max(1, |ln beta|), noise)`` where ``noise`` is the rounding of
   ``ln b`` (its two terms cancel near the money at small ``s``), at most
   ``MAX_ITER`` steps; elements whose repriced normalized value misses by more than
   ``ACCEPT_REL`` = 1e-10 relative get ``NO_CONVERGENCE`` and NaN.

Accuracy (tests/test_pricing_iv.py): the returned vol reprices to within 1e-10 relative (or
1e-13 absolute per unit of the underlying) on a grid of deep ITM/OTM strikes, 1 day to 5 years and
vols 1% to 500%, against :func:`alvh.pricing.bsm_price` and QuantLib's BlackCalculator.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import erfcx, ndtr, ndtri

from alvh.errors import InputError
from alvh.pricing import _validate as v

MAX_ITER: int = 60
#: stop when ln b is within this times max(1, |ln beta|) of ln beta (one more Newton step is taken)
_LOG_RESIDUAL_TOL: float = 1e-13
#: a solution is accepted when it reprices the normalized OTM value to this relative accuracy
#: (so the full price, intrinsic plus OTM part, is within it too)
ACCEPT_REL: float = 1e-10
#: an ITM price within this many ulp of its intrinsic value is treated as at the intrinsic
_ROUNDING_ULPS: float = 16.0
_SQRT2 = 1.4142135623730951
_INV_SQRT_2PI = 0.3989422804014327
_LOG_HALF = -0.6931471805599453


class IVReason(IntEnum):
    """Why an implied vol is what it is (``OK``) or NaN (anything else)."""

    OK = 0
    BELOW_INTRINSIC = 1  #: price < discounted intrinsic max(omega (F - K), 0) e^{-rt}
    ABOVE_UPPER_BOUND = 2  #: price >= S e^{-qt} (call) or K e^{-rt} (put): no finite vol
    NONPOSITIVE_TIME = 3  #: t <= 0: the vol is not identifiable
    NAN_INPUT = 4  #: a NaN or infinite price, underlying, strike, t, rate or div
    NONPOSITIVE_INPUT = 5  #: underlying or strike <= 0
    AT_INTRINSIC = 6  #: price equals intrinsic: every vol down to 0 gives it in floating point
    NO_CONVERGENCE = 7  #: the solver did not reprice to ACCEPT_REL (not seen on the test grid)


@dataclass(frozen=True, eq=False)
class ImpliedVolResult:
    """Implied vols (decimal, NaN where not ``OK``) and an ``IVReason`` code per element (int8)."""

    vol: np.ndarray
    reason: np.ndarray

    @property
    def ok(self) -> np.ndarray:
        """Boolean mask of elements solved (``reason == IVReason.OK``)."""
        return self.reason == IVReason.OK


def _log_b(x: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``ln b(x, s)`` and ``d ln b / ds`` for x <= 0, s > 0 (normalized OTM call)."""
    d1 = x / s + 0.5 * s
    d2 = x / s - 0.5 * s
    log_e = -0.5 * (x * x / (s * s) + 0.25 * s * s)  # ln(e^{x/2} phi(d1) sqrt(2 pi)) = ln E
    left = d1 <= 0.0
    # left of the inflection: b = E (erfcx(-d1/sqrt2) - erfcx(-d2/sqrt2)) / 2, no underflow
    diff = np.where(left, erfcx(np.where(left, -d1, 0.0) / _SQRT2) - erfcx(np.where(left, -d2, 0.0) / _SQRT2), 1.0)
    # right of it: the plain form, b is not small there (b >= b(x, sqrt(2|x|)))
    direct = np.where(left, 1.0, np.exp(0.5 * x) * ndtr(d1) - np.exp(-0.5 * x) * ndtr(d2))
    direct = np.maximum(direct, np.finfo(float).tiny)
    diff = np.maximum(diff, np.finfo(float).tiny)
    log_b = np.where(left, log_e + _LOG_HALF + np.log(diff), np.log(direct))
    # d ln b / ds = b'/b with b' = E / sqrt(2 pi)
    slope = np.where(left, _INV_SQRT_2PI / (0.5 * diff), _INV_SQRT_2PI * np.exp(log_e) / direct)
    return log_b, slope


def _log_b_noise(x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Rounding noise of :func:`_log_b`: both forms subtract two terms that nearly cancel when
    ``s`` is small and the option is near the money (the difference is of order ``s`` while the
    terms are of order 1), so ``ln b`` is only known to ``eps x (sum of terms) / difference``."""
    d1 = x / s + 0.5 * s
    d2 = x / s - 0.5 * s
    left = d1 <= 0.0
    a1 = erfcx(np.where(left, -d1, 0.0) / _SQRT2)
    a2 = erfcx(np.where(left, -d2, 0.0) / _SQRT2)
    terms_left = (a1 + a2) / np.maximum(np.abs(a1 - a2), np.finfo(float).tiny)
    t1 = np.exp(0.5 * x) * ndtr(d1)
    t2 = np.exp(-0.5 * x) * ndtr(d2)
    terms_right = (t1 + t2) / np.maximum(np.abs(t1 - t2), np.finfo(float).tiny)
    return 4.0 * np.finfo(float).eps * np.where(left, terms_left, terms_right)


def normalized_black_inverse(x: np.ndarray, log_beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``ln b(x, s) = log_beta`` for ``s = sigma sqrt(t)``; requires x <= 0 and 0 < beta < e^{x/2}.

    ``log_beta`` is passed as a logarithm so normalized prices below the smallest double
    (e.g. an OTM price of 1e-320 divided by sqrt(F K) = 4500) still have a root.
    Returns ``(s, converged)``. Vectorized over 1-D arrays; loops over iterations only.
    """
    x = np.asarray(x, dtype=float)
    beta = np.exp(log_beta)
    s_atm = 2.0 * ndtri(0.5 + 0.5 * np.minimum(beta, 1.0 - 1e-16))
    s = np.maximum(np.sqrt(-2.0 * x), s_atm)
    s = np.where(s > 0.0, s, 1e-3)
    lo = np.zeros_like(s)
    hi = np.full_like(s, np.inf)
    active = np.arange(s.size)
    converged = np.zeros(s.size, dtype=bool)
    for _ in range(MAX_ITER):
        if active.size == 0:
            break
        xa, sa, lb = x[active], s[active], log_beta[active]
        f, slope = _log_b(xa, sa)
        g = f - lb
        below = g < 0.0
        lo_a = np.where(below, np.maximum(lo[active], sa), lo[active])
        hi_a = np.where(below, hi[active], np.minimum(hi[active], sa))
        step = g / slope
        # a step from the right moves at most halfway to the bracket's lower end: ln b is so flat
        # far right that a full step can land at a tiny s, where b's two terms cancel completely
        s_new = np.maximum(sa - step, 0.5 * (lo_a + sa))
        # converged on the Newton step itself (a step below the ulp of s leaves s_new == lo or hi,
        # which must not trigger a bisection towards a stale bracket end)
        # ln b carries rounding of order eps |ln beta| (ln beta reaches -700 for deep OTM prices)
        # near the money with a small s, ln b itself is noisy beyond 1e-13 (see _log_b_noise):
        # below that floor Newton only chases rounding, so stop there
        # (capped far below ACCEPT_REL: at a tiny s on the way in the noise is huge and must not stop)
        noise = np.minimum(_log_b_noise(xa, sa), 0.1 * ACCEPT_REL)
        tol = np.maximum(_LOG_RESIDUAL_TOL * np.maximum(1.0, np.abs(lb)), noise)
        done = (np.abs(step) <= 4e-15 * sa) | (np.abs(g) <= tol)
        outside = ~done & ((s_new <= 0.0) | (s_new < lo_a) | (s_new > hi_a))
        bisect = np.where(np.isfinite(hi_a), 0.5 * (lo_a + hi_a), 2.0 * sa)
        s_new = np.where(outside, bisect, s_new)
        lo[active], hi[active], s[active] = lo_a, hi_a, s_new
        converged[active[done]] = True
        active = active[~done]
    return s, converged


def implied_vol(
    price: ArrayLike,
    spot_or_forward: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    rate: ArrayLike,
    div: ArrayLike,
    is_call: ArrayLike,
    model: Literal["bsm", "black76"] = "bsm",
) -> ImpliedVolResult:
    """Implied volatility of European option prices, vectorized, NaN plus a reason code on bad elements.

    Parameters
    ----------
    price : option prices in index points (discounted, as quoted).
    spot_or_forward : spot (``model="bsm"``) or futures price (``model="black76"``), index points.
    strike : index points.  t : years (ACT/365).  rate, div : decimal per year, continuous
        (``div`` is ignored for Black-76; pass 0).
    is_call : bool.
    model : ``"bsm"`` (SPX, dividend yield) or ``"black76"`` (VIX options on VX futures).

    Returns
    -------
    ImpliedVolResult
        ``vol`` (decimal; NaN unless ``reason == IVReason.OK``) and ``reason`` (int8 codes of
        :class:`IVReason`), both of the broadcast shape.

    Raises
    ------
    InputError
        Only for an unknown ``model``, non-numeric arguments or shapes that do not broadcast;
        never because of the values of individual elements.
    """
    if not isinstance(model, str) or model not in ("bsm", "black76"):
        raise InputError(f"unknown model {model!r}", argument="model", expected="'bsm' or 'black76'")
    names = ("price", "spot_or_forward", "strike", "t", "rate", "div")
    arrays = [v.as_float(n, a) for n, a in zip(names, (price, spot_or_forward, strike, t, rate, div), strict=True)]
    cp = v.as_flag("is_call", is_call, validate=True)
    try:
        p, u, k, tt, r, q, cp = np.broadcast_arrays(*arrays, cp)
    except ValueError as exc:
        raise InputError(
            f"shapes do not broadcast ({exc})",
            argument="price/spot_or_forward/strike/t/rate/div",
            expected="numpy-broadcastable shapes",
        ) from exc
    shape = p.shape
    p, u, k, tt, r, q, cp = (a.ravel() for a in (p, u, k, tt, r, q, cp))
    if model == "black76":
        q = np.zeros_like(q)
    reason = np.full(p.size, IVReason.OK, dtype=np.int8)
    nan_in = ~(np.isfinite(p) & np.isfinite(u) & np.isfinite(k) & np.isfinite(tt) & np.isfinite(r) & np.isfinite(q))
    reason[nan_in] = IVReason.NAN_INPUT
    reason[(reason == IVReason.OK) & ((u <= 0.0) | (k <= 0.0))] = IVReason.NONPOSITIVE_INPUT
    reason[(reason == IVReason.OK) & (tt <= 0.0)] = IVReason.NONPOSITIVE_TIME
    idx = np.flatnonzero(reason == IVReason.OK)
    vol = np.full(p.size, np.nan)
    if idx.size:
        pi, ui, ki, ti, ri, qi, ci = (a[idx] for a in (p, u, k, tt, r, q, cp))
        df = np.exp(-ri * ti)
        fwd = ui * np.exp((ri - qi) * ti) if model == "bsm" else ui
        c = pi / df
        omega = np.where(ci, 1.0, -1.0)
        intrinsic = np.maximum(omega * (fwd - ki), 0.0)
        upper = np.where(ci, fwd, ki)
        code = np.zeros(idx.size, dtype=np.int8)
        otm = c - intrinsic  # parity: an ITM price minus its intrinsic is the OTM price of the other side
        # rounding of c and the intrinsic is a few ulp of the larger; a residue that small carries no vol
        noise = _ROUNDING_ULPS * np.finfo(float).eps * np.maximum(fwd, ki)
        code[otm < -noise] = IVReason.BELOW_INTRINSIC
        code[(code == 0) & (c >= upper)] = IVReason.ABOVE_UPPER_BOUND
        code[(code == 0) & ((otm <= noise) & ((otm <= 0.0) | (intrinsic > 0.0)))] = IVReason.AT_INTRINSIC
        x = -np.abs(np.log(fwd / ki))
        # ln(otm / sqrt(F K)) without underflow; otm > 0 wherever code is still 0
        log_beta = np.log(np.where(otm > 0.0, otm, 1.0)) - 0.5 * (np.log(fwd) + np.log(ki))
        code[(code == 0) & (log_beta >= 0.5 * x)] = IVReason.ABOVE_UPPER_BOUND  # rounding at the bound
        solve = np.flatnonzero(code == 0)
        if solve.size:
            s, conv = normalized_black_inverse(x[solve], log_beta[solve])
            log_b, _ = _log_b(x[solve], s)
            good = conv & (np.abs(np.expm1(log_b - log_beta[solve])) <= ACCEPT_REL) & np.isfinite(s) & (s > 0.0)
            code[solve[~good]] = IVReason.NO_CONVERGENCE
            sig = np.full(idx.size, np.nan)
            sig[solve[good]] = s[good] / np.sqrt(ti[solve[good]])
            vol[idx] = sig
        reason[idx] = code
    return ImpliedVolResult(vol=vol.reshape(shape), reason=reason.reshape(shape))
