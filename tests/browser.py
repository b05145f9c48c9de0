"""Headless Chromium for the report tests (and scripts/report_screenshot.py): the system's browser, no download.

Debian's ``chromium`` package (the README's test command installs it where apt works) driven by playwright
with ``executable_path``; a fresh profile folder per launch. Everything the page does is recorded: console
messages, page errors, dialogs and every network request (a report opened from disk must make none
besides its own file).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Flags: no sandbox (root in a container), no GPU, and no background traffic of Chromium's own
#: (without --disable-background-networking it keeps trying Google endpoints and logs refused connections).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium_path() -> tuple[str | None, str]:
    """The Chromium executable and playwright, or None and the reason they cannot be used."""
    exe = os.environ.get("ALVH_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        return None, (
            "no Chromium on this machine (the README's test command installs Debian's 'chromium' package with "
            "apt-get where apt works and the user is root; install it, or set ALVH_CHROMIUM to a Chromium binary)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return None, "playwright is not installed (pip install -e '.[test]')"
    return exe, ""


@dataclass
class PageLog:
    """What a page did: console messages (type, text), uncaught errors, dialogs, requested URLs."""

    console: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def console_errors(self) -> list[str]:
        return [text for kind, text in self.console if kind == "error"] + self.errors

    def foreign_requests(self, own_url: str) -> list[str]:
        return [u for u in self.requests if u != own_url]


@contextmanager
def open_file(html: Path, profile: Path, *, width: int = 1200, height: int = 900) -> Iterator[tuple[Any, PageLog]]:
    """Open ``html`` from disk (file://) in headless Chromium; yields (page, log)."""
    from playwright.sync_api import sync_playwright

    exe, why = chromium_path()
    if exe is None:
        raise RuntimeError(why)
    log = PageLog()
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=exe,
            headless=True,
            args=list(CHROMIUM_FLAGS),
            viewport={"width": width, "height": height},
        )
        try:
            page = ctx.new_page()
            page.on("console", lambda m: log.console.append((m.type, m.text)))
            page.on("pageerror", lambda e: log.errors.append(str(e)))
            page.on("dialog", lambda d: (log.dialogs.append(d.message), d.dismiss()))
            ctx.on("request", lambda r: log.requests.append(r.url))
            page.goto(html.resolve().as_uri())
            yield page, log
        finally:
            ctx.close()


#: Every chart div: its id, the number of series it should hold, the traces plotly drew, and whether its SVG
#: has a non-empty box and drawn paths.
CHART_STATE_JS = """() => Array.from(document.querySelectorAll('div.chart')).map(d => {
  const svg = d.querySelector('svg.main-svg');
  const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
  const traces = d.querySelectorAll('g.trace');
  let drawn = 0;
  traces.forEach(t => { if (t.querySelector('path[d]:not([d=""]), path.point')) drawn += 1; });
  return {id: d.id, expected: Number(d.dataset.series), traces: traces.length, drawn: drawn,
          width: box.width, height: box.height};
})"""
