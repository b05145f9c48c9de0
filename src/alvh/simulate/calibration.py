"""``calibrate(md)``: fit, choose the correlation weight, build the presets, and check against outside figures.

What ``alvh calibrate`` runs and prints: the fitted :class:`SimParams` (with the episode presets), the fit
report (:mod:`alvh.simulate.fitreport`), the S&P VIX futures index figures rebuilt on real settlements and
on simulated paths beside S&P's published ones (:mod:`alvh.simulate.cmindex`), and each preset's episode
statistics beside its simulated median.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alvh.calendar import vx_expiries_between
from alvh.data import MarketData
from alvh.market import VXModelParams
from alvh.simulate.calibrate import fit_params
from alvh.simulate.cmindex import MONTHS, PUBLISHED, IndexStats, filled_settlements, index_stats, panel_price
from alvh.simulate.factors import FactorPaths, curve_price, simulate_factors
from alvh.simulate.fitreport import FitReport, _f, report_on, start_of
from alvh.simulate.history import History, load_history
from alvh.simulate.model import simulate_factor_paths
from alvh.simulate.params import SimParams
from alvh.simulate.presets import episode_presets
from alvh.simulate.scenarios import preset
from alvh.simulate.schedule import reestimation_mask

#: Grid of the weight of the path's own EWMA correlation (calibration step 8).
CORR_WEIGHTS = (0.0, 0.25, 0.5, 0.75)
#: S&P's figures are "since inception" up to the post of 2011-12-10: the real rebuild uses the same span.
SP_SPAN = ("2006-01-03", "2011-11-30")


@dataclass(frozen=True)
class CalibrationResult:
    """The fitted parameters and every check printed beside them."""

    params: SimParams
    report: FitReport
    index_rows: tuple[IndexRow, ...]
    preset_rows: tuple[tuple[str, str, float, float, float, float], ...]
    corr_dispersion: dict[float, float]
    seconds: float
    gap_spread: dict[float, float] = dataclasses.field(default_factory=dict)

    def summary(self) -> str:
        lines = [self.report.summary(), "", "S&P 500 VIX futures indices (published: spvixviews.com, 2011-12-10)"]
        lines.append(
            f"{'statistic':<28}{'published':>10}{'real S&P':>10}{'real all':>10}{'simulated':>11}{'5%-95%':>20}"
            f"  tol       rebuild model  sim S&P span (5%-95%)  published inside  sim vs published"
        )
        for r in self.index_rows:
            band = f"{_f(r.sim[1])}..{_f(r.sim[2])}"
            sp = f"{_f(r.sim_sp[0])} ({_f(r.sim_sp[1])}..{_f(r.sim_sp[2])})"
            lines.append(
                f"  {r.name:<26}{_f(r.published):>10}{_f(r.real_sp):>10}{_f(r.real_full):>10}{_f(r.sim[0]):>11}"
                f"{band:>20}  {r.tol:<9} {_yes(r.ok_rebuild):<7} {_yes(r.ok_model):<6} {sp:<22} "
                f"{_yes(r.ok_published):<17} {_yes(r.ok_sim_published)}"
            )
        lines += ["", "episode presets: the real episode beside the simulated median (and 5%-95% across paths)"]
        for pname, stat, preal, med, lo, hi in self.preset_rows:
            lines.append(f"  {pname:<18}{stat:<16}{_f(preal):>10}{_f(med):>10}  {_f(lo)}..{_f(hi)}")
        disp = ", ".join(f"w={w:g}: {d:.4f}" for w, d in self.corr_dispersion.items() if w >= 0)
        lines += [
            "",
            f"corr_weight chosen {self.params.corr_weight:g} (sd of 63-day corr(SPX, dVIX), history "
            f"{self.corr_dispersion.get(-1.0, float('nan')):.4f}; simulated {disp})",
        ]
        if self.gap_spread:
            tried = ", ".join(f"{g:.2f}: {m:.4f}" for g, m in self.gap_spread.items() if g != -1.0)
            lines.append(
                f"spot_gap chosen {self.params.spot_gap:.3f} (mean ln(L/V), history "
                f"{self.gap_spread.get(-1.0, float('nan')):.4f}; simulated {tried})"
            )
        lines.append(f"calibration took {self.seconds:.1f} s")
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """The fit report, the S&P index check and the presets as Markdown tables (docs/simulation_fit.md)."""
        out = [
            self.report.to_markdown(),
            "",
            f"S&P 500 VIX futures indices: published (spvixviews.com, 2011-12-10, since inception), our rebuild "
            f"on real settlements over S&P's span ({SP_SPAN[0]}..{SP_SPAN[1]}) and over the calibration span, "
            "the simulated histories of the calibration span (median, 5%-95%) and of S&P's span. Verdicts: "
            "*rebuild* = our rebuild on real data within the tolerance of the published figure; *model* = the "
            "simulated median within the tolerance of the rebuild over the same span; *published inside* = the "
            "published figure inside the band of histories simulated over S&P's span; *simulated vs published* = "
            "the simulated median of the calibration span within the tolerance of the published figure.",
            "",
            "| index statistic | published | real, S&P span | real, calibration span | simulated (median) | 5%-95% "
            "| tolerance | rebuild | model | simulated, S&P span (5%-95%) | published inside "
            "| simulated vs published |",
            "|---|---:|---:|---:|---:|---:|---|---|---|---:|---|---|",
        ]
        for r in self.index_rows:
            out.append(
                f"| {r.name} | {_f(r.published)} | {_f(r.real_sp)} | {_f(r.real_full)} | {_f(r.sim[0])} | "
                f"{_f(r.sim[1])}..{_f(r.sim[2])} | {r.tol} | {_md(r.ok_rebuild)} | {_md(r.ok_model)} | "
                f"{_f(r.sim_sp[0])} ({_f(r.sim_sp[1])}..{_f(r.sim_sp[2])}) | {_md(r.ok_published)} | "
                f"{_md(r.ok_sim_published)} |"
            )
        out += [
            "",
            "Episode presets: the real episode beside the simulated median over 100 paths.",
            "",
            "| preset | statistic | real episode | simulated (median) | 5%-95% |",
            "|---|---|---:|---:|---:|",
        ]
        for pname, stat, preal, med, lo, hi in self.preset_rows:
            out.append(f"| {pname} | {stat} | {_f(preal)} | {_f(med)} | {_f(lo)}..{_f(hi)} |")
        return "\n".join(out)


def _yes(ok: bool | None) -> str:
    return "-" if ok is None else ("yes" if ok else "NO")


def _md(ok: bool | None) -> str:
    return "n/a" if ok is None else ("yes" if ok else "**no**")


def _rolling_corr_sd(x: np.ndarray, y: np.ndarray, window: int = 63) -> float:
    """Pooled sd over time of the rolling ``window``-day correlation of x and y (day axis 0, paths axis 1)."""
    cs = [np.cumsum(np.concatenate([np.zeros((1, x.shape[1])), a]), axis=0) for a in (x, y, x * x, y * y, x * y)]
    sx, sy, sxx, syy, sxy = (c[window:] - c[:-window] for c in cs)
    n = float(window)
    cov = sxy / n - sx * sy / n**2
    var_x, var_y = sxx / n - (sx / n) ** 2, syy / n - (sy / n) ** 2
    return float(np.nanstd(cov / np.sqrt(var_x * var_y)))


def _sim_history(
    p: SimParams,
    h: History,
    n_paths: int,
    seed: int,
    corr_weight: np.ndarray | None = None,
    spot_gap: np.ndarray | None = None,
) -> FactorPaths:
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    mask = reestimation_mask(h.dates, h.events["fomc"])
    return simulate_factors(
        p, n_paths, h.dates, rng, h.events, mask, start_of(h), corr_weight=corr_weight, spot_gap=spot_gap
    )


#: Simulated histories per candidate weight in the step-8 grid.
GRID_PATHS = 8


def fit_corr_weight(p: SimParams, h: History, seed: int) -> tuple[SimParams, dict[float, float]]:
    """Step 8: the grid weight whose simulated 63-day corr(SPX, dVIX) dispersion is closest to history's.

    Every candidate's :data:`GRID_PATHS` histories run in one day loop (the weight is set path by path), so
    the grid costs one loop over the history's days instead of one per candidate.
    """
    target = _rolling_corr_sd(np.diff(np.log(h.spx))[:, None], np.diff(h.vix)[:, None])
    disp: dict[float, float] = {-1.0: target}
    weights = np.repeat(np.array(CORR_WEIGHTS), GRID_PATHS)
    fp = _sim_history(p, h, weights.size, seed, corr_weight=weights)
    for i, w in enumerate(CORR_WEIGHTS):
        cols = slice(i * GRID_PATHS, (i + 1) * GRID_PATHS)
        disp[w] = _rolling_corr_sd(
            np.diff(np.log(fp.spx_close[:, cols]), axis=0), np.diff(fp.vix_close[:, cols], axis=0)
        )
    best = min(CORR_WEIGHTS, key=lambda w: abs(disp[w] - target))
    return p.replace(corr_weight=best), disp


@dataclass(frozen=True)
class IndexRow:
    """One S&P index statistic: published, our rebuild on real settlements, and the simulated histories.

    ``real_sp`` / ``real_full``: the rebuild on real settlements over S&P's span and over the calibration
    span; ``sim`` (median, 5%, 95%) over simulated histories of the calibration span, ``sim_sp`` of S&P's
    span. Verdicts: ``ok_rebuild`` (our rebuild on real data against the published figure), ``ok_model``
    (the simulated median against the rebuild on the same span), ``ok_published`` (the published figure
    inside the band of histories simulated over S&P's span), ``ok_sim_published`` (the simulated median of
    the calibration span against the published figure: spans differ, see docs/simulation.md).
    """

    name: str
    published: float
    real_sp: float
    real_full: float
    sim: tuple[float, float, float]
    sim_sp: tuple[float, float, float]
    tol: str
    ok_rebuild: bool | None
    ok_model: bool | None
    ok_published: bool | None
    ok_sim_published: bool | None = None


def _within(x: float, ref: float, tol: str) -> bool | None:
    if not (np.isfinite(x) and np.isfinite(ref)):
        return None
    kind, _, val = tol.partition(" ")
    return bool(abs(x - ref) <= float(val) * (abs(ref) if kind == "rel" else 1.0))


def _band(arr: np.ndarray) -> tuple[float, float, float]:
    a = np.asarray(arr, dtype=float)
    a = a[np.isfinite(a)]
    if not a.size:
        return (np.nan, np.nan, np.nan)
    return tuple(float(x) for x in np.quantile(a, [0.5, 0.05, 0.95]))  # type: ignore[return-value]


def _real_index(md: MarketData) -> dict[str, IndexStats]:
    vx = md.vx
    if vx is None or len(vx.dates) < 2:
        return {}
    vix = md.vix["close"].reindex(vx.dates).ffill().to_numpy(float)
    settle = filled_settlements(vx, vix)
    return {w: index_stats(vx.dates, vx.expiries, vix[:, None], panel_price(settle), w) for w in MONTHS}


def _sim_index(p: SimParams, h: History, fp: FactorPaths) -> dict[str, IndexStats]:
    exp = vx_expiries_between(h.dates[0] - pd.Timedelta(days=60), h.dates[-1] + pd.Timedelta(days=300))
    d = h.dates.values.astype("datetime64[D]")

    def price(day: np.ndarray, col: np.ndarray) -> np.ndarray:
        dte = np.maximum((exp[col] - d[day][:, None]).astype(float), 0.0)
        cell = (fp.vix_close[day][:, :, None], fp.short[day][:, :, None], fp.long[day][:, :, None])
        return curve_price(*cell, dte[:, None, :], p)

    return {w: index_stats(h.dates, exp, fp.vix_close, price, w) for w in MONTHS}


def _history_slice(h: History, first: str, last: str) -> History | None:
    m = (h.dates >= first) & (h.dates <= last)
    if m.sum() < 250:
        return None
    return dataclasses.replace(
        h,
        dates=h.dates[m],
        spx=h.spx[m],
        spx_open=h.spx_open[m],
        vix=h.vix[m],
        long=h.long[m],
        f30=h.f30[m],
        events={k: v[m] for k, v in h.events.items()},
        gap=h.gap[m],
    )


#: Offsets (VIX points) around the step-2 ``spot_gap`` tried by :func:`fit_spot_gap`.
GAP_OFFSETS = (-3.0, -2.0, -1.0, 0.0, 1.0)


def fit_spot_gap(p: SimParams, h: History, seed: int) -> tuple[SimParams, dict[float, float]]:
    """Step 9: ``spot_gap`` such that the simulated mean of ``ln(L / V)`` is the historical one.

    Each candidate (:data:`GAP_OFFSETS` around the step-2 value) runs :data:`GRID_PATHS` histories, all in
    one day loop; the simulated mean is interpolated linearly between the candidates (it falls as the gap
    falls), clipped to the grid.
    """
    target = float(np.mean(np.log(h.long / h.short)))
    cand = p.spot_gap + np.array(GAP_OFFSETS)
    gaps = np.repeat(cand, GRID_PATHS)
    fp = _sim_history(p, h, gaps.size, seed, spot_gap=gaps)
    spread = np.log(fp.long / fp.short).mean(axis=0).reshape(len(cand), GRID_PATHS).mean(axis=1)
    order = np.argsort(spread)
    best = float(np.interp(target, spread[order], cand[order]))
    return p.replace(spot_gap=best), {-1.0: target} | {float(g): float(m) for g, m in zip(cand, spread, strict=True)}


def index_rows(
    p: SimParams, h: History, seed: int, n_paths: int = 20, fp: FactorPaths | None = None
) -> tuple[IndexRow, ...]:
    """Short-/mid-term index figures: published, rebuilt on real settlements, simulated (:class:`IndexRow`).

    ``fp``: histories already simulated over ``h`` (the fit report's), else ``n_paths`` are drawn.
    """
    real_sp = _real_index(h.md.slice(*SP_SPAN)) if h.md.vx is not None else {}
    real_full = _real_index(h.md) if h.md.vx is not None else {}
    sim = _sim_index(p, h, fp if fp is not None else _sim_history(p, h, n_paths, seed + 1))
    hs = _history_slice(h, *SP_SPAN)
    sim_sp = _sim_index(p, hs, _sim_history(p, hs, n_paths, seed + 2)) if hs is not None else {}
    tols = {"contango share": "abs 0.1", "daily roll cost": "rel 0.5", "beta to VIX": "abs 0.1"}
    rows = []
    for i, w in enumerate(MONTHS):
        for stat, attr in (("contango share", "contango"), ("daily roll cost", "roll_cost"), ("beta to VIX", "beta")):

            def get(d: dict[str, IndexStats], w: str = w, attr: str = attr) -> np.ndarray:
                return getattr(d[w], attr) if w in d else np.array([np.nan])

            pub = PUBLISHED[stat][i]
            rs, rf = float(get(real_sp)[0]), float(get(real_full)[0])
            med, sp = _band(get(sim)), _band(get(sim_sp))
            rows.append(
                IndexRow(
                    f"{w} {stat}",
                    pub,
                    rs,
                    rf,
                    med,
                    sp,
                    tols[stat],
                    _within(rs, pub, tols[stat]),
                    _within(med[0], rf, tols[stat]),
                    bool(sp[1] <= pub <= sp[2]) if np.isfinite(sp[0]) else None,
                    _within(med[0], pub, tols[stat]),
                )
            )
    return tuple(rows)


def preset_rows(p: SimParams, n_paths: int, seed: int) -> tuple[tuple[str, str, float, float, float, float], ...]:
    """Each preset's real peak VIX, mean VIX and contango share beside the simulated median and band."""
    out: list[tuple[str, str, float, float, float, float]] = []
    for k, name in enumerate(sorted(p.scenarios)):
        sc = preset(name, p.scenarios)
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, k])))
        used, fp, _dates = simulate_factor_paths(p, n_paths, int(sc.target["n_days"]), rng, scenario=sc)
        v = fp.vix_close
        contango = (curve_price(v, fp.short, fp.long, np.array(30.0), used) >= v).mean(0)
        for stat, arr in (("peak_vix", v.max(0)), ("mean_vix", v.mean(0)), ("contango_share", contango)):
            med, lo, hi = (float(x) for x in np.quantile(arr, [0.5, 0.05, 0.95]))
            out.append((name, stat, float(sc.target.get(stat, np.nan)), med, lo, hi))
    return tuple(out)


def calibrate(
    md: MarketData, *, n_paths: int = 40, seed: int = 0, vx_params: VXModelParams | None = None
) -> CalibrationResult:
    """Fit on ``md`` (already sliced to the calibration span) and run every check (module docstring)."""
    t0 = time.perf_counter()
    vxp = vx_params if vx_params is not None else VXModelParams.default()
    h = load_history(md, vxp)
    p = fit_params(h, vxp)
    p, disp = fit_corr_weight(p, h, seed)
    p, spread = fit_spot_gap(p, h, seed)
    p = p.replace(scenarios=episode_presets(h, p))
    fp = _sim_history(p, h, n_paths, seed)  # the fit report's histories, reused by the index check
    report = report_on(p, h, fp, seed)
    idx = index_rows(p, h, seed, fp=fp)
    pres = preset_rows(p, 100, seed)
    return CalibrationResult(p, report, idx, pres, disp, time.perf_counter() - t0, spread)
