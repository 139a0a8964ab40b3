"""The explorer and the handout in a real browser: headless Chromium driven by Playwright.

Debian's ``chromium`` (``/usr/bin/chromium``, installed by ``.ci/run``) with the
flags that work on a closed network. Outside CI the tests are skipped when
Playwright or Chromium is missing; in CI (``CI`` set) they fail instead, so a
missing browser can never pass unseen.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from lbp_headache import load_scenario, simulate, summarize
from lbp_headache.cli.main import main
from lbp_headache.core.disclaimer import DISCLAIMER, RED_FLAGS
from lbp_headache.explorer.presets import QUESTIONS
from lbp_headache.explorer.server import start_explorer
from lbp_headache.files.bundled import BUNDLED_FOLDER
from lbp_headache.report.handout import render_handout
from lbp_headache.trial.clinic import clinic_spec, clinic_view, load_bundled_trial
from lbp_headache.trial.runner import build_trial

CHROMIUM = os.environ.get("LBP_HEADACHE_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]
TIMEOUT = 30_000  # ms: the first run may load the compiled engine


def _missing(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"browser tests need {reason} in CI (.ci/run installs it)")
    pytest.skip(f"needs {reason}")


@pytest.fixture(scope="module")
def chromium():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright (pip install 'lbp-headache[test]')")
    if not shutil.which(CHROMIUM):
        _missing(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def explorer():
    server = start_explorer(0)
    server.warm_up()
    server.serve_in_thread()
    yield server
    server.stop()


class Watched:
    """A page with every console error, page error, failed and outside request recorded."""

    def __init__(self, browser, origin: str | None):
        # bypass_csp: Playwright's waits evaluate strings, which the page's policy forbids.
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                           accept_downloads=True, bypass_csp=True)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.errors.append(f"failed: {r.url}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.origin = origin

    def outside(self) -> list[str]:
        """Requests that left the page's own origin (for a file: the file itself)."""
        return [url for url in self.requests if not url.startswith(self.origin)
                and not url.startswith("data:") and not url.startswith("blob:")]

    def wait_rendered(self, after: int = 0) -> int:
        self.page.wait_for_function(f"window.lbpExplorer && window.lbpExplorer.rendered > {after}"
                                    " && window.lbpExplorer.pendingInputs.length === 0",
                                    timeout=TIMEOUT)
        return self.page.evaluate("window.lbpExplorer.rendered")

    def readout(self) -> tuple[float, float]:
        node = self.page.locator("#readout-days")
        return float(node.text_content()), float(node.get_attribute("data-value"))

    def close(self):
        self.context.close()


@pytest.fixture
def page(chromium, explorer):
    watched = Watched(chromium, explorer.url.rstrip("/"))
    watched.page.goto(explorer.url)
    watched.wait_rendered()
    yield watched
    watched.close()


def expected_days(name: str, **changes) -> float:
    scenario = load_scenario(BUNDLED_FOLDER / f"{name}.yaml")
    result = simulate(scenario.with_parameters(changes))
    return summarize(result)["metrics"]["headache_days_per_month"]


def test_explorer_loads_with_no_console_errors_and_shows_the_red_flags(page):
    assert page.errors == []
    assert page.outside() == [], "the page loads nothing from outside its own server"
    footer = page.page.locator("#safety")
    assert footer.is_visible()
    assert DISCLAIMER in footer.text_content()
    for flag in RED_FLAGS:
        assert flag in footer.text_content()
    # Always visible: the footer stays in view when the page scrolls.
    page.page.mouse.wheel(0, 3000)
    box = footer.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 1000 + 1
    for chart in ("#chart-headache canvas", "#chart-pain canvas", "#chart-days canvas"):
        assert page.page.locator(chart).first.is_visible()
    assert page.page.locator("#diagram line.edge").count() >= 10


def test_moving_a_slider_shows_what_simulate_gives(page):
    shown, _ = page.readout()
    assert shown == pytest.approx(expected_days("persistent_back_pain"), abs=0.051)
    before = page.page.evaluate("window.lbpExplorer.rendered")
    page.page.locator("input[data-parameter=posture_chain_stiffness]").fill("2")
    page.wait_rendered(before)
    shown, exact = page.readout()
    expected = expected_days("persistent_back_pain", posture_chain_stiffness=2.0)
    assert shown == pytest.approx(expected, abs=0.051)
    assert exact == pytest.approx(expected, abs=2e-3)
    assert expected > expected_days("persistent_back_pain") + 2.0  # it moved
    assert page.errors == []
    # The diagram's arrow from posture to neck thickens with the stiffer chain.
    assert float(page.page.locator("[data-edge=posture-neck]").get_attribute("data-weight")) > 0.4


def test_a_preset_loads_with_its_question(page):
    before = page.page.evaluate("window.lbpExplorer.rendered")
    page.page.select_option("#preset", "chronification")
    page.wait_rendered(before)
    assert page.page.locator("#question").text_content() == QUESTIONS["chronification"]
    shown, _ = page.readout()
    assert shown == pytest.approx(expected_days("chronification"), abs=0.051)
    assert page.page.locator("[data-profile=lumbar_pain] select").input_value() == "points"


def test_settings_saved_as_yaml_run_and_load_back(page, tmp_path, capsys):
    before = page.page.evaluate("window.lbpExplorer.rendered")
    page.page.check("#toggle-physical_therapy")
    page.wait_rendered(before)
    before = page.page.evaluate("window.lbpExplorer.rendered")
    page.page.locator("input[data-parameter=sensitization_feedback]").fill("0.6")
    page.wait_rendered(before)
    shown, exact = page.readout()
    with page.page.expect_download() as download:
        page.page.click("#save")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.suffix == ".yaml"
    assert main(["run", str(saved), "--out", str(tmp_path / "out"), "--no-figures"]) == 0
    capsys.readouterr()
    summary = (tmp_path / "out" / saved.stem / "summary.json").read_text()
    ran = json.loads(summary)["metrics"]["headache_days_per_month"]
    assert ran == pytest.approx(exact, abs=2e-3)
    assert round(ran, 1) == pytest.approx(shown, abs=0.051)
    # Loading the file back restores the same settings.
    before = page.page.evaluate("window.lbpExplorer.rendered")
    page.page.select_option("#preset", "healthy")
    page.wait_rendered(before)
    before = page.page.evaluate("window.lbpExplorer.rendered")
    page.page.set_input_files("#load", str(saved))
    page.wait_rendered(before)
    assert page.readout()[1] == pytest.approx(exact, abs=1e-9)
    assert page.page.locator("#toggle-physical_therapy").is_checked()
    assert page.errors == []


def test_a_b_comparison_splits_the_difference_by_pathway(page):
    # Read the counter before acting: a render that lands before it is read would be waited
    # for in vain (the race made this test flaky).
    before = page.page.evaluate("window.lbpExplorer.rendered")
    page.page.select_option("#preset", "untreated_control")
    page.wait_rendered(before)
    before = page.page.evaluate("window.lbpExplorer.rendered")
    page.page.click("#pin-a")
    page.wait_rendered(before)
    before = page.page.evaluate("window.lbpExplorer.rendered")
    page.page.select_option("#preset", "physical_therapy")
    page.wait_rendered(before)
    assert page.page.locator("#ab").is_visible()
    parts = {p: float(page.page.locator(f"[data-pathway={p}]").text_content())
             for p in ("mechanical", "neurological", "inflammatory")}
    total = expected_days("physical_therapy") - expected_days("untreated_control")
    assert sum(parts.values()) == pytest.approx(total, abs=0.16)  # three roundings of 0.05
    assert parts["mechanical"] < 0


def test_hysteresis_view_describes_the_loop(page):
    page.page.click("[data-tab=hysteresis]")
    page.page.wait_for_function("document.getElementById('h-summary').textContent.length > 0",
                                timeout=TIMEOUT)
    text = page.page.locator("#h-summary").text_content()
    # The default patient: a gradual fall and a gradual recovery, no jump either way
    # (docs/model.md, "Chronification"; a knife-edge patient is tested in test_explorer).
    assert "falls gradually" in text and "recovers gradually" in text
    assert "A late start" in page.page.locator("#h-timing").text_content()
    assert page.page.locator("#chart-loop canvas").first.is_visible()
    assert page.errors == []


def test_the_virtual_clinic_shows_what_build_trial_gives(page):
    page.page.click("[data-tab=clinic]")
    page.page.select_option("#c-trial", "duloxetine_chronic_low_back_pain")
    assert page.page.locator("#c-arms input[data-arm=placebo]").is_disabled()  # the control
    page.page.check("#c-arms input[data-arm=physical_therapy]")
    page.page.click("#c-run")
    assert page.page.locator("#c-status").text_content().startswith("running")
    page.page.wait_for_function("window.lbpExplorer.clinic.runs === 1", timeout=120_000)
    assert page.page.locator("#c-status").text_content().startswith("done in")
    assert page.page.evaluate("window.lbpExplorer.clinic.started") == 1  # one run, on request
    design = load_bundled_trial("duloxetine_chronic_low_back_pain")
    spec = clinic_spec(design, ["duloxetine", "placebo", "physical_therapy"])
    view = clinic_view(build_trial(spec, workers=1), design)
    for arm, expected in view["arms"].items():
        bar = page.page.locator(f"#c-responders g.resp[data-arm={arm}]")
        for key in ("value", "low", "high", "count", "n"):
            assert float(bar.get_attribute(f"data-{key}")) == expected["responders"][key], key
        r = expected["responders"]
        assert f"{100 * r['value']:.0f} % ({r['count']}/{r['n']})" in bar.text_content()
        chart = page.page.locator(f"#c-spaghetti .arm-chart[data-arm={arm}] canvas").first
        assert chart.is_visible()
    shown = page.page.locator("#c-published g.pub")
    assert shown.count() == len(view["published"]) == 5
    for i, row in enumerate(view["published"]):
        assert shown.nth(i).get_attribute("data-arm") == row["arm"]
        assert float(shown.nth(i).get_attribute("data-simulated")) == row["simulated"]
        assert float(shown.nth(i).get_attribute("data-published")) == row["published"]
    assert "Alev et al. 2017" in page.page.locator("#c-citations").text_content()
    footer = page.page.locator("#safety")
    assert footer.is_visible() and all(flag in footer.text_content() for flag in RED_FLAGS)
    assert page.errors == []


def test_handout_renders_every_section_and_makes_no_request(chromium, tmp_path):
    results = [simulate(load_scenario(BUNDLED_FOLDER / f"{name}.yaml"))
               for name in ("untreated_control", "duloxetine")]
    handout = tmp_path / "handout.html"
    handout.write_text(render_handout(results), encoding="utf-8")
    watched = Watched(chromium, handout.as_uri())
    try:
        watched.page.goto(handout.as_uri())
        watched.page.wait_for_load_state("load")
        assert watched.errors == []
        assert watched.requests == [handout.as_uri()], "no request but the file itself"
        for section in ("#disclaimer", "#mechanism", "#comparison", "#red-flags",
                        "#scenario-no-treatment-control", "#scenario-duloxetine"):
            box = watched.page.locator(section).bounding_box()
            assert box is not None and box["height"] > 50, section
        svgs = watched.page.locator("svg")
        assert svgs.count() == 2 + 2 * len(results)
        for i in range(svgs.count()):
            box = svgs.nth(i).bounding_box()
            assert box and box["width"] > 300 and box["height"] > 150
        pdf = watched.page.pdf(format="A4")
        assert pdf[:5] == b"%PDF-" and len(pdf) > 50_000
    finally:
        watched.close()


def test_report_command_output_opens_in_the_browser(chromium, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["report", "healthy", "-o", "one.html"]) == 0
    capsys.readouterr()
    watched = Watched(chromium, Path(tmp_path / "one.html").as_uri())
    try:
        watched.page.goto(Path(tmp_path / "one.html").as_uri())
        assert watched.errors == [] and watched.outside() == []
        assert watched.page.locator("#scenario-healthy h2").text_content() == "Healthy"
    finally:
        watched.close()
