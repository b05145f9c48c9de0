"""The per-path tables of a run, in memory (:class:`MemoryTables`) or streamed to Parquet (:class:`ParquetSink`).

Three tables, one row per path in path order: ``paths.parquet`` (every per-path figure,
:func:`alvh.analytics.paths_summary.column_names`), ``monthly_cost.parquet`` (one column per calendar month
and layer, ``"2025-01|short"``, bp of the initial capital) and ``cumulative_cost.parquet`` (one column per
trading day: the cumulative hedge cost of all layers, bp of the initial capital). The sink writes each chunk
as it arrives (in chunk order), so a 100,000-path run holds one chunk in memory, not the whole run; the
reductions then read one column at a time (:mod:`alvh.montecarlo.summary`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from alvh.errors import InputError
from alvh.montecarlo.chunk import ChunkResult
from alvh.montecarlo.summary import PooledTail

#: File names of the three tables.
FILES: dict[str, str] = {
    "paths": "paths.parquet",
    "monthly": "monthly_cost.parquet",
    "cumulative": "cumulative_cost.parquet",
}


#: What each table's numbers are (stored in its Parquet schema metadata, ``alvh_unit``).
UNITS: dict[str, str] = {
    "paths": "cost_* columns: bp of the initial capital per calendar month spanned; core_*/hedged_*: % of the "
    "initial capital; final_nav: dollars; rebalance_firings, trades_*: counts",
    "monthly": "hedge cost of the calendar month and layer ('YYYY-MM|layer'), bp of the initial capital",
    "cumulative": "cumulative hedge cost of all layers at each close (column = date), bp of the initial capital",
}


def monthly_name(month: object, layer: str) -> str:
    return f"{month}|{layer}"


def check_chunks(chunks: Sequence[ChunkResult]) -> list[ChunkResult]:
    """The chunks sorted by index; they must cover paths 0.. without gap or overlap, on one calendar."""
    if not chunks:
        raise InputError("no chunks", argument="chunks", expected="at least one ChunkResult")
    out = sorted(chunks, key=lambda c: c.first)
    first = out[0]
    expect = 0
    for c in out:
        if c.first != expect:
            raise InputError(
                f"chunk {c.chunk_index} starts at path {c.first}", argument="chunks", expected=f"path {expect}"
            )
        if c.layers != first.layers or not c.dates.equals(first.dates) or c.capital != first.capital:
            raise InputError(f"chunk {c.chunk_index} is of another run", argument="chunks", expected="one run's chunks")
        expect += c.n_paths
    return out


class MemoryTables:
    """The tables of chunks held in memory (what :func:`alvh.montecarlo.combine` reads)."""

    def __init__(self, chunks: Sequence[ChunkResult]) -> None:
        self.chunks = check_chunks(chunks)
        c0 = self.chunks[0]
        self.layers, self.dates, self.months = c0.layers, c0.dates, c0.months
        self.n_paths = sum(c.n_paths for c in self.chunks)
        self.pooled = PooledTail(self.n_paths, len(self.months))
        for c in self.chunks:
            self.pooled.add(c.first, c.book_monthly_pct)

    def column(self, name: str) -> np.ndarray:
        return np.concatenate([c.columns[name] for c in self.chunks])

    def columns(self, names: Sequence[str]) -> dict[str, np.ndarray]:
        return {n: self.column(n) for n in names}

    def monthly_layer(self, layer: int) -> np.ndarray:
        return np.concatenate([c.monthly_bp[:, :, layer] for c in self.chunks], axis=0)

    def cumulative(self, days: Sequence[int]) -> np.ndarray:
        return np.concatenate([c.cumulative_bp[:, list(days)] for c in self.chunks], axis=0)


class ParquetSink:
    """Writes chunks, in path order, into the three tables under ``folder``; then reads them as :class:`Tables`."""

    def __init__(self, folder: Path, n_paths: int, basis: str = "") -> None:
        self.folder = Path(folder)
        self.run_paths = int(n_paths)  # the run's paths: the pooled ES's tail size is known from the first chunk
        self.pooled = PooledTail(self.run_paths, 0)  # its months set by the first chunk
        self.basis = basis
        self._writers: dict[str, pq.ParquetWriter] = {}
        self.n_paths = 0
        self.layers: tuple[str, ...] = ()
        self.dates = pd.DatetimeIndex([])
        self.months = pd.PeriodIndex([], freq="M")

    def add(self, c: ChunkResult) -> None:
        if c.first != self.n_paths:
            raise InputError(f"chunk at path {c.first}", argument="chunk", expected=f"path {self.n_paths}")
        if not self._writers:
            self.layers, self.dates, self.months = c.layers, c.dates, c.months
            self.pooled = PooledTail(self.run_paths, len(c.months))
        self.pooled.add(c.first, c.book_monthly_pct)
        path = np.arange(c.first, c.first + c.n_paths, dtype=np.int64)
        names = self.layers + ("all",)
        tables = {
            "paths": {"path": path, **c.columns},
            "monthly": {
                "path": path,
                **{
                    monthly_name(m, la): c.monthly_bp[:, i, j]
                    for i, m in enumerate(self.months)
                    for j, la in enumerate(names)
                },
            },
            "cumulative": {"path": path, **{str(d.date()): c.cumulative_bp[:, i] for i, d in enumerate(self.dates)}},
        }
        basis = self.basis or f"initial capital (fixed), ${c.capital:,.0f}"
        for key, cols in tables.items():
            table = pa.table(cols).replace_schema_metadata({"alvh_unit": UNITS[key], "alvh_capital_basis": basis})
            if key not in self._writers:
                self._writers[key] = pq.ParquetWriter(self.folder / FILES[key], table.schema)
            self._writers[key].write_table(table)
        self.n_paths += c.n_paths

    def close(self) -> None:
        for w in self._writers.values():
            w.close()
        self._writers = {}

    def _read(self, key: str, names: Sequence[str]) -> pa.Table:
        return pq.read_table(self.folder / FILES[key], columns=list(names))

    def column(self, name: str) -> np.ndarray:
        return self._read("paths", [name]).column(0).to_numpy()

    def columns(self, names: Sequence[str]) -> dict[str, np.ndarray]:
        t = self._read("paths", names)
        return {n: t.column(n).to_numpy() for n in names}

    def monthly_layer(self, layer: int) -> np.ndarray:
        la = (self.layers + ("all",))[layer]
        t = self._read("monthly", [monthly_name(m, la) for m in self.months])
        return np.column_stack([t.column(i).to_numpy() for i in range(t.num_columns)])

    def cumulative(self, days: Sequence[int]) -> np.ndarray:
        t = self._read("cumulative", [str(self.dates[d].date()) for d in days])
        return np.column_stack([t.column(i).to_numpy() for i in range(t.num_columns)])

    def frame(self) -> pd.DataFrame:
        return pq.read_table(self.folder / FILES["paths"]).to_pandas().set_index("path")
