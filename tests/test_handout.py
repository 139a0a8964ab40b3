"""The handout (``lbp-headache report``): every section, the numbers of the runs, nothing external.

A browser renders it in tests/test_browser.py; here the HTML itself is checked.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from lbp_headache import load_scenario, simulate, summarize
from lbp_headache.analysis.attribution import days_by_pathway
from lbp_headache.cli.main import main
from lbp_headache.core.disclaimer import DISCLAIMER, RED_FLAGS
from lbp_headache.report.handout import render_handout

ROOT = Path(__file__).resolve().parents[1]


class Page(HTMLParser):
    """Ids, tags, and every attribute that could load something."""

    def __init__(self):
        super().__init__()
        self.ids: list[str] = []
        self.tags: list[str] = []
        self.loads: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name == "id":
                self.ids.append(value)
            if name in ("src", "href", "xlink:href", "action", "poster", "data") and value \
                    and not value.startswith("#"):
                self.loads.append(f"{tag} {name}={value}")

    def handle_data(self, data):
        self.text.append(data)


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    return page


@pytest.fixture(scope="module")
def runs():
    names = ("untreated_control", "high_posture_chain_stiffness")
    results = [simulate(load_scenario(ROOT / "scenarios" / f"{n}.yaml")) for n in names]
    return results, render_handout(results)


def test_every_section_is_there(runs):
    results, text = runs
    page = parse(text)
    for section in ("disclaimer", "mechanism", "comparison", "scenarios", "red-flags",
                    "scenario-no-treatment-control", "scenario-high-posture-chain-stiffness"):
        assert section in page.ids, section
    assert len(page.ids) == len(set(page.ids)), "ids are unique (several inline SVGs)"
    words = " ".join(page.text)
    assert words.count(DISCLAIMER) == 2  # at the top and on the last page
    for flag in RED_FLAGS:
        assert words.count(flag) == 2, flag
    for heading in ("The mechanism in plain words", "Treatment comparison", "Key metrics",
                    "Changes from the default parameters", "Mechanical.", "Neurological.",
                    "Inflammatory."):
        assert heading in words, heading
    # The diagram, the comparison, and two figures per scenario, all inline SVG.
    assert page.tags.count("svg") == 2 + 2 * len(results)


def test_nothing_is_loaded_from_anywhere(runs):
    _, text = runs
    page = parse(text)
    assert page.loads == []
    assert not {"script", "link", "img", "iframe", "object", "embed"} & set(page.tags)
    assert not re.search(r"url\(\s*['\"]?(?!#)", text), "no CSS url() other than to an id"
    assert "@import" not in text


def test_the_numbers_are_the_runs_numbers(runs):
    results, text = runs
    words = " ".join(parse(text).text)
    for result in results:
        metrics = summarize(result)["metrics"]
        assert f"{metrics['headache_days_per_month']:.1f}" in words
        for value in days_by_pathway(result).values():
            assert f"{value:.1f}" in words
    # The stiff chain's one change from the defaults, with its default beside it.
    stiff = text[text.index("id='scenario-high-posture-chain-stiffness'"):]
    row = re.search(r"<code>posture_chain_stiffness</code></td><td class='number'>([^<]+)</td>"
                    r"<td class='number'>([^<]+)</td>", stiff)
    assert row and row.groups() == ("1", "2")
    control = text[text.index("id='scenario-no-treatment-control'"):
                   text.index("id='scenario-high-posture-chain-stiffness'")]
    assert "All parameters at their default values." in control


def test_one_scenario_has_no_comparison():
    result = simulate(load_scenario(ROOT / "scenarios" / "healthy.yaml"))
    page = parse(render_handout([result]))
    assert "comparison" not in page.ids and "scenario-healthy" in page.ids
    with pytest.raises(ValueError, match="at least one scenario"):
        render_handout([])


def test_report_command_writes_the_handout_and_refuses_bad_targets(tmp_path, capsys,
                                                                    monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(["report", "healthy", "desk_worker", "-o", "out.html",
                 "--set", "posture_chain_stiffness=1.5"])
    stdout, stderr = capsys.readouterr()
    assert code == 0, stderr
    assert "handout of Healthy, Desk worker -> out.html" in stdout
    text = (tmp_path / "out.html").read_text()
    assert "<code>posture_chain_stiffness</code>" in text  # --set is a change from defaults
    code = main(["report", "healthy", "-o", "out.html"])
    assert code == 0 and "out.html: replacing an earlier handout" in capsys.readouterr()[0]
    (tmp_path / "mine.html").write_text("my own page")
    for argv, message in ((["report", "healthy", "-o", "mine.html"], "mine.html"),
                          (["report", "healthy", "-o", "out.pdf"], "give a name ending in "
                                                                     ".html"),
                          (["report", "helthy", "-o", "x.html"], "did you mean 'healthy'"),
                          (["report", "healthy", "-o", "no/such/x.html"], "folder does not")):
        assert main(argv) == 2
        assert message in capsys.readouterr()[1]
    assert (tmp_path / "mine.html").read_text() == "my own page"
    assert not (tmp_path / "x.html").exists() and not (tmp_path / "out.pdf").exists()
