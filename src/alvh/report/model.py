"""The report as data: sections of charts, tables and text, independent of how they are drawn.

A :class:`Report` is built from result objects (``report/backtest_report.py``), saved as JSON
(``report_data.json`` in a run folder) and drawn by a renderer: ``report/html.py`` (one self-contained
HTML file, plotly.js embedded), ``report/png.py`` (matplotlib PNG files). ``alvh report RUN_DIR`` redraws a
saved report without rerunning; ``alvh compare`` reads two or more.

Every string here is plain text (a layer name, a rules comment): renderers escape it, nothing in the
model is markup. Numbers in tables are already formatted (the figure printed is the figure computed,
with the decimals chosen where it is computed); chart values are floats (``None`` = no value that day).

Adding a section (e.g. a sweep's frontier chart) to a run's report::

    from alvh.report.model import Chart, Series, Section, Table
    report = report.with_section(Section("Sweep frontier", [Chart("frontier", "cost vs ES", series=[...])]))
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import numpy as np

from alvh.errors import DataError

__all__ = ["VBand", "Chart", "Report", "Section", "Series", "Table", "clean_floats"]

SeriesKind = Literal["line", "bar", "markers", "area"]


def clean_floats(values: Iterable[Any]) -> list[float | None]:
    """Floats with NaN/inf as None (JSON cannot hold NaN; a chart shows a gap)."""
    arr = np.asarray(values if not isinstance(values, Iterator) else list(values), dtype=float).ravel()
    out: list[float | None] = arr.tolist()
    bad = np.flatnonzero(~np.isfinite(arr))
    for i in bad.tolist():
        out[i] = None
    return out


@dataclass(frozen=True)
class Series:
    """One trace: ``x`` (ISO dates, categories or numbers) against ``y``; ``panel`` = which stacked panel."""

    name: str
    x: list[Any]
    y: list[float | None]
    kind: SeriesKind = "line"
    panel: int = 0
    color: str | None = None
    dash: bool = False
    stack: bool = False  # bars of one panel drawn stacked (positive up, negative down)
    text: list[str] | None = None  # per-point hover text (e.g. the contract held)


@dataclass(frozen=True)
class VBand:
    """A shaded x interval (a regime run): ``x0..x1`` in panel ``panel`` (None = every panel)."""

    x0: Any
    x1: Any
    label: str
    color: str
    panel: int | None = None


@dataclass(frozen=True)
class Chart:
    """A chart of one or more stacked panels sharing the x axis (``panels``: each panel's y-axis title)."""

    id: str
    title: str
    series: list[Series]
    panels: list[str] = field(default_factory=lambda: [""])
    x_title: str = ""
    x_kind: Literal["date", "category", "number"] = "date"
    hlines: list[tuple[float, str, int]] = field(default_factory=list)  # (y, label, panel)
    hbands: list[tuple[float, float, str, int]] = field(default_factory=list)  # (y0, y1, label, panel)
    vbands: list[VBand] = field(default_factory=list)
    log_panels: list[int] = field(default_factory=list)  # panels drawn on a log y axis
    note: str = ""  # one sentence under the chart: what it shows, units, sample


@dataclass(frozen=True)
class Table:
    """A table of formatted cells; ``note`` states the unit, sample size and what the interval is."""

    id: str
    title: str
    columns: list[str]
    rows: list[list[str]]
    note: str = ""


@dataclass(frozen=True)
class Section:
    """A titled part of the report: charts, tables and paragraphs (plain text) in order."""

    title: str
    items: list[Chart | Table | str]
    intro: str = ""


@dataclass(frozen=True)
class Report:
    """A whole report: title, the reproduction block (``meta``: rules text, span, version, seed, hash)."""

    title: str
    kind: str  # "backtest", "simulation", "comparison"
    meta: dict[str, Any]
    sections: list[Section]

    def with_section(self, section: Section, *, before: str | None = None) -> Report:
        """A copy with ``section`` added at the end (or before the section titled ``before``)."""
        secs = list(self.sections)
        at = next((i for i, s in enumerate(secs) if s.title == before), len(secs)) if before else len(secs)
        secs.insert(at, section)
        return replace(self, sections=secs)

    def charts(self) -> list[Chart]:
        return [it for s in self.sections for it in s.items if isinstance(it, Chart)]

    def tables(self) -> list[Table]:
        return [it for s in self.sections for it in s.items if isinstance(it, Table)]

    # ------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        def item(it: Chart | Table | str) -> dict[str, Any]:
            if isinstance(it, str):
                return {"type": "text", "text": it}
            return {"type": "chart" if isinstance(it, Chart) else "table", **asdict(it)}

        return {
            "format": "alvh-report/1",
            "title": self.title,
            "kind": self.kind,
            "meta": self.meta,
            "sections": [
                {"title": s.title, "intro": s.intro, "items": [item(it) for it in s.items]} for s in self.sections
            ],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], source: str = "report_data.json") -> Report:
        """Read :meth:`to_dict`'s output back; DataError naming ``source`` when it is not one."""
        if not isinstance(d, dict) or d.get("format") != "alvh-report/1":
            raise DataError("not an alvh report", file=source, expected='a JSON object with "format": "alvh-report/1"')
        try:
            secs = [Section(s["title"], [_item(it) for it in s["items"]], s.get("intro", "")) for s in d["sections"]]
            return cls(d["title"], d["kind"], dict(d["meta"]), secs)
        except (KeyError, TypeError) as exc:
            raise DataError(f"malformed report ({type(exc).__name__}: {exc})", file=source) from None


def _item(d: dict[str, Any]) -> Chart | Table | str:
    kind = d.pop("type")
    if kind == "text":
        return str(d["text"])
    if kind == "table":
        return Table(**d)
    d["series"] = [Series(**s) for s in d["series"]]
    d["vbands"] = [VBand(**b) for b in d.get("vbands", [])]
    d["hlines"] = [tuple(h) for h in d.get("hlines", [])]
    d["hbands"] = [tuple(h) for h in d.get("hbands", [])]
    return Chart(**d)
