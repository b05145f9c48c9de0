"""One chunk of a simulated run: paths -> engine -> per-path analysis, as a pure function.

:func:`run_chunk` depends only on its arguments (the path model, the rules, the seed, the chunk's index
and size, the run's size): no global state, no file read, nothing shared between chunks, so chunks can
run in any order, in other processes or on other machines, and :func:`alvh.montecarlo.combine` joins
them into the same result. Path ``i``'s numbers do not depend on the chunk size
(:mod:`alvh.montecarlo.streams` for the random streams; the engine and the analysis with the "numba"
backend never mix paths).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from alvh.analytics.paths_summary import path_analysis
from alvh.config import Rules
from alvh.engine import run_engine
from alvh.engine.prepare import prepare
from alvh.engine.simulate import standalone_core_possible
from alvh.errors import ConfigError, InputError
from alvh.montecarlo.streams import PATH_BLOCK, PathModel, chunk_paths

#: Largest run accepted (paths x days): beyond it the per-path tables alone would not fit a laptop.
MAX_CELLS = 10**10


@dataclass(frozen=True)
class ChunkResult:
    """The per-path figures of paths ``first .. first + n_paths - 1`` (one chunk).

    ``columns`` (n_paths,) per figure (:func:`alvh.analytics.paths_summary.column_names`);
    ``monthly_bp`` (n_paths, n_months, n_layers + 1); ``cumulative_bp`` (n_paths, n_days);
    ``book_monthly_pct`` (n_paths, n_months, 2): the monthly returns of the core alone and core + layers, % of
    the initial capital (for the run's pooled expected shortfall); ``events``:
    the engine's day events (counts of paths, from its event log: they add up over chunks; the calendar's
    events, the same in every chunk, are in ``metadata["calendar_events"]``); ``seconds``: wall time of
    path generation, engine and analysis, and the process's CPU time of each (``*_cpu``; not results).
    """

    chunk_index: int
    first: int
    layers: tuple[str, ...]
    instruments: dict[str, str]
    dates: pd.DatetimeIndex
    months: pd.PeriodIndex
    month_days: np.ndarray
    capital: float
    columns: dict[str, np.ndarray]
    monthly_bp: np.ndarray
    cumulative_bp: np.ndarray
    events: dict[str, int]
    metadata: dict[str, object]
    book_monthly_pct: np.ndarray
    seconds: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def n_paths(self) -> int:
        return int(self.cumulative_bp.shape[0])


def _positive_int(value: object, argument: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError(f"{value!r}", argument=argument, expected=f"an integer >= {minimum}")
    return int(value)


def check_run(
    model: PathModel, rules: Rules, seed: object, n_paths: object, n_days: object, chunk_size: object
) -> tuple[int, int, int, int]:
    """Every check of a run's arguments, before anything runs; returns (seed, n_paths, n_days, chunk_size)."""
    s = _positive_int(seed, "seed", 0)
    p = _positive_int(n_paths, "paths")
    d = _positive_int(n_days, "days", 2)
    c = _positive_int(chunk_size, "chunk_size")
    if p * d > MAX_CELLS:
        raise InputError(f"{p} paths x {d} days", argument="paths", expected=f"at most {MAX_CELLS:.0e} path-days")
    if not rules.layers:
        raise ConfigError(
            "the rules hold no hedge layer: there is no hedge to cost",
            key="layers",
            expected="at least one hedge layer",
        )
    model.check(d)
    # the engine's checks of the rules against the market (DTE buckets the listed contracts fill, a
    # rebalance window within the run, ...) on one throwaway path, before any chunk runs
    prepare(rules, model.generate(1, d, np.random.Generator(np.random.PCG64(0))))
    return s, p, d, c


def chunk_bounds(chunk_index: int, chunk_size: int, n_paths: int) -> tuple[int, int]:
    """First and one-past-last path of chunk ``chunk_index``."""
    first = chunk_index * chunk_size
    if not 0 <= first < n_paths:
        raise InputError(f"chunk {chunk_index}", argument="chunk_index", expected=f"0..{-(-n_paths // chunk_size) - 1}")
    return first, min(n_paths, first + chunk_size)


def run_chunk(
    model: PathModel,
    rules: Rules,
    seed: int,
    chunk_index: int,
    chunk_size: int,
    n_paths: int,
    n_days: int,
    *,
    backend: str = "numba",
    core_alone: bool = True,
) -> ChunkResult:
    """Paths -> engine -> per-path analysis for the chunk ``chunk_index`` of a run (module docstring).

    Parameters
    ----------
    model : PathModel
        The path generator and its parameters/scenario.
    rules : alvh.config.Rules
    seed : int
        The run's seed (>= 0): path ``i`` uses the stream of its block (:mod:`alvh.montecarlo.streams`).
    chunk_index, chunk_size, n_paths, n_days : int
        This chunk holds paths ``chunk_index * chunk_size`` up to the run's ``n_paths``.
    backend : str
        Engine and analysis backend; "numba" (default) is bit-identical across chunk sizes.
    core_alone : bool
        Run each path's core alone as its own book in the same engine call (default: a core-only pass,
        about 0.4-0.5 of the hedged book's engine time, docs/simulation.md "What the hedge bought") and
        measure what the hedge bought
        against it; False (or a constant-maturity mix): against the core's P&L inside the hedged book.
        ``metadata["core_book"]`` says which (:data:`alvh.analytics.hedge_cost.CORE_BOOKS`).
    """
    s, p, d, c = check_run(model, rules, seed, n_paths, n_days, chunk_size)
    return compute_chunk(
        model, rules, s, _positive_int(chunk_index, "chunk_index", 0), c, p, d, backend=backend, core_alone=core_alone
    )


def compute_chunk(
    model: PathModel,
    rules: Rules,
    seed: int,
    chunk_index: int,
    chunk_size: int,
    n_paths: int,
    n_days: int,
    *,
    backend: str = "numba",
    core_alone: bool = True,
) -> ChunkResult:
    """:func:`run_chunk` without the checks of :func:`check_run`, for a runner that ran them once for the whole
    run (the same arguments for every chunk): the checks generate and prepare a throwaway path, about 0.1 s,
    which on every 1,000-path chunk was 7% of a run."""
    s, p, d, c = seed, n_paths, n_days, chunk_size
    first, last = chunk_bounds(chunk_index, c, p)
    t0, c0 = time.perf_counter(), time.process_time()
    paths = chunk_paths(model, s, first, last, d)
    t1, c1 = time.perf_counter(), time.process_time()
    standalone = core_alone and standalone_core_possible(rules)
    result = run_engine(rules, paths, seed=s, backend=backend, core_alone=standalone)
    t2, c2 = time.perf_counter(), time.process_time()
    vix = np.asarray(paths.vix_close)
    sens = paths.sensitivity
    if not callable(sens):
        raise InputError("a per-day dF/dVIX estimate", argument="paths.sensitivity", expected="a model dF/dVIX")
    # the event log holds the day events (counts of paths: they add up over chunks); the rest of
    # result.events are the calendar's (the same in every chunk, e.g. days a DTE bucket is unfilled)
    log = result.event_log
    events = {str(k): int(v) for k, v in log.groupby("event")["count"].sum().items()} if len(log) else {}
    calendar = {k: int(v) - events.get(k, 0) for k, v in result.events.items() if int(v) != events.get(k, 0)}
    meta = {k: result.metadata.get(k) for k in ("config_hash", "alvh_version", "provenance", "layer_targets")}
    del paths
    pa = path_analysis(result, vix=vix, sensitivity=sens, backend=backend)
    t3, c3 = time.perf_counter(), time.process_time()
    return ChunkResult(
        chunk_index=int(chunk_index),
        first=first,
        layers=pa.layers,
        instruments=pa.instruments,
        dates=pa.dates,
        months=pa.months,
        month_days=pa.month_days,
        capital=pa.capital,
        columns=pa.columns,
        monthly_bp=pa.monthly_bp,
        cumulative_bp=pa.cumulative_bp,
        book_monthly_pct=pa.book_monthly_pct,
        events=events,
        metadata={
            **meta,
            "calendar_events": calendar,
            "path_block": PATH_BLOCK,
            "backend": backend,
            "core_book": "standalone" if standalone else "inside",
        },
        seconds={
            "paths": t1 - t0,
            "engine": t2 - t1,
            "analysis": t3 - t2,
            # CPU seconds of the process (all its threads): on a shared machine wall time also counts waiting
            "paths_cpu": c1 - c0,
            "engine_cpu": c2 - c1,
            "analysis_cpu": c3 - c2,
        },
    )
