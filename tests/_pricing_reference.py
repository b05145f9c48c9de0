"""Slow, obviously correct scalar references for the pricing tests (math.erf, one option at a time).

Kept beside the vectorized kernels (STYLE.md idiom 3). Units as alvh.pricing: vega per vol
point, theta per calendar day, vanna per vol point, volga per vol point squared.
"""

from __future__ import annotations

import math


def norm_cdf(x: float) -> float:
    """Standard normal CDF via erfc (accurate in the lower tail)."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def norm_pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def bsm_scalar(s: float, k: float, t: float, vol: float, r: float, q: float, is_call: bool) -> dict[str, float]:
    """Textbook Black-Scholes-Merton (Hull, ch. 17/19) for one option; t > 0."""
    d1 = (math.log(s / k) + (r - q + 0.5 * vol * vol) * t) / (vol * math.sqrt(t))
    d2 = d1 - vol * math.sqrt(t)
    eq, er = math.exp(-q * t), math.exp(-r * t)
    if is_call:
        price = s * eq * norm_cdf(d1) - k * er * norm_cdf(d2)
        delta = eq * norm_cdf(d1)
        theta = (-s * eq * norm_pdf(d1) * vol / (2 * math.sqrt(t)) + q * s * eq * norm_cdf(d1)
                 - r * k * er * norm_cdf(d2))
    else:
        price = k * er * norm_cdf(-d2) - s * eq * norm_cdf(-d1)
        delta = -eq * norm_cdf(-d1)
        theta = (-s * eq * norm_pdf(d1) * vol / (2 * math.sqrt(t)) - q * s * eq * norm_cdf(-d1)
                 + r * k * er * norm_cdf(-d2))
    gamma = eq * norm_pdf(d1) / (s * vol * math.sqrt(t))
    vega = s * eq * norm_pdf(d1) * math.sqrt(t)
    vanna = -eq * norm_pdf(d1) * d2 / vol
    volga = vega * d1 * d2 / vol
    return {"price": price, "delta": delta, "gamma": gamma, "vega": vega * 0.01, "theta": theta / 365.0,
            "vanna": vanna * 0.01, "volga": volga * 1e-4}


def black76_scalar(f: float, k: float, t: float, vol: float, r: float, is_call: bool) -> dict[str, float]:
    """Black (1976) for one option on a future, discounted at r; t > 0."""
    d1 = (math.log(f / k) + 0.5 * vol * vol * t) / (vol * math.sqrt(t))
    d2 = d1 - vol * math.sqrt(t)
    df = math.exp(-r * t)
    if is_call:
        price = df * (f * norm_cdf(d1) - k * norm_cdf(d2))
        delta = df * norm_cdf(d1)
    else:
        price = df * (k * norm_cdf(-d2) - f * norm_cdf(-d1))
        delta = -df * norm_cdf(-d1)
    gamma = df * norm_pdf(d1) / (f * vol * math.sqrt(t))
    vega = df * f * norm_pdf(d1) * math.sqrt(t)
    theta = r * price - df * f * norm_pdf(d1) * vol / (2 * math.sqrt(t))
    vanna = -df * norm_pdf(d1) * d2 / vol
    volga = vega * d1 * d2 / vol
    return {"price": price, "delta": delta, "gamma": gamma, "vega": vega * 0.01, "theta": theta / 365.0,
            "vanna": vanna * 0.01, "volga": volga * 1e-4}
