"""A :class:`~alvh.report.model.Report` as one self-contained HTML file (plotly.js embedded, nothing fetched).

Why plotly.js (docs/report.md, "Charting library"): the charts are long daily series (5,000 days on
2006-2025) a trader wants to zoom into (2008, 2020) and hover for the exact value; plotly.js draws them as
SVG in any browser from disk, and its 4.8 MB bundle ships in the ``plotly`` wheel, read here as a file
(plotly's Python package is never imported: building the figure JSON ourselves is milliseconds).

Safety: every string of the model is HTML-escaped (tables, titles, legend names: plotly's labels accept a
few tags, so they get the escaped text too, which plotly shows literally); the figure data sits in a
``<script type="application/json">`` block with ``<``, ``>`` and ``&`` written as JSON escapes; a
Content-Security-Policy allows only this file's two scripts (by SHA-256) and no network at all, so even
text that slipped through could neither run nor fetch.
"""

from __future__ import annotations

import base64
import hashlib
import html
import importlib.util
import json
from pathlib import Path
from typing import Any

from alvh.errors import DataError
from alvh.report.model import Chart, Report, Table

__all__ = ["plotly_js", "render_html", "figure"]

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#17becf")
PANEL_HEIGHT = 250


def plotly_js() -> str:
    """plotly.min.js from the installed ``plotly`` package (found without importing it)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("the plotly package is not installed", file="plotly", expected="pip install plotly")
    path = Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise DataError("plotly.min.js missing from the plotly package", file=path, expected="plotly >= 5")
    return path.read_text(encoding="utf-8")


def _t(s: object) -> str:
    """HTML text (and attribute) escape."""
    return html.escape(str(s), quote=True)


def _p(s: object) -> str:
    """A string for plotly's labels: ``& < >`` escaped (plotly reads a few tags and shows these entities as
    their characters; it would show ``&quot;`` literally, so quotes stay as they are)."""
    return html.escape(str(s), quote=False)


def figure(chart: Chart) -> dict[str, Any]:
    """The plotly figure (``data``, ``layout``) of ``chart``, every string escaped."""
    n = len(chart.panels)
    gap = 0.06
    h = (1.0 - gap * (n - 1)) / n
    layout: dict[str, Any] = {
        "title": {"text": _p(chart.title), "x": 0.01, "font": {"size": 15}},
        "height": 70 + PANEL_HEIGHT * n,
        "margin": {"l": 70, "r": 20, "t": 40, "b": 45},
        "hovermode": "x unified" if chart.x_kind == "date" else "closest",
        "legend": {"orientation": "h", "y": -0.12 if n == 1 else -0.06},
        "barmode": "relative" if any(s.stack for s in chart.series) else "group",
        "shapes": [],
        "annotations": [],
        "xaxis": {
            "title": {"text": _p(chart.x_title)},
            "anchor": f"y{n if n > 1 else ''}",
            "type": {"date": "date", "category": "category", "number": "linear"}[chart.x_kind],
        },
    }
    for k, title in enumerate(chart.panels):
        top = 1.0 - k * (h + gap)
        layout[f"yaxis{k + 1 if k else ''}"] = {
            "title": {"text": _p(title)},
            "domain": [max(0.0, top - h), top],
            "zeroline": True,
            **({"type": "log"} if k in chart.log_panels else {}),
        }
    data = []
    for i, s in enumerate(chart.series):
        color = s.color or PALETTE[i % len(PALETTE)]
        tr: dict[str, Any] = {
            "name": _p(s.name),
            "x": s.x,
            "y": s.y,
            "xaxis": "x",
            "yaxis": f"y{s.panel + 1 if s.panel else ''}",
        }
        if s.kind == "bar":
            tr.update(type="bar", marker={"color": color})
        else:
            mode = "markers" if s.kind == "markers" else "lines"
            tr.update(type="scatter", mode=mode, line={"color": color, "width": 1.4, "dash": "dot" if s.dash else None})
            if s.kind == "markers":
                tr["marker"] = {"color": color, "size": 7, "symbol": "triangle-up"}
            if s.kind == "area":
                tr["fill"] = "tozeroy"
        if s.text is not None:
            tr["text"] = [_p(x) for x in s.text]
            tr["hovertemplate"] = "%{text}: %{y}<extra>" + _p(s.name) + "</extra>"
        data.append(tr)

    def yref(panel: int | None) -> str:
        return "paper" if panel is None else f"y{panel + 1 if panel else ''} domain"

    for b in chart.vbands:
        layout["shapes"].append(
            {
                "type": "rect",
                "xref": "x",
                "yref": yref(b.panel),
                "x0": b.x0,
                "x1": b.x1,
                "y0": 0,
                "y1": 1,
                "fillcolor": b.color,
                "opacity": 0.18,
                "line": {"width": 0},
                "layer": "below",
            }
        )
    for y, label, panel in chart.hlines:
        ax = f"y{panel + 1 if panel else ''}"
        layout["shapes"].append(
            {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": ax, "y0": y, "y1": y, "line": {"dash": "dash"}}
        )
        layout["annotations"].append(
            {"xref": "paper", "x": 1, "xanchor": "right", "yref": ax, "y": y, "text": _p(label), "showarrow": False}
        )
    for y0, y1, label, panel in chart.hbands:
        ax = f"y{panel + 1 if panel else ''}"
        layout["shapes"].append(
            {
                "type": "rect",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "yref": ax,
                "y0": y0,
                "y1": y1,
                "fillcolor": "#2ca02c",
                "opacity": 0.15,
                "line": {"width": 0},
                "layer": "below",
            }
        )
        layout["annotations"].append(
            {"xref": "paper", "x": 0, "xanchor": "left", "yref": ax, "y": y1, "text": _p(label), "showarrow": False}
        )
    return {"data": data, "layout": layout}


def _json_for_script(obj: object) -> str:
    """JSON safe inside a <script> block: no ``</script>``, ``<!--`` or entity can end or change it."""
    text = json.dumps(obj, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


_DRAW = """
(function () {
  var figs = JSON.parse(document.getElementById("alvh-figures").textContent);
  var config = {displaylogo: false, responsive: true, typesetMath: false};
  var jobs = Object.keys(figs).map(function (id) {
    var f = figs[id];
    return Plotly.newPlot(document.getElementById(id), f.data, f.layout, config);
  });
  Promise.all(jobs).then(function () { document.body.setAttribute("data-rendered", String(jobs.length)); },
                         function (e) { console.error("alvh report: a chart failed: " + e); });
})();
"""

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1180px;padding:16px;
color:#222}h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:32px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #ddd;padding:3px 8px}
th{background:#f3f3f3;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
p.note{color:#555;font-size:12.5px;margin:2px 0 14px}pre{background:#f7f7f7;padding:8px;font-size:12px;
overflow:auto;max-height:480px}nav a{margin-right:12px;font-size:13px}.chart{min-height:200px}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 14px;font-size:13px}dt{font-weight:600}
"""


def _table(t: Table) -> str:
    head = "".join(f"<th>{_t(c)}</th>" for c in t.columns)

    def cell(v: str) -> str:
        num = v.replace(",", "").replace(".", "", 1).lstrip("+-").replace("%", "").strip().isdigit()
        return f'<td class="n">{_t(v)}</td>' if num else f"<td>{_t(v)}</td>"

    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in t.rows)
    note = f'<p class="note">{_t(t.note)}</p>' if t.note else ""
    return f'<h3>{_t(t.title)}</h3><table id="{_t(t.id)}"><tr>{head}</tr>{body}</table>{note}'


def render_html(report: Report, *, js: str | None = None) -> str:
    """The whole HTML document of ``report`` (``js``: plotly.min.js text, read from plotly when None)."""
    js = plotly_js() if js is None else js
    figures: dict[str, Any] = {}
    parts: list[str] = []
    toc = []
    for k, sec in enumerate(report.sections):
        sid = f"sec{k}"
        toc.append(f'<a href="#{sid}">{_t(sec.title)}</a>')
        parts.append(f'<h2 id="{sid}">{_t(sec.title)}</h2>')
        if sec.intro:
            parts.append(f"<p>{_t(sec.intro)}</p>")
        for it in sec.items:
            if isinstance(it, str):
                parts.append(f"<p>{_t(it)}</p>")
            elif isinstance(it, Table):
                parts.append(_table(it))
            else:
                cid = f"chart-{it.id}"
                figures[cid] = figure(it)
                parts.append(f'<div class="chart" id="{_t(cid)}" data-series="{len(it.series)}"></div>')
                if it.note:
                    parts.append(f'<p class="note">{_t(it.note)}</p>')
    meta = report.meta
    rows = "".join(f"<dt>{_t(k)}</dt><dd>{_t(v)}</dd>" for k, v in meta.items() if k != "rules_text")
    repro = f"<h2 id='repro'>Reproduce this report</h2><dl>{rows}</dl>"
    if "rules_text" in meta:
        repro += f"<h3>Rules file used</h3><pre>{_t(meta['rules_text'])}</pre>"
    toc.append("<a href='#repro'>Reproduce</a>")
    data_js = _json_for_script(figures)
    csp = (
        "default-src 'none'; "
        f"script-src 'sha256-{_sha(js)}' 'sha256-{_sha(_DRAW)}'; "
        "style-src 'unsafe-inline'; img-src data:; font-src 'none'; connect-src 'none'; base-uri 'none'; "
        "form-action 'none'"
    )
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        f"<title>{_t(report.title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{_t(report.title)}</h1><nav>{''.join(toc)}</nav>{''.join(parts)}{repro}"
        f'<script type="application/json" id="alvh-figures">{data_js}</script>'
        f"<script>{js}</script><script>{_DRAW}</script></body></html>\n"
    )


def _sha(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
