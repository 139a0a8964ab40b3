"""Take the screenshots of the explorer and the handout that docs/ and the README show.

Usage (needs Debian's chromium and Playwright, as the browser tests do)::

    .venv/bin/python docs/screenshots.py

Writes ``docs/explorer.png`` (A/B: physical therapy against no treatment),
``docs/explorer_hysteresis.png``, ``docs/explorer_clinic.png`` (the virtual
clinic: manual therapy against usual care in the Castien 2011 design) and
``docs/handout.png`` (the top of the handout of the bundled treatment
comparison).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from lbp_headache import load_scenario, simulate
from lbp_headache.explorer.server import start_explorer
from lbp_headache.files.bundled import BUNDLED_FOLDER
from lbp_headache.report.demo import TREATMENT_SET
from lbp_headache.report.handout import render_handout
from playwright.sync_api import sync_playwright

DOCS = Path(__file__).resolve().parent
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def settle(page) -> None:
    page.wait_for_function("window.lbpExplorer.pendingInputs.length === 0 && "
                           "!window.lbpExplorer.state.inflight", timeout=60_000)
    page.wait_for_timeout(300)


def main() -> None:
    explorer = start_explorer(0)
    explorer.warm_up()
    explorer.serve_in_thread()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=FLAGS)
            page = browser.new_context(viewport={"width": 1600, "height": 1050},
                                       bypass_csp=True).new_page()
            page.goto(explorer.url)
            page.wait_for_function("window.lbpExplorer && window.lbpExplorer.rendered > 0")
            page.select_option("#preset", "untreated_control")
            settle(page)
            page.click("#pin-a")
            settle(page)
            page.select_option("#preset", "physical_therapy")
            settle(page)
            page.evaluate("document.querySelector('aside.controls').scrollTop = 0")
            page.screenshot(path=str(DOCS / "explorer.png"))
            page.click("[data-tab=hysteresis]")
            page.wait_for_function("document.getElementById('h-summary').textContent.length")
            page.wait_for_timeout(500)
            page.screenshot(path=str(DOCS / "explorer_hysteresis.png"))
            page.set_viewport_size({"width": 1600, "height": 1450})
            page.click("[data-tab=clinic]")
            page.select_option("#c-trial", "manual_therapy_ctth")
            page.click("#c-run")
            page.wait_for_function("window.lbpExplorer.clinic.runs > 0", timeout=120_000)
            page.wait_for_timeout(500)
            page.screenshot(path=str(DOCS / "explorer_clinic.png"))
            results = [simulate(load_scenario(BUNDLED_FOLDER / f"{name}.yaml"))
                       for name in TREATMENT_SET]
            with tempfile.TemporaryDirectory() as folder:
                handout = Path(folder) / "handout.html"
                handout.write_text(render_handout(results), encoding="utf-8")
                page = browser.new_page(viewport={"width": 1150, "height": 1400})
                page.goto(handout.as_uri())
                page.screenshot(path=str(DOCS / "handout.png"))
            browser.close()
    finally:
        explorer.stop()


if __name__ == "__main__":
    main()
