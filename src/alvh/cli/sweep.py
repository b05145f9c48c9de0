"""``alvh sweep --rules BASE.toml --grid GRID.toml [--start DATE --end DATE] --out DIR``."""

from __future__ import annotations

from pathlib import Path

import typer

from alvh.cli.backtest import _date


def sweep(
    grid: Path = typer.Option(
        ...,
        "--grid",
        metavar="FILE",
        exists=True,
        dir_okay=False,
        readable=True,
        help="Grid file (TOML, docs/sweep.md).",
    ),
    rules: Path | None = typer.Option(
        None,
        "--rules",
        metavar="FILE",
        exists=True,
        dir_okay=False,
        readable=True,
        help="Base rules file (TOML); default: the shipped 4/4/2 rules.",
    ),
    start: str | None = typer.Option(None, "--start", metavar="DATE", callback=_date, help="First day (YYYY-MM-DD)."),
    end: str | None = typer.Option(None, "--end", metavar="DATE", callback=_date, help="Last day (YYYY-MM-DD)."),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", metavar="DIR", file_okay=False, help="Data store folder; default: as 'alvh backtest'."
    ),
    out: Path = typer.Option(
        ..., "--out", metavar="DIR", file_okay=False, help="Output folder (written when complete; cache in DIR.cache)."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an earlier run's --out folder."),
    scheduler: str | None = typer.Option(
        None,
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler (tcp://host:8786; or $ALVH_SCHEDULER); default: local processes.",
    ),
    workers: int = typer.Option(2, "--workers", min=1, help="Local processes (1: in this process)."),
    chunk: int = typer.Option(100, "--chunk", min=1, help="Variants per engine call (memory: ~35 MB each)."),
    train_months: int = typer.Option(60, "--train-months", min=12, help="Walk-forward training window, months."),
    test_months: int = typer.Option(12, "--test-months", min=1, help="Walk-forward test window, months."),
    criterion: str = typer.Option("es95", "--criterion", help="Walk-forward choice: es95 or mean (docs/sweep.md)."),
    yes: bool = typer.Option(False, "--yes", help="Run a grid larger than its max_variants."),
) -> None:
    """Run every variant of a grid of rules keys, score the hedge, write the frontier.

    Writes variants.parquet (one row per variant), monthly.parquet, frontier.csv, walk_forward.csv,
    summary.json into --out when complete; a killed sweep resumes from DIR.cache beside it.

    Examples:

    \b
      alvh sweep --grid splits.toml --data-dir ~/alvh-data --start 2006-01-03 --out sweep/
      alvh sweep --grid splits.toml --scheduler tcp://10.0.0.5:8786 --data-dir /shared/alvh-data --out sweep/
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from alvh.config import default_rules, load_rules
    from alvh.data.source import resolve_data_source, resolve_span
    from alvh.errors import ConfigError
    from alvh.sweep.batch import DataRef
    from alvh.sweep.grid import expand, load_grid
    from alvh.sweep.runner import connect, resolve_scheduler
    from alvh.sweep.study import OUTPUTS
    from alvh.sweep.study import sweep as run
    from alvh.sweep.walk import CRITERIA

    if criterion not in CRITERIA:
        raise ConfigError(f"{criterion!r}", key="--criterion", expected=f"one of {sorted(CRITERIA)}")
    base = load_rules(rules) if rules is not None else default_rules()
    g = load_grid(grid, base)
    variants = expand(g, base, allow_many=yes)
    address = resolve_scheduler(scheduler)
    if address:
        connect(address).close()  # an unreachable scheduler is refused before the data loads
    from alvh.report.outputs import OutputFolder

    folder = OutputFolder.prepare(out, overwrite=overwrite)  # a bad or occupied --out fails here, before any work
    with folder:  # an error from here on removes the staging folder
        src = resolve_data_source(data_dir)
        md = src.load()
        first, last, how = resolve_span(md, base, start, end)
        typer.echo(f"data: {src.description}; {how}")
        typer.echo(f"grid: {len(variants)} variants ({g.source})")
        ref = DataRef(str(src.folder.resolve()) if src.folder else None, str(first.date()), str(last.date()))
        err = Console(stderr=True, markup=False, highlight=False)
        cols = (TextColumn("variants"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        cache = folder.out.parent / f"{folder.out.name}.cache"  # outside --out: it survives a killed run
        with Progress(*cols, console=err, transient=False) as bar:
            task = bar.add_task("sweep", total=len(variants))
            res = run(
                variants,
                base,
                ref,
                cache,
                scheduler=address,
                workers=workers,
                chunk=chunk,
                train_months=train_months,
                test_months=test_months,
                criterion=criterion,
                progress=lambda done, total: bar.update(task, completed=done),
            )
        res.write(folder.staging)
        final = folder.commit(command="sweep")
    Console(markup=False, highlight=False, width=132).print(res.summary())
    typer.echo(f"wrote {final}: " + ", ".join(OUTPUTS) + f" (cache: {cache})")


#: ``alvh sweep`` as a one-command app (the root loads it lazily: alvh.cli.COMMANDS).
app = typer.Typer(name="sweep", add_completion=False)
app.command("sweep")(sweep)
