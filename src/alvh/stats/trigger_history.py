"""The beta-ratio rebalance trigger computed after the fact on daily series (batch, pandas).

The engine evaluates the same rule day by day with :class:`alvh.stats.RollingBeta`; this
function gives the whole history at once for reports and checks (docs/analytics.md, 1.2).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from alvh.errors import InputError
from alvh.stats.rolling_beta import beta_ratio, trigger
from alvh.stats.rolling_ols import MissingPolicy, rolling_ols

__all__ = ["beta_trigger"]


def beta_trigger(
    vega_pnl: pd.DataFrame,
    spx_return: pd.Series,
    short: str,
    long: str,
    *,
    window: int = 90,
    min_nobs: int | None = None,
    threshold: float = 1.4,
    notional: pd.DataFrame | None = None,
    use: Literal["raw", "normalized"] = "raw",
    missing: MissingPolicy = "raise",
    eps: float = 1e-12,
    exog: pd.DataFrame | None = None,
) -> pd.DataFrame:
    r"""Rolling betas of two layers' daily vega P&L on SPX returns, their ratio and the trigger.

    Parameters
    ----------
    vega_pnl : DataFrame
        Dates x layers, each layer's daily vega P&L in dollars.
    spx_return : Series
        SPX daily return (decimal) on the same dates.
    short, long : str
        Layer names compared (``|beta_short| / |beta_long|``), e.g. from the rules file.
    window, min_nobs : int
        Rolling window in trading days (90) and minimum valid rows (default: ``window``).
    threshold : float
        The trigger fires where the chosen ratio is strictly above it (1.4, the seed's rule).
    notional : DataFrame, optional
        Dates x layers, each layer's effective vega notional (dollars per vol point) in force
        during day t. With it, the normalized betas are the rolling slopes of
        ``vega_pnl_t / notional_t`` on the SPX return (P&L per dollar of vega notional).
    use : {"raw", "normalized"}
        Which ratio drives ``fires`` (raw by default, as the seed states it).
    missing : {"raise", "drop", "skip"}
        Passed to :func:`alvh.stats.rolling_ols`.
    exog : DataFrame, optional
        Extra regressors on the same dates (e.g. ``MarketData.exog`` series); the betas reported
        stay the SPX-return coefficients, now conditional on the extra regressors. A gap in an
        extra series raises naming it (``missing="raise"``).

    Returns
    -------
    DataFrame indexed by date: ``beta_short``, ``beta_long``, ``ratio_raw`` and, with
    ``notional``, ``beta_short_norm``, ``beta_long_norm``, ``ratio_normalized``; ``fires`` (bool).
    """
    if not isinstance(vega_pnl, pd.DataFrame):
        raise InputError(f"got {type(vega_pnl).__name__}", argument="vega_pnl", expected="a dates x layers DataFrame")
    for name, layer in (("short", short), ("long", long)):
        if layer not in vega_pnl.columns:
            raise InputError(
                f"layer {layer!r} does not exist",
                argument=name,
                expected=f"one of {[str(c) for c in vega_pnl.columns]}",
            )
    if not isinstance(spx_return, pd.Series) or not spx_return.index.equals(vega_pnl.index):
        raise InputError(
            "not a Series on vega_pnl's dates",
            argument="spx_return",
            expected="a Series with the same index as vega_pnl",
        )
    if use not in ("raw", "normalized"):
        raise InputError(f"got {use!r}", argument="use", expected="'raw' or 'normalized'")
    if use == "normalized" and notional is None:
        raise InputError(
            "use='normalized' without notional",
            argument="notional",
            expected="each layer's effective vega notional (dates x layers)",
        )
    if min_nobs is None:
        min_nobs = window
    regressors: pd.Series | pd.DataFrame = spx_return.rename("spx_return")
    if exog is not None:
        if not isinstance(exog, pd.DataFrame) or not exog.index.equals(vega_pnl.index):
            raise InputError(
                "not a DataFrame on vega_pnl's dates",
                argument="exog",
                expected="a dates x series DataFrame with the same index as vega_pnl",
            )
        regressors = pd.concat([regressors, exog], axis=1)
    # per layer through the pandas route, so a gap is reported with the series name and date
    betas = {}
    for key, layer in (("short", short), ("long", long)):
        r = rolling_ols(vega_pnl[layer].rename(str(layer)), regressors, window, min_nobs=min_nobs, missing=missing)
        betas[key] = r.params[:, 1]
    out = pd.DataFrame({"beta_short": betas["short"], "beta_long": betas["long"]}, index=vega_pnl.index)
    out["ratio_raw"] = beta_ratio(out["beta_short"], out["beta_long"], eps)
    if notional is not None:
        if not isinstance(notional, pd.DataFrame) or not notional.index.equals(vega_pnl.index):
            raise InputError(
                "not a DataFrame on vega_pnl's dates",
                argument="notional",
                expected="dates x layers on the same index as vega_pnl",
            )
        for layer in (short, long):
            if layer not in notional.columns:
                raise InputError(
                    f"no column for layer {layer!r}", argument="notional", expected="one column per compared layer"
                )
        for key, layer in (("short", short), ("long", long)):
            n = notional[layer].to_numpy(dtype=np.float64)
            y = vega_pnl[layer].to_numpy(dtype=np.float64)
            per_unit = np.divide(y, n, out=np.full(len(y), np.nan), where=np.isfinite(n) & (n != 0))
            if missing == "raise" and np.isnan(per_unit).any() and not np.isnan(y).any():
                bad = vega_pnl.index[int(np.flatnonzero(np.isnan(per_unit))[0])]
                raise InputError(
                    f"notional of layer {layer!r} is zero or missing on {bad.date()}",
                    argument="notional",
                    expected="a non-zero notional every day, or missing='drop'",
                )
            r = rolling_ols(
                pd.Series(per_unit, index=vega_pnl.index, name=f"{layer}_per_notional"),
                regressors,
                window,
                min_nobs=min_nobs,
                missing=missing,
            )
            out[f"beta_{key}_norm"] = r.params[:, 1]
        out["ratio_normalized"] = beta_ratio(out["beta_short_norm"], out["beta_long_norm"], eps)
    out["fires"] = trigger(out["ratio_raw" if use == "raw" else "ratio_normalized"].to_numpy(), threshold)
    return out
