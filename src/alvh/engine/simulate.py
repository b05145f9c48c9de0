"""The engine: prepare (validate rules against data) -> simulate (one loop over days) -> records.

All state is arrays with a leading path axis; positions are arrays per slot
(four core legs, one slot per hedge layer, two for the constant-maturity mix).
Each trading day ``d``, at the close:

1. financing interest for the period (debt x rate x calendar days / 365);
2. **mark** every held slot (SPX options: Black-Scholes-Merton on the SPX close with the
   surface's smile; VX: the settlement; VIX options: Black-76 on the VX of the same expiry);
   positions expiring today are valued at their settlement instead: SPX options at the SPX
   **open** (proxy of the AM special opening settlement), VX and VIX options at the **VIX
   open** (proxy of the VIX special opening quotation). The holding-period row of
   :class:`~alvh.engine.records.PositionRecords` is written here;
3. **settle** expiries (cash = quantity x multiplier x settlement, no cost);
4. **rules**: core exits, core entry, layer rolls/resizes (adaptive weights), the beta-ratio
   rebalance, the constant-maturity mix; every trade at today's mark plus the cost model;
5. NAV = cash + sum(quantity x multiplier x mark) - debt.

Trading at the mark moves cash and position value by equal amounts, so the daily NAV change
is exactly the positions' mark-to-market P&L minus costs plus financing (tested to 1e-9).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from alvh.calendar import spx_expiries_between
from alvh.config import Rules
from alvh.engine.inputs import MarketPaths
from alvh.engine.records import InstrumentKind, SlotInfo
from alvh.errors import ConfigError
from alvh.market.surface import _TERM_T, SpxSurface
from alvh.market.vx_sensitivity import SENSITIVITY_MAX_DTE, ExpandingDfdvix
from alvh.pricing.backend import resolve_backend
from alvh.strategy import kernels
from alvh.strategy.costs import SPX_MULTIPLIER, VIX_OPTION_MULTIPLIER, VX_MULTIPLIER, CostModel
from alvh.strategy.layers import BucketPlan, adaptive_total_weight, bucket_plan, cm_weights
from alvh.strategy.legs import LEG_IS_CALL, LEG_NAMES, LEG_SIGN, break_evens, collateral, select_strikes

REASONS: tuple[str, ...] = ("entry", "roll", "rebalance", "exit", "expiry", "adaptive", "resize")
_R = {r: i for i, r in enumerate(REASONS)}
_DAY_NS = np.timedelta64(1, "D")


@dataclass(frozen=True)
class Prepared:
    """Everything derived from rules + market before the loop (validated)."""

    rules: Rules
    paths: MarketPaths
    vx_dte: np.ndarray  #: (n_days, n_contracts)
    vx_listed: np.ndarray  #: (n_days, n_contracts) bool (from path 0: all paths list the same contracts)
    vx_settle_day: np.ndarray  #: (n_contracts,) trading-day index of each contract's settlement (n_days if later)
    plans: tuple[BucketPlan, ...]
    spx_expiry: np.ndarray  #: datetime64[D] monthly SPX expiries covering the run
    spx_settle_day: np.ndarray  #: trading-day index of each
    front: np.ndarray  #: (n_days,) front listed contract (DTE > 0), -1 if none
    cm_pair: np.ndarray | None
    cm_w: np.ndarray | None
    events: dict[str, int] = field(default_factory=dict)


def prepare(rules: Rules, paths: MarketPaths) -> Prepared:
    """Validate the rules against the data and precompute the contract calendar.

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
            raise ConfigError(f"no listed VX contract has {layer.min_dte}-{layer.max_dte} days to expiry on any day "
                              f"of {paths.dates[0].date()}..{paths.dates[-1].date()}", key=f"layers.{i}.max_dte",
                              expected="a DTE bucket the listed contracts can fill")
        events[f"bucket_unfilled_days.{layer.name}"] = n - inside_days
        plans.append(plan)
    if rules.rebalance.enabled and len(rules.layers) >= 2 and rules.rebalance.min_nobs > n:
        raise ConfigError(f"min_nobs {rules.rebalance.min_nobs} exceeds the {n} days of the run",
                          key="rebalance.min_nobs", expected="a window shorter than the data")
    exp = spx_expiries_between(paths.dates[0], paths.dates[-1] + pd.Timedelta(days=800))
    spx_settle = np.searchsorted(d64, exp, side="left")
    ok = listed & (dte > 0)
    front = (np.where(ok.any(axis=1), np.argmax(ok, axis=1), -1) if ok.shape[1]
             else np.full(n, -1, dtype=np.int64))
    cm_pair = cm_w = None
    if rules.constant_maturity.enabled:
        if listed.shape[1] < 2:
            raise ConfigError("constant maturity needs VX data", key="constant_maturity.enabled",
                              expected="VX contracts in the data")
        cm = rules.constant_maturity
        cm_pair, cm_w = cm_weights(dte, listed, settle_day, n, cm.target_days, cm.schedule)
    return Prepared(rules=rules, paths=paths, vx_dte=dte, vx_listed=listed, vx_settle_day=settle_day,
                    plans=tuple(plans), spx_expiry=exp, spx_settle_day=spx_settle, front=front,
                    cm_pair=cm_pair, cm_w=cm_w, events=events)


class _Ledger:
    """Trades as arrays appended per day (no object per trade)."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(self, day: int, paths: np.ndarray, slot: int, qty: np.ndarray, price: np.ndarray, cost: np.ndarray,
            reason: str, contract: np.ndarray, strike: np.ndarray, expiry: np.ndarray) -> None:
        m = qty != 0
        if not m.any():
            return
        k = int(m.sum())
        self.parts.append((np.full(k, day, np.int32), paths[m].astype(np.int32), np.full(k, slot, np.int16),
                           qty[m].astype(float), price[m].astype(float), cost[m].astype(float),
                           np.full(k, _R[reason], np.int8), contract[m].astype(np.int32), strike[m].astype(float),
                           expiry[m].astype(np.int64)))

    def arrays(self) -> dict[str, np.ndarray]:
        names = ("day", "path", "slot", "quantity", "price", "cost", "reason", "contract", "strike", "expiry")
        if not self.parts:
            return {k: np.empty(0) for k in names}
        return {k: np.concatenate([p[i] for p in self.parts]) for i, k in enumerate(names)}


def run_engine(rules: Rules, paths: MarketPaths, cost_model: CostModel | None = None, *,
               seed: int | None = None, backend: str = "auto"):  # -> BacktestResult
    """Run the rules on the market paths; return a :class:`~alvh.results.BacktestResult`.

    One loop over trading days; every operation inside is vectorized over paths (and slots).
    ``backend``: ``"numpy"``, ``"numba"`` (fused compiled kernels for the SPX leg marks; same numbers
    to floating rounding, tested) or ``"auto"`` (numba when installed).
    """
    from alvh.results import build_result

    prep = prepare(rules, paths)
    sim = _Simulation(prep, cost_model or CostModel(rules.costs), backend=backend)
    sim.run()
    res = build_result(prep, sim, seed=rules.general.seed if seed is None else seed)
    # the targets the summary's achieved layer weights are compared with (BacktestResult.summary_dict)
    targets = {la.name: {"weight": la.weight, "instrument": la.instrument, "sizing": la.sizing,
                         "contracts": rules.general.contracts, "adaptive": rules.adaptive.enabled}
               for la in rules.layers}
    return replace(res, metadata={**res.metadata, "layer_targets": targets})


def _numba_kernels(backend: str):  # -> module | None
    """The compiled day kernels (alvh.pricing._numba) for ``backend``, or None for the numpy path."""
    if not resolve_backend(backend).compiled:
        return None  # "numpy" without importing numba (~0.3 s and ~60 MB of resident memory)
    from alvh.pricing import _numba

    return _numba


class _Simulation:  # noqa: PLR0902 - state container of the day loop
    def __init__(self, prep: Prepared, costs: CostModel, backend: str = "auto") -> None:
        self.prep = prep
        self.costs = costs
        self.nb = _numba_kernels(backend)
        r = prep.rules
        mp = prep.paths
        self.n, self.P = mp.n_days, mp.n_paths
        self.L = len(r.layers)
        self.cm = r.constant_maturity.enabled
        self.S = 4 + self.L + (2 if self.cm else 0)
        self.components = ["core", *[la.name for la in r.layers], *(["cm"] if self.cm else [])]
        comp_of_slot = ["core"] * 4 + [la.name for la in r.layers] + (["cm", "cm"] if self.cm else [])
        self.slot_comp = np.array([self.components.index(c) for c in comp_of_slot])
        self.min_dte_l = np.array([la.min_dte for la in r.layers], dtype=np.int64)
        self.all_futures = all(la.instrument == "vx_future" for la in r.layers)  # (cm slots are futures)
        self.any_extrinsic = any(la.roll.extrinsic_below is not None for la in r.layers)
        self.onehot = (self.slot_comp[:, None] == np.arange(len(self.components))[None, :]).astype(float)
        names = [f"core.{n}" for n in LEG_NAMES] + [f"{la.name}.contract" for la in r.layers] \
            + (["cm.first", "cm.second"] if self.cm else [])
        mult = np.array([SPX_MULTIPLIER] * 4 + [VX_MULTIPLIER if la.instrument == "vx_future"
                                                else VIX_OPTION_MULTIPLIER for la in r.layers]
                        + ([VX_MULTIPLIER] * 2 if self.cm else []))
        self.slots = SlotInfo(names=tuple(names), component=tuple(comp_of_slot), multiplier=mult)
        self.mult = mult
        self.slot_kind = np.array([InstrumentKind.SPX_OPTION] * 4 + [
            InstrumentKind.VX_FUTURE if la.instrument == "vx_future" else InstrumentKind.VIX_OPTION
            for la in r.layers] + ([InstrumentKind.VX_FUTURE] * 2 if self.cm else []), dtype=np.int8)
        P, S, n = self.P, self.S, self.n
        # position state (P, S)
        self.qty = np.zeros((P, S))
        self.strike = np.full((P, S), np.nan)
        self.exp_ord = np.zeros((P, S), dtype=np.int64)  # expiry as days since epoch
        self.contract = np.full((P, S), -1, dtype=np.int64)
        self.is_call = np.zeros((P, S), dtype=bool)
        self.is_call[:, :4] = LEG_IS_CALL
        for j, la in enumerate(r.layers):
            self.is_call[:, 4 + j] = la.instrument == "vix_call"
        self.price_last = np.zeros((P, S))
        self.und_last = np.zeros((P, S))
        self.vol_last = np.full((P, S), np.nan)
        self.t_last = np.zeros((P, S))
        self.rate_last = np.zeros((P, S))
        self.delta_last = np.zeros((P, S))
        self.entry_extrinsic = np.zeros((P, S))
        self.credit = np.zeros(P)
        self.core_strikes = np.full((P, 4), np.nan)
        self.cash = np.full(P, r.general.capital)
        self.debt = 0.0
        if r.financing.enabled and r.financing.fraction > 0:
            self.debt = r.financing.fraction * r.general.capital
            self.cash += self.debt
        self.prev_scale = np.full(P, np.nan)
        self._ones = np.ones(P)  # read-only constants of _layers
        self._no = np.zeros(P, dtype=bool)
        self._ones.flags.writeable = False
        self._no.flags.writeable = False
        self.cooldown = np.zeros(P, dtype=np.int64)
        self.ever_held = np.zeros((P, S), dtype=bool)
        # outputs
        K = len(self.components)
        self.nav = np.zeros((n, P))
        self.cash_hist = np.zeros((n, P))
        self.value = np.zeros((n, P, K))
        self.pnl = np.zeros((n, P, K))
        self.cost = np.zeros((n, P, K))
        self.fin = np.zeros((n, P))
        # delta, gamma, vega, theta in dollars; float32 (7 significant digits) to halve memory on 10,000 paths
        self.greeks = np.zeros((n, P, K, 4), dtype=np.float32)
        self.be = np.full((n, P, 2), np.nan)
        self.coll = np.zeros((n, P))
        self.snap_strikes = np.full((n, P, 4), np.nan)
        self.snap_credit = np.zeros((n, P))
        self.snap_condors = np.zeros((n, P))
        self.reb_fired = np.zeros((n, P), dtype=bool)
        self.reb_beta = np.full((n, P, 2), np.nan)
        self.reb_ratio = np.full((n, P), np.nan)
        self.reb_cost = np.zeros((n, P))
        self.reb_trades = np.zeros((n, P))
        self.ledger = _Ledger()
        self.events = dict(prep.events)
        self.event_log: list[tuple[int, str, int]] = []
        rec = {k: np.zeros((n, P, S)) for k in ("quantity", "strike", "t_prev", "t_now", "underlying_prev",
                                                   "underlying_now", "underlying_rolldown", "vol_prev", "vol_now",
                                                   "price_prev", "price_now")}
        for k in ("strike", "vol_prev", "vol_now"):
            rec[k][:] = np.nan
        rec["kind"] = np.zeros((n, P, S), dtype=np.int8)
        rec["is_call"] = np.zeros((n, P, S), dtype=bool)
        self.rec = rec
        self.rb = None
        if r.rebalance.enabled and self.L >= 2:
            from alvh.stats import RollingBeta

            names_l = [la.name for la in r.layers]
            self.reb_idx = (names_l.index(r.rebalance.short_layer), names_l.index(r.rebalance.long_layer))
            self.rb = RollingBeta(window=r.rebalance.window, min_nobs=r.rebalance.min_nobs, shape=(P, 2),
                                  backend="numpy" if self.nb is None else "numba")
        self.arP = np.arange(P)
        self.d_ord = mp.dates.values.astype("datetime64[D]").astype(np.int64)
        self.exp_ord_vx = mp.vx_expiry.astype("datetime64[D]").astype(np.int64)
        self.spx_exp_ord = prep.spx_expiry.astype(np.int64)
        self.core_entry_days = set(int(i) for i in prep.spx_settle_day if i < n)
        self._blk: tuple = (0, 0)  # current VX day block (first day, end, tables): see _vx_day
        self.vx_tables = P * mp.vx_price.shape[2] <= self.VX_TABLE_MAX_CELLS
        g = r.general
        self.rates = (np.asarray(mp.rate, dtype=float) if g.rate_source == "data"
                      else np.full(n, float(g.constant_rate)))
        # constant per slot: written into every records row once here, not each day
        self.rec["kind"][:] = self.slot_kind
        self.rec["is_call"][:] = self.is_call
        self.layer_fut = self.slot_kind[4:4 + self.L] == InstrumentKind.VX_FUTURE
        self.reb_cols = np.array(self.reb_idx) if self.rb is not None else None
        # SPX daily return (the rebalance regressor), (n, P, 1); NaN on day 0
        c = mp.spx_close
        self.spx_ret = np.concatenate([np.full((1, P), np.nan), c[1:] / c[:-1] - 1.0])[:, :, None]
        span = int(max(self.exp_ord_vx.max(initial=self.d_ord[-1]), self.d_ord[-1]) - self.d_ord[0]) + 2
        self._today = 0  # the day being simulated: the row of a per-day dF/dVIX table (set by _day)
        if isinstance(mp.sensitivity, ExpandingDfdvix):
            # known at each close (no look-ahead): (n, W); DTEs beyond W-1 read at W-1 (the estimate is flat there)
            est = mp.sensitivity
            if len(est.dates) != n or not (est.dates == mp.dates).all():
                from alvh.errors import InputError

                raise InputError(f"{len(est.dates)} estimate days against {n} run days", argument="sensitivity",
                                 expected="an ExpandingDfdvix on the run's dates (ExpandingDfdvix.take)")
            self.sens_tab = est.close_table(min(span, SENSITIVITY_MAX_DTE))
            want: tuple[int, ...] = (n, min(span, SENSITIVITY_MAX_DTE))
        else:
            self.sens_tab = np.asarray(mp.sensitivity(np.arange(span, dtype=float)), dtype=float)
            want = (span,)
        if self.sens_tab.shape != want or not np.isfinite(self.sens_tab).all():
            from alvh.errors import InputError

            raise InputError("sensitivity(dte) must return one finite dF/dVIX per day to expiry",
                             argument="sensitivity", expected=f"finite values for dte 0..{span - 1}")

    # ------------------------------------------------------------------ helpers
    def _event(self, d: int, name: str, count: int) -> None:
        if count:
            self.events[name] = self.events.get(name, 0) + int(count)
            self.event_log.append((d, name, int(count)))

    def _rate(self, d: int) -> float:
        return float(self.rates[d])

    # day-block tables of every contract's mark, roll-down and dF/dVIX: they depend on the day and the
    # contract only (a held VX slot's DTE is its contract's DTE), not on today's decisions, so they are
    # computed for a block of days at once and the loop only gathers. Worth it when the cost per day is
    # numpy's per-call overhead (few paths); on many paths it would compute every listed contract
    # (23 on the model calendar) instead of the 3-5 held slots, so the day's held slots are marked
    # directly (_vx_px, _rolldown: the same arithmetic, tested equal).
    VX_TABLE_MAX_CELLS = 1 << 16  # paths x contracts up to which the tables are used
    _VX_BLOCK_CELLS = 1 << 19  # days x paths x contracts per block (4 MB per float table, ~10 temporaries)

    def _vx_day(self, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(mark, roll-down, dF/dVIX) of every contract on day d: (P, C), (P, C), (C,)."""
        if not self._blk[0] <= d < self._blk[1]:
            C = self.prep.paths.vx_price.shape[2]
            B = max(1, self._VX_BLOCK_CELLS // max(self.P * C, 1))
            d1 = min(self.n, d + B)
            self._blk = (d, d1, *self._vx_block(d, d1))
        i = d - self._blk[0]
        return self._blk[2][i], self._blk[3][i], self._blk[4][i]

    def _vx_block(self, d0: int, d1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Tables of days d0..d1-1 (B, P, C): the VX price of each contract, the VIX open on its settlement
        day (NaN where not listed); the roll-down: yesterday's curve (VIX close at DTE 0, listed VX)
        linearly interpolated at the contract's DTE today (day 0: unused); dF/dVIX at its DTE (B, C)."""
        mp, prep = self.prep.paths, self.prep
        days = np.arange(d0, d1)
        C = mp.vx_price.shape[2]
        mark = np.where((prep.vx_settle_day[None, :] == days[:, None])[:, None, :], mp.vix_open[d0:d1][:, :, None],
                        mp.vx_price[d0:d1])
        tau_now = (self.exp_ord_vx[None, :] - self.d_ord[d0:d1][:, None]).astype(float)  # (B, C)
        sens = self._sens(tau_now, days[:, None])
        prev = np.maximum(days - 1, 0)
        cc = np.arange(C)
        lo = np.maximum(cc - 1, 0)
        f_c = mp.vx_price[prev]  # (B, P, C)
        t_c = prep.vx_dte[prev].astype(float)[:, None, :]
        f_lo = f_c[:, :, lo]
        t_lo = prep.vx_dte[prev][:, lo].astype(float)[:, None, :]
        tn = tau_now[:, None, :]
        use_lo = (cc >= 1) & np.isfinite(f_lo) & (t_lo > 0) & (t_lo <= tn)
        f0 = np.where(use_lo, f_lo, mp.vix_close[prev][:, :, None])
        t0 = np.where(use_lo, t_lo, 0.0)
        span = np.where(t_c > t0, t_c - t0, 1.0)
        w = np.clip((tn - t0) / span, 0.0, 1.0)
        out = f0 + (f_c - f0) * w
        rd = np.where(np.isfinite(out), out, f_c)
        return mark, rd, sens

    def _vx_px(self, d: int, c: np.ndarray) -> np.ndarray:
        """VX price of contract c (P,) on day d; VIX open on its settlement day; NaN where none."""
        mp = self.prep.paths
        cc = np.maximum(c, 0)
        ar, col = (self.arP[:, None], (slice(None), None)) if c.ndim == 2 else (self.arP, slice(None))
        px = mp.vx_price[d, ar, cc]
        settling = self.prep.vx_settle_day[cc] == d
        px = np.where(settling, mp.vix_open[d][col], px)
        return np.where(c >= 0, px, np.nan)

    def _rolldown(self, d: int, c: np.ndarray, tau_now: np.ndarray) -> np.ndarray:
        """Yesterday's curve (VIX close at DTE 0, listed VX) linearly interpolated at today's DTE."""
        mp, prep = self.prep.paths, self.prep
        cc = np.maximum(c, 0)
        ar, col = (self.arP[:, None], (slice(None), None)) if c.ndim == 2 else (self.arP, slice(None))
        lo = np.maximum(cc - 1, 0)
        f_c = mp.vx_price[d - 1, ar, cc]
        t_c = prep.vx_dte[d - 1, cc].astype(float)
        f_lo = mp.vx_price[d - 1, ar, lo]
        t_lo = prep.vx_dte[d - 1, lo].astype(float)
        use_lo = (cc >= 1) & np.isfinite(f_lo) & (t_lo > 0) & (t_lo <= tau_now)
        f0 = np.where(use_lo, f_lo, mp.vix_close[d - 1][col])
        t0 = np.where(use_lo, t_lo, 0.0)
        span = np.where(t_c > t0, t_c - t0, 1.0)
        w = np.clip((tau_now - t0) / span, 0.0, 1.0)
        out = f0 + (f_c - f0) * w
        return np.where(np.isfinite(out), out, f_c)

    def _sens(self, tau_days: np.ndarray, day: int | np.ndarray | None = None) -> np.ndarray:
        """dF/dVIX at tau_days calendar days, known at the close of ``day`` (default: the day simulated).

        ``MarketPaths.sensitivity``: an :class:`alvh.market.vx_sensitivity.ExpandingDfdvix` (real VX data:
        the expanding estimate known at each close, a (n_days, W) table) or a callable of DTE (the model,
        :func:`alvh.market.effective_vega_model`, a (span,) table). Days to expiry are whole calendar days,
        so the table is computed once and looked up: the same numbers without a model call per day.
        """
        tab = self.sens_tab
        i = np.clip(np.rint(tau_days), 0, tab.shape[-1] - 1).astype(np.intp)
        if tab.ndim == 1:
            return tab[i]
        return tab[self._today if day is None else day, i]

    def _trade(self, d: int, s: int, dq: np.ndarray, price: np.ndarray, cost: np.ndarray, reason: str) -> None:
        """Buy dq (P,) of slot s at price (P,) paying cost (P,): cash and cost books."""
        dq = np.where(np.isfinite(dq), dq, 0.0)
        trade = dq != 0
        if not trade.any():
            return
        px = np.where(trade, price, 0.0)
        c = np.where(trade, cost, 0.0)
        self.cash -= dq * self.mult[s] * px + c
        self.cost[d, :, self.slot_comp[s]] += c
        self.ledger.add(d, self.arP, s, dq, px, c, reason, self.contract[:, s], self.strike[:, s],
                        self.exp_ord[:, s])

    # ------------------------------------------------------------------ day loop
    def run(self) -> None:
        for d in range(self.n):
            self._day(d)
        self.finish_records()
        on = self.snap_condors != 0
        st = self.snap_strikes.reshape(-1, 4)
        cr = self.snap_credit.reshape(-1)
        lo, hi = break_evens(st, cr)
        self.be[..., 0] = np.where(on, lo.reshape(on.shape), np.nan)
        self.be[..., 1] = np.where(on, hi.reshape(on.shape), np.nan)
        self.coll = collateral(st, cr, self.snap_condors.reshape(-1), SPX_MULTIPLIER).reshape(on.shape)

    def finish_records(self) -> None:
        """Blank the record fields of slots not held (in place: no second copy of the big arrays)."""
        rec = self.rec
        empty = rec["quantity"] == 0
        rec["kind"][empty] = InstrumentKind.NONE
        rec["is_call"][empty] = False
        for k in ("strike", "vol_prev", "vol_now"):
            rec[k][empty] = np.nan
        for k in ("t_prev", "t_now", "underlying_prev", "underlying_now", "underlying_rolldown", "price_prev",
                  "price_now"):
            rec[k][empty] = 0.0

    def _day(self, d: int) -> None:  # noqa: PLR0915 - one trading day, in order
        r, mp, prep = self.prep.rules, self.prep.paths, self.prep
        self._today = d
        P, S = self.P, self.S
        rate = self._rate(d)
        q = r.core.dividend_yield
        # 1. financing over the period (d-1, d]
        if d > 0 and self.debt:
            days = float(self.d_ord[d] - self.d_ord[d - 1])
            fr = r.financing.rate if r.financing.rate_source == "constant" else float(mp.rate[d - 1]) + r.financing.spread
            interest = self.debt * fr * days / 365.0
            self.cash -= interest
            self.fin[d] = -interest
        # 2. marks of held positions
        held = self.qty != 0
        t_now = np.maximum((self.exp_ord - self.d_ord[d]) / 365.0, 0.0)
        price_now = self.price_last.copy()
        und_now = self.und_last.copy()
        und_rd = self.und_last.copy()
        vol_now = self.vol_last.copy()
        delta_now = np.zeros((P, S))
        g_core = np.zeros((P, len(self.components), 4))
        settle = np.zeros((P, S), dtype=bool)
        spx_c = mp.spx_close[d]
        # SPX legs (always computed: cheap, also gives the greeks)
        surf = mp.surface
        if held[:, :4].any() and self.nb is not None and isinstance(surf, SpxSurface):
            # one compiled pass: smile vol, BSM price and greeks of the 4 legs (same formulas as below)
            self.nb.spx_marks(spx_c, mp.spx_open[d], self.strike[:, :4], t_now[:, :4], surf.theta30[d], surf.rho[d],
                              surf.term_ratio[d], _TERM_T, float(surf.eta), float(surf.gamma), float(rate), float(q),
                              LEG_IS_CALL, self.qty[:, :4], SPX_MULTIPLIER, self.vol_last[:, :4],
                              self.price_last[:, :4], self.und_last[:, :4], price_now[:, :4], und_now[:, :4],
                              vol_now[:, :4], settle[:, :4], g_core[:, 0, :])
        elif held[:, :4].any():
            tl = t_now[:, :4]
            expiring = tl <= 0
            und = np.where(expiring, mp.spx_open[d][:, None], spx_c[:, None])
            fwd = spx_c[:, None] * np.exp((rate - q) * tl)
            with np.errstate(divide="ignore", invalid="ignore"):
                k = np.log(self.strike[:, :4] / fwd)
            k = np.where(h0 := np.isfinite(k), k, 0.0)  # empty legs: any finite point (their vol is unused)
            vol = np.asarray(mp.surface.day(d).iv(k, np.maximum(tl, 1e-9)))
            vol = np.where(h0, vol, np.nan)
            vol = np.where(expiring, self.vol_last[:, :4], vol)
            g = kernels.bsm_greeks(und, self.strike[:, :4], tl, np.where(np.isfinite(vol), vol, 0.2), rate, q,
                                   LEG_IS_CALL[None, :])
            h = held[:, :4]
            price_now[:, :4] = np.where(h, g.price, self.price_last[:, :4])
            und_now[:, :4] = np.where(h, und, self.und_last[:, :4])
            und_rd[:, :4] = self.und_last[:, :4]
            vol_now[:, :4] = np.where(h, vol, self.vol_last[:, :4])
            settle[:, :4] = h & expiring
            qm = self.qty[:, :4] * SPX_MULTIPLIER
            live = h & ~expiring
            for gi, arr in enumerate((g.delta, g.gamma, g.vega, g.theta)):
                g_core[:, 0, gi] = np.where(live, qm * arr, 0.0).sum(axis=1)
        # VIX products: every VX / VIX-option slot at once, (P, n_vix) blocks
        if S > 4 and self.nb is not None and self.all_futures and self.vx_tables and held[:, 4:].any():
            # one compiled pass over the futures slots (same steps as the numpy block below)
            vs = slice(4, S)
            mark_d, rd_d, sens_d = self._vx_day(d)
            stale = self.nb.vx_futures_marks(d, mark_d, rd_d, sens_d, prep.vx_settle_day, self.contract[:, vs],
                                             self.qty[:, vs], self.mult[vs], self.slot_comp[vs],
                                             self.price_last[:, vs], self.und_last[:, vs], price_now[:, vs],
                                             und_now[:, vs], und_rd[:, vs], delta_now[:, vs], settle[:, vs],
                                             g_core[:, :, 2])
            self._event(d, "stale_vx_mark", stale)
        elif S > 4 and held[:, 4:].any():
            vs = slice(4, S)
            h = held[:, vs]
            c = np.maximum(self.contract[:, vs], 0)  # empty slots (-1) read any contract: masked by h below
            tau = (self.exp_ord[:, vs] - self.d_ord[d]).astype(float)
            if self.vx_tables:
                mark_d, rd_d, sens_d = self._vx_day(d)
                f = mark_d[self.arP[:, None], c]
            else:
                f = self._vx_px(d, c)
            stale = h & ~np.isfinite(f)
            if stale.any():
                self._event(d, "stale_vx_mark", int(stale.sum()))
            f = np.where(np.isfinite(f), f, self.und_last[:, vs])
            if d == 0:
                rd = f
            else:
                rd = rd_d[self.arP[:, None], c] if self.vx_tables else self._rolldown(d, c, tau)
            rd = np.where(np.isfinite(rd), rd, self.und_last[:, vs])
            st = h & (prep.vx_settle_day[c] <= d)
            settle[:, vs] = st
            sens = sens_d[c] if self.vx_tables else self._sens(tau)
            fut = self.slot_kind[vs] == InstrumentKind.VX_FUTURE
            px = f
            dl = np.ones_like(f)
            vega_unit = np.where(fut, sens, 0.0)
            if not fut.all():
                # VIX-option vol at each held contract's tenor; a settling option keeps its last vol (unused:
                # the settlement is intrinsic), as do futures slots (vol not used)
                vv = np.where(st | fut | ~h, self.vol_last[:, vs], mp.vix_option_vol.vol(d, np.maximum(tau, 1.0)))
                gb = kernels.black_greeks(f, self.strike[:, vs], t_now[:, vs], vv, rate, True)
                px = np.where(fut, f, gb.price)
                dl = np.where(fut, 1.0, gb.delta)
                vol_now[:, vs] = np.where(h & ~fut, vv, self.vol_last[:, vs])
                vega_unit = np.where(fut, sens, gb.delta * sens)
                theta = np.where(h & ~st & ~fut, self.qty[:, vs] * self.mult[vs] * gb.theta, 0.0)
                g_core[:, :, 3] += theta @ self.onehot[vs]
            price_now[:, vs] = np.where(h, px, self.price_last[:, vs])
            delta_now[:, vs] = dl
            g_core[:, :, 2] += np.where(h & ~st, self.qty[:, vs] * self.mult[vs] * vega_unit, 0.0) @ self.onehot[vs]
            und_now[:, vs] = np.where(h, f, self.und_last[:, vs])
            und_rd[:, vs] = np.where(h, rd, self.und_last[:, vs])
        # records row d (holding period d-1 -> d)
        rec = self.rec
        # raw copies; slots not held are blanked once after the loop (_Simulation.finish_records)
        rec["quantity"][d] = self.qty  # (kind and is_call are per slot: written before the loop)
        rec["strike"][d] = self.strike
        rec["t_prev"][d] = self.t_last
        rec["t_now"][d] = t_now
        rec["underlying_prev"][d] = self.und_last
        rec["underlying_now"][d] = und_now
        rec["underlying_rolldown"][d] = und_rd
        rec["vol_prev"][d] = self.vol_last
        rec["vol_now"][d] = vol_now
        rec["price_prev"][d] = self.price_last
        rec["price_now"][d] = price_now
        slot_pnl = self.qty * self.mult[None, :] * (price_now - self.price_last)
        self.pnl[d] = slot_pnl @ self.onehot
        # layer vega P&L for the rebalance regression (holding period), all layers at once
        vega_pnl = vega_norm = None
        if self.rb is not None:
            ls = slice(4, 4 + self.L)
            h = held[:, ls]
            dlt = 1.0 if self.all_futures else np.where(self.layer_fut, 1.0, self.delta_last[:, ls])
            v = self.qty[:, ls] * self.mult[ls] * dlt * (und_now[:, ls] - und_rd[:, ls])
            vega_pnl = np.where(h, v, 0.0)
            if r.rebalance.basis == "normalized":  # per unit of effective vega notional (only then needed)
                ev = np.abs(self.qty[:, ls]) * self.mult[ls] * dlt * self._sens(self.t_last[:, ls] * 365.0, max(d - 1, 0))
                with np.errstate(divide="ignore", invalid="ignore"):
                    vega_norm = np.where(h & (ev > 0), v / np.where(ev > 0, ev, 1.0), np.nan)
        # roll the marks forward (the *_now arrays already carry the old values where nothing is held;
        # t and delta of empty slots are never read before an entry sets them)
        self.price_last = price_now
        self.und_last = und_now
        self.vol_last = vol_now
        self.t_last = t_now
        self.rate_last.fill(rate)
        self.delta_last = delta_now
        # 3. settle expiries
        for s in (np.nonzero(settle.any(axis=0))[0] if settle.any() else ()):
            m = settle[:, s]
            if m.any():
                dq = np.where(m, -self.qty[:, s], 0.0)
                self._trade(d, s, dq, self.price_last[:, s], np.zeros(P), "expiry")
                self.qty[:, s] = np.where(m, 0.0, self.qty[:, s])
        nav_pre = self.cash + (self.qty * self.mult[None, :] * self.price_last).sum(axis=1) - self.debt
        cap = nav_pre + self.debt if r.general.sizing_capital == "nav" else np.full(P, r.general.capital + self.debt)
        # 4a. core exits and entry
        if r.core.enabled:
            self._core(d, rate, q, cap)
        # 4b. layers
        if self.L:
            self._layers(d, rate, cap)
        # 4c. rebalance
        if self.rb is not None:
            y = (vega_pnl if r.rebalance.basis == "raw" else vega_norm)[:, self.reb_cols]
            if d == 0:
                y = np.full_like(y, np.nan)
            beta = self.rb.update(y, self.spx_ret[d])
            self._rebalance(d, beta, rate, cap)
        # 4d. constant maturity
        if self.cm:
            self._cm(d, nav_pre)
        # 5. NAV and per-component values/greeks
        mv = self.qty * self.mult[None, :] * self.price_last
        self.value[d] = mv @ self.onehot
        self.nav[d] = self.cash + mv.sum(axis=1) - self.debt
        self.cash_hist[d] = self.cash
        self.greeks[d] = g_core
        # core snapshot; break-evens and collateral are computed for all days at once after the loop
        self.snap_strikes[d] = self.core_strikes
        self.snap_credit[d] = self.credit
        self.snap_condors[d] = np.abs(self.qty[:, 1])

    # ------------------------------------------------------------------ core
    def _core(self, d: int, rate: float, q: float, cap: np.ndarray) -> None:
        r, mp = self.prep.rules, self.prep.paths
        P = self.P
        on = self.qty[:, 1] != 0
        ex = r.core.exits
        if on.any() and (ex.take_profit or ex.stop_loss or ex.close_at_dte is not None):
            close_cost = -(LEG_SIGN[None, :] * self.price_last[:, :4]).sum(axis=1)  # points per condor
            dte = (self.exp_ord[:, 1] - self.d_ord[d]).astype(float)
            hit = np.zeros(P, dtype=bool)
            if ex.take_profit:
                hit |= close_cost <= (1.0 - ex.take_profit) * self.credit
            if ex.stop_loss:
                hit |= close_cost >= ex.stop_loss * self.credit
            if ex.close_at_dte is not None:
                hit |= dte <= ex.close_at_dte
            hit &= on
            if hit.any():
                for s in range(4):
                    dq = np.where(hit, -self.qty[:, s], 0.0)
                    self._trade(d, s, dq, self.price_last[:, s], self.costs.spx(dq, 4, self.price_last[:, s]), "exit")
                    self.qty[:, s] = np.where(hit, 0.0, self.qty[:, s])
                self.credit = np.where(hit, 0.0, self.credit)
                self.core_strikes[hit] = np.nan
        flat = self.qty[:, 1] == 0
        if not flat.any():
            return
        today = self.d_ord[d]
        if r.core.entry == "third_friday":
            if d not in self.core_entry_days:
                return
            later = self.spx_exp_ord[self.spx_exp_ord > today]
        else:
            later = self.spx_exp_ord[self.spx_exp_ord > today]
            later = later[np.argsort(np.abs((later - today) - r.core.target_dte), kind="stable")]
        if len(later) == 0:
            self._event(d, "core_no_expiry", int(flat.sum()))
            return
        exp = int(later[0])
        t = (exp - today) / 365.0
        spot = mp.spx_close[d]
        rates = np.full(P, rate)
        sday = mp.surface.day(d)
        choice = select_strikes(r.core, spot, t, rates, lambda k, tt: np.asarray(sday.iv(k, tt)))
        fwd = spot * np.exp((rate - q) * t)
        with np.errstate(divide="ignore", invalid="ignore"):
            kk = np.log(choice.strikes / fwd[:, None])
        ok_k = np.isfinite(kk)
        vol = np.where(ok_k, np.asarray(sday.iv(np.where(ok_k, kk, 0.0), t)), np.nan)
        g = kernels.bsm_greeks(spot[:, None], choice.strikes, t, vol, rate, q, LEG_IS_CALL[None, :])
        credit = -(LEG_SIGN[None, :] * g.price).sum(axis=1)
        from alvh.strategy.legs import max_loss_per_condor

        ml = max_loss_per_condor(choice.strikes, credit)
        bad = choice.invalid | ~np.isfinite(credit) | (credit <= 0) | ~(ml > 0) | ~np.isfinite(vol).all(axis=1)
        go = flat & ~bad
        self._event(d, "core_no_valid_condor", int((flat & bad).sum()))
        with np.errstate(divide="ignore", invalid="ignore"):
            n = np.where(go, r.core.max_loss_fraction * cap / np.where(ml > 0, ml * SPX_MULTIPLIER, 1.0), 0.0)
        if r.general.contracts != "fractional":
            n = np.floor(n)  # the core's max_loss_fraction is a risk cap: never round a condor count up
        zero = go & (n <= 0)
        self._event(d, "core_size_zero", int(zero.sum()))
        go &= n > 0
        if not go.any():
            return
        for s in range(4):
            self.strike[:, s] = np.where(go, choice.strikes[:, s], self.strike[:, s])
            self.exp_ord[:, s] = np.where(go, exp, self.exp_ord[:, s])
            dq = np.where(go, LEG_SIGN[s] * n, 0.0)
            self.qty[:, s] += dq
            self._trade(d, s, dq, g.price[:, s], self.costs.spx(dq, 4, g.price[:, s]), "entry")
            self.price_last[:, s] = np.where(go, g.price[:, s], self.price_last[:, s])
            self.und_last[:, s] = np.where(go, spot, self.und_last[:, s])
            self.vol_last[:, s] = np.where(go, vol[:, s], self.vol_last[:, s])
            self.t_last[:, s] = np.where(go, t, self.t_last[:, s])
            self.rate_last[:, s] = np.where(go, rate, self.rate_last[:, s])
        self.credit = np.where(go, credit, self.credit)
        self.core_strikes = np.where(go[:, None], choice.strikes, self.core_strikes)

    # ------------------------------------------------------------------ layers
    def _scale(self, d: int) -> np.ndarray:
        """Multiplier of every layer's base weight (1 without adaptive weights)."""
        r, mp, prep = self.prep.rules, self.prep.paths, self.prep
        ad = r.adaptive
        if not ad.enabled:
            return np.ones(self.P)
        base = sum(la.weight for la in r.layers)
        if ad.basis == "vix":
            total = adaptive_total_weight(ad, level=mp.vix_close[d])
        else:
            f = prep.front[d]
            front = mp.vx_price[d, :, f] if f >= 0 else np.full(self.P, np.nan)
            if ad.basis == "vx_front":
                total = adaptive_total_weight(ad, level=front)
            else:
                total = adaptive_total_weight(ad, contango=front > mp.vix_close[d])
        nanm = ~np.isfinite(total)
        if nanm.any():
            self._event(d, "adaptive_level_missing", int(nanm.sum()))
            prev = np.where(np.isfinite(self.prev_scale), self.prev_scale * base, 0.0)
            total = np.where(nanm, prev, total)
        return total / base if base > 0 else np.zeros(self.P)

    def _new_contract_quote(self, d: int, j: int, c_new: int, rate: float) -> tuple[np.ndarray, ...]:
        """Price, strike, delta, extrinsic of a fresh position of layer j in contract c_new."""
        la = self.prep.rules.layers[j]
        mp = self.prep.paths
        f = mp.vx_price[d, :, c_new]
        tau = float(self.exp_ord_vx[c_new] - self.d_ord[d])
        if la.instrument == "vx_future":
            return f, np.full(self.P, np.nan), np.ones(self.P), np.zeros(self.P), np.full(self.P, np.nan)
        t = tau / 365.0
        vol = mp.vix_option_vol.vol(d, np.full(self.P, tau))  # tenor of the contract entered
        inc = la.call_strike_increment
        if la.call_strike_mode == "moneyness":
            k = np.round(la.call_moneyness * f / inc) * inc
        else:
            k = np.round(kernels.strike_for_delta(la.call_delta, f, t, vol, 0.0, True) / inc) * inc
        k = np.maximum(k, inc)
        gb = kernels.black_greeks(f, k, t, vol, rate, True)
        extrinsic = gb.price - np.maximum(f - k, 0.0) * np.exp(-rate * t)
        return gb.price, k, gb.delta, extrinsic, vol

    def _unit(self, la, f: np.ndarray, price: np.ndarray, delta: np.ndarray, tau: float, mult: float) -> np.ndarray:
        if la.sizing == "premium" and la.instrument == "vix_call":
            return mult * price
        if la.sizing == "effective_vega":
            return mult * f * delta * float(self._sens(np.array(tau)))
        return mult * f

    def _layers(self, d: int, rate: float, cap: np.ndarray) -> None:
        r, prep = self.prep.rules, self.prep
        ls = slice(4, 4 + self.L)
        due = (self.qty[:, ls] == 0) | ((self.exp_ord[:, ls] - self.d_ord[d]) < self.min_dte_l)
        if r.adaptive.enabled:
            scale = self._scale(d)
            changed = np.isfinite(self.prev_scale) & (scale != self.prev_scale)
            any_changed = bool(changed.any())
        else:  # fixed weights: scale 1, never changes (no per-day arrays)
            scale = self._ones
            changed = self._no
            any_changed = False
        self.prev_scale = scale
        if not (any_changed or self.any_extrinsic or due.any()):
            return
        for j, la in enumerate(r.layers):
            s = 4 + j
            if not (any_changed or la.roll.extrinsic_below is not None or due[:, j].any()):
                continue  # nothing can happen to this layer today
            held = self.qty[:, s] != 0
            dte_old = (self.exp_ord[:, s] - self.d_ord[d]).astype(float)
            roll = ~held | (held & (dte_old < la.min_dte))
            if la.roll.extrinsic_below is not None:
                f_old = self.und_last[:, s]
                ext = self.price_last[:, s] - np.maximum(f_old - self.strike[:, s], 0.0) * np.exp(-rate * self.t_last[:, s])
                roll |= held & (ext < la.roll.extrinsic_below * self.entry_extrinsic[:, s])
            resize = held & ~roll & changed
            c_new = int(prep.plans[j].contract[d])
            if not (roll | resize).any():
                continue
            if c_new < 0:
                self._event(d, f"layer_no_contract.{la.name}", int(roll.sum()))
                continue
            if roll.any() and not prep.plans[j].in_bucket[d]:
                self._event(d, f"bucket_unfilled.{la.name}", int(roll.sum()))
            price, k, delta, extrinsic, vol = self._new_contract_quote(d, j, c_new, rate)
            bad = ~np.isfinite(price)
            if (bad & roll).any():
                self._event(d, f"layer_no_price.{la.name}", int((bad & roll).sum()))
            tau = float(self.exp_ord_vx[c_new] - self.d_ord[d])
            f_new = self.prep.paths.vx_price[d, :, c_new]
            unit = self._unit(la, f_new, price, delta, tau, self.mult[s])
            with np.errstate(divide="ignore", invalid="ignore"):
                target = np.where(bad | ~(unit > 0), 0.0, la.weight * scale * cap / np.where(unit > 0, unit, 1.0))
            target = self._round_layer(target)
            act = roll & ~bad
            self._event(d, f"layer_size_zero.{la.name}", int((act & (target <= 0) & (la.weight * scale > 0)).sum()))
            # close the old contract where rolling into a different one (or the same one, re-struck for calls)
            close = act & held
            if close.any():
                dq = np.where(close, -self.qty[:, s], 0.0)
                cost = self._cost(la, dq, self.price_last[:, s])
                self._trade(d, s, dq, self.price_last[:, s], cost, "roll")
                self.qty[:, s] = np.where(close, 0.0, self.qty[:, s])
            opening = act & (target > 0)
            if opening.any():
                self.contract[:, s] = np.where(opening, c_new, self.contract[:, s])
                self.strike[:, s] = np.where(opening, k, self.strike[:, s])
                self.exp_ord[:, s] = np.where(opening, self.exp_ord_vx[c_new], self.exp_ord[:, s])
                reason_first = opening & ~self.ever_held[:, s]
                for reason, m in (("entry", reason_first), ("roll", opening & ~reason_first)):
                    if m.any():
                        dq = np.where(m, target, 0.0)
                        self._trade(d, s, dq, price, self._cost(la, dq, price), reason)
                self.qty[:, s] = np.where(opening, target, self.qty[:, s])
                self.ever_held[:, s] |= opening
                self._set_marks(s, opening, price, f_new, vol, tau / 365.0, rate, delta)
                self.entry_extrinsic[:, s] = np.where(opening, extrinsic, self.entry_extrinsic[:, s])
            # resize in the held contract to the new adaptive weight
            if resize.any():
                self._resize(d, j, resize, scale, cap, rate, "adaptive")

    def _round_layer(self, target: np.ndarray) -> np.ndarray:
        """Hedge contracts: "whole" = floor (never above the weight), "nearest" = round half up (the layer's
        weight is hit on average, not under-shot by half a contract), "fractional" = exact."""
        mode = self.prep.rules.general.contracts
        if mode == "whole":
            return np.floor(target)
        if mode == "nearest":
            return np.floor(target + 0.5)
        return target

    def _cost(self, la, dq: np.ndarray, price: np.ndarray) -> np.ndarray:
        return self.costs.vx(dq) if la.instrument == "vx_future" else self.costs.vix_option(dq, price)

    def _set_marks(self, s: int, m: np.ndarray, price, und, vol, t: float, rate: float, delta) -> None:
        self.price_last[:, s] = np.where(m, price, self.price_last[:, s])
        self.und_last[:, s] = np.where(m, und, self.und_last[:, s])
        self.vol_last[:, s] = np.where(m, vol, self.vol_last[:, s])
        self.t_last[:, s] = np.where(m, t, self.t_last[:, s])
        self.rate_last[:, s] = np.where(m, rate, self.rate_last[:, s])
        self.delta_last[:, s] = np.where(m, delta, self.delta_last[:, s])

    def _resize(self, d: int, j: int, m: np.ndarray, scale: np.ndarray, cap: np.ndarray, rate: float,
                reason: str, target: np.ndarray | None = None) -> np.ndarray:
        """Trade layer j's held contract to its target size where m; returns the cost paid."""
        la = self.prep.rules.layers[j]
        s = 4 + j
        m = m & (self.qty[:, s] != 0)
        if not m.any():
            return np.zeros(self.P)
        tau = (self.exp_ord[:, s] - self.d_ord[d]).astype(float)
        if target is None:
            f = self.und_last[:, s]
            if la.sizing == "premium" and la.instrument == "vix_call":
                unit = self.mult[s] * self.price_last[:, s]
            elif la.sizing == "effective_vega":
                unit = self.mult[s] * f * self.delta_last[:, s] * self._sens(tau)
            else:
                unit = self.mult[s] * f
            with np.errstate(divide="ignore", invalid="ignore"):
                target = np.where(unit > 0, la.weight * scale * cap / np.where(unit > 0, unit, 1.0), 0.0)
            target = self._round_layer(target)
        dq = np.where(m, target - self.qty[:, s], 0.0)
        cost = self._cost(la, dq, self.price_last[:, s])
        self._trade(d, s, dq, self.price_last[:, s], cost, reason)
        self.qty[:, s] += dq
        return np.where(dq != 0, cost, 0.0)

    def _rebalance(self, d: int, beta: np.ndarray, rate: float, cap: np.ndarray) -> None:
        from alvh.stats.rolling_beta import beta_ratio

        rb = self.prep.rules.rebalance
        ratio = beta_ratio(beta[:, 0], beta[:, 1])
        self.reb_beta[d] = beta
        self.reb_ratio[d] = ratio
        js, jl = self.reb_idx
        both = (self.qty[:, 4 + js] != 0) & (self.qty[:, 4 + jl] != 0)
        fire = (ratio > rb.threshold) & (self.cooldown <= 0) & both  # = stats.trigger (False where NaN)
        self.cooldown -= 1
        if not fire.any():
            return
        self.cooldown = np.where(fire, rb.cooldown_days, self.cooldown)
        cost = np.zeros(self.P)
        before = self.qty.copy()
        scale = self.prev_scale if np.isfinite(self.prev_scale).all() else np.ones(self.P)
        if rb.action == "restore_weights":
            for j in range(self.L):
                cost += self._resize(d, j, fire, scale, cap, rate, "rebalance")
        else:
            ss, sl = 4 + js, 4 + jl
            moved = self.qty[:, ss] * rb.shift_fraction
            notional = moved * self.mult[ss] * self.und_last[:, ss] * np.maximum(self.delta_last[:, ss], 0.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                add_long = notional / (self.mult[sl] * self.und_last[:, sl] * np.maximum(self.delta_last[:, sl], 1e-12))
            new_s, new_l = self.qty[:, ss] - moved, self.qty[:, sl] + add_long
            mode = self.prep.rules.general.contracts
            if mode == "whole":
                new_s, new_l = np.ceil(new_s), np.floor(new_l)
            elif mode == "nearest":
                new_s, new_l = np.floor(new_s + 0.5), np.floor(new_l + 0.5)
            cost += self._resize(d, js, fire, scale, cap, rate, "rebalance", target=new_s)
            cost += self._resize(d, jl, fire, scale, cap, rate, "rebalance", target=new_l)
        self.reb_fired[d] = fire
        self.reb_cost[d] = cost
        self.reb_trades[d] = np.abs(self.qty - before).sum(axis=1)

    # ------------------------------------------------------------------ constant maturity
    def _cm(self, d: int, nav_pre: np.ndarray) -> None:
        prep, mp = self.prep, self.prep.paths
        cmr = self.prep.rules.constant_maturity
        pair, w = prep.cm_pair[d], prep.cm_w[d]
        slots = (self.S - 2, self.S - 1)
        if pair[0] < 0 or not np.isfinite(w).all():
            self._event(d, "cm_no_pair", self.P)
            return
        f = np.stack([mp.vx_price[d, :, pair[0]], mp.vx_price[d, :, pair[1]]], axis=1)  # (P, 2)
        if not np.isfinite(f).all():
            self._event(d, "cm_no_price", int((~np.isfinite(f).all(axis=1)).sum()))
            return
        notional = cmr.weight * nav_pre
        denom = (w[None, :] * f).sum(axis=1) * VX_MULTIPLIER
        units = notional / denom  # index units: contracts = units x CRW
        for i, s in enumerate(slots):
            target = units * w[i]
            c = int(pair[i])
            same = self.contract[:, s] == c
            # close a slot holding another contract, then open the target
            other = (self.qty[:, s] != 0) & ~same
            if other.any():
                dq = np.where(other, -self.qty[:, s], 0.0)
                self._trade(d, s, dq, self.price_last[:, s], self.costs.vx(dq), "roll")
                self.qty[:, s] = np.where(other, 0.0, self.qty[:, s])
            self.contract[:, s] = c
            self.exp_ord[:, s] = self.exp_ord_vx[c]
            dq = target - self.qty[:, s]
            reason = "resize" if self.ever_held[:, s].any() and same.all() else (
                "roll" if self.ever_held[:, s].any() else "entry")
            self._trade(d, s, dq, f[:, i], self.costs.vx(dq), reason)
            self.qty[:, s] = target
            self.ever_held[:, s] |= target != 0
            tau = float(self.exp_ord_vx[c] - self.d_ord[d]) / 365.0
            self._set_marks(s, np.ones(self.P, dtype=bool), f[:, i], f[:, i], np.nan, tau,
                            self._rate(d), 1.0)
