"""The cost-versus-protection frontier of a sweep and where a reference variant (4/4/2) sits on it.

A variant is on the frontier when no other variant both costs no more (hedge cost, bp of the initial
capital per month) and protects at least as much (the reduction of the 95% expected shortfall of
monthly returns, or of the maximum drawdown, in percentage points of the initial capital, against the
core alone in the same run), with one of the two strictly better. Ties on both count as not beaten.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COST = "hedge_cost_bp_per_month"
#: Protection measures: column -> words.
PROTECTION: dict[str, str] = {
    "es95_reduction_pp": "reduction of the 95% expected shortfall of monthly returns (pp of initial capital)",
    "max_drawdown_reduction_pp": "reduction of the maximum drawdown (pp of initial capital)",
}


def on_frontier(table: pd.DataFrame, protection: str = "es95_reduction_pp", cost: str = COST) -> np.ndarray:
    """Boolean per row: not beaten on both cost (lower is better) and protection (higher is better)."""
    c = table[cost].to_numpy(dtype=float)
    p = table[protection].to_numpy(dtype=float)
    le = c[None, :] <= c[:, None]  # [i, j]: j costs no more than i
    ge = p[None, :] >= p[:, None]
    strict = (c[None, :] < c[:, None]) | (p[None, :] > p[:, None])
    beaten = (le & ge & strict).any(axis=1)
    return ~beaten


#: Units of the frontier table's columns (frontier.csv's companion, summary.json "units").
UNITS: dict[str, str] = {
    COST: "bp of the initial capital (fixed) per month",
    "es95_reduction_pp": "percentage points of the initial capital (core + layers minus core alone)",
    "max_drawdown_reduction_pp": "percentage points of the initial capital (core + layers minus core alone)",
    "trigger_firings": "count over the run (Monte Carlo: mean per path)",
    "n_months": "calendar months of the run",
    "n_paths": "simulated paths (Monte Carlo sweeps)",
    "cost_vs_reference_bp_per_month": "the variant's hedge cost minus the reference's, bp of the initial capital/month",
    "es95_reduction_vs_reference_pp": "the variant's ES95 reduction minus the reference's, pp of the initial capital",
}
#: Interval columns a table may carry beside each figure (``<figure>_ci95_lo`` / ``_ci95_hi``).
_CI = ("_ci95_lo", "_ci95_hi")


def frontier_table(table: pd.DataFrame, protection: str = "es95_reduction_pp") -> pd.DataFrame:
    """The frontier's variants sorted by cost: label, cost, protection, the other measure, trigger firings,
    with each figure's 95% interval where the table has one, n (months; paths for Monte Carlo)."""
    keep = on_frontier(table, protection)
    cols = ["variant", "label"]
    for c in (COST, *PROTECTION):
        cols += [c, c + _CI[0], c + _CI[1]]
    for c in ("cost_vs_reference_bp_per_month", "es95_reduction_vs_reference_pp"):
        cols += [c, c + _CI[0], c + _CI[1]]
    cols += ["trigger_firings", "n_months", "n_paths"]
    return table.loc[keep, [c for c in cols if c in table.columns]].sort_values(COST).reset_index(drop=True)


def month_block_intervals(monthly: pd.DataFrame, variants: list[int], reference: int | None = None) -> pd.DataFrame:
    """95% intervals over one history for ``variants``: the hedge cost (the mean of its monthly bp) and the
    ES95 reduction (ES of core + layers' monthly returns minus the core's; the cost per month-equivalent,
    trading days / 21, as every bp/month of a run total), from the project's circular
    moving-block bootstrap of calendar months (:func:`alvh.analytics.hedge_cost.block_bootstrap_mean`: blocks
    of 3 months, 4,000 resamples, a fixed seed), the same resampled months for every figure. With a
    ``reference`` variant also each variant minus the reference on the same resampled months (paired: the
    months both lived through cancel): ``cost_vs_reference_bp_per_month`` and
    ``es95_reduction_vs_reference_pp`` with their intervals. One row per variant: ``variant``, ``n_months``
    and the ``*_ci95_lo/hi`` columns (NaN with fewer than two blocks)."""
    from alvh.analytics.hedge_cost import (
        block_bootstrap_indices,
        block_bootstrap_mean,
        expected_shortfall,
        month_equivalents,
    )

    def series(v: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        m = monthly[monthly["variant"] == v].sort_values("month")
        # a bp/month figure is the run total over month-equivalents (trading days / 21), as the row's cost:
        # the mean over calendar months times (months / month-equivalents) is that, so the bootstrap of the
        # monthly mean is rescaled the same way (a month's own cost stays what it was)
        scale = len(m) / month_equivalents(int(m["n_days"].sum())) if len(m) else 1.0
        return (
            m["month"].to_numpy(),
            m["hedge_cost_bp"].to_numpy(dtype=float) * scale,
            m["core_pct"].to_numpy(dtype=float),
            m["hedged_pct"].to_numpy(dtype=float),
        )

    def q(x: np.ndarray) -> tuple[float, float]:
        lo, hi = np.quantile(x, [0.025, 0.975])
        return float(lo), float(hi)

    ref = series(reference) if reference is not None else None
    rows = []
    for v in variants:
        months, cost, core, hedged = series(v)
        _, lo, hi = block_bootstrap_mean(cost)
        idx = block_bootstrap_indices(len(months))
        row: dict = {"variant": v, "n_months": len(months), f"{COST}_ci95_lo": lo, f"{COST}_ci95_hi": hi}
        nan = (float("nan"), float("nan"))
        red_b = expected_shortfall(hedged[idx].T) - expected_shortfall(core[idx].T) if idx is not None else None
        row["es95_reduction_pp_ci95_lo"], row["es95_reduction_pp_ci95_hi"] = q(red_b) if red_b is not None else nan
        if ref is not None:
            if not np.array_equal(ref[0], months):
                raise ValueError("the reference and the variant span different months")  # a bug upstream
            d_cost = cost - ref[1]
            _, lo, hi = block_bootstrap_mean(d_cost)
            row["cost_vs_reference_bp_per_month"] = float(d_cost.mean())
            row["cost_vs_reference_bp_per_month_ci95_lo"], row["cost_vs_reference_bp_per_month_ci95_hi"] = lo, hi
            ref_red = expected_shortfall(ref[3]) - expected_shortfall(ref[2])
            red = expected_shortfall(hedged) - expected_shortfall(core)
            row["es95_reduction_vs_reference_pp"] = float(red - ref_red)
            if red_b is not None and idx is not None:
                ref_b = expected_shortfall(ref[3][idx].T) - expected_shortfall(ref[2][idx].T)
                lo, hi = q(red_b - ref_b)
            else:
                lo, hi = nan
            row["es95_reduction_vs_reference_pp_ci95_lo"], row["es95_reduction_vs_reference_pp_ci95_hi"] = lo, hi
        rows.append(row)
    return pd.DataFrame(rows)


def locate(table: pd.DataFrame, config_hash: str, protection: str = "es95_reduction_pp") -> dict:
    """Where the variant with ``config_hash`` sits: its figures, whether it is on the frontier, the frontier
    variants that beat it (no more cost and more protection, or less cost and as much), and its rank."""
    hit = table.index[table["config_hash"] == config_hash]
    if len(hit) == 0:
        return {"found": False}
    i = int(hit[0])
    c, p = float(table.at[i, COST]), float(table.at[i, protection])
    front = on_frontier(table, protection)
    cc, pp = table[COST].to_numpy(dtype=float), table[protection].to_numpy(dtype=float)
    beats = front & (cc <= c) & (pp >= p) & ((cc < c) | (pp > p))
    better = table.loc[beats, ["label", COST, protection]].sort_values(protection, ascending=False)
    return {
        "found": True,
        "label": str(table.at[i, "label"]),
        "cost_bp_per_month": c,
        "protection": p,
        "protection_measure": PROTECTION[protection],
        "on_frontier": bool(front[i]),
        "n_variants": len(table),
        "n_frontier": int(front.sum()),
        "rank_by_protection": int((pp > p).sum()) + 1,
        "rank_by_cost": int((cc < c).sum()) + 1,
        "beaten_by": better.head(5).to_dict(orient="records"),
    }
