"""``alvh sweep --rules BASE.toml --grid GRID.toml [--start DATE --end DATE | --scenario S --paths N] --out DIR``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
    chunk: int | None = typer.Option(
        None,
        "--chunk",
        min=1,
        help="Variants per engine call; default: split evenly over the workers within a memory bound "
        "(docs/sweep.md, 'Chunks').",
    ),
    train_months: int = typer.Option(60, "--train-months", min=12, help="Walk-forward training window, months."),
    test_months: int = typer.Option(12, "--test-months", min=1, help="Walk-forward test window, months."),
    criterion: str = typer.Option("es95", "--criterion", help="Walk-forward choice: es95 or mean (docs/sweep.md)."),
    yes: bool = typer.Option(False, "--yes", help="Run a grid larger than its max_variants."),
    paths: int | None = typer.Option(
        None, "--paths", metavar="N", min=1, help="Monte Carlo: simulated paths per variant (instead of the history)."
    ),
    scenario: str | None = typer.Option(
        None, "--scenario", metavar="NAME", help="Monte Carlo: a scenario preset of the model, or a scenario TOML file."
    ),
    days: int = typer.Option(252, "--days", metavar="D", min=2, help="Monte Carlo: trading days per path."),
    seed: int = typer.Option(0, "--seed", metavar="S", min=0, help="Monte Carlo: seed of the random streams."),
    params: Path | None = typer.Option(
        None,
        "--params",
        metavar="FILE",
        exists=True,
        dir_okay=False,
        readable=True,
        help="Monte Carlo: model parameters (TOML); default: the shipped fit.",
    ),
) -> None:
    """Run every variant of a grid of rules keys, score the hedge, write the frontier.

    Writes variants.parquet (one row per variant), monthly.parquet, frontier.parquet/.csv,
    walk_forward.parquet/.csv, summary.json and report.html into --out when complete; a killed sweep
    resumes from DIR.cache beside it. With --paths (and optionally --scenario) every variant runs on the
    same simulated paths instead of the history (paths.parquet instead of monthly.parquet; no walk-forward).

    Examples:

    \b
      alvh sweep --grid splits.toml --data-dir ~/alvh-data --start 2006-01-03 --out sweep/
      alvh sweep --grid splits.toml --scheduler tcp://10.0.0.5:8786 --data-dir /shared/alvh-data --out sweep/
      alvh sweep --grid splits.toml --scenario covid_2020 --paths 1000 --days 126 --seed 7 --out sweep_covid/
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from alvh.config import default_rules, load_rules
    from alvh.data.source import resolve_data_source, resolve_span
    from alvh.errors import ConfigError
    from alvh.report.outputs import OutputFolder
    from alvh.sweep.batch import DataRef
    from alvh.sweep.grid import expand, load_grid
    from alvh.sweep.runner import connect, resolve_scheduler
    from alvh.sweep.study import mc_sweep
    from alvh.sweep.study import sweep as run
    from alvh.sweep.walk import CRITERIA

    if criterion not in CRITERIA:
        raise ConfigError(f"{criterion!r}", key="--criterion", expected=f"one of {sorted(CRITERIA)}")
    _check_mode(paths is not None, history=(start, end, data_dir), simulated=(scenario, params))
    base = load_rules(rules) if rules is not None else default_rules()
    variants = expand(g := load_grid(grid, base), base, allow_many=yes)
    sim = _sim_ref(base, variants, params, scenario, seed, paths, days) if paths is not None else None
    address = resolve_scheduler(scheduler)
    if address:
        connect(address).close()  # an unreachable scheduler is refused before the data loads
    folder = OutputFolder.prepare(out, overwrite=overwrite)  # a bad or occupied --out fails here, before any work
    with folder:  # an error from here on removes the staging folder
        if sim is None:
            src = resolve_data_source(data_dir)
            md = src.load()
            first, last, how = resolve_span(md, base, start, end)
            typer.echo(f"data: {src.description}; {how}")
            ref = DataRef(str(src.folder.resolve()) if src.folder else None, str(first.date()), str(last.date()))
        else:
            typer.echo(f"data: {paths} simulated paths x {days} days, {sim.scenario_name()}, seed {seed}")
        typer.echo(f"grid: {len(variants)} variants ({g.source})")
        cols = (TextColumn("variants"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        cache = folder.out.parent / f"{folder.out.name}.cache"  # outside --out: it survives a killed run
        with Progress(*cols, console=Console(stderr=True, markup=False, highlight=False), transient=False) as bar:
            task = bar.add_task("sweep", total=len(variants))

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done)

            common: dict[str, Any] = {"scheduler": address, "workers": workers, "chunk": chunk, "progress": progress}
            if sim is None:
                walk: dict[str, Any] = {
                    "train_months": train_months,
                    "test_months": test_months,
                    "criterion": criterion,
                }
                res = run(variants, base, ref, cache, **common, **walk)
            else:
                res = mc_sweep(variants, base, sim, cache, **common)
        _write(folder, res, rules, grid)
        final = folder.commit(command="sweep", kind=res.metadata.get("kind"))
    Console(markup=False, highlight=False, width=132).print(res.summary())
    names = [*res.outputs(), "report.html", "report_data.json", "rules.toml", "grid.toml"]
    typer.echo(f"wrote {final}: " + ", ".join(names) + f" (cache: {cache})")


def _check_mode(monte_carlo: bool, *, history: tuple[object, ...], simulated: tuple[object, ...]) -> None:
    """A history's options and simulated paths' options are not mixed."""
    from alvh.errors import ConfigError

    if not monte_carlo and any(x is not None for x in simulated):
        raise ConfigError(
            "--scenario/--params without --paths", key="--paths", expected="--paths N for a Monte Carlo sweep"
        )
    if monte_carlo and any(x is not None for x in history):
        raise ConfigError(
            "--start/--end/--data-dir with --paths",
            key="--paths",
            expected="either a history (--start/--end/--data-dir) or simulated paths (--paths/--scenario)",
        )


def _write(folder, res, rules: Path | None, grid: Path) -> None:  # noqa: ANN001 - OutputFolder, SweepResult
    """The sweep's tables, its rules and grid files and its report (report.html, report_data.json)."""
    from alvh.config import default_rules_text
    from alvh.report.files import write_report
    from alvh.report.sweep_report import sweep_report

    res.write(folder.staging)
    rules_text = rules.read_text(encoding="utf-8") if rules is not None else default_rules_text()
    folder.write_text("rules.toml", rules_text)
    folder.copy_in(grid, "grid.toml")
    grid_text = grid.read_text(encoding="utf-8")
    write_report(folder, sweep_report(res, rules_text=rules_text, grid_text=grid_text, command=_command()))


def _command() -> str:
    """The command line that ran (the report's reproduction block)."""
    import shlex
    import sys

    return "alvh " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def _sim_ref(base, variants, params, scenario, seed, n_paths, n_days):  # noqa: ANN001, ANN202, PLR0913
    """The Monte Carlo sweep's path model and size, every check done before anything runs (the model's and the
    engine's, on one throwaway path, for the base rules and the first variant of each kind)."""
    from alvh.montecarlo import PATH_BLOCK, PathModel
    from alvh.montecarlo.chunk import check_run
    from alvh.simulate import SimParams
    from alvh.simulate.model import get_scenario
    from alvh.strategy.axis import kind_key
    from alvh.sweep.mc import SimRef

    sp = SimParams.from_toml(params) if params is not None else None
    scen = get_scenario(scenario, sp if sp is not None else SimParams.default()) if scenario is not None else None
    model = PathModel(params=sp, scenario=scen)
    kinds = {kind_key(v.rules): v.rules for v in variants}
    for r in [base, *kinds.values()]:
        check_run(model, r, seed, n_paths, n_days, min(n_paths, PATH_BLOCK))
    return SimRef(model, seed, n_paths, n_days, path_chunk=min(n_paths, PATH_BLOCK))


#: ``alvh sweep`` as a one-command app (the root loads it lazily: alvh.cli.COMMANDS).
app = typer.Typer(name="sweep", add_completion=False)
app.command("sweep")(sweep)
