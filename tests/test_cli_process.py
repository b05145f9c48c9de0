"""The installed ``alvh`` console script as a user runs it: help, usage errors, bad paths, odd text.

Every test here runs the venv's ``bin/alvh`` (the entry point pip installed) in a subprocess, so a
missing dependency of the error path (issue 9.1: ``import click`` with no click installed) or a
crash while printing shows up as it would for a user. Contract (src/alvh/cli/__init__.py,
docs/cli.md): usage errors are one line on stderr naming what was wrong and the usage, exit 2;
alvh's errors one line, their ``exit_code``; anything else one line, exit 1, a traceback only with
``--debug``; user text printed verbatim (never as rich markup).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import typer

from alvh import cli as alvh_cli

ALVH = Path(sys.executable).with_name("alvh")
if not ALVH.is_file():  # not installed into this interpreter's bin: the PATH's, if any
    ALVH = Path(shutil.which("alvh") or ALVH)

# an SGR escape that sets a colour (30-37, 38;..., 40-47, 48;..., 90-97, 100-107); bold/italic are not colours
COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")


def alvh(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, exe: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "100"}
    full_env.pop("NO_COLOR", None)
    full_env.update(env or {})
    return subprocess.run(
        [*(exe or [str(ALVH)]), *args], capture_output=True, text=True, cwd=cwd, env=full_env, timeout=300
    )


def one_line_error(r: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a failed run (and nothing on stdout, no traceback)."""
    assert "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: "), r.stderr
    return lines[0]


def test_the_console_script_is_installed():
    assert ALVH.is_file(), f"no alvh console script next to {sys.executable}: pip install -e '.[test]'"


# ------------------------------------------------------------------ the command tree and its help


def _tree() -> dict[tuple[str, ...], typer.core.TyperCommand | typer.core.TyperGroup]:
    """Every command path below ``alvh`` (loading each lazy group), root included as ()."""
    root = typer.main.get_command(alvh_cli.app)
    ctx = typer.Context(root, info_name="alvh")
    out: dict = {(): root}

    def walk(cmd, path, ctx):
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            out[(*path, name)] = sub
            if hasattr(sub, "list_commands"):
                walk(sub, (*path, name), typer.Context(sub, info_name=name, parent=ctx))

    walk(root, (), ctx)
    return out


TREE = _tree()
PATHS = sorted(TREE)


def _help_text(path: tuple[str, ...]) -> str:
    ctx = None
    cmd = TREE[()]
    ctx = typer.Context(cmd, info_name="alvh")
    for i, name in enumerate(path):
        cmd = TREE[path[: i + 1]]
        ctx = typer.Context(cmd, info_name=name, parent=ctx)
    return cmd.get_help(ctx)


def test_tree_has_the_commands():
    assert {
        ("backtest",),
        ("calibrate",),
        ("data", "import"),
        ("data", "info"),
        ("data", "check"),
        ("market", "surface"),
        ("market", "vx"),
        ("market", "fit-vx"),
        ("rules", "init"),
        ("rules", "check"),
        ("report",),
        ("compare",),
    } <= set(PATHS)


@pytest.mark.parametrize("flag", ["-h", "--help"])
@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "alvh")
def test_help_on_every_command(path, flag):
    r = alvh(*path, flag)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert r.stdout.startswith(f"Usage: {' '.join(('alvh', *path))} ")
    # readable metavars: no typer type labels such as <bool>, <str>, <path>, <list[Path]>, {kind}
    assert not re.search(r"<[a-z][\w\[\] ]*>|\{\w+\}", r.stdout), r.stdout
    assert "-h, --help" in r.stdout
    assert "Example" in r.stdout, f"no example in the help of alvh {' '.join(path)}"


def test_help_mentions_only_commands_that_exist():
    groups = {p for p, c in TREE.items() if hasattr(c, "list_commands")}
    for path in PATHS:
        # a mention: an example line ("  alvh data info") or a quoted command ('alvh rules init', `alvh x`);
        # prose such as "another alvh process" is not one
        text = _help_text(path)
        for m in re.finditer(r"(?:^[ \t]*|['`])alvh((?: [a-z][a-z0-9-]*)+)", text, flags=re.MULTILINE):
            words = m.group(1).split()
            cur: tuple[str, ...] = ()
            while cur in groups and words:
                cur = (*cur, words.pop(0))
                assert cur in TREE, f"help of 'alvh {' '.join(path)}' mentions 'alvh {' '.join(cur)}': no such command"


def test_root_short_help_is_each_groups_first_line():
    for name, (_module, short) in alvh_cli.COMMANDS.items():
        cmd = TREE[(name,)]
        assert (cmd.help or "").split("\n")[0].strip() == short, name


def test_no_arguments_prints_the_help():
    r = alvh()
    assert r.returncode == 2 and "Commands:" in r.stderr and "Traceback" not in r.stderr
    for name in alvh_cli.COMMANDS:
        assert name in r.stderr


def test_version():
    from importlib.metadata import version

    r = alvh("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"alvh {version('alvh')}"


# ------------------------------------------------------------------ usage errors


@pytest.mark.parametrize(
    "args,said",
    [
        (["bactest"], "No such command 'bactest'. Did you mean 'backtest'?"),
        (["nosuch"], "No such command 'nosuch'"),
        (["data", "nosuch"], "No such command 'nosuch'"),
        (["rules", "chek"], "Did you mean 'check'?"),
        (["--bogus"], "No such option: --bogus"),
        (["backtest", "--bogus"], "No such option: --bogus"),
        (["backtest", "--strat", "2016-01-01"], "No such option: --strat"),
        (["backtest"], "Missing option '--out'"),
        (["backtest", "--out"], "Option '--out' requires an argument"),
        (["rules", "check"], "Missing argument 'FILE'"),
        (["data", "import", "vix"], "Missing argument 'FILE...'"),
        (["market", "surface"], "Missing option '--date'"),
        (["data", "info", "--max-gap", "x"], "Invalid value for '--max-gap'"),
        (["data", "info", "--max-gap", "-1"], "--max-gap"),
        (
            ["data", "import", "--on-conflict", "replce", "vix", "f.csv"],
            "'replce' is not one of 'error', 'keep', 'replace'",
        ),
        (["backtest", "--start", "2016-13-01", "--out", "o"], "'2016-13-01' is not a date (expected YYYY-MM-DD)"),
        (["calibrte"], "Did you mean 'calibrate'?"),
        (["calibrate"], "Missing option '--out'"),
        (["calibrate", "--strat", "2006-01-03", "--out", "p.toml"], "No such option: --strat"),
        (["calibrate", "--end", "2025-02-30", "--out", "p.toml"], "'2025-02-30' is not a date"),
        (["reprot", "out"], "No such command 'reprot'. Did you mean 'report'?"),
        (["report"], "Missing argument 'RUN_DIR'"),
        (["report", "out", "--pgn", "d"], "No such option: --pgn"),
        (["comapre", "a", "b"], "No such command 'comapre'. Did you mean 'compare'"),
        (["compare", "a", "b"], "Missing option '--out'"),
        (["compare", "a", "b", "--otu", "c"], "No such option: --otu"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_usage_errors_are_one_line_exit_2(args, said, tmp_path):
    r = alvh(*args, cwd=tmp_path)
    assert r.returncode == 2, (r.returncode, r.stderr)
    line = one_line_error(r)
    assert said in line
    cmd = (
        "alvh" if args[0].startswith("-") or args[0] in ("bactest", "nosuch", "calibrte", "reprot", "comapre") else None
    )
    assert "usage: " + (cmd or "alvh ") in line and "-h'" in line
    assert r.stdout == ""


# ------------------------------------------------------------------ paths


def test_missing_file_is_named(tmp_path):
    r = alvh("rules", "check", str(tmp_path / "nope.toml"))
    assert r.returncode == 2
    assert f"'{tmp_path / 'nope.toml'}' does not exist" in one_line_error(r)


@pytest.mark.parametrize(
    "args",
    [
        ["rules", "check", "{dir}"],
        ["backtest", "--rules", "{dir}", "--out", "{dir}/o"],
        ["backtest", "--vx-model", "{dir}", "--out", "{dir}/o"],
        ["rules", "init", "{dir}"],
        ["market", "fit-vx", "--vx", "{dir}", "--vix", "{file}", "--out", "{dir}/p.json"],
    ],
    ids=["rules-check", "backtest-rules", "backtest-vx-model", "rules-init", "fit-vx-vx"],
)
def test_a_directory_given_as_a_file(tmp_path, args):
    (tmp_path / "f.csv").write_text("x\n")
    r = alvh(*(a.format(dir=tmp_path, file=tmp_path / "f.csv") for a in args))
    assert r.returncode == 2
    assert f"'{tmp_path}' is a directory" in one_line_error(r)


@pytest.mark.parametrize(
    "args",
    [
        ["backtest", "--out", "{file}"],
        ["backtest", "--data-dir", "{file}", "--out", "{dir}/o"],
        ["market", "fit-vx", "--vx", "{file}", "--vix", "{file}", "--out", "{dir}"],
    ],
    ids=["backtest-out", "backtest-data-dir", "fit-vx-out-is-a-dir"],
)
def test_out_of_the_wrong_kind(tmp_path, args):
    f = tmp_path / "f.csv"
    f.write_text("x\n")
    r = alvh(*(a.format(dir=tmp_path, file=f) for a in args))
    assert r.returncode == 2
    line = one_line_error(r)
    assert f"'{f}' is a file" in line or f"'{tmp_path}' is a directory" in line
    assert not (tmp_path / "o").exists()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path):
    f = tmp_path / "r.toml"
    f.write_text("")
    f.chmod(0)
    r = alvh("rules", "check", str(f))
    assert r.returncode == 2 and "is not readable" in one_line_error(r)


# ------------------------------------------------------------------ user text printed verbatim


@pytest.mark.parametrize("value", ["[/]", "[low 13.54, high 16.39]", "[bold]x[/bold]", "[red"])
def test_bracketed_values_verbatim(value, tmp_path):
    r = alvh("backtest", "--start", value, "--out", str(tmp_path / "o"))
    assert r.returncode == 2
    assert f"'{value}' is not a date" in one_line_error(r)


@pytest.fixture
def bold_dir(tmp_path) -> Path:
    """A folder in which the relative name ``[bold]v[/bold].ext`` is a real file (its ``/`` is a folder)."""
    (tmp_path / "[bold]v[").mkdir()
    return tmp_path


def test_bracketed_file_names_verbatim(bold_dir):
    name = "[bold]v[/bold].toml"
    r = alvh("rules", "init", name, cwd=bold_dir)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"wrote {name}"
    r = alvh("rules", "check", name, cwd=bold_dir)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"{name}: ok")
    (bold_dir / name).write_text("[core]\nshort_put_delta = 2\n")
    r = alvh("rules", "check", name, cwd=bold_dir)
    assert r.returncode == 2
    line = one_line_error(r)
    assert name in line and "core.short_put_delta" in line
    r = alvh("rules", "check", "[bold]v[/bold].csv", cwd=bold_dir)
    assert r.returncode == 2 and "'[bold]v[/bold].csv' does not exist" in one_line_error(r)


def test_bracketed_csv_named_in_a_data_error(bold_dir):
    name = "[bold]v[/bold].csv"
    (bold_dir / name).write_text("no,such,columns\n1,2,3\n")
    r = alvh("data", "import", "vix", name, "--data-dir", str(bold_dir / "store"), cwd=bold_dir)
    assert r.returncode == 2, r.stderr
    assert name in one_line_error(r)


def test_bracketed_data_dir_verbatim(bold_dir):
    d = bold_dir / "[bold]d[" / "bold]"
    d.mkdir(parents=True)
    r = alvh("data", "info", "--data-dir", "[bold]d[/bold]", cwd=bold_dir)
    assert r.returncode == 0, r.stderr
    assert "[bold]d[/bold]/alvh.duckdb" in " ".join(r.stdout.split()).replace("/ ", "/")


def test_no_color(tmp_path):
    env = {"FORCE_COLOR": "1", "ALVH_DATA_DIR": str(tmp_path)}
    # the detector sees colour when colour is printed (rich, forced, no NO_COLOR) ...
    probe = [sys.executable, "-c", "from rich.console import Console; Console().print('[red]x[/] 1.5')"]
    assert COLOUR.search(alvh(exe=probe, env=env).stdout)
    # ... and alvh prints none with NO_COLOR set, in help, output, usage errors and alvh errors
    for args in (["-h"], ["data", "info"], ["backtest", "--bogus"], ["rules", "check", str(tmp_path / "x")]):
        r = alvh(*args, env={**env, "NO_COLOR": "1"})
        assert not COLOUR.search(r.stdout + r.stderr), (args, r.stdout + r.stderr)


# ------------------------------------------------------------------ alvh errors and unexpected ones

BOOM = '''
import sys
import typer
from alvh.errors import AlvhError

app = typer.Typer(name="boom", add_completion=False)


class StoreBusy(AlvhError):
    exit_code = 3


@app.command("boom")
def boom(what: str = typer.Argument(...)) -> None:
    """Raise what the test asks for."""
    if what == "value":
        raise ValueError("bad [/] value [bold]x[/bold]\\nsecond line")
    if what == "alvh":
        raise StoreBusy("store [locked] by another import")
    if what == "exit":
        sys.exit(4)
    if what == "interrupt":
        raise KeyboardInterrupt
    if what == "escape":
        raise ValueError("name \\x1b[31mred\\x1b[0m")
'''


@pytest.fixture
def boom(tmp_path):
    """Run alvh's own ``main`` with one extra lazy command whose module raises on request."""
    (tmp_path / "boom_mod.py").write_text(textwrap.dedent(BOOM))
    code = "import alvh.cli as c; c.COMMANDS['boom'] = ('boom_mod', 'Raise on request.'); c.main()"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return alvh(*args, exe=[sys.executable, "-c", code], env={"PYTHONPATH": str(tmp_path)})

    return run


def test_unexpected_error_one_line_exit_1(boom):
    r = boom("boom", "value")
    assert r.returncode == 1
    assert one_line_error(r) == (
        "error: ValueError: bad [/] value [bold]x[/bold] second line (run 'alvh --debug ...' for a traceback)"
    )


def test_unexpected_error_traceback_with_debug(boom):
    r = boom("--debug", "boom", "value")
    assert r.returncode == 1
    assert "Traceback (most recent call last)" in r.stderr and 'raise ValueError("bad [/] value' in r.stderr
    assert r.stderr.splitlines()[-1].startswith("error: ValueError: bad [/] value")


def test_alvh_error_exits_with_its_code(boom):
    r = boom("boom", "alvh")
    assert r.returncode == 3
    assert one_line_error(r) == "error: store [locked] by another import"


def test_system_exit_and_interrupt(boom):
    assert boom("boom", "exit").returncode == 4
    r = boom("boom", "interrupt")
    assert r.returncode == 130 and "Traceback" not in r.stderr


def test_terminal_escapes_are_shown_not_sent(boom):
    r = boom("boom", "escape")
    assert "\x1b" not in r.stderr and "\\x1b[31mred" in one_line_error(r)


def test_closed_stdout_is_not_a_traceback():
    p = subprocess.Popen([str(ALVH), "-h"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.stdout is not None and p.stderr is not None
    p.stdout.close()
    p.wait(timeout=120)
    assert "Traceback" not in p.stderr.read()


# ------------------------------------------------------------------ start-up: what --help imports

HEAVY = (
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "duckdb",
    "numba",
    "pydantic",
    "arch",
    "pyarrow",
    "rich",
    "matplotlib",
    "pandas_market_calendars",
)


def test_help_imports_nothing_heavy():
    code = (
        "import sys; from alvh.cli import run; rc = run(['--help']); "
        f"print(rc, sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.stdout.splitlines()[-1] == "0 []", r.stdout + r.stderr


# ------------------------------------------------------------------ fit-vx -> backtest --vx-model


def test_fitted_vx_model_drives_a_backtest(shared_data, tmp_path):
    import json

    import pandas as pd

    long = pd.read_csv(shared_data / "vix_futures" / "vx_contracts_daily_2004_2025.csv.gz")
    long[(long["trade_date"] >= "2016-01-01") & (long["trade_date"] < "2018-01-01")].to_csv(
        tmp_path / "vx.csv", index=False
    )
    params = tmp_path / "[fit] vx model.json"
    r = alvh(
        "market",
        "fit-vx",
        "--vx",
        str(tmp_path / "vx.csv"),
        "--vix",
        str(shared_data / "vix_index" / "VIX_History.csv"),
        "--out",
        str(params),
    )
    assert r.returncode == 0, r.stderr
    assert f"alvh backtest --vx-model {params}" in r.stdout
    fitted = json.loads(params.read_text())
    span = ["--start", "2016-01-04", "--end", "2016-09-30"]
    r = alvh("backtest", *span, "--vx-model", str(params), "--out", str(tmp_path / "fit"))
    assert r.returncode == 0, r.stderr
    r0 = alvh("backtest", *span, "--out", str(tmp_path / "shipped"))
    assert r0.returncode == 0, r0.stderr
    s = json.loads((tmp_path / "fit" / "summary.json").read_text())
    s0 = json.loads((tmp_path / "shipped" / "summary.json").read_text())
    prov = s["metadata"]["provenance"]
    assert f"kappa_s {fitted['kappa_s']:.4f}" in prov["vx_model"] and f"kappa_s {fitted['kappa_s']:.4f}" in prov["vx"]
    assert "vx_model" not in s0["metadata"]["provenance"]
    assert s["final_nav"] != s0["final_nav"]  # the embedded data has no VX settlements: the model prices the layers
    # a file that is not a parameter file: alvh's error naming it and the key, exit 2
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({k: v for k, v in fitted.items() if k != "theta"}))
    r = alvh("backtest", *span, "--vx-model", str(bad), "--out", str(tmp_path / "bad"))
    assert r.returncode == 2
    line = one_line_error(r)
    assert str(bad) in line and "'theta'" in line


@pytest.mark.parametrize(
    "args,absent",
    [
        (["data", "info", "--data-dir", "{tmp}"], ("scipy", "numba", "statsmodels", "arch", "matplotlib")),
        (["rules", "init", "{tmp}/r.toml"], ("scipy", "numba", "statsmodels", "duckdb", "pandas")),
    ],
    ids=["data-info", "rules-init"],
)
def test_commands_import_only_what_they_use(args, absent, tmp_path):
    code = (
        "import sys; from alvh.cli import run; rc = run(sys.argv[1:]); "
        f"print(rc, sorted({{m.split('.')[0] for m in sys.modules}} & set({absent!r})))"
    )
    r = subprocess.run(
        [sys.executable, "-c", code, *(a.format(tmp=tmp_path) for a in args)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.stdout.splitlines()[-1] == "0 []", r.stdout + r.stderr


def test_a_backtest_does_not_import_statsmodels():
    """statsmodels.api cost every backtest process 1.8 s for one OLS (now numpy, tests/test_steward.py)."""
    code = (
        "import sys; import alvh.api, alvh.analytics, alvh.engine, alvh.cli.backtest; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'statsmodels'))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.stdout.strip() == "[]", r.stdout + r.stderr


def test_backtest_regime_exog_flag(tmp_path):
    h = alvh("backtest", "-h")
    assert h.returncode == 0 and "--regime-exog" in h.stdout and "--exog" in h.stdout
    # a name that is not an imported series: one line naming the key, before the engine runs
    r = alvh("backtest", "--regime-exog", "usdjpy", "--out", str(tmp_path / "o"), env={"ALVH_DATA_DIR": ""})
    assert r.returncode == 2
    line = one_line_error(r)
    assert "analysis.regime_exog" in line and "usdjpy" in line
    t = alvh("backtest", "--regime-exgo", "usdjpy", "--out", str(tmp_path / "o"))
    assert t.returncode == 2 and "--regime-exog" in t.stderr  # the typo gets a suggestion


# ------------------------------------------------------------------ alvh sweep
def test_sweep_typo_and_bad_grid_are_one_line(tmp_path):
    r = alvh("sweep", "--gird", "g.toml", "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "--gird" in one_line_error(r) and "--grid" in r.stderr
    grid = tmp_path / "g.toml"
    grid.write_text('[values]\n"layers.0.wieght" = [0.03]\n', encoding="utf-8")
    r = alvh("sweep", "--grid", str(grid), "--out", str(tmp_path / "o"))
    line = one_line_error(r)
    assert r.returncode == 2 and "layers.0.wieght" in line and "did you mean 'layers.0.weight'" in line
    assert not (tmp_path / "o").exists()  # refused before any work
    grid.write_text('[values]\n"rebalance.threshold" = [1.2, 1.4]\n', encoding="utf-8")
    r = alvh("sweep", "--grid", str(grid), "--out", str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:9")
    assert r.returncode == 2 and "cannot reach the Dask scheduler" in one_line_error(r)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("args", [["data", "info"], ["data", "info", "--json"], ["--help"], ["rules", "--help"]])
def test_a_closed_stdout_pipe_exits_quietly(args, tmp_path):
    # ``alvh data info | head -1``: the reader goes away; alvh stops without a message and exits as a process
    # ended by SIGPIPE does (141), not 1 (rich's Console turned the broken pipe into SystemExit(1))
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before alvh writes anything: every write fails with EPIPE
    env = {k: v for k, v in os.environ.items() if k != "ALVH_DATA_DIR"}
    env.update(HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"))  # the embedded default data
    try:
        r = subprocess.run(
            [str(ALVH), *args], stdout=write_end, stderr=subprocess.PIPE, text=True, env=env, timeout=300
        )
    finally:
        os.close(write_end)
    assert r.stderr == ""
    assert r.returncode == alvh_cli.PIPE_CLOSED == 141


# ------------------------------------------------------------------ the console script's exit (gc.freeze)


def test_the_console_entry_freezes_the_heap_and_still_exits_normally():
    """main() freezes the garbage collector's heap before exiting (the finalisation collections were ~1 s of a
    backtest process): atexit handlers still run, after the command's output, and the exit code is the command's."""
    code = (
        "import atexit, gc, sys; from alvh.cli import main; "
        "atexit.register(lambda: print('atexit frozen', gc.get_freeze_count() > 0, file=sys.stderr)); main()"
    )
    ok = subprocess.run([sys.executable, "-c", code, "--version"], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and ok.stdout.startswith("alvh ")
    assert ok.stderr.splitlines() == ["atexit frozen True"]
    bad = subprocess.run([sys.executable, "-c", code, "backtset"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert bad.stderr.splitlines()[-1] == "atexit frozen True" and "Did you mean 'backtest'" in bad.stderr


@pytest.mark.parametrize("reader", ["all", "head"])
def test_a_backtest_through_the_console_script_leaves_complete_outputs(reader, tmp_path):
    """Through bin/alvh: every output written and checksummed (manifest verified), exit 0; with stdout's
    reader gone after one line (``alvh backtest ... | head -1``) the outputs are still complete, exit 0 or 141."""
    from alvh.cli.backtest import OUTPUTS
    from alvh.report.outputs import verify

    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if k != "ALVH_DATA_DIR"}
    env.update(HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"))  # the embedded default data
    cmd = [str(ALVH), "backtest", "--start", "2016-01-04", "--end", "2016-06-30", "--out", str(out)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert p.stdout is not None and p.stderr is not None
    if reader == "head":
        first = p.stdout.readline()
        p.stdout.close()
        text = first
    else:
        text = p.stdout.read()
    err = p.stderr.read()
    code = p.wait(timeout=300)
    assert "Traceback" not in err, err
    assert code in ((0, 141) if reader == "head" else (0,)), (code, err)
    assert text.startswith("data: ")
    if reader == "all":
        assert f"{out}/manifest.json" in text  # the last "wrote" line was printed
    verify(out)  # manifest.json present, every file listed with its SHA-256 and unchanged
    assert all((out / name).is_file() and (out / name).stat().st_size > 0 for name in OUTPUTS)
