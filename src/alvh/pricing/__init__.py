"""Pure pricing math: Black-Scholes-Merton, Black-76, implied volatility, strike from delta.

No market objects here (docs/architecture.md layering). Units: t in years (ACT/365), vol
decimal, vega per 1 vol point, theta per calendar day, vanna per vol point, volga per vol
point squared (:mod:`alvh.pricing.units`). Formulas and tests: docs/pricing.md.
"""

from alvh.pricing.black import (
    NUMBA_AUTO_MIN_SIZE,
    black76_greeks,
    black76_price,
    black76_price_delta_vega,
    bsm_greeks,
    bsm_price,
    bsm_price_delta_vega,
    strike_from_delta,
)
from alvh.pricing.greeks import Greeks
from alvh.pricing.implied_vol import ImpliedVolResult, IVReason, implied_vol

__all__ = [
    "IVReason",
    "ImpliedVolResult",
    "implied_vol",
    "NUMBA_AUTO_MIN_SIZE",
    "Greeks",
    "black76_greeks",
    "black76_price",
    "black76_price_delta_vega",
    "bsm_greeks",
    "bsm_price",
    "bsm_price_delta_vega",
    "strike_from_delta",
]
