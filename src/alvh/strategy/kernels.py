"""Closed-form option kernels for the engine's hot path (no validation, NaN-safe).

The engine's day loop prices with these small kernels rather than :mod:`alvh.pricing`
because it needs the settlement case built in (``t <= 0`` gives the intrinsic value and
a step delta, no NaN) and no per-call validation or backend dispatch on tiny arrays.
They are the same textbook formulas (Hull, *Options, Futures and Other Derivatives*,
10th ed., eq. 15.20 and 18.9) and are asserted equal to :mod:`alvh.pricing` (itself
tested against QuantLib) in tests/test_strategy.py. Units follow docs/architecture.md:
vega per 1 vol point, theta per calendar day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

_SQRT_2PI = np.sqrt(2.0 * np.pi)


def _pdf(x: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * x * x) / _SQRT_2PI


@dataclass(frozen=True)
class Greeks:
    """Price and first greeks (vega per vol point, theta per calendar day)."""

    price: np.ndarray
    delta: np.ndarray
    gamma: np.ndarray
    vega: np.ndarray
    theta: np.ndarray


def _d1d2(f: np.ndarray, k: np.ndarray, t: np.ndarray, vol: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sd = vol * np.sqrt(np.maximum(t, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = (np.log(f / k) + 0.5 * sd * sd) / sd
    return d1, d1 - sd, sd


def black_greeks(forward, strike, t, vol, rate, is_call, *, spot_scale=None) -> Greeks:
    """Black-76 on a forward with discount ``exp(-rate t)``; at ``t <= 0`` the intrinsic value.

    ``spot_scale`` = dF/dS (``exp((r-q)t)`` for an option on spot): delta and gamma are then
    with respect to spot (BSM); ``None`` = with respect to the forward (Black-76).
    """
    f, k, t, vol, rate = (np.asarray(a, dtype=float) for a in (forward, strike, t, vol, rate))
    is_call = np.asarray(is_call, dtype=bool)
    live = t > 0
    tt = np.where(live, t, 1.0)
    vv = np.where(live, vol, 0.2)
    d1, d2, sd = _d1d2(f, k, tt, vv)
    disc = np.exp(-rate * tt)
    nd1, nd2 = ndtr(d1), ndtr(d2)
    call = disc * (f * nd1 - k * nd2)
    put = disc * (k * (1.0 - nd2) - f * (1.0 - nd1))
    price = np.where(is_call, call, put)
    dF = np.where(is_call, disc * nd1, disc * (nd1 - 1.0))
    pdf1 = _pdf(d1)
    gF = disc * pdf1 / (f * sd)
    vega = disc * f * pdf1 * np.sqrt(tt) / 100.0
    # theta per calendar day of the option on a forward held fixed: dV/dt = -(f pdf sigma / (2 sqrt t)) disc + r V
    theta = (-disc * f * pdf1 * vv / (2.0 * np.sqrt(tt)) + rate * price) / 365.0
    if spot_scale is not None:
        sc = np.asarray(spot_scale, dtype=float)
        dF = dF * sc
        gF = gF * sc * sc
    intrinsic = np.where(is_call, np.maximum(f - k, 0.0), np.maximum(k - f, 0.0))
    idelta = np.where(is_call, (f > k).astype(float), -(f < k).astype(float))
    zero = 0.0
    return Greeks(price=np.where(live, price, intrinsic), delta=np.where(live, dF, idelta),
                  gamma=np.where(live, gF, zero), vega=np.where(live, vega, zero),
                  theta=np.where(live, theta, zero))


def bsm_greeks(spot, strike, t, vol, rate, div, is_call) -> Greeks:
    """Black-Scholes-Merton price and greeks on spot with continuous dividend yield."""
    spot = np.asarray(spot, dtype=float)
    t = np.asarray(t, dtype=float)
    rate = np.asarray(rate, dtype=float)
    div = np.asarray(div, dtype=float)
    tt = np.maximum(t, 0.0)
    growth = np.exp((rate - div) * tt)
    fwd = spot * growth
    g = black_greeks(fwd, strike, t, vol, rate, is_call, spot_scale=growth)
    # theta of the spot option: add the carry of the forward (dF/dt = (r-q) F) times dV/dF
    live = t > 0
    dVdF = g.delta / np.where(live, growth, 1.0)
    theta = g.theta - (rate - div) * fwd * dVdF / 365.0
    return Greeks(price=g.price, delta=g.delta, gamma=g.gamma, vega=g.vega, theta=np.where(live, theta, 0.0))


def strike_for_delta(delta, forward, t, vol, rate, is_call) -> np.ndarray:
    """Strike whose Black-76 forward delta (undiscounted, ``N(d1)`` or ``N(d1)-1``) is ``delta``.

    ``K = F exp(-sigma sqrt(t) N^{-1}(delta_c) + sigma^2 t / 2)`` with ``delta_c = delta`` for a
    call and ``1 + delta`` for a put (``delta`` negative for puts). Hull eq. 19.2 inverted.
    """
    delta = np.asarray(delta, dtype=float)
    dc = np.where(np.asarray(is_call, dtype=bool), delta, 1.0 + delta)
    sd = np.asarray(vol, dtype=float) * np.sqrt(np.asarray(t, dtype=float))
    return np.asarray(forward, dtype=float) * np.exp(-sd * ndtri(dc) + 0.5 * sd * sd)
