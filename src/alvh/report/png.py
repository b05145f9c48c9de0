"""A :class:`~alvh.report.model.Chart` as a PNG file (matplotlib, no pyplot: no global figure state).

Why matplotlib for PNG: it is already a dependency and draws without a browser; plotly's own PNG export
needs kaleido (a bundled Chrome), which alvh does not ship. The same Chart model feeds the HTML report, so
the PNG shows the same series, bands and lines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from alvh.report.html import PALETTE
from alvh.report.model import Chart, Series

__all__ = ["chart_png"]


def _t(text: str) -> str:
    """Plain text for matplotlib: ``$`` would start mathtext (a "$ per VIX point" label, a user's name)."""
    return str(text).replace("$", r"\$")


def _xs(chart: Chart, s: Series, categories: dict[str, int]) -> np.ndarray:
    if chart.x_kind == "date":
        return np.array(s.x, dtype="datetime64[D]")
    if chart.x_kind == "category":
        return np.array([categories.setdefault(str(v), len(categories)) for v in s.x], dtype=float)
    return np.array(s.x, dtype=float)


def _band_x(chart: Chart, v: object, categories: dict[str, int]) -> object:
    if chart.x_kind == "date":
        return np.datetime64(str(v), "D")
    if chart.x_kind == "category":
        return categories.get(str(v), 0)
    return float(v)  # type: ignore[arg-type]


def chart_png(chart: Chart, path: Path, *, dpi: int = 110) -> Path:
    """Draw ``chart`` into ``path`` (its folder created); returns ``path``."""
    fig = chart_figure(chart, dpi=dpi)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path


def _money_axis(ax: Any, title: str) -> str:
    """A dollar panel above $1M: ticks in $ millions ("11.5", not matplotlib's "1e7" offset); its label."""
    from matplotlib.ticker import FuncFormatter

    lo, hi = ax.get_ylim()
    if "($)" not in title or max(abs(lo), abs(hi)) < 1e6:
        return title
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v / 1e6:,.1f}"))
    return title.replace("($)", "($ millions)")


def chart_figure(chart: Chart, *, dpi: int = 110) -> Any:
    """``chart`` drawn on a matplotlib Figure (Agg canvas), as :func:`chart_png` saves it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    n = len(chart.panels)
    fig = Figure(figsize=(11, 1.0 + 2.6 * n), dpi=dpi)
    FigureCanvasAgg(fig)
    axes = fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0]
    categories: dict[str, int] = {}
    for s in chart.series:  # fix the category order first (the order of the first series that names them)
        _xs(chart, s, categories)
    _draw_series(chart, axes, categories)
    for b in chart.vbands:
        for k, ax in enumerate(axes):
            if b.panel is None or b.panel == k:
                ax.axvspan(
                    _band_x(chart, b.x0, categories), _band_x(chart, b.x1, categories), color=b.color, alpha=0.15, lw=0
                )
    for y, label, panel in chart.hlines:
        axes[panel].axhline(y, ls="--", color="#444444", lw=1)
        axes[panel].annotate(_t(label), (1, y), xycoords=("axes fraction", "data"), ha="right", va="bottom", fontsize=8)
    for y0, y1, label, panel in chart.hbands:
        axes[panel].axhspan(y0, y1, color="#2ca02c", alpha=0.2, lw=0, label=_t(label))
    for k, (ax, title) in enumerate(zip(axes, chart.panels, strict=True)):
        if k in chart.log_panels:
            ax.set_yscale("log")
        else:
            title = _money_axis(ax, title)
        ax.set_ylabel(_t(title), fontsize=8)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, loc="best", ncol=3)
    if chart.x_kind == "category" and categories:
        names = list(categories)
        step = max(1, len(names) // 24)
        axes[-1].set_xticks(range(0, len(names), step), [_t(v) for v in names[::step]], rotation=60, fontsize=7)
    axes[-1].set_xlabel(_t(chart.x_title))
    axes[0].set_title(_t(chart.title), fontsize=10, loc="left")
    fig.tight_layout()
    return fig


def _draw_series(chart: Chart, axes: Any, categories: dict[str, int]) -> None:
    bottoms: dict[tuple[int, bool], np.ndarray] = {}
    ncat = max(len(categories), 1)
    for i, s in enumerate(chart.series):
        ax = axes[s.panel]
        color = s.color or PALETTE[i % len(PALETTE)]
        x = _xs(chart, s, categories)
        y = np.array([np.nan if v is None else v for v in s.y], dtype=float)
        if s.kind == "bar":
            width = 0.8 if chart.x_kind != "date" else 20.0
            if s.stack:
                idx = x.astype(int)
                pos = np.where(y > 0, y, 0.0)
                neg = np.where(y < 0, y, 0.0)
                for sign, part in ((True, pos), (False, neg)):
                    base = bottoms.setdefault((s.panel, sign), np.zeros(ncat))
                    ax.bar(
                        idx,
                        np.nan_to_num(part),
                        bottom=base[idx],
                        width=width,
                        color=color,
                        label=_t(s.name) if sign else None,
                    )
                    base[idx] += np.nan_to_num(part)
            else:
                nbar = sum(1 for t in chart.series if t.kind == "bar" and t.panel == s.panel and not t.stack)
                k = [t for t in chart.series if t.kind == "bar" and t.panel == s.panel and not t.stack].index(s)
                w = width / max(nbar, 1)
                ax.bar(x + float(k - (nbar - 1) / 2) * w, np.nan_to_num(y), width=w, color=color, label=_t(s.name))
        elif s.kind == "markers":
            ax.plot(x, y, "^", color=color, label=_t(s.name), markersize=5)
        else:
            ax.plot(x, y, color=color, lw=1.1, ls=":" if s.dash else "-", label=_t(s.name))
            if s.kind == "area":
                ax.fill_between(x, y, 0, color=color, alpha=0.3)
