"""Market model: SPX surface consistent with VIX, VX futures curve (real or two-factor model), VIX-option vol.

Formulas, defaults and the measured fit: docs/model.md.
"""

from alvh.market.surface import SpxSmileDay, SpxSurface, cboe_sums, solve_theta30

__all__ = ["SpxSmileDay", "SpxSurface", "cboe_sums", "solve_theta30"]

from alvh.market.vx import (
    DEFAULT_VEGA_BUCKETS,
    LongFactorMap,
    SpotMoveSplit,
    VXCurve,
    VXModelParams,
    effective_vega_history,
    effective_vega_model,
    estimate_effective_vega,
    fit_long_factor,
    long_factor_from_indices,
    model_futures,
    spot_dfdvix_model,
    vix_option_settlement,
    vix_option_vol,
)

__all__ += [
    "DEFAULT_VEGA_BUCKETS",
    "LongFactorMap",
    "VXCurve",
    "SpotMoveSplit",
    "VXModelParams",
    "effective_vega_history",
    "effective_vega_model",
    "estimate_effective_vega",
    "fit_long_factor",
    "long_factor_from_indices",
    "model_futures",
    "spot_dfdvix_model",
    "vix_option_settlement",
    "vix_option_vol",
]

from alvh.market.vix_smile import VixSmile  # noqa: E402

__all__ += ["VixSmile"]

from alvh.market.chain import ChainDay, SsviFit, chain_day, fit_ssvi, ssvi_total_variance  # noqa: E402

__all__ += ["ChainDay", "SsviFit", "chain_day", "fit_ssvi", "ssvi_total_variance"]
