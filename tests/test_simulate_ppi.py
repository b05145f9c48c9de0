"""PPI release-day shocks: none shipped (alvh has no verified PPI dates), fitted and simulated from a user's file.

alvh ships no PPI calendar (../shared/data/calendars/SOURCE.md: no data file found), so the shipped parameters
carry a zero PPI shock and no simulated day is a PPI day. A user's PPI file goes the same way as the CPI dates:
imported into the data (``MarketData.events["ppi"]``) it is fitted by the calibration, and passed as
``event_dates={"ppi": ...}`` it drives the simulation. The mechanism is tested here with the verified CPI release
dates under the PPI label (the test needs real dates; it does not claim they are PPI dates), so the fitted PPI
shock must equal the CPI one.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from alvh.simulate import SimParams
from alvh.simulate.model import run_dates, simulate_factor_paths
from alvh.simulate.params import EventShock
from alvh.simulate.schedule import event_mask

CPI_FILE = (
    Path(__file__).resolve().parents[1].parent / "shared" / "data" / "calendars" / "cpi_release_dates_2015_2026.csv"
)


def test_shipped_parameters_have_no_ppi_shock_and_no_ppi_days() -> None:
    p = SimParams.default()
    assert p.events["ppi"] == EventShock(0.0, 0.0, 0)
    assert p.events["cpi"].n_days >= 100 and p.events["cpi"].sd > 0
    assert not event_mask(run_dates("2025-01-02", 600), "ppi").any()


def _user_ppi_dates(tmp_path: Path):  # noqa: ANN202 - a DatetimeIndex
    from alvh.data.importers import read_events

    if not CPI_FILE.is_file():
        pytest.skip("the shared CPI calendar is not available")
    f = tmp_path / "my_ppi.csv"
    f.write_text(CPI_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    return read_events(f, "ppi").dates


def test_a_user_ppi_file_is_fitted_like_cpi(real_market_data, tmp_path) -> None:  # noqa: ANN001
    from alvh.market import VXModelParams
    from alvh.simulate.calibrate import fit_params
    from alvh.simulate.history import load_history

    md = real_market_data.slice("2006-01-03", "2025-12-31")
    assert "ppi" not in md.events or len(md.events["ppi"]) == 0  # nothing shipped or imported
    md = dataclasses.replace(md, events={**md.events, "ppi": _user_ppi_dates(tmp_path)})
    vxp = VXModelParams.default()
    h = load_history(md, vxp, q_kappa_g=SimParams.default().q_kappa_g)
    assert h.events["ppi"].sum() == h.events["cpi"].sum() >= 100
    fit = fit_params(h, vxp, corr_weight=0.5)
    ppi, cpi = fit.events["ppi"], fit.events["cpi"]
    assert ppi.n_days == cpi.n_days >= 100
    assert ppi.mean == pytest.approx(cpi.mean) and ppi.sd == pytest.approx(cpi.sd) and ppi.sd > 0


def test_a_user_ppi_file_drives_the_simulation(tmp_path) -> None:  # noqa: ANN001
    dates = _user_ppi_dates(tmp_path)
    p = SimParams.default().replace(events={**SimParams.default().events, "ppi": EventShock(-0.3, 0.0, 100)})
    run = run_dates("2025-01-02", 60)
    ppi_days = np.flatnonzero(event_mask(run, "ppi", known=dates))
    assert ppi_days.size >= 2
    _, without, _ = simulate_factor_paths(p, 50, 60, np.random.default_rng(3))
    _, with_ppi, _ = simulate_factor_paths(p, 50, 60, np.random.default_rng(3), event_dates={"ppi": dates})
    d = int(ppi_days[0])
    np.testing.assert_array_equal(with_ppi.short[:d], without.short[:d])  # the same draws until the first PPI day
    ratio = with_ppi.short[d] / without.short[d]
    np.testing.assert_allclose(ratio, np.exp(-0.3), rtol=1e-9)  # the PPI shock on the short factor, that day
    with pytest.raises(Exception, match="event_dates"):
        simulate_factor_paths(p, 2, 10, np.random.default_rng(0), event_dates={"nfp": dates})


def _with_ppi_shock() -> SimParams:
    p = SimParams.default()
    return dataclasses.replace(p, events={**p.events, "ppi": p.events["cpi"]})


def test_path_model_events_drive_the_model_as_simulate_market_does(tmp_path: Path) -> None:
    from alvh.montecarlo import PathModel
    from alvh.simulate import simulate_market

    dates = _user_ppi_dates(tmp_path)
    p = _with_ppi_shock()
    m = PathModel(params=p, start="2016-01-04", events=PathModel.event_pairs({"ppi": dates}))
    assert m.event_dates is not None and m.event_dates["ppi"].equals(dates)
    assert m.describe()["event_dates"]["ppi"]["n"] == len(dates)
    got = m.generate(4, 120, np.random.default_rng(5)).vix_close
    want = simulate_market(p, 4, 120, np.random.default_rng(5), start="2016-01-04", event_dates={"ppi": dates})
    np.testing.assert_array_equal(got, want.vix_close)
    # without the dates the PPI shock never fires: another path
    plain = PathModel(params=p, start="2016-01-04").generate(4, 120, np.random.default_rng(5)).vix_close
    assert not np.array_equal(got, plain)
    with pytest.raises(Exception, match="event kind"):
        PathModel(events=(("nfp", ("2016-01-08",)),)).check(70)


def test_alvh_simulate_events_option(tmp_path: Path) -> None:
    import json
    import os
    import shutil
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("alvh")
    exe = exe if exe.is_file() else Path(shutil.which("alvh") or exe)

    def alvh(*args: str) -> subprocess.CompletedProcess[str]:  # the installed console script, as a user runs it
        env = {**os.environ, "COLUMNS": "100"}
        return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=600)

    def one_line_error(r: subprocess.CompletedProcess[str]) -> str:
        lines = r.stderr.splitlines()
        assert "Traceback" not in r.stderr and len(lines) == 1 and lines[0].startswith("error: "), r.stderr
        return lines[0]

    if not CPI_FILE.is_file():
        pytest.skip("the shared CPI calendar is not available")
    params = tmp_path / "params.toml"
    _with_ppi_shock().to_toml(params)
    ppi = tmp_path / "my_ppi.csv"
    ppi.write_text(CPI_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    base = ["simulate", "--paths", "2", "--days", "70", "--seed", "1", "--params", str(params)]
    r = alvh(*base, "--out", str(tmp_path / "a"))
    assert r.returncode == 0, r.stderr
    assert "PPI shock but alvh ships no PPI dates" in r.stdout
    r = alvh(*base, "--events", f"ppi={ppi}", "--out", str(tmp_path / "b"))
    assert r.returncode == 0, r.stderr
    assert "ships no PPI dates" not in r.stdout
    meta = json.loads((tmp_path / "b" / "summary.json").read_text())["metadata"]["model"]["event_dates"]
    assert meta["ppi"]["n"] >= 100
    for spec, said in ((f"nfp={ppi}", "--events"), ("ppi", "--events"), (f"ppi={tmp_path / 'none.csv'}", "none.csv")):
        r = alvh(*base, "--events", spec, "--out", str(tmp_path / "c"))
        assert r.returncode != 0 and said in one_line_error(r), (spec, r.stderr)
        assert not (tmp_path / "c").exists()
