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

import pandas as pd

from alvh._version import __version__
from alvh.errors import ConfigError
from alvh.strategy.axis import kind_key
from alvh.sweep.batch import DEFAULT_CHUNK, ChunkResult, DataRef, run_chunk
from alvh.sweep.grid import Variant

#: Environment variable naming a Dask scheduler (``tcp://host:8786``) when --scheduler is not given.
SCHEDULER_ENV = "ALVH_SCHEDULER"
#: Seconds to wait for a Dask scheduler before refusing (an unreachable address errors before any work).
CONNECT_TIMEOUT_S = 10
#: Times a Dask task is re-run after its worker died or it raised (distributed's ``retries``).
TASK_RETRIES = 3

Task = Callable[[tuple[Variant, ...], DataRef, int], ChunkResult]


def plan_chunks(variants: Sequence[Variant], chunk: int = DEFAULT_CHUNK) -> list[tuple[Variant, ...]]:
    """Variants grouped by kind (first appearance order), each group cut into chunks of <= ``chunk``."""
    groups: dict[str, list[Variant]] = {}
    for v in variants:
        groups.setdefault(kind_key(v.rules), []).append(v)
    out = []
    for g in groups.values():
        out += [tuple(g[i : i + chunk]) for i in range(0, len(g), chunk)]
    return out


def cache_key(v: Variant, ref: DataRef) -> str:
    """The cache file stem of a variant: its config hash and a digest of the data reference and version."""
    tag = json.dumps([ref.store, ref.start, ref.end, __version__])
    return f"{v.config_hash[:24]}-{hashlib.sha256(tag.encode()).hexdigest()[:12]}"


def _read_cache(folder: Path, v: Variant, ref: DataRef) -> tuple[dict, pd.DataFrame] | None:
    f = folder / f"{cache_key(v, ref)}.json"
    if not f.is_file():
        return None
    doc = json.loads(f.read_text(encoding="utf-8"))
    if doc.get("config_hash") != v.config_hash:
        return None
    row = {**doc["row"], "variant": v.index, "label": v.label}
    monthly = pd.DataFrame(doc["monthly"]).assign(variant=v.index)
    return row, monthly


def _write_cache(folder: Path, v: Variant, ref: DataRef, row: dict, monthly: pd.DataFrame) -> None:
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


def _local(chunks: list[tuple[Variant, ...]], ref: DataRef, workers: int, task: Task) -> Iterator[ChunkResult]:
    if workers <= 1:
        for i, c in enumerate(chunks):
            yield task(c, ref, i)
        return
    # spawn: fresh interpreters (no forked numba/BLAS thread state); each builds the market once
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        futs = [pool.submit(task, c, ref, i) for i, c in enumerate(chunks)]
        for f in as_completed(futs):
            yield f.result()


def _dask(chunks: list[tuple[Variant, ...]], ref: DataRef, client, task: Task) -> Iterator[ChunkResult]:  # noqa: ANN001
    from distributed import as_completed as dask_completed

    futs = [client.submit(task, c, ref, i, pure=False, retries=TASK_RETRIES) for i, c in enumerate(chunks)]
    for f in dask_completed(futs, loop=client.loop):  # this client (not a process-wide default)
        yield f.result()


def run_sweep(
    variants: Sequence[Variant],
    ref: DataRef,
    cache_dir: Path,
    *,
    scheduler: str | None = None,
    workers: int = 2,
    chunk: int = DEFAULT_CHUNK,
    progress: Callable[[int, int], None] | None = None,
    task: Task = run_chunk,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every variant's row and monthly series (module docstring), in variant order.

    ``progress(done, total)`` is called as variants finish (cached ones count at once).
    """
    address = resolve_scheduler(scheduler)
    client = connect(address) if address else None  # unreachable: refused before any work
    rows: dict[int, dict] = {}
    monthly: dict[int, pd.DataFrame] = {}
    todo = []
    for v in variants:
        hit = _read_cache(cache_dir, v, ref)
        if hit is None:
            todo.append(v)
        else:
            rows[v.index], monthly[v.index] = hit
    total = len(variants)
    if progress:
        progress(len(rows), total)
    chunks = plan_chunks(todo, chunk)
    by_index = {v.index: v for v in todo}
    try:
        results = _dask(chunks, ref, client, task) if client is not None else _local(chunks, ref, workers, task)
        for res in results:
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
