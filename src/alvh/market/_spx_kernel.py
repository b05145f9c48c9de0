"""The SPX smile as one scalar formula, and the engine's compiled per-day SPX marks kernel that uses it.

:func:`total_variance` is written with numpy ufuncs only, so the same function object serves the numpy
path (``SpxSmileDay.total_variance`` on arrays) and, compiled by numba, the marks kernel
(:func:`spx_marks`) on scalars: the smile exists once. numba is imported only when :func:`spx_marks`
is first called (``backend='numpy'`` never imports it). The formula and its constants are derived in
docs/model.md section 1.

Smile (total implied variance, decimal variance x years, ``k = ln(K/F)``)::

    w(k, T) = theta(T) * (1 + s(theta) * H(z)),   z = k / sqrt(theta(T)),   s = tail / (1 + DAMP tail sqrt(theta))
    H(z) = LAM (sp(-z/LAM) - ln 2) + FAR (LAMF sp((ZF - z)/LAMF) - LAMF sp(ZF/LAMF)),   sp(x) = ln(1 + e^x)

``H(0) = 0`` (theta is the ATM total variance); H is convex and decreasing, bounded above 0 on the
call side (``H(+inf) = -LAM ln 2 - FAR LAMF sp(ZF/LAMF) = -0.624``) and rising linearly on the put
side (slope ``-(1 + FAR)`` in z far out): ``tail`` >= 0 lifts the put wing and lowers the call wing
to at least ``1 - 0.624 s`` (``s <= tail``) of the ATM total variance.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Final

import numpy as np

#: Width (in z) of the near-the-money kink of H (the ATM put skew d H/d z = -1/2 at z = 0 from it).
TAIL_LAM: Final[float] = 0.5
#: Weight, centre (z) and width of the far-put term of H: it adds a put wing rising with slope FAR in z
#: beyond ZF (about -3.5 standard deviations of the ATM distribution), the tail that Cboe's SKEW reads.
TAIL_FAR: Final[float] = 2.0
TAIL_ZF: Final[float] = -3.5
TAIL_LAMF: Final[float] = 1.5
#: Damping of the tail weight with the ATM standard deviation: the smile uses ``tail / (1 + DAMP tail sqrt(theta))``,
#: so the put wing's slope in k, ``3 tail sqrt(theta) / (1 + DAMP tail sqrt(theta))``, stays below 2 (Lee's
#: moment bound) at any maturity and level; of the two values tried, 1.5 keeps the butterfly condition
#: for every tail in [0, 1] and theta up to 10 and 1.0 does not (theta 3, tail 1).
TAIL_DAMP: Final[float] = 1.5
_LN2: Final[float] = math.log(2.0)
_SP_ZF: Final[float] = math.log1p(math.exp(TAIL_ZF / TAIL_LAMF))  # sp(ZF / LAMF), so that H(0) = 0
#: ``H(+inf)``: the deepest the call wing's total variance falls, as a multiple of ``tail`` x theta.
H_CALL_LIMIT: Final[float] = -TAIL_LAM * _LN2 - TAIL_FAR * TAIL_LAMF * _SP_ZF


def total_variance(k, theta, tail):
    """Total implied variance ``w(k, theta)`` of the tail-weight smile (decimal variance x years).

    Parameters
    ----------
    k : float or ndarray
        Log-moneyness ``ln(K / F)``.
    theta : float or ndarray
        ATM total variance at the option's maturity (> 0).
    tail : float or ndarray
        Tail weight (>= 0; 0 is a flat smile).

    Examples
    --------
    >>> float(total_variance(0.0, 0.01, 0.8))  # ATM: theta itself
    0.01
    >>> bool(total_variance(-0.1, 0.01, 0.8) > 0.01 > total_variance(0.05, 0.01, 0.8))
    True
    """
    sq = np.sqrt(theta)
    z = k / sq
    x1 = -z / TAIL_LAM
    x2 = (TAIL_ZF - z) / TAIL_LAMF
    sp1 = np.maximum(x1, 0.0) + np.log1p(np.exp(-np.abs(x1)))
    sp2 = np.maximum(x2, 0.0) + np.log1p(np.exp(-np.abs(x2)))
    h = TAIL_LAM * (sp1 - _LN2) + TAIL_FAR * TAIL_LAMF * (sp2 - _SP_ZF)
    return theta * (1.0 + tail / (1.0 + TAIL_DAMP * tail * sq) * h)


def _spx_marks_kernel(  # noqa: PLR0915 - one compiled pass: smile, price, greeks per leg
    spot,
    spot_open,
    strike,
    t,
    theta30,
    tail,
    ratio,
    term_t,
    rate,
    q,
    is_call,
    qty,
    mult,
    vol_last,
    price_last,
    und_last,
    price_out,
    und_out,
    vol_out,
    settle_out,
    greeks_out,
):  # pragma: no cover - compiled
    """Smile vol and Black-Scholes-Merton marks of the (P, L) SPX legs on one day, in one pass.

    The same formulas, in the same order, as the engine's numpy path (``SpxSmileDay.iv``: the
    piecewise-linear term ratio, then :func:`total_variance`; ``strategy.kernels.bsm_greeks``): a leg
    expiring today (t <= 0) is its intrinsic value on the open with its last vol kept; an empty leg
    (qty 0) keeps its last marks. ``greeks_out[p]`` = sum over live legs of qty x mult x (delta, gamma,
    vega, theta).
    """
    P, L = strike.shape
    # the legs of a path (and most paths) share their time to expiry: exp((r - q) t) and the BSM time factors
    # are computed once per distinct t (the same values as computing them per leg, so the same marks)
    c_t = np.nan
    c_fexp = np.nan
    f_t = np.nan
    f_sqrt = f_carry = f_df = np.nan
    b = rate - q
    for p in range(P):
        s = spot[p]
        g0 = 0.0
        g1 = 0.0
        g2 = 0.0
        g3 = 0.0
        for j in range(L):
            held = qty[p, j] != 0.0
            tl = t[p, j]
            k_ = strike[p, j]
            expiring = tl <= 0.0
            und = spot_open[p] if expiring else s
            # smile vol at ln(K/F), F = S exp((r - q) t)
            if tl != c_t:
                c_t = tl
                c_fexp = math.exp((rate - q) * tl)
            kk = math.log(k_ / (s * c_fexp))
            if math.isfinite(kk):
                ts = tl if tl > 1e-9 else 1e-9
                if ts <= term_t[0]:
                    rr = ratio[p, 0] * ts / term_t[0]
                elif ts <= term_t[1]:
                    rr = ratio[p, 0] + (ratio[p, 1] - ratio[p, 0]) * (ts - term_t[0]) / (term_t[1] - term_t[0])
                elif ts <= term_t[2]:
                    rr = ratio[p, 1] + (ratio[p, 2] - ratio[p, 1]) * (ts - term_t[1]) / (term_t[2] - term_t[1])
                elif ts <= term_t[3]:
                    rr = ratio[p, 2] + (ratio[p, 3] - ratio[p, 2]) * (ts - term_t[2]) / (term_t[3] - term_t[2])
                else:
                    rr = ratio[p, 3] * ts / term_t[3]
                w = _tv(kk, theta30[p] * rr, tail[p])
                vol = math.sqrt(w / ts)
            else:
                vol = np.nan
            if expiring:
                vol = vol_last[p, j]
            # Black-Scholes-Merton: the shared scalar kernel (alvh.pricing._scalar), as kernels.bsm_greeks
            call = is_call[j]
            if tl > 0.0:
                vv = vol if math.isfinite(vol) else 0.2
                if tl != f_t:  # alvh.pricing._scalar.bsm_greeks, its time factors shared
                    f_t = tl
                    f_sqrt, f_carry, f_df = _gbs_factors(tl, rate, b)
                omega = 1.0 if call else -1.0
                price, delta, gamma_, vega, theta, _, _ = _gbs_greeks(
                    und, k_, tl, vv, rate, b, omega, math.log(und / k_), f_sqrt, f_carry, f_df
                )
            else:
                price = max(und - k_, 0.0) if call else max(k_ - und, 0.0)
                delta = gamma_ = vega = theta = 0.0
            if held:
                price_out[p, j] = price
                und_out[p, j] = und
                vol_out[p, j] = vol
                settle_out[p, j] = expiring
                if not expiring:
                    qm = qty[p, j] * mult
                    g0 += qm * delta
                    g1 += qm * gamma_
                    g2 += qm * vega
                    g3 += qm * theta
            else:
                price_out[p, j] = price_last[p, j]
                und_out[p, j] = und_last[p, j]
                vol_out[p, j] = vol_last[p, j]
                settle_out[p, j] = False
        greeks_out[p, 0] = g0
        greeks_out[p, 1] = g1
        greeks_out[p, 2] = g2
        greeks_out[p, 3] = g3


_tv = total_variance  # rebound to the compiled smile inside _compiled() (numba resolves globals at compile time)
_gbs_factors = None  # the compiled alvh.pricing._scalar.gbs_factors and gbs_greeks, bound inside _compiled()
_gbs_greeks = None


@lru_cache(maxsize=1)
def _compiled():
    import numba as nb

    from alvh.pricing import _scalar  # compiles its scalar kernels: imported only when marks are compiled

    global _tv, _gbs_factors, _gbs_greeks
    _gbs_factors, _gbs_greeks = _scalar.gbs_factors, _scalar.gbs_greeks
    _tv = nb.njit(cache=True, inline="always", fastmath=False, error_model="numpy")(total_variance)
    # error_model='numpy': an empty leg's NaN strike or zero time gives NaN (masked), never a Python exception
    return nb.njit(cache=True, fastmath=False, nogil=True, error_model="numpy")(_spx_marks_kernel)


def spx_marks(*args) -> None:
    """Run the compiled marks kernel (arguments of :func:`_spx_marks_kernel`); compiles or loads it on first use."""
    _compiled()(*args)
