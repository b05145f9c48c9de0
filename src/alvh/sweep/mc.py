"""Monte Carlo sweeps: rule variants on the simulator's calibrated model (or one of its stress scenarios).

A task is a pure function of (the chunk's same-kind variants, a :class:`SimRef`: the path model, the
seed, the run's paths and days, the paths per task; the path chunk's index): it draws the chunk's market
paths exactly as :func:`alvh.montecarlo.run_chunk` does (:func:`alvh.montecarlo.streams.chunk_paths`:
path ``i`` of the run is the same whatever the chunking), lays them out once per variant (variant ``v``
on path slots ``v * k .. (v + 1) * k - 1``, :meth:`alvh.strategy.axis.RuleAxis.broadcast`), runs the engine
once with ``backend="numba"`` and scores every slot with :func:`alvh.analytics.paths_summary.path_analysis`
(no operation mixes paths). So a variant's per-path figures are those of ``alvh.montecarlo.simulate`` of
its rules alone with the same seed, bit for bit (tests/test_sweep_mc.py).

:func:`variant_row` reduces a variant's paths to one row of the sweep's table: the means over paths
(the frontier's cost and protection are the means), each with its 95% interval over independent paths
and quantiles (:func:`alvh.montecarlo.summary.describe`, the simulation report's one formula), and the
share of paths whose tail the hedge made smaller (Wilson interval, :func:`alvh.montecarlo.summary.wilson`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np

from alvh._version import __version__
from alvh.analytics.hedge_cost import TERMS
from alvh.errors import InputError
from alvh.montecarlo.streams import PATH_BLOCK, PathModel, chunk_paths, concat_paths
from alvh.sweep.grid import Variant

#: Path slots (variants x paths) per engine call by default: bounds the records' memory (~11 float
#: fields x days x slots) and the path analysis' working arrays.
DEFAULT_SLOTS = 2000
#: Per-path figures kept in ``paths.parquet`` for every variant (the per-path distribution).
PATH_COLUMNS: tuple[str, ...] = (
    "hedge_cost_bp_per_month",
    "es95_reduction_pp",
    "max_drawdown_reduction_pp",
    "worst_month_reduction_pp",
    "core_es95_monthly_pct",
    "hedged_es95_monthly_pct",
    "core_max_drawdown_pct",
    "hedged_max_drawdown_pct",
    "trigger_firings",
)


@dataclass(frozen=True)
class SimRef:
    """Where a Monte Carlo task's market comes from: the path model, the seed and the run's size.

    ``path_chunk``: paths per task (a multiple of :data:`PATH_BLOCK` or the whole run draws every random
    block once); the results do not depend on it.
    """

    model: PathModel
    seed: int
    n_paths: int
    n_days: int
    path_chunk: int = PATH_BLOCK

    @property
    def n_path_chunks(self) -> int:
        return -(-self.n_paths // self.path_chunk)

    def tag(self) -> str:
        """What the results depend on (the cache key's data part): model, scenario, seed, paths, days."""
        d = self.model.describe()
        return json.dumps(
            ["mc", d["params_hash"], d["scenario"], d["start"], self.seed, self.n_paths, self.n_days],
            sort_keys=True,
            default=str,
        )

    def digest(self) -> str:
        return hashlib.sha256(json.dumps([self.tag(), __version__, "month=21d"]).encode()).hexdigest()[:12]

    def scenario_name(self) -> str:
        s = self.model.scenario
        return "calibrated model (no scenario)" if s is None else str(getattr(s, "name", None) or "scenario")


@dataclass(frozen=True)
class PathChunk:
    """The per-path figures of paths ``first .. last - 1`` for each variant of one task."""

    path_chunk: int
    first: int
    last: int
    #: variant index -> column (:data:`PATH_COLUMNS` and the rest of the row's inputs) -> (last - first,)
    columns: dict[int, dict[str, np.ndarray]]
    #: variant index -> each path's calendar-month returns of the core and of core + layers,
    #: (last - first, n_months, 2), % of the initial capital (the pooled ES95, alvh.montecarlo.summary.PooledTail)
    book_monthly: dict[int, np.ndarray]
    n_months: int
    n_days: int
    capital: float
    start: str
    end: str


def _tile(paths, n: int):  # noqa: ANN001, ANN202 - MarketPaths in, MarketPaths out
    """The chunk's paths laid out ``n`` times along the path axis (one block of slots per variant)."""
    return paths if n == 1 else concat_paths([paths] * n)


def run_mc_chunk(variants: tuple[Variant, ...], sim: SimRef, path_chunk: int) -> PathChunk:
    """Run and score one task (module docstring); every variant must have the same kind."""
    from alvh.analytics.paths_summary import path_analysis
    from alvh.engine import run_engine

    first = path_chunk * sim.path_chunk
    if not 0 <= first < sim.n_paths:
        raise InputError(f"path chunk {path_chunk}", argument="path_chunk", expected=f"0..{sim.n_path_chunks - 1}")
    last = min(sim.n_paths, first + sim.path_chunk)
    k = last - first
    paths = chunk_paths(sim.model, sim.seed, first, last, sim.n_days)
    sens = paths.sensitivity
    if not callable(sens):
        raise InputError("a per-day dF/dVIX estimate", argument="paths.sensitivity", expected="a model dF/dVIX")
    tiled = _tile(paths, len(variants))
    rules = [v.rules for v in variants]
    res = run_engine(rules[0], tiled, seed=sim.seed, backend="numba", variants=rules)
    pa = path_analysis(res, vix=np.asarray(tiled.vix_close), sensitivity=sens, backend="numba")
    cols = pa.columns
    out: dict[int, dict[str, np.ndarray]] = {}
    books: dict[int, np.ndarray] = {}
    for j, v in enumerate(variants):
        s = slice(j * k, (j + 1) * k)
        out[v.index] = {name: np.ascontiguousarray(a[s]) for name, a in cols.items()}
        books[v.index] = np.ascontiguousarray(pa.book_monthly_pct[s])
    return PathChunk(
        path_chunk=path_chunk,
        first=first,
        last=last,
        columns=out,
        book_monthly=books,
        n_months=len(pa.months),
        n_days=len(pa.dates),
        capital=pa.capital,
        start=str(pa.dates[0].date()),
        end=str(pa.dates[-1].date()),
    )


def path_table(cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A variant's :data:`PATH_COLUMNS` per path from its path-analysis columns (reductions: hedged - core,
    in pp of the initial capital; positive = the layers made the loss smaller)."""
    out = {
        "hedge_cost_bp_per_month": cols["cost_all_bp_per_month"],
        "es95_reduction_pp": cols["hedged_es95_monthly_pct"] - cols["core_es95_monthly_pct"],
        "max_drawdown_reduction_pp": cols["hedged_max_drawdown_pct"] - cols["core_max_drawdown_pct"],
        "worst_month_reduction_pp": cols["hedged_worst_month_pct"] - cols["core_worst_month_pct"],
        "trigger_firings": cols["rebalance_firings"].astype(float),
    }
    for name in (
        "core_es95_monthly_pct",
        "hedged_es95_monthly_pct",
        "core_max_drawdown_pct",
        "hedged_max_drawdown_pct",
    ):
        out[name] = cols[name]
    return {k: out[k] for k in PATH_COLUMNS}


def pooled_es(v: int, chunks: list[PathChunk], n_paths: int, cost_mean: float) -> dict:
    """The variant's 95% ES of monthly returns over every month of every path pooled, both books and the
    reduction with their sectioning intervals (:class:`alvh.montecarlo.summary.PooledTail`, the simulation's)."""
    from alvh.montecarlo.summary import PooledTail

    tail = PooledTail(n_paths, chunks[0].n_months)
    for c in chunks:
        tail.add(c.first, c.book_monthly[v])
    return tail.block(cost_mean)


def variant_row(
    v: Variant, cols: dict[str, np.ndarray], chunk: PathChunk, sim: SimRef, pooled: dict | None = None
) -> dict:
    """One row of the sweep's table from a variant's per-path columns (all its paths, in path order) and its
    pooled ES block (:func:`pooled_es`)."""
    from alvh.analytics.paths_summary import BOOK_STATS
    from alvh.montecarlo.summary import describe, wilson

    per = path_table(cols)
    n = int(per["hedge_cost_bp_per_month"].size)
    row: dict = {"variant": v.index, "label": v.label, "config_hash": v.config_hash}
    row.update({f"rules.{k}": val for k, val in v.overrides.items()})
    for name in (
        "hedge_cost_bp_per_month",
        "es95_reduction_pp",
        "max_drawdown_reduction_pp",
        "worst_month_reduction_pp",
    ):
        d = describe(per[name])
        row[name] = d["mean"]
        ci = d["ci95"]
        row[f"{name}_ci95_lo"], row[f"{name}_ci95_hi"] = (ci[0], ci[1]) if isinstance(ci, list) else (np.nan, np.nan)
        for q in ("q05", "q50", "q95"):
            row[f"{name}_{q}"] = d[q]
    for t in TERMS:
        row[f"hedge_cost_{t}_bp_per_month"] = float(np.mean(cols[f"cost_all_{t}_bp_per_month"]))
    for book in ("core", "hedged"):
        for s in BOOK_STATS:
            x = cols[f"{book}_{s}"]
            row[f"{book}_{s}"] = float(np.mean(x[np.isfinite(x)])) if np.isfinite(x).any() else np.nan
    for name, red in (("es95", per["es95_reduction_pp"]), ("drawdown", per["max_drawdown_reduction_pp"])):
        k = int(np.count_nonzero(red > 0))
        lo, hi = wilson(k, n)
        row[f"share_paths_{name}_reduced"] = k / n
        row[f"share_paths_{name}_reduced_ci95_lo"], row[f"share_paths_{name}_reduced_ci95_hi"] = lo, hi
    if pooled is not None:
        for name, col in (
            ("reduction_pp", "pooled_es95_reduction_pp"),
            ("core_alone_pct", "core_pooled_es95_monthly_pct"),
            ("core_plus_layers_pct", "hedged_pooled_es95_monthly_pct"),
        ):
            row[col] = pooled[name]["value"]
            ci = pooled[name]["ci95"] or [np.nan, np.nan]
            row[f"{col}_ci95_lo"], row[f"{col}_ci95_hi"] = ci[0], ci[1]
        row["pooled_es95_tail_months"] = pooled["tail_months"]
        row["n_path_months"] = pooled["n_path_months"]
    row["trigger_firings"] = float(np.mean(per["trigger_firings"]))
    row["n_paths"] = n
    row["n_months"] = chunk.n_months
    row["n_days"] = chunk.n_days
    row["capital_basis"] = "initial capital (fixed)"
    row["capital_usd"] = chunk.capital
    row["data_start"], row["data_end"] = chunk.start, chunk.end
    row["scenario"] = sim.scenario_name()
    row["seed"] = sim.seed
    row["params_hash"] = str(sim.model.describe()["params_hash"])
    row["alvh_version"] = __version__
    return row
