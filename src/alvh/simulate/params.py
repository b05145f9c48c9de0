"""Parameters of the joint daily SPX / VIX / VX-curve Monte Carlo model (docs/simulation.md).

:class:`SimParams` is frozen and validated: every check names the parameter and what was expected, and
runs when the object is built (from a TOML file, from :meth:`SimParams.default`, or by ``replace``), so a
model that would explode (a negative variance, a correlation matrix that is not positive definite, a
mean-reversion speed <= 0, a self-exciting jump process with branching ratio >= 1) is refused before
anything runs. The shipped parameters (``alvh/resources/sim_params.toml``) are written by
``alvh calibrate`` on 2006-2025 real data; ``model_version`` guards against a file of another model.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w

from alvh.errors import ConfigError

#: The model these parameters belong to; a params file of another version is refused.
MODEL_VERSION = "alvh-sim-4"

#: Event kinds with a release-day shock on spot VIX (and through it the slope of the curve).
EVENT_KINDS = ("cpi", "ppi", "fomc")

#: Names of the four correlated daily innovations, in matrix order: SPX, the priced short factor ``V``, the
#: long factor ``L`` and the spot gap ``x`` (spot VIX = ``V + x``).
FACTORS = ("spx", "vix", "long", "gap")


@dataclass(frozen=True)
class EventShock:
    """Release-day shock on ln VIX: ``mean + sd * z`` added on the day (log points); ``n_days`` it was fit on."""

    mean: float = 0.0
    sd: float = 0.0
    n_days: int = 0


@dataclass(frozen=True)
class SimParams:
    """Real-world (P) dynamics of the curve's short factor ``V``, the long factor ``L``, the spot gap ``x`` and SPX.

    Spot VIX is ``V + x`` (docs/simulation.md): ``x`` is the part of a spot move the futures curve does not
    follow, ``E[x'] = phi x + (1 - phi) V (gap_level + gap_slope z + gap_curve z^2)``, ``z = ln(L / V)``,
    with ``phi = exp(-kappa_g dt)``, daily noise ``sigma_g V sqrt(dt)`` (times ``sqrt(1 + vol_excite H)``,
    ``H`` the jumps' excitation, as every diffusion vol) and ``jump_gap V`` per unit of a jump, priced by the
    curve at ``x exp(-q_kappa_g tau)`` (risk-neutral speed ``q_kappa_g``, per calendar year). Curve factors:
    ``E[V'] = theta + (V - theta) a(dt) + (L - spot_gap - theta) c(dt)`` (``V`` reverts towards
    ``L - spot_gap``: under P it settles below the risk-neutral long factor), ``E[L'] = theta + (L - theta)
    exp(-kappa_l dt)`` (the two-factor model of :mod:`alvh.market.vx` with real-world speeds), lognormal
    noise around that mean; VX prices from the risk-neutral closed form with ``q_kappa_s``, ``q_kappa_l``,
    ``q_theta`` (the shipped VX-curve fit) plus the gap's term. Pairs ``(calm, stress)`` are per regime
    (calm = contango: the 30-day point of the curve at or above spot VIX; stress = backwardation).
    Volatilities are annualized per sqrt(trading year) (252 days); the real-world speeds are per year on
    ``clock``: ``"trading"`` (each trading day is 1/252, the fitted default: VIX and the long factor do not
    revert over weekends) or ``"calendar"`` (ACT/365 gaps, the clock of the risk-neutral closed form).
    """

    model_version: str
    kappa_s: float
    kappa_l: float
    theta: float
    spot_gap: float
    sigma_v: tuple[float, float]
    sigma_l: tuple[float, float]
    corr_calm: tuple[tuple[float, ...], ...]
    corr_stress: tuple[tuple[float, ...], ...]
    corr_weight: float
    corr_halflife: float
    spx_drift: float
    vrp_ratio: tuple[float, float]
    jump_base: float
    jump_excite: float
    jump_decay: float
    jump_min: float
    jump_mean: float
    jump_long: float
    jump_spx: float
    events: dict[str, EventShock]
    overnight_share: float
    q_kappa_s: float
    q_kappa_l: float
    q_theta: float
    beta_long: float
    kappa_g: float
    sigma_g: tuple[float, float]
    q_kappa_g: float
    jump_gap: float = 0.0
    jump_short: float = 1.0
    gap_level: float = 0.0
    gap_slope: float = 0.0
    gap_curve: float = 0.0
    vol_excite: float = 0.0
    jump_size_excite: float = 0.0
    spx0: float = 5000.0
    vix0: float = 16.0
    long0: float = 19.0
    gap0: float = 0.0
    rate: float = 0.03
    clock: str = "trading"
    scenarios: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _validate(self)

    # ------------------------------------------------------------------ I/O

    @classmethod
    def from_dict(cls, raw: dict[str, Any], source: str = "<params>") -> SimParams:
        """Parameters from a parsed TOML table; :class:`ConfigError` names the key and the file."""
        version = raw.get("model_version")
        if version != MODEL_VERSION:
            raise ConfigError(
                f"model_version {version!r} is another model's parameters",
                key="model_version",
                file=source,
                expected=f"{MODEL_VERSION!r} (refit with: alvh calibrate --out params.toml)",
            )
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(raw) - names)
        if unknown:
            raise ConfigError("unknown key", key=unknown[0], file=source, expected=f"one of {sorted(names)}")
        kw: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name not in raw:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    raise ConfigError("missing", key=f.name, file=source, expected="a fitted parameter")
                continue
            kw[f.name] = _convert(f.name, raw[f.name], source)
        try:
            return cls(**kw)
        except ConfigError as exc:
            raise ConfigError(exc.message, key=exc.key, file=source, expected=exc.expected) from None

    def to_dict(self) -> dict[str, Any]:
        """TOML-ready dict (tuples as lists, event shocks as tables)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.name == "events":
                v = {k: dataclasses.asdict(e) for k, e in v.items()}
            elif f.name.startswith("corr_") and isinstance(v, tuple):
                v = [list(r) for r in v]
            elif isinstance(v, tuple):
                v = list(v)
            out[f.name] = v
        return out

    @classmethod
    def from_toml(cls, path: str | Path) -> SimParams:
        """Read a params file written by ``alvh calibrate`` (or :meth:`to_toml`)."""
        p = Path(path)
        try:
            raw = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError("no such file", file=p, expected="a params TOML file") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"not valid TOML: {exc}", file=p) from None
        return cls.from_dict(raw, source=str(p))

    def to_toml(self, path: str | Path) -> None:
        """Write the parameters as TOML (read back bit-identically by :meth:`from_toml`)."""
        Path(path).write_text(tomli_w.dumps(self.to_dict()), encoding="utf-8")

    @classmethod
    def default(cls) -> SimParams:
        """The shipped parameters, ``alvh/resources/sim_params.toml`` (fit by ``alvh calibrate`` on 2006-2025)."""
        text = resources.files("alvh.resources").joinpath("sim_params.toml").read_text(encoding="utf-8")
        return cls.from_dict(tomllib.loads(text), source="alvh/resources/sim_params.toml")

    def replace(self, **changes: Any) -> SimParams:
        """A copy with ``changes`` (validated again)."""
        return dataclasses.replace(self, **changes)

    def corr(self, regime: int) -> np.ndarray:
        """The regime's target correlation matrix (0 = calm, 1 = stress) of the :data:`FACTORS` shocks."""
        return np.array(self.corr_stress if regime else self.corr_calm, dtype=float)


def _convert(name: str, value: Any, source: str) -> Any:
    if name == "events":
        if not isinstance(value, dict):
            raise ConfigError(f"{value!r}", key=name, file=source, expected="a table of event shocks")
        out = {}
        for k, e in value.items():
            if not isinstance(e, dict) or set(e) - {"mean", "sd", "n_days"}:
                raise ConfigError(f"{e!r}", key=f"events.{k}", file=source, expected="a table {mean, sd, n_days}")
            out[k] = EventShock(float(e.get("mean", 0.0)), float(e.get("sd", 0.0)), int(e.get("n_days", 0)))
        return out
    if name.startswith("corr_") and isinstance(value, list):
        return tuple(tuple(float(x) for x in row) for row in value)
    if isinstance(value, list):
        return tuple(float(x) for x in value)
    if name == "scenarios":
        if not isinstance(value, dict):
            raise ConfigError(f"{value!r}", key=name, file=source, expected="a table of scenario presets")
        return dict(value)
    if name == "provenance":
        return {str(k): str(v) for k, v in value.items()}
    return value


def _number(p: SimParams, name: str, *, lo: float | None = None, hi: float | None = None, strict: bool = True) -> None:
    v = getattr(p, name)
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    if ok and lo is not None:
        ok = v > lo if strict else v >= lo
    if ok and hi is not None:
        ok = v < hi if strict else v <= hi
    if not ok:
        rng = f"{'>' if strict else '>='} {lo}" if lo is not None else "finite"
        if hi is not None:
            rng += f" and {'<' if strict else '<='} {hi}"
        raise ConfigError(f"{v!r}", key=name, expected=f"a finite number {rng}")


def _validate(p: SimParams) -> None:
    if p.model_version != MODEL_VERSION:
        raise ConfigError(f"{p.model_version!r}", key="model_version", expected=repr(MODEL_VERSION))
    if p.clock not in ("trading", "calendar"):
        raise ConfigError(f"{p.clock!r}", key="clock", expected="'trading' or 'calendar'")
    for name in ("kappa_s", "kappa_l", "q_kappa_s", "q_kappa_l", "kappa_g", "q_kappa_g"):
        _number(p, name, lo=0.0)  # a mean-reversion speed <= 0 never returns: the curve explodes
    for name in ("theta", "q_theta", "spx0", "vix0", "long0", "jump_decay", "corr_halflife"):
        _number(p, name, lo=0.0)
    if not p.q_kappa_s > p.q_kappa_l:
        raise ConfigError("q_kappa_s must exceed q_kappa_l", key="q_kappa_s", expected="short reversion faster")
    if abs(p.kappa_s - p.kappa_l) < 1e-9:
        raise ConfigError("kappa_s equals kappa_l", key="kappa_s", expected="two different speeds")
    for name in ("sigma_v", "sigma_l", "vrp_ratio"):
        v = getattr(p, name)
        if len(v) != 2 or not all(math.isfinite(x) and x > 0 for x in v):
            raise ConfigError(f"{v!r}", key=name, expected="[calm, stress], both finite and > 0 (a variance >= 0)")
    if len(p.sigma_g) != 2 or not all(math.isfinite(x) and x >= 0 for x in p.sigma_g):
        raise ConfigError(f"{p.sigma_g!r}", key="sigma_g", expected="[calm, stress], both finite and >= 0")
    if max(p.sigma_v) > 6.0 or max(p.sigma_l) > 6.0:
        raise ConfigError(f"{p.sigma_v}, {p.sigma_l}", key="sigma_v", expected="annual log-vol <= 6 (explodes)")
    for name in ("jump_base", "jump_excite", "jump_mean", "jump_long", "vol_excite", "jump_size_excite"):
        _number(p, name, lo=0.0, strict=False)
    _number(p, "jump_mean", lo=0.0, hi=0.5, strict=False)
    _number(p, "jump_min", lo=0.0, hi=1.5, strict=False)
    _number(p, "jump_long", lo=0.0, hi=1.0, strict=False)
    _number(p, "jump_spx", lo=-20.0, hi=0.0, strict=False)
    _number(p, "corr_weight", lo=0.0, hi=1.0, strict=False)
    _number(p, "overnight_share", lo=0.0, hi=1.0)
    _number(p, "spx_drift", lo=-1.0, hi=1.0)
    _number(p, "spot_gap", lo=-20.0, hi=20.0)
    _number(p, "gap0", lo=-50.0, hi=50.0)
    _number(p, "jump_gap", lo=-1.0, hi=1.0, strict=False)
    _number(p, "jump_short", lo=0.0, hi=1.5, strict=False)
    if p.jump_short * p.jump_mean >= 1.0 or p.jump_long * p.jump_mean >= 1.0:
        raise ConfigError("jump_short x jump_mean >= 1", key="jump_short", expected="a jump whose mean is finite")
    _number(p, "gap_level", lo=-0.5, hi=0.5, strict=False)
    for name in ("gap_slope", "gap_curve"):
        _number(p, name, lo=-2.0, hi=2.0, strict=False)
    for name in ("vol_excite", "jump_size_excite"):  # the excitation's scaling of vols and jump sizes
        _number(p, name, lo=0.0, hi=10.0, strict=False)
    _number(p, "rate", lo=-0.1, hi=0.5)
    _number(p, "beta_long", lo=0.0, hi=1.0, strict=False)
    if p.jump_excite >= p.jump_decay:  # branching ratio excite/decay >= 1: the jump intensity explodes
        raise ConfigError(
            f"jump_excite {p.jump_excite} >= jump_decay {p.jump_decay}",
            key="jump_excite",
            expected="branching ratio jump_excite / jump_decay < 1",
        )
    for name in ("corr_calm", "corr_stress"):
        m = np.array(getattr(p, name), dtype=float)
        nf = len(FACTORS)
        if m.shape != (nf, nf) or not np.isfinite(m).all():
            raise ConfigError(f"shape {m.shape}", key=name, expected=f"a finite {nf}x{nf} matrix over {FACTORS}")
        if not np.allclose(m, m.T) or not np.allclose(np.diag(m), 1.0) or (np.abs(m) > 1).any():
            raise ConfigError("not a correlation matrix", key=name, expected="symmetric, unit diagonal, |r| <= 1")
        if np.linalg.eigvalsh(m).min() <= 1e-10:
            raise ConfigError(
                f"smallest eigenvalue {np.linalg.eigvalsh(m).min():.3g}",
                key=name,
                expected="a positive definite correlation matrix",
            )
    for k, e in p.events.items():
        if k not in EVENT_KINDS:
            raise ConfigError(f"{k!r}", key=f"events.{k}", expected=f"one of {EVENT_KINDS}")
        if not (math.isfinite(e.mean) and math.isfinite(e.sd) and e.sd >= 0 and abs(e.mean) < 1):
            raise ConfigError(f"{e}", key=f"events.{k}", expected="finite mean |m| < 1 and sd >= 0 (log points)")
