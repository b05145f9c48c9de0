"""VX futures and VIX options settle at Cboe's final settlement value (the SOQ), through the engine.

The oracle is the raw Cboe VX history read here with pandas (the row of each contract on its final
settlement date, ../shared/data/vix_futures/SOURCE.md), not the engine's loader; the settlements checked
are the engine's own ``expiry`` trades of a layer that holds every monthly contract to its settlement.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alvh.config import rules_from_dict
from alvh.engine import paths_from_market_data, run_engine
from alvh.engine.prepare import prepare

VX_FILE = "vix_futures/vx_contracts_daily_2004_2025.csv.gz"
START, END = "2004-03-26", "2025-06-18"


def _rules(instrument: str) -> dict:
    layer = {"name": "front", "weight": 0.04, "min_dte": 0, "max_dte": 30, "instrument": instrument}
    return {
        "general": {"contracts": "fractional"},
        "core": {"enabled": False},
        "layers": [layer],
        "rebalance": {"enabled": False},
    }


@pytest.fixture(scope="module")
def cboe_final(shared_data) -> pd.Series:
    """Cboe's final settlement value per contract code, from the raw file (its row on the expiry date)."""
    vx = pd.read_csv(shared_data / VX_FILE, usecols=["trade_date", "contract", "expiry", "settle"])
    last = vx[vx["trade_date"] == vx["expiry"]]
    return last.set_index("contract")["settle"].astype(float)


@pytest.fixture(scope="module")
def real_paths(real_market_data):
    return paths_from_market_data(real_market_data, START, END)


def _settled(res, cboe_final: pd.Series) -> pd.DataFrame:
    tr = res.trades
    tr = tr[tr["reason"] == "expiry"]
    assert len(tr), "no settlement in the run"
    return tr.assign(final=tr["contract"].map(cboe_final))


@pytest.mark.parametrize("backend", ["auto", "numpy"])
def test_every_vx_contract_settles_at_cboe_final_value(real_paths, cboe_final, backend) -> None:
    res = run_engine(rules_from_dict(_rules("vx_future")), real_paths, backend=backend)
    tr = _settled(res, cboe_final)
    expired = set(cboe_final.index)  # every contract whose final settlement date is in the data (2004-2025)
    assert len(expired) == 250
    assert set(tr["contract"]) == expired, sorted(expired ^ set(tr["contract"]))
    np.testing.assert_array_equal(tr["price"].to_numpy(), tr["final"].to_numpy())
    # the VIX open (the old proxy) differs from Cboe's value: the check can fail
    vix_open = real_paths.vix_open[:, 0][real_paths.dates.get_indexer(pd.to_datetime(tr["date"]))]
    gap = np.abs(vix_open - tr["final"].to_numpy())
    assert gap.mean() > 0.3 and gap.max() > 3.0
    assert "final settlement value (SOQ) from the VX data for 250 of the 250" in res.metadata["settlement"]


def test_vix_calls_settle_at_intrinsic_on_cboe_final_value(real_paths, cboe_final) -> None:
    rules = _rules("vix_call")
    rules["layers"][0]["call_moneyness"] = 0.9  # in the money at entry: many settle above zero
    res = run_engine(rules_from_dict(rules), real_paths)
    tr = _settled(res, cboe_final)
    assert len(tr) == 250
    np.testing.assert_allclose(tr["price"], np.maximum(tr["final"] - tr["strike"], 0.0), rtol=0, atol=1e-12)
    assert (tr["price"] > 0).sum() > 50


def test_without_a_final_value_the_vix_open_settles_and_the_result_says_so(real_paths) -> None:
    final = np.array(real_paths.vx_final, copy=True)
    gone = real_paths.vx_codes.index("F10")
    final[gone] = np.nan
    mp = real_paths.__class__(**{**real_paths.__dict__, "vx_final": final})
    prep = prepare(rules_from_dict(_rules("vx_future")), mp)
    d = int(prep.vx_settle_day[gone])
    assert prep.vx_settle_px[0, gone] == mp.vix_open[d, 0]
    assert "at the VIX open (SOQ proxy: no final settlement value in the data) for 1: F10" in prep.settlement_note
