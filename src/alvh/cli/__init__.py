"""The ``alvh`` command line: thin wrappers that parse, call the library and print.

Each command group lives in its own module and registers a ``typer.Typer``
here. Errors that alvh raises on purpose (:class:`alvh.errors.AlvhError`) are
printed as one line on stderr with exit code 2; a traceback only with
``--debug``.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from alvh import __version__
from alvh.errors import AlvhError

app = typer.Typer(
    name="alvh",
    help="Measure what a layered VIX hedge (4/4/2 ALVH) costs an SPX iron condor.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_state = {"debug": False}


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"alvh {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
    version: bool = typer.Option(False, "--version", callback=_version_callback, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    _state["debug"] = debug


def _register() -> None:
    """Attach the command groups; each module owns one group."""
    from alvh.cli import backtest, market, rules
    from alvh.cli import data as data_cli

    app.add_typer(data_cli.app, name="data")
    for module in (market, rules, backtest):
        module.register(app)


def main() -> None:
    """Console entry point."""
    _register()
    err = Console(stderr=True)
    try:
        # standalone_mode=False returns typer.Exit's code instead of exiting: pass it on.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except AlvhError as exc:
        if _state["debug"]:
            raise
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except (typer.Exit, SystemExit) as exc:
        code = getattr(exc, "exit_code", getattr(exc, "code", 0))
        sys.exit(code or 0)
    except Exception as exc:  # noqa: BLE001 - last-resort message, traceback with --debug
        import click

        if isinstance(exc, click.exceptions.Abort):
            sys.exit(130)
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if _state["debug"]:
            raise
        err.print(f"[bold red]error:[/] {type(exc).__name__}: {exc} (run with --debug for a traceback)",
                  highlight=False, soft_wrap=True)
        sys.exit(1)
