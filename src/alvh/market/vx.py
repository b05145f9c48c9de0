"""VIX futures curve: from real settlements, or from a fitted two-factor model of spot VIX.

Two-factor model (risk-neutral, in VIX points). Spot VIX ``V`` reverts at rate
``kappa_s`` towards a long factor ``L``, which reverts at the slower rate
``kappa_l`` towards ``theta``::

    dV = kappa_s (L - V) dt + ...,    dL = kappa_l (theta - L) dt + ...

A VX future is the risk-neutral expectation of VIX at its expiry (futures are
martingales, no convexity term in levels), so with ``tau`` in years::

    F(tau) = theta + (V - theta) a(tau) + (L - theta) c(tau)
    a(tau) = exp(-kappa_s tau)
    c(tau) = kappa_s / (kappa_s - kappa_l) (exp(-kappa_l tau) - exp(-kappa_s tau))

``F`` is linear in ``V`` and ``L``; on a day with settlements ``L`` is the
least-squares solution (closed form), so the global parameters are fit by
profiling ``L`` out. On days without futures ``L`` comes from VIX3M/VIX6M
(when present) or an exponentially weighted VIX, by linear maps fitted on
the real history (scripts/fit_vx_model.py; parameters in
``alvh/resources/vx_model_params.json``). Formulas and the measured fit:
docs/model.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from alvh.errors import ConfigError, InputError
from alvh.market.surface import as_cells
from alvh.pricing.units import DAYS_PER_YEAR, VOL_POINTS_PER_UNIT

if TYPE_CHECKING:
    from alvh.data import MarketData, VXPanel

#: Observable inputs a long-factor map may use.
_MAP_INPUTS = ("vix", "vix3m", "vix6m", "vix_ewma")


@dataclass(frozen=True)
class LongFactorMap:
    """Linear map from observable indices to the long factor ``L`` for days without futures.

    ``L = intercept + sum_j coef[j] * x_j`` with ``x`` named by ``inputs``
    (``vix``, ``vix3m``, ``vix6m``, ``vix_ewma``).
    """

    inputs: tuple[str, ...]
    intercept: float
    coef: tuple[float, ...]
    rmse: float = float("nan")
    n_obs: int = 0


@dataclass(frozen=True)
class VXModelParams:
    """Fitted two-factor VX curve parameters (see module docstring).

    Attributes
    ----------
    kappa_s, kappa_l : float
        Mean-reversion speeds per year of spot VIX to ``L`` and of ``L`` to ``theta``.
    theta : float
        Long-run level of ``L`` (VIX points, risk-neutral).
    beta_long : float
        Regression slope of daily changes of the fitted ``L`` on daily VIX changes: how far the
        long factor moves with spot VIX on average (used by :func:`effective_vega_model`).
    ewma_halflife : float
        Half-life (trading days) of the VIX EWMA used when neither VIX3M nor VIX6M is present.
    long_maps : dict of str to LongFactorMap
        Keys ``"vix3m_vix6m"``, ``"vix3m"``, ``"vix6m"``, ``"ewma"``.
    vvix_intercept, vvix_slope : float
        Default VVIX when absent: ``VVIX = vvix_intercept + vvix_slope * ln(VIX)``.
    provenance : dict
        Fit date, data span, script, fit statistics.
    """

    kappa_s: float
    kappa_l: float
    theta: float
    beta_long: float
    ewma_halflife: float
    long_maps: dict[str, LongFactorMap]
    vvix_intercept: float
    vvix_slope: float
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """JSON text (the format of ``vx_model_params.json``)."""
        out = asdict(self)
        out["long_maps"] = {k: asdict(v) for k, v in self.long_maps.items()}
        return json.dumps(out, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, source: str = "<json>") -> VXModelParams:
        """Parse and validate parameters; :class:`ConfigError` names the bad key."""
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"not valid JSON: {exc}", file=source) from None
        need = (
            "kappa_s",
            "kappa_l",
            "theta",
            "beta_long",
            "ewma_halflife",
            "long_maps",
            "vvix_intercept",
            "vvix_slope",
        )
        for key in need:
            if key not in raw:
                raise ConfigError("missing", key=key, file=source, expected="a fitted parameter")
        for key in ("kappa_s", "kappa_l", "theta", "ewma_halflife"):
            val = raw[key]
            if not isinstance(val, (int, float)) or not np.isfinite(val) or val <= 0:
                raise ConfigError(f"{val!r}", key=key, file=source, expected="a finite number > 0")
        if not raw["kappa_s"] > raw["kappa_l"]:
            raise ConfigError(
                "kappa_s must exceed kappa_l", key="kappa_s", file=source, expected="short reversion faster than long"
            )
        maps = {}
        for name, m in raw["long_maps"].items():
            if len(m.get("inputs", ())) != len(m.get("coef", ())):
                raise ConfigError("inputs and coef differ in length", key=f"long_maps.{name}", file=source)
            unknown = [i for i in m["inputs"] if i not in _MAP_INPUTS]
            if unknown:
                raise ConfigError(
                    f"unknown input {unknown[0]!r}",
                    key=f"long_maps.{name}.inputs",
                    file=source,
                    expected=f"inputs among {_MAP_INPUTS}",
                )
            maps[name] = LongFactorMap(
                inputs=tuple(m["inputs"]),
                intercept=float(m["intercept"]),
                coef=tuple(float(c) for c in m["coef"]),
                rmse=float(m.get("rmse", np.nan)),
                n_obs=int(m.get("n_obs", 0)),
            )
        if "ewma" not in maps:
            raise ConfigError("missing", key="long_maps.ewma", file=source, expected="the fallback map")
        return cls(
            kappa_s=float(raw["kappa_s"]),
            kappa_l=float(raw["kappa_l"]),
            theta=float(raw["theta"]),
            beta_long=float(raw["beta_long"]),
            ewma_halflife=float(raw["ewma_halflife"]),
            long_maps=maps,
            vvix_intercept=float(raw["vvix_intercept"]),
            vvix_slope=float(raw["vvix_slope"]),
            provenance=dict(raw.get("provenance", {})),
        )

    @classmethod
    def default(cls) -> VXModelParams:
        """The parameters shipped in ``alvh/resources/vx_model_params.json`` (fit on real VX 2004-2025)."""
        text = resources.files("alvh.resources").joinpath("vx_model_params.json").read_text(encoding="utf-8")
        return cls.from_json(text, source="alvh/resources/vx_model_params.json")

    @classmethod
    def load(cls, path: str | Path) -> VXModelParams:
        """Parameters from a JSON file written by ``scripts/fit_vx_model.py``."""
        p = Path(path)
        return cls.from_json(p.read_text(encoding="utf-8"), source=str(p))


# ---------------------------------------------------------------- model formulas


def _loadings(tau: np.ndarray, kappa_s: float, kappa_l: float) -> tuple[np.ndarray, np.ndarray]:
    a = np.exp(-kappa_s * tau)
    c = kappa_s / (kappa_s - kappa_l) * (np.exp(-kappa_l * tau) - a)
    return a, c


class FactorKappas(Protocol):
    """What :func:`model_futures` reads of its parameters (:class:`VXModelParams`, or a trial point of the fit)."""

    @property
    def kappa_s(self) -> float: ...
    @property
    def kappa_l(self) -> float: ...
    @property
    def theta(self) -> float: ...


def model_futures(vix: np.ndarray, long_factor: np.ndarray, dte: np.ndarray, params: FactorKappas) -> np.ndarray:
    """Model VX future price (index points) for spot ``vix``, long factor and days to expiry (broadcast)."""
    tau = np.asarray(dte, dtype=float) / DAYS_PER_YEAR
    a, c = _loadings(tau, params.kappa_s, params.kappa_l)
    th = params.theta
    return th + (np.asarray(vix, dtype=float) - th) * a + (np.asarray(long_factor, dtype=float) - th) * c


def effective_vega_model(
    dte: np.ndarray, params: VXModelParams | None = None, *, include_long_factor: bool = True
) -> np.ndarray:
    """Model dF/dVIX of a VX future with ``dte`` calendar days to expiry: the curve's response to a move of
    its **short factor** (points of F per point of the factor).

    ``a(tau) + beta_long * c(tau)`` where ``beta_long`` is the average co-move of the long factor with
    spot VIX (fitted); ``include_long_factor=False`` gives the partial ``a(tau) = exp(-kappa_s tau)``
    holding ``L`` fixed. On the two-factor curve of this module the short factor *is* spot VIX, so this is
    also the response to spot there (the engine's model curve, :meth:`VXCurve.from_model`). On a curve with
    a spot gap (spot = short factor + a part the futures follow only briefly, the simulation's curve) the
    response to spot is :func:`spot_dfdvix_model`, which equals this one when the gap never moves.

    Raises
    ------
    InputError
        ``dte`` negative or not finite.
    """
    p = params if params is not None else VXModelParams.default()
    d = np.asarray(dte, dtype=float)
    if not np.isfinite(d).all() or (d < 0).any():
        raise InputError("days to expiry must be finite and >= 0", argument="dte", expected="calendar days >= 0")
    a, c = _loadings(d / DAYS_PER_YEAR, p.kappa_s, p.kappa_l)
    return a + p.beta_long * c if include_long_factor else a


@dataclass(frozen=True)
class SpotMoveSplit:
    """How a daily move of spot VIX splits between the curve's factors and the spot gap.

    Spot is ``V + x`` (the curve's short factor plus the gap); ``short`` and ``long`` are the regression
    slopes of the daily moves ``dV`` and ``dL`` on the spot move ``dV + dx``, so the gap's slope is
    ``1 - short``; ``gap_kappa`` (per year) is the gap's risk-neutral reversion speed, the rate at which the
    futures curve forgets it (its weight in ``F(tau)`` is ``exp(-gap_kappa tau)``).
    """

    short: float
    long: float
    gap_kappa: float

    @property
    def gap(self) -> float:
        """The gap's share of a spot move, ``1 - short``."""
        return 1.0 - self.short

    @classmethod
    def from_covariance(cls, cov: np.ndarray, gap_kappa: float) -> SpotMoveSplit:
        """The split implied by the 3x3 covariance of the daily moves ``(dV, dL, dx)`` (any common unit).

        ``short = (var dV + cov(dV, dx)) / var dS``, ``long = (cov(dL, dV) + cov(dL, dx)) / var dS``,
        ``var dS = var dV + var dx + 2 cov(dV, dx)``.

        Raises
        ------
        InputError
            ``cov`` not 3x3 and finite, a spot variance <= 0, or ``gap_kappa`` < 0 / not finite.
        """
        m = np.asarray(cov, dtype=float)
        if m.shape != (3, 3) or not np.isfinite(m).all():
            raise InputError(f"shape {m.shape}", argument="cov", expected="a finite 3x3 covariance of (dV, dL, dx)")
        var_s = m[0, 0] + m[2, 2] + 2.0 * m[0, 2]
        if not var_s > 0:
            raise InputError(f"var(dV + dx) = {var_s}", argument="cov", expected="a spot variance > 0")
        if not (np.isfinite(gap_kappa) and gap_kappa >= 0):
            raise InputError(f"{gap_kappa!r}", argument="gap_kappa", expected="a finite speed >= 0 per year")
        return cls(
            short=float((m[0, 0] + m[0, 2]) / var_s),
            long=float((m[1, 0] + m[1, 2]) / var_s),
            gap_kappa=float(gap_kappa),
        )


def spot_dfdvix_model(dte: np.ndarray, params: FactorKappas, split: SpotMoveSplit) -> np.ndarray:
    """Model dF/dVIX of a VX future with ``dte`` calendar days to expiry as its response to a move of
    **spot** VIX: the regression slope of ``dF(tau)`` on ``dSpot`` (docs/simulation.md, "Layer vega decay").

    ``F(tau) = theta + (V - theta) a(tau) + (L - theta) c(tau) + x exp(-gap_kappa tau)`` moves by
    ``a dV + c dL + exp(-gap_kappa tau) dx``, so its slope on ``dS = dV + dx`` is::

        dF/dVIX(tau) = short a(tau) + long c(tau) + (1 - short) exp(-gap_kappa tau)

    with ``a, c`` the curve's loadings (``params``: ``kappa_s``, ``kappa_l``) and ``split`` how a spot move
    splits (:class:`SpotMoveSplit`). With no gap moves (``short = 1``, ``long = beta_long``) it is
    :func:`effective_vega_model`; at expiry it is 1.

    Raises
    ------
    InputError
        ``dte`` negative or not finite.
    """
    d = np.asarray(dte, dtype=float)
    if not np.isfinite(d).all() or (d < 0).any():
        raise InputError("days to expiry must be finite and >= 0", argument="dte", expected="calendar days >= 0")
    tau = d / DAYS_PER_YEAR
    a, c = _loadings(tau, params.kappa_s, params.kappa_l)
    return split.short * a + split.long * c + split.gap * np.exp(-split.gap_kappa * tau)


def fit_long_factor(
    settle: np.ndarray, dte: np.ndarray, vix: np.ndarray, params_or_kappas: Any, min_dte: int = 1
) -> np.ndarray:
    """Least-squares long factor per day given settlements (n_days, n_contracts) and spot VIX (n_days,).

    ``L = theta + sum_i c_i r_i / sum_i c_i^2`` with ``r_i = F_i - theta - (V - theta) a_i`` over the
    contracts listed that day with ``dte >= min_dte``; NaN on days without any.
    ``params_or_kappas`` is a :class:`VXModelParams` or a tuple ``(kappa_s, kappa_l, theta)``.
    """
    ks, kl, th = (
        (params_or_kappas.kappa_s, params_or_kappas.kappa_l, params_or_kappas.theta)
        if isinstance(params_or_kappas, VXModelParams)
        else params_or_kappas
    )
    s = np.asarray(settle, dtype=float)
    d = np.asarray(dte, dtype=float)
    ok = np.isfinite(s) & (d >= min_dte)
    a, c = _loadings(np.where(ok, d, 0.0) / DAYS_PER_YEAR, ks, kl)
    r = np.where(ok, s - th - (np.asarray(vix, dtype=float)[:, None] - th) * a, 0.0)
    c = np.where(ok, c, 0.0)
    den = (c * c).sum(axis=1)
    has = den > 0
    return np.where(has, th + (c * r).sum(axis=1) / np.where(has, den, 1.0), np.nan)


def ewma(values: np.ndarray, halflife: float) -> np.ndarray:
    """Exponentially weighted mean along axis 0 (days), started at the first value; any trailing shape."""
    v = np.asarray(values, dtype=float)
    lam = 0.5 ** (1.0 / halflife)
    out = np.empty_like(v)
    out[0] = v[0]
    for i in range(1, v.shape[0]):  # a loop over days, vectorized over paths
        out[i] = lam * out[i - 1] + (1.0 - lam) * v[i]
    return out


def long_factor_from_indices(
    vix: np.ndarray, params: VXModelParams, *, vix3m: np.ndarray | None = None, vix6m: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Long factor for days without futures, from VIX and (when present) VIX3M / VIX6M.

    Parameters
    ----------
    vix : ndarray, shape (n_days, ...) index points; finite and > 0.
    vix3m, vix6m : ndarray, optional, same shape; NaN where absent.

    Returns
    -------
    (long_factor, source) : ndarray, ndarray of str
        ``source`` names the map used per cell: ``vix3m_vix6m``, ``vix3m``, ``vix6m`` or ``ewma``.
    """
    v = np.asarray(vix, dtype=float)
    if not np.isfinite(v).all() or (v <= 0).any():
        raise InputError("VIX must be finite and > 0 on every day", argument="vix", expected="index points > 0")
    feats = {"vix": v, "vix_ewma": ewma(v, params.ewma_halflife)}
    nan = np.full(v.shape, np.nan)
    feats["vix3m"] = nan if vix3m is None else as_cells(vix3m, v.shape, "vix3m")
    feats["vix6m"] = nan if vix6m is None else as_cells(vix6m, v.shape, "vix6m")
    out = np.full(v.shape, np.nan)
    source = np.full(v.shape, "", dtype=object)
    for name in ("vix3m_vix6m", "vix3m", "vix6m", "ewma"):  # most informative first
        m = params.long_maps.get(name)
        if m is None:
            continue
        val = m.intercept + sum(cf * feats[inp] for inp, cf in zip(m.inputs, m.coef, strict=True))
        take = np.isnan(out) & np.isfinite(val)
        out = np.where(take, val, out)
        source = np.where(take, name, source)
    return out, source.astype(str)


# ---------------------------------------------------------------- curve objects


@dataclass(frozen=True)
class VXCurve:
    """A VX curve per day (and path) answering price and dF/dVIX at any days to expiry.

    Either node-based (real settlements, linear in dte between nodes) or the two-factor model.
    Construct with :meth:`from_panel` or :meth:`from_model`. Query arrays have the day axis first:
    ``dte`` of shape ``(n_days, ...)`` broadcasting against ``(n_days, n_paths, ...)`` state.
    """

    kind: str  # "settlements" or "model"
    params: VXModelParams
    node_dte: np.ndarray | None = None  # (n_days, n_nodes) float, +inf padding; node 0 is dte 0 = spot VIX
    node_price: np.ndarray | None = None  # (n_days, n_nodes)
    vix: np.ndarray | None = None  # (n_days, n_paths) for the model
    long_factor: np.ndarray | None = None  # (n_days, n_paths)
    sensitivity_fn: Callable[[np.ndarray], np.ndarray] | None = None  # dte -> dF/dVIX; None = the model's

    @classmethod
    def from_panel(
        cls,
        panel: VXPanel,
        vix: np.ndarray,
        params: VXModelParams | None = None,
        min_dte: int = 1,
        sensitivity: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> VXCurve:
        """Curve from real settlements: nodes are spot VIX at dte 0 and every contract listed with dte >= min_dte.

        ``price(dte)`` is linear in dte between nodes and flat beyond the last listed contract (flagged
        by :meth:`extrapolated`). ``vix`` is the spot VIX close on ``panel.dates`` (n_days,).
        ``sensitivity(dte)`` is the model's :func:`effective_vega_model` (settlements give prices,
        not sensitivities) unless ``sensitivity`` (a callable of dte, e.g.
        :func:`effective_vega_history` of :func:`estimate_effective_vega`) is given.
        """
        v = np.asarray(vix, dtype=float)
        if v.shape != (len(panel.dates),) or not np.isfinite(v).all() or (v <= 0).any():
            raise InputError(
                f"shape {v.shape} or non-finite/non-positive values",
                argument="vix",
                expected=f"spot VIX > 0 on each of the {len(panel.dates)} panel days",
            )
        ok = np.isfinite(panel.settle) & (panel.dte >= min_dte)
        dte = np.where(ok, panel.dte.astype(float), np.inf)
        # columns are sorted by expiry, so listed contracts keep their order; push unlisted to the end
        order = np.argsort(dte, axis=1, kind="stable")
        dte_sorted = np.take_along_axis(dte, order, axis=1)
        price_sorted = np.take_along_axis(np.where(ok, panel.settle, np.nan), order, axis=1)
        node_dte = np.concatenate([np.zeros((v.size, 1)), dte_sorted], axis=1)
        node_price = np.concatenate([v[:, None], price_sorted], axis=1)
        return cls(
            kind="settlements",
            params=params if params is not None else VXModelParams.default(),
            node_dte=node_dte,
            node_price=node_price,
            vix=v[:, None],
            sensitivity_fn=sensitivity,
        )

    @classmethod
    def from_model(
        cls,
        vix: np.ndarray,
        long_factor: np.ndarray | None = None,
        params: VXModelParams | None = None,
        *,
        vix3m: np.ndarray | None = None,
        vix6m: np.ndarray | None = None,
    ) -> VXCurve:
        """Two-factor model curve for spot VIX of shape (n_days, n_paths) (1-D = one path).

        ``long_factor`` defaults to :func:`long_factor_from_indices` (VIX3M/VIX6M when given, else the
        VIX EWMA map).
        """
        p = params if params is not None else VXModelParams.default()
        v = np.asarray(vix, dtype=float)
        if v.ndim == 1:
            v = v[:, None]
            vix3m = None if vix3m is None else np.asarray(vix3m, dtype=float)[:, None]
            vix6m = None if vix6m is None else np.asarray(vix6m, dtype=float)[:, None]
            if long_factor is not None:
                long_factor = np.asarray(long_factor, dtype=float)[:, None]
        if not np.isfinite(v).all() or (v <= 0).any():
            raise InputError("VIX must be finite and > 0", argument="vix", expected="index points > 0")
        if long_factor is None:
            lf, _src = long_factor_from_indices(v, p, vix3m=vix3m, vix6m=vix6m)
        else:
            lf = as_cells(long_factor, v.shape, "long_factor")
            if not np.isfinite(lf).all():
                raise InputError("long factor has NaN", argument="long_factor", expected="finite VIX points")
        return cls(kind="model", params=p, vix=v, long_factor=np.asarray(lf))

    @classmethod
    def from_market(cls, market: MarketData, params: VXModelParams | None = None) -> VXCurve:
        """Settlement curve when MarketData has VX, else the model curve from VIX (and VIX3M/VIX6M)."""
        vix = market.vix["close"].to_numpy(dtype=float)
        if market.vx is not None:
            return cls.from_panel(market.vx, vix, params)
        idx = market.indices

        def get(name: str) -> np.ndarray | None:
            return idx[name].to_numpy(dtype=float) if name in idx.columns else None

        return cls.from_model(vix, params=params, vix3m=get("vix3m"), vix6m=get("vix6m"))

    @property
    def n_days(self) -> int:
        """Number of days (rows)."""
        if self.vix is None:  # both constructors set it
            raise InputError("a curve without its VIX rows", argument="vix", expected="VXCurve.from_panel/from_model")
        return int(self.vix.shape[0])

    def _check_dte(self, dte: np.ndarray) -> np.ndarray:
        d = np.asarray(dte, dtype=float)
        if d.ndim == 0 or d.shape[0] != self.n_days:
            raise InputError(f"shape {d.shape}", argument="dte", expected=f"day axis first, length {self.n_days}")
        if not np.isfinite(d).all() or (d < 0).any():
            raise InputError("days to expiry must be finite and >= 0", argument="dte", expected="calendar days >= 0")
        return d

    def _node_interp(self, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        nd, npx = self.node_dte, self.node_price
        if nd is None or npx is None:  # a settlements curve is built with its nodes (from_panel)
            raise InputError("a settlements curve without nodes", argument="node_dte", expected="VXCurve.from_panel")
        q = d.reshape(d.shape[0], -1)  # (n_days, Q)
        upper = (nd[:, None, :] < q[:, :, None]).sum(axis=-1)  # index of first node >= q
        n_listed = np.isfinite(nd).sum(axis=1)[:, None]
        beyond = upper >= n_listed
        hi = np.minimum(upper, n_listed - 1)
        lo = np.maximum(hi - 1, 0)
        d_hi = np.take_along_axis(nd, hi, axis=1)
        d_lo = np.take_along_axis(nd, lo, axis=1)
        p_hi = np.take_along_axis(npx, hi, axis=1)
        p_lo = np.take_along_axis(npx, lo, axis=1)
        span = d_hi - d_lo
        w = np.where(span > 0, (q - d_lo) / np.where(span > 0, span, 1.0), 1.0)
        price = np.where(beyond, p_hi, p_lo + w * (p_hi - p_lo))
        return price.reshape(d.shape), beyond.reshape(d.shape)

    def price(self, dte: np.ndarray) -> np.ndarray:
        """VX price (index points) at ``dte`` calendar days, day axis first.

        Settlements: linear in dte between spot VIX (dte 0) and the listed contracts, flat beyond the
        last one. Model: :func:`model_futures`; ``dte`` broadcasts against (n_days, n_paths, ...).
        """
        d = self._check_dte(dte)
        if self.kind == "settlements":
            return self._node_interp(d)[0]
        extra = (1,) * max(d.ndim - 2, 0)
        if self.long_factor is None or self.vix is None:  # a model curve is built with both (from_model)
            raise InputError(
                "a model curve without a long factor", argument="long_factor", expected="VXCurve.from_model"
            )
        v = self.vix.reshape(self.vix.shape + extra)
        lf = self.long_factor.reshape(self.long_factor.shape + extra)
        return model_futures(v, lf, d if d.ndim >= 2 else d[:, None], self.params)

    def extrapolated(self, dte: np.ndarray) -> np.ndarray:
        """True where a settlement curve answered beyond its last listed contract (flat); all False for the model."""
        d = self._check_dte(dte)
        if self.kind == "settlements":
            return self._node_interp(d)[1]
        return np.zeros(d.shape, dtype=bool)

    def sensitivity(self, dte: np.ndarray) -> np.ndarray:
        """dF/dVIX at ``dte`` (points per VIX point): the model's :func:`effective_vega_model`, or the
        callable given at construction."""
        d = self._check_dte(dte)
        if self.sensitivity_fn is not None:
            return np.asarray(self.sensitivity_fn(d), dtype=float)
        return effective_vega_model(d, self.params)


# ---------------------------------------------------------------- effective vega from history

#: Maturity buckets (calendar days, [lo, hi)) of the historical effective-vega regression.
DEFAULT_VEGA_BUCKETS: tuple[tuple[int, int], ...] = (
    (1, 15),
    (15, 30),
    (30, 60),
    (60, 90),
    (90, 120),
    (120, 180),
    (180, 270),
)


def estimate_effective_vega(
    vx_panel: VXPanel, vix: np.ndarray | pd.Series, buckets: tuple[tuple[int, int], ...] = DEFAULT_VEGA_BUCKETS
) -> pd.DataFrame:
    """Regression of daily VX settlement changes on daily spot VIX changes, by maturity bucket.

    For every contract listed on consecutive panel days ``d-1, d`` (dte at ``d-1`` in the bucket,
    dte at ``d`` >= 1 so the final-settlement day is excluded)::

        F_d - F_{d-1} = alpha + beta * (VIX_d - VIX_{d-1}) + e

    by OLS with intercept, pooled within the bucket.

    Returns
    -------
    pandas.DataFrame
        Index ``"lo-hi"``; columns ``dte_lo, dte_hi, dte_mean, beta, se, r2, n_obs``
        (``se`` is the classical OLS standard error).
    """
    v = np.asarray(vix, dtype=float)
    if v.shape != (len(vx_panel.dates),) or not np.isfinite(v).all():
        raise InputError(
            f"shape {v.shape} or NaN",
            argument="vix",
            expected=f"a finite spot VIX on each of the {len(vx_panel.dates)} panel days",
        )
    s = vx_panel.settle
    dte = vx_panel.dte
    df = s[1:] - s[:-1]
    dv = np.broadcast_to((v[1:] - v[:-1])[:, None], df.shape)
    d0 = dte[:-1]
    ok = np.isfinite(df) & (dte[1:] >= 1)
    rows = []
    for lo, hi in buckets:  # a handful of buckets
        m = ok & (d0 >= lo) & (d0 < hi)
        y, x = df[m], dv[m]
        n = y.size
        if n < 3:
            rows.append((lo, hi, np.nan, np.nan, np.nan, np.nan, n))
            continue
        xm, ym = x.mean(), y.mean()
        sxx = ((x - xm) ** 2).sum()
        beta = ((x - xm) * (y - ym)).sum() / sxx
        resid = y - ym - beta * (x - xm)
        sse = (resid**2).sum()
        se = np.sqrt(sse / (n - 2) / sxx)
        r2 = 1.0 - sse / ((y - ym) ** 2).sum()
        rows.append((lo, hi, float(d0[m].mean()), beta, se, r2, n))
    out = pd.DataFrame(rows, columns=["dte_lo", "dte_hi", "dte_mean", "beta", "se", "r2", "n_obs"])
    out.index = [f"{lo}-{hi}" for lo, hi in buckets]
    return out


def effective_vega_history(table: pd.DataFrame) -> Callable[[np.ndarray], np.ndarray]:
    """dF/dVIX as a function of dte from an :func:`estimate_effective_vega` table.

    Linear in dte between the buckets' mean dte, flat outside (the first bucket's beta below its mean
    dte, the last's above). Returns a callable usable as ``sensitivity`` in
    :func:`alvh.analytics.exposure.effective_vega` or :meth:`VXCurve.from_panel`.
    """
    ok = table["beta"].notna().to_numpy()
    x = table["dte_mean"].to_numpy(dtype=float)[ok]
    y = table["beta"].to_numpy(dtype=float)[ok]
    if x.size == 0:
        raise InputError("no bucket with a slope", argument="table", expected="an estimate_effective_vega table")
    order = np.argsort(x)
    x, y = x[order], y[order]

    def sensitivity(dte: np.ndarray) -> np.ndarray:
        d = np.asarray(dte, dtype=float)
        if not np.isfinite(d).all() or (d < 0).any():
            raise InputError("days to expiry must be finite and >= 0", argument="dte", expected="calendar days >= 0")
        return np.interp(d, x, y)

    return sensitivity


# ---------------------------------------------------------------- VIX options

#: VVIX horizon: Cboe computes VVIX from 30-day VIX options (the VIX methodology applied to VIX options).
VVIX_DAYS = 30


def vix_option_vol(
    dte: np.ndarray, vix: np.ndarray, params: VXModelParams | None = None, *, vvix: np.ndarray | None = None
) -> np.ndarray:
    """Black-76 volatility (decimal) for a VIX option with ``dte`` days, on the matching VX future.

    Under the model the future's instantaneous log-vol decays as ``sigma_V exp(-kappa_s (T - t))``,
    so the Black vol over ``tau`` years is ``sigma_V * sqrt((1 - exp(-2 kappa_s tau)) / (2 kappa_s tau))``.
    ``sigma_V`` is set so the 30-day vol equals ``VVIX / 100``; where VVIX is absent (None or NaN),
    ``VVIX = vvix_intercept + vvix_slope * ln(VIX)`` (fitted on real VVIX 2007-2026).
    ``dte`` broadcasts against ``vix``.
    """
    p = params if params is not None else VXModelParams.default()
    d = np.asarray(dte, dtype=float)
    v = np.asarray(vix, dtype=float)
    if not np.isfinite(d).all() or (d <= 0).any():
        raise InputError("days to expiry must be finite and > 0", argument="dte", expected="calendar days > 0")
    if not np.isfinite(v).all() or (v <= 0).any():
        raise InputError("VIX must be finite and > 0", argument="vix", expected="index points > 0")
    if vvix is not None:
        vv = np.asarray(vvix, dtype=float)
        if (np.isfinite(vv) & (vv <= 0)).any():
            raise InputError("non-positive VVIX", argument="vvix", expected="index points > 0 (or NaN)")
    return vix_option_sigma_v(v, p, vvix) * vix_option_tenor_scale(d, p)


def vix_option_sigma_v(vix: np.ndarray, params: VXModelParams, vvix: np.ndarray | None = None) -> np.ndarray:
    """The future's instantaneous log-vol ``sigma_V`` that makes the 30-day Black vol ``VVIX / 100`` (VVIX where
    finite, else ``vvix_intercept + vvix_slope ln VIX``); inputs as :func:`vix_option_vol`, not validated."""
    v = np.asarray(vix, dtype=float)
    default = params.vvix_intercept + params.vvix_slope * np.log(v)
    level = default if vvix is None else np.where(np.isfinite(vv := np.asarray(vvix, dtype=float)), vv, default)
    return level / VOL_POINTS_PER_UNIT / vix_option_tenor_scale(np.asarray(float(VVIX_DAYS)), params)


def vix_option_tenor_scale(dte: np.ndarray, params: VXModelParams) -> np.ndarray:
    """``sqrt((1 - exp(-2 kappa_s tau)) / (2 kappa_s tau))`` at ``dte`` calendar days (``tau = dte / 365``): the
    Black vol over tau per unit of the future's instantaneous log-vol (:func:`vix_option_vol`)."""
    x = 2.0 * params.kappa_s * (np.asarray(dte, dtype=float) / DAYS_PER_YEAR)
    return np.sqrt(-np.expm1(-x) / x)


def vix_option_settlement(soq: np.ndarray, strike: np.ndarray, is_call: np.ndarray) -> np.ndarray:
    """Exercise value at expiry against the VIX special opening quotation (SOQ), index points.

    alvh approximates the SOQ by the VIX open of the expiry day (``MarketData.vix_open``, which falls
    back to the close where no open exists); pass a real SOQ series when you have one.
    """
    s = np.asarray(soq, dtype=float)
    k = np.asarray(strike, dtype=float)
    if not np.isfinite(s).all() or (s <= 0).any():
        raise InputError("settlement value must be finite and > 0", argument="soq", expected="index points > 0")
    return np.where(np.asarray(is_call, dtype=bool), np.maximum(s - k, 0.0), np.maximum(k - s, 0.0))
