"""``alvh rules init [PATH]`` and ``alvh rules check FILE``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from alvh.config import config_hash, default_rules_text, load_rules
from alvh.errors import InputError

app = typer.Typer(
    name="rules",
    help="Write and check rules files (TOML).\n\n"
    "Example:\n\n\b\n  alvh rules init my_rules.toml\n  alvh rules check my_rules.toml",
    no_args_is_help=True,
    add_completion=False,
)
rules_app = app  # the name used before the CLI loaded groups lazily


@rules_app.command("init")
def init(
    path: Path = typer.Argument(
        Path("rules.toml"), metavar="[PATH]", dir_okay=False, help="Where to write the default rules."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Write the default rules file (the 4/4/2 ALVH over a CNDR-style core), every key commented.

    Example:

    \b
      alvh rules init my_rules.toml
    """
    if path.exists() and not force:
        raise InputError(f"{path} exists", argument="PATH", expected="a new file name, or --force")
    path.write_text(default_rules_text(), encoding="utf-8")
    Console(markup=False, highlight=False).print(f"wrote {path}")


@rules_app.command("check")
def check(
    file: Path = typer.Argument(
        ..., metavar="FILE", exists=True, dir_okay=False, readable=True, help="Rules file to validate."
    ),
) -> None:
    """Validate a rules file; print the layers and the config hash, or one error naming the key.

    Example:

    \b
      alvh rules check my_rules.toml
    """
    rules = load_rules(file)
    out = Console(markup=False, highlight=False)  # the path is printed verbatim
    core = "off" if not rules.core.enabled else f"{rules.core.entry}, {rules.core.strike_mode}"
    out.print(
        f"{file}: ok  core: {core}  layers: "
        + (
            ", ".join(f"{la.name} {la.weight:.1%} {la.min_dte}-{la.max_dte}d {la.instrument}" for la in rules.layers)
            or "none"
        )
    )
    for note in rules.notes:
        out.print(f"note: {note}")
    out.print(f"config hash {config_hash(rules)}")


def register(app: typer.Typer) -> None:
    """Attach the ``rules`` group to the root app."""
    app.add_typer(rules_app, name="rules")
