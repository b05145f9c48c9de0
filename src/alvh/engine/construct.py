"""Result construction: the engine's final state -> a frozen :class:`~alvh.results.BacktestResult`.

The only code that reads the day loop's state after the loop (results.py knows nothing of the engine's
internals): the trades table from the ledger, :class:`~alvh.engine.records.PositionRecords` from the
records arrays, the rebalance and event logs, and the metadata block (config hash, data span, version,
seed, provenance, the layers' target weights).
"""

from __future__ import annotations

import platform

import numpy as np
import pandas as pd

from alvh._version import __version__
from alvh.config import config_hash
from alvh.engine.fills import REASONS
from alvh.engine.financing import financing_report
from alvh.engine.prepare import Prepared
from alvh.engine.records import InstrumentKind, PositionRecords
from alvh.engine.state import EngineState
from alvh.results import BacktestResult
from alvh.strategy.layers import ROLL_REASONS


def trades_frame(prep: Prepared, st: EngineState) -> pd.DataFrame:
    """The ledger as a table: date, path, slot, component, instrument, contract, strike, expiry, quantity,
    price, cost, reason, roll_reason (why a hedge layer rolled: ``strategy.layers.ROLL_REASONS``; "" otherwise)."""
    mp = prep.paths
    led = st.ledger.arrays()
    if prep.standalone_core:  # the run's own paths only (the standalone core's trades are another book)
        mine = led["path"].astype(int) < prep.own_paths
        led = {k: v[mine] for k, v in led.items()}
    slot = led["slot"].astype(int)
    # text columns: the few distinct labels as one pandas string array, gathered by code (ExtensionArray.take,
    # in C) instead of converting an object array of Python strings row by row (~4x faster, the same frame)
    names = _labels(st.slots.names)
    comp = _labels(st.slots.component)
    kinds = _labels(
        [
            ("vix_call" if c else "vix_put") if k == InstrumentKind.VIX_OPTION else InstrumentKind(int(k)).name.lower()
            for k, c in zip(st.slot_kind, st.slot_is_call, strict=True)
        ]
    )
    codes = _labels([*mp.vx_codes, ""])
    con = led["contract"].astype(int)
    some = len(slot) > 0
    return pd.DataFrame(
        {
            "date": mp.dates[led["day"].astype(int)] if some else pd.DatetimeIndex([]),
            "path": led["path"].astype(int),
            "slot": names.take(slot) if some else [],
            "component": comp.take(slot) if some else [],
            "instrument": kinds.take(slot) if some else [],
            "contract": codes.take(np.where(con >= 0, con, len(codes) - 1)) if some else [],
            "strike": led["strike"],
            "expiry": led["expiry"].astype("datetime64[D]") if some else pd.DatetimeIndex([]),
            "quantity": led["quantity"],
            "price": led["price"],
            "cost": led["cost"],
            "reason": _labels(REASONS).take(led["reason"].astype(int)) if some else [],
            "roll_reason": _labels(ROLL_REASONS).take(led["roll_reason"].astype(int)) if some else [],
        }
    )


def _labels(values: tuple[str, ...] | list[str]) -> pd.api.extensions.ExtensionArray:
    """Labels as pandas' default string array (dtype "str"), for ``.take(codes)``."""
    return pd.array(list(values), dtype="str")


def position_records(prep: Prepared, st: EngineState) -> PositionRecords:
    """The records arrays as :class:`PositionRecords` (rate_prev and div_prev as read-only broadcast views:
    every held position was last marked at the previous close, at that day's rate; the dividend yield is
    the SPX one on SPX option slots, 0 elsewhere)."""
    rec = st.rec  # the run's own paths already (EngineState._outputs)
    n, P, S = rec["quantity"].shape
    rates = np.array([st.rate(d) for d in range(n)])
    rate_prev = np.broadcast_to(np.concatenate([[rates[0]], rates[:-1]])[:, None, None], (n, P, S))
    div = np.where(st.slot_kind == InstrumentKind.SPX_OPTION, prep.rules.core.dividend_yield, 0.0)
    div_prev = np.broadcast_to(div[None, None, :], (n, P, S))
    return PositionRecords(
        slots=st.slots,
        kind=rec["kind"],
        quantity=rec["quantity"],
        is_call=rec["is_call"],
        strike=rec["strike"],
        t_prev=rec["t_prev"],
        t_now=rec["t_now"],
        underlying_prev=rec["underlying_prev"],
        underlying_now=rec["underlying_now"],
        underlying_rolldown=rec["underlying_rolldown"],
        vol_prev=rec["vol_prev"],
        vol_now=rec["vol_now"],
        rate_prev=rate_prev,
        div_prev=div_prev,
        price_prev=rec["price_prev"],
        price_now=rec["price_now"],
    )


def metadata(prep: Prepared, st: EngineState, seed: int | None) -> dict[str, object]:
    """Config hash, data span, alvh and Python versions, seed, provenance, settlement proxies, layer targets."""
    mp, rules = prep.paths, prep.rules
    targets = {
        la.name: {
            "weight": la.weight,
            "instrument": la.instrument,
            # basis "core_vega" (docs/rules.md, [sizing]): the layer's share of fraction x |core vega|
            "sizing": la.sizing
            if rules.sizing.basis == "capital"
            else f"core_vega x {rules.sizing.core_vega_fraction:g} x "
            f"{la.weight / st.weight_sum if st.weight_sum > 0 else 0.0:.4g}",  # 0: the core alone's rules
            "contracts": rules.general.contracts,
            "adaptive": rules.adaptive.enabled,
        }
        for la in rules.layers
    }
    return {
        "config_hash": config_hash(rules),
        "data_start": str(mp.dates[0].date()),
        "data_end": str(mp.dates[-1].date()),
        "n_days": mp.n_days,
        "n_paths": prep.own_paths,
        "alvh_version": __version__,
        "seed": seed,
        "python": platform.python_version(),
        "provenance": dict(mp.provenance),
        "rebalance_threshold": rules.rebalance.threshold if st.rb is not None else None,
        "settlement": prep.settlement_note,
        "interest": (
            f"on each component's cash at the engine's rate ({rules.general.rate_source}: "
            + (
                mp.provenance.get("rate", "MarketPaths.rate")
                if rules.general.rate_source == "data"
                else f"constant {rules.general.constant_rate:g}"
            )
            + "), continuously compounded"
            if rules.general.interest_on_cash
            else "none (general.interest_on_cash = false)"
        ),
        "financing_layer": financing_report(st),
        # the targets the summary's achieved layer weights are compared with (BacktestResult.summary_dict)
        "layer_targets": targets,
    }


def _own(prep: Prepared, a: np.ndarray) -> np.ndarray:
    """``a`` (days, paths, ...) on the run's own paths: the first half, copied, when the second half is the
    standalone core (:attr:`Prepared.standalone_core`); ``a`` itself otherwise."""
    return np.ascontiguousarray(a[:, : prep.own_paths]) if prep.standalone_core else a


def build_result(
    prep: Prepared, st: EngineState, seed: int | None, core_alone_nav: np.ndarray | None = None
) -> BacktestResult:
    """Assemble the frozen result from the engine's final state (called once by run_engine).

    With a standalone core (:attr:`Prepared.standalone_core`) the result holds the run's own paths and
    ``core_alone_nav`` the NAV of the second half (each own path's core run alone as its own book);
    otherwise ``core_alone_nav`` is the one given (the standalone core run in a pass of its own), or None.
    """
    mp = prep.paths
    fd, fp = np.nonzero(_own(prep, st.reb_fired))
    reb = pd.DataFrame(
        {
            "date": mp.dates[fd],
            "path": fp,
            "beta_short": st.reb_beta[fd, fp, 0],
            "beta_long": st.reb_beta[fd, fp, 1],
            "ratio": st.reb_ratio[fd, fp],
            "contracts_traded": st.reb_trades[fd, fp],
            "cost": st.reb_cost[fd, fp],
        }
    )
    elog = pd.DataFrame(st.event_log, columns=["day", "event", "count"])
    elog.insert(0, "date", mp.dates[elog["day"].to_numpy(dtype=int)] if len(elog) else pd.DatetimeIndex([]))
    elog = elog.drop(columns="day")
    return BacktestResult(
        dates=mp.dates,
        components=tuple(st.components),
        nav=_own(prep, st.nav),
        cash=_own(prep, st.cash_hist),
        financing=_own(prep, st.fin),
        collateral=_own(prep, st.coll),
        value=_own(prep, st.value),
        pnl=_own(prep, st.pnl),
        costs=_own(prep, st.cost),
        greeks=_own(prep, st.greeks),
        break_evens=_own(prep, st.be),
        trades=trades_frame(prep, st),
        records=position_records(prep, st),
        events=dict(st.events),
        event_log=elog,
        rebalance_log=reb,
        rebalance_ratio=_own(prep, st.reb_ratio),
        capital=prep.rules.general.capital,
        metadata=metadata(prep, st, seed),
        interest=_own(prep, st.interest),
        hedge_financing=_own(prep, st.hedge_fin),
        core_alone_nav=np.ascontiguousarray(st.nav[:, prep.own_paths :]) if prep.standalone_core else core_alone_nav,
    )
