"""The chart data block of report.html: numeric series packed as base64 float64, shared x arrays written once.

The page's script (html._DRAW) decodes them; tests/test_report_browser.py checks in Chromium that the decoded
arrays equal the model's. Here: the packing itself, decoded in Python, gives back every value bit for bit, and
nothing that is not a plain number (strings, bools, ints JavaScript cannot hold) is packed.
"""

from __future__ import annotations

import base64
import json
import math
import re

import numpy as np

from alvh.report.html import PACK_MIN, _packed_figures, figure, render_html
from alvh.report.model import Chart, Report, Section, Series


def _unpack(v: object, shared: list[list[object]]) -> object:
    if isinstance(v, dict) and "f8" in v:
        raw = base64.b64decode(v["f8"])
        return [None if math.isnan(x) else x for x in np.frombuffer(raw, dtype="<f8").tolist()]
    if isinstance(v, dict) and "shared" in v:
        return shared[v["shared"]]
    return v


def _same(a: list[object], b: list[object]) -> bool:
    """Equal element by element, floats compared by their bits (so -0.0 != 0.0)."""
    if len(a) != len(b):
        return False
    for u, w in zip(a, b, strict=True):
        if isinstance(u, float) or isinstance(w, float):
            if not isinstance(u, int | float) or not isinstance(w, int | float):
                return False
            if np.float64(u).tobytes() != np.float64(w).tobytes():
                return False
        elif u != w or type(u) is not type(w):
            return False
    return True


def _chart() -> Chart:
    rng = np.random.default_rng(7)
    dates = [f"2020-01-{d:02d}" for d in range(1, 31)]
    y1 = rng.normal(size=30).tolist()
    y1[3] = None  # a gap
    y1[4] = -0.0
    y1[5] = 1e-310  # subnormal
    y1[6] = 1.7976931348623157e308
    y2 = [0.1 * k for k in range(30)]
    ints = list(range(-5, 25))
    series = [
        Series("a <b>&amp;", dates, y1),
        Series("b", list(dates), y2),  # an equal but distinct x list: shared too
        Series("ints", ints, [float(k) for k in ints], panel=0),
        Series("big ints", list(range(2**53, 2**53 + 30)), y2),  # beyond 2**53: not packed
        Series("bools", dates, [True] * 30),  # bools stay JSON booleans
        Series("short", dates[: PACK_MIN - 1], y2[: PACK_MIN - 1]),  # too short to pack
        Series("words", dates, ["<script>x</script>"] * 30),  # strings are never packed
    ]
    return Chart("c", "t", series=series)


def test_packed_numbers_decode_to_the_source_bit_for_bit() -> None:
    chart = _chart()
    block = _packed_figures({"chart-c": figure(chart)})
    traces = block["figs"]["chart-c"]["data"]
    assert len(traces) == len(chart.series)
    for tr, s in zip(traces, chart.series, strict=True):
        x, y = _unpack(tr["x"], block["shared"]), _unpack(tr["y"], block["shared"])
        assert _same(x, s.x), s.name  # type: ignore[arg-type]
        assert _same(y, s.y), s.name  # type: ignore[arg-type]
    kinds = {
        s.name: (type(tr["x"]).__name__, type(tr["y"]).__name__) for tr, s in zip(traces, chart.series, strict=True)
    }
    assert isinstance(traces[0]["y"], dict) and "f8" in traces[0]["y"]
    assert traces[0]["x"] == traces[1]["x"] == {"shared": 0}  # the dates, written once
    assert "f8" in traces[2]["x"]  # small ints packed exactly
    assert isinstance(traces[3]["x"], list), kinds  # 2**53 + 1 is not a JavaScript integer: left as JSON
    assert traces[4]["y"] == [True] * 30
    assert isinstance(traces[5]["y"], list)
    assert traces[6]["y"] == ["<script>x</script>"] * 30


def test_the_page_holds_no_raw_markup_and_its_data_block_parses() -> None:
    report = Report("r <i>", "backtest", {}, [Section("s", [_chart()])])
    page = render_html(report, js="/* plotly */")
    block = re.search(r'<script type="application/json" id="alvh-figures">(.*?)</script>', page, re.S)
    assert block is not None
    assert "<" not in block.group(1) and "&" not in block.group(1)
    data = json.loads(block.group(1))
    assert set(data) == {"shared", "figs"} and list(data["figs"]) == ["chart-c"]
    assert "<script>x</script>" not in page  # the strings are still JSON-escaped text
