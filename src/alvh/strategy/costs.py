"""Small pluggable cost models (one default each), in dollars per trade.

Each model maps absolute contracts traded (an array, any shape) to dollars; the
engine adds the result to the day's costs of the component that traded. Swap a
model by passing another object with the same method to
:func:`alvh.engine.simulate.run_engine`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alvh.config import Costs

SPX_MULTIPLIER = 100.0  #: dollars per SPX index point per option contract (Cboe SPX spec)
VX_MULTIPLIER = 1000.0  #: dollars per VIX point per VX future (Cboe CFE VX spec; prices before 2007-03-26 rescaled)
VIX_OPTION_MULTIPLIER = 100.0  #: dollars per VIX point per VIX option (Cboe VIX option spec)


@dataclass(frozen=True)
class CostModel:
    """Default costs: half-spread + commission per contract, leg-count-aware SPX slippage, VX tick slippage.

    ``spx(contracts, n_legs)``: ``contracts x (100 x (half_spread + slip x (n_legs - 1)) + commission)``;
    ``vx(contracts)``: ``contracts x (1000 x tick x slippage_ticks + commission)``;
    ``vix_option(contracts)``: ``contracts x (100 x half_spread + commission)``.
    """

    costs: Costs

    def spx(self, contracts: np.ndarray, n_legs: int) -> np.ndarray:
        c = self.costs
        per = SPX_MULTIPLIER * (c.spx_half_spread + c.spx_slippage_per_extra_leg * max(n_legs - 1, 0)) \
            + c.spx_commission
        return np.abs(contracts) * per

    def vx(self, contracts: np.ndarray) -> np.ndarray:
        c = self.costs
        return np.abs(contracts) * (VX_MULTIPLIER * c.vx_tick * c.vx_slippage_ticks + c.vx_commission)

    def vix_option(self, contracts: np.ndarray) -> np.ndarray:
        c = self.costs
        return np.abs(contracts) * (VIX_OPTION_MULTIPLIER * c.vix_option_half_spread + c.vix_option_commission)
