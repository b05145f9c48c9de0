"""``alvh simulate`` through the installed console script (as tests/test_cli_process.py runs every command)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ALVH = Path(sys.executable).with_name("alvh")
if not ALVH.is_file():
    ALVH = Path(shutil.which("alvh") or ALVH)


def alvh(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "100"}
    return subprocess.run([str(ALVH), *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600)


def one_line_error(r: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    return lines[0]


def test_help():
    r = alvh("simulate", "-h")
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.startswith("Usage: alvh simulate ") and "--chunk-size" in r.stdout and "Example" in r.stdout


def test_typo_suggests_the_command():
    r = alvh("simulat")
    assert r.returncode == 2
    assert "Did you mean 'simulate'?" in one_line_error(r)


@pytest.mark.parametrize(
    "args,said",
    [
        (["--chunk-size", "0"], "'--chunk-size'"),
        (["--paths", "0"], "'--paths'"),
        (["--days", "1"], "'--days'"),
        (["--seed", "-1"], "'--seed'"),
        (["--workers", "0"], "'--workers'"),
        (["--scenario", "no_such_preset"], "scenario"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, args, said):
    base = {"--paths": "3", "--days": "70", "--seed": "1", "--out": str(tmp_path / "out")}
    for k, v in zip(args[::2], args[1::2], strict=True):
        base[k] = v
    r = alvh("simulate", *[x for kv in base.items() for x in kv])
    assert r.returncode == 2, r.stderr
    assert said in one_line_error(r)
    assert not (tmp_path / "out").exists() and list(tmp_path.iterdir()) == []


def test_a_run_writes_its_folder(tmp_path):
    out = tmp_path / "sim"
    r = alvh("simulate", "--paths", "5", "--days", "70", "--seed", "3", "--chunk-size", "2", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "WHAT THE HEDGE COST" in r.stdout and "bp of the initial capital" in r.stdout
    names = {p.name for p in out.iterdir()}
    assert {"summary.json", "run.json", "paths.parquet", "cost_bands.parquet", "manifest.json", "rules.toml"} <= names
    summary = json.loads((out / "summary.json").read_text())
    assert summary["metadata"]["n_paths"] == 5 and summary["metadata"]["seed"] == 3
    assert len(pd.read_parquet(out / "paths.parquet")) == 5
    # the same run in one chunk writes the same summary, byte for byte
    again = tmp_path / "again"
    r = alvh("simulate", "--paths", "5", "--days", "70", "--seed", "3", "--out", str(again))
    assert r.returncode == 0, r.stderr
    assert (again / "summary.json").read_bytes() == (out / "summary.json").read_bytes()
    r = alvh("simulate", "--paths", "5", "--days", "70", "--seed", "3", "--out", str(out))
    assert r.returncode == 2 and "not empty" in one_line_error(r)


def test_params_file_is_used_and_copied(tmp_path):
    from alvh.simulate import SimParams

    params = tmp_path / "params.toml"
    SimParams.default().to_toml(params)
    bad = tmp_path / "bad.toml"
    bad.write_text(params.read_text().replace("model_version", "model_version_typo", 1))
    r = alvh(
        "simulate", "--paths", "2", "--days", "70", "--seed", "1", "--params", str(bad), "--out", str(tmp_path / "x")
    )
    assert r.returncode == 2 and "model_version" in one_line_error(r)
    out = tmp_path / "sim"
    r = alvh("simulate", "--paths", "2", "--days", "70", "--seed", "1", "--params", str(params), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert (out / "params.toml").read_bytes() == params.read_bytes()
    assert json.loads((out / "summary.json").read_text())["metadata"]["model"]["params"] == "SimParams given (--params)"
