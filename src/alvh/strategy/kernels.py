"""The engine's option kernels: :mod:`alvh.pricing`'s numpy formulas with the settlement rule built in.

The engine's day loop needs ``t <= 0`` to give the intrinsic value (no NaN, no error) and no
per-call validation or backend dispatch on its small (paths x legs) arrays. These functions
add exactly that around the one numpy reference of the formulas,
:func:`alvh.pricing.black._gbs_numpy` (generalized Black-Scholes, Haug 2007 section 1.1.6;
tested against QuantLib in tests/test_pricing.py); the engine's compiled marks kernel uses
the scalar copy :mod:`alvh.pricing._scalar`. Nothing here restates a formula.

Settlement (``t <= 0``): price = intrinsic value, delta = the step ``omega * 1{omega (S - K) > 0}``
(0 at the money: a leg expiring at its strike settles to 0), gamma, vega, theta, vanna, volga = 0.
Units (:mod:`alvh.pricing.units`): vega per 1 vol point, theta per calendar day. No validation:
NaN inputs give NaN outputs.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from alvh.pricing import strike_from_delta
from alvh.pricing.black import _gbs_numpy
from alvh.pricing.greeks import Greeks


def _settled(
    s: np.ndarray, k: np.ndarray, t: np.ndarray, vol: np.ndarray, rate: np.ndarray, b: np.ndarray, is_call: np.ndarray
) -> Greeks:
    """Generalized Black-Scholes (carry ``b``) where ``t > 0``, the settlement values where ``t <= 0``."""
    s, k, t, vol, rate, b, is_call = np.broadcast_arrays(s, k, t, vol, rate, b, is_call)
    live = t > 0
    with np.errstate(divide="ignore", invalid="ignore"):  # NaN inputs (empty legs) propagate as NaN
        out = _gbs_numpy(s, k, np.where(live, t, 0.0), vol, rate, b, is_call, None, greeks=True)
    if not live.all():
        omega = np.where(is_call, 1.0, -1.0)
        m = omega * (s - k)
        out["price"] = np.where(live, out["price"], np.maximum(m, 0.0))
        out["delta"] = np.where(live, out["delta"], np.where(m > 0.0, omega, 0.0))
        for name in ("gamma", "vega", "theta", "vanna", "volga"):
            out[name] = np.where(live, out[name], 0.0)
    return Greeks(**out)


def _f(a: ArrayLike) -> np.ndarray:
    return np.asarray(a, dtype=float)


def black_greeks(
    forward: ArrayLike, strike: ArrayLike, t: ArrayLike, vol: ArrayLike, rate: ArrayLike, is_call: ArrayLike
) -> Greeks:
    """Black-76 on a forward, discounted at ``rate``; delta/gamma with respect to the forward.

    ``t <= 0``: the settlement values of the module docstring.
    """
    rate = _f(rate)
    return _settled(_f(forward), _f(strike), _f(t), _f(vol), rate, np.zeros_like(rate), np.asarray(is_call, dtype=bool))


def bsm_greeks(
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    vol: ArrayLike,
    rate: ArrayLike,
    div: ArrayLike,
    is_call: ArrayLike,
) -> Greeks:
    """Black-Scholes-Merton on spot with continuous dividend yield; delta/gamma with respect to spot.

    theta includes the carry (spot held fixed). ``t <= 0``: the settlement values of the module docstring.
    """
    rate = _f(rate)
    return _settled(_f(spot), _f(strike), _f(t), _f(vol), rate, rate - _f(div), np.asarray(is_call, dtype=bool))


def strike_for_delta(
    delta: ArrayLike, forward: ArrayLike, t: ArrayLike, vol: ArrayLike, rate: ArrayLike, is_call: ArrayLike
) -> np.ndarray:
    """Strike whose Black-76 **forward** delta (undiscounted: ``N(d1)`` call, ``N(d1) - 1`` put) is ``delta``.

    :func:`alvh.pricing.strike_from_delta` on the forward with no carry and no discounting
    (``rate = div = 0``): ``K = F exp(-sigma sqrt(t) d1 + sigma^2 t / 2)``, ``d1 = N^{-1}(delta)``
    for a call, ``-N^{-1}(-delta)`` for a put (``delta`` negative). ``rate`` is accepted for the
    callers' symmetry and does not enter (the delta is undiscounted). NaN for invalid inputs.
    """
    del rate
    return strike_from_delta(forward, t, vol, 0.0, 0.0, delta, is_call, validate=False)


def strike_for_delta_at(
    delta: ArrayLike, forward: ArrayLike, t: float | np.ndarray, is_call: ArrayLike
) -> Callable[[np.ndarray], np.ndarray]:
    """``vol -> strike_for_delta(delta, forward, t, vol, 0, is_call)`` for a strike fixed point at one expiry.

    ``d1 = omega N^{-1}(omega delta)`` does not depend on the vol (the delta is undiscounted and there is
    no carry), so it is computed once; each call is then ``K = F exp(-d1 sigma sqrt(t) + sigma^2 t / 2)``:
    the arithmetic of :func:`alvh.pricing.strike_from_delta` at ``rate = div = 0`` step by step (the same
    numbers to the last bit, tested), NaN where an input is invalid or the delta unattainable. ``t``: one
    expiry, or an array broadcasting against ``forward`` (one expiry per row: the engine's entries of every
    day at once, the same arithmetic element by element).
    """
    from scipy.special import ndtri

    f = np.asarray(forward, dtype=float)
    dl = np.asarray(delta, dtype=float)
    omega = np.where(np.asarray(is_call, dtype=bool), 1.0, -1.0)
    prob = omega * dl
    fixed_ok = np.isfinite(f) & (f > 0) & np.isfinite(dl) & (prob > 0.0) & (prob < 1.0)
    tt: float | np.ndarray
    if np.ndim(t) == 0:
        tt = float(t)
        fixed_ok &= math.isfinite(tt) and tt > 0
        sqrt_t: float | np.ndarray = math.sqrt(tt) if tt > 0 else math.nan
    else:  # per row: np.sqrt is correctly rounded, as math.sqrt
        tt = np.asarray(t, dtype=float)
        fixed_ok &= np.isfinite(tt) & (tt > 0)
        sqrt_t = np.sqrt(np.where(tt > 0, tt, np.nan))
    d1 = omega * ndtri(np.where(fixed_ok, prob, 0.5))

    def strike(vol: np.ndarray) -> np.ndarray:
        sig = np.asarray(vol, dtype=float)
        k = f * np.exp(-d1 * sig * sqrt_t + (0.5 * sig * sig) * tt)
        ok = fixed_ok & np.isfinite(sig) & (sig > 0)
        return np.where(ok, k, np.nan)

    return strike
