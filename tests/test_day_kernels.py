"""The fused day kernels (alvh.engine.day_kernels) against the stages' numpy code (their slow reference):
whole runs with the kernels on and off are bit-identical, array by array (NAV, components, records, trades,
events, rebalance log, summary), on real data and on simulated paths, and numpy's summation order the
kernels rely on still holds (a numpy upgrade that changes it fails here, not in a run)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from alvh.config import default_rules, rules_from_dict
from alvh.engine import day_kernels, recording, run_engine
from alvh.montecarlo.streams import PathModel, chunk_paths

pytestmark = pytest.mark.skipif(not day_kernels.AVAILABLE, reason="numba not installed")


def _arrays(res) -> dict[str, np.ndarray]:  # noqa: ANN001
    out = {}
    for f in dataclasses.fields(res):
        v = getattr(res, f.name)
        if isinstance(v, np.ndarray):
            out[f.name] = v
    for f in dataclasses.fields(res.records):
        if f.name != "slots":
            out["records." + f.name] = np.asarray(getattr(res.records, f.name))
    return out


def _assert_same(a, b) -> None:  # noqa: ANN001
    aa, bb = _arrays(a), _arrays(b)
    assert aa.keys() == bb.keys()
    for k in aa:
        assert aa[k].dtype == bb[k].dtype, k
        assert np.array_equal(aa[k], bb[k], equal_nan=True), k
    pd.testing.assert_frame_equal(a.trades, b.trades, check_exact=True)
    pd.testing.assert_frame_equal(a.rebalance_log, b.rebalance_log, check_exact=True)
    assert a.events == b.events
    assert a.summary_dict() == b.summary_dict()


def _both(monkeypatch, rules, paths, fused_expected: bool = True, **kw):  # noqa: ANN001, ANN202
    used = []
    write_row = recording.write_row

    def spy(st, d, m):  # noqa: ANN001, ANN202
        used.append(st.dk is not None)
        write_row(st, d, m)

    monkeypatch.setattr(recording, "write_row", spy)
    fused = run_engine(rules, paths, backend="numba", **kw)
    assert all(used) if fused_expected else not any(used), "the fused kernels ran where expected"
    used.clear()
    monkeypatch.setattr(day_kernels, "ENABLED", False)
    ref = run_engine(rules, paths, backend="numba", **kw)
    assert not any(used)
    return fused, ref


@pytest.mark.slow
def test_real_data_run_is_bit_identical(real_market_data, monkeypatch) -> None:
    from alvh.engine import paths_from_market_data

    paths = paths_from_market_data(real_market_data, "2006-01-03", "2025-06-18")
    fused, ref = _both(monkeypatch, default_rules(), paths, core_alone=True)
    _assert_same(fused, ref)
    assert np.array_equal(fused.core_alone_nav, ref.core_alone_nav)
    assert len(fused.trades) > 1000 and len(fused.rebalance_log) > 0  # the rule fired: its trades compared


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"general": {"sizing_capital": "initial"}, "financing": {"enabled": True, "mode": "borrow", "fraction": 0.2}},
        {"general": {"interest_on_cash": False}},
    ],
)
def test_simulated_paths_are_bit_identical(change, monkeypatch) -> None:
    dump = default_rules().model_dump(mode="json")
    for sect, kv in change.items():
        dump[sect].update(kv)
    rules = rules_from_dict(dump)
    paths = chunk_paths(PathModel(), 7, 0, 40, 300)
    fused, ref = _both(monkeypatch, rules, paths, core_alone=True)
    _assert_same(fused, ref)
    assert np.array_equal(fused.core_alone_nav, ref.core_alone_nav)
    assert len(fused.rebalance_log) > 0


def test_hedge_cash_financing_and_option_layers(monkeypatch) -> None:
    # hedge_cash financing: its stage runs numpy's code beside the other kernels, the same results
    dump = default_rules().model_dump(mode="json")
    dump["financing"].update({"enabled": True, "mode": "hedge_cash"})
    paths = chunk_paths(PathModel(), 3, 0, 5, 200)
    _assert_same(*_both(monkeypatch, rules_from_dict(dump), paths))
    # VIX calls (7 slots: fused, option marks and the vega P&L's delta in numpy) and call spreads (10 slots:
    # numpy's sums over 8+ terms are blocked, so no kernels at all)
    for inst, fused in (("vix_call", True), ("vix_call_spread", False)):
        monkeypatch.setattr(day_kernels, "ENABLED", True)  # _both switched it off
        dump = default_rules().model_dump(mode="json")
        for la in dump["layers"]:
            la["instrument"] = inst
        _assert_same(*_both(monkeypatch, rules_from_dict(dump), paths, fused_expected=fused))


def test_usable_layouts() -> None:
    assert day_kernels.usable(7, 4, np.array([0, 4, 5, 6]), np.array([0, 1, 2]))
    assert not day_kernels.usable(8, 4, np.array([0, 4, 6, 7]), np.array([0, 2, 3]))  # 8 slots
    assert not day_kernels.usable(7, 7, np.array([0, 4, 5, 6]), np.array([0, 1, 2]))  # 7 components + cash


@pytest.mark.parametrize("n_paths", [1, 2, 3, 40, 20_000])
def test_numpys_summation_order(n_paths: int) -> None:
    rng = np.random.default_rng(n_paths)
    for n in range(1, 8):
        x = rng.standard_normal((n_paths, n)) * 10.0 ** rng.integers(-6, 9, (n_paths, n))
        seq = x[:, 0].copy()
        for j in range(1, n):
            seq = seq + x[:, j]
        assert np.array_equal(x.sum(axis=1), seq), n  # sum over < 8 columns: left to right
    for n in range(1, 9):
        x = rng.standard_normal((n_paths, n)) * 10.0 ** rng.integers(-6, 9, (n_paths, n))
        rest = np.full(n_paths, -0.0)
        for j in range(1, n):
            rest = rest + x[:, j]
        got = np.add.reduceat(x, np.array([0]), axis=1)[:, 0]
        assert np.array_equal(got, x[:, 0] + rest), n  # reduceat over <= 8: the first plus the rest


def _core_entry_variants():  # noqa: ANN202
    # the default core (third-Friday entries), and "target_dte" with exits: entries on any flat day
    yield default_rules()
    dump = default_rules().model_dump(mode="json")
    dump["core"].update({"entry": "target_dte", "exits": {"take_profit": 0.5, "stop_loss": 2.0}})
    yield rules_from_dict(dump)


@pytest.mark.parametrize("i", [0, 1])
def test_core_entry_table_is_the_per_day_entry(i, monkeypatch) -> None:
    # the core entries computed for every day before the loop (core_rules.entry_table, vectorized over day x
    # path rows) against the same run computing each entry on its day (the table switched off), kernels on
    from alvh.engine import core_rules

    rules = list(_core_entry_variants())[i]
    paths = chunk_paths(PathModel(), 11, 0, 6, 300)
    made = []
    table = core_rules.entry_table

    def spy(st):  # noqa: ANN001, ANN202
        made.append(table(st))
        return made[-1]

    monkeypatch.setattr(core_rules, "entry_table", spy)
    with_table = run_engine(rules, paths, backend="numba", core_alone=True)
    assert made and made[0], "the table was built and holds entry days"
    monkeypatch.setattr(core_rules, "ENTRY_TABLE_MAX_ROWS", 0)  # too many rows: computed per day
    made.clear()
    per_day = run_engine(rules, paths, backend="numba", core_alone=True)
    assert made == [None] * len(made) and made
    _assert_same(with_table, per_day)
    assert np.array_equal(with_table.core_alone_nav, per_day.core_alone_nav)
    assert (with_table.trades["reason"] == "entry").sum() > 10
