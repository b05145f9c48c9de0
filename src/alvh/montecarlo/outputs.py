"""The output folder of a simulated run: what is written, through one function (:func:`write_outputs`).

``alvh simulate --out DIR`` writes (every bp of the initial capital, fixed; docs/simulation.md):

* ``summary.json``: the figures of :meth:`SimulationResult.summary_dict` with the metadata block (config
  hash, model, seed, span, random streams, version); the same bytes whatever the chunk size or processes;
* ``run.json``: how the run was executed (chunk size, processes, seconds): not results;
* ``paths.parquet``, ``monthly_cost.parquet``, ``cumulative_cost.parquet``: one row per path
  (:mod:`alvh.montecarlo.tables`), streamed while the chunks run;
* ``cost_bands.parquet`` (percentiles of the cumulative cost per day), ``monthly_cost_distribution.parquet``
  (per month and layer), ``exceedance.parquet`` (probabilities the cost exceeds each threshold).

:class:`StagingFolder` writes into a hidden folder beside ``DIR`` and renames it into place when complete
(a stand-in with the same calls as the report's output-folder helper, which replaces it once in main).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from alvh.errors import InputError
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


class StagingFolder:
    """Files go to ``.NAME.partial-XXXX`` beside ``out``; :meth:`commit` renames it to ``out``."""

    def __init__(self, out: Path, staging: Path) -> None:
        self.out, self.staging = out, staging

    @classmethod
    def prepare(cls, out: str | Path, *, overwrite: bool = False) -> StagingFolder:
        """Check ``out`` before any work: a file, or a non-empty folder without ``overwrite``, is refused."""
        out = Path(out).expanduser().resolve()
        if out.exists() and not out.is_dir():
            raise InputError(f"{out} exists and is not a folder", argument="--out", expected="a folder path")
        if out.is_dir() and any(out.iterdir()) and not overwrite:
            raise InputError(f"{out} is not empty", argument="--out", expected="a new or empty folder, or --overwrite")
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
        except OSError as exc:
            raise InputError(f"cannot write in {out.parent} ({exc})", argument="--out") from None
        return cls(out, staging)

    def path(self, name: str) -> Path:
        return self.staging / name

    def write_json(self, name: str, obj: object) -> Path:
        p = self.path(name)
        p.write_text(json.dumps(obj, indent=2, default=str) + "\n", encoding="utf-8")
        return p

    def commit(self) -> Path:
        if self.out.exists():
            shutil.rmtree(self.out)
        self.staging.rename(self.out)
        return self.out

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


def write_outputs(folder: StagingFolder, result: SimulationResult) -> list[str]:
    """Write the result's files into ``folder`` (the per-path tables are already there); returns the names."""
    folder.write_json("summary.json", result.summary_dict())
    folder.write_json("run.json", result.run_info)
    result.bands.to_parquet(folder.path("cost_bands.parquet"))
    result.monthly.to_parquet(folder.path("monthly_cost_distribution.parquet"), index=False)
    result.exceedance.to_parquet(folder.path("exceedance.parquet"), index=False)
    return [n for n in OUTPUTS if folder.path(n).exists()]
