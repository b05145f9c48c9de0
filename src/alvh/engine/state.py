"""The day loop's state: the slot layout, position arrays, the day's output arrays and the run's constants.

One :class:`EngineState` per run, built from :class:`~alvh.engine.prepare.Prepared`. Every stage of the
day (docs/engine.md, "One trading day") reads and updates it; nothing else is shared between stages.
Arrays have the path axis first: positions ``(n_paths, n_slots)``, outputs ``(n_days, n_paths, ...)``.
Slots: 4 core legs (:data:`alvh.strategy.legs.LEG_NAMES`), one per hedge layer, two for the
constant-maturity mix.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

from alvh.engine.fills import Ledger
from alvh.engine.prepare import Prepared
from alvh.engine.records import RECORD_FIELDS, InstrumentKind, SlotInfo
from alvh.engine.slots import slot_table
from alvh.errors import InputError
from alvh.market.vx_sensitivity import SENSITIVITY_MAX_DTE, ExpandingDfdvix
from alvh.pricing.units import DAYS_PER_YEAR
from alvh.strategy.costs import SPX_MULTIPLIER, VIX_OPTION_MULTIPLIER, VX_MULTIPLIER, CostModel
from alvh.strategy.layers import CM_SLOTS


class EngineState:  # noqa: PLR0902 - state container of the day loop
    """Mutable state of one run (see the module docstring); ``nb`` is the compiled kernels module or None."""

    #: paths x contracts up to which the VX day tables are used (alvh.engine.vx_marks.vx_day)
    VX_TABLE_MAX_CELLS = 1 << 16

    def __init__(self, prep: Prepared, costs: CostModel, nb: ModuleType | None) -> None:
        self.prep = prep
        self.costs = costs
        self.nb = nb
        self.dk: ModuleType | None = None  # the fused day kernels (engine.day_kernels; set by simulate.run_days)
        self.entry_tab: dict[int, tuple] | None = None  # the core's entries of every day (core_rules.entry_table)
        self.rec_row: tuple[np.ndarray, ...] = ()  # the records fields the compiled records row writes (recording)
        self.entry_memo: dict[int, tuple] | None = None  # the core's entry quotes shared by two books (core_rules)
        self._layout()
        self._positions()
        self._outputs()
        self._constants()

    def _layout(self) -> None:
        r = self.prep.rules
        mp = self.prep.paths
        self.n, self.P = mp.n_days, mp.n_paths
        self.P_own = self.prep.own_paths  # the run's own paths (the rest: its standalone core)
        self.L = len(r.layers)
        self.cm = r.constant_maturity.enabled
        k_cm = CM_SLOTS[r.constant_maturity.schedule] if self.cm else 0  # contracts the mix holds at once
        names, comp_of_slot, kind, call, self.spread_slot, self.conv_legs, self.conv_slots = slot_table(r)
        F = InstrumentKind.VX_FUTURE
        self.S = len(names)
        self.components = ["core", *[la.name for la in r.layers], *(["cm"] if self.cm else [])]
        self.slot_comp = np.array([self.components.index(c) for c in comp_of_slot])
        self.min_dte_l = np.array([la.min_dte for la in r.layers], dtype=np.int64)
        self.slot_kind = np.array(kind, dtype=np.int8)
        self.slot_is_call = np.array(call, dtype=bool)
        self.all_futures = bool((self.slot_kind[4:] == F).all())  # every VIX-product slot a future (cm included)
        self.any_extrinsic = any(la.roll.extrinsic_below is not None for la in r.layers)
        self.any_rolldown = any(la.roll.rolldown_above is not None for la in r.layers)
        self.onehot = (self.slot_comp[:, None] == np.arange(len(self.components))[None, :]).astype(float)
        # per-component sums are np.add.reduceat over the slots sorted by component (stable: slot order within
        # one): a matmul with a one-hot matrix sums in an order that depends on the number of paths, reduceat
        # does not, so a sweep variant's path equals its run alone bit for bit (tests/test_sweep_axis.py)
        self.comp_perm = np.argsort(self.slot_comp, kind="stable")
        sc = self.slot_comp[self.comp_perm]
        self.comp_start = np.flatnonzero(np.r_[True, sc[1:] != sc[:-1]])
        mult = np.where(
            self.slot_kind == F,
            VX_MULTIPLIER,
            np.where(self.slot_kind == InstrumentKind.VIX_OPTION, VIX_OPTION_MULTIPLIER, 0.0),
        )
        mult[:4] = SPX_MULTIPLIER
        self.slots = SlotInfo(names=tuple(names), component=tuple(comp_of_slot), multiplier=mult)
        self.mult = mult
        self.layer_fut = self.slot_kind[4 : 4 + self.L] == F
        self.fut_slot = self.slot_kind == F  # cash moves only by variation margin
        # slot -> component for the futures slots only (their daily P&L is their component's variation margin)
        self.fut_onehot = self.onehot * self.fut_slot[:, None] if self.fut_slot.any() else None
        # the hedge layers' slots (all but core and cm) and the layer each belongs to, for per-layer sums
        self.hedge_slots = np.arange(4, self.S - k_cm)
        self.hedge_onehot = (self.slot_comp[self.hedge_slots][:, None] == np.arange(1, self.L + 1)[None, :]).astype(
            float
        )
        # by_layer: the hedge slots sorted by layer (stable, as comp_perm) and where each layer's run starts
        hc = self.slot_comp[self.hedge_slots]
        self.layer_perm = np.argsort(hc, kind="stable")
        self.layer_start = np.searchsorted(hc[self.layer_perm], np.arange(1, self.L + 1))
        if self.L and not (np.unique(hc) == np.arange(1, self.L + 1)).all():
            raise AssertionError("every hedge slot belongs to a layer, every layer has a slot")  # a slot-table bug

    def _positions(self) -> None:
        r = self.prep.rules
        P, S = self.P, self.S
        self.qty = np.zeros((P, S))
        self.strike = np.full((P, S), np.nan)
        self.exp_ord = np.zeros((P, S), dtype=np.int64)  # expiry as days since epoch
        self.contract = np.full((P, S), -1, dtype=np.int64)
        self.is_call = np.broadcast_to(self.slot_is_call, (P, S))  # fixed per slot
        # marks at the last close (or at entry)
        self.price_last = np.zeros((P, S))
        self.und_last = np.zeros((P, S))
        self.vol_last = np.full((P, S), np.nan)
        self.t_last = np.zeros((P, S))
        self.rate_last = np.zeros((P, S))
        self.delta_last = np.zeros((P, S))
        self.entry_extrinsic = np.zeros((P, S))
        self.roll_code = np.zeros(P, dtype=np.int8)  # the layer roll being booked (strategy.layers.ROLL_REASONS)
        self.credit = np.zeros(P)
        self.core_strikes = np.full((P, 4), np.nan)
        self.cash = np.full(P, r.general.capital)
        self.debt = 0.0
        if r.financing.enabled and r.financing.mode == "borrow" and r.financing.fraction > 0:
            self.debt = r.financing.fraction * r.general.capital
            self.cash += self.debt
        # each component's claim on the cash account (cash + futures' value), last column cash no component
        # holds (the borrowed cash; the capital when there is no core): the core holds the capital (its
        # collateral); engine.financing books the interest on each
        self.acct = np.zeros((P, len(self.components) + 1))
        self.acct[:, 0 if r.core.enabled else -1] = r.general.capital
        self.acct[:, -1] += self.debt
        self.interest_on = r.general.interest_on_cash
        hedge_cash = r.financing.enabled and r.financing.mode == "hedge_cash"
        self.hedge_financed = np.array([c != "core" for c in self.components]) if hedge_cash else None
        self.prev_scale = np.full(P, np.nan)
        self.ones = np.ones(P)  # read-only constants of the layer rules
        self.no = np.zeros(P, dtype=bool)
        self.ones.flags.writeable = False
        self.no.flags.writeable = False
        self.cooldown = np.zeros(P, dtype=np.int64)
        # sizing.basis = "core_vega": the |core vega| ($/vol point) the layers are sized to
        # (engine.layer_rules.update_core_vega) and the paths whose core opened a condor today (core_rules)
        self.sizing_vega = np.zeros(P)
        self.core_opened = np.zeros(P, dtype=bool)
        self.weight_sum = float(sum(la.weight for la in r.layers))
        self.ax = self.prep.axis  # the numeric rules per path (weights, deltas, trigger; alvh.strategy.axis)
        self.layer_live = self.ax.layer_weight > 0  # (P, L): a layer a path can open (weight 0 never sizes above 0)
        self.ever_held = np.zeros((P, S), dtype=bool)
        self.settled = np.zeros((P, S), dtype=bool)  # the slot's last position settled at expiry (fills)

    def _outputs(self) -> None:
        n, P, S = self.n, self.P, self.S
        K = len(self.components)
        self.nav = np.zeros((n, P))
        self.cash_hist = np.zeros((n, P))
        self.value = np.zeros((n, P, K))
        self.pnl = np.zeros((n, P, K))
        self.cost = np.zeros((n, P, K))
        self.fin = np.zeros((n, P))
        self.interest = np.zeros((n, P, K))  # T-bill interest on each component's cash (engine.financing)
        self.hedge_fin = np.zeros((n, P, K))  # private financing of the hedge's cash needs (mode "hedge_cash")
        self.fin_alt = np.zeros((n, P, K))  # the T-bill interest those needs would have cost the core
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
        self.ledger = Ledger()
        self.events = dict(self.prep.events)
        self.event_log: list[tuple[int, str, int]] = []
        # the records of the run's own paths only: the standalone core's (the second half of the paths,
        # Prepared.standalone_core) are never read, and were half of the records' memory and copies
        Pr = self.P_own
        # every row is written on its day (recording.write_row) and blanked where a slot holds nothing
        # (recording.finish, or in the compiled row): no fill here, each page is first touched on its day
        rec = {k: np.empty((n, Pr, S)) for k in RECORD_FIELDS}
        rec["kind"] = np.empty((n, Pr, S), dtype=np.int8)
        rec["is_call"] = np.empty((n, Pr, S), dtype=bool)
        self.rec = rec
        # today's records row's underlying_prev and underlying_rolldown on every path (layer_legs.rolldown_frac)
        self.rd_row = (np.zeros((P, S)), np.zeros((P, S)))

    def _constants(self) -> None:
        prep, r, mp = self.prep, self.prep.rules, self.prep.paths
        n, P = self.n, self.P
        self.rb = None
        self.reb_idx = (0, 0)
        if r.rebalance.enabled and self.L >= 2:
            from alvh.stats import RollingBeta

            names_l = [la.name for la in r.layers]
            self.reb_idx = (names_l.index(r.rebalance.short_layer), names_l.index(r.rebalance.long_layer))
            self.rb = RollingBeta(
                window=r.rebalance.window,
                min_nobs=r.rebalance.min_nobs,
                shape=(P, 2),
                backend="numpy" if self.nb is None else "numba",
            )
        self.reb_cols = np.array(self.reb_idx) if self.rb is not None else None
        self.arP = np.arange(P)
        self.d_ord = mp.dates.values.astype("datetime64[D]").astype(np.int64)
        self.exp_ord_vx = mp.vx_expiry.astype("datetime64[D]").astype(np.int64)
        self.spx_exp_ord = prep.spx_expiry.astype(np.int64)
        self.core_entry_days = set(int(i) for i in prep.spx_settle_day if i < n)
        self.vx_block: tuple = (0, 0)  # current VX day block (first day, end, tables): vx_marks.vx_day
        # a sweep's paths share one market (broadcast views, stride 0): its VX tables are those of one path
        self.shared_market = P > 1 and mp.vx_price.strides[1] == 0 and mp.spx_close.strides[1] == 0
        self.vx_tables = (1 if self.shared_market else P) * mp.vx_price.shape[2] <= self.VX_TABLE_MAX_CELLS
        g = r.general
        self.rates = np.asarray(mp.rate, dtype=float) if g.rate_source == "data" else np.full(n, float(g.constant_rate))
        # per day d > 0: calendar days since the previous trading day and the cash growth exp(r days/365) - 1 at the
        # rate known at the previous close (engine.financing; elementwise the same numbers as per day, once)
        gap = np.diff(self.d_ord).astype(float)
        self.gap_days = np.concatenate([[0.0], gap])
        self.cash_growth = np.concatenate([[0.0], np.expm1(self.rates[:-1] * gap / DAYS_PER_YEAR)])
        # SPX daily return (the rebalance regressor), (n, P, 1); NaN on day 0
        c = mp.spx_close
        self.spx_ret = np.concatenate([np.full((1, P), np.nan), c[1:] / c[:-1] - 1.0])[:, :, None]
        span = int(max(self.exp_ord_vx.max(initial=self.d_ord[-1]), self.d_ord[-1]) - self.d_ord[0]) + 2
        self.today = 0  # the day being simulated: the row of a per-day dF/dVIX table (set by simulate.day)
        want: tuple[int, ...]
        if isinstance(mp.sensitivity, ExpandingDfdvix):
            # known at each close (no look-ahead): (n, W); DTEs beyond W-1 read at W-1 (the estimate is flat there)
            est = mp.sensitivity
            if len(est.dates) != n or not (est.dates == mp.dates).all():
                raise InputError(
                    f"{len(est.dates)} estimate days against {n} run days",
                    argument="sensitivity",
                    expected="an ExpandingDfdvix on the run's dates (ExpandingDfdvix.take)",
                )
            self.sens_tab = est.close_table(min(span, SENSITIVITY_MAX_DTE))
            want = (n, min(span, SENSITIVITY_MAX_DTE))
        else:
            self.sens_tab = np.asarray(mp.sensitivity(np.arange(span, dtype=float)), dtype=float)
            want = (span,)
        if self.sens_tab.shape != want or not np.isfinite(self.sens_tab).all():
            raise InputError(
                "sensitivity(dte) must return one finite dF/dVIX per day to expiry",
                argument="sensitivity",
                expected=f"finite values for dte 0..{span - 1}",
            )

    # ------------------------------------------------------------------ small shared helpers
    def event(self, d: int, name: str, count: int | np.ndarray) -> None:
        """Count a data-dependent event on day d (never a silent skip).

        ``count``: a per-path flag or count array (leading axis the paths), of which only the run's own
        paths are counted (not the standalone core's, :attr:`Prepared.standalone_core`); or an int already
        counted over the run's own paths.
        """
        if isinstance(count, np.ndarray):
            count = int(count[: self.P_own].sum())
        if count:
            self.events[name] = self.events.get(name, 0) + int(count)
            self.event_log.append((d, name, int(count)))

    def by_component(self, x: np.ndarray, first_slot: int = 0) -> np.ndarray:
        """Per-component sums (P, n_components) of per-slot values ``x`` of the slots ``first_slot..S-1``.

        The slots before ``first_slot`` count as 0 (adding 0.0 changes no sum); the order of a component's
        slots is fixed, whatever the number of paths (see ``comp_perm`` in ``_layout``)."""
        if first_slot:
            x = np.concatenate([np.zeros((x.shape[0], first_slot)), x], axis=1)
        return np.add.reduceat(x[:, self.comp_perm], self.comp_start, axis=1)

    def by_layer(self, x: np.ndarray) -> np.ndarray:
        """Per-layer sums (P, L) of values ``x`` (P, len(hedge_slots)) of the hedge layers' slots: each layer's
        slots in the order by_component sums them (every slot of a layer is a hedge slot), so the same sums."""
        return np.add.reduceat(x[:, self.layer_perm], self.layer_start, axis=1)

    def layer_any(self, x: np.ndarray) -> np.ndarray:
        """Per layer (P, L): any of the layer's slots true in ``x`` (P, len(hedge_slots)), bool."""
        return np.logical_or.reduceat(x[:, self.layer_perm], self.layer_start, axis=1)

    def rate(self, d: int) -> float:
        """The engine's risk-free rate on day d (data or the rules' constant), decimal per year."""
        return float(self.rates[d])

    def sens(self, tau_days: np.ndarray, day: int | np.ndarray | None = None) -> np.ndarray:
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
        return tab[self.today if day is None else day, i]
