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

Size and speed (docs/report.md, "Chart data in the page"): a 2006-2025 report holds ~25 daily series of
~4,900 points. Their numbers go into the data block as base64 of little-endian float64 (``{"f8": ...}``, the
exact doubles: the page's script decodes them to the same JavaScript numbers JSON would have given, NaN as
``null``), and an x array that several traces share (the dates) is written once (``{"shared": k}``): JSON
for every float took ~0.1 s and ~2.5 MB of the 8.5 MB page. Strings are never packed: they stay JSON text,
escaped as above.
"""

from __future__ import annotations

import base64
import hashlib
import html
import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np

from alvh.errors import DataError
from alvh.report.model import Chart, Code, Report, Table

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


#: A list of numbers at least this long is packed as float64 (shorter ones stay JSON: not worth the decode).
PACK_MIN = 16
_PACKABLE = frozenset({float, int, type(None)})


def _packable(values: list[Any]) -> bool:
    """Whether every value is a float, an int JavaScript holds exactly, or None (a gap)."""
    if len(values) < PACK_MIN:
        return False
    types = set(map(type, values))
    if not types <= _PACKABLE:  # bool, str, numpy scalars...: left as they are
        return False
    return int not in types or all(-(2**53) <= v <= 2**53 for v in values if type(v) is int)


def _pack_f8(values: list[Any]) -> dict[str, str]:
    """``{"f8": base64}`` of ``values`` as little-endian float64 (None as NaN, decoded back to null)."""
    arr = np.array(values, dtype="<f8")  # None -> NaN; floats bit for bit; ints exactly (checked above)
    return {"f8": base64.b64encode(arr.tobytes()).decode("ascii")}


def _packed_figures(figures: dict[str, Any]) -> dict[str, Any]:
    """``{"shared": [x arrays used by several traces], "figs": figures}`` with numeric x/y packed as float64
    and repeated x arrays replaced by ``{"shared": k}`` (decoded by :data:`_DRAW`; same values)."""
    shared: list[Any] = []
    index: dict[tuple[Any, ...], int] = {}
    counts: dict[tuple[Any, ...], int] = {}
    keys: dict[int, tuple[Any, ...] | None] = {}  # id of an x list -> its key (None: packed, not shared)
    for fig in figures.values():
        for tr in fig["data"]:
            x = tr.get("x")
            if isinstance(x, list) and x and id(x) not in keys:
                keys[id(x)] = None if _packable(x) else tuple(x)
            key = keys.get(id(x)) if isinstance(x, list) else None
            if key is not None:
                counts[key] = counts.get(key, 0) + 1
    figs: dict[str, Any] = {}
    for cid, fig in figures.items():
        data = []
        for tr in fig["data"]:
            tr = dict(tr)
            x, y = tr.get("x"), tr.get("y")
            if isinstance(y, list) and _packable(y):
                tr["y"] = _pack_f8(y)
            if isinstance(x, list) and x:
                key = keys[id(x)]
                if key is None:
                    tr["x"] = _pack_f8(x)
                elif counts[key] > 1:
                    if key not in index:
                        index[key] = len(shared)
                        shared.append(x)
                    tr["x"] = {"shared": index[key]}
            data.append(tr)
        figs[cid] = {**fig, "data": data}
    return {"shared": shared, "figs": figs}


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
  var block = JSON.parse(document.getElementById("alvh-figures").textContent);
  function f8(b64) {  // base64 little-endian float64 -> numbers, NaN -> null (a gap, as JSON's null)
    var bin = atob(b64), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var view = new DataView(bytes.buffer), out = new Array(bin.length / 8);
    for (var j = 0; j < out.length; j++) { var v = view.getFloat64(8 * j, true); out[j] = v === v ? v : null; }
    return out;
  }
  function unpack(v) {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    if (typeof v.f8 === "string") return f8(v.f8);
    if (typeof v.shared === "number") return block.shared[v.shared].slice();
    return v;
  }
  var figs = block.figs;
  Object.keys(figs).forEach(function (id) {
    figs[id].data.forEach(function (tr) {
      if ("x" in tr) tr.x = unpack(tr.x);
      if ("y" in tr) tr.y = unpack(tr.y);
    });
  });
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
            elif isinstance(it, Code):
                parts.append(f"<pre>{_t(it.text)}</pre>")
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
    data_js = _json_for_script(_packed_figures(figures))
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
