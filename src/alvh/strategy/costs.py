"""Small pluggable cost models (one default each), in dollars per trade.

Each model maps contracts traded (an array, any shape; the sign is ignored) and, for options, the
trade's price per unit (index points, same shape) to dollars; the engine adds the result to the day's
costs of the component that traded. Swap a model by passing another object with the same methods
to :func:`alvh.engine.simulate.run_engine`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from alvh.config import Costs
from alvh.errors import InputError

SPX_MULTIPLIER = 100.0  #: dollars per SPX index point per option contract (Cboe SPX spec)
VX_MULTIPLIER = 1000.0  #: dollars per VIX point per VX future (Cboe CFE VX spec; prices before 2007-03-26 rescaled)
VIX_OPTION_MULTIPLIER = 100.0  #: dollars per VIX point per VIX option (Cboe VIX option spec)


def option_tick(price: ArrayLike, small: float, large: float, threshold: float) -> NDArray[np.float64]:
    """Minimum price increment of an option quote (points): ``small`` below ``threshold``, else ``large``.

    Cboe SPX and (before 2022-10-03) VIX options: 0.05 below $3.00, 0.10 at or above.
    """
    return np.where(np.asarray(price, dtype=np.float64) < threshold, small, large)


def option_half_spread(
    price: ArrayLike,
    fraction: float,
    floor_ticks: float,
    cap: float,
    tick_small: float,
    tick_large: float,
    tick_threshold: float,
) -> NDArray[np.float64]:
    r"""Half the bid-ask spread of an option (points) as a function of its price ``p`` (points, >= 0).

    .. math:: h(p) = \mathrm{clip}(f\,p,\; n_{tick}\,\mathrm{tick}(p),\; h_{max})

    A fraction of the premium, never below ``floor_ticks`` ticks of the quote (a market is at least
    that wide) nor above ``cap``. Vectorized over any shape.

    Examples
    --------
    >>> option_half_spread([0.40, 2.0, 10.0, 40.0], 0.04, 1.0, 1.0, 0.05, 0.10, 3.0).round(4).tolist()
    [0.05, 0.08, 0.4, 1.0]
    """
    p = np.abs(np.asarray(price, dtype=np.float64))
    floor = floor_ticks * option_tick(p, tick_small, tick_large, tick_threshold)
    return np.minimum(np.maximum(fraction * p, floor), cap)


def _contracts(contracts: ArrayLike) -> NDArray[np.float64]:
    q = np.abs(np.asarray(contracts, dtype=np.float64))
    return np.where(np.isfinite(q), q, 0.0)  # the engine books no trade where the quantity is not finite


def _traded_price(q: NDArray[np.float64], price: ArrayLike, what: str) -> NDArray[np.float64]:
    p = np.broadcast_to(np.asarray(price, dtype=np.float64), q.shape)
    bad = (q != 0) & ~(np.isfinite(p) & (p >= 0))
    if bad.any():
        raise InputError(
            f"{int(bad.sum())} trade(s) at a non-finite or negative price (first {p[bad][0]!r})",
            argument=f"{what} price",
            expected="a finite option price >= 0 (points) wherever contracts trade",
        )
    return np.where(q != 0, p, 0.0)  # a price is not needed where nothing trades


@dataclass(frozen=True)
class CostModel:
    """Default costs: a price-dependent half-spread + commission per option, leg-count-aware SPX slippage,
    VX tick slippage.

    ``spx(contracts, n_legs, price)``: ``|contracts| x (100 x (h_spx(price) + slip x (n_legs - 1)) + commission)``;
    ``vx(contracts)``: ``|contracts| x (1000 x tick x slippage_ticks + commission)``;
    ``vix_option(contracts, price)``: ``|contracts| x (100 x h_vix(price) + commission)``;
    ``h`` is :func:`option_half_spread` with the ``costs.spx_*`` / ``costs.vix_option_*`` keys.
    All in dollars, elementwise over any shape (paths x positions).
    """

    costs: Costs

    def spx_half_spread(self, price: ArrayLike) -> NDArray[np.float64]:
        """Half-spread of an SPX option in index points at its price (points)."""
        c = self.costs
        return option_half_spread(
            price,
            c.spx_half_spread_fraction,
            c.spx_half_spread_floor_ticks,
            c.spx_half_spread_cap,
            c.spx_tick_small,
            c.spx_tick_large,
            c.spx_tick_threshold,
        )

    def vix_option_half_spread(self, price: ArrayLike) -> NDArray[np.float64]:
        """Half-spread of a VIX option in VIX points at its price (points)."""
        c = self.costs
        return option_half_spread(
            price,
            c.vix_option_half_spread_fraction,
            c.vix_option_half_spread_floor_ticks,
            c.vix_option_half_spread_cap,
            c.vix_option_tick_small,
            c.vix_option_tick_large,
            c.vix_option_tick_threshold,
        )

    def spx(self, contracts: ArrayLike, n_legs: int, price: ArrayLike) -> NDArray[np.float64]:
        c = self.costs
        q = _contracts(contracts)
        h = self.spx_half_spread(_traded_price(q, price, "SPX option"))
        per = SPX_MULTIPLIER * (h + c.spx_slippage_per_extra_leg * max(n_legs - 1, 0)) + c.spx_commission
        return q * per

    def vx(self, contracts: ArrayLike) -> NDArray[np.float64]:
        c = self.costs
        return _contracts(contracts) * (VX_MULTIPLIER * c.vx_tick * c.vx_slippage_ticks + c.vx_commission)

    def vix_option(self, contracts: ArrayLike, price: ArrayLike) -> NDArray[np.float64]:
        c = self.costs
        q = _contracts(contracts)
        h = self.vix_option_half_spread(_traded_price(q, price, "VIX option"))
        return q * (VIX_OPTION_MULTIPLIER * h + c.vix_option_commission)
