"""P&L attribution: single instruments against QuantLib and finite differences,
exact summation (hypothesis), and the vectorized pass against a slow
per-position reference loop written independently here (closed forms with
math.erf, not alvh.pricing).

The synthetic PositionRecords builder ``make_records`` lives in tests/helpers.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alvh.analytics.attribution import TERMS, attribute, slot_groups
from alvh.engine.records import InstrumentKind, PositionRecords
from alvh.errors import InputError
from helpers import (
    intrinsic,
    make_records,
    ql_black76,
    ql_european,
    ref_black76,
    ref_bsm,
    single_record,
)


def reference_terms(kind, call, k, t0, t1, u0, u1, ur, s0, s1, r, q, p0, p1):
    """Slow, obviously-correct per-position attribution in points per unit (docs/attribution.md)."""
    out = dict.fromkeys(TERMS[:9], 0.0)
    if kind == InstrumentKind.VX_FUTURE:
        out["carry"] = ur - u0
        out["vega"] = u1 - ur
    elif kind in (InstrumentKind.SPX_OPTION, InstrumentKind.VIX_OPTION):
        spx = kind == InstrumentKind.SPX_OPTION
        v0 = ref_bsm(u0, k, t0, s0, r, q, call)["price"] if spx else ref_black76(u0, k, t0, s0, r, call)["price"]
        dsig = (s1 - s0) * 100
        if t1 <= 0:
            out["theta"] = intrinsic(u0, k, call) - v0
            if spx:
                out["delta"] = intrinsic(u1, k, call) - intrinsic(u0, k, call)
            else:
                out["carry"] = intrinsic(ur, k, call) - intrinsic(u0, k, call)
                out["vega"] = intrinsic(u1, k, call) - intrinsic(ur, k, call)
        else:
            g = ref_bsm(u0, k, t1, s0, r, q, call) if spx else ref_black76(u0, k, t1, s0, r, call)
            out["theta"] = g["price"] - v0
            if spx:
                du = u1 - u0
                out["delta"] = g["delta"] * du
                out["gamma"] = 0.5 * g["gamma"] * du * du
                out["vega"] = g["vega"] * dsig
                out["vanna"] = g["vanna"] * du * dsig
                out["volga"] = 0.5 * g["volga"] * dsig * dsig
            else:
                a, b = ur - u0, u1 - ur
                out["carry"] = g["delta"] * a + 0.5 * g["gamma"] * a * a
                out["vega"] = g["delta"] * b
                out["volga"] = 0.5 * g["gamma"] * ((a + b) ** 2 - a * a)
                out["vol_of_vol"] = g["vega"] * dsig + 0.5 * g["volga"] * dsig * dsig
                out["vanna"] = g["vanna"] * (a + b) * dsig
    out["residual"] = (p1 - p0) - sum(out[name] for name in TERMS[:8])
    return out


def reference_attribution(rec: PositionRecords) -> np.ndarray:
    """Per-position loop: dollars per term, shape (n_terms-2, n_days, n_paths, n_slots)."""
    n_days, n_paths, n_slots = rec.quantity.shape
    out = np.zeros((9, n_days, n_paths, n_slots))
    for d in range(n_days):
        for p in range(n_paths):
            for s in range(n_slots):
                qm = rec.quantity[d, p, s] * rec.slots.multiplier[s]
                if qm == 0:
                    continue
                idx = (d, p, s)
                terms = reference_terms(
                    InstrumentKind(rec.kind[idx]),
                    bool(rec.is_call[idx]),
                    rec.strike[idx],
                    rec.t_prev[idx],
                    rec.t_now[idx],
                    rec.underlying_prev[idx],
                    rec.underlying_now[idx],
                    rec.underlying_rolldown[idx],
                    rec.vol_prev[idx],
                    rec.vol_now[idx],
                    rec.rate_prev[idx],
                    rec.div_prev[idx],
                    rec.price_prev[idx],
                    rec.price_now[idx],
                )
                for j, name in enumerate(TERMS[:9]):
                    out[j, d, p, s] = qm * terms[name]
    return out


def test_spx_option_against_quantlib_revaluation_and_greeks():
    s0, s1, k, d0, sig0, sig1, r, q = 4000.0, 3960.0, 3800.0, 30, 0.20, 0.215, 0.04, 0.015
    p0 = ql_european(s0, k, d0, sig0, r, q, False)[0]
    p1 = ql_european(s1, k, d0 - 1, sig1, r, q, False)[0]
    rec = single_record(
        InstrumentKind.SPX_OPTION,
        call=False,
        k=k,
        t0=d0 / 365,
        t1=(d0 - 1) / 365,
        u0=s0,
        u1=s1,
        s0=sig0,
        s1=sig1,
        r=r,
        q=q,
        p0=p0,
        p1=p1,
        qty=-2.0,
    )
    att = attribute(rec, capital=1e6)
    term = {name: att.term(name)[1, 0, 0] / (-2.0 * 100) for name in TERMS}
    v_t1 = ql_european(s0, k, d0 - 1, sig0, r, q, False)
    # theta = QuantLib's revaluation at the new time, old market
    assert term["theta"] == pytest.approx(v_t1[0] - p0, rel=1e-9, abs=1e-9)
    # Taylor terms with QuantLib's greeks at (S0, sigma0, t1); vega per vol point = QuantLib vega / 100
    ds, dsig = s1 - s0, (sig1 - sig0) * 100
    assert term["delta"] == pytest.approx(v_t1[1] * ds, rel=1e-8)
    assert term["gamma"] == pytest.approx(0.5 * v_t1[2] * ds * ds, rel=1e-8)
    assert term["vega"] == pytest.approx(v_t1[3] / 100 * dsig, rel=1e-8)
    # vanna and volga against finite differences of QuantLib delta and vega
    h = 1e-4
    up, dn = ql_european(s0, k, d0 - 1, sig0 + h, r, q, False), ql_european(s0, k, d0 - 1, sig0 - h, r, q, False)
    vanna_pt = (up[1] - dn[1]) / (2 * h) / 100
    volga_pt = (up[3] - dn[3]) / (2 * h) / 1e4
    assert term["vanna"] == pytest.approx(vanna_pt * ds * dsig, rel=1e-5)
    assert term["volga"] == pytest.approx(0.5 * volga_pt * dsig * dsig, rel=1e-5)
    # full revaluation: the terms sum to QuantLib's price change exactly, and the residual is small
    total = p1 - p0
    assert sum(term[n] for n in TERMS) == pytest.approx(total, abs=1e-10)
    explained = sum(abs(term[n]) for n in ("delta", "gamma", "vega", "theta"))
    assert abs(term["residual"]) < 0.02 * explained


def test_vix_option_on_future_against_quantlib_black_calculator():
    f0, froll, f1, k, d0, sig0, sig1, r = 21.0, 20.8, 23.5, 22.0, 40, 0.85, 0.80, 0.03
    p0 = ql_black76(f0, k, d0 / 365, sig0, r, True)[0]
    p1 = ql_black76(f1, k, (d0 - 1) / 365, sig1, r, True)[0]
    rec = single_record(
        InstrumentKind.VIX_OPTION,
        k=k,
        t0=d0 / 365,
        t1=(d0 - 1) / 365,
        u0=f0,
        u1=f1,
        ur=froll,
        s0=sig0,
        s1=sig1,
        r=r,
        p0=p0,
        p1=p1,
        qty=10.0,
    )
    att = attribute(rec, capital=1e6)
    term = {name: att.term(name)[1, 0, 0] / 1000.0 for name in TERMS}
    v, delta, gamma, vega = ql_black76(f0, k, (d0 - 1) / 365, sig0, r, True)
    a, b = froll - f0, f1 - froll
    assert term["theta"] == pytest.approx(v - p0, rel=1e-9)
    assert term["carry"] == pytest.approx(delta * a + 0.5 * gamma * a * a, rel=1e-8)
    assert term["vega"] == pytest.approx(delta * b, rel=1e-8)
    assert term["volga"] == pytest.approx(0.5 * gamma * ((a + b) ** 2 - a * a), rel=1e-8)
    h = 1e-4
    vu, vd = ql_black76(f0, k, (d0 - 1) / 365, sig0 + h, r, True), ql_black76(f0, k, (d0 - 1) / 365, sig0 - h, r, True)
    volga_pt = (vu[3] - vd[3]) / (2 * h) / 1e4
    dsig = (sig1 - sig0) * 100
    assert term["vol_of_vol"] == pytest.approx(vega / 100 * dsig + 0.5 * volga_pt * dsig * dsig, rel=1e-5)
    assert term["vanna"] == pytest.approx((vu[1] - vd[1]) / (2 * h) / 100 * (a + b) * dsig, rel=1e-5)
    assert sum(term.values()) == pytest.approx(p1 - p0, abs=1e-10)
    assert abs(term["residual"]) < 0.05 * (abs(term["vega"]) + abs(term["theta"]) + abs(term["vol_of_vol"]))
    assert att.vega_notional[1, 0, 0] == pytest.approx(10 * 100 * delta, rel=1e-8)


def test_vx_future_carry_and_curve_move_exact():
    rec = single_record(InstrumentKind.VX_FUTURE, u0=18.0, ur=17.9, u1=19.25, p0=18.0, p1=19.25, qty=-3.0, mult=1000.0)
    att = attribute(rec, capital=1e6)
    assert att.term("carry")[1, 0, 0] == pytest.approx(-3000 * (17.9 - 18.0), abs=1e-9)
    assert att.term("vega")[1, 0, 0] == pytest.approx(-3000 * (19.25 - 17.9), abs=1e-9)
    for name in ("delta", "gamma", "theta", "vanna", "volga", "vol_of_vol", "residual"):
        assert att.term(name)[1, 0, 0] == pytest.approx(0.0, abs=1e-9)
    assert att.vega_notional[1, 0, 0] == -3000.0


def test_expiry_day_puts_time_value_in_theta_and_payoff_in_delta():
    s0, s1, k = 4000.0, 3950.0, 3975.0
    p0 = ql_european(s0, k, 1, 0.25, 0.03, 0.0, False)[0]
    rec = single_record(
        InstrumentKind.SPX_OPTION,
        call=False,
        k=k,
        t0=1 / 365,
        t1=0.0,
        u0=s0,
        u1=s1,
        s0=0.25,
        s1=0.3,
        r=0.03,
        p0=p0,
        p1=max(k - s1, 0.0),
        qty=1.0,
    )
    att = attribute(rec, capital=1e6)
    assert att.term("theta")[1, 0, 0] == pytest.approx(100 * (0.0 - p0), rel=1e-12)
    assert att.term("delta")[1, 0, 0] == pytest.approx(100 * 25.0, rel=1e-12)
    assert att.term("residual")[1, 0, 0] == pytest.approx(0.0, abs=1e-9)
    assert att.term("vega")[1, 0, 0] == 0.0


@pytest.mark.parametrize("layer_kind", ["futures", "calls"])
def test_vectorized_equals_per_position_reference_loop(layer_kind):
    rec = make_records(seed=3, n_days=12, n_paths=2, layer_kind=layer_kind, mark_noise=0.01, expiry_day=7)
    att = attribute(rec, capital=np.array([1e6, 2e6]), day_chunk=5)
    ref = reference_attribution(rec)
    groups, gi = slot_groups(rec)
    onehot = np.eye(len(groups))[gi]
    ref_grouped = ref @ onehot
    np.testing.assert_allclose(att.pnl[:9], ref_grouped, rtol=1e-9, atol=1e-7)
    # and the chunking does not change anything
    np.testing.assert_allclose(
        attribute(rec, capital=np.array([1e6, 2e6]), day_chunk=64).pnl, att.pnl, rtol=0, atol=1e-9
    )


def _backends() -> list[str]:
    from alvh.analytics.attribution import NUMBA_AVAILABLE

    return ["numpy", "numba"] if NUMBA_AVAILABLE else ["numpy"]


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    noise=st.floats(0.0, 2.0),
    kind=st.sampled_from(["futures", "calls"]),
    cost=st.floats(-500.0, 0.0),
    fin=st.floats(-50.0, 50.0),
    backend=st.sampled_from(_backends()),
)
def test_components_sum_exactly_to_total(seed, noise, kind, cost, fin, backend):
    rec = make_records(seed=seed, n_days=6, n_paths=2, layer_kind=kind, mark_noise=noise, expiry_day=4)
    n_groups = len(slot_groups(rec)[0])
    rng = np.random.default_rng(seed)
    costs = cost * rng.random((6, 2, n_groups))
    financing = np.full((6, 2, n_groups), fin)
    att = attribute(rec, capital=1e6, cost_pnl=costs, financing_pnl=financing, backend=backend)
    qm = rec.quantity * rec.slots.multiplier
    market = np.where(qm != 0, qm * (np.nan_to_num(rec.price_now) - np.nan_to_num(rec.price_prev)), 0.0)
    expected_total = market @ np.eye(n_groups)[slot_groups(rec)[1]] + costs + financing
    np.testing.assert_allclose(att.total, expected_total, rtol=0, atol=1e-9)
    assert att.sum_error() <= 1e-9
    np.testing.assert_array_equal(att.term("costs"), costs)


def test_residual_small_against_the_explained_terms_on_realistic_days():
    rec = make_records(seed=11, n_days=30, n_paths=4, layer_kind="calls")
    att = attribute(rec, capital=1e6)
    for g in range(len(att.groups)):
        explained = sum(np.abs(att.term(n)[..., g]).sum() for n in ("delta", "gamma", "vega", "theta", "carry"))
        assert np.abs(att.term("residual")[..., g]).sum() < 0.05 * explained


def test_totals_tables_in_dollars_and_bp():
    rec = make_records(seed=5, n_days=10, n_paths=2)
    att = attribute(rec, capital=2e6)
    usd, bp = att.totals("usd"), att.totals("bp")
    assert list(usd.index) == ["core", "short", "mid", "long", "all"]
    np.testing.assert_allclose(usd["total"].to_numpy()[:-1], att.total.sum(axis=0).mean(axis=0))
    np.testing.assert_allclose(bp.to_numpy(), usd.to_numpy() / 2e6 * 1e4)
    np.testing.assert_allclose(usd[list(TERMS)].sum(axis=1), usd["total"], atol=1e-6)
    frame = att.to_frame(path=1)
    assert frame.shape == (10 * 4, len(TERMS) + 1)


def test_bad_inputs_raise_clear_errors():
    rec = make_records(seed=1, n_days=5, n_paths=1)
    vol = rec.vol_prev.copy()
    vol[2, 0, 1] = np.nan
    bad = PositionRecords(**{**rec.__dict__, "vol_prev": vol})
    with pytest.raises(InputError, match=r"vol_prev.*\(2, 0, 1\)"):
        attribute(bad, capital=1e6)
    kind = rec.kind.copy()
    kind[1, 0, 0] = 9
    with pytest.raises(InputError, match="unknown instrument kind"):
        attribute(PositionRecords(**{**rec.__dict__, "kind": kind}), capital=1e6)
    with pytest.raises(InputError, match="capital"):
        attribute(rec, capital=0.0)
    with pytest.raises(InputError, match="cost_pnl"):
        attribute(rec, capital=1e6, cost_pnl=np.zeros((5, 1, 2)))
    with pytest.raises(InputError, match="unknown attribution term"):
        attribute(rec, capital=1e6).term("rho")


def test_financing_per_path_becomes_its_own_group():
    rec = make_records(seed=8, n_days=6, n_paths=2)
    fin = -np.arange(12, dtype=float).reshape(6, 2)
    att = attribute(rec, capital=1e6, financing_pnl=fin)
    assert att.groups == ("core", "short", "mid", "long", "financing")
    np.testing.assert_array_equal(att.total[..., -1], fin)
    np.testing.assert_array_equal(att.term("financing")[..., -1], fin)
    assert (att.pnl[:, ..., -1].sum(axis=0) == fin).all()
    assert att.sum_error() <= 1e-9
    np.testing.assert_allclose(att.total[..., :4], attribute(rec, capital=1e6).total, atol=0)


def test_trust_marks_uses_model_marks_and_falls_back_when_they_are_not_the_model():
    rec = make_records(seed=13, n_days=15, n_paths=3, layer_kind="calls", expiry_day=9)
    full = attribute(rec, capital=1e6)
    fast = attribute(rec, capital=1e6, trust_marks=True)
    assert fast.meta["option_batches_using_marks"] > 0 and fast.meta["option_batches_repriced"] == 0
    np.testing.assert_allclose(fast.pnl, full.pnl, rtol=0, atol=1e-8)
    # marks that are not the model: every batch is re-priced, results equal the full revaluation
    noisy = PositionRecords(**{**rec.__dict__, "price_prev": rec.price_prev + 0.05})
    checked = attribute(noisy, capital=1e6, trust_marks=True)
    assert checked.meta["option_batches_using_marks"] == 0
    np.testing.assert_array_equal(checked.pnl, attribute(noisy, capital=1e6).pnl)


@pytest.mark.parametrize("layer_kind", ["futures", "calls"])
def test_numba_backend_equals_numpy_backend(layer_kind):
    from alvh.analytics.attribution import NUMBA_AVAILABLE

    if not NUMBA_AVAILABLE:
        pytest.skip("numba not installed")
    rec = make_records(
        seed=17, n_days=14, n_paths=3, layer_kind=layer_kind, mark_noise=0.02, expiry_day=6, flat_core_days=(3,)
    )
    costs = -np.ones((14, 3, 4))
    fin = -np.full((14, 3), 2.0)
    a = attribute(rec, capital=1e6, cost_pnl=costs, financing_pnl=fin, backend="numpy", day_chunk=5)
    b = attribute(rec, capital=1e6, cost_pnl=costs, financing_pnl=fin, backend="numba", day_chunk=5)
    assert b.meta["backend"] == "numba" and a.meta["backend"] == "numpy"
    np.testing.assert_allclose(b.pnl, a.pnl, rtol=1e-9, atol=1e-7)
    np.testing.assert_allclose(b.vega_notional, a.vega_notional, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(b.core_iv_change, a.core_iv_change, rtol=1e-9, atol=1e-12)
    assert b.sum_error() <= 1e-9
    with pytest.raises(InputError, match="backend"):
        attribute(rec, capital=1e6, backend="gpu")


# ---------------------------------------------------------------- the numba pass: same numbers, same checks
def _numba_or_skip():
    from alvh.analytics.attribution import NUMBA_AVAILABLE

    if not NUMBA_AVAILABLE:
        pytest.skip("numba not installed")


def _engine_like(rec: PositionRecords) -> PositionRecords:
    """rate_prev and div_prev as the engine stores them: read-only broadcast views (one value per day / slot)."""
    n_days, n_paths, n_slots = rec.quantity.shape
    rate = np.broadcast_to(np.full((n_days, 1, 1), 0.03), (n_days, n_paths, n_slots))
    div = np.broadcast_to(
        np.where(rec.slots.multiplier == 100.0, 0.015, 0.0)[None, None, :] * np.array([1.0, 1, 1, 1, 0, 0, 0]),
        (n_days, n_paths, n_slots),
    )
    return PositionRecords(**{**rec.__dict__, "rate_prev": rate, "div_prev": div})


@pytest.mark.parametrize("layer_kind", ["futures", "calls"])
def test_numba_pass_equals_reference_loop_over_many_path_blocks(layer_kind):
    """20 paths: blocks of 3 paths, the last one short; broadcast rate/div views; against the slow loop."""
    _numba_or_skip()
    rec = _engine_like(
        make_records(
            seed=21, n_days=9, n_paths=20, layer_kind=layer_kind, mark_noise=0.01, expiry_day=5, flat_core_days=(2,)
        )
    )
    assert not rec.rate_prev.flags.writeable and rec.rate_prev.strides[1] == 0
    att = attribute(rec, capital=1e6, backend="numba")
    assert att.meta["path_block"] == 3
    groups, gi = slot_groups(rec)
    np.testing.assert_allclose(att.pnl[:9], reference_attribution(rec) @ np.eye(len(groups))[gi], rtol=1e-9, atol=1e-7)
    np.testing.assert_allclose(att.pnl, attribute(rec, capital=1e6, backend="numpy").pnl, rtol=1e-9, atol=1e-7)
    assert att.sum_error() <= 1e-9


@pytest.mark.parametrize("layer_kind", ["futures", "calls"])
def test_numba_trust_marks_equals_numpy_trust_marks_and_falls_back(layer_kind):
    _numba_or_skip()
    rec = make_records(seed=23, n_days=15, n_paths=4, layer_kind=layer_kind, expiry_day=9)
    a = attribute(rec, capital=1e6, trust_marks=True, backend="numpy")
    b = attribute(rec, capital=1e6, trust_marks=True, backend="numba")
    n_kinds = 2 if layer_kind == "calls" else 1
    assert b.meta["option_batches_using_marks"] == n_kinds and b.meta["option_batches_repriced"] == 0
    np.testing.assert_allclose(b.pnl, a.pnl, rtol=1e-9, atol=1e-7)
    np.testing.assert_allclose(b.pnl, attribute(rec, capital=1e6, backend="numba").pnl, rtol=0, atol=1e-8)
    # marks that are not the model: the numba pass re-prices, like the numpy one
    noisy = PositionRecords(**{**rec.__dict__, "price_prev": rec.price_prev + 0.05})
    c = attribute(noisy, capital=1e6, trust_marks=True, backend="numba")
    assert c.meta["option_batches_using_marks"] == 0 and c.meta["option_batches_repriced"] == n_kinds
    np.testing.assert_allclose(c.pnl, attribute(noisy, capital=1e6, backend="numpy").pnl, rtol=1e-9, atol=1e-7)


def test_numba_totals_from_its_per_path_sums_equal_the_sums_over_pnl():
    import dataclasses

    _numba_or_skip()
    rec = make_records(seed=25, n_days=12, n_paths=5, layer_kind="calls", expiry_day=4)
    rng = np.random.default_rng(25)
    nav = 1e6 * (1 + 0.05 * rng.random((12, 5)))
    att = attribute(
        rec, capital=nav, cost_pnl=-rng.random((12, 5, 4)), financing_pnl=-rng.random((12, 5)), backend="numba"
    )
    assert att.path_sums is not None and att.path_sums.shape == (5, 5, 2, len(TERMS) + 1)
    plain = dataclasses.replace(att, path_sums=None)
    for unit in ("usd", "bp"):
        np.testing.assert_allclose(att.totals(unit).to_numpy(), plain.totals(unit).to_numpy(), rtol=1e-12, atol=1e-9)
    # and against the numpy backend's tables (no per-path sums there)
    np.testing.assert_allclose(
        att.totals("bp").to_numpy(),
        attribute(
            rec,
            capital=nav,
            cost_pnl=att.term("costs")[..., :4],
            financing_pnl=att.term("financing")[..., 4],
            backend="numpy",
        )
        .totals("bp")
        .to_numpy(),
        rtol=1e-9,
        atol=1e-7,
    )


@pytest.mark.parametrize(
    "field, index, value, message",
    [
        ("vol_prev", (2, 0, 1), np.nan, r"non-finite vol_prev.*\(2, 0, 1\)"),
        ("kind", (1, 0, 0), 9, "unknown instrument kind"),
        ("quantity", (3, 0, 2), np.inf, r"non-finite quantity.*\(3, 0, 2\)"),
        ("t_prev", (2, 0, 3), 0.0, r"t_prev <= 0.*\(2, 0, 3\)"),
        ("underlying_rolldown", (4, 0, 5), np.nan, r"non-finite underlying_rolldown.*\(4, 0, 5\)"),
    ],
)
def test_numba_pass_raises_the_numpy_checks_errors(field, index, value, message):
    _numba_or_skip()
    rec = make_records(seed=1, n_days=5, n_paths=1)
    arr = getattr(rec, field).copy()
    arr[index] = value
    bad = PositionRecords(**{**rec.__dict__, field: arr})
    for backend in ("numpy", "numba"):
        with pytest.raises(InputError, match=message):
            attribute(bad, capital=1e6, backend=backend)
    # a held position in an empty slot
    kind = rec.kind.copy()
    kind[2, 0, 4] = InstrumentKind.NONE
    with pytest.raises(InputError, match="empty slot"):
        attribute(PositionRecords(**{**rec.__dict__, "kind": kind}), capital=1e6, backend="numba")
    # validate=False skips the checks (and computes on)
    attribute(bad, capital=1e6, backend="numba", validate=False)


def test_numba_pass_checks_kinds_given_as_wider_integers_before_casting():
    _numba_or_skip()
    rec = make_records(seed=2, n_days=4, n_paths=1)
    kind = rec.kind.astype(np.int64)
    np.testing.assert_allclose(
        attribute(PositionRecords(**{**rec.__dict__, "kind": kind}), capital=1e6, backend="numba").pnl,
        attribute(rec, capital=1e6, backend="numba").pnl,
    )
    kind[2, 0, 0] = 257  # would be 1 (an SPX option) after a cast to int8
    with pytest.raises(InputError, match="unknown instrument kind 257"):
        attribute(PositionRecords(**{**rec.__dict__, "kind": kind}), capital=1e6, backend="numba")
