"""``simulate_market``: the joint Monte Carlo model's paths as the engine's :class:`MarketPaths`.

The factors (the curve's short factor, the long factor, the spot gap, SPX) come from
:func:`alvh.simulate.factors.simulate_factors`; on top, the same market model as on history
(:mod:`alvh.market`): each listed VX contract's price is the closed form
(:func:`alvh.simulate.factors.curve_price`: the two-factor curve on the short and long factors plus the
gap's term) at its days to expiry on the real CFE expiry calendar, the SPX smile is
:meth:`SpxSurface.from_vix` on the path's spot VIX, VIX-option vol :func:`vix_option_vol` (VVIX from the
VIX-level function), and dF/dVIX :func:`alvh.market.spot_dfdvix_model` with the same curve parameters and
the model's split of a spot move into factor and gap (:func:`alvh.simulate.vega.spot_split`), so a layer's
effective vega through its life is the pricing module's response to spot VIX (docs/simulation.md, "Layer
vega decay").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import pandas as pd

from alvh.calendar import trading_days
from alvh.engine.inputs import MODEL_LISTING_DAYS, MarketPaths, VixOptionVol, model_vx_calendar
from alvh.errors import ConfigError, InputError
from alvh.market import SpxSurface, VXModelParams, spot_dfdvix_model
from alvh.simulate.factors import FactorPaths, curve_price, simulate_factors
from alvh.simulate.params import EVENT_KINDS, SimParams
from alvh.simulate.scenarios import Scenario, apply_overrides, preset
from alvh.simulate.schedule import event_mask, reestimation_mask
from alvh.simulate.vega import spot_split

#: Default first day of a simulated run.
DEFAULT_START = "2025-01-02"


def curve_params(p: SimParams) -> VXModelParams:
    """The shipped VX-model parameters with this model's risk-neutral speeds, level and long-factor beta."""
    return dataclasses.replace(
        VXModelParams.default(), kappa_s=p.q_kappa_s, kappa_l=p.q_kappa_l, theta=p.q_theta, beta_long=p.beta_long
    )


def get_scenario(name: str, params: SimParams) -> Scenario:
    """A preset by name (from ``params.scenarios``), or a scenario TOML file when ``name`` ends in ``.toml``."""
    if name.endswith(".toml"):
        return Scenario.from_toml(name)
    return preset(name, params.scenarios)


def run_dates(start: str, n_days: int) -> pd.DatetimeIndex:
    """The run's ``n_days`` NYSE trading days from ``start``."""
    try:
        s = pd.Timestamp(start)
    except (ValueError, TypeError):
        raise InputError(f"{start!r}", argument="start", expected="a date YYYY-MM-DD") from None
    dates = trading_days(s, s + pd.Timedelta(days=int(n_days * 1.6) + 30))[:n_days]
    if len(dates) < n_days:
        raise InputError(f"only {len(dates)} trading days", argument="n_days", expected="a calendar that long")
    return dates


def check_run(params: SimParams, n_paths: int, n_days: int, scenario: Scenario | None) -> None:
    """Every check that can fail before the day loop (bad sizes, a shock beyond the horizon, ...)."""
    if not isinstance(params, SimParams):
        raise InputError(f"{type(params).__name__}", argument="params", expected="a SimParams")
    if n_paths < 1:
        raise InputError(f"{n_paths}", argument="n_paths", expected=">= 1 path")
    if n_days < 2:
        raise InputError(f"{n_days}", argument="n_days", expected=">= 2 days")
    if scenario is not None:
        scenario.check_horizon(n_days)
        for i, s in enumerate(scenario.shocks):
            if s.kind == "cpi_surprise" and params.events.get("cpi", None) is None:
                raise ConfigError(
                    "a CPI surprise needs the fitted CPI shock", key=f"scenario.{scenario.name}.shocks[{i}]"
                )
            if s.kind == "correlation_break":
                for reg in (0, 1):
                    m = params.corr(reg)
                    m[0, 1] = m[1, 0] = s.size
                    if np.linalg.eigvalsh(m).min() <= 1e-10:
                        raise ConfigError(
                            f"corr(SPX, VIX) = {s.size} leaves the {('calm', 'stress')[reg]} matrix not positive "
                            "definite",
                            key=f"scenario.{scenario.name}.shocks[{i}].size",
                            expected="a correlation the other entries allow",
                        )


def simulate_market(
    params: SimParams,
    n_paths: int,
    n_days: int,
    rng: np.random.Generator,
    *,
    start: str = DEFAULT_START,
    scenario: Scenario | None = None,
    event_dates: Mapping[str, pd.DatetimeIndex] | None = None,
) -> MarketPaths:
    """``n_paths`` joint SPX / VIX / VX-curve paths of ``n_days`` trading days from ``start`` (or the scenario's).

    Parameters
    ----------
    params : SimParams
        E.g. :meth:`SimParams.default` (fit on 2006-2025) or :meth:`SimParams.from_toml`.
    rng : numpy.random.Generator
        The only source of randomness (draws in a fixed order per day: same generator state, same paths).
    scenario : Scenario, optional
        Start state and shocks on chosen days of every path (:mod:`alvh.simulate.scenarios`).
    event_dates : mapping of str to DatetimeIndex, optional
        Release dates by kind (``"cpi"``, ``"ppi"``, ``"fomc"``) replacing the shipped calendar of that kind,
        e.g. a user's PPI file read with :func:`alvh.data.importers.read_events` (alvh ships no PPI dates, so
        without this a PPI shock in ``params`` never fires); beyond their span projected like the shipped ones.

    Raises
    ------
    InputError, ConfigError
        Before any draw: ``n_paths < 1``, ``n_days < 2``, a shock beyond the horizon, a correlation break
        the matrix does not allow.

    Notes
    -----
    Memory: the VX prices ``(n_days, n_paths, n_contracts)`` dominate (about 22 contracts over a year:
    0.45 GB at 10,000 x 252); they are written day by day into one array, no full-size temporaries.
    """
    params, fp, dates = simulate_factor_paths(
        params, n_paths, n_days, rng, start=start, scenario=scenario, event_dates=event_dates
    )
    return market_from_factors(params, fp, dates, scenario)


def simulate_factor_paths(
    params: SimParams,
    n_paths: int,
    n_days: int,
    rng: np.random.Generator,
    *,
    start: str = DEFAULT_START,
    scenario: Scenario | None = None,
    event_dates: Mapping[str, pd.DatetimeIndex] | None = None,
) -> tuple[SimParams, FactorPaths, pd.DatetimeIndex]:
    """The factors alone (no VX prices, no surface): the parameters used (with the scenario's overrides),
    the paths and the dates. Every check of :func:`simulate_market` runs first."""
    if not isinstance(params, SimParams):
        raise InputError(f"{type(params).__name__}", argument="params", expected="a SimParams")
    params = apply_overrides(params, scenario)
    check_run(params, n_paths, n_days, scenario)
    first = scenario.start if scenario is not None and scenario.start else start
    dates = run_dates(first, n_days)
    given = dict(event_dates or {})
    bad = sorted(set(given) - set(EVENT_KINDS))
    if bad:
        raise InputError(f"{bad[0]!r}", argument="event_dates", expected=f"kinds among {EVENT_KINDS}")
    events = {k: event_mask(dates, k, known=given.get(k)) for k in EVENT_KINDS}
    fp = simulate_factors(params, n_paths, dates, rng, events, reestimation_mask(dates, events["fomc"]), scenario)
    return params, fp, dates


def _vx_grid(fp: FactorPaths, dates: pd.DatetimeIndex) -> tuple[np.ndarray, tuple[str, ...], np.ndarray, np.ndarray]:
    """The model's VX calendar on ``dates``: (expiries, codes, days to expiry per day and contract, an
    all-NaN price array (n_days, n_paths, n_contracts) to fill)."""
    expiry, codes = model_vx_calendar(dates)
    d = dates.values.astype("datetime64[D]")
    dte = (expiry[None, :] - d[:, None]).astype(float)
    n_days, n_paths = fp.vix_close.shape
    return expiry, codes, dte, np.full((n_days, n_paths, len(expiry)), np.nan)


def vx_prices(
    fp: FactorPaths, dates: pd.DatetimeIndex, params: SimParams
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """(n_days, n_paths, n_contracts) closed-form VX prices on the listed contracts, NaN where not listed."""
    expiry, codes, dte, price = _vx_grid(fp, dates)
    n_days = len(dates)
    listed = (dte > 0) & (dte <= MODEL_LISTING_DAYS)
    # the days between two listing changes at once (about a month: one call instead of one a day; the
    # formula is elementwise, so the same numbers as day by day, vx_prices_by_day; temporaries a month big)
    change = np.flatnonzero((listed[1:] != listed[:-1]).any(axis=1)) + 1
    for i0, i1 in zip(np.r_[0, change], np.r_[change, n_days], strict=True):
        cols = np.flatnonzero(listed[i0])
        cell = (fp.vix_close[i0:i1, :, None], fp.short[i0:i1, :, None], fp.long[i0:i1, :, None])
        price[i0:i1, :, cols] = curve_price(*cell, dte[i0:i1, None, cols], params)
    return expiry, price, codes


def vx_prices_by_day(
    fp: FactorPaths, dates: pd.DatetimeIndex, params: SimParams
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """:func:`vx_prices` one day at a time (the reference the tests compare it with)."""
    expiry, codes, dte, price = _vx_grid(fp, dates)
    for i in range(len(dates)):
        cols = np.flatnonzero((dte[i] > 0) & (dte[i] <= MODEL_LISTING_DAYS))
        cell = (fp.vix_close[i][:, None], fp.short[i][:, None], fp.long[i][:, None])
        price[i][:, cols] = curve_price(*cell, dte[i, cols][None, :], params)
    return expiry, price, codes


def market_from_factors(
    params: SimParams,
    fp: FactorPaths,
    dates: pd.DatetimeIndex,
    scenario: Scenario | None = None,
    *,
    described: FactorPaths | None = None,
) -> MarketPaths:
    """The market model on top of simulated factors (module docstring).

    ``described``: the factors the provenance's figures (backwardation share, clipped cells) are computed
    on (default ``fp``); the Monte Carlo's chunks describe their first block of paths, whatever their size
    (:func:`alvh.montecarlo.streams.chunk_paths`).
    """
    expiry, price, codes = vx_prices(fp, dates, params)
    vxp = curve_params(params)
    full = SpxSurface.from_vix(fp.vix_close)
    ratio = full.term_ratio
    if (ratio == ratio[:1, :1]).all():  # default term ratios everywhere: one cell viewed over all
        ratio = np.broadcast_to(ratio[:1, :1], ratio.shape)
    surf = SpxSurface(theta30=full.theta30, tail=full.tail, term_ratio=ratio)
    del full
    vc = fp.vix_close

    split = spot_split(params)

    def sensitivity(dte: np.ndarray) -> np.ndarray:
        return spot_dfdvix_model(dte, vxp, split)

    told = fp if described is None else described
    stress = float(told.stress.mean())
    return MarketPaths(
        dates=dates,
        spx_open=fp.spx_open,
        spx_close=fp.spx_close,
        vix_open=fp.vix_open,
        vix_close=vc,
        vx_price=price,
        vx_expiry=expiry,
        vx_codes=codes,
        rate=np.full(len(dates), params.rate),
        surface=surf,
        vix_option_vol=VixOptionVol(vc, np.broadcast_to(np.nan, vc.shape), vxp),
        sensitivity=sensitivity,
        provenance={
            "paths": f"alvh.simulate.simulate_market ({params.model_version}): VIX curve of a short and a long "
            f"factor and the spot gap (P speeds {params.kappa_s:.3f}/{params.kappa_l:.3f}/{params.kappa_g:.1f}), "
            "Hawkes VIX jumps, regime correlations re-estimated "
            f"weekly and on FOMC days; backwardation on {100 * stress:.1f}% of path-days; "
            f"VIX clipped to [5, 150] on {told.n_clipped} cells"
            + (f"; scenario {scenario.name}" if scenario is not None else ""),
            "params": params.provenance.get("fit", "SimParams"),
            "vx": "closed form of the curve (alvh.market.model_futures on the short and long factors, risk-neutral "
            f"speeds {params.q_kappa_s:.3f}/{params.q_kappa_l:.3f}, theta {params.q_theta:.2f}, plus the gap "
            f"priced at speed {params.q_kappa_g:.1f}) at each contract's DTE, "
            f"listed up to {MODEL_LISTING_DAYS} days",
            "surface": "alvh.market.SpxSurface.from_vix (tail-weight smile to VIX, median-SKEW tail, default term)",
            "vix_option_vol": "alvh.market.vix_option_vol by tenor, VVIX from the VIX-level function",
            "sensitivity": "alvh.market.spot_dfdvix_model (the response to spot VIX) with the simulation's curve "
            f"parameters; a spot move {split.short:.3f} short factor, {split.gap:.3f} gap, long factor "
            f"{split.long:.3f} (alvh.simulate.vega.spot_split)",
        },
    )
