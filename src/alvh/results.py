"""BacktestResult: the frozen output of a run, with ``summary()``, ``to_frame()`` and exports.

Everything is arrays with the day axis first, then paths (a historical backtest has one
path). Dollars throughout; greeks per component in dollars (delta per SPX point, gamma per
SPX point squared, vega per vol point for the core and per VIX point for VIX products,
theta per calendar day).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

import numpy as np
import pandas as pd

from alvh._display import concise_repr, html_view
from alvh.errors import InputError

if TYPE_CHECKING:  # the engine imports this module (construct.py): a runtime import here would be a cycle
    from alvh.engine.records import PositionRecords
    from alvh.market.vx_sensitivity import ExpandingDfdvix

GREEKS: tuple[str, ...] = ("delta", "gamma", "vega", "theta")

#: What the money keys of ``summary_dict()`` are (written into summary.json as "key_descriptions"): the two
#: "financing" meanings apart. They add up: final_nav - capital = sum(component_pnl_net) + sum(interest)
#: + financing + hedge_financing.
KEY_DESCRIPTIONS: dict[str, str] = {
    "component_pnl_net": "each component's marks minus its trading costs, $, before interest on its cash",
    "component_costs": "each component's trading costs (commissions and spreads), $",
    "interest": "T-bill interest on each component's cash balance, $ (negative = its cash was negative); the "
    "layers' part is the hedge cost's 'financing' term ('cash interest' on screen)",
    "financing": "margin-debt interest: interest outside the components, on the engine's debt ([financing] "
    "mode 'borrow', negative = paid) and on cash no component holds, $; not the hedge cost's 'financing' term",
    "hedge_financing": "private financing of the hedge's cash needs ([financing] mode 'hedge_cash'), $",
    "analysis.hedge_cost.split_bp_per_month.financing": "the layers' cash interest (their T-bill interest and "
    "any hedge-cash financing), bp of the basis per month, positive = a cost; 'cash interest' on screen",
}


class Analysis(Protocol):
    """What :meth:`BacktestResult.with_analysis` accepts (e.g. :class:`alvh.analytics.HedgeAnalysis`)."""

    def summary_dict(self) -> dict[str, object]: ...

    def summary(self) -> str: ...


@dataclass(frozen=True, repr=False)
class BacktestResult:
    """Daily NAV by component, positions (records), trades, greeks, break-evens, events, metadata.

    Attributes
    ----------
    dates : DatetimeIndex (n_days)
    components : tuple of str, ``("core", <layer names>..., ["cm"])``
    nav, cash, financing, collateral : (n_days, n_paths) dollars; ``financing`` is the day's
        interest outside the components (the debt's, negative = paid; on cash no component holds);
        NAV = cash + positions' value - debt
    value, pnl, costs : (n_days, n_paths, n_components) dollars: market value of the component's
        positions at the close, its mark-to-market P&L over the day (before costs), its costs
    greeks : (n_days, n_paths, n_components, 4) dollars, order :data:`GREEKS`
    break_evens : (n_days, n_paths, 2) SPX points at expiry (lower, upper); NaN when flat; -inf / +inf on
        a side whose wing is narrower than the credit (that side cannot lose at expiry)
    trades : DataFrame (date, path, slot, component, instrument, contract, strike, expiry, quantity, price, cost,
        reason)
    records : :class:`~alvh.engine.records.PositionRecords`
    events : counted data-dependent events (name -> count); event_log: DataFrame (date, event, count)
    rebalance_log : DataFrame of every firing (date, path, beta_short, beta_long, ratio, contracts, cost)
    rebalance_ratio : (n_days, n_paths) beta ratio each day (NaN before min_nobs)
    metadata : config hash, data span, alvh version, seed, provenance
    interest, hedge_financing : (n_days, n_paths, n_components) dollars: T-bill interest on each
        component's cash and the private financing of the hedge's cash needs ([financing] mode
        "hedge_cash"); NAV changes by pnl - costs + financing + both (docs/engine.md)
    core_alone_nav : (n_days, n_paths) dollars or None: the NAV of each path's core run alone as its own
        book (every layer at weight 0, sized on its own NAV) in the same engine call
        (``run_engine(..., core_alone=True)``; docs/drag.md "What the hedge buys"); None when not run
    dfdvix : the engine's no-look-ahead dF/dVIX estimate on the run's days
        (:class:`alvh.market.vx_sensitivity.ExpandingDfdvix`, real VX data; None on the model curve):
        :func:`alvh.analytics.analyze` reads it instead of fitting the same regression again
    analysis : optional :class:`alvh.analytics.HedgeAnalysis` (attach with :meth:`with_analysis`;
        this module does not import analytics): ``summary_dict()`` then carries its figures under
        ``"analysis"`` and ``summary()`` appends its text
    """

    dates: pd.DatetimeIndex
    components: tuple[str, ...]
    nav: np.ndarray
    cash: np.ndarray
    financing: np.ndarray
    collateral: np.ndarray
    value: np.ndarray
    pnl: np.ndarray
    costs: np.ndarray
    greeks: np.ndarray
    break_evens: np.ndarray
    trades: pd.DataFrame
    records: PositionRecords
    events: dict[str, int]
    event_log: pd.DataFrame
    rebalance_log: pd.DataFrame
    rebalance_ratio: np.ndarray
    capital: float
    metadata: dict[str, object] = field(default_factory=dict)
    analysis: Analysis | None = None
    interest: np.ndarray | None = None
    hedge_financing: np.ndarray | None = None
    core_alone_nav: np.ndarray | None = None
    dfdvix: ExpandingDfdvix | None = None

    def with_analysis(self, analysis: object) -> BacktestResult:
        """A copy with ``analysis`` attached (e.g. ``alvh.analytics.analyze(result, market, rules)``).

        Any object with ``summary_dict()`` and ``summary()`` methods; the result stays frozen.
        """
        if not (callable(getattr(analysis, "summary_dict", None)) and callable(getattr(analysis, "summary", None))):
            raise InputError(
                f"got {type(analysis).__name__}",
                argument="analysis",
                expected="an analysis object with summary_dict() and summary() (alvh.analytics.analyze)",
            )
        return replace(self, analysis=cast(Analysis, analysis))

    @property
    def n_paths(self) -> int:
        return self.nav.shape[1]

    def component_nav(self) -> np.ndarray:
        """(n_days, n_paths, n_components) cumulative P&L net of costs of each component, dollars."""
        return np.cumsum(self.pnl - self.costs, axis=0)

    def to_frame(self, path: int = 0) -> pd.DataFrame:
        """Daily table of one path: NAV, cash, financing, per component value/P&L/costs/NAV/greeks, break-evens,
        and the standalone core's NAV (``core_alone_nav``) when it was run."""
        if not 0 <= path < self.n_paths:
            raise InputError(f"path {path}", argument="path", expected=f"0..{self.n_paths - 1}")
        cols: dict[str, np.ndarray] = {
            "nav": self.nav[:, path],
            "cash": self.cash[:, path],
            "financing": self.financing[:, path],
            "financing_nav": np.cumsum(self.financing[:, path]),
        }
        cn = self.component_nav()
        for k, c in enumerate(self.components):
            cols[f"{c}_value"] = self.value[:, path, k]
            cols[f"{c}_pnl"] = self.pnl[:, path, k]
            cols[f"{c}_costs"] = self.costs[:, path, k]
            cols[f"{c}_nav"] = cn[:, path, k]
            for g, name in enumerate(GREEKS):
                cols[f"{c}_{name}"] = self.greeks[:, path, k, g]
        cols["core_breakeven_low"] = self.break_evens[:, path, 0]
        cols["core_breakeven_high"] = self.break_evens[:, path, 1]
        cols["core_collateral"] = self.collateral[:, path]
        cols["rebalance_ratio"] = self.rebalance_ratio[:, path]
        if self.core_alone_nav is not None:  # the standalone core's own book (what the hedge bought's core)
            cols["core_alone_nav"] = self.core_alone_nav[:, path]
        return pd.DataFrame(cols, index=pd.Index(self.dates, name="date"))

    def summary_dict(self, path: int = 0) -> dict[str, object]:
        """Headline figures of one path (JSON-ready)."""
        nav = self.nav[:, path]
        years = max((self.dates[-1] - self.dates[0]).days / 365.25, 1e-9)
        total = nav[-1] / self.capital - 1.0
        ret = np.diff(nav) / nav[:-1] if len(nav) > 1 else np.zeros(0)
        peak = np.maximum.accumulate(nav)
        cn = self.component_nav()[-1, path]
        comps = list(enumerate(self.components))
        out: dict[str, object] = {
            "metadata": self.metadata,
            "start": str(self.dates[0].date()),
            "end": str(self.dates[-1].date()),
            "n_days": len(self.dates),
            "capital": self.capital,
            "final_nav": float(nav[-1]),
            "total_return": float(total),
            "cagr": float((nav[-1] / self.capital) ** (1.0 / years) - 1.0) if nav[-1] > 0 else None,
            "annual_vol": float(np.std(ret, ddof=1) * np.sqrt(252.0)) if len(ret) > 2 else None,
            "max_drawdown": float(np.min(nav / peak - 1.0)),
            "component_pnl_net": {c: float(cn[k]) for k, c in enumerate(self.components)},
            "component_costs": {c: float(self.costs[:, path, k].sum()) for k, c in enumerate(self.components)},
            "financing": float(self.financing[:, path].sum()),
            "interest": {c: float(0 if self.interest is None else self.interest[:, path, k].sum()) for k, c in comps},
            "hedge_financing": float(0.0 if self.hedge_financing is None else self.hedge_financing[:, path].sum()),
            "key_descriptions": dict(KEY_DESCRIPTIONS),
            "n_trades": int((self.trades["path"] == path).sum()) if len(self.trades) else 0,
            "trades_by_reason": (
                {
                    str(k): int(v)
                    for k, v in self.trades.loc[self.trades["path"] == path, "reason"].value_counts().items()
                }
                if len(self.trades)
                else {}
            ),
            "events": dict(self.events),
            "rebalance_firings": int((self.rebalance_log["path"] == path).sum()) if len(self.rebalance_log) else 0,
        }
        ratio = self.rebalance_ratio[:, path]
        thr = self.metadata.get("rebalance_threshold")
        if thr is not None and np.isfinite(ratio).any():
            share = float(np.mean(ratio[np.isfinite(ratio)] > float(cast(float, thr))))
            out["rebalance_ratio_above_threshold_share"] = share
            out["rebalance_note"] = f"beta ratio above {thr} on {share:.0%} of the days it is defined" + (
                "; the trigger fires most days (raw ratio mostly measures layer size and "
                "maturity), the cooldown limits the trades"
                if share > 0.5
                else ""
            )
        lw = self._layer_weights(path)
        if lw:
            out["layer_weights"] = lw
        if self.analysis is not None:
            # drag, split, trigger count/share, regime table, steward figures (alvh.analytics.HedgeAnalysis)
            out["analysis"] = self.analysis.summary_dict()
        return out

    def _layer_weights(self, path: int) -> dict[str, object]:
        """Achieved hedge-layer weights next to the targets (engine metadata ``layer_targets``).

        Per layer: ``target`` (rules weight, before any adaptive scaling), ``mean_weight`` = mean over
        all days of contracts x multiplier x VX price / NAV (the contract's notional; for VIX calls the
        notional of the underlying future), ``mean_weight_held`` the same over days held,
        ``held_share`` the share of days the layer holds a position, ``mean_contracts_held``.
        """
        targets = cast(dict[str, dict[str, object]], self.metadata.get("layer_targets") or {})
        if not targets:
            return {}
        rec = self.records
        comp = np.array(rec.slots.component)
        nav = self.nav[:, path]
        out: dict[str, object] = {}
        for name, tgt in targets.items():
            s = np.flatnonzero(comp == name)
            if s.size != 1:
                continue
            q = np.abs(rec.quantity[:, path, s[0]])
            held = q != 0
            w = q * float(rec.slots.multiplier[s[0]]) * rec.underlying_now[:, path, s[0]] / nav
            out[name] = {
                **tgt,
                "mean_weight": float(w.mean()),
                "mean_weight_held": float(w[held].mean()) if held.any() else 0.0,
                "held_share": float(held.mean()),
                "mean_contracts_held": float(q[held].mean()) if held.any() else 0.0,
            }
        return out

    def summary(self, path: int = 0) -> str:
        """Plain-text summary with the metadata header."""
        s: dict[str, Any] = self.summary_dict(path)
        m = self.metadata
        lines = [
            f"alvh {m.get('alvh_version')} backtest  config {str(m.get('config_hash'))[:12]}  seed {m.get('seed')}",
            f"data {s['start']} .. {s['end']} ({s['n_days']} days, {self.n_paths} path(s)); path {path}",
            f"capital {self.capital:,.0f}  final NAV {s['final_nav']:,.0f}  total return {s['total_return']:.2%}"
            + (f"  CAGR {s['cagr']:.2%}" if s["cagr"] is not None else "")
            + f"  max drawdown {s['max_drawdown']:.2%}",
        ]
        for c in self.components:
            lines.append(
                f"  {c:<10} net P&L {s['component_pnl_net'][c]:>14,.0f}  costs {s['component_costs'][c]:>12,.0f}"
            )
        lines.append(
            f"  margin-debt interest (financing) {s['financing']:,.0f}  interest on cash "
            f"{sum(s['interest'].values()):,.0f} ({m.get('interest')}); hedge-cash financing "
            f"{s['hedge_financing']:,.0f}"
        )
        if isinstance(fl := m.get("financing_layer"), dict):  # engine.financing.financing_report
            lines.append(f"  {fl['statement']}")
        lines.append(f"trades {s['n_trades']} {s['trades_by_reason']}; rebalance firings {s['rebalance_firings']}")
        if "rebalance_note" in s:
            lines.append(str(s["rebalance_note"]))
        for name, lw in (s.get("layer_weights") or {}).items():
            sized = str(lw.get("sizing", ""))
            target = f"{lw['weight']:.2%}" if not sized.startswith("core_vega") else f"{sized} (effective vega)"
            lines.append(
                f"  layer {name:<8} target {target}  achieved {lw['mean_weight']:.2%} "
                f"({lw['mean_weight_held']:.2%} when held, held {lw['held_share']:.0%} of days, "
                f"{lw['mean_contracts_held']:.1f} contracts)"
            )
        ev = {k: v for k, v in s["events"].items() if v}
        lines.append("events: " + (", ".join(f"{k}={v}" for k, v in sorted(ev.items())) or "none"))
        if self.analysis is not None:
            lines.append(self.analysis.summary())
        return "\n".join(lines)

    def to_dict(self, path: int = 0) -> dict[str, object]:
        """JSON-ready figures of one path: the same as :meth:`summary_dict` (what ``summary.json`` holds)."""
        return self.summary_dict(path)

    def _headline(self) -> dict[str, object]:
        m = self.metadata
        return {
            "span": f"{self.dates[0].date()}..{self.dates[-1].date()}",
            "days": len(self.dates),
            "paths": self.n_paths,
            "components": self.components,
            "capital": self.capital,
            "final_nav (path 0)": round(float(self.nav[-1, 0]), 2),
            "trades": len(self.trades),
            "rebalance_firings": len(self.rebalance_log),
            "config": str(m.get("config_hash"))[:12],
            "seed": m.get("seed"),
            "analysis": type(self.analysis).__name__ if self.analysis is not None else None,
        }

    def __repr__(self) -> str:
        """One line: span, size, components, final NAV of path 0, trades, config hash (never the arrays)."""
        return concise_repr("BacktestResult", self._headline())

    def _repr_html_(self) -> str:
        return html_view("alvh BacktestResult", self._headline(), self.summary())

    def to_parquet(self, folder: str | Path, path: int = 0) -> None:
        """Write ``daily.parquet`` (to_frame), ``trades.parquet`` and ``summary.json`` into folder."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        self.to_frame(path).to_parquet(out / "daily.parquet")
        self.trades.to_parquet(out / "trades.parquet", index=False)
        (out / "summary.json").write_text(json.dumps(self.summary_dict(path), indent=2, default=str))

    def to_csv(self, folder: str | Path, path: int = 0) -> None:
        """Write ``daily.csv``, ``trades.csv``, ``events.csv`` and ``rebalance.csv`` into folder."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        self.to_frame(path).to_csv(out / "daily.csv")
        self.trades.to_csv(out / "trades.csv", index=False)
        self.event_log.to_csv(out / "events.csv", index=False)
        self.rebalance_log.to_csv(out / "rebalance.csv", index=False)
