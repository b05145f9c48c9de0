"""The ``alvh`` command line: thin wrappers that parse, call the library and print.

Each command group lives in its own module (``alvh.cli.data``, ``.market``, ``.rules``,
``.backtest``, ``.report``, ``.compare``) and is imported only when that command runs, so ``alvh --help`` imports typer
and nothing of the library.

Exit codes and messages (docs/cli.md):

* ``0`` success; ``-h``/``--help`` on any command prints its help.
* ``2`` a usage error (unknown command or option, a missing or bad argument): one line on stderr
  naming what was wrong, then the usage and where to find help.
* alvh's own errors (:class:`alvh.errors.AlvhError`): one line ``error: ...`` naming the file,
  row, column, key or argument; exit code ``exc.exit_code`` (2 unless a subclass says otherwise).
* ``1`` anything unexpected: one line with the exception's type and message; the traceback only
  with ``alvh --debug ...``.
* ``130`` interrupted (Ctrl-C).
* ``141`` stdout's reader went away (``alvh data info | head -1``): no message, as a process ended
  by SIGPIPE.

Everything here is printed as plain text: nothing a user typed is interpreted as rich markup.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

#: The command groups: name -> (module, short help shown by ``alvh --help``). The short help is
#: the first sentence of the group's own help (tests/test_cli_process.py checks they agree).
#: Exit code when stdout's reader closes the pipe: a shell's code for a process ended by SIGPIPE (128 + 13).
PIPE_CLOSED = 141

COMMANDS: dict[str, tuple[str, str]] = {
    "backtest": ("alvh.cli.backtest", "Run the rules on market data, analyse the hedge, write the outputs."),
    "calibrate": ("alvh.cli.calibrate", "Fit the Monte Carlo model to history and print the fit report."),
    "compare": (
        "alvh.cli.compare",
        "Compare saved runs: headline figures side by side with their differences, and the rules diff.",
    ),
    "data": ("alvh.cli.data", "Market data: import files into the local store (DuckDB), show what is there, check it."),
    "market": ("alvh.cli.market", "SPX surface, VX curve and VIX-option vol: inspect, refit the VX model."),
    "report": ("alvh.cli.report", "Redraw the report of a saved run (report_data.json) without rerunning it."),
    "rules": ("alvh.cli.rules", "Write and check rules files (TOML)."),
    "simulate": ("alvh.cli.simulate", "Simulate paths, run the rules on each, report the hedge's cost and protection."),
    "sweep": ("alvh.cli.sweep", "Run every variant of a grid of rules keys, score the hedge, write the frontier."),
}

#: ``-h`` and ``--help`` on every command (click passes the setting down to sub-contexts).
CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

_EXAMPLES = """Examples:

\b
  alvh backtest --out out/                      the 4/4/2 rules on the embedded data
  alvh data import vix VIX_History.csv          import Cboe's VIX history into the store
  alvh rules init my_rules.toml                 write the default rules, every key commented
  alvh backtest --rules my_rules.toml --data-dir ~/alvh-data --out out/
"""


#: Readable metavars for typer's type labels (``<str>`` -> TEXT, ``<list[Path]>`` -> PATH...).
_METAVARS = {
    "str": "TEXT",
    "int": "INTEGER",
    "float": "NUMBER",
    "int range": "INTEGER",
    "float range": "NUMBER",
    "path": "PATH",
    "Path": "PATH",
    "file": "FILE",
    "directory": "DIR",
    "datetime": "DATE",
}


def _readable_type(param: Any, ctx: Any) -> str:
    """The metavar a parameter shows in help: its own, else a readable name of its type."""
    if param.metavar is not None:
        return str(param.metavar)
    inner = str(param.display_type(ctx)).strip("<>")
    many = inner.startswith("list[") and inner.endswith("]")
    if many:
        inner = inner[len("list[") : -1]
    text = f"[{inner}]" if "|" in inner else _METAVARS.get(inner, inner.upper())
    return text + ("..." if many or param.nargs != 1 else "")


class _ReadableArgument(TyperArgument):
    """An argument shown as ``NAME`` (required), ``[NAME]`` (optional), ``NAME...``; no type label."""

    def _name(self) -> str:
        if self.metavar is not None:
            return str(self.metavar)
        name = (self.name or "arg").upper()
        return name + ("..." if self.nargs != 1 else "")

    def _rich_display_name(self) -> str:
        return self._name()

    def _usage_display_name(self) -> str:
        if self.metavar is not None:
            return str(self.metavar)
        name = (self.name or "arg").upper()
        name = name if self.required else f"[{name}]"
        return name + ("..." if self.nargs != 1 else "")

    def display_type_rich(self, ctx: Any) -> str | None:
        return ""


class _ReadableOption(TyperOption):
    """An option shown as ``--name METAVAR`` with a readable metavar (choices as ``[a|b|c]``)."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return _readable_type(self, ctx)


def _plain(cmd: Any) -> Any:
    """Plain-text help (no rich markup) and readable metavars on a command and every command below it."""
    if hasattr(cmd, "rich_markup_mode"):
        cmd.rich_markup_mode = None
    for param in getattr(cmd, "params", ()):
        if type(param) is TyperArgument:
            param.__class__ = _ReadableArgument
        elif type(param) is TyperOption:
            param.__class__ = _ReadableOption
    for sub in getattr(cmd, "commands", {}).values():
        _plain(sub)
    return cmd


class LazyGroup(TyperGroup):
    """The root group: imports a command's module only when that command is used.

    ``alvh --help`` lists :data:`COMMANDS` without importing them (their short help is stored here).
    """

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(COMMANDS[cmd_name][0])
        cmd = _plain(typer.main.get_command(module.app))
        cmd.name = cmd_name
        self.commands[cmd_name] = cmd
        return cmd

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = [(name, COMMANDS[name][1]) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)
        formatter.write_paragraph()
        formatter.write_text(f"Run 'alvh COMMAND -h' for a command's options. {_EXAMPLES}")

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except Exception as exc:
            from difflib import get_close_matches

            msg = getattr(exc, "message", None)
            if args and isinstance(msg, str) and "Did you mean" not in msg:
                close = get_close_matches(args[0], list(COMMANDS))
                if close:
                    exc.message = msg.rstrip(".") + ". Did you mean " + ", ".join(map(repr, close)) + "?"  # type: ignore[attr-defined]
            raise


app = typer.Typer(
    name="alvh",
    cls=LazyGroup,
    help="Measure what a layered VIX hedge (4/4/2 ALVH) costs an SPX iron condor.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings=CONTEXT_SETTINGS,
)

_state = {"debug": False}


def _version_callback(value: bool) -> None:
    if value:
        from alvh import __version__

        typer.echo(f"alvh {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback of an unexpected error."),
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    _state["debug"] = debug


def _printable(text: str) -> str:
    """``text`` with control characters (terminal escapes) shown as escapes, newlines kept."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c in "\n\t" else repr(c)[1:-1] for c in text)


def _say(line: str) -> None:
    """Write one message to stderr as plain text (never markup), surviving a closed stream."""
    try:
        sys.stderr.write(_printable(line).rstrip("\n") + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # stderr closed: nothing more can be said
        pass


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _context_for(args: Sequence[str]) -> Any:
    """A context of the deepest command named by ``args`` (for errors click raised without one)."""
    cmd = typer.main.get_command(app)
    ctx = typer.Context(cmd, info_name="alvh")
    for word in args:
        if word.startswith("-") or not hasattr(cmd, "get_command"):
            break
        sub = cmd.get_command(ctx, word)
        if sub is None:
            break
        cmd, ctx = sub, typer.Context(sub, info_name=word, parent=ctx)
    return ctx


def _usage_line(exc: Any, args: Sequence[str]) -> str:
    """``error: <what>; usage: alvh cmd [OPTIONS] ...; see 'alvh cmd -h'`` for a click usage error."""
    what = _one_line(exc.format_message()).rstrip(".")
    ctx = getattr(exc, "ctx", None)
    if ctx is None:
        try:
            ctx = _context_for([a for a in args if a != "--debug"])
        except Exception:  # noqa: BLE001 - the usage is a courtesy; the message itself is printed regardless
            return f"error: {what}"
    usage = _one_line(ctx.get_usage())
    if usage.lower().startswith("usage:"):
        usage = usage[len("usage:") :].strip()
    return f"error: {what}; usage: {usage}; see '{ctx.command_path} -h'"


def _is(exc: BaseException, name: str) -> bool:
    """Whether a class named ``name`` is in ``exc``'s MRO (click's classes, vendored by typer or not)."""
    return any(c.__name__ == name for c in type(exc).__mro__)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI on ``argv`` (default ``sys.argv[1:]``); returns the exit code, never raises.

    ``SystemExit`` raised by a command is passed on as its code.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args[: next((i for i, a in enumerate(args) if not a.startswith("-")), len(args))]
    try:
        cmd = typer.main.get_command(app)
        rv = cmd.main(args=args, prog_name="alvh", standalone_mode=False)
        return rv if isinstance(rv, int) else 0
    except SystemExit as exc:
        if isinstance(exc.__context__, BrokenPipeError):  # rich's Console exits 1 when its pipe closes
            return _pipe_closed()
        code = exc.code
        if code is None or isinstance(code, int):
            return code or 0
        _say(str(code))
        return 1
    except KeyboardInterrupt:
        _say("interrupted")
        return 130
    except BrokenPipeError:
        return _pipe_closed()
    except Exception as exc:  # noqa: BLE001 - the one place every error ends up; it must not crash
        return _report(exc, debug or _state["debug"], args)


def _pipe_closed() -> int:
    """The reader of stdout went away (``alvh data info | head -1``): no message, exit code 141 as a shell
    reports a process ended by SIGPIPE (128 + 13); stdout is pointed at /dev/null so that Python's final
    flush at exit cannot fail again (docs.python.org, signal: "Note on SIGPIPE")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real stdout (a test's capture): nothing to redirect
        pass
    return PIPE_CLOSED


#: An API argument a CLI option sets (alvh.errors.InputError.argument -> the option's spelling).
_OPTION_OF = {
    "start": "--start",
    "end": "--end",
    "n_paths": "--paths",
    "paths": "--paths",
    "n_days": "--days",
    "days": "--days",
    "seed": "--seed",
    "chunk_size": "--chunk-size",
}


def _option_spelling(exc: Exception, args: Sequence[str]) -> str:
    """``exc``'s message with "argument 'start'" spelled as the option the user typed ("option --start")."""
    text = str(exc)
    argument = getattr(exc, "argument", None)
    opt = _OPTION_OF.get(str(argument)) if isinstance(argument, str) else None
    if opt is None or not any(a == opt or a.startswith(opt + "=") for a in args):
        return text
    return text.replace(f"argument {argument!r}", f"option {opt}", 1)


def _report(exc: Exception, debug: bool, args: Sequence[str] = ()) -> int:
    """Print ``exc`` as one line and return its exit code (a traceback first with ``--debug``)."""
    from alvh.errors import AlvhError

    try:
        if _is(exc, "NoArgsIsHelpError"):  # ``alvh`` or ``alvh data`` alone: the help, as click does
            _say(exc.format_message())  # type: ignore[attr-defined]
            return 2
        if _is(exc, "UsageError"):
            _say(_usage_line(exc, args))
            return int(getattr(exc, "exit_code", 2))
        if _is(exc, "Abort"):
            _say("aborted")
            return 130
        if _is(exc, "ClickException"):
            _say(f"error: {_one_line(exc.format_message())}")  # type: ignore[attr-defined]
            return int(getattr(exc, "exit_code", 1))
        if isinstance(exc, AlvhError):
            if debug:
                import traceback

                traceback.print_exception(exc)
            _say(f"error: {_option_spelling(exc, args)}")
            code = getattr(exc, "exit_code", 2)
            return code if isinstance(code, int) and code > 0 else 2
        if debug:
            import traceback

            traceback.print_exception(exc)
        text = _one_line(str(exc))
        _say(
            f"error: {type(exc).__name__}"
            + (f": {text}" if text else "")
            + ("" if debug else " (run 'alvh --debug ...' for a traceback)")
        )
        return 1
    except Exception:  # noqa: BLE001 - printing the error failed: still one line, still exit 1
        _say(f"error: {type(exc).__name__} (and printing its message failed)")
        return 1


def main() -> None:
    """Console entry point (``alvh``)."""
    sys.exit(run())
