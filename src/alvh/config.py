"""The rules file: validated pydantic models, :func:`load_rules`, :func:`config_hash`.

Every threshold, weight and rule of a backtest lives in one TOML file (the
default, with a comment on every key, is ``alvh/resources/default_rules.toml``;
``alvh rules init`` writes it). Unknown keys are errors; every error names the
dotted key and what was expected (:class:`alvh.errors.ConfigError`).

Only structural checks live here (types, ranges, weights within budget,
buckets ordered, layer names that exist). Checks that need market data (a DTE
bucket no listed contract can fill, a delta with no listed strike) are done by
:func:`alvh.engine.prepare.prepare` before the run starts. docs/rules.md
describes every key with its default and source.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from alvh.errors import ConfigError, path_problem

# strict: a value of the wrong type is refused even when it would convert ("0.04" for a weight,
# 1 for a bool, 2.5 for a count); an int is still accepted where a float is expected.
_STRICT = ConfigDict(extra="forbid", frozen=True, strict=True)

Pos = Annotated[float, Field(gt=0)]
NonNeg = Annotated[float, Field(ge=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]


class General(BaseModel):
    """Run-wide settings."""

    model_config = _STRICT
    capital: Pos = 10_000_000.0
    rate_source: Literal["data", "constant"] = "data"
    constant_rate: float = Field(default=0.02, ge=-0.05, le=0.5)
    interest_on_cash: bool = True
    contracts: Literal["whole", "nearest", "fractional"] = "nearest"
    sizing_capital: Literal["nav", "initial"] = "nav"
    seed: int = Field(default=0, ge=0)


class Costs(BaseModel):
    """Cost model parameters (points are index points per unit; dollars per contract).

    Option half-spreads depend on the option's price ``p`` (points):
    ``clip(fraction * p, floor_ticks * tick(p), cap)`` with ``tick(p) = tick_small`` below
    ``tick_threshold`` and ``tick_large`` at or above it (Cboe's SPX and VIX option ticks).
    docs/rules.md gives every default with its source.
    """

    model_config = _STRICT
    spx_half_spread_fraction: Fraction = 0.04
    spx_half_spread_floor_ticks: NonNeg = 1.0
    spx_half_spread_cap: NonNeg = 1.00
    spx_tick_small: Pos = 0.05
    spx_tick_large: Pos = 0.10
    spx_tick_threshold: Pos = 3.0
    spx_commission: NonNeg = 1.00
    spx_slippage_per_extra_leg: NonNeg = 0.05
    vx_tick: Pos = 0.05
    vx_slippage_ticks: NonNeg = 1.0
    vx_commission: NonNeg = 2.00
    vix_option_half_spread_fraction: Fraction = 0.03
    vix_option_half_spread_floor_ticks: NonNeg = 1.0
    vix_option_half_spread_cap: NonNeg = 0.50
    vix_option_tick_small: Pos = 0.05
    vix_option_tick_large: Pos = 0.10
    vix_option_tick_threshold: Pos = 3.0
    vix_option_commission: NonNeg = 1.00

    @model_validator(mode="before")
    @classmethod
    def _retired(cls, data: object) -> object:
        if isinstance(data, dict):
            for old, pre in (("spx_half_spread", "spx"), ("vix_option_half_spread", "vix_option")):
                if old in data:
                    raise ValueError(
                        f"{old}: a flat half-spread is no longer a key; the half-spread is "
                        f"clip({pre}_half_spread_fraction x premium, {pre}_half_spread_floor_ticks x "
                        f"tick, {pre}_half_spread_cap): see docs/rules.md"
                    )
        return data

    @model_validator(mode="after")
    def _ordered(self) -> Costs:
        for pre in ("spx", "vix_option"):
            small, large = getattr(self, f"{pre}_tick_small"), getattr(self, f"{pre}_tick_large")
            if large < small:
                raise ValueError(f"{pre}_tick_large: {large} is below {pre}_tick_small {small}")
            floor = getattr(self, f"{pre}_half_spread_floor_ticks") * large
            cap = getattr(self, f"{pre}_half_spread_cap")
            if cap < floor:
                raise ValueError(
                    f"{pre}_half_spread_cap: {cap} is below the floor {floor:g} points "
                    f"({pre}_half_spread_floor_ticks x {pre}_tick_large)"
                )
        return self


class Exits(BaseModel):
    """Exit rules of the core (each optional; the first that fires closes the condor)."""

    model_config = _STRICT
    take_profit: Annotated[float, Field(gt=0, le=1)] | None = None
    stop_loss: Pos | None = None
    close_at_dte: Annotated[int, Field(ge=0)] | None = None


class Core(BaseModel):
    """The SPX iron condor core."""

    model_config = _STRICT
    enabled: bool = True
    entry: Literal["third_friday", "target_dte"] = "third_friday"
    target_dte: Annotated[int, Field(ge=1, le=365)] = 30
    strike_mode: Literal["delta", "width"] = "delta"
    short_put_delta: Annotated[float, Field(gt=0, lt=0.5)] = 0.20
    short_call_delta: Annotated[float, Field(gt=0, lt=0.5)] = 0.20
    long_put_delta: Annotated[float, Field(gt=0, lt=0.5)] = 0.05
    long_call_delta: Annotated[float, Field(gt=0, lt=0.5)] = 0.05
    short_put_offset: Pos = 100.0
    short_call_offset: Pos = 100.0
    put_wing_width: Pos = 50.0
    call_wing_width: Pos = 50.0
    strike_increment: Pos = 5.0
    dividend_yield: float = Field(default=0.015, ge=0, le=0.2)
    max_loss_fraction: Annotated[float, Field(gt=0, le=1)] = 0.10
    exits: Exits = Exits()

    @model_validator(mode="after")
    def _wings_outside(self) -> Core:
        if self.long_put_delta >= self.short_put_delta:
            raise ValueError("core.long_put_delta: must be below core.short_put_delta (the wing is further out)")
        if self.long_call_delta >= self.short_call_delta:
            raise ValueError("core.long_call_delta: must be below core.short_call_delta (the wing is further out)")
        return self


class Roll(BaseModel):
    """Time-shifting roll rule, as data: triggers and the contract rolled into.

    A layer always rolls when its contract's DTE leaves the bucket (below ``min_dte``) or it settled;
    ``extrinsic_below`` (options) and ``rolldown_above`` add the early triggers of docs/rules.md.
    """

    model_config = _STRICT
    extrinsic_below: Annotated[float, Field(gt=0, lt=1)] | None = None
    rolldown_above: Annotated[float, Field(gt=0, lt=1)] | None = None
    into: Literal["far_end", "near_end"] = "far_end"


#: Layer instruments that are VIX options (one leg, or a vertical spread of two).
OPTION_INSTRUMENTS = ("vix_call", "vix_put", "vix_call_spread", "vix_put_spread")
#: Default short-leg strike of a spread (moneyness, absolute delta) when the keys are left out.
SPREAD_SHORT_DEFAULTS = {"vix_call_spread": (1.5, 0.15), "vix_put_spread": (0.8, 0.15)}


class Layer(BaseModel):
    """One hedge layer."""

    model_config = _STRICT
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    weight: Fraction
    min_dte: Annotated[int, Field(ge=0)]
    max_dte: Annotated[int, Field(ge=1)]
    instrument: Literal["vx_future", "vix_call", "vix_put", "vix_call_spread", "vix_put_spread"] = "vx_future"
    call_strike_mode: Literal["moneyness", "delta"] = "moneyness"
    call_moneyness: Pos = 1.0
    call_delta: Annotated[float, Field(gt=0, lt=1)] = 0.30
    call_strike_increment: Pos = 1.0
    put_strike_mode: Literal["moneyness", "delta"] = "moneyness"
    put_moneyness: Pos = 1.0
    put_delta: Annotated[float, Field(gt=0, lt=1)] = 0.30
    put_strike_increment: Pos = 1.0
    short_moneyness: Pos | None = None
    short_delta: Annotated[float, Field(gt=0, lt=1)] | None = None
    sizing: Literal["notional", "premium", "effective_vega"] = "notional"
    roll: Roll = Roll()

    @property
    def is_option(self) -> bool:
        """The layer holds VIX options (a call, a put or a vertical spread)."""
        return self.instrument in OPTION_INSTRUMENTS

    @property
    def is_spread(self) -> bool:
        """The layer holds a vertical spread: long one strike, short another (the short leg further out)."""
        return self.instrument.endswith("_spread")

    @property
    def is_call(self) -> bool:
        """The layer's options are calls (calls and call spreads)."""
        return self.instrument.startswith("vix_call")

    def spread_short(self) -> tuple[float, float]:
        """The short leg's (moneyness, absolute delta): the keys, or the defaults of the spread type."""
        dm, dd = SPREAD_SHORT_DEFAULTS.get(self.instrument, (1.0, 0.3))
        return (
            self.short_moneyness if self.short_moneyness is not None else dm,
            self.short_delta if self.short_delta is not None else dd,
        )

    @model_validator(mode="after")
    def _bucket(self) -> Layer:
        if self.max_dte <= self.min_dte:
            raise ValueError("max_dte: must be above min_dte")
        if self.roll.extrinsic_below is not None and not self.is_option:
            raise ValueError(
                "roll.extrinsic_below: only for VIX option layers (vix_call, vix_put, spreads; a future has no "
                "extrinsic value)"
            )
        if not self.is_spread:
            for key in ("short_moneyness", "short_delta"):
                if getattr(self, key) is not None:
                    raise ValueError(f"{key}: only for instrument 'vix_call_spread' or 'vix_put_spread'")
            return self
        self._strikes_ordered()
        return self

    def _strikes_ordered(self) -> None:
        """A spread's short strike lies further out of the money than its long strike (else it is no spread)."""
        sm, sd = self.spread_short()
        if self.is_call:
            mode, lm, ld, side = self.call_strike_mode, self.call_moneyness, self.call_delta, "call"
            ok_m, word_m = sm > lm, "above"
        else:
            mode, lm, ld, side = self.put_strike_mode, self.put_moneyness, self.put_delta, "put"
            ok_m, word_m = sm < lm, "below"
        if mode == "moneyness" and not ok_m:
            raise ValueError(
                f"short_moneyness: the {side} spread's short strike must be {word_m} its long strike "
                f"(short_moneyness {sm:g} against {side}_moneyness {lm:g})"
            )
        if mode == "delta" and not sd < ld:
            raise ValueError(
                f"short_delta: the {side} spread's short leg must have a smaller absolute delta than its long leg "
                f"(short_delta {sd:g} against {side}_delta {ld:g})"
            )


class ScheduleStep(BaseModel):
    """Up to and including ``upper`` (index points or label), the total hedge weight is ``weight``."""

    model_config = _STRICT
    upper: float | None = None
    label: Literal["contango", "backwardation"] | None = None
    weight: Fraction


class Adaptive(BaseModel):
    """Adaptive total hedge weight (layers keep their relative weights)."""

    model_config = _STRICT
    enabled: bool = False
    basis: Literal["vix", "vx_front", "regime"] = "vix"
    schedule: list[ScheduleStep] = Field(
        default_factory=lambda: [
            ScheduleStep(upper=15.0, weight=0.0),
            ScheduleStep(upper=30.0, weight=0.01),
            ScheduleStep(upper=50.0, weight=0.005),
            ScheduleStep(upper=None, weight=0.0),
        ]
    )

    @model_validator(mode="after")
    def _ordered(self) -> Adaptive:
        if not self.schedule:
            raise ValueError("schedule: at least one step")
        if self.basis == "regime":
            labels = [s.label for s in self.schedule]
            if None in labels or len(set(labels)) != len(labels):
                raise ValueError("schedule: with basis 'regime' each step needs a distinct label")
            return self
        uppers = [s.upper for s in self.schedule]
        if uppers[-1] is not None or any(u is None for u in uppers[:-1]):
            raise ValueError("schedule: every step but the last needs 'upper'; the last has none (open-ended)")
        finite = [u for u in uppers if u is not None]
        if finite != sorted(finite) or len(set(finite)) != len(finite):
            raise ValueError("schedule: 'upper' must increase strictly")
        return self


class Rebalance(BaseModel):
    """The 1.4 beta-ratio rebalance rule."""

    model_config = _STRICT
    enabled: bool = True
    window: Annotated[int, Field(ge=10)] = 90
    min_nobs: Annotated[int, Field(ge=3)] = 60
    threshold: Pos = 1.4
    short_layer: str = "short"
    long_layer: str = "long"
    basis: Literal["raw", "normalized"] = "raw"
    action: Literal["restore_weights", "shift", "conversion", "reversal"] = "restore_weights"
    shift_fraction: Annotated[float, Field(gt=0, le=1)] = 0.25
    conversion_fraction: Annotated[float, Field(gt=0, le=1)] = 0.25
    cooldown_days: Annotated[int, Field(ge=1)] = 21

    @model_validator(mode="after")
    def _nobs(self) -> Rebalance:
        if self.min_nobs > self.window:
            raise ValueError("min_nobs: must not exceed window")
        return self


class Financing(BaseModel):
    """Financing: ``mode = "borrow"`` borrows a fraction of capital at a rate; ``mode = "hedge_cash"`` (the
    seed's private leverage layer) funds the hedge layers' cash needs (premium, variation margin, costs) at
    the private rate so the core keeps its collateral (docs/rules.md, [financing])."""

    model_config = _STRICT
    enabled: bool = False
    mode: Literal["borrow", "hedge_cash"] = "borrow"
    fraction: NonNeg = 0.0
    rate_source: Literal["constant", "data_plus_spread"] = "constant"
    rate: float = Field(default=0.06, ge=0, le=1)
    spread: float = Field(default=0.02, ge=0, le=1)

    @model_validator(mode="after")
    def _one_mode(self) -> Financing:
        if self.mode == "hedge_cash" and self.fraction > 0:
            raise ValueError(
                "fraction: must be 0 with mode = 'hedge_cash' (that mode borrows what the hedge needs each "
                "day, not a fixed fraction)"
            )
        return self


class ConstantMaturity(BaseModel):
    """Constant-maturity VX futures mode (S&P VIX futures index style)."""

    model_config = _STRICT
    enabled: bool = False
    target_days: Annotated[int, Field(ge=1, le=300)] = 30
    weight: Annotated[float, Field(gt=0, le=10)] = 1.0
    schedule: Literal["sp_roll", "sp_mid_term", "calendar"] = "sp_roll"


class Sizing(BaseModel):
    """What sizes the hedge layers: a fraction of capital (the seed's default) or of the core's vega.

    ``basis = "capital"``: contracts = weight x sizing capital / the layer's ``sizing`` unit (unchanged).
    ``basis = "core_vega"``: each layer's effective vega (contracts x multiplier x delta x dF/dVIX, $ per
    VIX point) = ``core_vega_fraction`` x |core vega| ($ per vol point, after today's core trades) x the
    layer's share of the layers' weights (0.4/0.4/0.2 for 4/4/2); docs/rules.md, "[sizing]".
    """

    model_config = _STRICT
    basis: Literal["capital", "core_vega"] = "capital"
    core_vega_fraction: Pos = 1.0


class Analysis(BaseModel):
    """Inputs of the hedge analysis (alvh.analytics.analyze)."""

    model_config = _STRICT
    exog: list[Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")]] = Field(default_factory=list)
    regime_exog: list[Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")]] = Field(default_factory=list)


class Rules(BaseModel):
    """A complete rules file."""

    model_config = _STRICT
    general: General = General()
    costs: Costs = Costs()
    core: Core = Core()
    layers: list[Layer] = Field(
        default_factory=lambda: [
            Layer(name="short", weight=0.04, min_dte=0, max_dte=30),
            Layer(name="medium", weight=0.04, min_dte=30, max_dte=90),
            Layer(name="long", weight=0.02, min_dte=90, max_dte=180),
        ]
    )
    adaptive: Adaptive = Adaptive()
    rebalance: Rebalance = Rebalance()
    financing: Financing = Financing()
    constant_maturity: ConstantMaturity = ConstantMaturity()
    sizing: Sizing = Sizing()
    analysis: Analysis = Analysis()

    _notes: list[str] = PrivateAttr(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _core_only(cls, data: Any) -> Any:
        """``layers = []`` (a core-only baseline) turns the rebalance rule off unless it was asked for."""
        if isinstance(data, dict) and data.get("layers") == []:
            reb = data.get("rebalance", {})
            if isinstance(reb, dict) and "enabled" not in reb:
                return {**data, "rebalance": {**reb, "enabled": False}}
        return data

    def model_post_init(self, context: Any, /) -> None:
        if not self.layers:
            self._notes.append("layers = []: a core-only run; the rebalance rule (which compares two layers) is off")
        self._notes.extend(_band_notes(self.layers))

    @property
    def notes(self) -> list[str]:
        """Sentences about how the rules were read (e.g. the rebalance rule turned off for ``layers = []``)."""
        return list(self._notes)

    @model_validator(mode="after")
    def _cross(self) -> Rules:
        names = [layer.name for layer in self.layers]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"layers: duplicate layer name(s) {sorted(dup)}")
        total = sum(layer.weight for layer in self.layers) + (
            self.constant_maturity.weight if self.constant_maturity.enabled else 0.0
        )
        if total > 1.0 + 1e-12:
            raise ValueError(f"layers: weights sum to {total:.4f} (> 100% of capital)")
        if self.sizing.basis == "core_vega" and self.layers and sum(la.weight for la in self.layers) <= 0:
            raise ValueError("sizing.basis: 'core_vega' splits by the layers' weights and they sum to 0")
        if self.sizing.basis == "core_vega" and self.layers and not self.core.enabled:
            raise ValueError("sizing.basis: 'core_vega' needs the core (core.enabled = false: no core vega)")
        if self.rebalance.enabled and not self.layers:
            raise ValueError(
                "rebalance.enabled: the rebalance rule compares two layers and there are none "
                "(layers = []); set it to false or leave it out"
            )
        if self.rebalance.enabled and self.layers:
            for key in ("short_layer", "long_layer"):
                if getattr(self.rebalance, key) not in names:
                    raise ValueError(f"rebalance.{key}: {getattr(self.rebalance, key)!r} is not a layer name {names}")
            if self.rebalance.short_layer == self.rebalance.long_layer:
                raise ValueError("rebalance.long_layer: must differ from short_layer")
            self._conversion_fits(names)
        return self

    def _conversion_fits(self, names: list[str]) -> None:
        """A conversion (long future, long put, short call) locks a layer holding long futures or long puts;
        a reversal (short future, short put, long call) one holding long calls (docs/rules.md, [rebalance])."""
        action = self.rebalance.action
        if action not in ("conversion", "reversal"):
            return
        inst = self.layers[names.index(self.rebalance.short_layer)].instrument
        fits = ("vx_future", "vix_put") if action == "conversion" else ("vix_call",)
        if inst not in fits:
            other = "reversal" if action == "conversion" else "conversion"
            raise ValueError(
                f"rebalance.action: a {action} needs the short layer to hold {' or '.join(fits)} (its held leg is "
                f"one of the structure's three); layer {self.rebalance.short_layer!r} holds {inst}"
                + (f": use '{other}'" if inst in ("vix_call", "vx_future", "vix_put") else "")
            )


def _band_notes(layers: list[Layer]) -> list[str]:
    """Notes (not errors: either can be meant) on layers' DTE buckets that overlap or leave a hole.

    Buckets are ``[min_dte, max_dte)`` in calendar days; the seed's layers tile 0-30, 30-90, >90. Two
    overlapping buckets can hold the same contract; days no bucket covers are held by no layer."""
    notes: list[str] = []
    ordered = sorted(layers, key=lambda la: (la.min_dte, la.max_dte))
    for a, b in zip(ordered, ordered[1:], strict=False):
        if b.min_dte < a.max_dte:
            notes.append(
                f"layers {a.name!r} ({a.min_dte}-{a.max_dte} d) and {b.name!r} ({b.min_dte}-{b.max_dte} d) overlap "
                f"at {b.min_dte}-{min(a.max_dte, b.max_dte)} d: both can hold the same contract"
            )
        elif b.min_dte > a.max_dte:
            notes.append(
                f"no layer holds contracts {a.max_dte}-{b.min_dte} d to expiry (between {a.name!r} and {b.name!r})"
            )
    return notes


def _key(loc: tuple) -> str:
    return ".".join(str(p) for p in loc if p not in ("function-after",)) or "<root>"


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The pydantic model that holds the last key of ``loc`` (list indices skipped), or None."""
    model: type[BaseModel] = Rules
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        ann = field.annotation
        inner = getattr(ann, "__args__", None)
        target = next((a for a in (inner or (ann,)) if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if target is None:
            return None
        model = target
    return model


def _suggest(loc: tuple) -> str:
    """', did you mean ...' for a misspelled key, or ''."""
    model = _model_at(loc)
    if model is None or not loc:
        return ""
    match = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else ""


def _layer_name(loc: tuple, data: dict) -> str:
    """`` in layer 'long'`` for a key inside ``[[layers]]`` whose table has a name, else ''.

    An index alone (``layers.2.weight``) makes the user count tables in the file."""
    if len(loc) < 2 or loc[0] != "layers" or not isinstance(loc[1], int):
        return ""
    layers = data.get("layers")
    if not isinstance(layers, list) or not 0 <= loc[1] < len(layers) or not isinstance(layers[loc[1]], dict):
        return ""
    name = layers[loc[1]].get("name")
    return f" in layer {name!r}" if isinstance(name, str) and name.isprintable() else ""


def _describe(value: object) -> str:
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def rules_from_dict(data: dict, source: str | Path | None = None) -> Rules:
    """Validate a parsed rules mapping; raise :class:`ConfigError` naming the first bad key.

    A misspelled key is named with the closest valid one (``did you mean 'weight'?``); a value of
    the wrong type (``weight = "0.04"``) is refused even when it would parse as a number.
    """
    try:
        return Rules.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # an unknown key explains a "missing" one next to it (a typo): report it first
        extra = [e for e in errors if e.get("type") == "extra_forbidden"]
        err = extra[0] if extra else errors[0]
        loc = tuple(err.get("loc", ()))
        key = _key(loc)
        where = _layer_name(loc, data)
        where = f"{where.strip()}: " if where else ""
        msg = str(err.get("msg", "invalid"))
        typ = err.get("type", "")
        if typ == "extra_forbidden":
            raise ConfigError(
                where + "unknown key" + _suggest(loc),
                key=key,
                expected="one of the documented keys (see docs/rules.md)",
                file=source,
            ) from None
        if typ == "missing":
            raise ConfigError(
                where + "required key missing", key=key, expected="a value for it (see docs/rules.md)", file=source
            ) from None
        if typ == "value_error":
            text = msg.removeprefix("Value error, ")
            sub, _, rest = text.partition(": ")
            if rest and " " not in sub:
                prefix = f"{key}." if key != "<root>" else ""
                key = sub if sub.startswith(("core.", "rebalance.", "layers")) else prefix + sub
                text = rest
            raise ConfigError(text, key=key, expected="a consistent value (see docs/rules.md)", file=source) from None
        got = err.get("input")
        hint = ""
        if isinstance(got, str) and typ in ("float_type", "int_type", "bool_type"):
            hint = "; write it without quotes"
        raise ConfigError(
            f"{where}{msg} (got {_describe(got)}{hint})", key=key, expected=_expected(dict(err)), file=source
        ) from None


def _expected(err: dict) -> str:
    ctx = err.get("ctx") or {}
    t = err.get("type", "")
    if "expected" in ctx:
        return f"one of {ctx['expected']}"
    for bound, word in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
        if bound in ctx:
            return f"a number {word} {ctx[bound]}"
    if "pattern" in ctx:
        return f"text matching {ctx['pattern']}"
    return t.replace("_", " ")


def load_rules(path: str | Path) -> Rules:
    """Read and validate a TOML rules file.

    Raises
    ------
    ConfigError
        The file is missing or not TOML, has an unknown key, or a value out of
        range; the message names the dotted key and what was expected.
    """
    p = Path(path)
    problem = path_problem(p)
    if problem is not None:
        raise ConfigError(
            f"cannot read the rules file: {problem.removeprefix('is ')}",
            key=None,
            file=p,
            expected="a readable TOML file",
        )
    try:
        text = p.read_text(encoding="utf-8-sig")  # a BOM (Windows editors) is not TOML: dropped
    except OSError as exc:
        raise ConfigError(
            f"cannot read the rules file: {exc.strerror}", key=None, file=p, expected="a readable TOML file"
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=p, expected="a UTF-8 TOML file"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=p, expected="TOML syntax") from None
    return rules_from_dict(data, source=p)


def default_rules_text() -> str:
    """The default rules file, with a comment on every key."""
    return resources.files("alvh.resources").joinpath("default_rules.toml").read_text(encoding="utf-8")


def default_rules() -> Rules:
    """The default rules (parsed from the shipped file, so file and models cannot drift apart)."""
    return rules_from_dict(tomllib.loads(default_rules_text()), source="default_rules.toml")


#: Layer keys added after the hash was first published: left out of the hash while at their defaults.
_LAYER_KEYS_ADDED = (
    "put_strike_mode",
    "put_moneyness",
    "put_delta",
    "put_strike_increment",
    "short_moneyness",
    "short_delta",
)


def config_hash(rules: Rules) -> str:
    """Stable sha256 (hex) of the rules' canonical JSON (sorted keys, no whitespace, defaults filled)."""
    dump = rules.model_dump(mode="json")
    if rules.sizing == Sizing():
        del dump["sizing"]  # the default sizing hashes as before the key existed: earlier results stay comparable
    # so do keys added later (issue 10) while they hold their defaults
    layer_defaults = {k: Layer.model_fields[k].default for k in _LAYER_KEYS_ADDED}
    for la in dump["layers"]:
        for k, v in layer_defaults.items():
            if la.get(k) == v:
                del la[k]
        if la["roll"].get("rolldown_above") is None:
            del la["roll"]["rolldown_above"]
    if dump["rebalance"]["conversion_fraction"] == Rebalance.model_fields["conversion_fraction"].default:
        del dump["rebalance"]["conversion_fraction"]
    canonical = json.dumps(dump, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
