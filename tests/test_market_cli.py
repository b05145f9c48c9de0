"""``alvh market surface|vx|fit-vx`` in-process on the real store (typer's CliRunner)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from alvh.cli.market import app
from alvh.errors import InputError


def _run(*args: str) -> str:
    r = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.output


def test_surface_command_reproduces_vix(real_store_dir: Path) -> None:
    out = _run("surface", "--date", "2019-06-03", "--data-dir", str(real_store_dir))
    vix = float(re.search(r"VIX (\d+\.\d+)  Cboe", out).group(1))
    model = float(re.search(r"Cboe VIX of the model (\d+\.\d+)", out).group(1))
    assert model == pytest.approx(vix, abs=1e-5)
    assert "implied vol" in out and len(out.splitlines()) >= 10


def test_vx_command_settlements_and_model(real_store_dir: Path) -> None:
    out = _run("vx", "--date", "2019-06-03", "--data-dir", str(real_store_dir))
    assert "curve: settlements" in out
    first = out.splitlines()[2].split()
    assert first[0] == "0" and float(first[1]) == pytest.approx(float(re.search(r"VIX (\d+\.\d+)", out).group(1)))
    out_model = _run("vx", "--date", "2019-06-03", "--data-dir", str(real_store_dir), "--model")
    assert "curve: model" in out_model


def test_bad_date_is_an_input_error(real_store_dir: Path) -> None:
    with pytest.raises(InputError, match="--date"):
        CliRunner().invoke(
            app, ["surface", "--date", "2019-06-01", "--data-dir", str(real_store_dir)], catch_exceptions=False
        )
    with pytest.raises(InputError, match="--date"):
        CliRunner().invoke(app, ["vx", "--date", "June", "--data-dir", str(real_store_dir)], catch_exceptions=False)


def test_fit_vx_on_a_user_subset(shared_data: Path, tmp_path: Path) -> None:
    from alvh.market.vx import VXModelParams

    long = pd.read_csv(shared_data / "vix_futures" / "vx_contracts_daily_2004_2025.csv.gz")
    sub = long[(long["trade_date"] >= "2016-01-01") & (long["trade_date"] < "2018-01-01")]
    vx_file = tmp_path / "vx.csv"
    sub.to_csv(vx_file, index=False)
    out = tmp_path / "params.json"
    text = _run(
        "fit-vx", "--vx", str(vx_file), "--vix", str(shared_data / "vix_index" / "VIX_History.csv"), "--out", str(out)
    )
    params = VXModelParams.load(out)
    assert params.provenance["data_span"].startswith("2016-01-04")
    assert params.kappa_s > params.kappa_l > 0
    assert "wrote" in text and ">90" in text and "contango_share" in text
