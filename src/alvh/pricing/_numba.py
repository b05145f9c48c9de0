"""Fused numba kernels for the generalized Black-Scholes formula (behind ``backend=``).

One pass per element computes d1, d2, the two normal CDFs and the requested outputs,
without the dozen full-size temporaries of the numpy path. Parallel over elements with
``prange``. The formulas are the scalar kernels of :mod:`alvh.pricing._scalar` (written once,
inlined here); the semantics are those of :mod:`alvh.pricing.black` exactly (t == 0 limits,
NaN for invalid elements); tests/test_pricing_numba.py asserts equality with the numpy path.
The normal CDF is ``0.5 * erfc(-x / sqrt 2)`` (C library erfc), accurate in the lower tail.
"""

from __future__ import annotations

import importlib.util
import math
from typing import Any

import numpy as np

from alvh.pricing._scalar import gbs_factors, gbs_greeks, gbs_price, intrinsic, step_delta
from alvh.pricing.greeks import Greeks

#: numba is a declared dependency; without it the numpy paths are used
AVAILABLE: bool = importlib.util.find_spec("numba") is not None
if AVAILABLE:
    import numba as _nb

# what codes
_PRICE, _PDV, _GREEKS = 0, 1, 2


def _kernel(s, k, t, vol, r, q, cp, carry_zero, what, out):  # pragma: no cover - compiled
    n = out.shape[1]
    ss = 1 if s.size == n else 0
    ks = 1 if k.size == n else 0
    ts = 1 if t.size == n else 0
    vs = 1 if vol.size == n else 0
    rs = 1 if r.size == n else 0
    qs = 1 if q.size == n else 0
    cs = 1 if cp.size == n else 0
    for i in _prange(n):
        si = s[i * ss]
        ki = k[i * ks]
        ti = t[i * ts]
        vi = vol[i * vs]
        ri = r[i * rs]
        qi = q[i * qs]
        omega = 1.0 if cp[i * cs] else -1.0
        valid = (
            si > 0.0
            and ki > 0.0
            and vi > 0.0
            and ti >= 0.0
            and math.isfinite(si)
            and math.isfinite(ki)
            and math.isfinite(vi)
            and math.isfinite(ti)
            and math.isfinite(ri)
            and math.isfinite(qi)
        )
        if not valid:
            for j in range(out.shape[0]):
                out[j, i] = np.nan
            continue
        if ti == 0.0:
            out[0, i] = intrinsic(si, ki, omega)
            if what != _PRICE:
                out[1, i] = step_delta(si, ki, omega)
                for j in range(2, out.shape[0]):
                    out[j, i] = 0.0
            continue
        b = 0.0 if carry_zero else ri - qi  # Black-76: the forward has no drift
        sqrt_t, carry_df, df = gbs_factors(ti, ri, b)
        ln_sk = math.log(si / ki)
        if what == _PRICE:
            out[0, i] = gbs_price(si, ki, ti, vi, b, omega, ln_sk, sqrt_t, carry_df, df)
            continue
        price, delta, gamma, vega, theta, vanna, volga = gbs_greeks(
            si, ki, ti, vi, ri, b, omega, ln_sk, sqrt_t, carry_df, df
        )
        out[0, i] = price
        out[1, i] = delta
        if what == _PDV:
            out[2, i] = vega
            continue
        out[2, i] = gamma
        out[3, i] = vega
        out[4, i] = theta
        out[5, i] = vanna
        out[6, i] = volga


_prange: Any
_compiled: Any
if AVAILABLE:
    _prange = _nb.prange
    _compiled = _nb.njit(parallel=True, cache=True, fastmath=False, nogil=True)(_kernel)
else:  # pragma: no cover
    _prange = range
    _compiled = None


def _flat(a: np.ndarray, shape: tuple[int, ...], n: int) -> np.ndarray:
    """A contiguous 1-D view of ``a`` with either 1 or ``n`` elements (broadcast copies only when needed)."""
    if a.size == 1:
        return np.ascontiguousarray(a.reshape(1))
    if a.shape == shape:
        return np.ascontiguousarray(a).reshape(n)
    return np.ascontiguousarray(np.broadcast_to(a, shape)).reshape(n)


def gbs(
    s: np.ndarray,
    k: np.ndarray,
    t: np.ndarray,
    vol: np.ndarray,
    r: np.ndarray,
    q: np.ndarray,
    cp: np.ndarray,
    shape: tuple[int, ...],
    what: str,
    carry_is_zero: bool,
) -> Any:  # as black._gbs
    """Run the fused kernel; returns what :func:`alvh.pricing.black._gbs` returns."""
    n = int(np.prod(shape))
    code = {"price": _PRICE, "pdv": _PDV, "greeks": _GREEKS}[what]
    rows = {_PRICE: 1, _PDV: 3, _GREEKS: 7}[code]
    out = np.empty((rows, n))
    args = [_flat(np.asarray(a, dtype=np.float64), shape, n) for a in (s, k, t, vol, r, q)]
    flags = _flat(np.asarray(cp, dtype=np.bool_), shape, n)
    if n:
        _compiled(*args, flags, carry_is_zero, code, out)
    res = [out[j].reshape(shape) for j in range(rows)]
    if code == _PRICE:
        return res[0]
    if code == _PDV:
        return res[0], res[1], res[2]
    return Greeks(*res)


# The engine's SPX leg marks kernel lives beside the smile it evaluates: alvh.market._spx_kernel.spx_marks.


# ---------------------------------------------------------------- engine: one day's VX futures marks
def _vx_futures_marks_kernel(
    d,
    mark,
    rolldown,
    sens,
    settle_day,
    contract,
    qty,
    mult,
    comp,
    price_last,
    und_last,
    price_out,
    und_out,
    rd_out,
    delta_out,
    settle_out,
    vega_out,
):  # pragma: no cover
    """Marks of the (P, V) VX-futures slots on day d from the day's per-contract tables, in one pass.

    The engine's numpy steps for slots that are all futures: the held contract's mark (its last
    mark where the day has none: returned count of such stale marks), roll-down (day 0: the mark),
    settlement flag, delta 1, and dollar dF/dVIX exposure added to ``vega_out[p, comp[v]]``.
    Empty slots keep their last marks.
    """
    P, V = contract.shape
    stale = 0
    for p in range(P):
        for v in range(V):
            c = contract[p, v]
            if c < 0:
                c = 0
            held = qty[p, v] != 0.0
            f = mark[p, c]
            if not math.isfinite(f):
                if held:
                    stale += 1
                f = und_last[p, v]
            rd = rolldown[p, c] if d > 0 else f
            if not math.isfinite(rd):
                rd = und_last[p, v]
            st = held and settle_day[c] <= d
            settle_out[p, v] = st
            delta_out[p, v] = 1.0
            if held:
                price_out[p, v] = f
                und_out[p, v] = f
                rd_out[p, v] = rd
                if not st:
                    vega_out[p, comp[v]] += qty[p, v] * mult[v] * sens[c]
            else:
                price_out[p, v] = price_last[p, v]
                und_out[p, v] = und_last[p, v]
                rd_out[p, v] = und_last[p, v]
    return stale


vx_futures_marks: Any
if AVAILABLE:
    vx_futures_marks = _nb.njit(cache=True, fastmath=False, nogil=True, error_model="numpy")(_vx_futures_marks_kernel)
else:  # pragma: no cover
    vx_futures_marks = None


def _vx_block_kernel(
    d0, vx_price, vix_close, settle_day, settle_px, vx_dte, tau_now, mark, rolldown
):  # pragma: no cover
    """The engine's VX day-block tables (``alvh.engine.vx_marks._vx_block``, its numpy steps element by element: the
    same operations in the same order, so the same numbers to the last bit, tested) for days ``d0 .. d0 + B - 1``:
    ``mark`` (B, P, C) the contract's price, its settlement value on its settlement day; ``rolldown`` (B, P, C)
    yesterday's curve (VIX close at DTE 0, the contract below when listed) linearly interpolated at today's DTE
    ``tau_now`` (B, C). One pass instead of about fifteen (B, P, C) numpy temporaries."""
    B, P, C = mark.shape
    for b in range(B):
        d = d0 + b
        prev = d - 1 if d >= 1 else 0
        for p in range(P):
            v_prev = vix_close[prev, p]
            for c in range(C):
                mark[b, p, c] = settle_px[p, c] if settle_day[c] == d else vx_price[d, p, c]
                lo = c - 1 if c >= 1 else 0
                f_c = vx_price[prev, p, c]
                t_c = float(vx_dte[prev, c])
                f_lo = vx_price[prev, p, lo]
                t_lo = float(vx_dte[prev, lo])
                tn = tau_now[b, c]
                use_lo = c >= 1 and math.isfinite(f_lo) and t_lo > 0.0 and t_lo <= tn
                f0 = f_lo if use_lo else v_prev
                t0 = t_lo if use_lo else 0.0
                span = t_c - t0 if t_c > t0 else 1.0
                w = (tn - t0) / span
                # np.clip(w, 0, 1): NaN stays NaN
                if w < 0.0:
                    w = 0.0
                elif w > 1.0:
                    w = 1.0
                out = f0 + (f_c - f0) * w
                rolldown[b, p, c] = out if math.isfinite(out) else f_c


vx_block: Any
if AVAILABLE:
    vx_block = _nb.njit(cache=True, fastmath=False, nogil=True, error_model="numpy")(_vx_block_kernel)
else:  # pragma: no cover
    vx_block = None


def _black76_pdt_kernel(f, k, t, vol, r, is_call, price, delta, theta):  # pragma: no cover - compiled
    """Black-76 price, delta and theta of a (P, m) block of VIX options (the engine's marks); ``t <= 0`` the
    settlement values of :func:`alvh.strategy.kernels.black_greeks` (intrinsic, delta omega in the money else 0,
    theta 0). Scalar kernels of :mod:`alvh.pricing._scalar` with carry ``b = 0``."""
    n_p, n_m = f.shape
    for p in range(n_p):
        for j in range(n_m):
            omega = 1.0 if is_call[j] else -1.0
            fi, ki, ti = f[p, j], k[p, j], t[p, j]
            if ti <= 0.0:
                m = omega * (fi - ki)
                price[p, j] = m if m > 0.0 else 0.0
                delta[p, j] = omega if m > 0.0 else 0.0
                theta[p, j] = 0.0
                continue
            sqrt_t, carry_df, df = gbs_factors(ti, r, 0.0)
            g = gbs_greeks(fi, ki, ti, vol[p, j], r, 0.0, omega, math.log(fi / ki), sqrt_t, carry_df, df)
            price[p, j] = g[0]
            delta[p, j] = g[1]
            theta[p, j] = g[4]


black76_pdt: Any
if AVAILABLE:
    black76_pdt = _nb.njit(cache=True, fastmath=False, nogil=True, error_model="numpy")(_black76_pdt_kernel)
else:  # pragma: no cover
    black76_pdt = None
