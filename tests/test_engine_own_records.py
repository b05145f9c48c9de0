"""The engine records only the run's own paths when it also runs their core alone (the standalone core's
records are never read): the same records and results as the run without it, the roll-down rule (which
reads today's records row on every path, the standalone core's too) included. On one path the standalone
core is a second path slot of the same call; on several, a core-only pass of its own that keeps no records."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from alvh.config import default_rules, rules_from_dict
from alvh.engine import run_engine
from alvh.montecarlo.streams import PathModel, chunk_paths


@pytest.mark.parametrize(("backend", "n_paths"), [("numba", 6), ("numpy", 6), ("numba", 1), ("numpy", 1)])
def test_own_paths_records_and_the_rolldown_rule_with_a_standalone_core(
    backend: str, n_paths: int, monkeypatch
) -> None:
    from alvh.engine import recording

    seen = []
    write_row = recording.write_row

    def checked(st, d, m):  # noqa: ANN001, ANN202
        write_row(st, d, m)
        # the roll-down rule's row is today's records row (own paths), and the same marks on the rest
        o = st.P_own
        if not st.L:  # the core-only pass of several paths' standalone core: no records at all
            assert o == 0 and st.rec["quantity"].shape == (st.n, 0, 4) and not st.any_rolldown
            seen.append("core only")
            return
        assert np.array_equal(st.rd_row[0][:o], st.rec["underlying_prev"][d], equal_nan=True)
        assert np.array_equal(st.rd_row[1][:o], st.rec["underlying_rolldown"][d], equal_nan=True)
        assert np.array_equal(st.rd_row[1], m.und_rd, equal_nan=True)
        seen.append("slot" if o < st.P else "own")

    monkeypatch.setattr(recording, "write_row", checked)
    dump = default_rules().model_dump(mode="json")
    dump["layers"][0]["roll"]["rolldown_above"] = 0.001  # fires on these paths (checked below)
    rules = rules_from_dict(dump)
    paths = chunk_paths(PathModel(), 3, 0, n_paths, 120)
    plain = run_engine(rules, paths, backend=backend)
    both = run_engine(rules, paths, backend=backend, core_alone=True)
    assert (plain.trades["roll_reason"] == "rolldown").any()
    # both runs checked, with and without the standalone core (a path slot on one path, a pass on several)
    assert set(seen) == {"own", "slot" if n_paths == 1 else "core only"}
    for f in dataclasses.fields(plain.records):
        if f.name != "slots":
            a, b = np.asarray(getattr(plain.records, f.name)), np.asarray(getattr(both.records, f.name))
            assert a.shape == b.shape == (120, n_paths, len(plain.records.slots.names)), f.name
            assert np.array_equal(a, b, equal_nan=True), f.name
    assert np.array_equal(plain.nav, both.nav)
    pd.testing.assert_frame_equal(plain.trades, both.trades, check_exact=True)
