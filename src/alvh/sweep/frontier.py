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


def frontier_table(table: pd.DataFrame, protection: str = "es95_reduction_pp") -> pd.DataFrame:
    """The frontier's variants sorted by cost: label, cost, protection, the other measure, trigger firings."""
    keep = on_frontier(table, protection)
    cols = ["variant", "label", COST, *PROTECTION, "trigger_firings"]
    return table.loc[keep, [c for c in cols if c in table.columns]].sort_values(COST).reset_index(drop=True)


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
