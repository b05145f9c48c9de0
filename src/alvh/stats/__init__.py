"""Pure numerical tools: rolling regression from running sums, the beta-ratio trigger, IRR.

Imports nothing from alvh except :mod:`alvh.errors`, so the engine may call it in its day loop.
"""

from alvh.stats.irr import IRRResult, irr
from alvh.stats.rolling_beta import RollingBeta, beta_ratio, trigger
from alvh.stats.rolling_ols import RollingOLSResult, rolling_ols
from alvh.stats.trigger_history import beta_trigger

__all__ = [
    "IRRResult",
    "RollingBeta",
    "RollingOLSResult",
    "beta_ratio",
    "beta_trigger",
    "irr",
    "rolling_ols",
    "trigger",
]
