"""Compiled day kernels: the day loop's per-day bookkeeping fused into numba passes over all path slots.

Each kernel is the numpy code of its stage (the slow reference, kept beside it and used by the
``"numpy"`` backend and whenever :func:`usable` says no) written element by element, in the same
floating-point order, so the results are bit-identical (tests/test_day_kernels.py compares whole runs,
real data and simulated paths, array by array):

* ``x.sum(axis=1)`` over fewer than 8 columns is numpy's plain left-to-right sum ``((x0 + x1) + x2) ...``;
* ``np.add.reduceat`` over a segment of at most 8 values is ``x0 + (((-0.0 + x1) + x2) ...)`` (numpy's
  reduce loop: the first element, plus the pairwise sum of the rest, sequential below 8 elements);
* elementwise products are evaluated left to right, as numpy does (no fused multiply-add: numba compiles
  without fastmath).

Wider layouts (8 or more slots, a component or a layer with more than 8 slots) use numpy's summation
blocks, which these kernels do not reproduce: :func:`usable` then returns False and the stages run
their numpy code. The stages call these kernels when :attr:`EngineState.dk` is this module
(``backend`` numba and :data:`ENABLED`); the kernels change nothing the stages do not change.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

#: fused day kernels on (with the numba backend); tests switch it off to run the numpy reference
ENABLED: bool = True
AVAILABLE: bool = importlib.util.find_spec("numba") is not None
#: numpy's sums below this many terms are sequential (see the module docstring)
_SEQ_MAX = 8


def usable(n_slots: int, n_components: int, comp_start: np.ndarray, layer_start: np.ndarray) -> bool:
    """Whether the kernels reproduce numpy's sums for this slot layout (see the module docstring)."""
    seg_c = np.diff(np.r_[comp_start, n_slots])
    ok = n_slots < _SEQ_MAX and n_components + 1 < _SEQ_MAX and (seg_c <= _SEQ_MAX).all()
    return bool(ENABLED and AVAILABLE and ok and (len(layer_start) == 0 or np.diff(layer_start).max(initial=1) <= 8))


def _seg(x, perm, a, b):  # pragma: no cover - compiled
    """np.add.reduceat's sum of x[perm[a:b]] (b - a <= 8): the first value plus the sequential rest."""
    t = -0.0
    for i in range(a + 1, b):
        t += x[perm[i]]
    return x[perm[a]] + t


def _accrue_kernel(acct, cash, K, g, paid, do_leg, do_interest, fin_row, interest_row):  # pragma: no cover
    """financing.accrue without private hedge financing (``hedge_financed`` None)."""
    for p in range(cash.shape[0]):
        if do_leg:
            leg = acct[p, K] * g - paid
            acct[p, K] += leg
            cash[p] += leg
            fin_row[p] = leg
        if do_interest:
            s = 0.0
            for c in range(K):
                i = acct[p, c] * g
                acct[p, c] += i
                interest_row[p, c] = i
                s = i if c == 0 else s + i
            cash[p] += s


def _write_row_kernel(  # pragma: no cover - compiled
    d, o, rq, rk, rtp, rtn, rup, run, rur, rvp, rvn, rpp, rpn, rkind, rcall, kind, is_call,
    qty, strike, t_last, t_now, und_last, und_now, und_rd, vol_last, vol_now, price_last, price_now,
    mult, fut, any_fut, perm, cstart, pnl_row, acct,
):  # fmt: skip
    """recording.write_row and recording.blank_empty on row d: the records row of the own paths (kind NONE,
    strike and vols NaN, the other floats 0 where a slot holds nothing), the slot P&L, its component sums, the
    futures' variation margin into the component accounts."""
    P, S = qty.shape
    K = cstart.shape[0]
    slot_pnl = np.empty(S)
    for p in range(P):
        for s in range(S):
            if p < o:
                rq[d, p, s] = qty[p, s]
                if qty[p, s] == 0.0:
                    rkind[d, p, s] = 0
                    rcall[d, p, s] = False
                    rk[d, p, s] = np.nan
                    rvp[d, p, s] = np.nan
                    rvn[d, p, s] = np.nan
                    rtp[d, p, s] = 0.0
                    rtn[d, p, s] = 0.0
                    rup[d, p, s] = 0.0
                    run[d, p, s] = 0.0
                    rur[d, p, s] = 0.0
                    rpp[d, p, s] = 0.0
                    rpn[d, p, s] = 0.0
                else:
                    rkind[d, p, s] = kind[s]
                    rcall[d, p, s] = is_call[s]
                    rk[d, p, s] = strike[p, s]
                    rtp[d, p, s] = t_last[p, s]
                    rtn[d, p, s] = t_now[p, s]
                    rup[d, p, s] = und_last[p, s]
                    run[d, p, s] = und_now[p, s]
                    rur[d, p, s] = und_rd[p, s]
                    rvp[d, p, s] = vol_last[p, s]
                    rvn[d, p, s] = vol_now[p, s]
                    rpp[d, p, s] = price_last[p, s]
                    rpn[d, p, s] = price_now[p, s]
            slot_pnl[s] = qty[p, s] * mult[s] * (price_now[p, s] - price_last[p, s])
        for c in range(K):
            b = cstart[c + 1] if c + 1 < K else S
            pnl_row[p, c] = _seg(slot_pnl, perm, cstart[c], b)
        if any_fut:
            for s in range(S):
                if not fut[s]:
                    slot_pnl[s] = 0.0
            for c in range(K):
                b = cstart[c + 1] if c + 1 < K else S
                acct[p, c] += _seg(slot_pnl, perm, cstart[c], b)


def _nav_kernel(qty, mult, price_last, cash, debt, out):  # pragma: no cover - compiled
    """recording.nav_before_trades: cash + sum over slots of q x mult x price - debt."""
    P, S = qty.shape
    for p in range(P):
        s_ = 0.0
        for s in range(S):
            v = qty[p, s] * mult[s] * price_last[p, s]
            s_ = v if s == 0 else s_ + v
        out[p] = cash[p] + s_ - debt


def _close_day_kernel(  # pragma: no cover - compiled
    d, qty, mult, price_last, cash, debt, perm, cstart, greeks_m, core_strikes, credit,
    value, nav, cash_hist, greeks, snap_strikes, snap_credit, snap_condors,
):  # fmt: skip
    """recording.close_day: component values, NAV, cash, greeks (to float32) and the core's snapshot."""
    P, S = qty.shape
    K = cstart.shape[0]
    mv = np.empty(S)
    for p in range(P):
        tot = 0.0
        for s in range(S):
            mv[s] = qty[p, s] * mult[s] * price_last[p, s]
            tot = mv[s] if s == 0 else tot + mv[s]
        for c in range(K):
            b = cstart[c + 1] if c + 1 < K else S
            value[d, p, c] = _seg(mv, perm, cstart[c], b)
        nav[d, p] = cash[p] + tot - debt
        cash_hist[d, p] = cash[p]
        for c in range(greeks_m.shape[1]):
            for j in range(4):
                greeks[d, p, c, j] = np.float32(greeks_m[p, c, j])
        for j in range(4):
            snap_strikes[d, p, j] = core_strikes[p, j]
        snap_credit[d, p] = credit[p]
        snap_condors[d, p] = abs(qty[p, 1])


def _vega_pnl_kernel(held, qty, mult, und_now, und_rd, hs, lperm, lstart, cols, out):  # pragma: no cover
    """rebalance.layer_vega_pnl, basis "raw", futures-only layers: per compared layer the sum over its slots of
    ``q x mult x (F_now - F_rolldown)`` where held (0 where none is)."""
    P = qty.shape[0]
    H = hs.shape[0]
    L = lstart.shape[0]
    v = np.empty(H)
    for p in range(P):
        for i in range(H):
            s = hs[i]
            v[i] = qty[p, s] * mult[s] * (und_now[p, s] - und_rd[p, s]) if held[p, s] else 0.0
        for k in range(cols.shape[0]):
            j = cols[k]
            b = lstart[j + 1] if j + 1 < L else H
            any_h = False
            for i in range(lstart[j], b):
                any_h = any_h or held[p, hs[lperm[i]]]
            out[p, k] = _seg(v, lperm, lstart[j], b) if any_h else 0.0


def _ratio_fire_kernel(  # pragma: no cover - compiled
    beta, scale, tol, qty, s_short, s_long, cooldown, threshold, ratio_row, beta_row, fire
):  # fmt: skip
    """rebalance.apply_rebalance's daily part: stats.beta_ratio on checked arguments (rolling_beta._ratio), the
    trigger (strategy.rebalance.fire_mask), the cooldown count-down; returns whether any path fires."""
    any_fire = False
    for p in range(qty.shape[0]):
        bs = abs(beta[p, 0])
        bl = abs(beta[p, 1])
        ss = scale[p, 0]
        sl = scale[p, 1]
        beta_row[p, 0] = beta[p, 0]
        beta_row[p, 1] = beta[p, 1]
        ok = (bs > tol * ss) and (bs <= (1.0 + tol) * ss) and (bl > tol * sl) and (bl <= (1.0 + tol) * sl)
        r = bs / bl if ok else np.nan
        ratio_row[p] = r
        both = qty[p, s_short] != 0 and qty[p, s_long] != 0
        f = (r > threshold[p]) and (cooldown[p] <= 0) and both
        fire[p] = f
        any_fire = any_fire or f
        cooldown[p] -= 1
    return any_fire


def _due_kernel(qty, exp_ord, today, min_dte, live, due, due_any):  # pragma: no cover - compiled
    """layer_rules.apply_layers' roll check: a flat live layer, or a held one under its min DTE."""
    P = qty.shape[0]
    L = min_dte.shape[0]
    for j in range(L):
        due_any[j] = False
    for p in range(P):
        for j in range(L):
            s = 4 + j
            h = qty[p, s] != 0
            x = (not h and live[p, j]) or (h and (exp_ord[p, s] - today) < min_dte[j])
            due[p, j] = x
            due_any[j] = due_any[j] or x


def _day_marks_kernel(  # pragma: no cover - compiled
    qty, exp_ord, today, price_last, und_last, vol_last, held, t_now, price_now, und_now, und_rd, vol_now
):  # fmt: skip
    """marks.mark_day's starting arrays (held, t_now, the last marks copied); returns (any SPX leg held, any
    VIX-product slot held)."""
    P, S = qty.shape
    spx = False
    vix = False
    for p in range(P):
        for s in range(S):
            h = qty[p, s] != 0
            held[p, s] = h
            if h:
                if s < 4:
                    spx = True
                else:
                    vix = True
            t = (exp_ord[p, s] - today) / 365.0
            t_now[p, s] = t if t > 0.0 else 0.0
            price_now[p, s] = price_last[p, s]
            und_now[p, s] = und_last[p, s]
            und_rd[p, s] = und_last[p, s]
            vol_now[p, s] = vol_last[p, s]
    return spx, vix


def _trade_kernel(  # pragma: no cover - compiled
    d, s, reason, dq, price, cost, mult_s, fut_s, comp, cash, acct, cost_day, contract, strike, expiry, why, use_why
):  # fmt: skip
    """fills.trade and Ledger.add: book buying dq of slot s at price plus cost (cash, the component's cash and
    costs), and return the ledger part (LEDGER_FIELDS order) of the paths that traded (empty arrays: none)."""
    P = dq.shape[0]
    q = np.empty(P)
    k = 0
    for p in range(P):
        x = dq[p]
        q[p] = x if np.isfinite(x) else 0.0
        if q[p] != 0:
            k += 1
    out = (
        np.full(k, d, np.int32), np.empty(k, np.int32), np.full(k, s, np.int16), np.empty(k), np.empty(k),
        np.empty(k), np.full(k, reason, np.int8), np.empty(k, np.int32), np.empty(k), np.empty(k, np.int64),
        np.zeros(k, np.int8),
    )  # fmt: skip
    if k == 0:
        return out
    i = 0
    for p in range(P):
        if q[p] == 0:
            c = 0.0
            paid = q[p] * mult_s * 0.0 + c
        else:
            c = cost[p]
            paid = q[p] * mult_s * price[p] + c
        cash[p] -= paid
        acct[p, comp] -= c if fut_s else paid
        cost_day[p, comp] += c
        if q[p] != 0:
            out[1][i] = p
            out[3][i] = q[p]
            out[4][i] = price[p]
            out[5][i] = c
            out[7][i] = contract[p]
            out[8][i] = strike[p]
            out[9][i] = expiry[p]
            if use_why:
                out[10][i] = why[p]
            i += 1
    return out


def _enter_legs_kernel(  # pragma: no cover - compiled
    go, strikes, expiry, n, sign, qty, strike, exp_ord, dq, price, spot, vol, t, rate,
    price_last, und_last, vol_last, t_last, rate_last,
):  # fmt: skip
    """core_rules._entry's updates of the 4 legs where ``go``: strikes, expiry, quantity (``dq[s, p]`` out) and
    the entry's marks (price, spot, vol, time, rate). The trades that follow read neither the quantity nor the
    marks (their price is the entry's), so the marks are written here, before them, as in the numpy order's
    results."""
    for p in range(go.shape[0]):
        for s in range(4):
            if go[p]:
                strike[p, s] = strikes[p, s]
                exp_ord[p, s] = expiry
                dq[s, p] = sign[s] * n[p]
                price_last[p, s] = price[p, s]
                und_last[p, s] = spot[p]
                vol_last[p, s] = vol[p, s]
                t_last[p, s] = t
                rate_last[p, s] = rate
            else:
                dq[s, p] = 0.0
            qty[p, s] += dq[s, p]


_FUNCS = (
    "_accrue_kernel",
    "_write_row_kernel",
    "_nav_kernel",
    "_close_day_kernel",
    "_vega_pnl_kernel",
    "_ratio_fire_kernel",
    "_due_kernel",
    "_day_marks_kernel",
    "_trade_kernel",
    "_enter_legs_kernel",
)
accrue: Any
write_row: Any
nav_before_trades: Any
close_day: Any
vega_pnl: Any
ratio_fire: Any
due: Any
day_marks: Any
trade: Any
enter_legs: Any
if AVAILABLE:
    import numba as _nb

    _seg = _nb.njit(cache=True, inline="always")(_seg)
    _jit = _nb.njit(cache=True, nogil=True, error_model="numpy")
    (
        accrue,
        write_row,
        nav_before_trades,
        close_day,
        vega_pnl,
        ratio_fire,
        due,
        day_marks,
        trade,
        enter_legs,
    ) = (_jit(globals()[f]) for f in _FUNCS)
