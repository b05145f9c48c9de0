"""``alvh simulate [--rules FILE] [--params FILE] [--scenario NAME] --paths N --days D --seed S --out DIR``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer


def simulate(
    paths: int = typer.Option(..., "--paths", metavar="N", min=1, help="Number of simulated paths."),
    days: int = typer.Option(..., "--days", metavar="D", min=2, help="Trading days per path (252 = a year)."),
    seed: int = typer.Option(..., "--seed", metavar="S", min=0, help="Seed of the random streams (>= 0)."),
    out: Path = typer.Option(
        ...,
        "--out",
        metavar="DIR",
        file_okay=False,
        help="Output folder (new or empty; see --overwrite): summary.json, run.json and Parquet tables.",
    ),
    rules: Path | None = typer.Option(
        None,
        "--rules",
        metavar="FILE",
        exists=True,
        dir_okay=False,
        readable=True,
        help="Rules file (TOML, see 'alvh rules init'); default: the shipped 4/4/2 rules.",
    ),
    params: Path | None = typer.Option(
        None,
        "--params",
        metavar="FILE",
        exists=True,
        dir_okay=False,
        readable=True,
        help="Model parameters (TOML, docs/simulation.md); default: the shipped fit.",
    ),
    scenario: str | None = typer.Option(
        None, "--scenario", metavar="NAME", help="A scenario preset of the model parameters, or a scenario TOML file."
    ),
    events: list[str] | None = typer.Option(
        None,
        "--events",
        metavar="KIND=FILE",
        help="Release dates of an event kind (cpi, ppi or fomc) from a CSV file (a 'date' or 'release_date' "
        "column), replacing the shipped calendar of that kind; repeatable. alvh ships no PPI dates: a PPI shock "
        "in --params fires only with --events ppi=FILE.",
    ),
    chunk_size: int = typer.Option(
        1000, "--chunk-size", metavar="C", min=1, help="Paths per chunk: bounds memory; results do not depend on it."
    ),
    workers: int = typer.Option(
        1, "--workers", metavar="W", min=1, help="Processes running chunks; results do not depend on it."
    ),
    threshold: list[float] | None = typer.Option(
        None,
        "--threshold",
        metavar="BP",
        help="Hedge cost (bp of the initial capital per month) whose exceedance probability is reported; "
        "repeatable. Default: 0 10 18 35 50 100.",
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output folder."),
    core_in_book: bool = typer.Option(
        False,
        "--core-in-book",
        help="Measure what the hedge bought against the core's P&L inside the hedged book (not a book anyone "
        "could hold) instead of the core alone run as its own book: saves its core-only engine pass (about a "
        "third of the engine's time; docs/simulation.md).",
    ),
) -> None:
    """Simulate paths, run the rules on each, report the hedge's cost and protection.

    Market paths from the simulation model; the hedge's cost and what it bought as distributions over paths.

    Runs the paths in chunks (--chunk-size) in one process or several (--workers); the results are the
    same whatever the chunking (docs/simulation.md, "Running simulations"). Every bp is of the initial
    capital (fixed).

    Examples:

    \b
      alvh simulate --paths 1000 --days 252 --seed 1 --out sim/
      alvh simulate --rules rules.toml --paths 10000 --days 252 --seed 7 --workers 2 --out sim10k/
    """
    from rich.console import Console

    from alvh.config import default_rules, default_rules_text, load_rules
    from alvh.montecarlo import PathModel
    from alvh.montecarlo import simulate as run_simulation
    from alvh.montecarlo.chunk import check_run
    from alvh.montecarlo.outputs import OUTPUTS, write_outputs
    from alvh.montecarlo.summary import DEFAULT_THRESHOLDS
    from alvh.report.outputs import OutputFolder
    from alvh.report.progress import Steps
    from alvh.simulate import SimParams
    from alvh.simulate.model import get_scenario

    r = load_rules(rules) if rules is not None else default_rules()
    sim = SimParams.from_toml(params) if params is not None else None
    scen = get_scenario(scenario, sim if sim is not None else SimParams.default()) if scenario is not None else None
    model = PathModel(params=sim, scenario=scen, events=PathModel.event_pairs(_event_files(events or [])))
    check_run(model, r, seed, paths, days, chunk_size)  # every argument checked before anything is written
    thresholds = tuple(threshold) if threshold else DEFAULT_THRESHOLDS
    for note in r.notes:
        typer.echo(f"note: {note}")
    ppi = model.sim_params.events.get("ppi")
    if ppi is not None and (ppi.mean != 0.0 or ppi.sd != 0.0) and "ppi" not in dict(model.events):
        # a fitted shock with no dates to fire on (alvh ships no PPI calendar): say so
        typer.echo(
            "note: the parameters carry a PPI shock but alvh ships no PPI dates: "
            "it never fires without --events ppi=FILE"
        )
    from alvh._kernel_cache import first_run_note

    if (cold := first_run_note()) is not None:  # the first run compiles numba's kernels: say why it is slow
        typer.echo(cold, err=True)
    folder = OutputFolder.prepare(out, overwrite=overwrite)
    n_chunks = -(-paths // chunk_size)
    with folder:
        with Steps("simulating", total=n_chunks) as step:
            step(f"chunk 1 of {n_chunks}")
            res = run_simulation(
                r,
                model,
                n_paths=paths,
                n_days=days,
                seed=seed,
                chunk_size=chunk_size,
                workers=workers,
                folder=folder.staging,
                thresholds=thresholds,
                progress=lambda done, total: step(f"chunk {min(done + 1, total)} of {total}"),
                core_alone=not core_in_book,
            )
        names = write_outputs(folder, res)
        rules_text = rules.read_text(encoding="utf-8") if rules is not None else default_rules_text()
        folder.write_text("rules.toml", rules_text)
        _write_report(folder, res, rules_text)
        names += ["report_data.json", "report.html"]
        if params is not None:
            folder.copy_in(params, "params.toml")
        meta = res.metadata
        final = folder.commit(
            command="simulate",
            config_hash=meta["config_hash"],
            params_hash=meta["model"]["params_hash"],
            seed=seed,
            n_paths=paths,
            n_days=days,
        )
    width = None if sys.stdout.isatty() else 132
    Console(markup=False, highlight=False, width=width).print(res.summary())
    written = [n for n in (*OUTPUTS, "report_data.json", "report.html") if n in names] + ["rules.toml"]
    written += ["params.toml"] if params else []
    typer.echo("wrote " + ", ".join(f"{final}/{n}" for n in written + ["manifest.json"]))


def _write_report(folder: Any, res: Any, rules_text: str) -> None:
    """report.html and report_data.json of the run (alvh.report.simulation_report), with a progress bar."""
    import pandas as pd

    from alvh.report.files import write_report
    from alvh.report.progress import Steps
    from alvh.report.simulation_report import simulation_report

    with Steps("building report", total=3) as steps:
        steps("charts")
        monthly = pd.read_parquet(folder.path("monthly_cost.parquet"))
        write_report(folder, simulation_report(res, res.to_frame(), monthly, rules_text=rules_text), steps)


#: ``alvh simulate`` as a one-command app (the root loads it lazily: alvh.cli.COMMANDS).
app = typer.Typer(name="simulate", add_completion=False)
app.command("simulate")(simulate)


def _event_files(specs: list[str]) -> dict[str, object]:
    """``--events KIND=FILE`` values -> {kind: dates}, each file read strictly (alvh.data.importers.read_events)."""
    from alvh.data.importers import read_events
    from alvh.errors import InputError
    from alvh.simulate.params import EVENT_KINDS

    out: dict[str, object] = {}
    for spec in specs:
        kind, sep, path = spec.partition("=")
        if not sep or kind not in EVENT_KINDS or not path:
            raise InputError(f"{spec!r}", argument="--events", expected=f"KIND=FILE with KIND among {EVENT_KINDS}")
        if kind in out:
            raise InputError(f"{kind!r} given twice", argument="--events", expected="each kind once")
        out[kind] = read_events(path, kind).dates
    return out
