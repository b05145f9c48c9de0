"""Stage 1, prepare: validate the rules against the market paths and precompute the contract calendar.

:func:`prepare` ``(rules, paths) -> Prepared`` runs once before the day loop (docs/engine.md, "Prepare"):
each layer's roll target per day (:func:`alvh.strategy.layers.bucket_plan`), the SPX monthly expiries and
the trading day each SPX and VX expiry settles on, the front contract, the constant-maturity pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from alvh._display import concise_repr
from alvh.calendar import spx_expiries_between, trading_days, vx_expiries_between
from alvh.config import Rules
from alvh.engine.inputs import MarketPaths
from alvh.errors import ConfigError
from alvh.strategy.axis import RuleAxis, core_alone_rules, kind_key
from alvh.strategy.layers import BucketPlan, bucket_plan, cm_weights


@dataclass(frozen=True, repr=False)
class Prepared:
    """Everything derived from rules + market before the loop (validated)."""

    rules: Rules
    paths: MarketPaths
    vx_dte: np.ndarray  #: (n_days, n_contracts)
    vx_listed: np.ndarray  #: (n_days, n_contracts) bool (from path 0: all paths list the same contracts)
    vx_settle_day: np.ndarray  #: (n_contracts,) trading-day index of each contract's settlement (n_days if later)
    #: (n_paths, n_contracts) each contract's settlement value: Cboe's final settlement value (SOQ) where the
    #: data carries it, else the VIX open of its settlement day (NaN when it settles after the run)
    vx_settle_px: np.ndarray
    #: how the contracts settling in the run settle (BacktestResult.metadata["settlement"])
    settlement_note: str
    plans: tuple[BucketPlan, ...]
    spx_expiry: np.ndarray  #: datetime64[D] monthly SPX expiries covering the run
    spx_settle_day: np.ndarray  #: trading-day index of each
    front: np.ndarray  #: (n_days,) front listed contract (DTE > 0), -1 if none
    cm_pair: np.ndarray | None
    cm_w: np.ndarray | None
    #: the numeric rules per path (:class:`alvh.strategy.axis.RuleAxis`): the rules' own numbers on every
    #: path, or one sweep variant per path slot
    axis: RuleAxis
    events: dict[str, int] = field(default_factory=dict)
    #: True when paths ``P/2 .. P-1`` run the core alone of paths ``0 .. P/2-1`` (the same market, every
    #: layer at weight 0: ``run_engine(..., core_alone=True)``): the result holds the first half, the
    #: second half's NAV is its ``core_alone_nav``, and only the first half's events are counted
    standalone_core: bool = False
    #: True for a pass that keeps only its NAV (the standalone core of a many-path run, run on its own:
    #: ``alvh.engine.simulate.core_alone_nav``): no path's records are written, no event is counted
    nav_only: bool = False

    @property
    def own_paths(self) -> int:
        """Paths of the run itself, whose records and events are kept (the first ones; the rest are the
        standalone core's); none in a NAV-only pass (:attr:`nav_only`)."""
        if self.nav_only:
            return 0
        return self.paths.n_paths // 2 if self.standalone_core else self.paths.n_paths

    def __repr__(self) -> str:
        return concise_repr(
            "Prepared",
            {
                "paths": self.paths,
                "layers": len(self.plans),
                "spx_expiries": len(self.spx_expiry),
                "constant_maturity": self.cm_pair is not None,
                "events": self.events,
            },
        )


def prepare(
    rules: Rules,
    paths: MarketPaths,
    variants: Sequence[Rules] | None = None,
    *,
    standalone_core: bool = False,
    nav_only: bool = False,
) -> Prepared:
    """Validate the rules against the data and precompute the contract calendar.

    ``variants``: one rules variant per path slot, differing from ``rules`` only in the array-axis keys
    (:mod:`alvh.strategy.axis`); default every path runs ``rules``. ``standalone_core``: the second half
    of the paths runs the first half's core alone (:attr:`Prepared.standalone_core`; set by
    :func:`alvh.engine.run_engine`). ``nav_only``: keep no records and count no events
    (:attr:`Prepared.nav_only`).

    Raises
    ------
    ConfigError
        A layer's DTE bucket that no listed contract fills on any day of the run; layers or a
        constant-maturity mix with no VX contracts at all; a rebalance window longer than the run.
    """
    n = paths.n_days
    dte = paths.vx_dte()
    listed = np.isfinite(paths.vx_price[:, 0, :])
    d64 = paths.dates.values.astype("datetime64[D]")
    settle_day = np.searchsorted(d64, paths.vx_expiry, side="left")
    plans = []
    events: dict[str, int] = {}
    for i, layer in enumerate(rules.layers):
        if listed.shape[1] == 0:
            raise ConfigError("no VX contracts in the data", key=f"layers.{i}", expected="VX data or no layers")
        plan = bucket_plan(layer, dte, listed)
        inside_days = int(plan.in_bucket.sum())
        if inside_days == 0:
            raise ConfigError(
                f"no listed VX contract has {layer.min_dte}-{layer.max_dte} days to expiry on any day "
                f"of {paths.dates[0].date()}..{paths.dates[-1].date()}",
                key=f"layers.{i}.max_dte",
                expected="a DTE bucket the listed contracts can fill",
            )
        events[f"bucket_unfilled_days.{layer.name}"] = n - inside_days
        plans.append(plan)
    if rules.rebalance.enabled and len(rules.layers) >= 2 and rules.rebalance.min_nobs > n:
        raise ConfigError(
            f"min_nobs {rules.rebalance.min_nobs} exceeds the {n} days of the run",
            key="rebalance.min_nobs",
            expected="a window shorter than the data",
        )
    exp = spx_expiries_between(paths.dates[0], paths.dates[-1] + pd.Timedelta(days=800))
    spx_settle = np.searchsorted(d64, exp, side="left")
    ok = listed & (dte > 0)
    front = np.where(ok.any(axis=1), np.argmax(ok, axis=1), -1) if ok.shape[1] else np.full(n, -1, dtype=np.int64)
    settle_px, note = _vx_settlement(paths, settle_day)
    cm_pair = cm_w = None
    if rules.constant_maturity.enabled:
        if listed.shape[1] < 2:
            raise ConfigError(
                "constant maturity needs VX data", key="constant_maturity.enabled", expected="VX contracts in the data"
            )
        cm = rules.constant_maturity
        cm_pair, cm_w = cm_weights(dte, listed, roll_days(paths), n, cm.target_days, cm.schedule)
    if variants is not None and kind_key(variants[0]) != kind_key(rules):
        raise ConfigError(
            "the variants differ from the rules in a key that is not an array axis",
            key=None,
            expected="variants of the rules' kind (alvh.strategy.axis.kind_key)",
        )
    if standalone_core:  # the rules on the first half of the paths, their core alone on the second
        half = paths.n_paths // 2
        if variants is not None or paths.n_paths != 2 * half:
            raise ConfigError(
                f"a standalone core on {paths.n_paths} paths" + (" with variants" if variants is not None else ""),
                key=None,
                expected="an even number of paths (MarketPaths.twice) and no variants",
            )
        axis = RuleAxis.stack([RuleAxis.from_rules([r]).broadcast(half) for r in (rules, core_alone_rules(rules))])
    else:
        axis = RuleAxis.from_rules(list(variants) if variants is not None else [rules]).broadcast(paths.n_paths)
    return Prepared(
        rules=rules,
        paths=paths,
        vx_dte=dte,
        vx_listed=listed,
        vx_settle_day=settle_day,
        vx_settle_px=settle_px,
        settlement_note=note,
        plans=tuple(plans),
        spx_expiry=exp,
        spx_settle_day=spx_settle,
        front=front,
        cm_pair=cm_pair,
        cm_w=cm_w,
        axis=axis,
        events=events,
        standalone_core=standalone_core,
        nav_only=nav_only,
    )


def _vx_settlement(paths: MarketPaths, settle_day: np.ndarray) -> tuple[np.ndarray, str]:
    """Each contract's settlement value (P, C) and a sentence saying which source settled which contracts.

    Cboe settles VX futures and VIX options at the special opening quotation (SOQ) of VIX on the final
    settlement date; the VX history's row on that date carries it (``MarketPaths.vx_final``). Without it
    (model curve, synthetic paths, a missing row) the VIX open of that day stands in (the SOQ proxy).
    """
    n, C = paths.n_days, len(paths.vx_expiry)
    final = np.full(C, np.nan) if paths.vx_final is None else np.asarray(paths.vx_final, dtype=float)
    inside = settle_day < n
    day = np.minimum(settle_day, n - 1)
    open_px = np.where(inside[None, :], paths.vix_open[day].T, np.nan)  # (P, C)
    has = np.isfinite(final)
    px = np.where(has[None, :], final[None, :], open_px)
    used = inside & has
    proxy = inside & ~has
    codes = [paths.vx_codes[j] for j in np.flatnonzero(proxy)]
    shown = ", ".join(codes[:12]) + (f" and {len(codes) - 12} more" if len(codes) > 12 else "")
    note = (
        "SPX options at the SPX open (AM settlement proxy); VX futures and VIX options at Cboe's final "
        f"settlement value (SOQ) from the VX data for {int(used.sum())} of the {int(inside.sum())} contracts "
        "settling in the run"
    )
    if proxy.any():
        note += f"; at the VIX open (SOQ proxy: no final settlement value in the data) for {int(proxy.sum())}: {shown}"
    return px, note


def roll_days(paths: MarketPaths) -> np.ndarray:
    """``b``: the trading day before each VX expiry as an index into the run's days, after the one of the
    expiry preceding the first contract (length n_contracts + 1), for the constant-maturity schedule.

    Inside the run it is the day before the expiry's settlement day; outside it counts NYSE sessions
    (:func:`alvh.calendar.trading_days`), so the roll period holding the run's first day and the one
    holding its last are the index's own periods, whatever the run's start and end.
    """
    d64 = paths.dates.values.astype("datetime64[D]")
    first, last = d64[0], d64[-1]
    exp = paths.vx_expiry.astype("datetime64[D]")
    before = exp[0] if exp.size else first
    prev = vx_expiries_between(before - np.timedelta64(45, "D"), before - np.timedelta64(1, "D"))
    if not prev.size:  # the calendar always has a monthly expiry in the 45 days before another
        raise ConfigError("no VX expiry before the first contract", key="constant_maturity.enabled", expected="VX data")
    allexp = np.concatenate([prev[-1:], exp])
    out = np.empty(allexp.size, dtype=np.int64)
    for i, e in enumerate(allexp):
        if first < e <= last:
            out[i] = int(np.searchsorted(d64, e, side="left")) - 1
        elif e > last:  # sessions strictly between the run's last day and the expiry
            out[i] = len(d64) - 1 + max(len(trading_days(last, e)) - 1 - int(_is_session(e)), 0)
        else:  # e <= first: -1 - sessions in [e, first)
            out[i] = -1 - (len(trading_days(e, first)) - 1)
    return out


def _is_session(day: np.datetime64) -> bool:
    return len(trading_days(day, day)) == 1
