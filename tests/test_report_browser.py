"""report.html in a real browser: headless Chromium opens it from disk (file://).

Fails on any console error, uncaught error, dialog or network request; checks every chart drew an SVG
with the expected number of series and that a screenshot is not blank. A second report whose layer and
event names hold ``<script>``, an ``onerror`` image and HTML entities must show them as text and run none.
Skipped, with the reason printed (pytest -ra), where Chromium or playwright is missing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from alvh.report.html import render_html
from alvh.report.model import Report
from browser import CHART_STATE_JS, chromium_path, open_file

EXE, WHY = chromium_path()
pytestmark = pytest.mark.skipif(EXE is None, reason=f"browser test skipped: {WHY}")

RUN = [sys.executable, "-c", "from alvh.cli import main; main()"]
EVIL = '<script>window.__pwned=1</script>&amp;&lt;b&gt;<img src=x onerror="window.__pwned=2">'


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real ``alvh backtest`` output folder (the default data, 18 months)."""
    out = tmp_path_factory.mktemp("browser") / "out"
    r = subprocess.run(
        [*RUN, "backtest", "--start", "2016-01-01", "--end", "2017-06-30", "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    return out


#: Every chart's traces as plotly holds them (gd.data), x and y arrays as JavaScript values.
_TRACE_DATA_JS = """() => Object.fromEntries(Array.from(document.querySelectorAll('div.chart')).map(
  d => [d.id, d.data.map(t => ({x: Array.from(t.x), y: Array.from(t.y)}))]))"""


def _not_blank(png: bytes) -> tuple[float, int]:
    """Share of non-white pixels and the number of distinct colours of a screenshot."""
    import io

    from PIL import Image

    im = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    nonwhite = float((im.min(axis=2) < 245).mean())
    colours = len(np.unique(im.reshape(-1, 3)[::7], axis=0))
    return nonwhite, colours


def test_report_opens_from_disk_renders_every_chart_and_fetches_nothing(run_dir: Path, tmp_path: Path) -> None:
    html = run_dir / "report.html"
    report = Report.from_dict(json.loads((run_dir / "report_data.json").read_text()))
    expected = {f"chart-{c.id}": len(c.series) for c in report.charts()}
    assert len(expected) >= 9  # NAV, cost x2, bought, regimes, betas, vega, decay, term structure, break-evens
    with open_file(html, tmp_path / "profile") as (page, log):
        page.wait_for_selector("body[data-rendered]", timeout=120_000)
        assert page.get_attribute("body", "data-rendered") == str(len(expected))
        state = page.evaluate(CHART_STATE_JS)
        drawn = page.evaluate(_TRACE_DATA_JS)
        shot = page.screenshot(full_page=True)
    assert log.console_errors() == []
    # the numbers plotly was given (decoded from the page's base64 float64 and shared x arrays) are the model's
    for c in report.charts():
        got = drawn[f"chart-{c.id}"]
        assert len(got) == len(c.series), c.id
        for tr, s in zip(got, c.series, strict=True):
            assert tr["x"] == s.x, (c.id, s.name)
            assert tr["y"] == s.y, (c.id, s.name)  # None (a gap) read back as null
    assert log.dialogs == []
    assert log.foreign_requests(html.resolve().as_uri()) == []  # the file itself, nothing else
    assert {s["id"]: s["expected"] for s in state} == expected
    for s in state:
        assert s["traces"] == s["expected"], s  # one drawn trace per series of the model
        assert s["drawn"] >= 1 and s["width"] > 100 and s["height"] > 100, s
    nonwhite, colours = _not_blank(shot)
    assert nonwhite > 0.05 and colours > 20, (nonwhite, colours)


def _poison(obj: object, names: dict[str, str]) -> object:
    """``obj`` (the report's JSON) with every occurrence of each key of ``names`` replaced in every string."""
    if isinstance(obj, str):
        for old, new in names.items():
            obj = obj.replace(old, new)
        return obj
    if isinstance(obj, list):
        return [_poison(v, names) for v in obj]
    if isinstance(obj, dict):
        return {k: _poison(v, names) for k, v in obj.items()}
    return obj


def test_layer_and_event_names_holding_markup_are_shown_as_text_and_never_run(run_dir: Path, tmp_path: Path) -> None:
    data = json.loads((run_dir / "report_data.json").read_text())
    names = {"short": f"short{EVIL}", "event_cpi": f"event_cpi{EVIL}", "rebalance": "rebalance</pre></table>"}
    poisoned = Report.from_dict(_poison(data, names))  # type: ignore[arg-type]
    poisoned = Report(poisoned.title, poisoned.kind, {**poisoned.meta, "rules_text": f"# {EVIL}\n"}, poisoned.sections)
    html = tmp_path / "evil.html"
    html.write_text(render_html(poisoned), encoding="utf-8")
    with open_file(html, tmp_path / "profile") as (page, log):
        page.wait_for_selector("body[data-rendered]", timeout=120_000)
        pwned = page.evaluate("() => window.__pwned === undefined ? null : window.__pwned")
        scripts = page.evaluate("() => document.scripts.length")
        images = page.evaluate("() => document.images.length")
        text = page.evaluate("() => document.body.innerText")
        legend = page.evaluate("() => Array.from(document.querySelectorAll('.legendtext')).map(e => e.textContent)")
    assert pwned is None and log.dialogs == []
    assert scripts == 3 and images == 0  # the data block, plotly.js, the drawing script: nothing injected
    assert log.console_errors() == []
    assert log.foreign_requests(html.resolve().as_uri()) == []  # the <img src=x> was never an element
    assert f"short{EVIL}" in text  # tables and the rules block show the text literally, entities included
    assert f"event_cpi{EVIL}" in text
    assert f"# {EVIL}" in text
    assert any(t.startswith(f"short{EVIL}") or t.startswith(f"beta short{EVIL}") for t in legend), legend
