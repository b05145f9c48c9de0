"""The sweep's grid file: rules keys and their values, constraints, the variant limit (docs/sweep.md).

::

    max_variants = 2000                       # refused above this unless --yes (default 1000)
    core_alone = true                         # add the core alone: every layer at weight 0 (never traded)

    [values]
    "layers.0.weight" = { start = 0.0, stop = 0.10, step = 0.01 }   # inclusive range
    "layers.1.weight" = { start = 0.0, stop = 0.10, step = 0.01 }
    "layers.2.weight" = { start = 0.0, stop = 0.10, step = 0.01 }
    "rebalance.threshold" = [1.2, 1.4, 1.6, 2.0]                      # a list

    [[constraints]]                           # kept: variants whose keys sum to 'equals' (1e-9)
    sum = ["layers.0.weight", "layers.1.weight", "layers.2.weight"]
    equals = 0.10

Keys are the rules file's dotted keys with list positions as numbers (``layers.0.weight``). Every
check runs before any backtest: an unknown key (with the closest valid one), a value of the wrong type
or out of range (the rules' own validation, naming the key), an empty grid, a constraint no variant
satisfies, more variants than the limit.
"""

from __future__ import annotations

import difflib
import itertools
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alvh.config import Rules, config_hash, rules_from_dict
from alvh.errors import ConfigError, path_problem

#: Variants a grid may expand to unless it sets ``max_variants`` or the user passes --yes.
DEFAULT_MAX_VARIANTS = 1000
#: Tolerance of a sum constraint (weights are decimals such as 0.04: their float sums are not exact).
SUM_TOLERANCE = 1e-9
#: Decimals a range's values are rounded to (0.0 + 4 x 0.01 reads 0.04, the default rules' number).
RANGE_DECIMALS = 10
_TOP_KEYS = {"max_variants", "core_alone", "values", "constraints"}


@dataclass(frozen=True)
class Variant:
    """One point of the grid: its overrides (dotted key -> value), its rules and their config hash."""

    index: int
    overrides: dict[str, Any]
    rules: Rules
    config_hash: str
    label: str


@dataclass(frozen=True)
class Grid:
    """The parsed grid: values per key, sum constraints, the variant limit, the core-alone flag."""

    values: dict[str, list[Any]]
    constraints: tuple[tuple[tuple[str, ...], float], ...]
    max_variants: int
    core_alone: bool
    source: str

    def size(self) -> int:
        """Points of the full product (before constraints)."""
        return math.prod(len(v) for v in self.values.values())


def _err(msg: str, key: str | None, expected: str, source: str) -> ConfigError:
    return ConfigError(msg, key=key, expected=expected, file=source)


def _range(spec: dict, key: str, source: str) -> list[Any]:
    if set(spec) - {"start", "stop", "step"} or not {"start", "stop", "step"} <= set(spec):
        raise _err(
            "a range needs exactly start, stop, step", f"values.{key}", "{ start = a, stop = b, step = s }", source
        )
    a, b, s = spec["start"], spec["stop"], spec["step"]
    if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b, s)) or s <= 0 or b < a:
        raise _err(
            f"range {spec}", f"values.{key}", "numbers with step > 0 and stop >= start (stop is included)", source
        )
    n = int(math.floor((b - a) / s + 1e-9)) + 1
    if all(isinstance(x, int) for x in (a, b, s)):
        return [a + i * s for i in range(n)]
    return [round(a + i * s, RANGE_DECIMALS) for i in range(n)]


def _lookup(dump: dict, key: str, source: str) -> None:
    """Raise a ConfigError naming ``key`` when it is not a rules key (with the closest one at its level)."""
    node: Any = dump
    done: list[str] = []
    for part in key.split("."):
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise _err(
                    f"no item {part!r} under {'.'.join(done)} ({len(node)} in the base rules)",
                    key,
                    f"a position 0..{len(node) - 1}",
                    source,
                )
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            options = list(node) if isinstance(node, dict) else []
            close = difflib.get_close_matches(part, options, n=1, cutoff=0.6)
            hint = f"; did you mean {'.'.join([*done, close[0]])!r}?" if close else ""
            raise _err("unknown rules key" + hint, key, "a key of the rules file (docs/rules.md)", source)
        done.append(part)
    if isinstance(node, (dict, list)):
        raise _err("names a table, not a value", key, "a key holding one value (e.g. layers.0.weight)", source)


def _get(dump: dict, key: str) -> Any:
    node: Any = dump
    for part in key.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _apply(dump: dict, overrides: dict[str, Any]) -> dict:
    """A deep copy of the rules dump with the overrides set."""
    import copy

    out = copy.deepcopy(dump)
    for key, value in overrides.items():
        parts = key.split(".")
        node: Any = out
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(parts[-1])] = value
        else:
            node[parts[-1]] = value
    return out


def parse_grid(data: dict, base: Rules, source: str = "<grid>") -> Grid:
    """Validate a parsed grid mapping against the base rules (module docstring); ConfigError on any problem."""
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise _err(f"unknown grid key {unknown[0]!r}", unknown[0], f"one of {sorted(_TOP_KEYS)}", source)
    raw = data.get("values", {})
    if not isinstance(raw, dict) or not raw and not data.get("core_alone"):
        raise _err("empty grid: no [values]", "values", "at least one rules key with a list or range", source)
    dump = base.model_dump(mode="json")
    values: dict[str, list[Any]] = {}
    for key, spec in raw.items():
        _lookup(dump, key, source)
        vals = _range(spec, key, source) if isinstance(spec, dict) else spec
        if not isinstance(vals, list) or not vals:
            raise _err(f"{key}: no values", f"values.{key}", "a non-empty list or a range table", source)
        for v in vals:  # each value on its own against the base: the rules' validation names the key
            try:
                rules_from_dict(_apply(dump, {key: v}))
            except ConfigError as exc:
                # a type or range error names this key; a cross-key one ("a consistent value") may be
                # resolved by another grid key's value, and is checked per variant below
                if exc.key == key and not (exc.expected or "").startswith("a consistent value"):
                    raise _err(f"value {v!r}: {exc.message}", f"values.{key}", exc.expected or "", source) from None
        values[key] = vals
    cons = []
    for i, c in enumerate(data.get("constraints", [])):
        if not isinstance(c, dict) or set(c) != {"sum", "equals"} or not isinstance(c["sum"], list):
            raise _err("a constraint is { sum = [keys], equals = x }", f"constraints.{i}", "sum and equals", source)
        for k in c["sum"]:
            _lookup(dump, k, source)
        cons.append((tuple(c["sum"]), float(c["equals"])))
    mv = data.get("max_variants", DEFAULT_MAX_VARIANTS)
    if not isinstance(mv, int) or isinstance(mv, bool) or mv < 1:
        raise _err(f"max_variants {mv!r}", "max_variants", "a whole number >= 1", source)
    ca = data.get("core_alone", False)
    if not isinstance(ca, bool):
        raise _err(f"core_alone {ca!r}", "core_alone", "true or false", source)
    return Grid(values=values, constraints=tuple(cons), max_variants=mv, core_alone=ca, source=source)


def load_grid(path: str | Path, base: Rules) -> Grid:
    """Read and validate a grid TOML file (module docstring)."""
    p = Path(path)
    problem = path_problem(p)
    if problem is not None:
        raise _err(f"cannot read the grid file: {problem.removeprefix('is ')}", None, "a readable TOML file", str(p))
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _err(f"not valid TOML: {exc}", None, "TOML syntax", str(p)) from None
    return parse_grid(data, base, source=str(p))


def _label(overrides: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in overrides.items()) or "base"


def expand(grid: Grid, base: Rules, *, allow_many: bool = False) -> list[Variant]:
    """Every point of the grid that satisfies the constraints, validated as rules (before any work)."""
    keys = list(grid.values)
    dump = base.model_dump(mode="json")
    base_of = {k: _get(dump, k) for ks, _ in grid.constraints for k in ks}
    combos = []
    for point in itertools.product(*(grid.values[k] for k in keys)):
        ov = dict(zip(keys, point, strict=True))
        if all(abs(sum(float(ov.get(k, base_of[k])) for k in ks) - eq) <= SUM_TOLERANCE for ks, eq in grid.constraints):
            combos.append(ov)
    core_alone = {f"layers.{j}.weight": 0.0 for j in range(len(base.layers))}
    if grid.core_alone:
        combos.append(core_alone)
    if not combos:
        raise _err(
            f"no variant of the {grid.size()} satisfies the constraints",
            "constraints",
            "constraints some grid point meets (e.g. weights in steps that can sum to the target)",
            grid.source,
        )
    if len(combos) > grid.max_variants and not allow_many:
        raise _err(
            f"the grid has {len(combos)} variants, above the limit of {grid.max_variants}",
            "max_variants",
            f"a smaller grid, max_variants >= {len(combos)} in the grid file, or --yes",
            grid.source,
        )
    out: list[Variant] = []
    seen: set[str] = set()
    for ov in combos:
        try:
            r = rules_from_dict(_apply(dump, ov))
        except ConfigError as exc:
            raise _err(f"variant {_label(ov)}: {exc.message}", exc.key, exc.expected or "", grid.source) from None
        h = config_hash(r)
        if h in seen:  # the same rules twice (e.g. core_alone already on the grid): one run
            continue
        seen.add(h)
        label = "core alone (every layer at weight 0)" if ov == core_alone else _label(ov)
        out.append(Variant(index=len(out), overrides=ov, rules=r, config_hash=h, label=label))
    return out
