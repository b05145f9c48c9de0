"""Stage "interest and financing": T-bill interest on each component's cash, the debt's interest, the
private financing of the hedge's cash needs (docs/engine.md, day step 1; docs/drag.md, "financing").

The book's cash account is the engine's cash plus the futures' value (the engine books a future like a
purchase, paying its price into the position; at a broker only the daily variation margin moves cash).
:attr:`EngineState.acct` splits it by component (last column: cash no component holds, the borrowed
cash, and the capital when the core is disabled; booked in ``BacktestResult.financing``): the core
starts with the capital (its collateral), every trade moves its component's balance by the cash it
pays (premium and cost; for futures only the cost) and every future's daily P&L moves it as variation
margin. So ``acct.sum(axis=1) == cash + futures' value`` and each component's balance is its claim on
the account: a hedge layer's balance is minus the cash it has taken from the core's collateral.

Interest over the period (d-1, d] at the rate known at the previous close ``r`` (continuously
compounded, decimal; ``days`` calendar days)::

    I_c = acct_c x (exp(r days / 365) - 1)          (general.interest_on_cash)

With ``[financing] mode = "hedge_cash"`` a hedge component's negative balance is instead borrowed at the
private rate ``f`` (``rate``, or the data rate + ``spread``; simple ACT/365 as the borrow mode):
``F_c = min(acct_c, 0) x f days / 365`` (booked as the component's financing), and the T-bill interest it
would have cost the core's collateral, ``min(acct_c, 0) x (exp(r days/365) - 1)``, is kept beside it for
the comparison in ``metadata["financing_layer"]``. Worked example: a layer that has paid $200,000 of
premium (balance -200,000) over a 3-day weekend at r = 5 % costs the core 200,000 x (exp(0.05 x 3/365)
- 1) = $82.21 of interest; financed at f = 7 % it pays 200,000 x 0.07 x 3/365 = $115.07 instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from alvh.pricing.units import DAYS_PER_YEAR

if TYPE_CHECKING:
    from alvh.engine.state import EngineState


def private_rate(st: EngineState, d: int) -> float:
    """The [financing] rate over (d-1, d]: the constant ``rate`` or the data rate at d-1 + ``spread``."""
    fin = st.prep.rules.financing
    return fin.rate if fin.rate_source == "constant" else float(st.prep.paths.rate[d - 1]) + fin.spread


def accrue(st: EngineState, d: int) -> None:
    """Interest on the accounts and the debt over (d-1, d], paid into / from cash (day 0: nothing)."""
    if d == 0:
        return
    days = float(st.gap_days[d])  # calendar days since the previous trading day
    K = len(st.components)
    g_rate = float(st.cash_growth[d])  # expm1(rate(d-1) x days / 365), tabulated once (EngineState)
    g = g_rate if st.interest_on else 0.0
    if st.dk is not None and st.hedge_financed is None:  # the same steps as below, one compiled pass
        paid = st.debt * private_rate(st, d) * days / DAYS_PER_YEAR if st.debt else 0.0
        st.dk.accrue(st.acct, st.cash, K, g, paid, bool(st.debt or g), bool(g), st.fin[d], st.interest[d])
        return
    if st.debt or g:  # the debt's interest (mode "borrow"), T-bill interest on cash no component holds
        paid = st.debt * private_rate(st, d) * days / DAYS_PER_YEAR if st.debt else 0.0
        leg = st.acct[:, K] * g - paid
        st.acct[:, K] += leg
        st.cash += leg
        st.fin[d] = leg
    if st.hedge_financed is None:
        if g:
            i = st.acct[:, :K] * g
            st.acct[:, :K] += i
            st.cash += i.sum(axis=1)
            st.interest[d] = i
        return
    # mode "hedge_cash": the hedge components' negative balances are borrowed at the private rate
    h = st.hedge_financed
    need = np.where(h[None, :], np.minimum(st.acct[:, :K], 0.0), 0.0)
    i = (st.acct[:, :K] - need) * g
    f = need * (private_rate(st, d) * days / DAYS_PER_YEAR)
    st.acct[:, :K] += i + f
    st.cash += (i + f).sum(axis=1)
    st.interest[d] = i
    st.hedge_fin[d] = f
    st.fin_alt[d] = need * g_rate  # what the core's collateral would have lost (at the rate, paid or not)


def financing_report(st: EngineState) -> dict[str, object] | None:
    """``metadata["financing_layer"]``: the private financing against the T-bill interest the core's
    collateral would have lost carrying the hedge (dollars summed over days, per path mean), whether it
    was cheaper over the run and in which calendar years; None unless ``mode = "hedge_cash"``."""
    if st.hedge_financed is None:
        return None
    fin, mp = st.prep.rules.financing, st.prep.paths
    own = slice(0, st.P_own)  # the run's own paths (not its standalone core's)
    cost = -st.hedge_fin[:, own].sum(axis=2)  # (n, P) dollars paid to the private lender
    lost = -st.fin_alt[:, own].sum(axis=2)  # (n, P) T-bill interest the core's collateral would have lost
    years = mp.dates.year.to_numpy()
    by_year = {}
    for y in np.unique(years):
        m = years == y
        c, lo = float(cost[m].sum(axis=0).mean()), float(lost[m].sum(axis=0).mean())
        by_year[str(int(y))] = {"financing_cost": c, "tbill_interest_lost": lo, "cheaper": bool(c < lo)}
    need_days = (cost > 0).any(axis=1)
    cheaper_days = need_days & (cost < lost).all(axis=1)
    total_cost, total_lost = float(cost.sum(axis=0).mean()), float(lost.sum(axis=0).mean())
    rate = f"constant {fin.rate:g}" if fin.rate_source == "constant" else f"data rate + {fin.spread:g}"
    statement = (
        f"financing layer ({rate}): cost {total_cost:,.0f} vs T-bill interest the core would have lost "
        f"{total_lost:,.0f}: {'cheaper' if total_cost < total_lost else 'dearer'} (cheaper on "
        f"{int(cheaper_days.sum())} of {int(need_days.sum())} days with a cash need)"
    )
    return {
        "statement": statement,
        "mode": "hedge_cash",
        "private_rate": rate + " (decimal per year, simple ACT/365)",
        "tbill_rate": "the engine's rate (general.rate_source), continuously compounded",
        "financing_cost": total_cost,
        "tbill_interest_lost": total_lost,
        "saving": total_lost - total_cost,
        "cheaper": bool(total_cost < total_lost),
        "days_with_a_cash_need": int(need_days.sum()),
        "days_cheaper": int(cheaper_days.sum()),
        "by_year": by_year,
        "definition": "financing_cost: private interest paid on the hedge layers' negative cash balances; "
        "tbill_interest_lost: the T-bill interest those balances would have cost the core's collateral; "
        "dollars over the run, mean over paths",
    }
