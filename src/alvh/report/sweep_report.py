"""The report of a sweep (``alvh sweep``): the cost-versus-protection frontier, where 4/4/2 sits, the walk-forward.

Built from the :class:`~alvh.sweep.study.SweepResult` (the variants' table, the frontier table with its n
and 95% intervals, the reference's place, the walk-forward windows and summary); nothing is recomputed.
Charts: every variant's hedge cost (bp of the initial capital per month) against its protection (the ES95
reduction, and the maximum-drawdown reduction, in pp of the initial capital against the core alone), the
frontier drawn through its variants, the reference (the base rules, 4/4/2 by default) and the core alone
marked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from alvh.analytics.text import fmt
from alvh.report.model import Chart, Code, Report, Section, Series, Table, clean_floats

if TYPE_CHECKING:
    from alvh.sweep.study import SweepResult

__all__ = ["sweep_report"]

COST = "hedge_cost_bp_per_month"
#: Protection measure column -> (chart id, axis title).
MEASURES: dict[str, tuple[str, str]] = {
    "es95_reduction_pp": ("frontier", "ES95 reduction (pp of the initial capital)"),
    "max_drawdown_reduction_pp": ("frontier_drawdown", "max drawdown reduction (pp of the initial capital)"),
}


def _ci(r: dict, col: str, nd: int) -> str:
    lo, hi = r.get(f"{col}_ci95_lo"), r.get(f"{col}_ci95_hi")
    return f"[{fmt(lo, nd)}, {fmt(hi, nd)}]"


def _scatter(res: SweepResult, measure: str) -> Chart:
    from alvh.sweep.frontier import on_frontier

    t = res.table
    chart_id, y_title = MEASURES[measure]
    front = t[on_frontier(t, measure)].sort_values([COST, measure])
    ref_hash = res.metadata.get("reference_config_hash")
    ref = t[t["config_hash"] == ref_hash]
    core = t[t["label"].astype(str).str.startswith("core alone")]
    series = [
        Series(
            f"all variants (n={len(t)})",
            clean_floats(t[COST]),
            clean_floats(t[measure]),
            "markers",
            color="#9e9e9e",
            text=t["label"].astype(str).tolist(),
        ),
        Series(
            f"frontier ({len(front)} variants)",
            clean_floats(front[COST]),
            clean_floats(front[measure]),
            "line",
            color="#1f77b4",
            text=front["label"].astype(str).tolist(),
        ),
    ]
    if len(ref):
        name = str(ref["label"].iloc[0])
        series.append(
            Series(
                f"reference: the base rules ({res.metadata.get('reference_split')})",
                clean_floats(ref[COST]),
                clean_floats(ref[measure]),
                "markers",
                color="#d62728",
                text=[name],
            )
        )
    if len(core):
        series.append(
            Series("core alone", clean_floats(core[COST]), clean_floats(core[measure]), "markers", color="#2ca02c")
        )
    mc = res.monte_carlo
    n = f"means over {res.metadata.get('n_paths')} paths" if mc else f"n = {res.metadata.get('n_months')} months"
    return Chart(
        chart_id,
        "Hedge cost against protection, every variant "
        + (f"(Monte Carlo, {res.metadata.get('scenario')})" if mc else "(one history)"),
        series,
        panels=[y_title],
        x_kind="number",
        x_title="hedge cost (bp of the initial capital per month)",
        hlines=[(0.0, "core alone", 0)],
        note=f"variants.parquet; {n}; up = more protection against the core alone in the same run, left = cheaper; "
        "the frontier joins the variants no other beats on both.",
    )


def _frontier_table(res: SweepResult) -> Table:
    rows = []
    n_col = "n_paths" if res.monte_carlo else "n_months"
    paired = "cost_vs_reference_bp_per_month" in res.frontier.columns
    same = "the same paths, path by path" if res.monte_carlo else "the same resampled months"
    for r in res.frontier.to_dict(orient="records"):
        row = [
            str(r["label"]),
            fmt(r[COST], 2),
            _ci(r, COST, 2),
            fmt(r["es95_reduction_pp"], 3),
            _ci(r, "es95_reduction_pp", 3),
            fmt(r.get("max_drawdown_reduction_pp"), 2),
        ]
        if paired:
            for col, nd in (("cost_vs_reference_bp_per_month", 2), ("es95_reduction_vs_reference_pp", 3)):
                row.append(f"{fmt(r.get(col), nd)} {_ci(r, col, nd)}")
        row += [fmt(r.get("trigger_firings"), 1 if res.monte_carlo else 0), str(r.get(n_col, "n/a"))]
        rows.append(row)
    cols = ["variant", "cost (bp/month)", "95% CI", "ES95 reduction (pp)", "95% CI", "max drawdown reduction (pp)"]
    if paired:
        cols += ["cost minus reference (bp/month) [95% CI]", "ES95 reduction minus reference (pp) [95% CI]"]
    cols += ["trigger firings", "n (paths)" if res.monte_carlo else "n (months)"]
    return Table(
        "frontier_table",
        "The frontier (ES95 reduction): variants not beaten on both cost and protection, by cost",
        cols,
        rows,
        note=f"frontier.parquet / frontier.csv. Cost: bp of the initial capital (fixed) per month; reductions: pp of "
        f"the initial capital, core + layers minus the core alone. Intervals: {res.interval_words()}"
        + (f"; minus reference: paired, the variant and the reference on {same}." if paired else "."),
    )


def _reference_text(res: SweepResult) -> str:
    ref = res.reference
    if not ref.get("found"):
        return "The reference rules (the base rules) are not on the grid."
    beaten = ", ".join(
        f"{b['label']} ({fmt(b[COST], 2)} bp, {fmt(b.get('es95_reduction_pp'), 3)} pp)"
        for b in ref.get("beaten_by", [])
    )
    return (
        f"Reference ({ref['label']}): cost {fmt(ref['cost_bp_per_month'], 2)} bp/month "
        f"{_ci(ref, 'cost_bp_per_month', 2)}, ES95 reduction {fmt(ref['protection'], 3)} pp "
        f"{_ci(ref, 'protection', 3)}; {'on' if ref['on_frontier'] else 'not on'} the frontier; rank "
        f"{ref['rank_by_protection']} of {ref['n_variants']} by protection and {ref['rank_by_cost']} by cost"
        + (f"; beaten on both by {beaten}." if beaten else ".")
    )


def _walk(res: SweepResult) -> list[Chart | Table | Code | str]:
    if res.monte_carlo:
        return ["No walk-forward on simulated paths: they are independent draws, not one history to roll through."]
    w, s = res.walk, res.walk_summary
    if not s:
        return ["No walk-forward: the span is shorter than one training plus one test window."]
    label = dict(zip(res.table["variant"], res.table["label"].astype(str), strict=True))
    rows = [
        [
            f"{r['train_start']}..{r['train_end']} ({r['n_train_months']})",
            f"{r['test_start']}..{r['test_end']} ({r['n_test_months']})",
            label.get(int(r["chosen_variant"]), str(r["chosen_variant"])),
            fmt(r["in_sample"], 3),
            fmt(r["out_of_sample"], 3),
            fmt(r["reference_out_of_sample"], 3),
            fmt(r["best_in_hindsight_out_of_sample"], 3),
            str(int(r["chosen_oos_rank"])),
        ]
        for r in w.to_dict(orient="records")
    ]

    def ci(name: str) -> str:
        c = s.get(f"{name}_ci95") or [None, None]
        return f"[{fmt(c[0], 3)}, {fmt(c[1], 3)}]"

    text = (
        f"Criterion {s['criterion']} ({s['criterion_words']}); {s['train_months']}-month training, "
        f"{s['test_months']}-month test, n = {s['n_windows']} windows, {s['n_variants']} variants. Means over the "
        f"windows, % of the initial capital per month: in-sample {fmt(s['mean_in_sample'], 3)} {ci('in_sample')}, "
        f"out-of-sample {fmt(s['mean_out_of_sample'], 3)} {ci('out_of_sample')}, the reference out of sample "
        f"{fmt(s['mean_reference_out_of_sample'], 3)} {ci('reference_out_of_sample')}; chosen minus reference "
        f"{fmt(s.get('mean_chosen_minus_reference_out_of_sample'), 3)} {ci('chosen_minus_reference_out_of_sample')}. "
        f"The choice beat the reference in {s['windows_chosen_beats_reference_oos']} of {s['n_windows']} windows; "
        f"its out-of-sample rank averaged {fmt(s['mean_chosen_oos_rank'], 1)} of {s['n_variants']}; "
        f"{s['distinct_choices']} distinct choices. Intervals: {s['interval']}."
    )
    table = Table(
        "walk_forward",
        "Walk-forward windows: the training window's best variant, scored on the next window",
        [
            "training (months)",
            "test (months)",
            "chosen",
            "in-sample",
            "out-of-sample",
            "reference out-of-sample",
            "best in hindsight",
            "chosen's rank out of sample",
        ],
        rows,
        note=f"walk_forward.parquet / .csv; every criterion figure in {s['unit']}; rank 1 = best of {s['n_variants']}.",
    )
    return [text, table]


def sweep_report(res: SweepResult, *, rules_text: str, grid_text: str, command: str) -> Report:
    """The report of a sweep (module docstring)."""
    md: dict[str, Any] = res.metadata
    mc = res.monte_carlo
    secs = [
        Section(
            "Cost against protection: the frontier",
            [_scatter(res, "es95_reduction_pp"), _reference_text(res), _frontier_table(res)],
        ),
        Section("Against the maximum drawdown", [_scatter(res, "max_drawdown_reduction_pp")]),
        Section("Walk-forward: in-sample against out-of-sample", _walk(res)),
        Section("Summary", [Code(res.summary())]),
        Section("The grid", [Code(grid_text)]),
    ]
    meta = {
        "alvh version": md.get("alvh_version"),
        "base config hash": md.get("base_config_hash"),
        "variants": len(res.table),
        "span": f"{md.get('data_start')} .. {md.get('data_end')} ({md.get('n_months')} months)",
        "capital basis": md.get("capital_basis"),
        "reproduce": command,
        "rules_text": rules_text,
    }
    if mc:
        model = md.get("model", {})
        meta |= {
            "scenario": md.get("scenario"),
            "seed": md.get("seed"),
            "paths x days": f"{md.get('n_paths')} x {md.get('n_days')}",
            "model params hash": model.get("params_hash") if isinstance(model, dict) else None,
        }
    else:
        meta["data store"] = md.get("data_store")
    ref = res.reference
    headline: dict[str, float | int | None] = {"variants": len(res.table), "frontier variants": len(res.frontier)}
    if ref.get("found"):
        headline["reference hedge cost (bp/month)"] = float(ref["cost_bp_per_month"])
        headline["reference ES95 reduction (pp)"] = float(ref["protection"])
    title = f"alvh sweep: {len(res.table)} variants " + (
        f"on {md.get('n_paths')} simulated paths" if mc else f"on {md.get('data_start')}..{md.get('data_end')}"
    )
    return Report(title, "sweep", meta, secs, headline)
