"""Rules that cannot trade at all are refused before the engine's day loop (issue 14.5).

``alvh.api.check_can_trade`` bounds what the rules can open from the rules and the market paths; the
engine is the reference: just below the capital the check names, the engine opens nothing; just above,
the check lets the run through and the engine opens a condor. ``check_traded`` stays the backstop.
The refusal through the installed console script: tests/test_data_refusals.py.
"""

from __future__ import annotations

import re

import pytest

import alvh
from alvh import api
from alvh.api import check_can_trade, check_traded
from alvh.config import default_rules
from alvh.data import MarketData
from alvh.engine import paths_from_market_data, run_engine
from alvh.errors import ConfigError


def _rules(capital: float, **general: object):
    r = default_rules()
    return r.model_copy(update={"general": r.general.model_copy(update={"capital": capital, **general})})


@pytest.fixture(scope="module")
def paths():
    return paths_from_market_data(MarketData.default(), "2016-01-04", "2016-06-30")


def _need(paths, rules, pattern: str) -> float:
    with pytest.raises(ConfigError) as e:
        check_can_trade(rules, paths)
    assert e.value.key == "general.capital"
    m = re.search(pattern, str(e.value))
    assert m, str(e.value)
    return float(m.group(1).replace(",", ""))


@pytest.mark.parametrize("general", [{}, {"interest_on_cash": False, "contracts": "whole"}])
def test_the_core_threshold_is_the_engines(paths, general) -> None:
    need = _need(paths, _rules(1000.0, **general), r"the core needs \$([\d,]+)")
    below, above = _rules(need - 2.0, **general), _rules(need + 2.0, **general)
    with pytest.raises(ConfigError, match="cannot open one contract on any day"):
        check_can_trade(below, paths)
    assert len(run_engine(below, paths).trades) == 0  # the engine agrees: nothing opens
    check_can_trade(above, paths)
    trades = run_engine(above, paths).trades
    assert len(trades) and set(trades["component"]) == {"core"}


def test_the_layers_bound_never_refuses_a_run_that_trades(paths) -> None:
    r = default_rules()
    layers_only = r.model_copy(
        update={
            "core": r.core.model_copy(update={"enabled": False}),
            "general": r.general.model_copy(update={"capital": 1e3}),
        }
    )
    need = _need(paths, layers_only, r"'short' \(weight 0.04\) \$([\d,]+)")
    below = layers_only.model_copy(update={"general": layers_only.general.model_copy(update={"capital": need - 2.0})})
    assert len(run_engine(below, paths).trades) == 0  # a bound: below it nothing can open
    for cap in (need + 2.0, 10 * need):  # above it the engine decides (and check_traded backs it up)
        check_can_trade(
            layers_only.model_copy(update={"general": layers_only.general.model_copy(update={"capital": cap})}), paths
        )


def test_refused_before_the_engine_runs(monkeypatch) -> None:
    def no_engine(*a, **k):
        raise AssertionError("the engine ran")

    monkeypatch.setattr("alvh.engine.run_engine", no_engine)
    with pytest.raises(ConfigError, match=r"capital \$1,000 is too small for one contract.*the core needs \$"):
        alvh.run(_rules(1000.0), MarketData.default(), "2016-01-04", "2016-03-31")


def test_fractional_contracts_and_the_backstop(paths, monkeypatch) -> None:
    frac = _rules(1000.0, contracts="fractional")
    check_can_trade(frac, paths)  # any positive size trades: nothing to refuse
    res = run_engine(frac, paths)
    assert len(res.trades)
    check_traded(res, frac)
    # the backstop after the run still refuses a run that opened nothing (here: the pre-check skipped)
    monkeypatch.setattr(api, "check_can_trade", lambda rules, paths: None)
    with pytest.raises(ConfigError, match="never traded"):
        alvh.run(_rules(1000.0), MarketData.default(), "2016-01-04", "2016-03-31")
