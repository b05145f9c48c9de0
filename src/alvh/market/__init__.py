"""Market model: SPX surface consistent with VIX, VX futures curve (real or two-factor model), VIX-option vol.

Formulas, defaults and the measured fit: docs/model.md.
"""

from alvh.market.surface import SpxSmileDay, SpxSurface, cboe_sums, solve_theta30, ssvi_total_variance

__all__ = ["SpxSmileDay", "SpxSurface", "cboe_sums", "solve_theta30", "ssvi_total_variance"]
