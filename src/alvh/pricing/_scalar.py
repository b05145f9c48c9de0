r"""Scalar closed forms, written once: the normal CDF/PDF and the generalized Black-Scholes formula.

These are the only scalar (one option at a time) copies of the formulas in alvh. Every compiled
pass inlines them (numba ``inline="always"``): the ``backend="numba"`` kernel of
:mod:`alvh.pricing` (:mod:`alvh.pricing._numba`), the engine's SPX marks kernel, the fused
attribution pass (:mod:`alvh.analytics.attribution`) and the effective-vega pass
(:mod:`alvh.analytics.exposure`). The vectorized numpy reference is
:func:`alvh.pricing.black._gbs_numpy`, with the same expressions in the same order;
tests/test_pricing_numba.py asserts the two equal to a few ulp (the numpy path's
``scipy.special.ndtr`` and the C library's ``erfc`` differ by rounding) and against QuantLib.

Generalized Black-Scholes with cost of carry ``b`` (Haug 2007, section 1.1.6): ``b = r - q``
for BSM on the spot, ``b = 0`` for Black-76 on the forward.

.. math::

    d_1 = \frac{\ln(S/K) + (b + \sigma^2/2)t}{\sigma\sqrt t},\quad d_2 = d_1 - \sigma\sqrt t,\quad
    V = \omega\,[S e^{(b-r)t} N(\omega d_1) - K e^{-rt} N(\omega d_2)].

The shared factors ``ln_sk = ln(S/K)``, ``sqrt_t``, ``carry_df = e^{(b-r)t}`` and
``df = e^{-rt}`` are arguments so that a pass over the legs of one day and path computes
them once (:func:`gbs_factors`). All functions here need ``t > 0`` and valid inputs; the
callers own the settlement (``t == 0``) and invalid-input rules. Greek units are those of
:mod:`alvh.pricing.units`: vega per vol point, theta per calendar day, vanna per vol point,
volga per vol point squared.

Note: numba's on-disk cache (``cache=True``) of a caller does not notice an edit of this
file; after changing a formula here, delete the ``__pycache__/*.nbi``/``*.nbc`` files of
alvh (a reinstall rewrites every file and so invalidates them).
"""

from __future__ import annotations

import importlib.util
import math

from alvh.pricing.units import THETA_PER_DAY, VANNA_PER_POINT, VEGA_PER_POINT, VOLGA_PER_POINT2

#: 1/sqrt(2)
INV_SQRT_2 = 0.7071067811865476
#: 1/sqrt(2 pi)
INV_SQRT_2PI = 0.3989422804014327


def ncdf(x: float) -> float:
    """Standard normal CDF ``erfc(-x / sqrt 2) / 2`` (accurate in the lower tail)."""
    return 0.5 * math.erfc(-x * INV_SQRT_2)


def npdf(x: float) -> float:
    """Standard normal density."""
    return INV_SQRT_2PI * math.exp(-0.5 * x * x)


def intrinsic(s: float, k: float, omega: float) -> float:
    """Value at expiry ``max(omega (S - K), 0)``; ``omega`` = +1 call, -1 put."""
    m = omega * (s - k)
    return m if m > 0.0 else 0.0


def step_delta(s: float, k: float, omega: float) -> float:
    """Delta at ``t == 0``: ``omega`` in the money, ``omega / 2`` at the money, 0 out of the money."""
    m = omega * (s - k)
    return omega if m > 0.0 else (0.5 * omega if m == 0.0 else 0.0)


def gbs_factors(t: float, r: float, b: float) -> tuple[float, float, float]:
    """``(sqrt(t), e^{(b-r)t}, e^{-rt})``: the time factors the legs of one day share."""
    return math.sqrt(t), math.exp((b - r) * t), math.exp(-r * t)


def gbs_d1_d2(ln_sk: float, t: float, vol: float, b: float, sqrt_t: float) -> tuple[float, float, float]:
    """``(d1, d2, sigma sqrt t)``."""
    sig_rt = vol * sqrt_t
    d1 = (ln_sk + (b + 0.5 * vol * vol) * t) / sig_rt
    return d1, d1 - sig_rt, sig_rt


def gbs_price(
    s: float,
    k: float,
    t: float,
    vol: float,
    b: float,
    omega: float,
    ln_sk: float,
    sqrt_t: float,
    carry_df: float,
    df: float,
) -> float:
    """Price, ``t > 0``."""
    d1, d2, _ = gbs_d1_d2(ln_sk, t, vol, b, sqrt_t)
    return omega * (s * carry_df * ncdf(omega * d1) - k * df * ncdf(omega * d2))


def gbs_delta(t: float, vol: float, b: float, omega: float, ln_sk: float, sqrt_t: float, carry_df: float) -> float:
    """Delta ``omega e^{(b-r)t} N(omega d1)`` (dV/dS; dV/dF for Black-76), ``t > 0``."""
    d1, _, _ = gbs_d1_d2(ln_sk, t, vol, b, sqrt_t)
    return omega * carry_df * ncdf(omega * d1)


def gbs_greeks(
    s: float,
    k: float,
    t: float,
    vol: float,
    r: float,
    b: float,
    omega: float,
    ln_sk: float,
    sqrt_t: float,
    carry_df: float,
    df: float,
) -> tuple[float, float, float, float, float, float, float]:
    """``(price, delta, gamma, vega, theta, vanna, volga)``, ``t > 0``; units of :mod:`alvh.pricing.units`.

    theta is dV/d(calendar time) with the underlying fixed (includes the carry), per calendar day.
    """
    d1, d2, sig_rt = gbs_d1_d2(ln_sk, t, vol, b, sqrt_t)
    n1 = ncdf(omega * d1)
    n2 = ncdf(omega * d2)
    s_fwd = s * carry_df
    k_df = k * df
    price = omega * (s_fwd * n1 - k_df * n2)
    pdf1 = npdf(d1)
    delta = omega * carry_df * n1
    vega1 = s_fwd * pdf1 * sqrt_t  # per 1.0 vol
    gamma = carry_df * pdf1 / (s * sig_rt)
    theta_year = -s_fwd * pdf1 * vol / (2.0 * sqrt_t) - omega * (b - r) * s_fwd * n1 - omega * r * k_df * n2
    vanna1 = -carry_df * pdf1 * d2 / vol
    volga1 = vega1 * d1 * d2 / vol
    return (
        price,
        delta,
        gamma,
        vega1 * VEGA_PER_POINT,
        theta_year * THETA_PER_DAY,
        vanna1 * VANNA_PER_POINT,
        volga1 * VOLGA_PER_POINT2,
    )


def bsm_greeks(
    s: float, k: float, t: float, vol: float, r: float, q: float, omega: float
) -> tuple[float, float, float, float, float, float, float]:
    """Black-Scholes-Merton (``b = r - q``) price and greeks of one option on spot, ``t > 0``."""
    b = r - q
    sqrt_t, carry_df, df = gbs_factors(t, r, b)
    return gbs_greeks(s, k, t, vol, r, b, omega, math.log(s / k), sqrt_t, carry_df, df)


#: numba is a declared dependency; without it these stay plain Python (the numpy paths are used)
AVAILABLE: bool = importlib.util.find_spec("numba") is not None

if AVAILABLE:
    import numba as _nb

    _jit = _nb.njit(cache=True, nogil=True, inline="always")
    ncdf = _jit(ncdf)
    npdf = _jit(npdf)
    intrinsic = _jit(intrinsic)
    step_delta = _jit(step_delta)
    gbs_factors = _jit(gbs_factors)
    gbs_d1_d2 = _jit(gbs_d1_d2)
    gbs_price = _jit(gbs_price)
    gbs_delta = _jit(gbs_delta)
    gbs_greeks = _jit(gbs_greeks)
    bsm_greeks = _jit(bsm_greeks)
