"""The beta-ratio rebalance rule (the seed's 1.4 rule) as functions of the day's arrays.

The engine's rebalance stage (:mod:`alvh.engine.rebalance`) feeds the rolling betas; these decide when the
rule fires and what the ``shift`` action trades. Vectorized over paths.
"""

from __future__ import annotations

import numpy as np

from alvh.config import Rebalance


def fire_mask(
    rb: Rebalance,
    ratio: np.ndarray,
    cooldown: np.ndarray,
    both_held: np.ndarray,
    threshold: np.ndarray | float | None = None,
) -> np.ndarray:
    """Paths where the rule fires: ``ratio > threshold`` (False where NaN), the cooldown over, both layers held;
    ``threshold`` (per path, a sweep's variants) replaces ``rb.threshold``."""
    return (ratio > (rb.threshold if threshold is None else threshold)) & (cooldown <= 0) & both_held


def shift_targets(
    rb: Rebalance,
    contracts: str,
    qty_s: np.ndarray,
    qty_l: np.ndarray,
    mult_s: float,
    mult_l: float,
    und_s: np.ndarray,
    und_l: np.ndarray,
    delta_s: np.ndarray,
    delta_l: np.ndarray,
    fraction: np.ndarray | float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``shift``: move ``shift_fraction`` of the short layer's delta notional (contracts x multiplier x
    underlying x delta) into the long layer.

    Returns the new contracts (short, long), rounded as ``general.contracts`` says (``whole``: the short
    layer up and the long layer down, so neither overshoots the shift; ``nearest``: half up). ``fraction``
    (per path, a sweep's variants) replaces ``rb.shift_fraction``.
    """
    moved = qty_s * (rb.shift_fraction if fraction is None else fraction)
    notional = moved * mult_s * und_s * np.maximum(delta_s, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        add_long = notional / (mult_l * und_l * np.maximum(delta_l, 1e-12))
    new_s, new_l = qty_s - moved, qty_l + add_long
    if contracts == "whole":
        new_s, new_l = np.ceil(new_s), np.floor(new_l)
    elif contracts == "nearest":
        new_s, new_l = np.floor(new_s + 0.5), np.floor(new_l + 0.5)
    return new_s, new_l
