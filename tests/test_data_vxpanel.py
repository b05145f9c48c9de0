"""VXPanel: the vectorized pivot against a per-row dictionary reference, curve and front queries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alvh.data import VXPanel, read_vx_long
from alvh.errors import InputError


@pytest.fixture(scope="module")
def vx_long(shared_data):
    return read_vx_long(shared_data / "vix_futures/vx_contracts_daily_2004_2025.csv.gz")


@pytest.fixture(scope="module")
def panel(vx_long):
    return VXPanel.from_long(vx_long)


def test_pivot_equals_per_row_reference(vx_long, panel) -> None:
    """Every (day, contract) settle of the long table sits in its cell; every other cell is NaN."""
    ref: dict[tuple[pd.Timestamp, str], float] = {}
    for td, code, s in zip(vx_long["trade_date"], vx_long["contract"], vx_long["settle"], strict=True):  # reference
        ref[(td, code)] = s
    assert int((~np.isnan(panel.settle)).sum()) == len(ref) == 44420
    col = {c: j for j, c in enumerate(panel.contracts)}
    rng = np.random.default_rng(np.random.SeedSequence(20260))
    for k in rng.choice(len(vx_long), size=2000, replace=False):
        td, code = vx_long["trade_date"].iloc[k], vx_long["contract"].iloc[k]
        i = panel.dates.get_loc(td)
        assert panel.settle[i, col[code]] == ref[(td, code)]
        exp = vx_long["expiry"].iloc[k]
        assert panel.dte[i, col[code]] == (exp - td).days


def test_shape_and_order(panel) -> None:
    assert panel.settle.shape == (5345, 258)
    assert (np.diff(panel.expiries.astype("int64")) > 0).all()
    assert panel.contracts[0] == "K04" and panel.contracts[-1] == "G26"
    with pytest.raises(ValueError):
        panel.settle[0, 0] = 1.0  # read-only


def test_curve_on_a_day(vx_long, panel) -> None:
    day = pd.Timestamp("2018-02-05")  # Volmageddon: backwardation
    c = panel.curve(day)
    rows = vx_long[vx_long["trade_date"] == day].sort_values("expiry")
    assert list(c["contract"]) == list(rows["contract"])
    np.testing.assert_array_equal(c["settle"].to_numpy(), rows["settle"].to_numpy())
    assert (np.diff(c["dte"].to_numpy()) > 0).all()
    with pytest.raises(InputError):
        panel.curve("2018-02-04")  # a Sunday


def test_front_skips_expiry_day(panel) -> None:
    """On an expiry day the expiring contract's settle is the SOQ; front(min_dte=1) takes the next one."""
    f = panel.front(min_dte=1)
    day = pd.Timestamp("2018-02-14")  # G18 final settlement day
    assert f.loc[day, "contract"] == "H18"
    f0 = panel.front(min_dte=0)
    assert f0.loc[day, "contract"] == "G18" and f0.loc[day, "dte"] == 0
    # reference: loop over days, nearest listed contract with dte >= 1
    for i in range(0, len(panel.dates), 97):
        ok = [j for j in range(len(panel.contracts)) if not np.isnan(panel.settle[i, j]) and panel.dte[i, j] >= 1]
        j = min(ok, key=lambda j: panel.dte[i, j])
        assert f["contract"].iloc[i] == panel.contracts[j]
        assert f["settle"].iloc[i] == panel.settle[i, j]


def test_slice_and_to_long(panel) -> None:
    s = panel.slice("2010-01-01", "2010-12-31")
    assert s.dates[0] >= pd.Timestamp("2010-01-01") and s.dates[-1] <= pd.Timestamp("2010-12-31")
    assert not np.isnan(s.settle).all(axis=0).any()  # no empty columns
    back = s.to_long()
    assert len(back) == int((~np.isnan(s.settle)).sum())


def test_from_long_on_given_dates_drops_other_days(vx_long) -> None:
    days = pd.DatetimeIndex(pd.to_datetime(["2015-04-02", "2015-04-06"]), name="date")
    p = VXPanel.from_long(vx_long, days)
    assert p.settle.shape[0] == 2
    assert not np.isnan(p.settle).all(axis=1).any()


def test_bad_shapes_rejected() -> None:
    with pytest.raises(InputError):
        VXPanel(
            dates=pd.DatetimeIndex(["2020-01-02"]),
            contracts=np.array(["F20"]),
            expiries=np.array(["2020-01-22"], dtype="datetime64[D]"),
            settle=np.zeros((2, 1)),
            dte=np.zeros((1, 1), dtype="int64"),
        )


def test_inconsistent_code_expiry_pairs_rejected(vx_long) -> None:
    from alvh.errors import DataError

    bad = vx_long.copy()
    bad.loc[5, "contract"] = "Z99"  # a second code for K04's expiry
    with pytest.raises(DataError, match="one-to-one"):
        VXPanel.from_long(bad)
