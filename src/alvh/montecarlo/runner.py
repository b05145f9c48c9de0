"""Run a simulation in chunks, locally (one process or a pool), and combine the chunks into one result.

:func:`simulate` checks every argument once, then runs each chunk's computation
(:func:`~alvh.montecarlo.chunk.compute_chunk`: :func:`~alvh.montecarlo.chunk.run_chunk` without repeating the
checks), in this process or in ``workers`` processes through :class:`concurrent.futures.ProcessPoolExecutor`,
hands the chunks in path order to a sink (memory, or the run's Parquet tables when an output folder is
given) and reduces them (:func:`alvh.montecarlo.summary.summarize`). :func:`combine` does the last two
steps for chunks computed anywhere else (e.g. distributed by Dask): the same numbers.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from alvh._version import __version__
from alvh.config import Rules, config_hash
from alvh.errors import InputError
from alvh.montecarlo._heap import keep_freed_memory, reuse_freed_memory
from alvh.montecarlo.chunk import ChunkResult, check_run, compute_chunk
from alvh.montecarlo.result import SimulationResult
from alvh.montecarlo.streams import PATH_BLOCK, PathModel
from alvh.montecarlo.summary import DEFAULT_THRESHOLDS, Tables, summarize
from alvh.montecarlo.tables import MemoryTables, ParquetSink, check_chunks

#: Default paths per chunk (a multiple of PATH_BLOCK; about 0.6 GB of working memory with the default rules).
DEFAULT_CHUNK = 1000


def _metadata(model: PathModel, rules: Rules, seed: int, n_paths: int, first: ChunkResult, events: dict) -> dict:
    meta = first.metadata
    return {
        "config_hash": config_hash(rules),
        "model": model.describe(),
        "seed": seed,
        "n_paths": n_paths,
        "n_days": len(first.dates),
        "start": str(first.dates[0].date()),
        "end": str(first.dates[-1].date()),
        "n_months": len(first.months),
        "capital": first.capital,
        "capital_basis": f"initial capital (fixed), ${first.capital:,.0f}: every bp is of it",
        "layers": list(first.layers),
        "instruments": dict(first.instruments),
        "path_block": meta.get("path_block", PATH_BLOCK),
        "backend": meta.get("backend"),
        "random_streams": f"numpy PCG64, SeedSequence({seed}, spawn_key=(block,)) per block of "
        f"{meta.get('path_block', PATH_BLOCK)} paths",
        "alvh_version": __version__,
        "provenance": meta.get("provenance"),
        "layer_targets": meta.get("layer_targets"),
        "events": events,
        "calendar_events": meta.get("calendar_events"),
        "core_book": meta.get("core_book", "inside"),
    }


def _result(
    tables: Tables,
    model: PathModel,
    rules: Rules,
    seed: int,
    first: ChunkResult,
    events: dict,
    thresholds: Sequence[float],
) -> SimulationResult:
    summary, frames = summarize(tables, thresholds, core_book=str(first.metadata.get("core_book", "inside")))
    summary = {"metadata": _metadata(model, rules, seed, tables.n_paths, first, events), **summary}
    per_path = getattr(tables, "frame", None)
    return SimulationResult(
        summary_data=summary,
        bands=frames["bands"],
        monthly=frames["monthly"],
        exceedance=frames["exceedance"],
        per_path=per_path,
    )


def _events(chunks: Sequence[ChunkResult]) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in chunks:
        for k, v in c.events.items():
            out[k] = out.get(k, 0) + v
    return dict(sorted(out.items()))


def combine(
    chunks: Sequence[ChunkResult],
    model: PathModel,
    rules: Rules,
    seed: int,
    *,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
) -> SimulationResult:
    """One result from every chunk of a run (any order; computed in any process or machine)."""
    ordered = check_chunks(chunks)
    tables = MemoryTables(ordered)

    def frame():  # noqa: ANN202
        import pandas as pd

        return pd.DataFrame(
            {"path": range(tables.n_paths), **{k: tables.column(k) for k in ordered[0].columns}}
        ).set_index("path")

    res = _result(tables, model, rules, seed, ordered[0], _events(ordered), thresholds)
    return SimulationResult(res.summary_data, res.bands, res.monthly, res.exceedance, per_path=frame)


def _init_worker() -> None:
    # a worker process only runs chunks: it keeps the memory each frees for the next (alvh.montecarlo._heap)
    keep_freed_memory()
    # one numba thread per worker process: the processes are the parallelism (no oversubscription)
    os.environ["NUMBA_NUM_THREADS"] = "1"
    try:
        import numba

        numba.set_num_threads(1)
    except (ImportError, ValueError):  # pragma: no cover - numba is a dependency
        pass


@dataclass(frozen=True)
class _Job:
    """The arguments every chunk of a run shares (picklable: sent to the worker processes)."""

    model: PathModel
    rules: Rules
    seed: int
    chunk_size: int
    n_paths: int
    n_days: int
    backend: str
    core_alone: bool = True


def _run(job: _Job, chunk_index: int) -> ChunkResult:
    # simulate() ran check_run on these arguments once before any chunk: not again per chunk
    return compute_chunk(
        job.model,
        job.rules,
        job.seed,
        chunk_index,
        job.chunk_size,
        job.n_paths,
        job.n_days,
        backend=job.backend,
        core_alone=job.core_alone,
    )


def _chunks(job: _Job, n_chunks: int, workers: int) -> Iterator[ChunkResult]:
    """The chunks in path order, computed here (workers 1) or by a process pool (at most 2 per worker
    queued or waiting, so finished-but-unwritten chunks stay few)."""
    if workers == 1:
        for i in range(n_chunks):
            yield _run(job, i)
        return
    # "spawn": a forked child of a process that already ran numba's OpenMP threads would abort
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker) as pool:
        pending: dict[Future[ChunkResult], int] = {}
        done: dict[int, ChunkResult] = {}
        nxt = submitted = 0
        while nxt < n_chunks:
            while submitted < n_chunks and len(pending) + len(done) < 2 * workers:
                pending[pool.submit(_run, job, submitted)] = submitted
                submitted += 1
            finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for fut in finished:
                done[pending.pop(fut)] = fut.result()
            while nxt in done:
                yield done.pop(nxt)
                nxt += 1


def simulate(
    rules: Rules,
    model: PathModel | None = None,
    *,
    n_paths: int,
    n_days: int,
    seed: int,
    chunk_size: int = DEFAULT_CHUNK,
    workers: int = 1,
    folder: Path | None = None,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    backend: str = "numba",
    progress: Callable[[int, int], None] | None = None,
    core_alone: bool = True,
) -> SimulationResult:
    """Simulate ``n_paths`` paths of ``n_days`` days with ``seed``, run the rules on them, analyse every path.

    Parameters
    ----------
    rules : alvh.config.Rules
    model : PathModel, optional
        The path generator (default: :class:`PathModel()`).
    n_paths, n_days, seed : int
    chunk_size : int
        Paths per chunk (bounds memory; the results do not depend on it).
    workers : int
        Processes (1: this one). The results do not depend on it.
    folder : Path, optional
        Where the per-path Parquet tables are streamed (``paths.parquet``, ``monthly_cost.parquet``,
        ``cumulative_cost.parquet``); without it the chunks are kept in memory.
    thresholds : sequence of float
        bp of the initial capital per month for the exceedance probabilities.
    progress : callable, optional
        Called with ``(chunks done, chunks)`` after each chunk.
    core_alone : bool
        Measure what the hedge bought against the core alone run as its own book in the same engine call
        (default; a core-only pass, 0.4-0.5 of the hedged book's engine time) or, False, against the core's
        P&L inside the hedged book (docs/simulation.md "What the hedge bought"; ``metadata["core_book"]``).

    Raises
    ------
    InputError, ConfigError
        Before anything runs: sizes < 1, a bad seed, workers < 1, a non-finite threshold, rules without
        hedge layers, model parameters the generator cannot use.
    """
    m = model if model is not None else PathModel()
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InputError(f"{workers!r}", argument="workers", expected="an integer >= 1")
    th = tuple(float(x) for x in thresholds)
    if not th or not all(math.isfinite(x) for x in th):
        raise InputError(f"{thresholds!r}", argument="thresholds", expected="one or more finite bp values")
    s, p, d, c = check_run(m, rules, seed, n_paths, n_days, chunk_size)
    n_chunks = -(-p // c)
    t0, c0 = time.perf_counter(), time.process_time()
    sink = ParquetSink(Path(folder), p) if folder is not None else None
    kept: list[ChunkResult] = []
    first: ChunkResult | None = None
    events: dict[str, int] = {}
    seconds = {k: 0.0 for k in ("paths", "engine", "analysis", "paths_cpu", "engine_cpu", "analysis_cpu")}
    # freed memory kept for the next chunk while the chunks run (glibc; alvh.montecarlo._heap), then returned
    with reuse_freed_memory():
        try:
            for k, chunk in enumerate(
                _chunks(_Job(m, rules, s, c, p, d, backend, core_alone), n_chunks, min(workers, n_chunks))
            ):
                first = first or chunk
                for key, v in chunk.events.items():
                    events[key] = events.get(key, 0) + v
                for key in seconds:
                    seconds[key] += chunk.seconds.get(key, 0.0)
                if sink is not None:
                    sink.add(chunk)
                else:
                    kept.append(chunk)
                if progress is not None:
                    progress(k + 1, n_chunks)
        finally:
            if sink is not None:
                sink.close()
    if first is None:  # n_chunks >= 1 was checked: a chunk always arrives
        raise RuntimeError("no chunk was computed")
    t1, c1 = time.perf_counter(), time.process_time()
    if sink is not None:
        res = _result(sink, m, rules, s, first, dict(sorted(events.items())), th)
    else:
        res = combine(kept, m, rules, s, thresholds=th)
    t2, c2 = time.perf_counter(), time.process_time()
    info = {
        "chunk_size": c,
        "n_chunks": n_chunks,
        "workers": min(workers, n_chunks),
        "seconds_total": t2 - t0,
        "seconds_chunks_wall": t1 - t0,
        "seconds_summary": t2 - t1,
        "cpu_seconds_total": c2 - c0,
        "cpu_seconds_summary": c2 - c1,
        "seconds_in_chunks": seconds,
        "note": "seconds_in_chunks are summed over chunks (over processes when workers > 1); *_cpu and cpu_* are "
        "this process's CPU seconds (all threads; the workers' own when workers > 1, in seconds_in_chunks)",
    }
    return SimulationResult(
        res.summary_data, res.bands, res.monthly, res.exceedance, run_info=info, per_path=res.per_path
    )
