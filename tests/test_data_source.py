"""alvh.data.source: which data a run uses and the default span (issue 14 item 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from alvh.config import default_rules, rules_from_dict
from alvh.data.source import needed_series, resolve_data_source, resolve_span
from alvh.data.store import Store
from alvh.errors import DataError, InputError

VIX = "DATE,OPEN,HIGH,LOW,CLOSE\n01/02/2020,13.46,13.72,12.42,12.47\n01/03/2020,15.01,16.20,13.13,14.02\n"


def _store(folder: Path, tmp: Path) -> Path:
    (tmp / "vix.csv").write_text(VIX)
    with Store.open(folder) as st:
        st.import_files("vix", [tmp / "vix.csv"])
    return folder


def test_order_flag_env_home_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALVH_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert resolve_data_source().origin == "embedded default"
    # an empty store in the user data home (created, nothing imported) is not data to run on
    with Store.open(tmp_path / "xdg" / "alvh"):
        pass
    assert resolve_data_source().origin == "embedded default"
    home = _store(tmp_path / "xdg" / "alvh", tmp_path)
    src = resolve_data_source()
    assert src.origin == "user data home" and src.folder == home and "user data home" in src.description
    env = _store(tmp_path / "env", tmp_path)
    monkeypatch.setenv("ALVH_DATA_DIR", str(env))
    assert resolve_data_source().folder == env
    flag = _store(tmp_path / "flag", tmp_path)
    assert resolve_data_source(flag).origin == "--data-dir"
    with pytest.raises(DataError, match="given by --data-dir"):
        resolve_data_source(tmp_path / "empty")
    monkeypatch.setenv("ALVH_DATA_DIR", str(tmp_path / "nothing"))
    with pytest.raises(DataError, match="given by ALVH_DATA_DIR"):
        resolve_data_source()


def test_default_end_is_the_last_vx_day_and_outside_is_an_error(real_market_data) -> None:
    md = real_market_data
    rules = default_rules()
    assert needed_series(rules, md) == ["spx", "vix", "vx"]
    first, last, how = resolve_span(md, rules, "2006-01-03", None)
    assert str(last.date()) == "2025-06-18" and "last day with spx, vix, vx" in how  # VX data ends there
    assert md.dates[-1] > last  # SPX/VIX go on to 2026: the old default ran 13 months past the VX data
    with pytest.raises(InputError, match="before the data") as exc:
        resolve_span(md, rules, "2000-01-03", None)
    assert "2004-03-26..2025-06-18" in str(exc.value)
    with pytest.raises(InputError, match="after the data"):
        resolve_span(md, rules, None, "2026-01-02")
    core_only = rules_from_dict({"layers": []})
    assert needed_series(core_only, md) == ["spx", "vix"]
    assert resolve_span(md, core_only, None, None)[1] == md.dates[-1]


def test_exog_regressors_from_the_rules_file() -> None:
    import dataclasses

    import numpy as np
    import pandas as pd

    import alvh
    from alvh.data import MarketData

    md = MarketData.default().slice("2016-01-01", "2016-12-31")
    rng = np.random.default_rng(0)
    fx = pd.Series(1.1 + np.cumsum(rng.normal(0, 0.005, len(md.dates))), index=md.dates, name="eurusd")
    md = dataclasses.replace(md, exog={"eurusd": fx})
    res = alvh.run(rules_from_dict({"analysis": {"exog": ["eurusd"]}}), md)
    assert "eurusd" in res.analysis.trigger["regressors"]
    base = alvh.run(default_rules(), md)
    assert "eurusd" not in base.analysis.trigger["regressors"]
    assert not np.allclose(res.analysis.betas["beta_short"].dropna(), base.analysis.betas["beta_short"].dropna())
    with pytest.raises(InputError, match="no exogenous series"):
        alvh.run(rules_from_dict({"analysis": {"exog": ["gbpusd"]}}), md)


def test_exog_series_as_regime_inputs(monkeypatch) -> None:
    import dataclasses

    import numpy as np
    import pandas as pd

    import alvh
    import alvh.engine
    from alvh.analytics.regimes import exog_regime
    from alvh.data import MarketData

    md = MarketData.default().slice("2015-01-01", "2016-12-31")
    rng = np.random.default_rng(1)
    fx = pd.Series(1.1 + np.cumsum(rng.normal(0, 0.005, len(md.dates))), index=md.dates, name="eurusd")
    md = dataclasses.replace(md, exog={"eurusd": fx})
    res = alvh.run(rules_from_dict({"analysis": {"regime_exog": ["eurusd"]}}), md, "2016-01-04", "2016-12-30")
    table = res.analysis.regime_table
    assert "exog_eurusd" in table.index.get_level_values("regime")
    # the rows are the hedge cost on the days exog_regime labels (a history before the run warms it up)
    lab = exog_regime(fx, md.dates).reindex(res.dates)
    rows = table.loc["exog_eurusd"]
    assert set(rows.index) == set(lab.unique())
    assert int(rows["n_days"].sum()) == len(res.dates)
    # an unknown name fails before the engine runs (the rules key and the argument name it)
    monkeypatch.setattr(alvh.engine, "run_backtest", lambda *a, **k: pytest.fail("the engine ran"))
    with pytest.raises(InputError, match="analysis.regime_exog.*no exogenous series"):
        alvh.run(rules_from_dict({"analysis": {"regime_exog": ["gbpusd"]}}), md)
    with pytest.raises(InputError, match="no exogenous series"):
        alvh.run(default_rules(), md, regime_exog=["gbpusd"])
