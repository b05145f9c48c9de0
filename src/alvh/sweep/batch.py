"""One sweep task: a chunk of same-kind variants run in one engine call, one variant per path slot, and scored.

:func:`run_chunk` is a pure function of (the chunk's variants, the data reference, the chunk index): it
loads the market (:class:`DataRef`, memoized per process: a worker builds it once), broadcasts the
one-path history over the variants (:meth:`alvh.engine.MarketPaths.broadcast_paths`, views, no copy),
runs the engine once with the variants as its path axis (:mod:`alvh.strategy.axis`) and scores every
path with :mod:`alvh.analytics.by_path`. It returns plain rows (one dict per variant) and each
variant's monthly series, so local processes and Dask workers return the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from alvh._version import __version__
from alvh.analytics.hedge_cost import HedgeCost, core_and_hedged_usd, month_bounds
from alvh.sweep.grid import Variant

if TYPE_CHECKING:
    from alvh.config import Rules
    from alvh.engine import MarketPaths

#: Most variants per engine call by default (:func:`alvh.sweep.runner.auto_chunk`): bounds a task's memory
#: (about 10 MB per variant on 2006-2025, measured: peak RSS 1.58 GB for 100 variants, 0.62 GB of it the
#: market) while amortising the engine's per-call cost (about 1.3 s of CPU per call on 2006-2025 whatever
#: the variants, then about 20 ms per variant and 25 ms of scoring; benchmarks/bench_sweep.py).
MAX_CHUNK = 250


@dataclass(frozen=True)
class DataRef:
    """Where a task's market comes from: an alvh store folder (None: the resolved default) and the span."""

    store: str | None
    start: str | None
    end: str | None


@dataclass(frozen=True)
class ChunkResult:
    """A chunk's rows (one per variant, in the chunk's order) and monthly series (variant x month)."""

    chunk_index: int
    rows: list[dict]
    monthly: pd.DataFrame
    #: process CPU seconds in the task: building the market (0 once the process has it), the engine, the
    #: scoring (not part of the results; benchmarks/bench_sweep.py)
    seconds: dict[str, float] = field(default_factory=dict, compare=False)


@lru_cache(maxsize=2)
def _market(ref: DataRef):  # noqa: ANN202 - (MarketData, MarketPaths); memo of immutable data per process
    from alvh.data import MarketData
    from alvh.data.source import resolve_data_source
    from alvh.engine import paths_from_market_data

    md = MarketData.from_store(Path(ref.store)) if ref.store else resolve_data_source().load()
    return md, paths_from_market_data(md, ref.start, ref.end)


def core_key(rules: Rules) -> str:
    """What a variant's standalone core depends on: its rules without the hedge layers and without the
    sections that only act on layers (rebalance between layers, the adaptive total weight, the analysis
    settings). Variants with the same key have the same standalone core NAV (one core-only pass for all)."""
    from alvh.engine.simulate import core_only_rules

    d = core_only_rules(rules).model_dump(mode="json")
    for section in ("rebalance", "adaptive", "analysis"):
        d.pop(section, None)
    return hashlib.sha256(json.dumps(d, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


#: standalone core NAVs computed in this process: {(data reference, core key): NAV (n_days,)}, a few cores
_CORE_NAVS: dict[tuple[DataRef, str], np.ndarray] = {}
_CORE_NAVS_MAX = 64


def standalone_core_navs(variants: Sequence[Variant], ref: DataRef, paths: MarketPaths) -> np.ndarray | None:
    """The standalone core's NAV (n_days, n_variants) of every variant (its core alone, sized on its own NAV:
    what ``alvh backtest`` compares core + layers with), one core-only pass
    (:func:`alvh.engine.simulate.core_alone_nav`) per distinct :func:`core_key` (memoized per process); None
    when a variant's core cannot be run alone (no hedge layer, a constant-maturity mix: the sweep then
    scores the core inside each variant's book, ``core_book = "inside"``)."""
    from alvh.engine.simulate import core_alone_nav, standalone_core_possible
    from alvh.strategy.costs import CostModel

    if not all(standalone_core_possible(v.rules) for v in variants):
        return None
    cols = []
    for v in variants:
        key = (ref, core_key(v.rules))
        if key not in _CORE_NAVS:
            if len(_CORE_NAVS) >= _CORE_NAVS_MAX:
                _CORE_NAVS.pop(next(iter(_CORE_NAVS)))
            nav = core_alone_nav(v.rules, paths, CostModel(v.rules.costs))[:, 0].copy()
            nav.flags.writeable = False
            _CORE_NAVS[key] = nav
        cols.append(_CORE_NAVS[key])
    return np.column_stack(cols)


def run_chunk(variants: tuple[Variant, ...], ref: DataRef, chunk_index: int) -> ChunkResult:
    """Run and score one chunk (module docstring); every variant must have the same kind."""
    from alvh.analytics.by_path import protection_by_path, result_hedge_cost, take_path
    from alvh.analytics.hedge_cost import BASES
    from alvh.engine import run_engine

    t0 = time.process_time()
    md, paths = _market(ref)
    t1 = time.process_time()
    rules = [v.rules for v in variants]
    res = run_engine(rules[0], paths.broadcast_paths(len(rules)), variants=rules)
    t2 = time.process_time()
    alone = standalone_core_navs(variants, ref, paths)
    t_core = time.process_time()
    hc_all = result_hedge_cost(res, md, core_alone_nav=alone)
    fired = np.bincount(res.rebalance_log["path"].to_numpy(dtype=int), minlength=len(rules))
    trades = np.bincount(res.trades["path"].to_numpy(dtype=int), minlength=len(rules))
    rows = []
    series = []
    for p, v in enumerate(variants):
        hc = take_path(hc_all, p)  # scored alone: the figures do not depend on the chunk (take_path)
        row: dict = {"variant": v.index, "label": v.label, "config_hash": v.config_hash}
        row.update({f"rules.{k}": val for k, val in v.overrides.items()})
        row.update({k: float(a[0]) for k, a in protection_by_path(hc).items()})
        row["trigger_firings"] = int(fired[p])
        row["n_trades"] = int(trades[p])
        row["final_nav"] = float(res.nav[-1, p])
        row["core_book"] = hc.core_book
        row["capital_basis"] = BASES[hc.basis]
        row["capital_usd"] = float(res.capital)
        row["data_start"] = str(res.dates[0].date())
        row["data_end"] = str(res.dates[-1].date())
        row["alvh_version"] = __version__
        rows.append(row)
        series.append(_monthly(hc, v.index))
    t3 = time.process_time()
    return ChunkResult(
        chunk_index=chunk_index,
        rows=rows,
        monthly=pd.concat(series, ignore_index=True),
        seconds={"market": t1 - t0, "engine": t2 - t1, "core_alone": t_core - t2, "scoring": t3 - t_core},
    )


def _monthly(hc: HedgeCost, variant: int) -> pd.DataFrame:
    """One path's calendar months: core alone (the standalone core when it was run) and core + layers in % of
    the initial capital, the hedge cost in bp of the basis (the walk-forward's inputs, alvh.sweep.walk)."""
    months, starts, counts = month_bounds(hc.dates)
    cap = hc.initial_capital
    core, hedged = core_and_hedged_usd(hc)
    lay = hc.total_usd.sum(axis=-1)[:, 0]
    return pd.DataFrame(
        {
            "variant": variant,
            "month": months.astype(str),
            "n_days": counts,
            "core_pct": np.add.reduceat(core[:, 0], starts) / cap * 100.0,
            "hedged_pct": np.add.reduceat(hedged[:, 0], starts) / cap * 100.0,
            "hedge_cost_bp": -np.add.reduceat(lay / hc.basis_usd[:, 0], starts) * 1e4,
        }
    )
