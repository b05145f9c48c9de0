"""``calibrate(md)``: fit, choose the correlation weight, build the presets, and check against outside figures.

What ``alvh calibrate`` runs and prints: the fitted :class:`SimParams` (with the episode presets), the fit
report (:mod:`alvh.simulate.fitreport`), the S&P VIX futures index figures rebuilt on real settlements and
on simulated paths beside S&P's published ones (:mod:`alvh.simulate.cmindex`), and each preset's episode
statistics beside its simulated median.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alvh.calendar import vx_expiries_between
from alvh.data import MarketData
from alvh.market import VXModelParams, model_futures
from alvh.simulate.calibrate import fit_params
from alvh.simulate.cmindex import PUBLISHED, index_stats, panel_price
from alvh.simulate.factors import FactorPaths, q_curve, simulate_factors
from alvh.simulate.fitreport import FitReport, FitRow, _f, _row, fit_report
from alvh.simulate.history import History, load_history
from alvh.simulate.model import simulate_factor_paths
from alvh.simulate.params import SimParams
from alvh.simulate.presets import episode_presets
from alvh.simulate.scenarios import Scenario, preset
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
    index_rows: tuple[FitRow, ...]
    preset_rows: tuple[tuple[str, str, float, float, float, float], ...]
    corr_dispersion: dict[float, float]
    seconds: float

    def summary(self) -> str:
        lines = [self.report.summary(), "", "S&P 500 VIX futures indices (published: spvixviews.com, 2011-12-10)"]
        lines.append(f"{'statistic':<40}{'published':>10}{'ours on real':>13}{'simulated':>11}{'5%-95%':>20}  tol   ok")
        for r in self.index_rows:
            name, _, real = r.name.partition(" | real ")
            ok = "-" if r.ok is None else ("yes" if r.ok else "NO")
            band = f"{_f(r.lo)}..{_f(r.hi)}"
            lines.append(f"  {name:<38}{_f(r.hist):>10}{real:>13}{_f(r.sim):>11}{band:>20}  {r.tol:<9}{ok}")
        lines += ["", "episode presets: the real episode beside the simulated median (and 5%-95% across paths)"]
        for pname, stat, preal, med, lo, hi in self.preset_rows:
            lines.append(f"  {pname:<18}{stat:<16}{_f(preal):>10}{_f(med):>10}  {_f(lo)}..{_f(hi)}")
        disp = ", ".join(f"w={w:g}: {d:.4f}" for w, d in self.corr_dispersion.items() if w >= 0)
        lines += [
            "",
            f"corr_weight chosen {self.params.corr_weight:g} (sd of 63-day corr(SPX, dVIX), history "
            f"{self.corr_dispersion.get(-1.0, float('nan')):.4f}; simulated {disp})",
        ]
        lines.append(f"calibration took {self.seconds:.1f} s")
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """The fit report, the S&P index check and the presets as Markdown tables (docs/simulation_fit.md)."""
        out = [
            self.report.to_markdown(),
            "",
            "S&P 500 VIX futures indices: published (spvixviews.com, 2011-12-10, "
            "since inception), rebuilt on real settlements over the same span (2006-01-03..2011-11-30), and "
            "on the simulated histories.",
            "",
            "| index statistic | published | ours on real settlements | simulated (median) | 5%-95% | tolerance | ok |",
            "|---|---:|---:|---:|---:|---|---|",
        ]
        for r in self.index_rows:
            name, _, real = r.name.partition(" | real ")
            ok = "n/a" if r.ok is None else ("yes" if r.ok else "**no**")
            out.append(f"| {name} | {_f(r.hist)} | {real} | {_f(r.sim)} | {_f(r.lo)}..{_f(r.hi)} | {r.tol} | {ok} |")
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


def _rolling_corr_sd(x: np.ndarray, y: np.ndarray, window: int = 63) -> float:
    """Pooled sd over time of the rolling ``window``-day correlation of x and y (day axis 0, paths axis 1)."""
    cs = [np.cumsum(np.concatenate([np.zeros((1, x.shape[1])), a]), axis=0) for a in (x, y, x * x, y * y, x * y)]
    sx, sy, sxx, syy, sxy = (c[window:] - c[:-window] for c in cs)
    n = float(window)
    cov = sxy / n - sx * sy / n**2
    var_x, var_y = sxx / n - (sx / n) ** 2, syy / n - (sy / n) ** 2
    return float(np.nanstd(cov / np.sqrt(var_x * var_y)))


def _sim_history(p: SimParams, h: History, n_paths: int, seed: int) -> FactorPaths:
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    start = Scenario("history", vix0=float(h.vix[0]), long0=float(h.long[0]), spx0=float(h.spx[0]))
    return simulate_factors(p, n_paths, h.dates, rng, h.events, reestimation_mask(h.dates, h.events["fomc"]), start)


def fit_corr_weight(p: SimParams, h: History, seed: int) -> tuple[SimParams, dict[float, float]]:
    """Step 8: the grid weight whose simulated 63-day corr(SPX, dVIX) dispersion is closest to history's."""
    target = _rolling_corr_sd(np.diff(np.log(h.spx))[:, None], np.diff(h.vix)[:, None])
    disp: dict[float, float] = {-1.0: target}
    for w in CORR_WEIGHTS:
        fp = _sim_history(p.replace(corr_weight=w), h, 8, seed)
        disp[w] = _rolling_corr_sd(np.diff(np.log(fp.spx_close), axis=0), np.diff(fp.vix_close, axis=0))
    best = min(CORR_WEIGHTS, key=lambda w: abs(disp[w] - target))
    return p.replace(corr_weight=best), disp


def index_rows(p: SimParams, h: History, seed: int, n_paths: int = 20) -> tuple[FitRow, ...]:
    """Short-/mid-term index figures: published, rebuilt on real settlements (S&P's span), simulated."""
    real = {}
    if h.md.vx is not None:
        md = h.md.slice(*SP_SPAN)
        vx = md.vx
        if vx is not None:
            vix = md.vix["close"].reindex(vx.dates).ffill().to_numpy(float)[:, None]
            for w in ("short-term", "mid-term"):
                real[w] = index_stats(vx.dates, vx.expiries, vix, panel_price(vx.settle), w)
    fp = _sim_history(p, h, n_paths, seed + 1)
    exp = vx_expiries_between(h.dates[0] - pd.Timedelta(days=60), h.dates[-1] + pd.Timedelta(days=300))
    d = h.dates.values.astype("datetime64[D]")
    q = q_curve(p)

    def price(day: np.ndarray, col: np.ndarray) -> np.ndarray:
        dte = np.maximum((exp[col] - d[day][:, None]).astype(float), 0.0)
        return model_futures(fp.vix_close[day][:, :, None], fp.long[day][:, :, None], dte[:, None, :], q)

    rows = []
    tols = {"contango share": "abs 0.1", "daily roll cost": "rel 0.5", "beta to VIX": "abs 0.1"}
    for i, w in enumerate(("short-term", "mid-term")):
        s = index_stats(h.dates, exp, fp.vix_close, price, w)
        for stat, arr in (("contango share", s.contango), ("daily roll cost", s.roll_cost), ("beta to VIX", s.beta)):
            r = real.get(w)
            rv = (
                {"contango share": r.contango, "daily roll cost": r.roll_cost, "beta to VIX": r.beta}[stat]
                if r
                else None
            )
            label = f"{w} {stat} | real {_f(float(rv[0])) if rv is not None else 'n/a'}"
            rows.append(_row("S&P index", label, PUBLISHED[stat][i], arr, tols[stat]))
    return tuple(rows)


def preset_rows(p: SimParams, n_paths: int, seed: int) -> tuple[tuple[str, str, float, float, float, float], ...]:
    """Each preset's real peak VIX, mean VIX and contango share beside the simulated median and band."""
    out: list[tuple[str, str, float, float, float, float]] = []
    for k, name in enumerate(sorted(p.scenarios)):
        sc = preset(name, p.scenarios)
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, k])))
        used, fp, _dates = simulate_factor_paths(p, n_paths, int(sc.target["n_days"]), rng, scenario=sc)
        v = fp.vix_close
        contango = (model_futures(v, fp.long, np.array(30.0), q_curve(used)) >= v).mean(0)
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
    p = p.replace(scenarios=episode_presets(h, p))
    report = fit_report(p, h, n_paths=n_paths, seed=seed)
    idx = index_rows(p, h, seed)
    pres = preset_rows(p, 100, seed)
    return CalibrationResult(p, report, idx, pres, disp, time.perf_counter() - t0)
