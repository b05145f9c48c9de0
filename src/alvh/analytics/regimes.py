"""Daily regime labels (term structure, MACD, RSI, breadth, topping, macro events) and drag per regime.

Every function takes plain pandas Series / numpy arrays on one trading-day index, so it works with
or without :class:`alvh.data.MarketData`. Definitions, defaults and their sources are in
docs/analytics.md, section "Regimes". Conventions:

- A label that cannot be computed on a day (warm-up of an indicator, a missing input) is the
  explicit string ``"n/a"``: never a silent default.
- A window longer than the whole input raises :class:`~alvh.errors.InputError` (no label at all
  could be computed); shorter histories give ``"n/a"`` over the warm-up rows.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from alvh.calendar.events import event_window_labels
from alvh.errors import InputError

__all__ = [
    "NA",
    "advance_decline_line",
    "breadth_divergence",
    "contango_heavy_months",
    "ema",
    "event_windows",
    "front_second",
    "macd",
    "regime_labels",
    "regime_table",
    "rsi",
    "term_structure",
    "topping",
]

#: label of a day on which a regime cannot be computed
NA = "n/a"


# --------------------------------------------------------------------------- helpers
def _series(values: ArrayLike | pd.Series, name: str, index: pd.DatetimeIndex | None = None) -> pd.Series:
    if isinstance(values, pd.DataFrame):
        raise InputError("a DataFrame", argument=name, expected="a Series or 1-d array")
    if isinstance(values, pd.Series):
        s = values.astype(np.float64)
        if index is not None and not s.index.equals(index):
            raise InputError(
                "index differs from the other inputs'",
                argument=name,
                expected="the same trading-day index as the other inputs",
            )
    else:
        arr = np.asarray(values, dtype=np.float64)
        if arr.ndim != 1:
            raise InputError(f"shape {arr.shape}", argument=name, expected="a 1-d series")
        if index is None:
            raise InputError(
                "a bare array without dates", argument=name, expected="a pandas Series with a DatetimeIndex"
            )
        if len(arr) != len(index):
            raise InputError(
                f"{len(arr)} values for {len(index)} dates", argument=name, expected=f"{len(index)} values"
            )
        s = pd.Series(arr, index=index)
    if not isinstance(s.index, pd.DatetimeIndex):
        raise InputError("index is not a DatetimeIndex", argument=name, expected="a Series indexed by dates")
    if s.index.has_duplicates or not s.index.is_monotonic_increasing:
        raise InputError("dates are unsorted or repeated", argument=name, expected="sorted unique trading days")
    s.name = name
    return s


def _require_length(n: int, need: int, argument: str, what: str) -> None:
    if n < need:
        raise InputError(
            f"{what} needs at least {need} observations, got {n}",
            argument=argument,
            expected=f"a series of >= {need} trading days (or a shorter window)",
        )


def _check_int(value: int, name: str, lo: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo:
        raise InputError(f"got {value!r}", argument=name, expected=f"an integer >= {lo}")
    return int(value)


def _no_gaps(s: pd.Series, name: str) -> None:
    """An indicator recursion (EMA, Wilder) cannot step over a gap: raise, naming the first one."""
    bad = ~np.isfinite(s.to_numpy())
    if bad.any():
        first = s.index[int(np.flatnonzero(bad)[0])]
        raise InputError(
            f"missing/non-finite value on {first.date()}",
            argument=name,
            expected="a value on every trading day (fill or cut the gap first)",
        )


# ----------------------------------------------------------------- term structure
def front_second(settle: NDArray[np.float64], dte: NDArray, min_dte: int = 1) -> tuple[NDArray, NDArray]:
    """Front and second VX settlements per day from a panel (contracts sorted by expiry).

    Parameters
    ----------
    settle : ndarray, shape ``(n_days, n_contracts)``
        VX settlements in index points, NaN where a contract is not listed.
    dte : ndarray, shape ``(n_days, n_contracts)``
        Calendar days to final settlement.
    min_dte : int
        The front is the nearest listed contract with ``dte >= min_dte`` (default 1 skips a
        contract on its expiry day, whose settle is the SOQ; same rule as ``VXPanel.front``).

    Returns
    -------
    (front, second) : ndarray, shape ``(n_days,)``, NaN where fewer contracts are listed.
    """
    s = np.asarray(settle, dtype=np.float64)
    d = np.asarray(dte)
    if s.ndim != 2 or d.shape != s.shape:
        raise InputError(
            f"shapes {s.shape} and {d.shape}",
            argument="settle",
            expected="settle and dte of the same shape (n_days, n_contracts)",
        )
    ok = np.isfinite(s) & (d >= min_dte)
    rank = np.cumsum(ok, axis=1)
    rows = np.arange(s.shape[0])
    out = []
    for k in (1, 2):
        hit = ok & (rank == k)
        has = hit.any(axis=1)
        j = np.argmax(hit, axis=1)
        out.append(np.where(has, s[rows, j], np.nan))
    return out[0], out[1]


def term_structure(
    vix: pd.Series, vx_front: ArrayLike | pd.Series, vx_second: ArrayLike | pd.Series | None = None
) -> pd.DataFrame:
    """Contango/backwardation labels of the VIX futures curve.

    ``front_state`` compares the front VX settle with the VIX close (``"contango"`` if
    front > VIX, ``"backwardation"`` if front < VIX, ``"flat"`` if equal); ``curve_state``
    compares the second contract with the front the same way. ``"n/a"`` where an input is NaN.

    Returns
    -------
    DataFrame indexed by date: ``front_basis`` (front - VIX, points), ``curve_slope``
    (second - front, points), ``front_state``, ``curve_state``.
    """
    v = _series(vix, "vix")
    f = _series(vx_front, "vx_front", v.index)
    sec = _series(vx_second, "vx_second", v.index) if vx_second is not None else pd.Series(np.nan, index=v.index)

    def state(diff: pd.Series) -> NDArray:
        d = diff.to_numpy()
        lab = np.full(len(d), NA, dtype=object)
        ok = np.isfinite(d)
        lab[ok & (d > 0)] = "contango"
        lab[ok & (d < 0)] = "backwardation"
        lab[ok & (d == 0)] = "flat"
        return lab

    basis = f - v
    slope = sec - f
    return pd.DataFrame(
        {"front_basis": basis, "curve_slope": slope, "front_state": state(basis), "curve_state": state(slope)},
        index=v.index,
    )


# ----------------------------------------------------------------------- momentum
def ema(values: pd.Series, span: int) -> pd.Series:
    r"""Exponential moving average, :math:`E_t = \alpha x_t + (1-\alpha) E_{t-1}`, :math:`\alpha = 2/(span+1)`,
    seeded with :math:`E_0 = x_0` (pandas ``ewm(span, adjust=False)``; Appel's MACD convention)."""
    span = _check_int(span, "span")
    s = _series(values, "values")
    _no_gaps(s, "values")
    alpha = 2.0 / (span + 1.0)
    x = s.to_numpy()
    out = np.empty_like(x)
    (_ema_compiled or _ema_loop)(x, alpha, out)
    return pd.Series(out, index=s.index, name=f"ema{span}")


def _ema_loop(x: np.ndarray, alpha: float, out: np.ndarray) -> None:
    """The EMA recurrence over days (the reference; compiled when numba is installed: the same bits)."""
    if len(x):
        out[0] = x[0]
    for t in range(1, len(x)):  # loop over days (one series)
        out[t] = alpha * x[t] + (1.0 - alpha) * out[t - 1]


def _wilder_loop(up: np.ndarray, dn: np.ndarray, period: int, au: np.ndarray, ad: np.ndarray) -> None:
    """Wilder's smoothing of gains and losses from row ``period + 1`` on (the reference; compiled alike)."""
    for t in range(period + 1, len(au)):  # loop over days (one series)
        au[t] = (au[t - 1] * (period - 1) + up[t - 1]) / period
        ad[t] = (ad[t - 1] * (period - 1) + dn[t - 1]) / period


_ema_compiled: Any = None
_wilder_compiled: Any = None
if importlib.util.find_spec("numba") is not None:
    import numba as _nb

    _ema_compiled = _nb.njit(cache=True, nogil=True)(_ema_loop)
    _wilder_compiled = _nb.njit(cache=True, nogil=True)(_wilder_loop)


def macd(close: pd.Series, fast: int = 12, slow: int = 26, signal: int = 9) -> pd.DataFrame:
    """MACD(12, 26, 9) of SPX closes (Gerald Appel): line, signal, histogram and crossover state.

    ``macd = EMA_fast(close) - EMA_slow(close)``; ``signal = EMA_signal(macd)``;
    ``hist = macd - signal``. ``state`` is ``"bullish"`` when macd > signal, ``"bearish"`` when
    macd < signal (``"flat"`` if equal); ``cross`` is +1 on the day macd crosses above signal,
    -1 on a cross below, 0 otherwise. The first ``slow + signal - 2`` rows (33 by default) are
    warm-up: the EMAs are seeded with the first close, so values there are NaN and labels "n/a".
    """
    fast, slow, signal = _check_int(fast, "fast"), _check_int(slow, "slow"), _check_int(signal, "signal")
    if fast >= slow:
        raise InputError(f"fast={fast}, slow={slow}", argument="fast", expected="fast < slow")
    s = _series(close, "close")
    warm = slow + signal - 2
    _require_length(len(s), warm + 1, "close", f"MACD({fast},{slow},{signal})")
    line = ema(s, fast) - ema(s, slow)
    sig = ema(line, signal)
    hist = line - sig
    h = hist.to_numpy().copy()
    h[:warm] = np.nan
    state = np.full(len(s), NA, dtype=object)
    ok = np.isfinite(h)
    state[ok & (h > 0)] = "bullish"
    state[ok & (h < 0)] = "bearish"
    state[ok & (h == 0)] = "flat"
    sign = np.sign(np.where(ok, h, 0.0))
    cross = np.zeros(len(s), dtype=np.int64)
    prev_ok = np.r_[False, ok[:-1]]
    prev_sign = np.r_[0.0, sign[:-1]]
    cross[ok & prev_ok & (sign > 0) & (prev_sign <= 0)] = 1
    cross[ok & prev_ok & (sign < 0) & (prev_sign >= 0)] = -1
    mask = np.arange(len(s)) < warm
    return pd.DataFrame(
        {"macd": line.mask(mask), "signal": sig.mask(mask), "hist": h, "state": state, "cross": cross}, index=s.index
    )


def rsi(close: pd.Series, period: int = 14) -> pd.Series:
    r"""Wilder's RSI (New Concepts in Technical Trading Systems, 1978), in [0, 100].

    Changes :math:`d_t = c_t - c_{t-1}`, gains :math:`u_t = \max(d_t, 0)`, losses
    :math:`l_t = \max(-d_t, 0)`. The first averages (at row ``period``) are simple means of the
    first ``period`` gains/losses; then :math:`A_t = (A_{t-1}(n-1) + u_t)/n` (Wilder smoothing,
    an EMA with :math:`\alpha = 1/n`). :math:`RSI = 100 - 100/(1 + A^u/A^l)`; 100 when
    :math:`A^l = 0 < A^u`, 50 when both are 0. Rows before ``period`` are NaN.
    """
    period = _check_int(period, "period", 2)
    s = _series(close, "close")
    _no_gaps(s, "close")
    _require_length(len(s), period + 1, "close", f"RSI({period})")
    d = np.diff(s.to_numpy())
    up = np.maximum(d, 0.0)
    dn = np.maximum(-d, 0.0)
    au = np.full(len(s), np.nan)
    ad = np.full(len(s), np.nan)
    au[period] = up[:period].mean()
    ad[period] = dn[:period].mean()
    (_wilder_compiled or _wilder_loop)(up, dn, period, au, ad)
    out = np.full(len(s), np.nan)
    ok = np.isfinite(au)
    both_zero = ok & (au == 0) & (ad == 0)
    loss_zero = ok & (ad == 0) & (au > 0)
    normal = ok & (ad > 0)
    rs = np.divide(au, ad, out=np.zeros(len(s)), where=normal)
    out[normal] = 100.0 - 100.0 / (1.0 + rs[normal])
    out[loss_zero] = 100.0
    out[both_zero] = 50.0
    return pd.Series(out, index=s.index, name=f"rsi{period}")


def rsi_band(values: pd.Series, low: float = 30.0, high: float = 70.0) -> pd.Series:
    """``"oversold"`` (RSI < low), ``"neutral"`` (low <= RSI <= high), ``"overbought"`` (> high), else "n/a"."""
    if not 0 <= low < high <= 100:
        raise InputError(f"low={low}, high={high}", argument="low", expected="0 <= low < high <= 100")
    v = values.to_numpy()
    lab = np.full(len(v), NA, dtype=object)
    ok = np.isfinite(v)
    lab[ok & (v < low)] = "oversold"
    lab[ok & (v >= low) & (v <= high)] = "neutral"
    lab[ok & (v > high)] = "overbought"
    return pd.Series(lab, index=values.index, name="rsi_band")


# ------------------------------------------------------------------------ breadth
def advance_decline_line(advancing: pd.Series, declining: pd.Series) -> pd.Series:
    """Cumulative advance-decline line ``AD_t = sum_{s<=t} (advancing_s - declining_s)`` (issues).

    The level is arbitrary (it starts at the first day's net advances); only its highs and lows
    relative to SPX's are used. A missing count raises (a cumulative sum cannot skip a day).
    """
    a = _series(advancing, "advancing")
    d = _series(declining, "declining", a.index)
    _no_gaps(a, "advancing")
    _no_gaps(d, "declining")
    return (a - d).cumsum().rename("ad_line")


def _at_rolling_high(x: pd.Series, window: int) -> NDArray:
    """True where x is at its trailing ``window``-day maximum (NaN -> False); warm-up False."""
    mx = x.rolling(window, min_periods=window).max()
    return (x >= mx).to_numpy() & mx.notna().to_numpy()


def _at_rolling_low(x: pd.Series, window: int) -> NDArray:
    mn = x.rolling(window, min_periods=window).min()
    return (x <= mn).to_numpy() & mn.notna().to_numpy()


def breadth_divergence(spx_close: pd.Series, ad_line: pd.Series, lookback: int = 63) -> pd.Series:
    """Divergence of the advance-decline line from SPX.

    ``"bearish"`` on a day SPX closes at its trailing ``lookback``-day high (63 trading days,
    about 3 months) while the AD line is below its own ``lookback``-day high; ``"bullish"`` on a
    day SPX is at its ``lookback``-day low while the AD line is above its low; ``"none"``
    otherwise; ``"n/a"`` during the first ``lookback - 1`` days.
    """
    lookback = _check_int(lookback, "lookback", 2)
    s = _series(spx_close, "spx_close")
    ad = _series(ad_line, "ad_line", s.index)
    _require_length(len(s), lookback, "spx_close", f"a {lookback}-day breadth divergence")
    spx_hi, spx_lo = _at_rolling_high(s, lookback), _at_rolling_low(s, lookback)
    ad_hi, ad_lo = _at_rolling_high(ad, lookback), _at_rolling_low(ad, lookback)
    ok = (
        (np.arange(len(s)) >= lookback - 1)
        & ad.rolling(lookback).max().notna().to_numpy()
        & s.rolling(lookback).max().notna().to_numpy()
    )
    lab = np.where(ok, "none", NA).astype(object)
    lab[ok & spx_hi & ~ad_hi] = "bearish"
    lab[ok & spx_lo & ~ad_lo] = "bullish"
    return pd.Series(lab, index=s.index, name="breadth_divergence")


def topping(
    spx_close: pd.Series,
    *,
    macd_frame: pd.DataFrame | None = None,
    breadth_div: pd.Series | None = None,
    near_high: float = 0.03,
    high_window: int = 252,
    lookback: int = 63,
    memory: int = 21,
) -> pd.Series:
    """A "topping" label: SPX near its high while momentum has rolled over and breadth or momentum diverges.

    Day t is ``"topping"`` when all of:

    (i) ``close_t >= (1 - near_high) * max(close over the last high_window days)`` (within 3% of
        its 252-day high by default);
    (ii) momentum has rolled over: MACD state is ``"bearish"`` (MACD line below its signal) on day t;
    (iii) within the last ``memory`` days (21, about a month) there was a bearish divergence of
        breadth (:func:`breadth_divergence` == "bearish", when given) or of momentum (SPX at its
        ``lookback``-day closing high while the MACD line is below its own ``lookback``-day high).

    ``"none"`` otherwise; ``"n/a"`` until ``high_window`` days and the MACD warm-up have passed.
    On SPX 2006-2025 with NYSE breadth this labels about 21% of days (docs/analytics.md); without
    condition (ii) it was 44%, too common to call a top.
    """
    if not 0 < near_high < 1:
        raise InputError(f"got {near_high!r}", argument="near_high", expected="a fraction in (0, 1)")
    high_window = _check_int(high_window, "high_window", 2)
    lookback = _check_int(lookback, "lookback", 2)
    memory = _check_int(memory, "memory")
    s = _series(spx_close, "spx_close")
    if macd_frame is None:
        macd_frame = macd(s)
    if (
        not isinstance(macd_frame, pd.DataFrame)
        or not {"macd", "state"} <= set(macd_frame.columns)
        or not macd_frame.index.equals(s.index)
    ):
        raise InputError(
            "not a macd() frame on spx_close's dates",
            argument="macd_frame",
            expected="the DataFrame returned by macd(spx_close)",
        )
    _require_length(len(s), high_window, "spx_close", f"a {high_window}-day high")
    hi = s.rolling(high_window, min_periods=high_window).max()
    near = (s >= (1.0 - near_high) * hi).to_numpy()
    line = macd_frame["macd"].astype(np.float64)
    ok = hi.notna().to_numpy() & line.notna().to_numpy()
    rolled_over = (macd_frame["state"] == "bearish").to_numpy()
    line_hi = line.rolling(lookback, min_periods=lookback).max()
    div = _at_rolling_high(s, lookback) & (line < line_hi).to_numpy()
    if breadth_div is not None:
        if not breadth_div.index.equals(s.index):
            raise InputError("index differs from spx_close's", argument="breadth_div", expected="the same trading days")
        div |= (breadth_div == "bearish").to_numpy()
    recent = pd.Series(div, index=s.index).rolling(memory, min_periods=1).max().to_numpy() > 0
    lab = np.where(ok, "none", NA).astype(object)
    lab[ok & near & rolled_over & recent] = "topping"
    return pd.Series(lab, index=s.index, name="topping")


# ------------------------------------------------------------------- exogenous series
#: Trailing window (trading days) of an exogenous series' regime median (about one year).
EXOG_REGIME_WINDOW = 252


def exog_regime(values: pd.Series, dates: pd.DatetimeIndex, window: int = EXOG_REGIME_WINDOW) -> pd.Series:
    """``"high"``/``"low"``: an exogenous series (an exchange rate, a rate differential ...) above or at /
    below the median of its previous ``window`` trading-day values; ``"n/a"`` before ``window`` values exist.

    The series is read on ``dates`` (the run's trading days) as its last published value on or before
    each day (a series published on other holidays than the NYSE's is carried forward, never backward),
    so a label uses nothing after its day: the median is of the days before it. A series whose first value
    comes after a day leaves that day "n/a".
    """
    if not isinstance(dates, pd.DatetimeIndex):
        raise InputError(f"got {type(dates).__name__}", argument="dates", expected="a DatetimeIndex")
    w = _check_int(window, "window", 2)
    s = _series(values, "values").sort_index()
    if s.index.has_duplicates:
        raise InputError("repeated dates", argument="values", expected="one value per date")
    x = s.reindex(s.index.union(dates)).ffill().reindex(dates)
    med = x.shift(1).rolling(w, min_periods=w).median()
    ok = (x.notna() & med.notna()).to_numpy()
    lab = np.where(ok, np.where(x.to_numpy() >= med.to_numpy(), "high", "low"), NA).astype(object)
    return pd.Series(lab, index=dates, name=str(getattr(values, "name", None) or "exog"))


# ------------------------------------------------------------------------- events
def event_windows(
    dates: pd.DatetimeIndex,
    events: Mapping[str, ArrayLike],
    before: int = 1,
    after: int = 1,
    known: Mapping[str, tuple | None] | None = None,
) -> pd.DataFrame:
    """``"event"``/``"none"``/``"n/a"`` per kind (e.g. cpi, ppi, fomc) for days within ``[-before, +after]``
    trading days of an event (:func:`alvh.calendar.event_window_labels`; an event on a non-trading
    day counts from the next trading day). ``known`` maps a kind to its known span
    ``(known_from, known_to)`` or ``None`` (nothing known): outside it the label is ``"n/a"``, not
    ``"none"``; a kind absent from ``known`` is taken as complete. Columns ``event_<kind>`` plus
    ``event_any`` ("event" if any kind has one; "n/a" if none has and a kind with a known span is
    unknown that day; kinds with nothing known at all are left out of it)."""
    if not isinstance(dates, pd.DatetimeIndex):
        raise InputError(f"got {type(dates).__name__}", argument="dates", expected="a DatetimeIndex")
    cols: dict[str, NDArray] = {}
    any_mask = np.zeros(len(dates), dtype=bool)
    any_unknown = np.zeros(len(dates), dtype=bool)
    known = known or {}
    for kind, ev in events.items():
        span = known.get(kind, (None, None))
        lab = event_window_labels(
            dates,
            pd.DatetimeIndex(ev),
            before,
            after,
            known_from=None if span is None else span[0],
            known_to=None if span is None else span[1],
            known=span is not None,
        )
        cols[f"event_{kind}"] = lab
        any_mask |= lab == "event"
        if span is not None:
            any_unknown |= lab == "n/a"
    cols["event_any"] = np.where(any_mask, "event", np.where(any_unknown, NA, "none")).astype(object)
    return pd.DataFrame(cols, index=dates)


# ------------------------------------------------------------------------ combine
def regime_labels(
    spx_close: pd.Series,
    *,
    vix: pd.Series | None = None,
    vx_front: pd.Series | None = None,
    vx_second: pd.Series | None = None,
    breadth: pd.DataFrame | None = None,
    events: Mapping[str, ArrayLike] | None = None,
    event_before: int = 1,
    event_after: int = 1,
    rsi_period: int = 14,
    macd_spans: tuple[int, int, int] = (12, 26, 9),
    divergence_lookback: int = 63,
    near_high: float = 0.03,
) -> pd.DataFrame:
    """All regime labels per trading day, one column per regime family (strings, "n/a" where undefined).

    Columns: ``front_state``, ``curve_state`` (when ``vix`` and ``vx_front`` are given), ``macd_state``,
    ``rsi_band``, ``breadth_divergence`` (when ``breadth`` with ``advancing``/``declining`` is given),
    ``topping``, and ``event_<kind>``/``event_any`` (when ``events`` are given).
    """
    s = _series(spx_close, "spx_close")
    _no_gaps(s, "spx_close")
    out: dict[str, pd.Series | NDArray] = {}
    if vix is not None and vx_front is not None:
        ts = term_structure(vix, vx_front, vx_second)
        if not ts.index.equals(s.index):
            raise InputError("index differs from spx_close's", argument="vix", expected="the same trading days")
        out["front_state"] = ts["front_state"]
        out["curve_state"] = ts["curve_state"]
    m = macd(s, *macd_spans)
    out["macd_state"] = m["state"]
    out["rsi_band"] = rsi_band(rsi(s, rsi_period))
    bdiv = None
    if breadth is not None:
        for col in ("advancing", "declining"):
            if col not in breadth.columns:
                raise InputError(f"no column {col!r}", argument="breadth", expected="columns advancing, declining")
        if not breadth.index.equals(s.index):
            raise InputError("index differs from spx_close's", argument="breadth", expected="the same trading days")
        ad = advance_decline_line(breadth["advancing"], breadth["declining"])
        bdiv = breadth_divergence(s, ad, divergence_lookback)
        out["breadth_divergence"] = bdiv
    out["topping"] = topping(s, macd_frame=m, breadth_div=bdiv, near_high=near_high, lookback=divergence_lookback)
    frame = pd.DataFrame(out, index=s.index)
    if events:
        frame = frame.join(event_windows(s.index, events, event_before, event_after))
    return frame


def regime_table(values: pd.Series, labels: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """Aggregate a daily series (e.g. drag in bp of capital) by regime.

    Parameters
    ----------
    values : Series
        One value per trading day. NaN days are left out of every statistic (and counted in
        ``n_missing``), never treated as zero.
    labels : DataFrame or Series
        Regime labels on an index containing every date of ``values``.

    Returns
    -------
    DataFrame indexed by (``regime``, ``label``) with ``mean``, ``median``, ``sum``, ``count``
    (days with a value), ``share_of_days`` (count / days with a value in that regime family,
    all labels incl. "n/a"), ``n_missing``.
    """
    v = _series(values, "values")
    lab = labels.to_frame() if isinstance(labels, pd.Series) else labels
    missing_dates = v.index.difference(lab.index)
    if len(missing_dates):
        raise InputError(
            f"no label on {len(missing_dates)} dates, first {missing_dates[0].date()}",
            argument="labels",
            expected="labels on every date of values",
        )
    lab = lab.reindex(v.index)
    has = v.notna()
    rows = []
    for regime in lab.columns:
        col = lab[regime].astype(object).where(lab[regime].notna(), NA)
        total = int(has.sum())
        for label, grp in v[has].groupby(col[has], sort=True):
            rows.append(
                {
                    "regime": regime,
                    "label": label,
                    "mean": grp.mean(),
                    "median": grp.median(),
                    "sum": grp.sum(),
                    "count": len(grp),
                    "share_of_days": len(grp) / total if total else np.nan,
                    "n_missing": int((~has & (col == label)).sum()),
                }
            )
        for label in sorted(set(col[~has]) - set(col[has])):
            rows.append(
                {
                    "regime": regime,
                    "label": label,
                    "mean": np.nan,
                    "median": np.nan,
                    "sum": 0.0,
                    "count": 0,
                    "share_of_days": 0.0,
                    "n_missing": int((~has & (col == label)).sum()),
                }
            )
    return pd.DataFrame(rows).set_index(["regime", "label"]).sort_index()


def contango_heavy_months(
    labels: pd.Series | pd.DataFrame, threshold: float = 0.8, column: str = "front_state"
) -> pd.DataFrame:
    """Months in which at least ``threshold`` (80%) of the days with a label are in contango.

    The share is over days whose label is not "n/a" (front VX and VIX both present);
    ``n_na`` reports the others. Same definition as ``alvh.analytics.drag.contango_share``
    (front VX settle > VIX close on >= 80% of a month's trading days).

    Returns
    -------
    DataFrame indexed by month (``PeriodIndex``, freq "M"): ``days``, ``labelled_days``, ``contango_days``, ``share``,
    ``n_na``, ``heavy`` (bool; False when no day is labelled).
    """
    if not 0 < threshold <= 1:
        raise InputError(f"got {threshold!r}", argument="threshold", expected="a fraction in (0, 1]")
    s = labels[column] if isinstance(labels, pd.DataFrame) else labels
    if not isinstance(s.index, pd.DatetimeIndex):
        raise InputError("index is not a DatetimeIndex", argument="labels", expected="labels indexed by dates")
    month = s.index.to_period("M")  # monthly PeriodIndex, as alvh.analytics.drag's monthly tables
    lab = s.astype(object).where(s.notna(), NA)
    frame = pd.DataFrame({"m": month, "lab": (lab != NA).to_numpy(), "con": (lab == "contango").to_numpy()})
    g = frame.groupby("m").agg(days=("lab", "size"), labelled_days=("lab", "sum"), contango_days=("con", "sum"))
    labelled = g["labelled_days"]
    g["share"] = np.where(labelled > 0, g["contango_days"] / labelled.where(labelled > 0, 1), np.nan)
    g["n_na"] = g["days"] - g["labelled_days"]
    g["heavy"] = (g["share"] >= threshold) & (g["labelled_days"] > 0)
    g.index.name = "month"
    return g
