"""The fit report: simulated against historical, statistic by statistic, with a tolerance and pass/fail.

The model is run from the history's first state on the history's own trading days (and its CPI/PPI/FOMC
days), ``n_paths`` paths each as long as the history; every statistic is computed per path with the same
function as on history (:mod:`alvh.simulate.stats`). A row passes when the simulated median is within the
stated tolerance of the historical value (``band``: the historical value inside the simulated 5-95% band).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alvh.market import VXCurve, estimate_effective_vega
from alvh.market.vx import spot_dfdvix_model
from alvh.simulate import stats as st
from alvh.simulate.factors import FactorPaths, curve_price, simulate_factors
from alvh.simulate.history import History
from alvh.simulate.model import curve_params
from alvh.simulate.params import SimParams
from alvh.simulate.scenarios import Scenario
from alvh.simulate.schedule import reestimation_mask
from alvh.simulate.vega import spot_split


@dataclass(frozen=True)
class FitRow:
    """One statistic: historical value, simulated median and 5-95% band across paths, tolerance, verdict."""

    group: str
    name: str
    hist: float
    sim: float
    lo: float
    hi: float
    tol: str
    ok: bool | None


@dataclass(frozen=True)
class FitReport:
    """The rows, and what was simulated (paths, seed, span)."""

    rows: tuple[FitRow, ...]
    span: str
    n_paths: int
    seed: int

    @property
    def n_pass(self) -> int:
        return sum(1 for r in self.rows if r.ok)

    @property
    def n_checked(self) -> int:
        return sum(1 for r in self.rows if r.ok is not None)

    def summary(self) -> str:
        """Plain-text table (what ``alvh calibrate`` prints)."""
        head = (
            f"fit report: {self.span}, {self.n_paths} simulated paths of the same length (seed {self.seed}); "
            f"{self.n_pass} of {self.n_checked} within tolerance"
        )
        lines = [head, f"{'statistic':<52}{'history':>10}{'simulated':>11}{'5%-95% band':>20}  tolerance   ok"]
        group = ""
        for r in self.rows:
            if r.group != group:
                lines.append(f"[{r.group}]")
                group = r.group
            ok = "-" if r.ok is None else ("yes" if r.ok else "NO")
            band = f"{_f(r.lo)}..{_f(r.hi)}"
            lines.append(f"  {r.name:<50}{_f(r.hist):>10}{_f(r.sim):>11}{band:>20}  {r.tol:<10}{ok:>4}")
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """The same table in Markdown (committed as docs/simulation_fit.md)."""
        out = [
            f"Span {self.span}; {self.n_paths} simulated paths of the same length, seed {self.seed}; "
            f"**{self.n_pass} of {self.n_checked} within tolerance**.",
            "",
            "| group | statistic | history | simulated (median) | 5%-95% across paths | tolerance | ok |",
            "|---|---|---:|---:|---:|---|---|",
        ]
        for r in self.rows:
            ok = "n/a" if r.ok is None else ("yes" if r.ok else "**no**")
            out.append(
                f"| {r.group} | {r.name} | {_f(r.hist)} | {_f(r.sim)} | {_f(r.lo)}..{_f(r.hi)} | {r.tol} | {ok} |"
            )
        return "\n".join(out)


def _f(x: float) -> str:
    if not np.isfinite(x):
        return "n/a"
    a = abs(x)
    return f"{x:.0f}" if a >= 100 else f"{x:.2f}" if a >= 1 else f"{x:.4f}" if a >= 0.001 else f"{x:.2e}"


def _row(group: str, name: str, hist: float, sim: np.ndarray, tol: str) -> FitRow:
    s = np.asarray(sim, dtype=float)
    s = s[np.isfinite(s)]
    med = float(np.median(s)) if s.size else np.nan
    lo, hi = (float(np.quantile(s, 0.05)), float(np.quantile(s, 0.95))) if s.size else (np.nan, np.nan)
    kind, _, val = tol.partition(" ")
    if not np.isfinite(hist) or not np.isfinite(med):
        ok = None
    elif kind == "band":
        ok = lo <= hist <= hi
    elif kind == "abs":
        ok = abs(med - hist) <= float(val)
    else:  # "rel x": |sim - hist| <= x |hist|
        ok = abs(med - hist) <= float(val) * abs(hist)
    return FitRow(group, name, float(hist), med, lo, hi, tol, ok)


def _panel(v: np.ndarray, s: np.ndarray, f30: np.ndarray, cm: dict[float, np.ndarray]) -> dict[str, np.ndarray]:
    r, dlv = np.diff(np.log(s), axis=0), np.diff(np.log(v), axis=0)
    out = {f"SPX {k}": x for k, x in st.moments(r).items()}
    out |= {f"ln VIX change {k}": x for k, x in st.moments(dlv).items()}
    out |= {"VIX mean": v.mean(0), "VIX median": np.median(v, 0)}
    out |= {"VIX 5% quantile": np.quantile(v, 0.05, 0), "VIX 95% quantile": np.quantile(v, 0.95, 0)}
    phi = st.ar1(np.log(v))
    out |= {"ln VIX lag-1 autocorrelation": phi, "VIX half-life (trading days)": st.half_life(phi)}
    ok = np.isfinite(f30)
    contango = np.where(ok, f30 >= v, False)
    out["contango share (30-day point >= VIX)"] = contango.sum(0) / ok.sum(0)
    slope = np.where(ok, f30 / v - 1.0, np.nan)
    for q in (5, 25, 50, 75, 95):
        out[f"slope 30d/VIX - 1, {q}% quantile"] = np.nanpercentile(slope, q, axis=0)
    back = ok & ~contango
    mean_spell, longest = st.spells(back)
    out |= {"backwardation mean spell (days)": mean_spell, "backwardation longest spell (days)": longest}
    out["largest 1-month VIX rise (ratio)"] = st.max_rise(v)
    out["realized SPX variance / VIX^2"] = (r**2).mean(0) * 252 / ((v[:-1] / 100) ** 2).mean(0)
    for regime, m in (("contango", contango[:-1]), ("backwardation", back[:-1])):
        out[f"corr(SPX, dVIX), {regime}"] = st.corr(r, np.diff(v, axis=0), m)
        for (lo, hi), tau in zip(st.BUCKETS, st.BUCKET_POINTS, strict=True):
            dcm = np.diff(cm[tau], axis=0)
            out[f"corr(dVIX, dVX {lo}-{hi}d), {regime}"] = st.corr(np.diff(v, axis=0), dcm, m & np.isfinite(dcm))
    return out


def bucket_taus(lo: float, hi: float) -> np.ndarray:
    """The six fixed days to expiry standing for a bucket in the simulated regression and the pricing row."""
    return np.linspace(lo + 2, hi - 2, 6)


def _sim_bucket_betas(fp: FactorPaths, gap_days: np.ndarray, p: SimParams) -> np.ndarray:
    """(3, n_paths): pooled slope of a fixed contract's price change on the spot VIX change, per bucket."""
    v, sv, ll = fp.vix_close, fp.short, fp.long
    dv = np.diff(v, axis=0)
    out = []
    for lo, hi in st.BUCKETS:
        taus = bucket_taus(lo, hi)
        df = np.stack(
            [
                curve_price(v[1:], sv[1:], ll[1:], np.maximum(t - gap_days, 0.0), p)
                - curve_price(v[:-1], sv[:-1], ll[:-1], np.array(t), p)
                for t in taus
            ],
            axis=-1,
        )
        out.append(st.beta(df, np.broadcast_to(dv[..., None], df.shape)))
    return np.stack(out)


def fit_report(p: SimParams, h: History, *, n_paths: int = 40, seed: int = 0) -> FitReport:
    """Simulate ``n_paths`` histories (module docstring) and compare every statistic."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    fp = simulate_factors(p, n_paths, h.dates, rng, h.events, reestimation_mask(h.dates, h.events["fomc"]), start_of(h))
    return report_on(p, h, fp, seed)


def start_of(h: History) -> Scenario:
    """The history's first state as a scenario start (spot VIX, long factor, spot gap, SPX)."""
    return Scenario("history", vix0=float(h.vix[0]), long0=float(h.long[0]), spx0=float(h.spx[0]), gap0=float(h.gap[0]))


def report_on(p: SimParams, h: History, fp: FactorPaths, seed: int) -> FitReport:
    """The fit report of simulated histories ``fp`` (run on ``h``'s days) against ``h``."""
    n_paths = fp.vix_close.shape[1]
    v, sv, ll, s = fp.vix_close, fp.short, fp.long, fp.spx_close
    sim = _panel(
        v,
        s,
        curve_price(v, sv, ll, np.array(30.0), p),
        {t: curve_price(v, sv, ll, np.array(t), p) for t in st.BUCKET_POINTS},
    )
    hv = h.vix[:, None]
    if h.md.vx is not None:
        rows = h.md.vx.dates.get_indexer(h.dates)
        curve = VXCurve.from_panel(h.md.vx, h.md.vix["close"].reindex(h.md.vx.dates).ffill().to_numpy(float))
        pts = curve.price(np.broadcast_to(np.array(st.BUCKET_POINTS), (len(h.md.vx.dates), 3)))
        hcm = {
            t: np.where(rows >= 0, pts[np.maximum(rows, 0), i], np.nan)[:, None] for i, t in enumerate(st.BUCKET_POINTS)
        }
        table = estimate_effective_vega(
            h.md.vx, h.md.vix["close"].reindex(h.md.vx.dates).ffill().to_numpy(float), st.BUCKETS
        )
        hbeta = table["beta"].to_numpy(float)
    else:
        hcm = {t: np.full_like(hv, np.nan) for t in st.BUCKET_POINTS}
        hbeta = np.full(3, np.nan)
    hist = _panel(hv, h.spx[:, None], h.f30[:, None], hcm)
    tol = {
        "SPX mean (ann.)": "abs 0.04",
        "SPX sd (ann.)": "rel 0.1",
        "SPX skewness": "abs 0.5",
        "SPX excess kurtosis": "rel 0.5",
        "SPX 1% quantile": "rel 0.15",
        "SPX 99% quantile": "rel 0.15",
        "ln VIX change mean (ann.)": "abs 0.5",
        "ln VIX change sd (ann.)": "rel 0.1",
        "ln VIX change skewness": "abs 0.4",
        "ln VIX change excess kurtosis": "rel 0.5",
        "ln VIX change 1% quantile": "rel 0.15",
        "ln VIX change 99% quantile": "rel 0.15",
        "VIX mean": "rel 0.1",
        "VIX median": "rel 0.1",
        "VIX 5% quantile": "rel 0.15",
        "VIX 95% quantile": "rel 0.15",
        "ln VIX lag-1 autocorrelation": "abs 0.01",
        "VIX half-life (trading days)": "rel 0.5",
        "contango share (30-day point >= VIX)": "abs 0.05",
        "backwardation mean spell (days)": "rel 0.5",
        "backwardation longest spell (days)": "band",
        "largest 1-month VIX rise (ratio)": "band",
        "realized SPX variance / VIX^2": "rel 0.15",
    }
    groups = (
        ("ln VIX lag", "VIX persistence"),
        ("VIX half", "VIX persistence"),
        ("SPX", "SPX returns"),
        ("ln VIX", "VIX changes"),
        ("VIX ", "VIX level"),
        ("contango", "curve"),
        ("slope", "curve"),
        ("backwardation", "curve"),
        ("largest", "VIX spikes"),
        ("realized", "SPX returns"),
        ("corr", "correlations by regime"),
    )
    rows = []
    for name, hval in hist.items():
        g = next((lab for pre, lab in groups if name.startswith(pre)), "other")
        t = tol.get(
            name, "abs 0.1" if name.startswith("corr") else "abs 0.03" if name.startswith("slope") else "rel 0.5"
        )
        rows.append(_row(g, name, float(hval[0]), sim[name], t))
    gap = np.diff(h.dates.values.astype("datetime64[D]")).astype(float)[:, None]
    sb = _sim_bucket_betas(fp, gap, p)
    vxp = curve_params(p)
    split = spot_split(p)
    for i, (lo, hi) in enumerate(st.BUCKETS):
        rows.append(
            _row("bucket beta to spot VIX", f"VX {lo}-{hi}d: dF/dVIX (pooled OLS)", hbeta[i], sb[i], "abs 0.08")
        )
        rows.append(
            _row(
                "bucket beta to spot VIX",
                f"VX {lo}-{hi}d: pricing dF/dVIX (spot, bucket mean) vs simulated",
                float(spot_dfdvix_model(bucket_taus(lo, hi), vxp, split).mean()),
                sb[i],
                "abs 0.08",
            )
        )
    dlv_h = np.diff(np.log(hv), axis=0)
    dlv_s = np.diff(np.log(v), axis=0)
    any_ev = np.zeros(len(h.dates) - 1, dtype=bool)
    for m in h.events.values():
        any_ev |= m[1:]
    for kind in ("cpi", "ppi", "fomc"):
        m = h.events[kind][1:]
        hm, hr = st.event_effect(dlv_h, m, ~any_ev)
        sm, sr = st.event_effect(dlv_s, m, ~any_ev)
        label = kind.upper() + ("" if m.sum() >= 5 else " (no dates in the store)")
        rows.append(_row("event days", f"{label}: mean ln VIX change minus other days", float(hm[0]), sm, "abs 0.01"))
        rows.append(_row("event days", f"{label}: sd ratio to other days", float(hr[0]), sr, "rel 0.25"))
    return FitReport(tuple(rows), h.span, n_paths, seed)
