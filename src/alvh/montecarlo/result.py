"""SimulationResult: the frozen outcome of a simulated run, with ``summary()``, ``summary_dict()``, ``to_frame()``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from alvh._display import concise_repr


def _f(x: object, nd: int = 1) -> str:
    return f"{x:,.{nd}f}" if isinstance(x, (int, float)) else str(x)


def _ci(d: dict) -> str:
    ci = d.get("ci95")
    return f"[{_f(ci[0])}, {_f(ci[1])}]" if ci else "n/a"


@dataclass(frozen=True, repr=False)
class SimulationResult:
    """Distributions over paths of the hedge's cost and of what it bought (docs/simulation.md).

    Attributes
    ----------
    summary_data : dict
        JSON-ready figures (what :meth:`summary_dict` returns), with the metadata block.
    bands : DataFrame
        Per trading day: n_paths, the q05..q95 percentiles and the mean over paths of the cumulative hedge
        cost of all layers (bp of the initial capital).
    monthly : DataFrame
        Per calendar month and layer (and ``month == "all"`` pooled): n, mean, 95% interval, sd, quantiles
        of the month's hedge cost over paths (bp of the initial capital).
    exceedance : DataFrame
        P(hedge cost > threshold) per layer, of each path's run cost per month and of single months.
    run_info : dict
        How the run was executed (chunk size, processes, seconds): not part of the results, which are the
        same whatever these are.
    """

    summary_data: dict
    bands: pd.DataFrame
    monthly: pd.DataFrame
    exceedance: pd.DataFrame
    run_info: dict = field(default_factory=dict)
    per_path: Callable[[], pd.DataFrame] | None = field(default=None, compare=False)

    @property
    def metadata(self) -> dict:
        return dict(self.summary_data["metadata"])

    def summary_dict(self) -> dict:
        """The figures written to summary.json (JSON-ready)."""
        return self.summary_data

    def to_frame(self) -> pd.DataFrame:
        """One row per path: every per-path figure (alvh.analytics.paths_summary.column_names)."""
        if self.per_path is None:
            raise ValueError("this result holds no per-path table")
        return self.per_path()

    def summary(self) -> str:
        """Plain text: what the hedge cost and what it bought, as distributions over paths."""
        s = self.summary_data
        m = s["metadata"]
        cost = s["hedge_cost"]
        lines = [
            f"alvh simulation: {m['n_paths']:,} paths x {m['n_days']} days ({m['start']}..{m['end']}), "
            f"seed {m['seed']}",
            f"paths: {m['model']['generator']}",
            f"config {m['config_hash'][:16]}, alvh {m['alvh_version']}",
            f"capital basis: {m['capital_basis']}",
            "",
            f"WHAT THE HEDGE COST (bp of the initial capital per month; mean over {cost['n_paths']:,} paths "
            "with 95% interval; percentiles over paths)",
        ]
        for layer, d in cost["per_layer"].items():
            lines.append(
                f"  {layer:<8} mean {_f(d['mean'], 2):>8} {_ci(d):<20} q05 {_f(d['q05'])}  q50 {_f(d['q50'])}"
                f"  q95 {_f(d['q95'])}"
            )
        split = cost["split"]["all"]
        lines.append("  all layers = " + " + ".join(f"{t} {_f(v, 2)}" for t, v in split.items()))
        b = s["what_it_bought"]
        core = "the core's P&L inside the hedged book" if b.get("core_book") == "inside" else "core alone"
        lines += ["", f"WHAT IT BOUGHT ({core} -> core + layers, % of the initial capital, mean over paths)"]
        if "core_definition" in b:
            lines.append(f"  core: {b['core_definition']}")
        for stat in ("worst_month_pct", "es95_monthly_pct", "max_drawdown_pct", "monthly_vol_pct"):
            a, h = b["core_alone"][stat], b["core_plus_layers"][stat]
            if isinstance(a, dict) and isinstance(h, dict):
                lines.append(f"  {stat:<18} {_f(a['mean'], 2):>8} -> {_f(h['mean'], 2):>8}")
        for k, d in b["reduction"].items():
            sh = d["share_of_paths_reduced"]
            lines.append(f"  {k:<30} mean {_f(d['mean'], 2)} pp {_ci(d)}; reduced on {sh['p']:.1%} of paths")
        if "es95_per_path" in b:
            lines.append(f"  ({b['es95_per_path']})")
        if "pooled_es95" in b:
            pe = b["pooled_es95"]
            c, h, r = pe["core_alone_pct"], pe["core_plus_layers_pct"], pe["reduction_pp"]
            lines.append(
                f"  ES95 of a month, all {pe['n_path_months']:,} path-months pooled (worst {pe['tail_months']:,}): "
                f"{_f(c['value'], 2)} -> {_f(h['value'], 2)} %, reduction {_f(r['value'], 2)} pp"
                + (f" [{_f(r['ci95'][0], 2)}, {_f(r['ci95'][1], 2)}]" if r["ci95"] is not None else "")
            )
        ex = s["exceedance"]["run_per_month"]["all"]
        lines += ["", "P(hedge cost of all layers > threshold), run cost per month:"]
        lines.append("  " + ", ".join(f"> {k} bp: {v['p']:.1%}" for k, v in ex.items()))
        t = s["triggers"]["rebalance_firings"]
        lines.append(
            f"rebalance firings per path: mean {_f(t['mean'], 2)} {_ci(t)}; "
            f"on {t['share_of_paths_with_any']['p']:.1%} of paths"
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        m = self.summary_data["metadata"]
        return concise_repr(
            "SimulationResult",
            {"paths": m["n_paths"], "days": m["n_days"], "seed": m["seed"], "config": m["config_hash"]},
        )
