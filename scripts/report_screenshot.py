"""Screenshot of the default run's report for the README (docs/report_screenshot.png).

Usage::

    python scripts/report_screenshot.py [--out docs/report_screenshot.png] [--height 1500]

Runs ``alvh backtest`` with the default rules on the default data into a temporary folder, opens its
report.html from disk in headless Chromium with the browser tests' machinery (tests/browser.py: the same
flags, a fresh profile, every console error and request recorded) and saves the top of the page. Refuses
to save when the page logged an error or fetched anything.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from browser import open_file  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "report_screenshot.png")
    ap.add_argument("--height", type=int, default=1500, help="pixels of the page's top to keep")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "out"
        cmd = [sys.executable, "-c", "from alvh.cli import main; main()", "backtest", "--out", str(run)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        html = run / "report.html"
        with open_file(html, Path(tmp) / "profile", width=1200, height=args.height) as (page, log):
            page.wait_for_selector("body[data-rendered]", timeout=120_000)
            png = page.screenshot(full_page=False)
        if log.console_errors() or log.foreign_requests(html.resolve().as_uri()):
            raise SystemExit(f"the page was not clean: {log.console_errors()} {log.foreign_requests(html.as_uri())}")
    from PIL import Image

    im = Image.open(io.BytesIO(png)).convert("RGB")
    im = im.quantize(colors=128)  # a chart screenshot: 128 colours keep it sharp and small
    args.out.parent.mkdir(parents=True, exist_ok=True)
    im.save(args.out, optimize=True)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e3:.0f} kB, {im.size[0]}x{im.size[1]})")


if __name__ == "__main__":
    main()
