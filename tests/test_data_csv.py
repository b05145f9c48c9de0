"""The vectorized CSV helpers against slow, obviously correct references."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alvh.data._csv import parse_numbers, read_raw
from alvh.data.summary import find_gaps
from alvh.errors import DataError


def gaps_reference(observed: list[np.datetime64], sessions: list[np.datetime64], max_gap: int):
    """Walk the sessions one by one, counting the missing run between consecutive observations."""
    out = []
    obs = set(observed)
    for a, b in zip(observed[:-1], observed[1:], strict=True):
        run = sum(1 for s in sessions if a < s < b and s not in obs)
        if run > max_gap:
            out.append((a, b, run))
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(st.booleans(), min_size=2, max_size=60), st.integers(0, 5))
def test_find_gaps_matches_reference(keep: list[bool], max_gap: int) -> None:
    sessions = np.arange(np.datetime64("2020-01-01"), np.datetime64("2020-01-01") + len(keep) * 2, 2)
    observed = sessions[np.array(keep)]
    got = find_gaps(observed, sessions, max_gap)
    want = gaps_reference(list(observed), list(sessions), max_gap)
    assert [(a, b, n) for a, b, n in got] == want


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=30), st.booleans())
def test_parse_numbers_matches_float(tmp_path_factory, values: list[float], padded: bool) -> None:
    """Arrow fast path and pandas fallback (padded cells) both equal Python's float() per cell."""
    path = tmp_path_factory.mktemp("csv") / "x.csv"
    cells = [f" {v!r} " if padded else repr(v) for v in values]
    path.write_text("v\n" + "\n".join(cells) + "\n")
    raw = read_raw(path)
    got = parse_numbers(raw, "v")
    np.testing.assert_array_equal(got, np.array([float(c) for c in cells]))


def test_parse_numbers_reports_first_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("v\n1\n2\nabc\n.\n")
    with pytest.raises(DataError, match="'abc'") as info:
        parse_numbers(read_raw(path), "v")
    assert info.value.row == 4


def test_optional_numbers_allow_only_empty(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,\n2,3\n")
    raw = read_raw(path)
    got = parse_numbers(raw, "b", required=False)
    assert np.isnan(got[0]) and got[1] == 3
    path.write_text("a,b\n1,.\n2,3\n")
    with pytest.raises(DataError, match="'.'"):
        parse_numbers(read_raw(path), "b", required=False)


def test_preamble_shifts_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a disclaimer line\nv\n1\nx\n\n")
    raw = read_raw(path, preamble=1)
    assert raw.header_line == 2 and raw.line(0) == 3 and len(raw.frame) == 2
    with pytest.raises(DataError) as info:
        parse_numbers(raw, "v")
    assert info.value.row == 4


def test_read_raw_keeps_text(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("d,v\n2020-01-02,NaN\n2020-01-03,.\n")
    raw = read_raw(path)
    assert raw.frame["v"].tolist() == ["NaN", "."]
    assert isinstance(raw.frame, pd.DataFrame)
