"""Walk-forward: choose the best variant on a training window, apply it to the next window, roll forward.

Every variant ran once over the whole span (its rules applied continuously, as a trader would); the
windows cut its calendar-month series (:func:`alvh.sweep.batch.run_chunk`'s monthly table: core alone and
core + layers in % of the initial capital, the hedge cost in bp). In each step the training window's
``train_months`` months choose the variant with the best criterion; the next ``test_months`` months
score that choice out of sample, beside the reference variant (4/4/2) and the best variant in hindsight.

Criteria (higher is better):

* ``es95``: the 95% expected shortfall of core + layers' monthly returns (the mean of the worst
  ``ceil(5% x n)`` months, :func:`alvh.analytics.hedge_cost.expected_shortfall`), ties to the lower cost;
* ``mean``: the mean monthly return of core + layers (the hedge's cost and what it paid, together).

A choice that only fits its training window shows as an out-of-sample figure below the in-sample one
and no better than the reference's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alvh.analytics.hedge_cost import block_bootstrap_mean, expected_shortfall
from alvh.errors import InputError

#: The unit of every criterion figure (in-sample, out-of-sample, the reference's, the best in hindsight).
UNIT = "% of the initial capital per month (core + layers' monthly returns)"

CRITERIA: dict[str, str] = {
    "es95": "95% expected shortfall of core + layers' monthly returns (% of initial capital), higher is better",
    "mean": "mean monthly return of core + layers (% of initial capital), higher is better",
}


def _score(m: pd.DataFrame, criterion: str) -> pd.Series:
    """Criterion per variant over the months in ``m`` (variant x month rows)."""
    wide = m.pivot(index="month", columns="variant", values="hedged_pct")
    x = wide.to_numpy(dtype=float)
    val = expected_shortfall(x) if criterion == "es95" else x.mean(axis=0)
    return pd.Series(val, index=wide.columns)


def walk_forward(
    monthly: pd.DataFrame,
    reference: int | None,
    *,
    train_months: int = 60,
    test_months: int = 12,
    criterion: str = "es95",
) -> tuple[pd.DataFrame, dict]:
    """The walk-forward steps (one row per window) and a summary of in-sample against out-of-sample."""
    if criterion not in CRITERIA:
        raise InputError(f"{criterion!r}", argument="criterion", expected=f"one of {sorted(CRITERIA)}")
    months = sorted(monthly["month"].unique())
    if train_months < 12 or test_months < 1 or len(months) < train_months + test_months:
        raise InputError(
            f"{len(months)} months for a {train_months}-month training and {test_months}-month test window",
            argument="train_months",
            expected="train_months >= 12 and a span of at least train_months + test_months months",
        )
    steps = []
    for s in range(0, len(months) - train_months - test_months + 1, test_months):
        train = months[s : s + train_months]
        test = months[s + train_months : s + train_months + test_months]
        tr = monthly[monthly["month"].isin(train)]
        te = monthly[monthly["month"].isin(test)]
        is_score = _score(tr, criterion)
        tr_cost = tr.groupby("variant")["hedge_cost_bp"].mean()
        # best criterion, ties to the lower training cost, then the lower variant number (deterministic)
        order = sorted(is_score.index, key=lambda v: (-is_score[v], tr_cost[v], v))
        chosen = order[0]
        oos = _score(te, criterion)
        te_cost = te.groupby("variant")["hedge_cost_bp"].mean()
        steps.append(
            {
                "train_start": train[0],
                "train_end": train[-1],
                "n_train_months": len(train),
                "test_start": test[0],
                "test_end": test[-1],
                "n_test_months": len(test),
                "chosen_variant": int(chosen),
                "in_sample": float(is_score[chosen]),
                "out_of_sample": float(oos[chosen]),
                "chosen_test_cost_bp_per_month": float(te_cost[chosen]),
                "reference_in_sample": float(is_score[reference]) if reference is not None else np.nan,
                "reference_out_of_sample": float(oos[reference]) if reference is not None else np.nan,
                "best_in_hindsight_out_of_sample": float(oos.max()),
                "chosen_oos_rank": int((oos > oos[chosen]).sum()) + 1,
            }
        )
    table = pd.DataFrame(steps)
    table["unit"] = UNIT
    summary = {
        "criterion": criterion,
        "criterion_words": CRITERIA[criterion],
        "train_months": train_months,
        "test_months": test_months,
        "n_windows": len(table),
        "n_variants": int(monthly["variant"].nunique()),
        "unit": UNIT,
        "interval": "95% circular moving-block bootstrap over the windows (alvh.analytics.hedge_cost."
        "block_bootstrap_mean): blocks of 1 window out of sample (the test windows are disjoint), of "
        "ceil(train / test) windows in sample (the training windows overlap); NaN with too few windows",
        "mean_in_sample": float(table["in_sample"].mean()),
        "mean_out_of_sample": float(table["out_of_sample"].mean()),
        "mean_reference_out_of_sample": float(table["reference_out_of_sample"].mean()),
        "windows_chosen_beats_reference_oos": int((table["out_of_sample"] > table["reference_out_of_sample"]).sum()),
        "mean_chosen_oos_rank": float(table["chosen_oos_rank"].mean()),
        "distinct_choices": int(table["chosen_variant"].nunique()),
    }
    overlap = -(-train_months // test_months)
    diff = (table["out_of_sample"] - table["reference_out_of_sample"]).to_numpy(dtype=float)
    for name, x, block in (
        ("in_sample", table["in_sample"].to_numpy(dtype=float), overlap),
        ("out_of_sample", table["out_of_sample"].to_numpy(dtype=float), 1),
        ("reference_out_of_sample", table["reference_out_of_sample"].to_numpy(dtype=float), 1),
        ("chosen_minus_reference_out_of_sample", diff, 1),
    ):
        m, lo, hi = block_bootstrap_mean(x, block=block) if np.isfinite(x).all() else (np.nan, np.nan, np.nan)
        summary[f"{name}_ci95"] = [lo, hi]
        if name == "chosen_minus_reference_out_of_sample":
            summary[f"mean_{name}"] = m
    return table, summary
