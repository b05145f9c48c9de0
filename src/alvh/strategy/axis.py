"""Rule variants as an array axis: the numeric rules keys the engine reads per path (one variant per path slot).

A sweep runs rule variants that differ only in numbers in one engine call, one variant per path slot (as
vectorbt broadcasts parameters): :class:`RuleAxis` holds those numbers as arrays with a leading path axis,
and the engine's stages read them instead of the scalar rules. A single run is the one-variant case, so a
variant run in a batch and the same rules run alone go through the same arithmetic (bit-identical, tested
in tests/test_sweep_axis.py).

Axis keys (:data:`AXIS_KEY_PATTERNS`): the layers' weights, the core's four strike
deltas, the rebalance threshold, cooldown and shift fraction, the adaptive schedule's levels and weights.
Every other key (a layer's DTE bucket, the rebalance window, an instrument, an action, the capital ...)
changes what the engine computes per day for all paths (the contract calendar, the rolling regression's
window, the slot layout), so variants differing in it are grouped into one engine call per value
(:func:`kind_key`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields

import numpy as np

from alvh.config import Rules
from alvh.errors import ConfigError

#: Dotted rules keys that become per-path arrays (list indices as numbers: ``layers.0.weight``).
AXIS_KEY_PATTERNS: tuple[str, ...] = (
    r"layers\.\d+\.weight",
    r"core\.(short|long)_(put|call)_delta",
    r"rebalance\.(threshold|cooldown_days|shift_fraction)",
    r"adaptive\.schedule\.\d+\.(weight|upper)",
)
_AXIS_RE = re.compile("^(?:" + "|".join(AXIS_KEY_PATTERNS) + ")$")


def is_axis_key(key: str) -> bool:
    """True when variants differing in ``key`` can share one engine call (a per-path array)."""
    return _AXIS_RE.match(key) is not None


def _blank(obj: object, prefix: str) -> object:
    """The dump with every axis key's value replaced by None (what stays is the variant's kind)."""
    if isinstance(obj, dict):
        return {k: (None if is_axis_key(f"{prefix}{k}") else _blank(v, f"{prefix}{k}.")) for k, v in obj.items()}
    if isinstance(obj, list):
        return [None if is_axis_key(f"{prefix}{i}") else _blank(v, f"{prefix}{i}.") for i, v in enumerate(obj)]
    return obj


def kind_key(rules: Rules) -> str:
    """sha256 of the rules with their axis values blanked: variants with the same kind share an engine call."""
    canonical = json.dumps(_blank(rules.model_dump(mode="json"), ""), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RuleAxis:
    """The axis keys' values per path: ``(n_paths,)`` or ``(n_paths, k)`` arrays (module docstring).

    ``core_deltas`` are signed in leg order (long put, short put, short call, long call) as the strike
    search wants them; ``schedule_upper`` has one column fewer than ``schedule_weight`` (the last step is
    open-ended; NaN for a ``regime`` schedule, which has labels instead).
    """

    layer_weight: np.ndarray  #: (P, L) fraction of capital per layer
    weight_sum: np.ndarray  #: (P,) sum of the layers' weights
    core_deltas: np.ndarray  #: (P, 4) signed strike deltas of the condor legs
    threshold: np.ndarray  #: (P,) beta-ratio trigger threshold
    cooldown_days: np.ndarray  #: (P,) int, trading days the rule stays off after firing
    shift_fraction: np.ndarray  #: (P,) share of the short layer moved by the "shift" action
    schedule_upper: np.ndarray  #: (P, n_steps - 1) adaptive levels (upper bounds, inclusive)
    schedule_weight: np.ndarray  #: (P, n_steps) adaptive total weights

    @property
    def n_variants(self) -> int:
        return int(self.weight_sum.shape[0])

    @classmethod
    def from_rules(cls, variants: Sequence[Rules]) -> RuleAxis:
        """One row per variant; every variant must have the same kind (:func:`kind_key`) as the first."""
        if not variants:
            raise ConfigError("no variants", key=None, expected="at least one rules variant")
        kind = kind_key(variants[0])
        for i, v in enumerate(variants[1:], start=1):
            if kind_key(v) != kind:
                raise ConfigError(
                    f"variant {i} differs from variant 0 in a key that is not an array axis",
                    key=None,
                    expected="variants differing only in " + ", ".join(AXIS_KEY_PATTERNS) + " (group the others)",
                )
        nl = len(variants[0].layers)

        def col(get: Callable[[Rules, int], float | None], width: int) -> np.ndarray:
            rows = [[get(v, i) for i in range(width)] for v in variants]
            return np.array(rows, dtype=float).reshape(len(variants), width)

        w = col(lambda v, j: v.layers[j].weight, nl)
        steps = variants[0].adaptive.schedule
        regime = variants[0].adaptive.basis == "regime"
        rbs = [v.rebalance for v in variants]
        return cls(
            layer_weight=w,
            # the layers' weights summed left to right, as the scalar rules did (sum over a Python list)
            weight_sum=np.array([float(sum(la.weight for la in v.layers)) for v in variants]),
            core_deltas=col(
                lambda v, i: (
                    -v.core.long_put_delta,
                    -v.core.short_put_delta,
                    v.core.short_call_delta,
                    v.core.long_call_delta,
                )[i],
                4,
            ),
            threshold=np.array([rr.threshold for rr in rbs], dtype=float),
            cooldown_days=np.array([rr.cooldown_days for rr in rbs], dtype=np.int64),
            shift_fraction=np.array([rr.shift_fraction for rr in rbs], dtype=float),
            schedule_upper=col(lambda v, i: np.nan if regime else v.adaptive.schedule[i].upper, max(len(steps) - 1, 0)),
            schedule_weight=col(lambda v, i: v.adaptive.schedule[i].weight, len(steps)),
        )

    @classmethod
    def stack(cls, axes: Sequence[RuleAxis]) -> RuleAxis:
        """The axes' rows one after the other (same kind: the same columns)."""
        return cls(**{f.name: np.concatenate([getattr(a, f.name) for a in axes]) for f in fields(cls)})

    def broadcast(self, n_paths: int) -> RuleAxis:
        """The axis with ``n_paths`` rows: unchanged when it has them, one variant repeated (read-only views),
        or each of ``V`` variants on a block of ``n_paths / V`` consecutive path slots (a Monte Carlo sweep:
        variant ``v`` runs on slots ``v * k .. (v + 1) * k - 1``, ``k`` simulated paths each)."""
        if self.n_variants == n_paths:
            return self
        arrays = {f.name: getattr(self, f.name) for f in fields(self)}
        if self.n_variants == 1:
            return RuleAxis(**{k: np.broadcast_to(a, (n_paths,) + a.shape[1:]) for k, a in arrays.items()})
        if self.n_variants > 1 and n_paths % self.n_variants == 0:
            k = n_paths // self.n_variants
            return RuleAxis(**{name: np.repeat(a, k, axis=0) for name, a in arrays.items()})
        raise ConfigError(
            f"{self.n_variants} variants for {n_paths} paths",
            key=None,
            expected="one variant per path slot, one variant for every path, or an equal block of paths per variant",
        )


def core_alone_rules(rules: Rules) -> Rules:
    """``rules`` with every hedge layer at weight 0: the core alone, a book a trader can hold (its own NAV
    sizes its condors), as a variant of the rules' kind (only the layers' weights differ).

    A copy, not re-validated: a rules file may not split ``sizing.basis = "core_vega"`` over weights summing
    to 0, but the engine sizes every layer of such a variant to 0 contracts, which is the point here.
    """
    return rules.model_copy(update={"layers": [la.model_copy(update={"weight": 0.0}) for la in rules.layers]})
