"""Stress scenarios: user-defined shocks applied on chosen days of every path, and the episode presets.

A :class:`Scenario` is a start state (spot VIX, long factor, optionally the spot gap ``gap0``; without it a
scenario's spot VIX starts on the curve, gap 0) plus a list of :class:`Shock` s, each on a day
index of the run (0 = the first day). Kinds (docs/simulation.md, "Scenarios"):

* ``vix_jump`` ``size`` log points added to ln VIX (the long factor moves by ``jump_long`` times that, SPX
  by ``jump_spx`` times that in units of spot VIX's daily vol: the model's own jump response);
* ``curve_inversion``: spot VIX raised to at least ``L exp(size)`` (front above the back of the curve);
* ``correlation_break``: corr(SPX, VIX) set to ``size`` for ``days`` days (the other entries kept, the
  matrix must stay positive definite);
* ``cpi_surprise``: a CPI release-day shock of ``size`` standard deviations of the fitted CPI shock.

Presets (``calm_2017``, ``gfc_2008``, ``volmageddon_2018``, ``covid_2020``) are stored in the params file
under ``scenarios`` by ``alvh calibrate`` (their shocks are the episode's own largest daily VIX rises,
their start state the episode's first day): :func:`preset`.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from alvh.errors import ConfigError, InputError
from alvh.simulate.params import SimParams

SHOCK_KINDS = ("vix_jump", "curve_inversion", "correlation_break", "cpi_surprise")


@dataclass(frozen=True)
class Shock:
    """One shock on day ``day`` (0-based index of the run's days) of every path; ``days`` only for breaks."""

    kind: str
    day: int
    size: float
    days: int = 1

    def __post_init__(self) -> None:
        if self.kind not in SHOCK_KINDS:
            raise ConfigError(f"{self.kind!r}", key="shocks.kind", expected=f"one of {SHOCK_KINDS}")
        if not isinstance(self.day, int) or self.day < 1:
            raise ConfigError(f"{self.day!r}", key="shocks.day", expected="a day index >= 1 (day 0 is the start)")
        if not np.isfinite(self.size):
            raise ConfigError(f"{self.size!r}", key="shocks.size", expected="a finite number")
        if self.kind == "vix_jump" and abs(self.size) > 3:
            raise ConfigError(f"{self.size}", key="shocks.size", expected="a log jump |size| <= 3 (x20)")
        if self.kind == "correlation_break" and not -1 < self.size < 1:
            raise ConfigError(f"{self.size}", key="shocks.size", expected="a correlation in (-1, 1)")
        if self.days < 1:
            raise ConfigError(f"{self.days}", key="shocks.days", expected="a duration >= 1 day")


@dataclass(frozen=True)
class Scenario:
    """A named scenario: optional start state and shocks; ``description`` says what it reproduces and how."""

    name: str
    shocks: tuple[Shock, ...] = ()
    vix0: float | None = None
    long0: float | None = None
    spx0: float | None = None
    start: str | None = None
    gap0: float | None = None
    description: str = ""
    target: dict[str, float] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)

    def check_horizon(self, n_days: int) -> None:
        """Refuse a shock beyond the run's last day (raised before anything runs)."""
        for i, s in enumerate(self.shocks):
            if s.day >= n_days:
                raise ConfigError(
                    f"day {s.day} is beyond the horizon of {n_days} days",
                    key=f"scenario.{self.name}.shocks[{i}].day",
                    expected=f"a day index in 1..{n_days - 1}"
                    + (
                        f"; the preset replays {int(self.target['n_days'])} days: run at least that many"
                        if "n_days" in self.target
                        else ""
                    ),
                )

    def by_day(self) -> dict[int, list[Shock]]:
        """Shocks grouped by their day."""
        out: dict[int, list[Shock]] = {}
        for s in self.shocks:
            out.setdefault(s.day, []).append(s)
        return out

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "description": self.description}
        for k in ("vix0", "long0", "spx0", "start", "gap0"):
            if getattr(self, k) is not None:
                d[k] = getattr(self, k)
        d["shocks"] = [{"kind": s.kind, "day": s.day, "size": s.size, "days": s.days} for s in self.shocks]
        if self.target:
            d["target"] = dict(self.target)
        if self.overrides:
            d["overrides"] = dict(self.overrides)
        return d

    @classmethod
    def from_dict(cls, raw: dict[str, Any], source: str = "<scenario>") -> Scenario:
        """A scenario from a TOML table; :class:`ConfigError` names the key."""
        allowed = {"name", "description", "vix0", "long0", "spx0", "gap0", "start", "shocks", "target", "overrides"}
        bad = sorted(set(raw) - allowed)
        if bad:
            raise ConfigError(
                "unknown key", key=f"scenario.{bad[0]}", file=source, expected=f"one of {sorted(allowed)}"
            )
        shocks = []
        listed = raw.get("shocks", [])
        if not isinstance(listed, list):
            raise ConfigError(f"{listed!r}", key="scenario.shocks", file=source, expected="[[shocks]] tables")
        for i, s in enumerate(listed):
            _check_shock_table(s, i, source)
            try:
                shocks.append(Shock(str(s["kind"]), s["day"], float(s["size"]), s.get("days", 1)))
            except ConfigError as exc:
                raise ConfigError(
                    exc.message,
                    key=f"scenario.shocks[{i}].{str(exc.key).split('.')[-1]}",
                    file=source,
                    expected=exc.expected,
                ) from None
        for k in ("vix0", "long0", "spx0"):
            v = raw.get(k)
            if v is not None and not (isinstance(v, (int, float)) and np.isfinite(v) and 0 < v):
                raise ConfigError(f"{v!r}", key=f"scenario.{k}", file=source, expected="a level > 0")
        g = raw.get("gap0")
        if g is not None and not (isinstance(g, (int, float)) and not isinstance(g, bool) and np.isfinite(g)):
            raise ConfigError(f"{g!r}", key="scenario.gap0", file=source, expected="a finite spot gap (VIX points)")
        return cls(
            name=str(raw.get("name", Path(source).stem)),
            shocks=tuple(shocks),
            vix0=raw.get("vix0"),
            long0=raw.get("long0"),
            spx0=raw.get("spx0"),
            start=raw.get("start"),
            gap0=None if g is None else float(g),
            description=str(raw.get("description", "")),
            target={str(k): float(v) for k, v in raw.get("target", {}).items()},
            overrides=dict(raw.get("overrides", {})),
        )

    @classmethod
    def from_toml(cls, path: str | Path) -> Scenario:
        """A user scenario file (docs/simulation.md shows one)."""
        p = Path(path)
        try:
            raw = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError("no such file", file=p, expected="a scenario TOML file") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"not valid TOML: {exc}", file=p) from None
        return cls.from_dict(raw, source=str(p))


def _check_shock_table(s: object, i: int, source: str) -> None:
    """One [[shocks]] table: known keys, all present, whole-number days and a numeric size (TOML types; a day
    of 4.7 is refused, never truncated)."""
    key = f"scenario.shocks[{i}]"
    if not isinstance(s, dict):
        raise ConfigError(f"{s!r}", key=key, file=source, expected="a table {kind, day, size[, days]}")
    extra = sorted(set(s) - {"kind", "day", "size", "days"})
    if extra:
        raise ConfigError("unknown key", key=f"{key}.{extra[0]}", file=source, expected="kind, day, size or days")
    for k in ("kind", "day", "size"):
        if k not in s:
            raise ConfigError(
                "missing key", key=f"{key}.{k}", file=source, expected="a table {kind, day, size[, days]}"
            )
    for k in ("day", "days"):
        if k in s and (isinstance(s[k], bool) or not isinstance(s[k], int)):
            raise ConfigError(f"{s[k]!r}", key=f"{key}.{k}", file=source, expected="a whole number of days")
    if isinstance(s["size"], bool) or not isinstance(s["size"], (int, float)):
        raise ConfigError(f"{s['size']!r}", key=f"{key}.size", file=source, expected="a number")


def apply_overrides(params: SimParams, scenario: Scenario | None) -> SimParams:
    """``params`` with the scenario's parameter overrides (validated; an error names the overridden key)."""
    if scenario is None or not scenario.overrides:
        return params
    names = {f.name for f in dataclasses.fields(SimParams)} - {"model_version", "scenarios", "provenance"}
    kw: dict[str, Any] = {}
    for k, v in scenario.overrides.items():
        if k not in names:
            raise ConfigError(
                "unknown parameter", key=f"scenario.{scenario.name}.overrides.{k}", expected="a SimParams field"
            )
        kw[k] = tuple(float(x) for x in v) if isinstance(v, list) else v
    try:
        return params.replace(**kw)
    except ConfigError as exc:
        raise ConfigError(
            exc.message, key=f"scenario.{scenario.name}.overrides.{exc.key}", expected=exc.expected
        ) from None


def preset(name: str, scenarios: dict[str, Any]) -> Scenario:
    """The preset ``name`` from a params file's ``scenarios`` table (see :func:`alvh.simulate.model.get_scenario`)."""
    if name not in scenarios:
        raise InputError(f"{name!r}", argument="scenario", expected=f"one of {sorted(scenarios)} or a scenario file")
    return Scenario.from_dict(dict(scenarios[name], name=name), source=f"preset {name}")
