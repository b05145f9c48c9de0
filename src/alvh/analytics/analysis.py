"""One call from a backtest result to everything reported on it: :func:`analyze` -> :class:`HedgeAnalysis`.

It wires the analytics pieces (attribution, exposure with dF/dVIX without look-ahead, the hedge
cost and its decomposition, what the hedge buys, regimes with intervals, the rolling betas and the
trigger, steward analytics, the spot-VIX diagnostic) on a :class:`~alvh.results.BacktestResult` and
the :class:`~alvh.data.MarketData` it ran on. Definitions: docs/drag.md (hedge cost, intervals,
contango-heavy months, runs past the VX data) and docs/analytics.md (betas, regimes, steward,
"What analyze() reports"). Everything here is a function of ``(result, market, rules)``: no global
state. The text rendering is :mod:`alvh.analytics.text`.

Units: hedge cost in basis points of the stated basis (the fixed initial capital by default);
the diagnostic shortfall in bp of the NAV at the previous close; effective vega in dollars per
spot-VIX point; betas in dollars of daily vega P&L per unit of SPX daily return (raw) or per dollar
of effective vega (normalized).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from alvh.analytics.attribution import MARKET_MOVE_TERMS, NON_LAYER_GROUPS, slot_groups
from alvh.analytics.drag import (
    CONTANGO_HEAVY_SHARE,
    PARTS,
    SEED_CLAIM_BP_PER_MONTH,
    DragAnalysis,
    contango_share,
    drag_analysis,
    drag_distribution,
    restrict_drag,
)
from alvh.analytics.hedge_cost import (
    BASES,
    CORE_BOOKS,
    HedgeCost,
    against_core_summary,
    hedge_cost,
    hedge_cost_summary,
    monthly_table,
    regime_cost_table,
    seed_claim_test,
    what_it_buys,
)
from alvh.analytics.hedge_cost import TERMS as COST_TERMS
from alvh.analytics.text import analysis_text
from alvh.engine.records import InstrumentKind
from alvh.errors import InputError

__all__ = ["HedgeAnalysis", "analyze", "TRADING_DAYS_PER_MONTH", "BREAK_EVEN_SHIFTS"]

#: Trading days in a "month-equivalent" of the regime table: 252 / 12.
TRADING_DAYS_PER_MONTH = 21.0
#: Implied-vol rises (decimal) at which the core's break-evens are reported: 0, +5 and +10 vol points.
BREAK_EVEN_SHIFTS: tuple[float, ...] = (0.0, 0.05, 0.10)
#: Trading days of market history before the run used to warm the regime indicators up
#: (252-day high of the topping label + the 33-day MACD warm-up + margin).
LABEL_WARMUP_DAYS = 300
#: Minimum run length for the steward regression (21-day realized variance, 1-day lag, a few points).
_MIN_STEWARD_DAYS = 30
#: Share of days above the threshold from which the summary says the trigger "fires most days".
_MOST_DAYS = 0.5


@dataclass(frozen=True)
class HedgeAnalysis:
    """Everything reported on one backtest, with ``summary()`` (text) and ``summary_dict()`` (JSON).

    The headline is the hedge cost (docs/drag.md): what the layers cost, in bp of a stated capital
    basis, its exact decomposition, what the hedge bought, the seed's claim tested with an interval.

    Attributes
    ----------
    drag : DragAnalysis
        Attribution, exposure and decay curves over the whole run; its ``drag`` is the old shortfall
        against a spot-VIX position, kept only as a labelled diagnostic (docs/drag.md, "Diagnostic").
    monthly : DataFrame
        Hedge cost per calendar month and layer ("all" = every layer), bp of the basis, each term and
        the total (:func:`alvh.analytics.hedge_cost.monthly_table`); ``contango_share`` where the VX
        curve covers the month (NaN otherwise).
    contango : DataFrame or None
        Diagnostic: the spot-VIX shortfall's distribution over the covered months (None without VX).
    coverage : dict
        VX coverage of the run: first/last covered day, covered and uncovered days, a note.
    labels : DataFrame
        Regime labels on the run's dates (docs/analytics.md section 2; ``"n/a"`` where undefined).
    regime_table : DataFrame
        Index (regime, label): hedge cost of all layers on the days with that label, with n_days,
        n_months, the mean per day and its 95% interval (month-cluster bootstrap), the same x 21, and
        ``small_sample`` (:func:`alvh.analytics.hedge_cost.regime_cost_table`).
    exposure : DataFrame
        Per layer: instrument, days held, mean effective vega ($ per VIX point) when held, and the
        decay-curve summary (mean E / E on the cycle's first day after 5, 10, 20 days held).
    betas : DataFrame
        Daily rolling betas (path ``path``): ``beta_<layer>`` (raw), ``beta_<layer>_norm`` (per dollar of
        effective vega), ``ratio_raw``, ``ratio_normalized``, ``above`` (the rule's ratio > threshold).
    trigger : dict
        The rule compared, how often the ratio exceeds the threshold, how often the engine fired
        (``result.rebalance_log``), and a plain sentence.
    irr : DataFrame
        :func:`alvh.analytics.steward.layer_irr` on each component's trade cash flows.
    regression : DataFrame or None
        :func:`alvh.analytics.steward.steward_regression` of each component's daily return (HAC).
    break_even : DataFrame or None
        Per IV shift: the core's break-evens while held (mean distance from spot, width, narrowing).
    notes : tuple of str
        Everything the analysis restricted, skipped or fell back on, in words.
    metadata : dict
        The run's metadata plus the analysis rules' hash, the capital basis and the dF/dVIX source.
    cost : HedgeCost or None
        The daily hedge cost and its decomposition; None when the run holds no layer.
    cost_summary : dict
        :func:`alvh.analytics.hedge_cost.hedge_cost_summary` (or the "no hedge to cost" statement).
    bought : dict or None
        :func:`alvh.analytics.hedge_cost.what_it_buys`: core alone against core + layers.
    seed_claim : dict or None
        :func:`alvh.analytics.hedge_cost.seed_claim_test` (None without a contango share).
    vs_core : dict or None
        :func:`alvh.analytics.hedge_cost.against_core_summary`: hedge ratio, hedge error, correlations.
    """

    drag: DragAnalysis
    monthly: pd.DataFrame
    contango: pd.DataFrame | None
    coverage: dict
    labels: pd.DataFrame
    regime_table: pd.DataFrame
    exposure: pd.DataFrame
    betas: pd.DataFrame
    trigger: dict
    irr: pd.DataFrame
    regression: pd.DataFrame | None
    break_even: pd.DataFrame | None
    notes: tuple[str, ...] = ()
    metadata: dict = field(default_factory=dict)
    cost: HedgeCost | None = None
    cost_summary: dict = field(default_factory=dict)
    bought: dict | None = None
    seed_claim: dict | None = None
    vs_core: dict | None = None

    # ---------------------------------------------------------------- tables
    def daily_hedge_cost(self, path: int = 0) -> pd.DataFrame:
        """The daily decomposition per layer (:meth:`HedgeCost.to_frame`); empty without layers."""
        if self.cost is None:
            return pd.DataFrame(index=pd.Index(self.labels.index, name="date"))
        return self.cost.to_frame(path)

    def daily_spot_vix_shortfall(self) -> pd.DataFrame:
        """Diagnostic only: the old drag (shortfall against a spot-VIX position of the layer's own
        notional, bp of the NAV at the previous close), per layer and part, and cumulative."""
        dr = self.drag.drag
        cols: dict[str, np.ndarray] = {}
        names = list(dr.layers)
        for part in PARTS + ("total",):
            x = dr.part(part).mean(axis=1)  # (days, layers)
            for j, layer in enumerate(names):
                cols[f"{layer}_{part}"] = x[:, j]
            cols[f"all_{part}"] = x.sum(axis=1)
        for layer in names + ["all"]:
            cols[f"{layer}_cumulative"] = np.cumsum(cols[f"{layer}_total"])
        return pd.DataFrame(cols, index=pd.Index(dr.dates, name="date"))

    # ---------------------------------------------------------------- JSON
    def summary_dict(self) -> dict:
        """JSON-ready figures, answers first: what the hedge cost, what it bought, the seed's claim;
        then the regime table with intervals, the core comparison, steward figures, diagnostics."""
        out: dict = {
            "hedge_cost": _clean(self.cost_summary),
            "what_it_bought": _clean(self.bought) if self.bought is not None else "n/a: no hedge layer",
            "seed_claim": (
                _clean(self.seed_claim)
                if self.seed_claim is not None
                else "n/a: no contango share (no VX curve) or no hedge layer"
            ),
            "regime_table": _clean({f"{reg}={lab}": row.to_dict() for (reg, lab), row in self.regime_table.iterrows()}),
            "against_core": _clean(self.vs_core) if self.vs_core is not None else "n/a: no hedge layer",
            "coverage": _clean(self.coverage),
        }
        out["exposure"] = _clean(self.exposure.to_dict(orient="index"))
        out["rebalance_trigger"] = _clean(self.trigger)
        steward: dict = {"irr": _clean(self.irr[["irr", "reason", "paid", "received"]].to_dict(orient="index"))}
        if self.regression is not None:
            cols = ["alpha_annual", "t_alpha", "beta_spx", "t_spx", "beta_vrp", "t_vrp", "r2", "nobs", "cov_type"]
            steward["regression"] = _clean(self.regression[cols].to_dict(orient="index"))
        if self.break_even is not None:
            steward["break_even"] = _clean(self.break_even.to_dict(orient="index"))
        out["steward"] = steward
        d = dict(self.drag.summary)
        d.pop("monthly_total_drag_bp", None)
        diag: dict = {
            "label": "DIAGNOSTIC, not a cost: shortfall against an untradable spot-VIX position of the "
            "layer's own notional, bp of the NAV at the previous close (docs/drag.md)",
        }
        diag.update(_clean(d))  # type: ignore[call-overload]
        if self.contango is not None:
            diag["contango_heavy_months"] = _contango_block(self.contango)
        out["diagnostics"] = {"spot_vix_shortfall": diag}
        out["notes"] = list(self.notes)
        out["analysis_metadata"] = _clean(self.metadata)
        return out

    # ---------------------------------------------------------------- text
    def summary(self) -> str:
        """Plain-text report (rendered by :func:`alvh.analytics.text.analysis_text`)."""
        return analysis_text(self)


def _f(x: object, nd: int = 1) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "n/a"
    return f"{float(x):,.{nd}f}"  # type: ignore[arg-type]


def _pct(x: object) -> str:
    return "n/a" if x is None or not np.isfinite(float(x)) else f"{float(x):.2%}"  # type: ignore[arg-type]


def _clean(obj: object) -> object:
    """JSON-ready: numpy scalars to Python, NaN/inf to None, keys to str."""
    if isinstance(obj, Mapping):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, pd.Timestamp):
        return str(obj.date())
    return obj


def _contango_block(dist: pd.DataFrame) -> dict:
    out: dict = {}
    for subset in ("all_months", "contango_heavy", "not_contango_heavy"):
        row = dist.loc[(subset, "all", "total")]
        out[subset] = _clean(
            {
                "n_months": int(row["n_months"]),
                "mean": row["mean"],
                "median": row["q0.5"],
                "q05": row["q0.05"],
                "q25": row["q0.25"],
                "q75": row["q0.75"],
                "q95": row["q0.95"],
                "mean_carry": dist.loc[(subset, "all", "carry"), "mean"],
                "mean_correlation": dist.loc[(subset, "all", "correlation"), "mean"],
                "mean_costs": dist.loc[(subset, "all", "costs"), "mean"],
            }
        )
    out["definition"] = f">= {CONTANGO_HEAVY_SHARE:.0%} of the month's trading days with front VX settle > VIX close"
    out["seed_claim_bp_per_month"] = list(SEED_CLAIM_BP_PER_MONTH)
    return out


# ====================================================================== helpers
def _run_rows(result, market) -> np.ndarray:  # noqa: ANN001
    """Rows of the market data holding each of the run's dates; every date must be there."""
    rows = market.dates.get_indexer(result.dates)
    if (rows < 0).any():
        bad = result.dates[int(np.flatnonzero(rows < 0)[0])]
        raise InputError(
            f"the run's day {bad.date()} is not in the market data",
            argument="market",
            expected="the MarketData the backtest ran on (covering every run date)",
        )
    return rows


def _label_span(rows: np.ndarray) -> tuple[int, int]:
    """Market rows ``i0:i1`` the regime labels read: the run's rows and LABEL_WARMUP_DAYS before them."""
    return max(0, int(rows[0]) - LABEL_WARMUP_DAYS), int(rows[-1]) + 1


def _curve_and_front(market, rows: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:  # noqa: ANN001
    """Front and second VX on the labels' history (computed once: it holds the run's rows), and the front
    on the run's rows (row by row the same values as computed on those rows alone)."""
    i0, i1 = _label_span(rows)
    curve = _front_second(market, np.arange(i0, i1))
    return curve, curve[0][rows - i0]


def _front_second(market, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    from alvh.analytics.regimes import front_second

    if market.vx is None:
        return _model_front_second(market, rows)
    return front_second(np.asarray(market.vx.settle)[rows], np.asarray(market.vx.dte)[rows], min_dte=1)


def _model_front_second(market, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    """Front and second VX from the model curve the engine traded when the market has no settlements.

    The same curve and calendar as the engine's inputs (``VXCurve.from_market`` at each monthly
    contract's days to expiry, contracts with ``dte >= 1`` as in :func:`front_second`), so the
    contango labels describe the curve the layers actually rolled down.
    """
    from alvh.calendar import vx_expiries_between
    from alvh.market import VXCurve

    curve = VXCurve.from_market(market)
    days = market.dates.values.astype("datetime64[D]")
    expiry = vx_expiries_between(market.dates[0], market.dates[-1] + pd.Timedelta(days=120))
    dte = (expiry[None, :] - days[:, None]).astype(np.int64)
    first = np.argmax(dte >= 1, axis=1)  # expiries are sorted; the padded calendar always has two ahead
    two = np.stack([dte[np.arange(len(days)), first], dte[np.arange(len(days)), first + 1]], axis=1)
    price = curve.price(two.astype(float)).reshape(len(days), 2)
    return price[rows, 0], price[rows, 1]


def _sensitivity(result, market, rows: np.ndarray, notes: list[str]) -> tuple[np.ndarray, str]:  # noqa: ANN001
    """dF/dVIX of every held VIX product without look-ahead (:mod:`alvh.analytics.sensitivity`): the engine's
    estimate when the result carries it (``result.dfdvix``), else fitted on the market's VX history."""
    from alvh.analytics.sensitivity import MIN_OBS, expanding_dfdvix, records_sensitivity

    records = result.records

    if market.vx is None:
        return (
            records_sensitivity(records),
            "alvh.market.vx.effective_vega_model (no VX settlements: the model curve the layers traded)",
        )
    carried = getattr(result, "dfdvix", None)
    if carried is not None and carried.dates.equals(result.dates) and carried.min_obs == MIN_OBS:
        # the engine's estimate on the run's days (the same regression on the VX history up to the run's end:
        # expanding, so its rows equal the whole market's; tests/test_analysis_speed.py)
        est, rows = carried, np.arange(len(result.dates))
    else:
        est = expanding_dfdvix(market.vx.settle, market.vx.dte, market.vix["close"].to_numpy(dtype=float), market.dates)
    warm = np.isfinite(est.beta[rows]).any(axis=1)
    if not warm.all():
        notes.append(
            f"dF/dVIX: {int((~warm).sum())} of the run's {len(rows)} days fall before any DTE bucket holds "
            f"{MIN_OBS} daily changes; those days use the model's dF/dVIX"
        )
    return (
        records_sensitivity(records, estimate=est, rows=rows),
        f"expanding OLS of VX on spot-VIX daily changes by DTE bucket, known at each previous close "
        f"(warm-up {MIN_OBS} changes per bucket, model before), history from {market.dates[0].date()}",
    )


def _group_costs(result, groups: Sequence[str]) -> np.ndarray:  # noqa: ANN001
    """The engine's costs (positive = paid) as signed P&L in the attribution's group order."""
    index = {c: k for k, c in enumerate(result.components)}
    return np.stack([-result.costs[..., index[g]] for g in groups], axis=-1)


def _by_group(result, name: str, groups: Sequence[str]) -> np.ndarray | None:  # noqa: ANN001
    """A per-component (days, paths, components) result array (interest, hedge_financing) in group order."""
    arr = getattr(result, name, None)
    if arr is None:
        return None
    index = {c: k for k, c in enumerate(result.components)}
    return np.stack([arr[..., index[g]] for g in groups], axis=-1)


def _nav_prev(result) -> np.ndarray:  # noqa: ANN001
    nav = np.asarray(result.nav, dtype=float)
    return np.concatenate([np.full((1, nav.shape[1]), float(result.capital)), nav[:-1]], axis=0)


# ---------------------------------------------------------------- drag, coverage
def _coverage(dates: pd.DatetimeIndex, front: np.ndarray, has_vx: bool) -> dict:
    ok = np.isfinite(front)
    cov: dict = {
        "vx_data": has_vx,
        "run_days": len(dates),
        "covered_days": int(ok.sum()),
        "uncovered_days": int((~ok).sum()),
    }
    if ok.any():
        cov["first_covered"] = str(dates[ok][0].date())
        cov["last_covered"] = str(dates[ok][-1].date())
    if not has_vx:
        cov["note"] = (
            "no VX settlements in the market data: the layers traded the model VX curve "
            "(alvh.market.VXCurve.from_market); contango-heavy months and the term-structure regimes "
            "use that model curve's front and second contracts"
        )
    elif ok.all():
        cov["note"] = "the VX data cover every day of the run"
    else:
        inner = int((~ok[np.flatnonzero(ok)[0] : np.flatnonzero(ok)[-1] + 1]).sum()) if ok.any() else 0
        cov["note"] = (
            f"the VX data cover {int(ok.sum())} of the run's {len(dates)} days"
            + (f" ({cov['first_covered']}..{cov['last_covered']}" if ok.any() else "")
            + (f", {inner} uncovered days inside)" if inner else ")" if ok.any() else "")
            + ": contango-heavy months and the front/second regime labels use the covered days only; "
            "the layers can hold no VX future on the other days"
        )
    return cov


def _monthly_cost(hc: HedgeCost | None, share: pd.Series | None) -> pd.DataFrame:
    """The hedge cost's monthly table with the contango share (NaN in months the VX curve misses)."""
    if hc is None:
        return pd.DataFrame(
            columns=[
                "month",
                "layer",
                "instrument",
                "n_days",
                "basis",
                *(f"{t}_bp" for t in COST_TERMS),
                "total_bp",
                "contango_share",
            ]
        )
    table = monthly_table(hc)
    if share is not None:
        s = pd.Series(share.to_numpy(), index=[str(p) for p in share.index])
        table["contango_share"] = table["month"].map(s).astype(float)
    else:
        table["contango_share"] = np.nan
    return table


def _cost_results(
    hc: HedgeCost | None,
    labels: pd.DataFrame,
    share: pd.Series | None,
    rules,  # noqa: ANN001
    path: int,
) -> tuple[pd.DataFrame, dict | None, dict | None, dict | None]:
    """The regime table with intervals, what the hedge buys, the core comparison and the seed's
    claim, from the hedge cost (an empty table and None without layers)."""
    if hc is None:
        return regime_cost_table(pd.Series(np.zeros(0), index=pd.DatetimeIndex([])), labels.iloc[:0]), None, None, None
    daily_total = pd.Series(hc.cost_bp("total")[:, path].sum(axis=-1), index=hc.dates)
    seed = None
    if share is not None:
        seed = seed_claim_test(hc, share, threshold=CONTANGO_HEAVY_SHARE, path=path)
        adjusted = None if rules is None else bool(getattr(rules.rebalance, "enabled", False))
        seed["layers"] = {None: "unknown", True: "adjusted", False: "unadjusted"}[adjusted]
        if adjusted:
            seed["note"] = (
                "the seed's claim is for unadjusted layers; this run's rebalance rule was enabled, "
                "so its layers were adjusted (the figures above); for the unadjusted figure rerun with "
                "[rebalance] enabled = false in the rules file"
            )
    return (regime_cost_table(daily_total, labels), what_it_buys(hc), against_core_summary(hc, labels, path=path), seed)


# ---------------------------------------------------------------- regimes
def _labels(
    market,  # noqa: ANN001
    rows: np.ndarray,
    run_dates: pd.DatetimeIndex,
    notes: list[str],
    regime_exog: Sequence[str] = (),
    curve: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Regime labels on the run's dates, computed on the market history from LABEL_WARMUP_DAYS before.

    ``curve``: the front and second VX on that history (:func:`_label_span`), when the caller has them."""
    from alvh.analytics import regimes as rg

    i0, i1 = _label_span(rows)
    hist = market.dates[i0:i1]
    spx = market.spx["close"].iloc[i0:i1].astype(float)
    vix = market.vix["close"].iloc[i0:i1].astype(float)
    n = len(hist)
    cols: dict[str, pd.Series] = {}
    # settlements, or the model curve the engine traded when there are none
    front, second = curve if curve is not None else _front_second(market, np.arange(i0, i1))
    ts = rg.term_structure(vix, pd.Series(front, index=hist), pd.Series(second, index=hist))
    cols["front_state"] = ts["front_state"]
    cols["curve_state"] = ts["curve_state"]
    m = None
    if n >= 34:  # MACD(12,26,9) warm-up 33 rows
        m = rg.macd(spx)
        cols["macd_state"] = m["state"]
    else:
        notes.append(f"MACD/RSI labels skipped: {n} days of SPX history (MACD needs 34)")
    if m is not None:
        cols["rsi_band"] = rg.rsi_band(rg.rsi(spx))
    bdiv = None
    if market.breadth is not None and n >= 63:
        b = market.breadth.iloc[i0:i1]
        gaps = b[["advancing", "declining"]].isna().any(axis=1)
        if gaps.any():
            notes.append(
                f"breadth labels skipped: advancing/declining missing on {int(gaps.sum())} days of "
                f"{hist[0].date()}..{hist[-1].date()} (first {b.index[gaps.to_numpy()][0].date()}); the AD "
                "line cannot step over a gap"
            )
        else:
            ad = rg.advance_decline_line(b["advancing"].astype(float), b["declining"].astype(float))
            bdiv = rg.breadth_divergence(spx, ad)
            cols["breadth_divergence"] = bdiv
    elif market.breadth is None:
        notes.append("no breadth data: breadth divergence not labelled; topping uses momentum divergence only")
    if m is not None and n >= 252:
        cols["topping"] = rg.topping(spx, macd_frame=m, breadth_div=bdiv)
    elif m is not None:
        notes.append(f"topping label skipped: {n} days of SPX history (a 252-day high is needed)")
    for name in regime_exog:  # imported series as regime inputs (checked by analyze: every name exists)
        cols[f"exog_{name}"] = rg.exog_regime(market.exog[name], hist)
    frame = pd.DataFrame(cols, index=hist)
    if market.events:
        frame = frame.join(rg.event_windows(hist, market.events, known=getattr(market, "event_known", None)))
        empty = [k for k, v in market.events.items() if len(v) == 0]
        if empty:
            notes.append(
                f"event calendars with no dates: {', '.join(sorted(empty))} (their window label is never 'event')"
            )
    return frame.reindex(run_dates)


def _regime_exog(market, rules, names: Sequence[str] | None) -> list[str]:  # noqa: ANN001
    """The imported series used as regime inputs (default the rules' ``[analysis] regime_exog``), checked."""
    out = list(names) if names is not None else (list(rules.analysis.regime_exog) if rules is not None else [])
    unknown = [k for k in out if k not in market.exog]
    if unknown:
        raise InputError(
            f"no exogenous series {unknown}",
            argument="regime_exog",
            expected=f"names of imported series (alvh data import series): {sorted(market.exog)}",
        )
    return out


# ---------------------------------------------------------------- betas and trigger
def _rebalance_rule(rules, layers: Sequence[str], result, notes: list[str]):  # noqa: ANN001, ANN202
    """The rule whose ratio is reported; explicit rules must name existing layers."""
    from alvh.config import Rebalance, config_hash

    if rules is None:
        rb = Rebalance()
        if rb.short_layer not in layers or rb.long_layer not in layers:
            notes.append(
                f"no rules given and the default rebalance layers ({rb.short_layer!r}, {rb.long_layer!r}) "
                f"are not among {list(layers)}: no beta ratio reported"
            )
            return None
        notes.append(
            "no rules given: the beta ratio uses the default rebalance rule (window 90, threshold 1.4, "
            "short vs long, raw)"
        )
        return rb
    rb = rules.rebalance
    missing = [getattr(rb, k) for k in ("short_layer", "long_layer") if getattr(rb, k) not in layers]
    if missing and not rb.enabled:
        notes.append(
            f"the (disabled) rebalance rule names layers {missing} that are not among {list(layers)}: "
            "no beta ratio reported"
        )
        return None
    for key in ("short_layer", "long_layer"):
        name = getattr(rb, key)
        if name not in layers:
            raise InputError(
                f"layer {name!r} does not exist in the result",
                argument=f"rules.rebalance.{key}",
                expected=f"one of {list(layers)}",
            )
    run_hash = result.metadata.get("config_hash")
    if run_hash is not None and config_hash(rules) != run_hash:
        notes.append(
            f"the analysis rules (config {config_hash(rules)[:12]}) differ from the run's "
            f"({str(run_hash)[:12]}): the trigger statistics use the analysis rules"
        )
    return rb


def _regressors(
    result,  # noqa: ANN001
    market,  # noqa: ANN001
    rows: np.ndarray,
    exog: Sequence[str] | pd.DataFrame | None,
    path: int,
) -> tuple[np.ndarray, list[str]]:
    """SPX daily return (NaN on day 0, as the engine) plus exogenous series, gaps raised by name."""
    spx = np.asarray(market.spx["close"].to_numpy(dtype=float)[rows])
    x = np.full(len(rows), np.nan)
    x[1:] = spx[1:] / spx[:-1] - 1.0
    cols, names = [x], ["spx_return"]
    if exog is not None:
        if isinstance(exog, pd.DataFrame):
            frame = exog
        else:
            missing = [k for k in exog if k not in market.exog]
            if missing:
                raise InputError(
                    f"no exogenous series {missing}", argument="exog", expected=f"names among {sorted(market.exog)}"
                )
            frame = pd.DataFrame({k: market.exog[k] for k in exog})
        for name in frame.columns:
            s = frame[name].reindex(result.dates).to_numpy(dtype=float)
            bad = ~np.isfinite(s)
            if bad.any():
                raise InputError(
                    f"series {name!r} has no value on {result.dates[int(np.flatnonzero(bad)[0])].date()} "
                    f"({int(bad.sum())} of {len(s)} run days missing)",
                    argument="exog",
                    expected="a value on every trading day of the run (fill or resample it first)",
                )
            cols.append(s)
            names.append(str(name))
    bad = ~np.isfinite(x[1:])
    if bad.any():
        raise InputError(
            f"SPX return missing on {result.dates[1 + int(np.flatnonzero(bad)[0])].date()}",
            argument="market",
            expected="an SPX close on every run day",
        )
    return np.column_stack(cols), names


def _betas(
    result,  # noqa: ANN001
    market,  # noqa: ANN001
    rows,  # noqa: ANN001
    da: DragAnalysis,
    layers: Sequence[str],
    rb,  # noqa: ANN001
    exog,  # noqa: ANN001
    path: int,
    notes: list[str],
) -> tuple[pd.DataFrame, dict]:
    from alvh.stats import beta_ratio, rolling_ols

    n = len(result.dates)
    window = int(rb.window) if rb is not None else 90
    min_nobs = int(rb.min_nobs) if rb is not None else 60
    if min_nobs > n:
        raise InputError(
            f"min_nobs {min_nobs} exceeds the run's {n} days: no beta could be computed",
            argument="rules.rebalance.min_nobs",
            expected=f"at most {n} (or a longer run)",
        )
    if window > n:
        notes.append(
            f"regression window {window} is longer than the run ({n} days): betas use all days so far "
            f"(NaN until {min_nobs} valid days), as the engine's RollingBeta"
        )
    X, names = _regressors(result, market, rows, exog, path)
    att = da.attribution
    gi = [att.groups.index(g) for g in layers]
    move = sum(att.term(t)[:, path][:, gi] for t in MARKET_MOVE_TERMS)  # (n, L) dollars: the layer's vega P&L
    ev = (
        da.exposure.per_group[:, path][:, [da.exposure.groups.index(g) for g in layers]]
        if da.exposure is not None
        else None
    )
    # the engine's trigger: expanding until the window is full, NaN before min_nobs, NaN rows excluded
    raw = rolling_ols(move, X, window, min_nobs=min_nobs, expanding=True, missing="drop")
    out = {f"beta_{g}": raw.params[:, j, 1] for j, g in enumerate(layers)}
    if ev is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            per_unit = np.where(ev > 0, move / np.where(ev > 0, ev, 1.0), np.nan)
        norm = rolling_ols(per_unit, X, window, min_nobs=min_nobs, expanding=True, missing="drop")
        out.update({f"beta_{g}_norm": norm.params[:, j, 1] for j, g in enumerate(layers)})
    frame = pd.DataFrame(out, index=result.dates)
    trig: dict = {"regressors": names, "window": window, "min_nobs": min_nobs}
    if rb is None:
        trig["sentence"] = "beta ratio: not reported (no rebalance rule applies to these layers)"
        return frame, trig
    s, lg = rb.short_layer, rb.long_layer
    frame["ratio_raw"] = beta_ratio(frame[f"beta_{s}"].to_numpy(), frame[f"beta_{lg}"].to_numpy())
    if ev is not None:
        frame["ratio_normalized"] = beta_ratio(frame[f"beta_{s}_norm"].to_numpy(), frame[f"beta_{lg}_norm"].to_numpy())
    col = "ratio_raw" if rb.basis == "raw" or ev is None else "ratio_normalized"
    ratio = frame[col].to_numpy()
    defined = np.isfinite(ratio)
    frame["above"] = defined & (ratio > rb.threshold)
    share = float(frame["above"].sum() / defined.sum()) if defined.any() else float("nan")
    log = result.rebalance_log
    fired = log[log["path"] == path] if len(log) else log
    n_fired = int(len(fired))
    traded = int((fired["contracts_traded"] > 0).sum()) if n_fired else 0
    trig.update(
        {
            "short_layer": s,
            "long_layer": lg,
            "basis": rb.basis,
            "threshold": float(rb.threshold),
            "enabled_in_run": bool(result.metadata.get("rebalance_threshold") is not None),
            "days_defined": int(defined.sum()),
            "days_above": int(frame["above"].sum()),
            "share_above": share,
            "share_above_raw": _share_above(frame["ratio_raw"].to_numpy(), rb.threshold),
            "share_above_normalized": (
                _share_above(frame["ratio_normalized"].to_numpy(), rb.threshold)
                if "ratio_normalized" in frame
                else None
            ),
            "median_ratio_raw": _nanmedian(frame["ratio_raw"].to_numpy()),
            "median_ratio_normalized": (
                _nanmedian(frame["ratio_normalized"].to_numpy()) if "ratio_normalized" in frame else None
            ),
            "fired": n_fired,
            "fired_with_trades": traded,
            "fired_share_of_days": n_fired / n,
            "cooldown_days": int(rb.cooldown_days),
        }
    )
    eng = np.asarray(result.rebalance_ratio)[:, path]
    if np.isfinite(eng).any():
        trig["engine_share_above"] = float(np.mean(eng[np.isfinite(eng)] > rb.threshold))
    enabled = trig["enabled_in_run"]
    head = (
        f"rebalance trigger ({s} vs {lg}, {rb.basis} betas, {window}-day window, threshold {rb.threshold:g}): "
        f"the ratio is above the threshold on {_pct(share)} of the {int(defined.sum())} days it is defined "
        f"(median raw ratio {_f(trig['median_ratio_raw'], 2)}"
        + (
            f", normalized {_f(trig['median_ratio_normalized'], 2)}"
            if trig["median_ratio_normalized"] is not None
            else ""
        )
        + "); "
        + (
            f"the engine fired {n_fired} times ({n_fired / n:.1%} of days; {traded} with trades)"
            if enabled
            else "the rebalance rule was disabled in this run, so nothing fired"
        )
    )
    held = {
        g: float(
            np.mean(
                np.asarray(result.records.quantity)[:, path][
                    :, [i for i, c in enumerate(result.records.slots.component) if c == g]
                ].any(axis=1)
            )
        )
        for g in (s, lg)
    }
    trig["share_of_days_held"] = held
    if defined.sum() < 0.5 * n:
        head += (
            f"; the ratio is undefined on {n - int(defined.sum())} days (a beta of 0 or NaN: the {lg} layer is "
            f"held on {held[lg]:.0%} of days, the {s} layer on {held[s]:.0%})"
        )
    if defined.any() and share > _MOST_DAYS:
        head += (
            f". The trigger condition holds on most days where the ratio is defined: the {rb.basis} ratio "
            "mostly measures the layers' sizes and maturities, not a regime signal"
            + (
                f"; only the {rb.cooldown_days}-day cooldown and the rule that both layers be held keep the firings few"
                if enabled
                else ""
            )
        )
    trig["sentence"] = head + "."
    return frame, trig


def _mean(x: np.ndarray) -> float:
    return float(np.mean(x)) if x.size else float("nan")


def _share_above(ratio: np.ndarray, threshold: float) -> float | None:
    ok = np.isfinite(ratio)
    return float(np.mean(ratio[ok] > threshold)) if ok.any() else None


def _nanmedian(x: np.ndarray) -> float | None:
    ok = np.isfinite(x)
    return float(np.median(x[ok])) if ok.any() else None


# ---------------------------------------------------------------- exposure
def _exposure_table(da: DragAnalysis, layers: Sequence[str], path: int) -> pd.DataFrame:
    rows = {}
    for g in layers:
        row: dict = {"instrument": da.drag.instruments.get(g, "unknown")}
        if da.exposure is not None:
            e = da.exposure.per_group[:, path, da.exposure.groups.index(g)]
            held = e != 0
            row["days_held"] = int(held.sum())
            row["mean_effective_vega"] = float(e[held].mean()) if held.any() else float("nan")
            curve = da.decay.get(g)
            row["cycles"] = int(curve.loc[0, "n_obs"]) if curve is not None and 0 in curve.index else 0
            for k in (5, 10, 20):
                row[f"relative_{k}d"] = (
                    float(curve.loc[k, "relative"]) if curve is not None and k in curve.index else float("nan")
                )
        rows[g] = row
    return pd.DataFrame.from_dict(rows, orient="index")


# ---------------------------------------------------------------- steward
def _cash_flows(result, path: int) -> pd.DataFrame:  # noqa: ANN001
    """Dated cash flows per component from the trade ledger (trader's side) plus the final mark."""
    mult = dict(zip(result.records.slots.names, np.asarray(result.records.slots.multiplier, dtype=float), strict=True))
    t = result.trades[result.trades["path"] == path] if len(result.trades) else result.trades
    last = result.dates[-1]
    frame = pd.DataFrame(0.0, index=pd.DatetimeIndex([last]), columns=list(result.components))
    if len(t):
        m = t["slot"].map(mult).to_numpy(dtype=float)
        flow = -(t["quantity"].to_numpy(dtype=float) * t["price"].to_numpy(dtype=float) * m) - t["cost"].to_numpy(
            dtype=float
        )
        f = pd.DataFrame({"date": pd.DatetimeIndex(t["date"]), "component": t["component"].to_numpy(), "flow": flow})
        piv = f.pivot_table(index="date", columns="component", values="flow", aggfunc="sum", fill_value=0.0)
        frame = piv.reindex(columns=list(result.components), fill_value=0.0).add(frame, fill_value=0.0).sort_index()
    final = np.asarray(result.value)[-1, path]
    frame.loc[last] = frame.loc[last] + final
    return frame.fillna(0.0)


def _break_even(result, path: int, notes: list[str]) -> pd.DataFrame | None:  # noqa: ANN001
    """Break-evens of the held core condor each day, with its entry credit, at the IV shifts."""
    from alvh.analytics.exposure import days_since_roll
    from alvh.analytics.steward import break_even_expansion

    rec = result.records
    core = [i for i, c in enumerate(rec.slots.component) if c == "core"]
    if len(core) != 4:
        notes.append("break-even expansion skipped: the core does not have 4 option legs")
        return None
    kind = np.asarray(rec.kind)[:, path][:, core]
    q = np.asarray(rec.quantity)[:, path][:, core]
    held = (q != 0) & (kind == InstrumentKind.SPX_OPTION)
    call = np.asarray(rec.is_call)[:, path][:, core]
    roles = {
        "long_put": ~call & (q > 0),
        "short_put": ~call & (q < 0),
        "short_call": call & (q < 0),
        "long_call": call & (q > 0),
    }
    day_ok = held.all(axis=1) & np.all([r.sum(axis=1) == 1 for r in roles.values()], axis=0)
    ds = days_since_roll(rec, core)[:, path]  # (n, 4)
    t_now = np.asarray(rec.t_now, float)[:, path][:, core]
    # the same condor on every leg, held at least one day (on a cycle's first day the P&L is 0 at entry spot)
    day_ok &= (ds.min(axis=1) == ds.max(axis=1)) & (ds[:, 0] >= 1) & (np.ptp(t_now, axis=1) < 1e-9)
    if not day_ok.any():
        notes.append("break-even expansion skipped: the core condor is never held for more than a day")
        return None
    d = np.flatnonzero(day_ok)

    def leg(field_name: str, at: np.ndarray | None = None) -> dict[str, np.ndarray]:
        a = np.asarray(getattr(rec, field_name), float)[:, path][:, core]
        rows = d if at is None else at
        return {k: a[rows, np.argmax(r[d], axis=1)] for k, r in roles.items()}

    strikes = leg("strike")
    vol = leg("vol_now")
    spot = np.asarray(rec.underlying_now, float)[d, path, core[0]]
    start = d - ds[d, 0]  # the cycle's first holding day: price_prev = the entry mark
    entry_px = leg("price_prev", start)
    credit = entry_px["short_put"] + entry_px["short_call"] - entry_px["long_put"] - entry_px["long_call"]
    rate = np.asarray(rec.rate_prev, float)[d, path, core[0]]
    div = np.asarray(rec.div_prev, float)[d, path, core[0]]
    ok = (
        np.isfinite(spot)
        & (credit > 0)
        & np.all([np.isfinite(v) & (v > 0) for v in vol.values()], axis=0)
        & np.all([np.isfinite(v) for v in strikes.values()], axis=0)
    )
    if not ok.any():
        notes.append("break-even expansion skipped: no held day with a positive entry credit and finite vols")
        return None
    sel = lambda a: a[ok]  # noqa: E731
    shifts = np.asarray(BREAK_EVEN_SHIFTS)[:, None]
    with np.errstate(all="ignore"):
        be = break_even_expansion(
            long_put=sel(strikes["long_put"]),
            short_put=sel(strikes["short_put"]),
            short_call=sel(strikes["short_call"]),
            long_call=sel(strikes["long_call"]),
            t_remaining=sel(t_now[d, 0]),
            iv=[sel(vol[k]) for k in ("long_put", "short_put", "short_call", "long_call")],
            iv_shift=shifts,
            rate=sel(rate),
            div=sel(div),
            credit=sel(credit),
        )
    s = sel(spot)
    # a zone: peak P&L > 0 (one-sided when a break-even is -inf/+inf: that wing is narrower than the credit left)
    both0 = np.isfinite(be.width[0])
    rows = {}
    for i, sh in enumerate(BREAK_EVEN_SHIFTS):
        w = be.width[i]
        zone = be.peak_pnl[i] > 0
        lo_ok, hi_ok, both = np.isfinite(be.lower[i]), np.isfinite(be.upper[i]), np.isfinite(w)
        # narrowing against the unshifted bounded zone; a zone that vanishes counts 100%
        narrowing = np.where(
            both[both0],
            1.0 - np.where(both[both0], w[both0], 0.0) / be.width[0][both0],
            np.where(zone[both0], np.nan, 1.0),
        )
        rows[f"+{sh * 100:.0f}vol"] = {
            "iv_shift": sh,
            "n_days": int(len(s)),
            "n_zone": int(zone.sum()),
            "n_no_zone": int((~zone).sum()),
            "n_one_sided": int((zone & ~both).sum()),
            # each mean's own days (the report prints them beside it)
            "n_lower": int(lo_ok.sum()),
            "n_upper": int(hi_ok.sum()),
            "n_bounded": int(both.sum()),
            "n_narrowing": int(np.isfinite(narrowing).sum()),
            "mean_lower_pct_spot": _mean((s[lo_ok] - be.lower[i][lo_ok]) / s[lo_ok] * 100),
            "mean_upper_pct_spot": _mean((be.upper[i][hi_ok] - s[hi_ok]) / s[hi_ok] * 100),
            "mean_width_pct_spot": _mean(w[both] / s[both] * 100),
            "mean_narrowing_pct": _mean(narrowing[np.isfinite(narrowing)] * 100),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def _steward(
    result,  # noqa: ANN001
    market,  # noqa: ANN001
    rows: np.ndarray,
    da: DragAnalysis,
    vix: np.ndarray,
    layers: Sequence[str],
    path: int,
    notes: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Each hedge layer's IRR of its trade cash flows and each component's steward regression (HAC)."""
    dates = result.dates
    from alvh.analytics.steward import layer_irr, steward_regression

    # per hedge layer: the core is a credit position whose flows hold no capital outlay (its collateral is
    # not a cash flow), so a money-weighted return of its flows is not meaningful
    flows = _cash_flows(result, path)
    irr_table = layer_irr(flows[[c for c in flows.columns if c in layers]])
    multi = [g for g, r in irr_table.iterrows() if r["sign_changes"] > 1 and np.isfinite(r["irr"])]
    if multi:
        notes.append(
            f"IRR of {', '.join(multi)}: the cash flows change sign more than once, the root reported may "
            "not be unique (Descartes' rule); read it with the paid/received totals"
        )
    regression = None
    if len(dates) >= _MIN_STEWARD_DAYS:
        att = da.attribution
        comps = [g for g in att.groups if g not in NON_LAYER_GROUPS[1:]]
        ret = pd.DataFrame(
            {g: att.total[:, path, att.groups.index(g)] / att.capital[:, path] for g in comps}, index=dates
        )
        flat = [g for g in comps if np.ptp(ret[g].to_numpy()) == 0.0]  # e.g. a disabled core: no position
        if flat:
            notes.append(f"steward regression skips {flat}: a constant daily return (never held)")
            ret = ret.drop(columns=flat)
        if ret.shape[1]:
            regression = steward_regression(
                ret,
                pd.Series(market.spx["close"].to_numpy(dtype=float)[rows], index=dates),
                pd.Series(vix, index=dates),
                cov_type="HAC",
                risk_free=_risk_free(market, rows, dates, notes),
            )
    else:
        notes.append(f"steward regression skipped: {len(dates)} days (needs {_MIN_STEWARD_DAYS})")
    return irr_table, regression


def _risk_free(market, rows: np.ndarray, dates: pd.DatetimeIndex, notes: list[str]) -> pd.Series | None:  # noqa: ANN001
    """Each day's risk-free return ``exp(r_{t-1} days/365) - 1`` when the market has a rate series (CAPM's
    excess returns in the steward regressions); None on a constant rate (the regression is on raw returns)."""
    if getattr(market, "rate_age", None) is None:
        notes.append("steward regressions on raw returns: no rate series in the data (a constant rate)")
        return None
    r = market.rate.to_numpy(dtype=float)[rows]
    days = np.diff(dates.to_numpy().astype("datetime64[D]").astype(np.int64)).astype(float)
    rf = np.r_[0.0, np.expm1(r[:-1] * days / 365.0)]
    notes.append("steward regressions on excess returns over the rate series (CAPM)")
    return pd.Series(rf, index=dates)


def _model_note(result) -> list[str]:  # noqa: ANN001
    """The first notes: the data holds no SPX option quotes, the condors are model-priced (say which model)."""
    surface = (result.metadata.get("provenance") or {}).get("surface")
    if not surface:
        return []
    return [
        "the SPX condors are priced by a model, not from option chains (the data has no SPX option quotes): "
        f"surface {surface}; the core's marks, P&L and break-evens are model figures (docs/pricing.md)"
    ]


# ====================================================================== entry point
def analyze(
    result,  # noqa: ANN001
    market,  # noqa: ANN001
    rules=None,  # noqa: ANN001
    *,
    path: int = 0,
    exog: Sequence[str] | pd.DataFrame | None = None,
    basis: str = "initial",
    regime_exog: Sequence[str] | None = None,
) -> HedgeAnalysis:
    """Everything issue 5 reports on a backtest result, in one object.

    Parameters
    ----------
    result : BacktestResult
        From :func:`alvh.engine.run_backtest` / :func:`alvh.run`.
    market : MarketData
        The market data the run used (it must contain every run date; a longer history is used to
        warm the regime indicators up).
    rules : Rules, optional
        The rules of the run: the rebalance rule's layers, window, min_nobs, threshold and basis
        drive the reported beta ratio. Layers it names must exist in the result (else
        :class:`InputError`). Without rules the default rule is used when its layers exist.
    path : int
        0: a historical backtest has one path (a multi-path result raises: the regimes, betas and
        steward regressions read the market's single history).
    exog : sequence of str or DataFrame, optional
        Extra regressors of the rolling betas: names in ``market.exog`` or a dates x series frame.
        Each needs a value on every run day; a gap raises :class:`InputError` naming the series.
    basis : {"initial", "nav"}
        Capital basis of the hedge cost's bp: the initial capital (fixed, default) or the NAV at the
        previous close (labelled as such in every output).
    regime_exog : sequence of str, optional
        Names in ``market.exog`` used as regime inputs: regime ``exog_NAME`` =
        :func:`alvh.analytics.regimes.exog_regime` (high / low against its trailing median). Default:
        the rules' ``[analysis] regime_exog``.

    Returns
    -------
    HedgeAnalysis

    Notes
    -----
    The hedge cost's bp are of ``basis`` (the fixed initial capital by default); the diagnostic
    spot-VIX shortfall keeps the NAV at the previous close. dF/dVIX is estimated without look-ahead
    (:mod:`alvh.analytics.sensitivity`).
    Runs that go past the VX data (real VX ends 2025-06-18) keep the drag of every day, but the
    contango-heavy months and the front/second labels use the covered days only; ``coverage`` and
    ``notes`` say so.
    """
    if result.n_paths != 1:
        # the regimes, betas and steward regressions read the market's one history of SPX and VIX
        raise InputError(
            f"{result.n_paths} paths",
            argument="result",
            expected="a historical backtest (1 path); for simulated paths use "
            "alvh.analytics.paths_summary.path_analysis (per path) or alvh.montecarlo.simulate",
        )
    if path != 0:
        raise InputError(f"path {path}", argument="path", expected="0 (a historical backtest has one path)")
    if basis not in BASES:
        raise InputError(f"unknown capital basis {basis!r}", argument="basis", expected=f"one of {sorted(BASES)}")
    notes: list[str] = _model_note(result)
    rows = _run_rows(result, market)
    dates = result.dates
    vix = market.vix["close"].to_numpy(dtype=float)[rows]
    curve, front = _curve_and_front(market, rows)
    covered = np.isfinite(front)
    coverage = _coverage(dates, front, market.vx is not None)
    if market.vx is None or not covered.all():
        notes.append(coverage["note"])
    sens, sens_desc = _sensitivity(result, market, rows, notes)
    groups, _ = slot_groups(result.records)
    nav_prev = _nav_prev(result)
    da = drag_analysis(
        result.records,
        dates=dates,
        capital=nav_prev,
        vix=vix,
        front_vx=None,
        cost_pnl=_group_costs(result, groups),
        financing_pnl=result.financing,
        sensitivity=sens,
        interest_pnl=_by_group(result, "interest", groups),
        group_financing_pnl=_by_group(result, "hedge_financing", groups),
    )
    layers = da.drag.layers
    hc = None
    if layers and da.exposure is not None:  # a sensitivity array is always passed: the exposure is there
        hc = hedge_cost(
            da.attribution,
            da.exposure.per_group,
            dates=dates,
            vix=vix,
            capital=float(result.capital),
            basis=basis,
            nav_prev=nav_prev,
            instruments=da.drag.instruments,
            core_alone_nav=result.core_alone_nav,
        )
        cost_summary = hedge_cost_summary(hc)
        if hc.core_alone_usd is None:
            notes.append(
                "what it bought: no standalone core in this run (alvh.run(core_alone=False), or a "
                "constant-maturity mix): the core is " + CORE_BOOKS["inside"]
            )
    else:
        cost_summary = {"statement": "there is no hedge to cost: the run holds no hedge layer (core only)"}
        notes.append(cost_summary["statement"])
    share = None
    contango = None
    if covered.any():
        share = contango_share(dates[covered], front[covered], vix[covered])
        sub = restrict_drag(da.drag, covered)
        contango = drag_distribution(sub, share)
        if int(contango.loc[("all_months", "all", "total"), "n_months"]) == 0:
            notes.append("no covered month has 15 or more trading days: no monthly drag distribution")
            contango = None
    labels = _labels(market, rows, dates, notes, _regime_exog(market, rules, regime_exog), curve)
    monthly = _monthly_cost(hc, share)
    regimes, bought, vs_core, seed = _cost_results(hc, labels, share, rules, path)
    rb = _rebalance_rule(rules, layers, result, notes)
    betas, trigger = _betas(result, market, rows, da, layers, rb, exog, path, notes)
    exposure = _exposure_table(da, layers, path)

    irr_table, regression = _steward(result, market, rows, da, vix, layers, path, notes)
    break_even = _break_even(result, path, notes)
    from alvh.config import config_hash

    meta = {k: result.metadata.get(k) for k in ("config_hash", "data_start", "data_end", "alvh_version", "seed")}
    meta.update(
        {
            "analysis_rules_hash": config_hash(rules) if rules is not None else None,
            "dfdvix_source": sens_desc,
            "capital_basis": BASES[basis],
            "diagnostic_capital_basis": "NAV at the previous close (spot-VIX shortfall only)",
            "path": path,
            "hedge_cost_terms": list(COST_TERMS),
        }
    )
    return HedgeAnalysis(
        drag=da,
        monthly=monthly,
        contango=contango,
        coverage=coverage,
        labels=labels,
        regime_table=regimes,
        exposure=exposure,
        betas=betas,
        trigger=trigger,
        irr=irr_table,
        regression=regression,
        break_even=break_even,
        notes=tuple(notes),
        metadata=meta,
        cost=hc,
        cost_summary=cost_summary,
        bought=bought,
        seed_claim=seed,
        vs_core=vs_core,
    )
