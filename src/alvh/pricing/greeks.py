"""The one ``Greeks`` type of alvh: price and greeks of a batch of options.

Returned by :func:`alvh.pricing.bsm_greeks` and :func:`alvh.pricing.black76_greeks` (both
backends) and by the engine's settlement-aware kernels (:mod:`alvh.strategy.kernels`).
Units: :mod:`alvh.pricing.units`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)  # eq=False: comparing arrays elementwise has no single truth value
class Greeks:
    """Price and greeks, each an ndarray of the broadcast shape of the inputs.

    Attributes
    ----------
    price : option value in the units of the underlying (index points)
    delta : dV/dS (BSM, spot) or dV/dF (Black-76, forward), per 1.0 of the underlying
    gamma : d2V/dS2 (or d2V/dF2), per 1.0 of the underlying
    vega : dV/dsigma per **1 vol point** (0.01 decimal vol)
    theta : dV/d(calendar time) per **calendar day** (underlying held fixed), negative for a long option
    vanna : d(delta)/dsigma per vol point
    volga : d(vega per point)/dsigma per vol point (d2V/dsigma2 x ``VOLGA_PER_POINT2``)
    """

    price: np.ndarray
    delta: np.ndarray
    gamma: np.ndarray
    vega: np.ndarray
    theta: np.ndarray
    vanna: np.ndarray
    volga: np.ndarray
