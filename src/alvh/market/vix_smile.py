"""The VIX-option smile: an upward (call-side) skew on top of the tenor vol of :func:`alvh.market.vix_option_vol`.

VIX options are priced with Black-76 on the VX future of their expiry. Their implied vols rise with the
strike (out-of-the-money calls above at-the-money above out-of-the-money puts): the VIX jumps up, not
down, and VIX calls are bought as crash insurance. Sources (docs/pricing.md, "The VIX smile"):
Sepp, "VIX option pricing in a jump-diffusion model", *Risk*, April 2008, pp. 84-89 ("the positive
volatility skew observed in the implied volatilities of VIX options"); Park, "The effects of asymmetric
volatility and jumps on the pricing of VIX derivatives", Federal Reserve FEDS 2015-071 (VIX options
2006-2013: upward jumps in VIX are needed to fit it); Marabel Romo, *Quantitative Finance* 2015 / SSRN
(VIX options "exhibit upward sloping volatility skew and the shape of the skew is largely independent
of the volatility level").

Parameterization (per unit of the at-the-money vol, so a level-free shape as Marabel Romo finds)::

    sigma(K, tau) = sigma_atm(tau) * clip(1 + slope * x + curvature * x^2, floor, cap)
    x = ln(K / F) * sqrt(30 / tau)          (log-moneyness per square root of 30-day time)

``sigma_atm(tau)`` is :func:`alvh.market.vix_option_vol` (VVIX sets the 30-day level when present).
The ``sqrt(30/tau)`` scaling keeps the skew per standard deviation of the future about constant
across tenors (a smile flattens in log-moneyness as the tenor grows, as in any diffusion).
The defaults (slope 0.6, curvature 0.3, floor 0.6, cap 2.5) are **an assumption of magnitude**: no
VIX option chain is in the data to fit them. They give, at 30 days, a 25 % out-of-the-money call
(K = 1.25 F) about 1.15 x the at-the-money vol and a 20 % out-of-the-money put (K = 0.8 F) about
0.88 x (slope and curvature both enter: 1 + 0.6 x 0.223 + 0.3 x 0.050 = 1.149;
1 - 0.6 x 0.223 + 0.3 x 0.050 = 0.881), the upward shape the sources above report. Set your own
with :class:`VixSmile`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alvh.errors import ConfigError

#: Tenor (calendar days) at which the log-moneyness scaling is 1.
SMILE_REFERENCE_DAYS = 30.0


@dataclass(frozen=True)
class VixSmile:
    """Shape of the VIX-option smile relative to the at-the-money vol (module docstring: formula, sources).

    ``slope`` > 0 makes the skew upward (calls above puts); ``curvature`` >= 0 bends both wings up;
    ``floor`` and ``cap`` bound the multiplier of the at-the-money vol.
    """

    slope: float = 0.6
    curvature: float = 0.3
    floor: float = 0.6
    cap: float = 2.5

    def __post_init__(self) -> None:
        checks = (
            ("slope", self.slope >= 0, ">= 0 (the VIX smile slopes upward)"),
            ("curvature", self.curvature >= 0, ">= 0"),
            ("floor", 0 < self.floor <= 1, "in (0, 1]"),
            ("cap", self.cap >= 1, ">= 1"),
        )
        for key, ok, want in checks:
            if not (ok and np.isfinite(getattr(self, key))):
                raise ConfigError(f"{getattr(self, key)!r} is out of range", key=f"vix_smile.{key}", expected=want)

    def multiplier(self, log_moneyness: np.ndarray, dte: np.ndarray) -> np.ndarray:
        """``sigma(K, tau) / sigma_atm(tau)`` at ``ln(K/F)`` and ``dte`` calendar days (> 0); broadcasts."""
        x = np.asarray(log_moneyness, dtype=float) * np.sqrt(SMILE_REFERENCE_DAYS / np.asarray(dte, dtype=float))
        return np.clip(1.0 + self.slope * x + self.curvature * x * x, self.floor, self.cap)

    def vol(self, atm_vol: np.ndarray, forward: np.ndarray, strike: np.ndarray, dte: np.ndarray) -> np.ndarray:
        """Black-76 vol of a VIX option with ``strike`` on the future ``forward`` (decimal); NaN strike -> NaN."""
        with np.errstate(divide="ignore", invalid="ignore"):
            k = np.log(np.asarray(strike, dtype=float) / np.asarray(forward, dtype=float))
        return np.asarray(atm_vol, dtype=float) * self.multiplier(k, dte)
