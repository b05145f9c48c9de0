"""A sweep's result: the variants' table, the frontier, where the reference sits, the walk-forward.

:func:`sweep` runs a grid (:mod:`alvh.sweep.grid`) on one history with
:func:`alvh.sweep.runner.run_sweep`, :func:`mc_sweep` on simulated paths with
:func:`alvh.sweep.runner.run_mc_sweep`; both assemble a :class:`SweepResult`. :meth:`SweepResult.write`
writes ``variants.parquet`` (one row per variant: flattened rules keys, hedge cost and its split in bp of
the initial capital per month, what it bought against the core alone, trigger firings), ``monthly.parquet``
(history) or ``paths.parquet`` (Monte Carlo: every variant's per-path figures), ``frontier.parquet`` and
``frontier.csv`` (with n and 95% intervals), ``walk_forward.parquet`` and ``.csv`` (history) and
``summary.json`` into a folder; :mod:`alvh.report.sweep_report` draws the run's ``report.html``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from alvh._version import __version__
from alvh.analytics.text import fmt
from alvh.config import Rules, config_hash
from alvh.sweep.batch import DataRef
from alvh.sweep.frontier import COST, PROTECTION, UNITS, frontier_table, locate, month_block_intervals, on_frontier
from alvh.sweep.grid import Variant
from alvh.sweep.mc import SimRef
from alvh.sweep.runner import run_mc_sweep, run_sweep
from alvh.sweep.walk import walk_forward

#: Files of a sweep on one history (:meth:`SweepResult.outputs`); a Monte Carlo sweep writes paths.parquet
#: instead of monthly.parquet and no walk-forward.
OUTPUTS: tuple[str, ...] = (
    "variants.parquet",
    "monthly.parquet",
    "frontier.parquet",
    "frontier.csv",
    "walk_forward.parquet",
    "walk_forward.csv",
    "summary.json",
)
MC_OUTPUTS: tuple[str, ...] = ("variants.parquet", "paths.parquet", "frontier.parquet", "frontier.csv", "summary.json")


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

    @property
    def monte_carlo(self) -> bool:
        return self.metadata.get("kind") == "monte carlo"

    def outputs(self) -> tuple[str, ...]:
        return MC_OUTPUTS if self.monte_carlo else OUTPUTS

    def interval_words(self) -> str:
        if self.monte_carlo:
            return (
                f"95% interval of the mean over {self.metadata.get('n_paths')} independent paths "
                "(mean +- 1.96 sd / sqrt(n), alvh.montecarlo.summary.describe)"
            )
        return (
            f"95% circular moving-block bootstrap of the {self.metadata.get('n_months')} calendar months "
            "(every month spanned, a partial first/last month included: the backtest headline's sample; blocks "
            "of 3, 4,000 resamples; alvh.analytics.hedge_cost.block_bootstrap_mean)"
        )

    def summary_dict(self) -> dict:
        best = self.frontier.to_dict(orient="records")
        return {
            "metadata": self.metadata,
            "n_variants": len(self.table),
            "cost": "hedge cost, bp of the initial capital (fixed) per month; positive = the hedge cost money"
            + ("; mean over paths" if self.monte_carlo else ""),
            "protection": PROTECTION["es95_reduction_pp"] + ("; mean over paths" if self.monte_carlo else ""),
            "units": UNITS,
            "interval": self.interval_words(),
            "frontier": best,
            "reference": self.reference,
            "walk_forward": self.walk_summary,
        }

    def summary(self) -> str:
        """Plain text: the sweep's size, the frontier, where the reference sits, the walk-forward; every
        figure with its unit, n and 95% interval."""
        m = self.metadata
        n_what = (
            f"n = {m.get('n_paths')} paths of {m.get('n_months')} months each "
            f"({m.get('scenario')}, seed {m.get('seed')})"
            if self.monte_carlo
            else f"n = {m.get('n_months')} months"
        )
        lines = [
            f"sweep: {len(self.table)} variants, {m.get('data_start')}..{m.get('data_end')}, {n_what}, "
            f"alvh {m.get('alvh_version')}, base rules {str(m.get('base_config_hash'))[:12]}",
            "cost: hedge cost in bp of the initial capital (fixed) per month; protection: ES95 reduction in pp of "
            "the initial capital (core + layers minus core alone; > 0 = smaller tail)"
            + ("; means over paths" if self.monte_carlo else ""),
            f"[lo, hi]: {self.interval_words()}",
            f"frontier ({len(self.frontier)} variants not beaten on both):",
        ]

        def ci(r: dict, k: str, nd: int) -> str:
            return f"[{fmt(r.get(k + '_ci95_lo'), nd)}, {fmt(r.get(k + '_ci95_hi'), nd)}]"

        for r in self.frontier.head(15).to_dict(orient="records"):
            lines.append(
                f"  cost {fmt(r[COST], 2):>7} bp/month {ci(r, COST, 2):<17} ES95 red. "
                f"{fmt(r['es95_reduction_pp'], 3):>6} pp {ci(r, 'es95_reduction_pp', 3):<16}  {r['label']}"
            )
        ref = self.reference
        if ref.get("found"):
            lines.append(
                f"reference {ref['label']}: cost {fmt(ref['cost_bp_per_month'], 2)} bp/month "
                f"{ci(ref, 'cost_bp_per_month', 2)}, ES95 red. {fmt(ref['protection'], 3)} pp "
                f"{ci(ref, 'protection', 3)}, {'on' if ref['on_frontier'] else 'not on'} the frontier (rank "
                f"{ref['rank_by_protection']} of {ref['n_variants']} by protection, {ref['rank_by_cost']} by cost)"
            )
        hit = self.table[self.table["config_hash"] == m.get("reference_config_hash")].to_dict(orient="records")
        if self.monte_carlo and hit and "pooled_es95_reduction_pp" in hit[0]:
            r = hit[0]
            lines.append(
                f"reference pooled ES95 (every path-month, worst {r['pooled_es95_tail_months']} of "
                f"{r['n_path_months']}): reduction {fmt(r['pooled_es95_reduction_pp'], 3)} pp "
                f"{ci(r, 'pooled_es95_reduction_pp', 3)} ({_sections(int(m.get('n_paths') or 0))})"
            )
        w = self.walk_summary
        if w:
            lines.append(
                f"walk-forward ({w['criterion']}, {w['train_months']}m train / {w['test_months']}m test, "
                f"n = {w['n_windows']} windows; % of the initial capital per month): in-sample "
                f"{fmt(w['mean_in_sample'], 3)} {_pair(w, 'in_sample')}, out-of-sample "
                f"{fmt(w['mean_out_of_sample'], 3)} {_pair(w, 'out_of_sample')}, reference out-of-sample "
                f"{fmt(w['mean_reference_out_of_sample'], 3)} {_pair(w, 'reference_out_of_sample')}; chosen minus "
                f"reference {fmt(w.get('mean_chosen_minus_reference_out_of_sample'), 3)} "
                f"{_pair(w, 'chosen_minus_reference_out_of_sample')}, chosen beat it in "
                f"{w['windows_chosen_beats_reference_oos']} of {w['n_windows']} windows"
            )
        return "\n".join(lines)

    def write(self, out: Path) -> list[Path]:
        """Write :meth:`outputs` into ``out`` (each file written to a temporary name, then renamed)."""
        out.mkdir(parents=True, exist_ok=True)
        front = on_frontier(self.table)
        table = self.table.assign(
            on_frontier_es95=front, on_frontier_drawdown=on_frontier(self.table, "max_drawdown_reduction_pp")
        )
        second = "paths.parquet" if self.monte_carlo else "monthly.parquet"
        writers: dict[str, Callable[[Path], object]] = {
            "variants.parquet": lambda p: table.to_parquet(p, index=False),
            second: lambda p: self.monthly.to_parquet(p, index=False),
            "frontier.parquet": lambda p: self.frontier.to_parquet(p, index=False),
            "frontier.csv": lambda p: self.frontier.to_csv(p, index=False),
            "walk_forward.parquet": lambda p: self.walk.to_parquet(p, index=False),
            "walk_forward.csv": lambda p: self.walk.to_csv(p, index=False),
            "summary.json": lambda p: p.write_text(json.dumps(self.summary_dict(), indent=2, default=str)),
        }
        paths = []
        for name in self.outputs():
            dest = out / name
            tmp = out / f".{name}.tmp"
            writers[name](tmp)
            os.replace(tmp, dest)
            paths.append(dest)
        return paths


def _paired_over_paths(per_path: pd.DataFrame, variants: pd.Series, reference: int) -> pd.DataFrame:
    """Each of ``variants`` minus the reference path by path (the same simulated paths): the mean difference
    of the hedge cost and of the ES95 reduction with its 95% interval over paths (the simulation's
    :func:`alvh.montecarlo.summary.describe`); the other variants' rows get NaN."""
    from alvh.montecarlo.summary import describe

    ref = per_path[per_path["variant"] == reference].set_index("path")
    rows = []
    for v in sorted(set(int(x) for x in variants)):
        mine = per_path[per_path["variant"] == v].set_index("path")
        row: dict = {"variant": v}
        for col, out in (
            ("hedge_cost_bp_per_month", "cost_vs_reference_bp_per_month"),
            ("es95_reduction_pp", "es95_reduction_vs_reference_pp"),
        ):
            d = describe((mine[col] - ref[col]).to_numpy(dtype=float))
            ci = d["ci95"] if isinstance(d["ci95"], list) else [float("nan"), float("nan")]
            row[out], row[f"{out}_ci95_lo"], row[f"{out}_ci95_hi"] = d["mean"], ci[0], ci[1]
        rows.append(row)
    return pd.DataFrame(rows)


def split_label(rules: Rules) -> str:
    """The layers' weights in % of the capital, "4/4/2" for the default rules."""
    return "/".join(f"{la.weight * 100:g}" for la in rules.layers) or "no layers"


def _sections(n_paths: int) -> str:
    """What the pooled ES's interval is (alvh.montecarlo.summary.PooledTail's sectioning)."""
    from alvh.montecarlo.summary import ES_SECTIONS

    if n_paths >= 2 * ES_SECTIONS:
        return f"sectioning interval over {ES_SECTIONS} groups of paths"
    return f"no interval: sectioning needs {2 * ES_SECTIONS} or more paths"


def _pair(d: dict, name: str) -> str:
    ci = d.get(f"{name}_ci95") or [None, None]
    return f"[{fmt(ci[0], 3)}, {fmt(ci[1], 3)}]"


def _reference_intervals(where: dict, row: dict | None) -> dict:
    """The reference's ``cost_bp_per_month_ci95_*`` and ``protection_ci95_*`` from its row's intervals."""
    if not where.get("found") or row is None:
        return where
    return {
        **where,
        "cost_bp_per_month_ci95_lo": row.get(f"{COST}_ci95_lo"),
        "cost_bp_per_month_ci95_hi": row.get(f"{COST}_ci95_hi"),
        "protection_ci95_lo": row.get("es95_reduction_pp_ci95_lo"),
        "protection_ci95_hi": row.get("es95_reduction_pp_ci95_hi"),
        "n_months": row.get("n_months"),
        **({"n_paths": row["n_paths"]} if "n_paths" in row else {}),
    }


def sweep(
    variants: Sequence[Variant],
    base: Rules,
    ref: DataRef,
    cache_dir: Path,
    *,
    reference: Rules | None = None,
    scheduler: str | None = None,
    workers: int = 2,
    chunk: int | None = None,
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
        "kind": "history",
        "base_config_hash": config_hash(base),
        "reference_config_hash": ref_hash,
        "reference_split": split_label(reference if reference is not None else base),
        "data_start": str(table["data_start"].iloc[0]),
        "data_end": str(table["data_end"].iloc[0]),
        "data_store": ref.store,
        "alvh_version": __version__,
        "capital_basis": str(table["capital_basis"].iloc[0]),
        "n_months": int(n_months),
    }
    front = frontier_table(table)
    # intervals for the frontier's variants and the reference (a bootstrap per variant: not for all rows)
    need = sorted(set(front["variant"].tolist()) | ({ref_var} if ref_var is not None else set()))
    ivals = month_block_intervals(monthly, need, ref_var)
    front = frontier_table(front.drop(columns=["n_months"], errors="ignore").merge(ivals, on="variant", how="left"))
    ref_row = ivals[ivals["variant"] == ref_var].to_dict(orient="records") if ref_var is not None else []
    where = _reference_intervals(where, ref_row[0] if ref_row else None)
    return SweepResult(
        table=table,
        monthly=monthly,
        frontier=front,
        reference=where,
        walk=walk,
        walk_summary=walk_summary,
        metadata=meta,
    )


def mc_sweep(
    variants: Sequence[Variant],
    base: Rules,
    sim: SimRef,
    cache_dir: Path,
    *,
    reference: Rules | None = None,
    scheduler: str | None = None,
    workers: int = 2,
    chunk: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """Run the variants on ``sim``'s simulated paths and assemble the result (no walk-forward: the paths
    are independent draws, not one history to roll through); the frontier is on the means over paths."""
    table, per_path = run_mc_sweep(
        variants, sim, cache_dir, scheduler=scheduler, workers=workers, chunk=chunk, progress=progress
    )
    ref_hash = config_hash(reference if reference is not None else base)
    where = locate(table, ref_hash)
    hit = table[table["config_hash"] == ref_hash].to_dict(orient="records")
    where = _reference_intervals(where, hit[0] if hit else None)
    meta = {
        "kind": "monte carlo",
        "base_config_hash": config_hash(base),
        "reference_config_hash": ref_hash,
        "reference_split": split_label(reference if reference is not None else base),
        "data_start": str(table["data_start"].iloc[0]),
        "data_end": str(table["data_end"].iloc[0]),
        "model": sim.model.describe(),
        "scenario": sim.scenario_name(),
        "seed": sim.seed,
        "n_paths": sim.n_paths,
        "n_days": sim.n_days,
        "alvh_version": __version__,
        "capital_basis": str(table["capital_basis"].iloc[0]),
        "n_months": int(table["n_months"].iloc[0]),
    }
    front = frontier_table(table)
    if hit:
        paired = _paired_over_paths(per_path, front["variant"], int(hit[0]["variant"]))
        front = frontier_table(table.merge(paired, on="variant", how="left"))
    return SweepResult(
        table=table,
        monthly=per_path,
        frontier=front,
        reference=where,
        walk=pd.DataFrame(),
        walk_summary={},
        metadata=meta,
    )
