"""Running a sweep: chunks of same-kind variants, a per-variant cache, local processes or a Dask cluster.

:func:`plan_chunks` groups the variants by kind (:func:`alvh.strategy.axis.kind_key`: variants that
differ only in numbers share an engine call) and splits each group into chunks of at most ``chunk``
variants. :func:`run_sweep` skips every variant already in the cache (one JSON file per variant, keyed
by its config hash and the data reference, written atomically as its chunk finishes, so a killed sweep
resumes where it stopped) and runs the rest with :func:`alvh.sweep.batch.run_chunk` in this process
(``workers=1``), on local processes (default) or on a Dask cluster (``scheduler``). A chunk's rows do not
depend on where or with which other variants it ran (tests/test_sweep.py).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alvh._version import __version__
from alvh.errors import ConfigError
from alvh.strategy.axis import kind_key
from alvh.sweep.batch import MAX_CHUNK, ChunkResult, DataRef, run_chunk
from alvh.sweep.grid import Variant
from alvh.sweep.mc import DEFAULT_SLOTS, PathChunk, SimRef, path_table, pooled_es, run_mc_chunk, variant_row

#: Environment variable naming a Dask scheduler (``tcp://host:8786``) when --scheduler is not given.
SCHEDULER_ENV = "ALVH_SCHEDULER"
#: Seconds to wait for a Dask scheduler before refusing (an unreachable address errors before any work).
CONNECT_TIMEOUT_S = 10
#: Times a Dask task is re-run after its worker died or it raised (distributed's ``retries``).
TASK_RETRIES = 3

#: What a cached row's scoring means, part of every cache key: rows cached before the standalone core and the
#: 21-day month (alvh 2026-12-03) were scored against the core inside the book and are not reused.
SCORING = "standalone-core,month=21d"

Task = Callable[[tuple[Variant, ...], DataRef, int], ChunkResult]


def auto_chunk(n_variants: int, workers: int, most: int = MAX_CHUNK) -> int:
    """Variants per engine call when none is given: the fewest calls of at most ``most`` variants that are a
    multiple of the workers (every call costs a fixed ~1.3 s of CPU, and equal calls end together: 1,000 variants on
    2 workers are 4 calls of 250, not 10 of 100 or 5 of 200)."""
    w = max(1, workers)
    calls = w * -(-max(1, n_variants) // (w * most))
    return max(1, -(-n_variants // calls))


def plan_chunks(variants: Sequence[Variant], chunk: int | None = None, workers: int = 1) -> list[tuple[Variant, ...]]:
    """Variants grouped by kind (first appearance order), each group cut into chunks of <= ``chunk``
    (None: :func:`auto_chunk` of the group's size for ``workers``)."""
    groups: dict[str, list[Variant]] = {}
    for v in variants:
        groups.setdefault(kind_key(v.rules), []).append(v)
    out = []
    for g in groups.values():
        c = chunk if chunk is not None else auto_chunk(len(g), workers)
        out += [tuple(g[i : i + c]) for i in range(0, len(g), c)]
    return out


def _digest(ref: DataRef | SimRef) -> str:
    if isinstance(ref, SimRef):
        return ref.digest()
    tag = json.dumps([ref.store, ref.start, ref.end, __version__, SCORING])
    return hashlib.sha256(tag.encode()).hexdigest()[:12]


def cache_key(v: Variant, ref: DataRef | SimRef) -> str:
    """The cache file stem of a variant: its config hash and a digest of the data reference (history:
    store and span; Monte Carlo: model, scenario, seed, paths, days) and alvh's version."""
    return f"{v.config_hash[:24]}-{_digest(ref)}"


def _split_cached(
    variants: Sequence[Variant], cache_dir: Path, ref: DataRef | SimRef
) -> tuple[dict[int, dict], dict[int, pd.DataFrame], list[Variant]]:
    """The variants already in the cache (their rows and tables, by variant index) and the rest, in order."""
    rows: dict[int, dict] = {}
    tables: dict[int, pd.DataFrame] = {}
    todo: list[Variant] = []
    for v in variants:
        hit = _read_cache(cache_dir, v, ref)
        if hit is None:
            todo.append(v)
        else:
            rows[v.index], tables[v.index] = hit
    return rows, tables, todo


def _read_cache(folder: Path, v: Variant, ref: DataRef | SimRef) -> tuple[dict, pd.DataFrame] | None:
    f = folder / f"{cache_key(v, ref)}.json"
    if not f.is_file():
        return None
    doc = json.loads(f.read_text(encoding="utf-8"))
    if doc.get("config_hash") != v.config_hash:
        return None
    row = {**doc["row"], "variant": v.index, "label": v.label}
    monthly = pd.DataFrame(doc["monthly"]).assign(variant=v.index)
    return row, monthly


def _write_cache(folder: Path, v: Variant, ref: DataRef | SimRef, row: dict, monthly: pd.DataFrame) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    f = folder / f"{cache_key(v, ref)}.json"
    tmp = f.with_suffix(".tmp")
    doc = {"config_hash": v.config_hash, "row": row, "monthly": monthly.to_dict(orient="list")}
    tmp.write_text(json.dumps(doc), encoding="utf-8")
    os.replace(tmp, f)  # atomic: a killed sweep leaves whole files or none


def resolve_scheduler(scheduler: str | None) -> str | None:
    """The Dask scheduler address: the argument, else $ALVH_SCHEDULER, else None (local processes)."""
    return scheduler or os.environ.get(SCHEDULER_ENV) or None


def connect(address: str):  # noqa: ANN201 - distributed.Client
    """A client of the scheduler at ``address``; ConfigError naming it when it cannot be reached."""
    from distributed import Client

    try:
        return Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigError(
            f"cannot reach the Dask scheduler at {address!r} ({type(exc).__name__}: {exc})",
            key="--scheduler",
            expected=f"the address of a running scheduler (tcp://host:8786), or no --scheduler/{SCHEDULER_ENV}",
        ) from None


def _init_worker() -> None:
    # one numba thread per worker process: the processes are the parallelism (the attribution's and the
    # effective vega's parallel kernels would otherwise start a thread per core in every process). Not by
    # NUMBA_NUM_THREADS: numba may already be imported here (unpickling the task imports alvh), and an
    # environment changed after its thread pool started makes its next compilation raise
    try:
        import numba

        numba.set_num_threads(1)
    except (ImportError, ValueError):  # pragma: no cover - numba is a dependency
        pass


Job = tuple[tuple[Variant, ...], int]


def _local(jobs: list[Job], ref: Any, workers: int, task: Callable[..., Any]) -> Iterator[Any]:
    if workers <= 1:
        for c, i in jobs:
            yield task(c, ref, i)
        return
    # spawn: fresh interpreters (no forked numba/BLAS thread state); each builds the market once
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"), initializer=_init_worker) as pool:
        futs = [pool.submit(task, c, ref, i) for c, i in jobs]
        for f in as_completed(futs):
            yield f.result()


def _cluster_slots(client: Any) -> int:
    """Tasks the cluster runs at once: its workers' threads (at least 1)."""
    workers = client.scheduler_info()["workers"].values()
    return max(1, sum(int(w.get("nthreads", 1)) for w in workers))


def _on_worker(task: Callable[..., Any], chunk: tuple[Variant, ...], ref: Any, i: int) -> Any:
    """A task on a Dask worker, with one numba thread (numba's thread count is per calling thread: set in the
    worker's task thread, not once per process)."""
    _init_worker()
    return task(chunk, ref, i)


def _dask(jobs: list[Job], ref: Any, client: Any, task: Callable[..., Any]) -> Iterator[Any]:
    from distributed import as_completed as dask_completed

    # the data reference is sent to the cluster once and every task gets the same future (not a copy each)
    [ref_f] = client.scatter([ref], broadcast=True, hash=False)
    futs = [client.submit(_on_worker, task, c, ref_f, i, pure=False, retries=TASK_RETRIES) for c, i in jobs]
    for f in dask_completed(futs, loop=client.loop):  # this client (not a process-wide default)
        yield f.result()


def run_sweep(
    variants: Sequence[Variant],
    ref: DataRef,
    cache_dir: Path,
    *,
    scheduler: str | None = None,
    workers: int = 2,
    chunk: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    task: Task = run_chunk,
    timings: list[dict[str, float]] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every variant's row and monthly series (module docstring), in variant order.

    ``progress(done, total)`` is called as variants finish (cached ones count at once); ``timings``
    collects each chunk's :attr:`ChunkResult.seconds` (and its number of variants) as it arrives.
    """
    address = resolve_scheduler(scheduler)
    client = connect(address) if address else None  # unreachable: refused before any work
    rows, monthly, todo = _split_cached(variants, cache_dir, ref)
    total = len(variants)
    if progress:
        progress(len(rows), total)
    chunks = plan_chunks(todo, chunk, workers if client is None else _cluster_slots(client))
    by_index = {v.index: v for v in todo}
    try:
        jobs = [(c, i) for i, c in enumerate(chunks)]
        results = _dask(jobs, ref, client, task) if client is not None else _local(jobs, ref, workers, task)
        for res in results:
            if timings is not None:
                timings.append({**res.seconds, "variants": float(len(res.rows))})
            for row in res.rows:
                v = by_index[row["variant"]]
                m = res.monthly[res.monthly["variant"] == v.index].reset_index(drop=True)
                _write_cache(cache_dir, v, ref, row, m)
                rows[v.index], monthly[v.index] = row, m
            if progress:
                progress(len(rows), total)
    finally:
        if client is not None:
            client.close()
    order = [v.index for v in variants]
    table = pd.DataFrame([rows[i] for i in order])
    series = pd.concat([monthly[i] for i in order], ignore_index=True)
    return table, series


def mc_chunk_sizes(n_variants: int, sim: SimRef, chunk: int | None) -> int:
    """Variants per Monte Carlo task: ``chunk``, else as many as keep a task within :data:`DEFAULT_SLOTS`
    path slots (variants x paths of a path chunk)."""
    if chunk is not None:
        return chunk
    return max(1, min(n_variants, DEFAULT_SLOTS // min(sim.path_chunk, sim.n_paths)))


def run_mc_sweep(
    variants: Sequence[Variant],
    sim: SimRef,
    cache_dir: Path,
    *,
    scheduler: str | None = None,
    workers: int = 2,
    chunk: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    task: Callable[[tuple[Variant, ...], SimRef, int], PathChunk] = run_mc_chunk,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every variant's row (means over paths with intervals, alvh.sweep.mc.variant_row) and its per-path
    figures (``variant``, ``path`` and :data:`alvh.sweep.mc.PATH_COLUMNS`), in variant order.

    Tasks are (a chunk of same-kind variants, a chunk of paths); a variant is cached when all its paths
    have run. ``progress(done, total)`` counts variants.
    """
    address = resolve_scheduler(scheduler)
    client = connect(address) if address else None
    rows, per_path, todo = _split_cached(variants, cache_dir, sim)
    total = len(variants)
    if progress:
        progress(len(rows), total)
    groups = plan_chunks(todo, mc_chunk_sizes(len(todo), sim, chunk))
    jobs = [(g, p) for g in groups for p in range(sim.n_path_chunks)]
    by_index = {v.index: v for v in todo}
    parts: dict[int, dict[int, PathChunk]] = {v.index: {} for v in todo}
    try:
        results = _dask(jobs, sim, client, task) if client is not None else _local(jobs, sim, workers, task)
        for res in results:
            for vi in res.columns:
                parts[vi][res.path_chunk] = res
                if len(parts[vi]) < sim.n_path_chunks:
                    continue
                v = by_index[vi]
                got = [parts[vi][p] for p in range(sim.n_path_chunks)]  # path order
                cols = {k: np.concatenate([g.columns[vi][k] for g in got]) for k in got[0].columns[vi]}
                cost_mean = float(np.mean(cols["cost_all_bp_per_month"]))
                row = variant_row(v, cols, got[0], sim, pooled_es(vi, got, sim.n_paths, cost_mean))
                frame = pd.DataFrame({"variant": vi, "path": np.arange(sim.n_paths), **path_table(cols)})
                _write_cache(cache_dir, v, sim, row, frame)
                rows[vi], per_path[vi] = row, frame
                del parts[vi]
            if progress:
                progress(len(rows), total)
    finally:
        if client is not None:
            client.close()
    order = [v.index for v in variants]
    table = pd.DataFrame([rows[i] for i in order])
    paths = pd.concat([per_path[i] for i in order], ignore_index=True)
    return table, paths
