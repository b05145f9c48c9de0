"""Rules file: defaults, every documented key, readable errors, stable hash, CLI init/check."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import pytest

from alvh.config import Rules, config_hash, default_rules, default_rules_text, load_rules, rules_from_dict
from alvh.errors import ConfigError


def test_default_file_matches_models():
    # The shipped file and the model defaults must agree (the file is the documentation of the defaults).
    assert default_rules() == Rules()
    assert [la.weight for la in default_rules().layers] == [0.04, 0.04, 0.02]


def test_every_key_in_default_file_is_commented():
    lines = default_rules_text().splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^([a-z_]+) = ", line)
        if not m or i == 0:
            continue
        # a key is documented by a comment within the two lines above it, or named in a comment block
        key = m.group(1)
        near = any(ln.startswith("#") for ln in lines[max(0, i - 2) : i])
        named = any(ln.startswith("#") and re.search(rf"\b{key}\b", ln) for ln in lines)
        assert near or named, f"key {key} on line {i + 1} has no comment"


@pytest.mark.parametrize(
    ("data", "key", "fragment"),
    [
        ({"core": {"bogus": 1}}, "core.bogus", "unknown key"),
        ({"general": {"capital": -1}}, "general.capital", "> 0"),
        ({"core": {"strike_mode": "gamma"}}, "core.strike_mode", "delta"),
        (
            {
                "layers": [
                    {"name": "a", "weight": 0.7, "min_dte": 0, "max_dte": 30},
                    {"name": "b", "weight": 0.5, "min_dte": 30, "max_dte": 60},
                ]
            },
            "layers",
            "100%",
        ),
        ({"layers": [{"name": "a", "weight": 0.1, "min_dte": 40, "max_dte": 30}]}, "layers.0.max_dte", "min_dte"),
        ({"core": {"long_put_delta": 0.3}}, "core.long_put_delta", "short_put_delta"),
        ({"rebalance": {"short_layer": "nope"}}, "rebalance.short_layer", "not a layer"),
        ({"rebalance": {"window": 30, "min_nobs": 40}}, "rebalance.min_nobs", "window"),
        (
            {"adaptive": {"schedule": [{"upper": 30, "weight": 0.01}, {"upper": 15, "weight": 0.0}, {"weight": 0}]}},
            "adaptive.schedule",
            "increase",
        ),
        (
            {"layers": [{"name": "a", "weight": 0.1, "min_dte": 0, "max_dte": 30, "roll": {"extrinsic_below": 0.5}}]},
            "layers.0.roll.extrinsic_below",
            "vix_call",
        ),
    ],
)
def test_errors_name_key(data, key, fragment):
    with pytest.raises(ConfigError) as exc:
        rules_from_dict(data)
    assert exc.value.key == key
    assert fragment in str(exc.value)


def test_load_rules_file_errors(tmp_path):
    bad = tmp_path / "r.toml"
    bad.write_text("[core\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_rules(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        load_rules(tmp_path / "missing.toml")
    bad.write_text("[financing]\nfraction = 'x'\n")
    with pytest.raises(ConfigError) as exc:
        load_rules(bad)
    assert exc.value.key == "financing.fraction" and str(bad) in str(exc.value)


def test_config_hash_stable_and_sensitive():
    a = default_rules()
    b = rules_from_dict(tomllib.loads(default_rules_text()))
    assert config_hash(a) == config_hash(b)
    assert re.fullmatch(r"[0-9a-f]{64}", config_hash(a))
    c = rules_from_dict({"core": {"short_put_delta": 0.25}})
    assert config_hash(c) != config_hash(a)
    # key order in the file does not matter
    d = rules_from_dict({"costs": {"vx_commission": 3.0}, "general": {"capital": 2e6}})
    e = rules_from_dict({"general": {"capital": 2e6}, "costs": {"vx_commission": 3.0}})
    assert config_hash(d) == config_hash(e)


def test_cli_rules_init_and_check(tmp_path):
    path = tmp_path / "rules.toml"
    run = [sys.executable, "-c", "from alvh.cli import main; main()"]
    r = subprocess.run([*run, "rules", "init", str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert load_rules(path) == Rules()
    r = subprocess.run([*run, "rules", "init", str(path)], capture_output=True, text=True)
    assert r.returncode == 2 and "exists" in r.stderr
    r = subprocess.run([*run, "rules", "check", str(path)], capture_output=True, text=True)
    assert r.returncode == 0 and config_hash(Rules()) in r.stdout.replace("\n", "")
    path.write_text(path.read_text().replace("weight = 0.02", "weight = 0.95"))
    r = subprocess.run([*run, "rules", "check", str(path)], capture_output=True, text=True)
    assert r.returncode == 2 and "'layers'" in r.stderr and "100%" in r.stderr


@pytest.mark.parametrize(
    "text,key,match",
    [
        (
            "[[layers]]\nname = 'short'\nwieght = 0.04\nmin_dte = 0\nmax_dte = 30\n",
            "layers.0.wieght",
            "did you mean 'weight'",
        ),
        ("[general]\ncapitl = 1e7\n", "general.capitl", "did you mean 'capital'"),
        ("[rebalanse]\nenabled = false\n", "rebalanse", "did you mean 'rebalance'"),
        (
            "[[layers]]\nname = 'short'\nweight = '0.04'\nmin_dte = 0\nmax_dte = 30\n",
            "layers.0.weight",
            "text '0.04'; write it without quotes",
        ),
        ("[rebalance]\nenabled = 1\n", "rebalance.enabled", "valid boolean"),
        ("[rebalance]\nwindow = 90.5\n", "rebalance.window", "valid integer"),
        ("[[layers]]\nname = 'short'\nmin_dte = 0\nmax_dte = 30\n", "layers.0.weight", "required key missing"),
    ],
)
def test_rules_errors_name_the_key_and_suggest(tmp_path, text, key, match):
    f = tmp_path / "r.toml"
    f.write_text(text)
    with pytest.raises(ConfigError, match=match) as exc:
        load_rules(f)
    assert exc.value.key == key
    assert "{" not in str(exc.value)  # never the whole parsed table


@pytest.mark.parametrize(
    "body",
    ["wieght = 0.02\n", "weight = '0.02'\n", ""],
    ids=["typo", "wrong-type", "missing"],
)
def test_rules_errors_inside_a_layer_name_the_layer(tmp_path, body):
    """An index alone (layers.2.weight) makes the user count [[layers]] tables: the layer's name is said."""
    layers = "".join(
        f"[[layers]]\nname = '{n}'\nmin_dte = {lo}\nmax_dte = {hi}\n" + ("weight = 0.04\n" if n != "long" else body)
        for n, lo, hi in (("short", 0, 30), ("mid", 30, 90), ("long", 90, 270))
    )
    f = tmp_path / "r.toml"
    f.write_text(layers)
    with pytest.raises(ConfigError) as exc:
        load_rules(f)
    assert exc.value.key.startswith("layers.2.") and "in layer 'long'" in str(exc.value)


def test_rules_bom_and_crlf_accepted(tmp_path):
    f = tmp_path / "r.toml"
    f.write_bytes(b"\xef\xbb\xbf[general]\r\ncapital = 2e7\r\n")
    assert load_rules(f).general.capital == 2e7


@pytest.mark.parametrize("target,match", [("dir", "a directory"), ("/dev/null", "a device")])
def test_rules_path_named_as_what_it_is(tmp_path, target, match):
    path = tmp_path if target == "dir" else target
    with pytest.raises(ConfigError, match=match):
        load_rules(path)


def test_layer_buckets_that_overlap_or_leave_a_hole_are_noted(tmp_path):
    """Either can be meant (so not an error), but a trader should see it: the seed's buckets tile 0-30-90-."""

    def layer(name, lo, hi):
        return f"[[layers]]\nname = '{name}'\nweight = 0.03\nmin_dte = {lo}\nmax_dte = {hi}\n"

    f = tmp_path / "r.toml"
    f.write_text(layer("a", 0, 60) + layer("b", 30, 90) + layer("c", 120, 180) + "[rebalance]\nenabled = false\n")
    notes = load_rules(f).notes
    assert any("'a' (0-60 d) and 'b' (30-90 d) overlap at 30-60 d" in n for n in notes), notes
    assert any("no layer holds contracts 90-120 d" in n for n in notes), notes
    assert Rules().notes == []  # the default 0-30, 30-90, 90-180 tile
    r = subprocess.run(
        [sys.executable, "-c", "from alvh.cli import main; main()", "rules", "check", str(f)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0 and r.stdout.count("note:") == 2, r.stdout
