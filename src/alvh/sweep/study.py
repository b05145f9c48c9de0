"""A sweep's result: the variants' table, the frontier, where the reference sits, the walk-forward.

:func:`sweep` runs a grid (:mod:`alvh.sweep.grid`) with :func:`alvh.sweep.runner.run_sweep` and
assembles a :class:`SweepResult`; :meth:`SweepResult.write` writes ``variants.parquet`` (one row per
variant: flattened rules keys, hedge cost and its split in bp of the initial capital per month, what it
bought against the core alone, trigger firings), ``monthly.parquet``, ``frontier.csv``,
``walk_forward.csv`` and ``summary.json`` into a folder.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from alvh._version import __version__
from alvh.config import Rules, config_hash
from alvh.sweep.batch import DEFAULT_CHUNK, DataRef
from alvh.sweep.frontier import COST, PROTECTION, frontier_table, locate, on_frontier
from alvh.sweep.grid import Variant
from alvh.sweep.runner import run_sweep
from alvh.sweep.walk import walk_forward

OUTPUTS: tuple[str, ...] = ("variants.parquet", "monthly.parquet", "frontier.csv", "walk_forward.csv", "summary.json")


@dataclass(frozen=True)
class SweepResult:
    """Rows per variant, their monthly series, the frontier and the walk-forward (module docstring)."""

    table: pd.DataFrame
    monthly: pd.DataFrame
    frontier: pd.DataFrame
    reference: dict
    walk: pd.DataFrame
    walk_summary: dict
    metadata: dict = field(default_factory=dict)

    def summary_dict(self) -> dict:
        best = self.frontier.to_dict(orient="records")
        return {
            "metadata": self.metadata,
            "n_variants": len(self.table),
            "cost": "hedge cost, bp of the initial capital (fixed) per month; positive = the hedge cost money",
            "protection": PROTECTION["es95_reduction_pp"],
            "frontier": best,
            "reference": self.reference,
            "walk_forward": self.walk_summary,
        }

    def summary(self) -> str:
        """Plain text: the sweep's size, the frontier, where the reference sits, the walk-forward."""
        m = self.metadata
        lines = [
            f"sweep: {len(self.table)} variants, {m.get('data_start')}..{m.get('data_end')}, "
            f"alvh {m.get('alvh_version')}, base rules {str(m.get('base_config_hash'))[:12]}",
            "cost: hedge cost in bp of the initial capital per month; protection: ES95 reduction, pp",
            f"frontier ({len(self.frontier)} variants not beaten on both):",
        ]
        for r in self.frontier.head(15).itertuples(index=False):
            lines.append(f"  {r.label:<60} cost {getattr(r, COST):7.2f}  ES95 red. {r.es95_reduction_pp:6.3f}")
        ref = self.reference
        if ref.get("found"):
            lines.append(
                f"reference {ref['label']}: cost {ref['cost_bp_per_month']:.2f}, ES95 red. {ref['protection']:.3f}, "
                f"{'on' if ref['on_frontier'] else 'not on'} the frontier (rank {ref['rank_by_protection']} of "
                f"{ref['n_variants']} by protection, {ref['rank_by_cost']} by cost)"
            )
        w = self.walk_summary
        if w:
            lines.append(
                f"walk-forward ({w['criterion']}, {w['train_months']}m train / {w['test_months']}m test, "
                f"{w['n_windows']} windows): in-sample {w['mean_in_sample']:.3f}, out-of-sample "
                f"{w['mean_out_of_sample']:.3f}, reference out-of-sample {w['mean_reference_out_of_sample']:.3f}"
            )
        return "\n".join(lines)

    def write(self, out: Path) -> list[Path]:
        """Write :data:`OUTPUTS` into ``out`` (each file written to a temporary name, then renamed)."""
        out.mkdir(parents=True, exist_ok=True)
        front = on_frontier(self.table)
        table = self.table.assign(
            on_frontier_es95=front, on_frontier_drawdown=on_frontier(self.table, "max_drawdown_reduction_pp")
        )
        writers: dict[str, Callable[[Path], object]] = {
            "variants.parquet": lambda p: table.to_parquet(p, index=False),
            "monthly.parquet": lambda p: self.monthly.to_parquet(p, index=False),
            "frontier.csv": lambda p: self.frontier.to_csv(p, index=False),
            "walk_forward.csv": lambda p: self.walk.to_csv(p, index=False),
            "summary.json": lambda p: p.write_text(json.dumps(self.summary_dict(), indent=2, default=str)),
        }
        paths = []
        for name in OUTPUTS:
            dest = out / name
            tmp = out / f".{name}.tmp"
            writers[name](tmp)
            os.replace(tmp, dest)
            paths.append(dest)
        return paths


def sweep(
    variants: Sequence[Variant],
    base: Rules,
    ref: DataRef,
    cache_dir: Path,
    *,
    reference: Rules | None = None,
    scheduler: str | None = None,
    workers: int = 2,
    chunk: int = DEFAULT_CHUNK,
    train_months: int = 60,
    test_months: int = 12,
    criterion: str = "es95",
    progress: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """Run the variants and assemble the result; ``reference`` (default: ``base``) is located on the frontier."""
    table, monthly = run_sweep(
        variants, ref, cache_dir, scheduler=scheduler, workers=workers, chunk=chunk, progress=progress
    )
    ref_hash = config_hash(reference if reference is not None else base)
    where = locate(table, ref_hash)
    ref_var = int(table.loc[table["config_hash"] == ref_hash, "variant"].iloc[0]) if where.get("found") else None
    n_months = monthly["month"].nunique()
    walk: pd.DataFrame = pd.DataFrame()
    walk_summary: dict = {}
    if n_months >= train_months + test_months:
        walk, walk_summary = walk_forward(
            monthly, ref_var, train_months=train_months, test_months=test_months, criterion=criterion
        )
    meta = {
        "base_config_hash": config_hash(base),
        "reference_config_hash": ref_hash,
        "data_start": str(table["data_start"].iloc[0]),
        "data_end": str(table["data_end"].iloc[0]),
        "data_store": ref.store,
        "alvh_version": __version__,
        "capital_basis": str(table["capital_basis"].iloc[0]),
        "n_months": int(n_months),
    }
    return SweepResult(
        table=table,
        monthly=monthly,
        frontier=frontier_table(table),
        reference=where,
        walk=walk,
        walk_summary=walk_summary,
        metadata=meta,
    )
