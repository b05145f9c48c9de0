"""Plain-text rendering of :class:`alvh.analytics.HedgeAnalysis`: its ``summary()`` (the result prints itself,
as statsmodels' and arch's results do). Reads the analysis' fields and ``summary_dict()`` only: no
computation of figures. Documents built from results (the terminal screen, the report) are :mod:`alvh.report`.

Order (docs/drag.md): what the hedge cost, what it bought, the seed's claim with its interval, the
regime table with intervals, the core comparison, exposure, the trigger, steward figures, the
labelled diagnostic, notes.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["analysis_text", "fmt", "headline_sentence", "interest_sentence", "pct", "seed_layers"]


def fmt(x: object, nd: int = 1) -> str:
    """A number with thousands separators and ``nd`` decimals; "n/a" for None, NaN or inf."""
    if x is None:
        return "n/a"
    try:
        f = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "n/a"
    return f"{f:,.{nd}f}" if math.isfinite(f) else "n/a"


def pct(x: object) -> str:
    """A share as a percentage with two decimals; "n/a" for None, NaN or inf."""
    if x is None:
        return "n/a"
    f = float(x)  # type: ignore[arg-type]
    return f"{f:.2%}" if math.isfinite(f) else "n/a"


def _ci(pair: Any, nd: int = 1) -> str:
    if not isinstance(pair, (list, tuple)) or len(pair) != 2 or pair[0] is None or pair[1] is None:
        return "[n/a]"
    return f"[{fmt(pair[0], nd)}, {fmt(pair[1], nd)}]"


def headline_sentence(s: dict) -> str:
    """The headline hedge cost with its sample, interval and basis (screen, report, ``summary()``)."""
    out = (
        f"all layers {fmt(s['total_bp_per_month'], 2)} bp/month of the {s['basis']}; n = {s['n_months']} months "
        "(every calendar month spanned, a partial first/last month included"
        + (
            f"; a month = 21 trading days: the run total over {fmt(s['month_equivalents'], 1)} month-equivalents)"
            if isinstance(s.get("month_equivalents"), (int, float))
            else ")"
        )
    )
    ci = s.get("ci95")
    if isinstance(ci, list) and ci[0] is not None:
        out += f"; 95% CI {_ci(ci, 2)} (month-block bootstrap, the same as alvh sweep's)"
    return out


def interest_sentence(s: dict) -> str:
    """What the hedge cost's "financing" term is, under the name the screen and report give it."""
    label = (s.get("split_labels") or {}).get("financing", "financing")
    return (
        f"{label} = the layers' T-bill interest on their cash (summary.json split_bp_per_month.financing; "
        "with [financing] mode 'hedge_cash' also its private financing), not the margin-debt interest"
    )


def cost_lines(s: dict) -> list[str]:
    """The headline block: hedge cost in total and per layer with its split."""
    if "total_bp_per_month" not in s:
        return [f"hedge cost: {s.get('statement', 'n/a')}"]
    split = s["split_bp_per_month"]
    labels = s.get("split_labels") or {}
    lines = [
        f"WHAT THE HEDGE COST (docs/drag.md): bp of the {s['basis']} per month; positive = cost, "
        f"negative = the hedge paid; {s['n_months']} months",
        f"  {headline_sentence(s)}",
        f"  {interest_sentence(s)}",
        f"  all layers {fmt(s['total_bp_per_month'], 2):>7} bp/month (${fmt(s['total_usd'], 0)} over the run) = "
        + " + ".join(f"{labels.get(k, k)} {fmt(v, 2)}" for k, v in split.items()),
    ]
    for layer, total in s["per_layer_bp_per_month"].items():
        ps = s["per_layer_split_bp_per_month"][layer]
        lines.append(
            f"  {layer:<10} {fmt(total, 2):>7}  ({s['instruments'].get(layer, 'unknown')}; "
            + ", ".join(f"{labels.get(k, k)} {fmt(v, 2)}" for k, v in ps.items())
            + ")"
        )
    return lines


def bought_lines(b: dict | str) -> list[str]:
    """Core alone against core + layers."""
    if isinstance(b, str):
        return [f"what the hedge bought: {b}"]
    a, h = b["core_alone"], b["core_plus_layers"]
    inside = b.get("core_book") == "inside"  # no standalone core: say what the "core" is
    name = "the core's P&L inside the hedged book" if inside else "core alone"
    lines = [f"WHAT IT BOUGHT: {name} -> core + layers ({b['unit']})"]
    if "core_definition" in b:
        lines.append(f"  core: {b['core_definition']}")
    stats = (
        ("monthly_vol_pct", "monthly return vol"),
        ("worst_month_pct", "worst month"),
        ("es95_monthly_pct", "95% ES of monthly returns"),
        ("max_drawdown_pct", "max drawdown"),
    )
    for key, label in stats:
        lines.append(f"  {label:<26} {fmt(a[key], 2):>8}% -> {fmt(h[key], 2):>8}%")
    on = b.get("on_own_nav")
    if isinstance(on, dict):
        oa, oh = on["core_alone"], on["core_plus_layers"]
        lines.append(
            "  on each book's own NAV (size taken out; final NAV "
            f"${on['final_nav_usd']['core_alone']:,.0f} -> ${on['final_nav_usd']['core_plus_layers']:,.0f}): "
            + ", ".join(f"{label} {fmt(oa[key], 2)}% -> {fmt(oh[key], 2)}%" for key, label in stats if key in oa)
            + f"; {fmt(on.get('cost_bp_per_month_per_pp_es95_reduction'), 1)} bp/month per pp of this ES reduction"
        )
    ib = b.get("core_inside_hedged_book")
    if isinstance(ib, dict):
        lines.append(
            "  (the core's P&L inside the hedged book, not a holdable book: "
            + ", ".join(f"{label} {fmt(ib[key], 2)}%" for key, label in stats)
            + ")"
        )
    lines.append(
        f"  cost of protection: {fmt(b['cost_bp_per_month_per_pp_drawdown_reduction'], 1)} bp/month per pp "
        f"of drawdown reduction ({fmt(b['max_drawdown_reduction_pp'], 2)} pp), "
        f"{fmt(b['cost_bp_per_month_per_pp_es95_reduction'], 1)} per pp of ES reduction "
        f"({fmt(b['es95_reduction_pp'], 2)} pp); n/a = the hedge did not reduce it"
    )
    worst = b.get("core_worst_months") or []
    if worst:
        lines.append(
            f"  layers in the core's {len(worst)} worst months: "
            f"{fmt(b['layers_bp_in_core_worst_months_total'], 0)} bp against the core's "
            f"{fmt(b['core_bp_in_core_worst_months_total'], 0)} bp (core/layers: "
            + ", ".join(f"{w['month']} {fmt(w['core_bp'], 0)}/{fmt(w['layers_bp'], 0)}" for w in worst[:5])
            + (", ..." if len(worst) > 5 else "")
            + ")"
        )
    return lines


def seed_layers(c: dict) -> str:
    """Which layers the seed-claim figures are of (the claim itself is for unadjusted layers)."""
    return {
        "adjusted": "this run's layers, ADJUSTED by the rebalance rule",
        "unadjusted": "this run's unadjusted layers (rebalance off)",
    }.get(str(c.get("layers")), "this run's layers")


def seed_lines(c: dict | str) -> list[str]:
    """The seed's claim tested on the hedge cost."""
    if isinstance(c, str):
        return [f"seed claim: {c}"]
    lo, hi = c["claim_bp_per_month"]
    ch, other = c["contango_heavy"], c["other_months"]
    lines = [
        f"SEED CLAIM ({lo:g}-{hi:g} bp/month in contango-heavy months, a claim for unadjusted layers; "
        f"tested on {seed_layers(c)}): {c['verdict']}",
        f"  contango-heavy: mean {fmt(ch['mean'], 1)} bp/month 95% CI {_ci(ch['ci95'])} "
        f"({ch['n_months']} months); other months {fmt(other['mean'], 1)} {_ci(other['ci95'])} "
        f"({other['n_months']})",
        f"  {c['definition']}; {c['interval']}",
    ]
    if "note" in c:
        lines.append(f"  note: {c['note']}")
    return lines


def regime_lines(rows: dict) -> list[str]:
    """Hedge cost by regime with intervals; small rows marked."""
    if not rows:
        return ["hedge cost by regime: n/a (no regime labels)"]
    lines = [
        "hedge cost by regime, all layers: days, months, mean bp/day [95% CI], bp per month-equivalent (x21) "
        "[95% CI]; * = too few days or months to say anything"
    ]
    for key, r in rows.items():
        reg, _, lab = key.partition("=")
        mark = "*" if r["small_sample"] else " "
        day_ci = _ci([r["ci95_lo_daily_bp"], r["ci95_hi_daily_bp"]], 2)
        month_ci = _ci([r["ci95_lo_month_equiv"], r["ci95_hi_month_equiv"]])
        lines.append(
            f" {mark}{reg:<20} {lab:<14} {int(r['n_days']):>6} {int(r['n_months']):>4} "
            f"{fmt(r['mean_daily_bp'], 2):>7} {day_ci:>16} {fmt(r['bp_per_month_equiv'], 1):>7} "
            f"{month_ci:>16}"
        )
    return lines


def core_lines(v: dict | str) -> list[str]:
    """Against the core: hedge ratio, vol P&L side by side, hedge error, correlation."""
    if isinstance(v, str):
        return [f"against the core: {v}"]
    p10, p90 = v["hedge_ratio_p10_p90"]
    return [
        f"against the core: hedge ratio (layers' effective vega / |core vega|) median "
        f"{fmt(v['hedge_ratio_median'], 2)} (10-90% {fmt(p10, 2)}..{fmt(p90, 2)}; ratio of means "
        f"{fmt(v['hedge_ratio_of_means'], 2)}); "
        f"core vol P&L {fmt(v['core_vol_pnl_bp_per_month'], 1)} bp/month beside the layers' market-move P&L "
        f"{fmt(v['layers_move_pnl_bp_per_month'], 1)}; daily sd: core vol P&L "
        f"{fmt(v['core_vol_pnl_daily_sd_bp'], 1)} bp, hedge error {fmt(v['hedge_error_daily_sd_bp'], 1)} bp; "
        f"correlation {fmt(v['correlation_layers_move_vs_core_vol'], 2)} (rolling 63-day median "
        f"{fmt(v.get('rolling_63d_correlation_median'), 2)})"
    ]


def analysis_text(analysis: Any) -> str:
    """The whole plain-text report of a :class:`~alvh.analytics.HedgeAnalysis`."""
    d = analysis.summary_dict()
    lines = cost_lines(d["hedge_cost"])
    lines += bought_lines(d["what_it_bought"])
    lines += seed_lines(d["seed_claim"])
    lines += regime_lines(d["regime_table"] if isinstance(d["regime_table"], dict) else {})
    lines += core_lines(d["against_core"])
    if len(analysis.exposure):
        lines.append(
            "effective vega ($ per VIX point, mean when held; x after 20 days held): "
            + ", ".join(
                f"{k} {fmt(r.get('mean_effective_vega'), 0)} (x{fmt(r.get('relative_20d'), 2)})"
                for k, r in analysis.exposure.iterrows()
            )
        )
    lines.append(analysis.trigger["sentence"])
    lines.append("steward: IRR / alpha per year (t) / beta SPX (t) / beta VRP (t)")
    for layer, r in analysis.irr.iterrows():
        line = f"  {layer:<10} IRR {pct(r['irr'])}" + (f" ({r['reason']})" if r["reason"] else "")
        if analysis.regression is not None and layer in analysis.regression.index:
            g = analysis.regression.loc[layer]
            line += (
                f"  alpha {g['alpha_annual']:+.4f} ({g['t_alpha']:+.1f})  beta_spx {g['beta_spx']:+.4f} "
                f"({g['t_spx']:+.1f})  beta_vrp {g['beta_vrp']:+.4f} ({g['t_vrp']:+.1f})"
            )
        lines.append(line)
    if analysis.break_even is not None and len(analysis.break_even):
        lines.append(
            "core break-evens while held, marked to model with the entry credit (docs/analytics.md 3.4): "
            "IV shift, mean distance below/above spot and width in % of spot (days with a finite "
            "break-even), narrowing of the unshifted zone (a vanished zone = 100%)"
        )
        for k, r in analysis.break_even.iterrows():
            lines.append(
                f"  {k:<8} -{fmt(r['mean_lower_pct_spot'], 2)}% / +{fmt(r['mean_upper_pct_spot'], 2)}%  "
                f"width {fmt(r['mean_width_pct_spot'], 2)}%  narrowing {fmt(r['mean_narrowing_pct'], 1)}%  "
                f"(profit zone on {int(r['n_zone'])} of {int(r['n_days'])} days, "
                f"{int(r.get('n_one_sided', 0))} of them one-sided)"
            )
    diag = d["diagnostics"]["spot_vix_shortfall"]
    if diag.get("total_drag_bp_per_month") is not None:
        lines.append(
            f"diagnostic (not a cost): shortfall against a spot-VIX position of the layers' own notional "
            f"{fmt(diag['total_drag_bp_per_month'], 1)} bp/month of the NAV at the previous close"
        )
    lines.extend(f"note: {n}" for n in analysis.notes)
    return "\n".join(lines)
