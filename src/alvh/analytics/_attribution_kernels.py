"""The attribution's kernels: per-unit closed-form terms of one holding period (numpy) and the fused
compiled pass over (day, path, slot) (numba), for :func:`alvh.analytics.attribution.attribute`.

Formulas: docs/attribution.md; the closed forms are alvh.pricing's (numpy path) and its scalar kernels
(``alvh.pricing._scalar``, compiled path). tests/test_attribution.py asserts the two paths equal.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from alvh.engine.records import InstrumentKind, PositionRecords
from alvh.pricing import _scalar as _sc
from alvh.pricing.units import BP_PER_UNIT, DAYS_PER_YEAR, SECONDS_PER_DAY, VOL_POINTS_PER_UNIT

#: Attribution terms, in the order they are stored and reported.
TERMS: tuple[str, ...] = (
    "delta",  # SPX spot, first order
    "gamma",  # SPX spot, second order
    "vega",  # volatility factor, first order (SPX IV; VX curve move)
    "vanna",  # cross spot x vol
    "volga",  # volatility factor, second order
    "vol_of_vol",  # VIX options: their own implied vol
    "theta",  # time step at unchanged underlying and vol
    "carry",  # VX roll-down along an unchanged curve
    "residual",  # full revaluation minus all the terms above
    "costs",  # commissions, spreads, slippage from the engine's ledger
    "financing",  # financing leg from the engine's cash (and the hedge's private financing, per group)
    "interest",  # T-bill interest on the group's cash (the engine's per-component cash account)
)

#: Terms that come from the market move of the positions (not time, not cash).
MARKET_MOVE_TERMS: tuple[str, ...] = ("delta", "gamma", "vega", "vanna", "volga", "vol_of_vol", "residual")
#: vol points per 1.0 of decimal vol
_VOL_POINTS = VOL_POINTS_PER_UNIT
#: Years to expiry below which a position is treated as at settlement (about 1 second).
_T_SETTLED = 1.0 / (DAYS_PER_YEAR * SECONDS_PER_DAY)


def _intrinsic(u: np.ndarray, strike: np.ndarray, is_call: np.ndarray) -> np.ndarray:
    return np.where(is_call, np.maximum(u - strike, 0.0), np.maximum(strike - u, 0.0))


#: Held option entries re-priced to check that the marks are the model (``trust_marks=True``): every entry
#: of a batch up to this size (a one-path history's whole run is one batch: every mark checked, as in
#: 64-day chunks), an evenly spaced sample of this many in a larger one.
_MARK_CHECK_SAMPLE = 65536
#: The numba pass's check: at most this many entries of its 16 sampled days.
_MARK_CHECK_SAMPLE_DAYS = 4096
#: Tolerance of that check, relative to max(1, |mark|) in points.
_MARK_CHECK_RTOL = 1e-8


def _model_v0(kind: InstrumentKind, f: dict[str, np.ndarray], idx: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Model value at the previous close state, points per unit."""
    from alvh import pricing

    args = (f["underlying_prev"][idx], f["strike"][idx], f["t_prev"][idx], f["vol_prev"][idx], f["rate_prev"][idx])
    if kind == InstrumentKind.SPX_OPTION:
        return np.asarray(pricing.bsm_price(*args, f["div_prev"][idx], f["is_call"][idx], validate=False))
    return np.asarray(pricing.black76_price(*args, f["is_call"][idx], validate=False))


def _marks_are_model(kind: InstrumentKind, f: dict[str, np.ndarray]) -> bool:
    """True when the previous marks equal the model on an evenly spaced sample of the batch."""
    n = f["price_prev"].size
    idx = np.unique(np.linspace(0, n - 1, min(n, _MARK_CHECK_SAMPLE)).astype(np.intp))
    model = _model_v0(kind, f, idx)
    mark = f["price_prev"][idx]
    return bool(np.all(np.abs(model - mark) <= _MARK_CHECK_RTOL * np.maximum(1.0, np.abs(mark))))


def _option_terms(  # noqa: PLR0915 - one closed form per term, as docs/attribution.md
    kind: InstrumentKind,
    f: dict[str, np.ndarray],
    trust_marks: bool = False,
) -> tuple[dict[str, np.ndarray], np.ndarray, bool]:
    """Per-unit (points) terms, the vega notional per unit, and whether the marks were used as V0.

    With ``trust_marks`` the previous mark stands in for ``V(U0, sigma0, t0)`` (one pricing call
    fewer) when a sample of the batch shows the marks are the model prices.
    """
    from alvh import pricing  # imported here: analytics sits right of pricing in the layering

    k, cp = f["strike"], f["is_call"]
    t0, t1 = f["t_prev"], f["t_now"]
    u0, u1 = f["underlying_prev"], f["underlying_now"]
    s0 = f["vol_prev"]
    dsig = (f["vol_now"] - s0) * _VOL_POINTS
    r = f["rate_prev"]
    live = t1 > _T_SETTLED
    t1_live = np.where(live, t1, t0)  # any valid time; settled entries are overwritten below
    used_marks = trust_marks and _marks_are_model(kind, f)
    v0 = f["price_prev"] if used_marks else _model_v0(kind, f)
    if kind == InstrumentKind.SPX_OPTION:
        g = pricing.bsm_greeks(u0, k, t1_live, s0, r, f["div_prev"], cp, validate=False)
        du = u1 - u0
        a = np.zeros_like(du)
    else:
        g = pricing.black76_greeks(u0, k, t1_live, s0, r, cp, validate=False)
        a = f["underlying_rolldown"] - u0
        du = u1 - f["underlying_rolldown"]
    v1_old = np.asarray(g.price)
    delta, gamma = np.asarray(g.delta), np.asarray(g.gamma)
    vega, vanna, volga = np.asarray(g.vega), np.asarray(g.vanna), np.asarray(g.volga)

    zero = np.zeros_like(u0)
    out = {name: zero for name in TERMS[:8]}
    out["theta"] = v1_old - v0
    move = a + du
    if kind == InstrumentKind.SPX_OPTION:
        out["delta"] = delta * du
        out["gamma"] = 0.5 * gamma * du * du
        out["vega"] = vega * dsig
        out["volga"] = 0.5 * volga * dsig * dsig
        out["vanna"] = vanna * du * dsig
        notional = vega
    else:
        out["carry"] = delta * a + 0.5 * gamma * a * a
        out["vega"] = delta * du
        out["volga"] = 0.5 * gamma * (move * move - a * a)
        out["vol_of_vol"] = vega * dsig + 0.5 * volga * dsig * dsig
        out["vanna"] = vanna * move * dsig
        notional = delta
    settled = ~live
    if settled.any():
        # settlement day: intrinsic values replace the Taylor terms (greeks are undefined at t = 0)
        # the live arrays are fresh results, except the shared zero: give those their own buffer
        out = {name: (np.zeros_like(u0) if v is zero else v) for name, v in out.items()}
        notional = np.where(live, notional, 0.0)
        i0 = _intrinsic(u0[settled], k[settled], cp[settled])
        i1 = _intrinsic(u1[settled], k[settled], cp[settled])
        for name in TERMS[:8]:
            out[name][settled] = 0.0
        out["theta"][settled] = i0 - v0[settled]
        if kind == InstrumentKind.SPX_OPTION:
            out["delta"][settled] = i1 - i0
        else:
            ir = _intrinsic(f["underlying_rolldown"][settled], k[settled], cp[settled])
            out["carry"][settled] = ir - i0
            out["vega"][settled] = i1 - ir
    return out, notional, used_marks


# ---------------------------------------------------------------------------------------------
# Fused numba path (``backend="numba"``): the same formulas as the numpy path above in one
# compiled pass per (day, path, slot), parallel over blocks of paths (each block owns its paths'
# output cells and per-path sums, so there are no write races). The pass writes the result
# arrays directly (terms, costs, financing, the re-closed residual, total, vega notional, the
# core's IV change), runs the per-cell input checks of ``_attribution_checks._validate_cells``, and sums
# each path's dollars and bp over days for :meth:`Attribution.totals`. tests/test_attribution.py
# asserts equality with the numpy path. The closed forms are alvh.pricing's scalar kernels
# (alvh.pricing._scalar: generalized Black-Scholes, b = r - q for BSM, b = 0 for Black-76), inlined;
# the numpy path calls alvh.pricing itself.
#: Paths per parallel work item of the numba pass (and at least 8 items when there are enough paths).
_PATH_BLOCK = 128
#: Days sampled (evenly spaced) to check that the marks are the model, numba path (``trust_marks``).
_MARK_CHECK_DAYS = 16


def _fused_paths(  # noqa: PLR0915 - one fused pass per (day, path, slot)
    kind,
    qty,
    is_call,
    strike,
    t_prev,
    t_now,
    u_prev,
    u_now,
    u_roll,
    vol_prev,
    vol_now,
    rate,
    div,
    price_prev,
    price_now,
    mult,
    group_of_slot,
    is_core,
    t_settled,
    use_marks,
    costs,
    financing,
    financing_leg,
    cap,
    path_block,
    pnl,
    total,
    notional_out,
    core_iv,
    path_sums,
    first_bad,
    held_count,
):  # pragma: no cover - compiled: one fused pass per (day, path, slot)
    """One pass over (day, path, slot), parallel over blocks of ``path_block`` paths.

    Inputs are the records' (n_days, n_paths, n_slots) arrays with any strides (broadcast views
    too). Writes ``pnl`` (terms, days, paths, groups), ``total``, ``notional_out`` (days, paths,
    groups), ``core_iv`` (days, paths), ``path_sums`` (paths, groups, 2, terms + 1: dollars and
    bp summed over days, the last entry the total), per block the flat index of the first cell that
    fails an input check (-1 if none) and the held cells per kind.
    """
    n_days, n_paths, n_slots = qty.shape
    n_groups = total.shape[2]
    n_slot_groups = costs.shape[2]  # groups after these: the separate financing leg
    n_blocks = first_bad.shape[0]
    for blk in _prange(n_blocks):
        p_lo = blk * path_block
        p_hi = min(p_lo + path_block, n_paths)
        # rows 0-8: the 8 model terms and the residual (TERMS order); 9: market move; 10: vega notional
        acc = np.empty((11, n_groups))
        counts = np.zeros(4, dtype=np.int64)  # held cells per kind, written out once (no false sharing)
        bad = -1
        # last (t, r, b) seen at the previous close (c0_) and at the new time (c1_), and their
        # sqrt(t), exp((b - r) t), exp(-r t): legs of one path and day share them
        c0_t = c0_r = c0_b = c1_t = c1_r = c1_b = np.nan
        c0_sqrt = c0_carry = c0_df = c1_sqrt = c1_carry = c1_df = np.nan
        for d in range(n_days):
            for p in range(p_lo, p_hi):
                acc[:, :] = 0.0
                core_w = 0.0
                core_n = 0.0
                for s in range(n_slots):
                    q = qty[d, p, s]
                    kd = kind[d, p, s]
                    if kd < 0 or kd > 3 or not math.isfinite(q) or (q != 0.0 and kd == 0):
                        if bad < 0:
                            bad = (d * n_paths + p) * n_slots + s
                        continue
                    if q == 0.0:
                        continue
                    counts[kd] += 1
                    qm = q * mult[s]
                    g = group_of_slot[s]
                    u0 = u_prev[d, p, s]
                    u1 = u_now[d, p, s]
                    p0 = price_prev[d, p, s]
                    p1 = price_now[d, p, s]
                    market = qm * (p1 - p0)
                    acc[9, g] += market
                    if kd == 2:  # VX future
                        ur = u_roll[d, p, s]
                        if bad < 0 and not (
                            math.isfinite(u0)
                            and math.isfinite(u1)
                            and math.isfinite(ur)
                            and math.isfinite(p0)
                            and math.isfinite(p1)
                        ):
                            bad = (d * n_paths + p) * n_slots + s
                        carry = qm * (ur - u0)
                        vega = qm * (u1 - ur)
                        acc[7, g] += carry
                        acc[2, g] += vega
                        acc[8, g] += market - carry - vega
                        acc[10, g] += qm
                        continue
                    spx = kd == 1
                    kk = strike[d, p, s]
                    cp = is_call[d, p, s]
                    t0 = t_prev[d, p, s]
                    t1 = t_now[d, p, s]
                    s0 = vol_prev[d, p, s]
                    s1 = vol_now[d, p, s]
                    r = rate[d, p, s]
                    q_div = div[d, p, s] if spx else 0.0
                    ur = u0 if spx else u_roll[d, p, s]
                    if bad < 0 and not (
                        math.isfinite(kk)
                        and math.isfinite(t0)
                        and math.isfinite(t1)
                        and math.isfinite(u0)
                        and math.isfinite(u1)
                        and math.isfinite(ur)
                        and math.isfinite(s0)
                        and math.isfinite(s1)
                        and math.isfinite(r)
                        and math.isfinite(q_div)
                        and math.isfinite(p0)
                        and math.isfinite(p1)
                        and t1 >= 0.0
                        and t0 > 0.0
                        and s0 > 0.0
                    ):
                        bad = (d * n_paths + p) * n_slots + s
                    b = r - q_div if spx else 0.0  # Black-76 on the future: no carry
                    dsig = (s1 - s0) * _VOL_POINTS
                    ln_sk = math.log(u0 / kk)
                    omega = 1.0 if cp else -1.0
                    if use_marks[kd]:
                        v0 = p0
                    elif t0 <= 0.0:  # an invalid cell (flagged above): any finite value
                        v0 = _sc.intrinsic(u0, kk, omega)
                    else:
                        if t0 != c0_t or r != c0_r or b != c0_b:  # time factors shared by the legs
                            c0_t, c0_r, c0_b = t0, r, b
                            c0_sqrt, c0_carry, c0_df = _sc.gbs_factors(t0, r, b)
                        v0 = _sc.gbs_price(u0, kk, t0, s0, b, omega, ln_sk, c0_sqrt, c0_carry, c0_df)
                    # terms in points per unit: delta, gamma, vega, vanna, volga, vol_of_vol, theta, carry
                    x0 = x1 = x2 = x3 = x4 = x5 = x6 = x7 = 0.0
                    notional = 0.0
                    if t1 > t_settled:
                        if t1 != c1_t or r != c1_r or b != c1_b:
                            c1_t, c1_r, c1_b = t1, r, b
                            c1_sqrt, c1_carry, c1_df = _sc.gbs_factors(t1, r, b)
                        v1, dl, gm, vg, _, va, vo = _sc.gbs_greeks(
                            u0, kk, t1, s0, r, b, omega, ln_sk, c1_sqrt, c1_carry, c1_df
                        )
                        x6 = v1 - v0
                        if spx:
                            du = u1 - u0
                            x0 = dl * du
                            x1 = 0.5 * gm * du * du
                            x2 = vg * dsig
                            x3 = va * du * dsig
                            x4 = 0.5 * vo * dsig * dsig
                            notional = vg
                            if is_core[s]:
                                w = abs(qm * vg)
                                core_w += w
                                core_n += w * dsig
                        else:
                            a = ur - u0
                            bb = u1 - ur
                            mv = a + bb
                            x7 = dl * a + 0.5 * gm * a * a
                            x2 = dl * bb
                            x4 = 0.5 * gm * (mv * mv - a * a)
                            x5 = vg * dsig + 0.5 * vo * dsig * dsig
                            x3 = va * mv * dsig
                            notional = dl
                    else:  # settlement: intrinsic values (greeks undefined at t = 0)
                        i0 = _sc.intrinsic(u0, kk, omega)
                        i1 = _sc.intrinsic(u1, kk, omega)
                        x6 = i0 - v0
                        if spx:
                            x0 = i1 - i0
                        else:
                            ir = _sc.intrinsic(ur, kk, omega)
                            x7 = ir - i0
                            x2 = i1 - ir
                    y0, y1, y2, y3 = qm * x0, qm * x1, qm * x2, qm * x3
                    y4, y5, y6, y7 = qm * x4, qm * x5, qm * x6, qm * x7
                    acc[0, g] += y0
                    acc[1, g] += y1
                    acc[2, g] += y2
                    acc[3, g] += y3
                    acc[4, g] += y4
                    acc[5, g] += y5
                    acc[6, g] += y6
                    acc[7, g] += y7
                    acc[8, g] += market - (y0 + y1 + y2 + y3 + y4 + y5 + y6 + y7)
                    acc[10, g] += qm * notional
                core_iv[d, p] = core_n / core_w if core_w > 0.0 else np.nan
                inv_bp = BP_PER_UNIT / cap[d, p]
                for g in range(n_groups):
                    if g < n_slot_groups:
                        c = costs[d, p, g]
                        f = financing[d, p, g]
                    else:
                        c = 0.0
                        f = financing_leg[d, p]
                    tot = acc[9, g] + c + f
                    # re-close the residual on the group total (as the numpy path does)
                    closing = c + f
                    for j in range(9):
                        closing += acc[j, g]
                    acc[8, g] += tot - closing
                    for j in range(9):
                        pnl[j, d, p, g] = acc[j, g]
                        path_sums[p, g, 0, j] += acc[j, g]
                        path_sums[p, g, 1, j] += acc[j, g] * inv_bp
                    pnl[9, d, p, g] = c
                    pnl[10, d, p, g] = f
                    path_sums[p, g, 0, 9] += c
                    path_sums[p, g, 1, 9] += c * inv_bp
                    path_sums[p, g, 0, 10] += f
                    path_sums[p, g, 1, 10] += f * inv_bp
                    total[d, p, g] = tot
                    path_sums[p, g, 0, 11] += tot
                    path_sums[p, g, 1, 11] += tot * inv_bp
                    notional_out[d, p, g] = acc[10, g]
        first_bad[blk] = bad
        for kd in range(4):
            held_count[blk, kd] = counts[kd]


def _numba_arg(records: PositionRecords, name: str, dtype: type) -> np.ndarray:
    """A record field for the compiled pass: as is when already of ``dtype`` (any strides), else converted."""
    arr = np.asarray(getattr(records, name))
    return arr if arr.dtype == dtype else arr.astype(dtype)


def _sample_marks_are_model(records: PositionRecords, kind_code: InstrumentKind) -> bool | None:
    """The numba path's mark check: None when no position of that kind is held, else whether the
    previous marks equal the model on held positions of up to :data:`_MARK_CHECK_DAYS` evenly spaced
    days (all days if those hold none), at most :data:`_MARK_CHECK_SAMPLE_DAYS` of them."""
    kind = np.asarray(records.kind)
    n_days = kind.shape[0]
    if not (kind == kind_code).any():
        return None
    qty = np.asarray(records.quantity)
    for days in (
        np.unique(np.linspace(0, n_days - 1, min(n_days, _MARK_CHECK_DAYS)).astype(np.intp)),
        np.arange(n_days),
    ):
        held = np.nonzero((kind[days] == kind_code) & (qty[days] != 0))
        if held[0].size:
            break
    else:
        return None
    pick = np.unique(np.linspace(0, held[0].size - 1, min(held[0].size, _MARK_CHECK_SAMPLE_DAYS)).astype(np.intp))
    cell = (days[held[0][pick]], held[1][pick], held[2][pick])
    f = {
        name: np.asarray(getattr(records, name))[cell].astype(bool if name == "is_call" else float)
        for name in (
            "underlying_prev",
            "strike",
            "t_prev",
            "vol_prev",
            "rate_prev",
            "div_prev",
            "is_call",
            "price_prev",
        )
    }
    return _marks_are_model(kind_code, f)


_prange: Any
_fused_paths_compiled: Any
try:  # numba is a declared dependency; the numpy path covers its absence
    import numba as _nb

    _prange = _nb.prange
    _fused_paths_compiled = _nb.njit(parallel=True, cache=True, nogil=True)(_fused_paths)
    NUMBA_AVAILABLE = True
except ImportError:  # pragma: no cover
    _prange = range
    _fused_paths_compiled = None
    NUMBA_AVAILABLE = False
