"""The report of a simulated run (``alvh simulate``): fan chart, monthly cost histograms, effectiveness.

Built from the :class:`~alvh.montecarlo.result.SimulationResult` (cost bands per day, monthly distribution,
exceedance, ``summary_dict()``), its per-path table (``to_frame()``: one row per path) and the per-path
monthly costs the run streamed (``monthly_cost.parquet``: one row per path, ``MONTH|layer`` columns).
Nothing is recomputed but the histogram bin counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from alvh.analytics.hedge_cost import CORE_BOOKS
from alvh.analytics.text import fmt
from alvh.report.model import Chart, Code, Report, Section, Series, Table, clean_floats

if TYPE_CHECKING:
    from alvh.montecarlo.result import SimulationResult

__all__ = ["histogram_series", "simulation_report"]

N_BINS = 40


def histogram_series(name: str, values: np.ndarray, edges: np.ndarray, color: str | None = None) -> Series:
    """A bar series of the share of ``values`` (finite ones) in each bin of ``edges``, x = bin centres."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    counts, _ = np.histogram(v, bins=edges)
    share = counts / max(len(v), 1) * 100.0
    centres = (edges[:-1] + edges[1:]) / 2.0
    return Series(name, clean_floats(centres), clean_floats(share), "bar", color=color)


def _edges(arrays: list[np.ndarray]) -> np.ndarray:
    v = np.concatenate([a[np.isfinite(a)] for a in arrays]) if arrays else np.array([])
    if v.size == 0 or v.min() == v.max():
        c = float(v[0]) if v.size else 0.0
        return np.linspace(c - 1.0, c + 1.0, N_BINS + 1)
    return np.linspace(float(v.min()), float(v.max()), N_BINS + 1)


def _fan(res: SimulationResult) -> Chart:
    b = res.bands
    x = np.datetime_as_string(np.asarray(pd.DatetimeIndex(b.index).values, dtype="datetime64[D]")).tolist()
    series = [
        Series("5th percentile", x, clean_floats(b["q05"]), color="#9ecae1"),
        Series("25th percentile", x, clean_floats(b["q25"]), color="#4292c6"),
        Series("median", x, clean_floats(b["q50"]), color="#08306b"),
        Series("75th percentile", x, clean_floats(b["q75"]), color="#4292c6"),
        Series("95th percentile", x, clean_floats(b["q95"]), color="#9ecae1"),
        Series("mean", x, clean_floats(b["mean"]), color="#d62728", dash=True),
    ]
    n = int(b["n_paths"].iloc[0]) if len(b) else 0
    return Chart(
        "fan",
        "Cumulative hedge cost of all layers over paths (bp of the initial capital)",
        series,
        panels=["cumulative hedge cost (bp)"],
        note=f"Percentiles over {n} paths on each day (cost_bands.parquet); rising = the hedge costs money.",
    )


def _monthly_hist(monthly_cost: pd.DataFrame, layers: list[str]) -> Chart:
    per = {
        layer: monthly_cost[[c for c in monthly_cost.columns if str(c).endswith(f"|{layer}")]].to_numpy(float).ravel()
        for layer in [*layers, "all"]
    }
    edges = _edges(list(per.values()))
    n = {k: int(np.isfinite(v).sum()) for k, v in per.items()}
    return Chart(
        "monthly_hist",
        "Monthly hedge cost per layer: every path's every calendar month (bp of the initial capital)",
        [histogram_series(f"{k} (n={n[k]})", v, edges) for k, v in per.items()],
        panels=["share of path-months (%)"],
        x_kind="number",
        x_title="hedge cost in a month (bp)",
        hbands=[],
        note="monthly_cost.parquet; n = paths x months per layer. The seed's 18-35 bp claim is a monthly mean.",
    )


def _effectiveness(paths: pd.DataFrame, core_book: str = "standalone") -> Chart:
    es = (paths["hedged_es95_monthly_pct"] - paths["core_es95_monthly_pct"]).to_numpy(float)
    dd = (paths["hedged_max_drawdown_pct"] - paths["core_max_drawdown_pct"]).to_numpy(float)
    wm = (paths["hedged_worst_month_pct"] - paths["core_worst_month_pct"]).to_numpy(float)
    edges = _edges([es, dd, wm])
    core = "the core's P&L inside the hedged book" if core_book == "inside" else "the core alone"
    return Chart(
        "effectiveness",
        f"Effectiveness per path: core + hedge minus {core} (percentage points; > 0 = the hedge helped)",
        [
            histogram_series("95% ES of a month", es, edges),
            histogram_series("max drawdown", dd, edges),
            histogram_series("worst month", wm, edges),
        ],
        panels=["share of paths (%)"],
        x_kind="number",
        x_title=f"hedged minus {core} (pp of the initial capital)",
        note=f"{len(paths)} paths (paths.parquet); the figures are negative percentages, so a positive difference "
        f"is a smaller loss with the hedge. The core: {CORE_BOOKS[core_book]}.",
    )


def _tables(res: SimulationResult) -> list[Table]:
    m = res.monthly[res.monthly["month"] == "all"]
    pooled = Table(
        "monthly_all",
        "A month's hedge cost, all months pooled",
        ["layer", "n", "mean", "95% CI", "sd", "q05", "q50", "q95"],
        [
            [
                str(r["layer"]),
                str(int(r["n"])),
                fmt(r["mean"], 2),
                f"[{fmt(r['ci95_lo'], 2)}, {fmt(r['ci95_hi'], 2)}]",
                fmt(r["sd"], 2),
                fmt(r["q05"], 1),
                fmt(r["q50"], 1),
                fmt(r["q95"], 1),
            ]
            for _, r in m.iterrows()
        ],
        note="bp of the initial capital per calendar month; n = paths x months (monthly_cost_distribution.parquet).",
    )
    ex = res.exceedance
    exc = Table(
        "exceedance",
        "Probability the hedge cost exceeds a threshold",
        ["layer", "measure", "threshold (bp/month)", "n", "probability", "95% CI"],
        [
            [
                str(r["layer"]),
                str(r["measure"]),
                fmt(r["threshold_bp"], 0),
                str(int(r["n"])),
                fmt(r["probability"], 3),
                f"[{fmt(r['ci95_lo'], 3)}, {fmt(r['ci95_hi'], 3)}]",
            ]
            for _, r in ex.iterrows()
        ],
        note="exceedance.parquet; n = paths (or path-months).",
    )
    return [pooled, exc]


def _model_note(model: dict[str, Any]) -> str:
    """Every figure of a simulated run is a model figure: say which model and that the options are model-priced."""
    gen = model.get("generator", "alvh.simulate")
    return (
        f"Simulated paths ({gen}; {model.get('params', 'parameters')}): SPX, VIX and the VX curve are drawn by the "
        "model, the SPX condors priced on alvh.market's smile driven by each path's VIX and the VX futures on the "
        "model curve; no option chain or settlement enters, so every figure here is a model figure "
        "(docs/simulation.md; the fit report docs/simulation_fit.md says how the model compares with history)."
    )


def simulation_report(
    res: SimulationResult, paths: pd.DataFrame, monthly_cost: pd.DataFrame, *, rules_text: str
) -> Report:
    """The report of a simulated run: ``paths`` = ``res.to_frame()``, ``monthly_cost`` = monthly_cost.parquet."""
    md: dict[str, Any] = res.metadata
    layers = [str(x) for x in md.get("layers", [])]
    secs = [
        Section("Cumulative hedge cost", [_fan(res)]),
        Section("Monthly hedge cost per layer", [_monthly_hist(monthly_cost, layers), *_tables(res)]),
        Section("What the hedge bought, path by path", [_effectiveness(paths, str(md.get("core_book", "inside")))]),
        Section("Summary", [Code(res.summary())]),
    ]
    model = md.get("model", {})
    secs.append(Section("Notes", [_model_note(model if isinstance(model, dict) else {})]))
    meta = {
        "alvh version": md.get("alvh_version"),
        "config hash": md.get("config_hash"),
        "model params hash": model.get("params_hash") if isinstance(model, dict) else None,
        "seed": md.get("seed"),
        "paths x days": f"{md.get('n_paths')} x {md.get('n_days')} ({md.get('start')} .. {md.get('end')})",
        "random streams": md.get("random_streams"),
        "capital basis": md.get("capital_basis"),
        "reproduce": f"alvh simulate --rules rules.toml --paths {md.get('n_paths')} --days {md.get('n_days')} "
        f"--seed {md.get('seed')} --out DIR",
        "rules_text": rules_text,
    }
    hc = res.summary_dict().get("hedge_cost", {})
    headline = {"hedge cost, all layers (bp/month)": hc.get("total_bp_per_month")} if isinstance(hc, dict) else {}
    return Report(
        f"alvh simulate {md.get('n_paths')} paths x {md.get('n_days')} days",
        "simulation",
        meta,
        secs,
        {k: v for k, v in headline.items() if isinstance(v, (int, float))},
    )
