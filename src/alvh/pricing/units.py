"""Greek units and unit factors in one place (docs/architecture.md, "Conventions used everywhere").

Every conversion factor of alvh (vol points, calendar days per year, basis points) is
defined here once; code elsewhere imports it rather than writing ``/ 100`` or ``/ 365``.

Every kernel in :mod:`alvh.pricing` computes greeks in the natural calculus
units (per 1.0 of decimal vol, per year) and converts them here, once:

=========  ==========================================================
greek      unit returned by alvh.pricing
=========  ==========================================================
delta      price change per 1.0 of the underlying (spot or forward)
gamma      change of delta per 1.0 of the underlying
vega       price change per **1 vol point** (0.01 of decimal vol)
theta      price change per **calendar day** (ACT/365), time passing
vanna      change of delta per 1 vol point
volga      change of vega (per vol point) per 1 vol point
=========  ==========================================================
"""

from __future__ import annotations

#: One vol point in decimal volatility (20 vol points = 0.20).
VOL_POINT: float = 0.01

#: Vol points per 1.0 of decimal vol (a VIX level of 20 is 20 / VOL_POINTS_PER_UNIT = 0.20 decimal vol).
#: Exactly 100.0, so ``x / VOL_POINTS_PER_UNIT`` rounds as ``x / 100`` did.
VOL_POINTS_PER_UNIT: float = 1.0 / VOL_POINT

#: Calendar days per year of the ACT/365 time convention (``t = dte_days / 365``).
DAYS_PER_YEAR: float = 365.0

#: Seconds per calendar day.
SECONDS_PER_DAY: float = 86400.0

#: Basis points per 1.0 (P&L in bp of capital = dollars / capital x BP_PER_UNIT).
BP_PER_UNIT: float = 1e4

#: Multiply a vega per 1.0 of decimal vol by this to get vega per vol point.
VEGA_PER_POINT: float = VOL_POINT

#: Multiply a theta per year (dV/d(calendar time)) by this to get theta per calendar day.
THETA_PER_DAY: float = 1.0 / DAYS_PER_YEAR

#: Multiply vanna per 1.0 vol (d delta / d sigma) by this to get vanna per vol point.
VANNA_PER_POINT: float = VOL_POINT

#: Multiply volga per 1.0 vol squared (d2 V / d sigma2) by this to get volga per vol point squared.
VOLGA_PER_POINT2: float = VOL_POINT * VOL_POINT
