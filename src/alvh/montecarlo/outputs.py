"""The output folder of a simulated run: what is written, through one function (:func:`write_outputs`).

``alvh simulate --out DIR`` writes (every bp of the initial capital, fixed; docs/simulation.md):

* ``summary.json``: the figures of :meth:`SimulationResult.summary_dict` with the metadata block (config
  hash, model, seed, span, random streams, version); the same bytes whatever the chunk size or processes;
* ``run.json``: how the run was executed (chunk size, processes, seconds): not results;
* ``paths.parquet``, ``monthly_cost.parquet``, ``cumulative_cost.parquet``: one row per path
  (:mod:`alvh.montecarlo.tables`), streamed while the chunks run;
* ``cost_bands.parquet`` (percentiles of the cumulative cost per day), ``monthly_cost_distribution.parquet``
  (per month and layer), ``exceedance.parquet`` (probabilities the cost exceeds each threshold).

The CLI passes :class:`alvh.report.outputs.OutputFolder` (a hidden staging folder beside ``DIR``, renamed
into place with ``manifest.json`` when complete); the per-path tables are streamed into its staging folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from alvh.montecarlo.result import SimulationResult

#: Files of a simulated run's output folder, in the order listed.
OUTPUTS: tuple[str, ...] = (
    "summary.json",
    "run.json",
    "paths.parquet",
    "monthly_cost.parquet",
    "cumulative_cost.parquet",
    "cost_bands.parquet",
    "monthly_cost_distribution.parquet",
    "exceedance.parquet",
)


class Folder(Protocol):
    """Where outputs are written (e.g. :class:`alvh.report.outputs.OutputFolder`, the atomic output folder)."""

    staging: Path

    def path(self, name: str) -> Path: ...

    def write_json(self, name: str, obj: object) -> Path: ...


def write_outputs(folder: Folder, result: SimulationResult) -> list[str]:
    """Write the result's files into ``folder`` (the per-path tables are already there); returns the names."""
    folder.write_json("summary.json", result.summary_dict())
    folder.write_json("run.json", result.run_info)
    basis = str(result.metadata["capital_basis"])
    for frame, name, unit, index in (
        (result.bands, "cost_bands.parquet", "cumulative hedge cost of all layers over paths per day, bp", True),
        (
            result.monthly,
            "monthly_cost_distribution.parquet",
            "a calendar month's hedge cost over paths, bp (sd and ci95 null with one path)",
            False,
        ),
        (result.exceedance, "exceedance.parquet", "P(hedge cost > threshold_bp), bp per month", False),
    ):
        table = pa.Table.from_pandas(frame, preserve_index=index)
        meta = {**(table.schema.metadata or {}), b"alvh_unit": unit.encode(), b"alvh_capital_basis": basis.encode()}
        pq.write_table(table.replace_schema_metadata(meta), folder.path(name))
    return [n for n in OUTPUTS if folder.path(n).exists()]
