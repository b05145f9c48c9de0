"""The risk-free rate from data: FRED's DTB3 imported and converted, checked value by value against the source
file; the refusals (percent read as decimals, gaps); the rate through the engine (interest on cash, pricing);
the financing layer ([financing] mode = "hedge_cash") against the T-bill interest it replaces."""

from __future__ import annotations

import csv
import math
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alvh.config import rules_from_dict
from alvh.data import MarketData
from alvh.data.frame import align_rate, rate_age
from alvh.data.importers import read_rate
from alvh.data.store import Store
from alvh.engine import paths_from_market_data, run_engine
from alvh.errors import DataError

ALVH = str(Path(sys.executable).with_name("alvh"))  # the installed console script


def alvh(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ALVH_DATA_DIR"}
    env["COLUMNS"] = "200"
    return subprocess.run([ALVH, *args], capture_output=True, text=True, env=env, timeout=180)


DTB3 = "rates/DTB3_1990_2026.csv"


def _source_rows(path: Path) -> list[tuple[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["observation_date", "DTB3"]
    return [(d, v) for d, v in rows[1:]]


def test_dtb3_value_by_value_against_the_source_file(shared_data: Path) -> None:
    rows = _source_rows(shared_data / DTB3)
    kept = [(d, float(v)) for d, v in rows if v.strip() != ""]
    assert len(rows) == 9522 and len(kept) == 9130  # SOURCE.md: 392 empty holiday cells
    r = read_rate(shared_data / DTB3)
    assert [str(d.date()) for d in r.index] == [d for d, _ in kept]
    d = np.array([v for _, v in kept]) / 100.0
    # a discount quote d over 91 days prices the bill at P = 1 - d 91/360 (bank-discount basis, SOURCE.md):
    # the continuously compounded rate must reprice it, exp(-r 91/365) = P, on every row
    np.testing.assert_allclose(np.exp(-r.to_numpy() * 91 / 365), 1.0 - d * 91 / 360, rtol=0, atol=1e-15)
    # worked example (docs/data.md): 5.25 discount -> P 0.98672917, r 5.3586 %, bond-equivalent 5.39 %
    p = 1 - 0.0525 * 91 / 360
    assert round(p, 8) == 0.98672917 and round(-math.log(p) * 365 / 91, 6) == 0.053586
    assert round((1 / p - 1) * 365 / 91, 4) == 0.0539
    # the first row and the negative prints are kept as they are (SOURCE.md)
    assert r.iloc[0] == pytest.approx(-math.log(1 - 0.0758 * 91 / 360) * 365 / 91, abs=1e-16)
    assert (r.loc["2020-03-26"] < 0).all()
    assert "-ln(1 - d*91/360)*365/91" in " ".join(r.attrs["notes"])


@pytest.fixture(scope="module")
def rate_store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rate-store")
    with Store.open(path) as st:
        for kind, rel in (("spx", "spx/SPX_daily.csv"), ("vix", "vix_index/VIX_History.csv"), ("rate", DTB3)):
            st.import_files(kind, [shared_data / rel])
    return path


def test_market_rate_on_trading_days_is_the_last_observation(rate_store: Path, shared_data: Path) -> None:
    md = MarketData.from_store(rate_store, end="2026-07-01")
    kept = {d: float(v) for d, v in _source_rows(shared_data / DTB3) if v.strip()}
    obs = pd.Series(kept)
    obs.index = pd.to_datetime(obs.index)
    last = obs.reindex(obs.index.union(md.dates)).ffill().reindex(md.dates)
    np.testing.assert_allclose(md.rate.to_numpy(), -np.log(1 - last.to_numpy() / 100 * 91 / 360) * 365 / 91, atol=0)
    assert md.rate_age is not None and int(md.rate_age.max()) <= 4


def test_a_run_past_the_rate_series_is_refused_naming_the_day(rate_store: Path) -> None:
    md = MarketData.from_store(rate_store)  # VIX runs to 2026-07-22, DTB3 to 2026-07-01
    with pytest.raises(DataError, match=r"no rate observation within 7 calendar days before 2026-07-09.*2026-07-01"):
        paths_from_market_data(md, "2026-06-01")
    mp = paths_from_market_data(md, "2026-06-01", "2026-07-08")  # within the limit
    assert mp.rate[-1] == md.rate.loc["2026-07-01"]
    assert paths_from_market_data(md, "2026-06-01", rate_max_gap_days=30).n_days > mp.n_days


def test_percent_file_and_gaps_refused_through_the_cli(tmp_path: Path) -> None:
    s = str(tmp_path / "s")
    pct = tmp_path / "rate_pct.csv"
    pct.write_text("date,value\n2020-01-02,0.015\n2020-01-03,1.55\n")
    r = alvh("data", "import", "rate", str(pct), "--data-dir", s)
    err = " ".join(r.stderr.split())
    assert r.returncode != 0 and "rate_pct.csv" in err and "line 3" in err and "--percent" in err, err
    gap = tmp_path / "fred_gap.csv"
    gap.write_text("observation_date,DTB3\n2020-01-02,1.52\n2020-01-03,\n2020-01-06,1.50\n2020-01-17,1.53\n")
    r = alvh("data", "import", "rate", str(gap), "--data-dir", s)
    err = " ".join(r.stderr.split())
    assert r.returncode != 0 and "fred_gap.csv" in err and "line 5" in err, err
    assert "11 calendar days without a rate between 2020-01-06 and 2020-01-17" in err and "--max-gap-days" in err
    r = alvh("data", "import", "rate", str(gap), "--data-dir", s, "--max-gap-days", "11")
    assert r.returncode == 0, r.stderr
    r = alvh("data", "import", "rate", str(gap), "--data-dir", s, "--max-gap-dys", "11")
    assert r.returncode == 2 and "--max-gap-days" in r.stderr  # a typo: usage error with the suggestion


def _rules(**fin: object) -> dict:
    return {
        "general": {"capital": 10_000_000.0, "rate_source": "data"},
        "core": {"enabled": False},
        "layers": [{"name": "calls", "weight": 0.04, "min_dte": 30, "max_dte": 90, "instrument": "vix_call"}],
        "rebalance": {"enabled": False},
        "financing": {"enabled": bool(fin), **fin},
    }


@pytest.fixture(scope="module")
def rate_paths(real_market_data, shared_data: Path):
    """Real SPX, VIX, VVIX and VX 2006-2009 with DTB3 as the rate (the shared real store has no rate)."""
    rate = read_rate(shared_data / DTB3)
    md = real_market_data.slice("2006-01-03", "2009-12-31")
    aligned, note = align_rate(rate, md.dates)
    md = replace(md, rate=aligned, rate_age=rate_age(rate, md.dates), provenance={**md.provenance, "rate": note})
    return paths_from_market_data(md)


def test_interest_on_cash_and_the_financing_layer(rate_paths) -> None:
    mp = rate_paths
    base = run_engine(rules_from_dict(_rules()), mp)
    # the layer's cash (premium and costs paid out of the core's collateral) earns it negative interest; the
    # idle capital's interest (no core) is the financing leg
    k = base.components.index("calls")
    assert base.interest[1:, 0, k].sum() < 0 and base.financing[1:].sum() > 0
    days = np.diff(mp.dates.to_numpy().astype("datetime64[D]").astype(np.int64))
    # cash identity with the interest in it
    dnav = np.diff(base.nav, axis=0)
    explained = (base.pnl - base.costs + base.interest + base.hedge_financing).sum(axis=2)[1:] + base.financing[1:]
    assert np.abs(dnav - explained).max() < 1e-6
    # the whole account (cash; no futures here) earns exp(r days/365) - 1 at the previous close's rate
    growth = np.expm1(mp.rate[:-1] * days / 365.0)
    np.testing.assert_allclose(
        (base.interest[1:, 0].sum(axis=1) + base.financing[1:, 0]), base.cash[:-1, 0] * growth, rtol=1e-12, atol=1e-9
    )
    # the financing layer at a private 3 %: cheaper in 2006 (T-bills near 5 %), dearer in 2008 (1.4 % on
    # average); in 2009 the layer, in profit since 2008, needs no cash
    fin = run_engine(rules_from_dict(_rules(mode="hedge_cash", rate_source="constant", rate=0.03)), mp)
    rep = fin.metadata["financing_layer"]
    y = rep["by_year"]
    assert y["2006"]["cheaper"] and not y["2008"]["cheaper"] and y["2008"]["financing_cost"] > 0
    assert y["2009"]["financing_cost"] == 0 == y["2009"]["tbill_interest_lost"]
    assert rep["financing_cost"] > 0 and rep["tbill_interest_lost"] > 0
    assert rep["saving"] == pytest.approx(rep["tbill_interest_lost"] - rep["financing_cost"])
    # the layer's negative cash is financed: its T-bill interest term is gone, its financing is the private cost
    assert fin.interest[1:, 0, k].max() >= 0 and fin.hedge_financing[:, 0, k].sum() == pytest.approx(
        -rep["financing_cost"]
    )
    # at the data rate + spread the private loan is always dearer than the T-bill interest it replaces
    dear = run_engine(rules_from_dict(_rules(mode="hedge_cash", rate_source="data_plus_spread", spread=0.02)), mp)
    rep2 = dear.metadata["financing_layer"]
    assert not rep2["cheaper"] and rep2["days_cheaper"] == 0
    assert "financing layer" in dear.summary() and "dearer" in dear.summary()


def test_a_layers_interest_is_its_own_cash_balance_rebuilt_from_the_ledger(rate_paths) -> None:
    """Per component: the call layer's cash balance rebuilt from its trades (premium and costs paid) and its
    own interest earns exp(r days/365) - 1; in mode "hedge_cash" a negative balance pays the private rate."""
    mp = rate_paths
    d64 = mp.dates.to_numpy().astype("datetime64[D]").astype(np.int64)
    for fin in ({}, {"mode": "hedge_cash", "rate_source": "constant", "rate": 0.03}):
        res = run_engine(rules_from_dict(_rules(**fin)), mp)
        k = res.components.index("calls")
        tr = res.trades[res.trades["component"] == "calls"]
        flows = np.zeros(mp.n_days)  # cash the layer paid each day: premium x 100 + cost
        day = mp.dates.get_indexer(pd.to_datetime(tr["date"]))
        np.add.at(flows, day, (tr["quantity"] * tr["price"] * 100.0 + tr["cost"]).to_numpy())
        balance, want_i, want_f = 0.0, np.zeros(mp.n_days), np.zeros(mp.n_days)
        for d in range(mp.n_days):
            if d:
                days = d64[d] - d64[d - 1]
                g = math.expm1(mp.rate[d - 1] * days / 365.0)
                if fin and balance < 0:
                    want_f[d] = balance * 0.03 * days / 365.0
                else:
                    want_i[d] = balance * g
                balance += want_i[d] + want_f[d]
            balance -= flows[d]
        np.testing.assert_allclose(res.interest[:, 0, k], want_i, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(res.hedge_financing[:, 0, k], want_f, rtol=1e-9, atol=1e-9)
        assert (want_f < 0).any() if fin else (want_i < 0).any()
