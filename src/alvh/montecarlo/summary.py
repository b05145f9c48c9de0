"""Reductions over paths: distributions, intervals, bands and exceedance probabilities of a simulated run.

Everything is computed from whole columns in path order (one column of every path at a time, read from
memory or from the run's Parquet tables), so the figures do not depend on how the paths were chunked:
means are numpy means of the full column, quantiles ``numpy.quantile`` (linear interpolation),
probabilities counts over paths. Intervals: a mean's 95% interval is ``mean +- 1.96 sd / sqrt(n)``
(normal approximation over independent paths); a probability's is Wilson's score interval.
Every bp is of the initial capital (fixed), stated in each block.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import pandas as pd

from alvh.analytics.hedge_cost import CORE_BOOKS, ES_LEVEL, TERMS
from alvh.analytics.paths_summary import BOOK_STATS, TRADE_REASONS

#: Quantiles reported for every distribution.
QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
#: Default thresholds (bp of the initial capital per month) of the exceedance probabilities.
DEFAULT_THRESHOLDS: tuple[float, ...] = (0.0, 10.0, 18.0, 35.0, 50.0, 100.0)
#: Normal quantile of a two-sided 95% interval.
Z95 = 1.959963984540054
#: Bytes of one read of the bands' cumulative cost (a batch of days; bounds memory on 100,000-path runs).
_READ_BYTES = 8 * 2**20


#: Groups of paths (consecutive path numbers) of the pooled ES's sectioning interval.
ES_SECTIONS = 20


def tail_count(n_months: int) -> int:
    """Months in a 95% expected shortfall over ``n_months`` monthly returns: ``ceil(0.05 n)``, at least 1
    (the formula of alvh.analytics.hedge_cost.what_it_buys and of each path's ES)."""
    return max(1, math.ceil(ES_LEVEL * n_months - 1e-12))


class PooledTail:
    """The run's 95% expected shortfall of monthly returns with every calendar month of every path pooled.

    One path of a year has 12 months, so its own ES95 averages ``ceil(0.6) = 1`` month: the worst month.
    Pooled over ``n_paths x n_months`` path-months the tail holds ``k = ceil(0.05 n_paths n_months)`` months.
    Fed chunk by chunk (any order), it keeps only the worst ``k`` months of each book, and the same for each
    of :data:`ES_SECTIONS` groups of consecutive paths (the interval: sectioning, ``ES +- 1.96 sd(group
    ES) / sqrt(groups)``, the groups' paths being independent). Sums are exact (``math.fsum`` of the sorted
    tail), so the figures do not depend on the chunking.
    """

    def __init__(self, n_paths: int, n_months: int) -> None:
        self.n_paths, self.n_months = int(n_paths), int(n_months)
        self.groups = ES_SECTIONS if self.n_paths >= 2 * ES_SECTIONS else 0
        # group g holds paths [edges[g], edges[g + 1]); the last entry is the whole run
        self.edges = np.array([self.n_paths * g // self.groups for g in range(self.groups + 1)] if self.groups else [])
        sizes = np.diff(self.edges).tolist() + [self.n_paths]
        self.k = [tail_count(n * self.n_months) for n in sizes]
        self.tail: list[list[np.ndarray]] = [[np.empty(0), np.empty(0)] for _ in sizes]
        self.seen = 0

    def _keep(self, j: int, values: np.ndarray) -> None:
        for b in range(2):
            x = np.concatenate([self.tail[j][b], values[..., b].ravel()])
            if x.size > self.k[j]:
                x = np.partition(x, self.k[j] - 1)[: self.k[j]]
            self.tail[j][b] = x

    def add(self, first: int, book_monthly_pct: np.ndarray) -> None:
        """The (n, n_months, 2) monthly returns of paths ``first .. first + n - 1`` (core alone, core + layers)."""
        n = book_monthly_pct.shape[0]
        self._keep(-1, book_monthly_pct)
        for g in range(self.groups):
            lo, hi = max(int(self.edges[g]), first), min(int(self.edges[g + 1]), first + n)
            if lo < hi:
                self._keep(g, book_monthly_pct[lo - first : hi - first])
        self.seen += n

    def _es(self, j: int, b: int) -> float:
        return math.fsum(np.sort(self.tail[j][b])[: self.k[j]].tolist()) / self.k[j]

    def block(self, cost_mean: float) -> dict:
        """The pooled ES of both books and its reduction, with n, the tail count and the sectioning interval."""
        if self.seen != self.n_paths:  # a bug upstream (every chunk is added once), never user input
            raise RuntimeError(f"pooled tail fed {self.seen} of {self.n_paths} paths")
        out: dict = {
            "definition": "95% expected shortfall of monthly returns over every calendar month of every path "
            "pooled: the mean of the worst k = ceil(0.05 x n_path_months) path-months, % of the initial capital",
            "n_path_months": self.n_paths * self.n_months,
            "tail_months": self.k[-1],
        }
        vals = {}
        for b, name in enumerate(("core_alone_pct", "core_plus_layers_pct")):
            vals[name] = [self._es(-1, b)] + [self._es(g, b) for g in range(self.groups)]
        vals["reduction_pp"] = [
            h - c for c, h in zip(vals["core_alone_pct"], vals["core_plus_layers_pct"], strict=True)
        ]
        for name, v in vals.items():
            ci = None
            if self.groups:
                half = Z95 * float(np.std(v[1:], ddof=1)) / math.sqrt(self.groups)
                ci = [v[0] - half, v[0] + half]
            out[name] = {"value": v[0], "ci95": ci}
        out["ci95_method"] = (
            f"sectioning: the same ES on {self.groups} groups of consecutive paths, value +- 1.96 sd / sqrt(groups)"
            if self.groups
            else f"n/a: needs {2 * ES_SECTIONS} or more paths"
        )
        red = out["reduction_pp"]["value"]
        out["cost_bp_per_month_per_pp_reduction"] = cost_mean / red if red > 0 else "n/a: ES not reduced"
        return out


class Tables(Protocol):
    """Where the per-path figures are read from (in memory or the run's Parquet files)."""

    layers: tuple[str, ...]
    dates: pd.DatetimeIndex
    months: pd.PeriodIndex
    n_paths: int
    pooled: PooledTail

    def column(self, name: str) -> np.ndarray: ...

    def columns(self, names: Sequence[str]) -> dict[str, np.ndarray]: ...

    def monthly_layer(self, layer: int) -> np.ndarray: ...

    def cumulative(self, days: Sequence[int]) -> np.ndarray: ...


def _q(name: float) -> str:
    return f"q{round(name * 100):02d}"


def describe(x: np.ndarray) -> dict[str, float | int | list[float] | None]:
    """n, mean with its 95% interval, sd, the :data:`QUANTILES`, min and max of ``x`` (NaN-free)."""
    x = np.ascontiguousarray(x, dtype=float)  # one memory layout: numpy's sums depend on it in the last bit
    n = int(x.size)
    if n == 0 or not np.isfinite(x).all():
        raise ValueError("describe needs finite values")  # a bug upstream, never user input
    mean = float(np.mean(x))
    sd = float(np.std(x, ddof=1)) if n > 1 else None
    half = Z95 * sd / math.sqrt(n) if sd is not None else None
    out: dict[str, float | int | list[float] | None] = {
        "n": n,
        "mean": mean,
        "ci95": [mean - half, mean + half] if half is not None else None,
        "sd": sd,
    }
    qs = np.quantile(x, QUANTILES)
    out.update({_q(q): float(v) for q, v in zip(QUANTILES, qs, strict=True)})
    out["min"], out["max"] = float(x.min()), float(x.max())
    return out


def wilson(k: int, n: int) -> list[float]:
    """Wilson score 95% interval of a proportion ``k / n``."""
    p = k / n
    den = 1.0 + Z95**2 / n
    mid = (p + Z95**2 / (2 * n)) / den
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / den
    return [max(0.0, mid - half), min(1.0, mid + half)]


def _prob(mask: np.ndarray) -> dict[str, object]:
    n, k = int(mask.size), int(np.count_nonzero(mask))
    return {"p": k / n, "ci95": wilson(k, n), "n": n}


def hedge_cost_block(t: Tables) -> dict:
    per_layer, split = {}, {}
    for la in t.layers + ("all",):
        cols = t.columns([f"cost_{la}_bp_per_month"] + [f"cost_{la}_{term}_bp_per_month" for term in TERMS])
        per_layer[la] = describe(cols[f"cost_{la}_bp_per_month"])
        split[la] = {term: float(np.mean(cols[f"cost_{la}_{term}_bp_per_month"])) for term in TERMS}
    return {
        "definition": "minus the layers' total P&L (marks + costs + their cash interest, the `financing` term); "
        "positive = the hedge cost money",
        "unit": "bp of the initial capital (fixed) per month; per path: run total / month-equivalents "
        "(trading days / 21)",
        "n_paths": t.n_paths,
        "n_months": len(t.months),
        "per_layer": per_layer,
        "split": split,
        "split_unit": "mean over paths of each term, bp of the initial capital per month; terms sum to the total",
    }


def bought_block(t: Tables, cost_mean: float, core_book: str = "standalone") -> dict:
    """Core alone against core + layers, per path, then over paths; ``core_book`` says which core the
    per-path ``core_*`` columns are (:data:`alvh.analytics.hedge_cost.CORE_BOOKS`)."""
    books = {b: t.columns([f"{b}_{s}" for s in BOOK_STATS]) for b in ("core", "hedged")}
    books = {b: {s: cols[f"{b}_{s}"] for s in BOOK_STATS} for b, cols in books.items()}
    n_m = len(t.months)
    k = tail_count(n_m)
    out: dict = {
        "unit": "% of the initial capital (fixed); monthly = calendar-month sums of daily P&L",
        "core_book": core_book,
        "core_definition": CORE_BOOKS[core_book],
        "es95_per_path": f"each path's es95_monthly_pct averages its worst ceil(0.05 x {n_m}) = {k} of {n_m} "
        "months" + (": with so few months it is the path's worst month (see pooled_es95)" if k == 1 else ""),
        "pooled_es95": t.pooled.block(cost_mean),
        "core_alone": {s: _finite(v) for s, v in books["core"].items()},
        "core_plus_layers": {s: _finite(v) for s, v in books["hedged"].items()},
    }
    # drawdowns, worst months and ES are negative: hedged - core > 0 means the hedge reduced the loss
    red: dict = {}
    for s in ("worst_month_pct", "es95_monthly_pct", "max_drawdown_pct"):
        d = books["hedged"][s] - books["core"][s]
        red[s.replace("_pct", "_reduction_pp")] = {**describe(d), "share_of_paths_reduced": _prob(d > 0)}
    out["reduction"] = red
    es = red["es95_monthly_reduction_pp"]["mean"]
    dd = red["max_drawdown_reduction_pp"]["mean"]
    out["cost_bp_per_month_per_pp_es95_reduction"] = cost_mean / es if es > 0 else "n/a: ES not reduced on average"
    out["cost_bp_per_month_per_pp_drawdown_reduction"] = (
        cost_mean / dd if dd > 0 else "n/a: drawdown not reduced on average"
    )
    return out


def _finite(x: np.ndarray) -> dict | str:
    ok = np.isfinite(x)
    if not ok.any():
        return "n/a: needs two or more months"
    return describe(x[ok]) if ok.all() else {**describe(x[ok]), "n_undefined": int((~ok).sum())}


def monthly_and_exceedance(t: Tables, thresholds: Sequence[float]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per layer: the distribution over paths of each calendar month's hedge cost (and of all months
    pooled), and P(cost > threshold) of a path's run cost per month and of a single calendar month."""
    rows, ex = [], []
    for j, la in enumerate(t.layers + ("all",)):
        x = np.ascontiguousarray(t.monthly_layer(j))  # (n_paths, n_months)
        for m, month in enumerate(t.months):
            rows.append({"month": str(month), "layer": la, **_flat(describe(x[:, m]))})
        pooled = x.ravel()
        rows.append({"month": "all", "layer": la, **_flat(describe(pooled))})
        run = t.column(f"cost_{la}_bp_per_month")
        for what, v in (("run_per_month", run), ("single_month", pooled)):
            for th in thresholds:
                n, k = int(v.size), int(np.count_nonzero(v > th))
                lo, hi = wilson(k, n)
                ex.append((la, what, float(th), n, k / n, lo, hi))
    exceed = pd.DataFrame(ex, columns=["layer", "measure", "threshold_bp", "n", "probability", "ci95_lo", "ci95_hi"])
    return pd.DataFrame(rows), exceed


def _flat(d: dict) -> dict:
    ci = d.pop("ci95")
    d["ci95_lo"], d["ci95_hi"] = ci if ci is not None else (None, None)
    return d


def bands_frame(t: Tables) -> pd.DataFrame:
    """Percentile bands (and mean) over paths of the cumulative hedge cost of all layers at each close."""
    n_days = len(t.dates)
    out = np.empty((n_days, len(QUANTILES) + 1))
    batch = max(1, _READ_BYTES // (8 * t.n_paths))
    for d0 in range(0, n_days, batch):
        days = list(range(d0, min(n_days, d0 + batch)))
        x = np.ascontiguousarray(t.cumulative(days))  # (n_paths, len(days)), C order whatever the source
        out[d0 : d0 + len(days), :-1] = np.quantile(x, QUANTILES, axis=0).T
        out[d0 : d0 + len(days), -1] = np.mean(x, axis=0)
    frame = pd.DataFrame(out, columns=[_q(q) for q in QUANTILES] + ["mean"], index=pd.Index(t.dates, name="date"))
    frame.insert(0, "n_paths", t.n_paths)
    return frame


def triggers_block(t: Tables) -> dict:
    reb = t.column("rebalance_firings")
    return {
        "unit": "firings per path over the run",
        "rebalance_firings": {**describe(reb), "share_of_paths_with_any": _prob(reb > 0)},
        "trades": {r: describe(t.column(f"trades_{r}"))["mean"] for r in TRADE_REASONS},
        "trades_unit": "mean trades per path by reason",
    }


def summarize(
    t: Tables, thresholds: Sequence[float] = DEFAULT_THRESHOLDS, *, core_book: str = "standalone"
) -> tuple[dict, dict[str, pd.DataFrame]]:
    """The run's summary (JSON-ready) and its tables: bands, monthly distributions, exceedance
    (``core_book``: the core of "what it bought", :func:`bought_block`)."""
    cost = hedge_cost_block(t)
    bands = bands_frame(t)
    monthly, exceed = monthly_and_exceedance(t, thresholds)
    month_end = bands.groupby(bands.index.to_period("M")).tail(1)
    summary = {
        "hedge_cost": cost,
        "what_it_bought": bought_block(t, float(cost["per_layer"]["all"]["mean"]), core_book),
        "exceedance": {
            "unit": "probability that the hedge cost of all layers or of a layer exceeds the threshold (bp of "
            "the initial capital per month); 95% Wilson interval",
            "run_per_month": _exceed_dict(exceed, "run_per_month"),
            "single_month": _exceed_dict(exceed, "single_month"),
        },
        "monthly_cost_all_months": {
            "unit": "bp of the initial capital; every calendar month of every path pooled",
            **{
                r["layer"]: {k: r[k] for k in ("n", "mean", "sd", "q05", "q50", "q95")}
                for _, r in monthly[monthly["month"] == "all"].iterrows()
            },
        },
        "cumulative_cost_bands": {
            "unit": "cumulative hedge cost of all layers, bp of the initial capital, at each month's last close",
            "n_paths": t.n_paths,
            "at_month_ends": [
                {"date": str(i.date()), **{c: float(r[c]) for c in bands.columns[1:]}} for i, r in month_end.iterrows()
            ],
        },
        "triggers": triggers_block(t),
    }
    return summary, {"bands": bands, "monthly": monthly, "exceedance": exceed}


def _exceed_dict(frame: pd.DataFrame, measure: str) -> dict:
    sub = frame[frame["measure"] == measure]
    return {
        la: {f"{r.threshold_bp:g}": {"p": r.probability, "ci95": [r.ci95_lo, r.ci95_hi]} for r in g.itertuples()}
        for la, g in sub.groupby("layer", sort=False)
    }
