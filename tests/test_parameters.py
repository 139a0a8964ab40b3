"""The parameter table: units, ranges, meanings, sources, names, validation, docs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pint
import pytest
from lbp_headache.core import units
from lbp_headache.core.errors import ParameterError
from lbp_headache.core.parameters import PARAMETERS, markdown_table, parameter_vector

SCIENCE = Path("/work/shared/science.md")
DOC = Path(__file__).resolve().parent.parent / "docs" / "model.md"

UREG = pint.UnitRegistry()  # plain pint, not the package's registry

SURNAME = r"[A-Z][A-Za-z'\-]+"
# "Surname 1995", "Surname et al. 2012", "Surname & Other 2000", "Surname and Other 2000".
AUTHOR_YEAR = re.compile(
    rf"({SURNAME})(?:\s+et al\.?|\s*(?:&|and)\s+{SURNAME})?,?\s+((?:19|20)\d\d)\b(?!;)"
)
# Journal-style citations without an author: "J Pain Res 2017;10:1723".
JOURNAL = re.compile(r"((?:[A-Z][A-Za-z]*\.?\s)+)((?:19|20)\d\d;\d+:\w+)")
# "2020 (Said et al.)": the year before the author.
YEAR_AUTHOR = re.compile(rf"\b((?:19|20)\d\d)\s*\(({SURNAME})(?:\s+et al\.?)?\)")


def _plain(text: str) -> str:
    """Strip accents so 'Fernández-de-las-Peñas' matches 'Fernandez-de-las-Penas'."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def citation_keys(text: str) -> set[tuple[str, str]]:
    """(surname, year) pairs cited in ``text``."""
    text = _plain(text)
    keys = {(m.group(1), m.group(2)) for m in AUTHOR_YEAR.finditer(text)}
    keys |= {(m.group(2), m.group(1)) for m in YEAR_AUTHOR.finditer(text)}
    keys |= {(m.group(1).strip(), m.group(2)) for m in JOURNAL.finditer(text)}
    return keys


def _science_section_3() -> str:
    """Sections 3 (single patients) and 3b (populations and trials) of science.md."""
    text = SCIENCE.read_text(encoding="utf-8")
    start = text.index("## 3.")
    end = text.index("\n## 4.", start + 1)
    return text[start:end]


def published_keys() -> set[tuple[str, str]]:
    """Citation keys of the source columns of the tables in science.md §3 and §3b."""
    keys: set[tuple[str, str]] = set()
    for line in _science_section_3().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and not set(cells[2]) <= {"-"} and cells[2] != "source":
            keys |= citation_keys(cells[2])
    return keys


def _source_problems(source: str, known: set[tuple[str, str]]) -> list[str]:
    if source.startswith("calibration: "):
        # An adopted calibration (model/core/calibrated.py): the interval, then the source it
        # had before, which must pass on its own.
        head, found, before = source.partition("; before calibration ")
        if not found or "posterior median, 95 % interval" not in head:
            return ["calibration without its interval and its source before calibration"]
        return _source_problems(before.partition(", ")[2], known)
    problems = []
    if source.startswith("assumption"):
        reason = source.partition(":")[2].strip()
        if not source.startswith("assumption: ") or len(reason.split()) < 5:
            problems.append("assumption without a reasoning of at least 5 words")
    elif not citation_keys(source):
        problems.append("neither 'assumption: ...' nor an author-year citation")
    unknown = citation_keys(source) - known
    if unknown:
        problems.append(f"cites {sorted(unknown)} not listed in science.md §3")
    return problems


def test_citation_checker_reads_science_md_and_rejects_made_up_citations():
    known = published_keys()
    assert {
        ("Chapman", "1987"),
        ("Banks", "2000"),
        ("Said", "2020"),
        ("Kosek", "2000"),
        ("Fernandez-de-las-Penas", "2006"),
        ("Costa", "2012"),
        ("Nilsson", "1995"),
        ("Strijkers", "2021"),  # §3b
        ("Williams", "2025"),
    } <= known
    assert _source_problems("Chapman et al. 1987 (about 20 min)", known) == []
    assert _source_problems("Fernández-de-las-Peñas et al. 2006", known) == []
    assert _source_problems("Smith et al. 2019, Nature 1:1", known)
    assert _source_problems("Chapman et al. 1988", known)  # right author, wrong year
    assert _source_problems("J Pain Res 2017;10:1723 pooled RCTs", known) == []
    assert _source_problems("J Pain Res 2018;11:99", known)
    assert _source_problems("assumption: tuned", known)
    assert _source_problems("a plausible value", known)
    calibrated = ("calibration: posterior median, 95 % interval 3.7-5.9 (ABC-SMC on the "
                  "emergent targets, docs/calibration.md); before calibration 3, {}")
    assert _source_problems(calibrated.format("assumption: a guess of about a month"),
                            known) == []
    assert _source_problems(calibrated.format("Chapman et al. 1987"), known) == []
    assert _source_problems(calibrated.format("assumption: tuned"), known)
    assert _source_problems(calibrated.format("Smith et al. 2019"), known)
    assert _source_problems("calibration: fitted", known)


@pytest.mark.parametrize("record", PARAMETERS, ids=[p.name for p in PARAMETERS])
def test_parameter_source_is_an_assumption_or_a_published_figure(record):
    assert _source_problems(record.source, published_keys()) == []


@pytest.mark.parametrize("record", PARAMETERS, ids=[p.name for p in PARAMETERS])
def test_parameter_record_has_unit_range_and_meaning(record):
    UREG.Unit(record.unit)  # raises for a unit pint does not understand
    assert record.low < record.high
    assert record.low <= record.value <= record.high
    assert record.meaning.strip()
    assert record.source.strip()
    assert record.group.strip()


def test_parameter_names_are_unique_snake_case():
    names = [p.name for p in PARAMETERS]
    assert len(names) == len(set(names))
    for name in names:
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", name), name


def test_parameter_vector_rejects_unknown_names_with_a_suggestion():
    with pytest.raises(ParameterError, match="did you mean 'posture_chain_stiffness'"):
        parameter_vector({"posture_chain_stifness": 1.0})
    with pytest.raises(ValueError, match="unknown parameter 'no_such_thing'"):
        parameter_vector({"no_such_thing": 1.0})


@pytest.mark.parametrize("record", PARAMETERS[::7], ids=[p.name for p in PARAMETERS[::7]])
def test_parameter_vector_enforces_the_plausible_range(record):
    span = record.high - record.low
    for value in (record.low - 0.01 * span, record.high + 0.01 * span):
        with pytest.raises(ParameterError, match=record.name):
            parameter_vector({record.name: value})
    for value in (record.low, record.high):
        assert parameter_vector({record.name: value})[PARAMETERS.index(record)] == value


def test_parameter_vector_defaults_match_the_table():
    values = parameter_vector()
    assert [float(v) for v in values] == [p.value for p in PARAMETERS]
    values[0] = -1.0  # a fresh array each call
    assert parameter_vector()[0] == PARAMETERS[0].value


def test_markdown_table_lists_every_parameter_once():
    table = markdown_table()
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert len(rows) == len(PARAMETERS)
    for record, row in zip(PARAMETERS, rows):
        assert row.startswith(f"| `{record.name}` |")
        assert record.source in row and record.meaning in row


def test_docs_model_md_contains_the_current_parameter_table():
    assert DOC.exists(), "docs/model.md is missing"
    assert markdown_table() in DOC.read_text(encoding="utf-8"), (
        "docs/model.md is stale: run `python -m lbp_headache.report.docs`"
    )


# --- pint's cache of parsed unit definitions ----------------------------------------------


def test_pint_cache_is_one_folder_per_pint_installation(monkeypatch, tmp_path):
    # pint stores absolute paths in its cache: a folder shared by two environments broke
    # for both once one was deleted, and every run then re-parsed the definitions (0.47 s
    # of a 1.4 s run, measured on a machine with an old worktree's cache).
    monkeypatch.setenv("LBP_HEADACHE_CACHE", str(tmp_path))
    monkeypatch.setattr(pint, "__file__", "/one/venv/site-packages/pint/__init__.py")
    first = units.pint_cache_folder()
    monkeypatch.setattr(pint, "__file__", "/other/venv/site-packages/pint/__init__.py")
    second = units.pint_cache_folder()
    assert first != second
    assert first.parent == second.parent == tmp_path / "pint"


def test_a_damaged_pint_cache_is_rebuilt(tmp_path):
    env = {**os.environ, "LBP_HEADACHE_CACHE": str(tmp_path)}
    build = ("from lbp_headache.core import units; "
             "print(units.registry()('6 months').to('day').magnitude)")
    for _ in range(2):  # writes the cache, then reads it
        done = subprocess.run([sys.executable, "-c", build], env=env, capture_output=True,
                              text=True, check=True)
        assert float(done.stdout) == pytest.approx(182.625)
    pickles = list((tmp_path / "pint").glob("*/*.pickle"))
    assert pickles
    for path in pickles:
        path.write_bytes(b"not a pickle")
    done = subprocess.run([sys.executable, "-c", build], env=env, capture_output=True,
                          text=True, check=True)
    assert float(done.stdout) == pytest.approx(182.625) and done.stderr == ""
    # The damaged cache was replaced by a good one: plain pint reads it without an error.
    check = ("import pint; from lbp_headache.core import units; "
             "pint.UnitRegistry(cache_folder=units.pint_cache_folder())")
    subprocess.run([sys.executable, "-c", check], env=env, check=True, capture_output=True)
