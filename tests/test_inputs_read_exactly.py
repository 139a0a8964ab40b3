"""Inputs are read exactly as written, or refused with every reading named (issue 10).

One test per class of silent misreading, unbounded cost, path escape or
traceback that the input contract rules out.
"""

from __future__ import annotations

import json
import os
import threading
import time

import pytest
from lbp_headache.cli.main import main
from lbp_headache.core.errors import Problem, ScenarioError
from lbp_headache.core.units import to_canonical
from lbp_headache.files.yaml_source import parse_yaml
from lbp_headache.scenario.reader import load_scenario, load_scenario_text


def problems_of(path: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return [str(p) for p in caught.value.problems]


def only_problem(path: str) -> str:
    found = problems_of(path)
    assert len(found) == 1, found
    return found[0]


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# --- 1. never guess a number --------------------------------------------------------------


@pytest.mark.parametrize(("value", "readings"), [
    ("0,8", ("0.8", "8")),
    ("1,2 g/day", ("1.2", "12")),
    ("1,5 years", ("1.5", "15")),
    ("1,200 mg/day", ("1.200", "1200")),
])
def test_a_decimal_comma_is_refused_with_both_readings(value, readings):
    with pytest.raises(ValueError) as caught:
        to_canonical(value, "mg/day" if "g/day" in value else
                     "day" if "year" in value else "dimensionless")
    message = str(caught.value)
    assert "comma" in message
    for reading in readings:
        assert f" {reading} " in message, message


def test_decimal_comma_in_a_scenario_names_file_line_key(write_yaml):
    path = write_yaml("s.yaml", """\
        duration: 12 months
        treatments:
          - type: physical_therapy
            adherence: 0,8
        """)
    assert only_problem(path).startswith(
        "s.yaml:4: treatments[0].adherence: '0,8' has a comma: it could be 0.8")


@pytest.mark.parametrize(("text", "old", "new"), [
    ("on", "true", "the text 'on'"),
    ("yes", "true", "the text 'yes'"),
    ("010", "the number 8", "the number 10"),
    ("1:30", "the number 90", "the text '1:30'"),
    ("1_000", "the number 1000", "the text '1_000'"),
    ("0b101", "the number 5", "the text '0b101'"),
    ("0o17", "the text '0o17'", "the number 15"),
])
def test_yaml_11_and_12_readings_that_differ_are_refused_naming_both(write_yaml, text, old,
                                                                      new):
    path = write_yaml("s.yaml", f"duration: 10\nlumbar_pain: {text}\n")
    message = only_problem(path)
    assert message.startswith("s.yaml:2: lumbar_pain: ")
    assert f"read as {old} by YAML 1.1" in message and f"as {new} by YAML 1.2" in message


@pytest.mark.parametrize("text", ["07", "1e1", "+.5e1", "5.0", "2.50"])
def test_numbers_both_yaml_versions_agree_on_are_read(write_yaml, text):
    path = write_yaml("s.yaml", f"duration: 10\nlumbar_pain: {text}\n")
    assert load_scenario(path).lumbar_pain.max_value == float(text)


def test_text_keys_read_what_was_written(write_yaml):
    path = write_yaml("s.yaml", "name: 1.50\nduration: 10\n")
    assert load_scenario(path).name == "1.50"
    path = write_yaml("t.yaml", "name: yes\ndescription: 2024-01-01\nduration: 10\n")
    scenario = load_scenario(path)
    assert (scenario.name, scenario.description) == ("yes", "2024-01-01")


def test_a_comma_between_digits_in_a_flow_list_is_refused(write_yaml):
    path = write_yaml("s.yaml", "duration: 10\nlumbar_pain:\n  type: ramp\n"
                      "  points: [{at: 0, value: 1}, {at: 5,5, value: 2}]\n")
    message = only_problem(path)
    assert "'5,5' could be two values (5 and 5) or one number with a decimal comma (5.5)" \
        in message, message


@pytest.mark.parametrize(("text", "hint"), [
    ("5 days;", "unexpected ';'"),
    ("6 months 2", "unexpected '2'"),
    ("1.2.3 days", "unexpected '.3 days'"),
    ("12 months foo", "unexpected 'foo'"),
    ("2 weeks 3 days", "write '+' between them"),
    ("10 ** 10 ** 10 days", "arithmetic on numbers is not allowed"),
    ("6 months + 3", "every term needs a unit"),
    ("5 day^9", "powers up to 4"),
])
def test_a_quantity_must_parse_completely(text, hint):
    with pytest.raises(ValueError) as caught:
        to_canonical(text, "day")
    assert hint in str(caught.value)


def test_sums_and_units_that_are_written_exactly_still_work():
    assert to_canonical("6 months + 3 weeks", "day") == 182.625 + 21
    assert to_canonical("36 hours", "day") == 1.5
    assert to_canonical("1.2 g/day", "mg/day") == pytest.approx(1200.0)
    assert to_canonical("0.5 /day", "1/day") == 0.5
    assert to_canonical("50 %", "dimensionless") == 0.5


def test_a_huge_unit_string_is_refused_at_once():
    # Thread-free check that it returns quickly: the refusal happens before pint parses.
    result: list[str] = []
    worker = threading.Thread(target=lambda: result.append(_error("x" * 30_000 + " days")))
    worker.start()
    worker.join(timeout=5)
    assert not worker.is_alive() and "a quantity of 30,005 characters" in result[0]


def _error(text: str) -> str:
    try:
        to_canonical(text, "day")
    except ValueError as exc:
        return str(exc)
    return ""


@pytest.mark.parametrize("text", ["9" * 401, "!!bool maybe", "!!int 1.5", "!!float abc"])
def test_odd_scalars_are_one_line(write_yaml, text):
    path = write_yaml("s.yaml", f"duration: 10\nlumbar_pain: {text}\n")
    assert only_problem(path).startswith("s.yaml:2: lumbar_pain: ")


def test_a_401_digit_set_value_is_one_line(capsys, tmp_path):
    code, _, err = run_cli(capsys, "validate", "--set", "posture_chain_stiffness=" + "9" * 401,
                           tmp_path / "missing.yaml")
    assert code == 2 and "Traceback" not in err
    assert "--set: posture_chain_stiffness: a quantity of 401 characters" in err


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x07", "\x7f"])
def test_a_control_character_is_one_line_naming_line_and_column(write_yaml, char):
    path = write_yaml("s.yaml", f"duration: 10\nname: ab{char}c\n")
    message = only_problem(path)
    assert message.startswith(f"s.yaml:2: a control character U+{ord(char):04X}")
    assert "column 9" in message


def test_a_key_with_a_newline_prints_on_one_line(write_yaml):
    path = write_yaml("s.yaml", 'duration: 10\n"dura\\ntion": 3\n')
    message = only_problem(path)
    assert "\n" not in message and "dura\\ntion" in message


@pytest.mark.parametrize(("text", "digit"), [("５ days", "U+FF15 FULLWIDTH DIGIT FIVE"),
                                             ("١٢ days", "U+0661 ARABIC-INDIC DIGIT ONE"),
                                             ("1.５", "U+FF15")])
def test_digits_other_than_0_to_9_are_refused(write_yaml, text, digit):
    # float() reads them (found by the 20,000-mutant fuzz run: '５ days' ran as 5 days).
    path = write_yaml("s.yaml", f"duration: {text}\n")
    message = only_problem(path)
    assert message.startswith("s.yaml:1: duration: ") and digit in message
    assert "write the digits 0-9" in message


def test_a_diary_cell_with_other_digits_is_refused(write_yaml):
    write_yaml("d.csv", "day,value\n0,2\n５,3\n")
    path = write_yaml("s.yaml", "duration: 10\nlumbar_pain: {type: diary, file: d.csv}\n")
    with pytest.raises(ScenarioError, match="d.csv:3"):
        load_scenario(path)


@pytest.mark.parametrize("text", ['name: "\\ud800"', 'description: "a\\udfffb"',
                                  '"k\\ud800": 1'])
def test_a_lone_surrogate_escape_is_one_line(write_yaml, capsys, tmp_path, text):
    # Found by the fuzz run: it passed validate, then write_run raised UnicodeEncodeError.
    path = write_yaml("s.yaml", f"duration: 10\n{text}\n")
    message = only_problem(path)
    assert message.startswith("s.yaml:2: ") and "surrogate" in message
    code, _, err = run_cli(capsys, "run", path, "--out", str(tmp_path / "out"), "--no-figures")
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_problem_rendering_is_always_one_line():
    line = str(Problem("a\nb.yaml", 3, "k\u2028ey", "bad \x1b[31m value\r\n" + "x" * 5000))
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert len(line) < 1000


# --- validate --explain and the resolved scenario ---------------------------------------


def test_validate_explain_shows_how_the_file_was_read(write_yaml, capsys):
    path = write_yaml("s.yaml", """\
        duration: 18 months
        lumbar_pain:
          type: steps
          initial: 2
          steps:
            - {at: 2 months, value: 5}
        treatments:
          - type: nsaid
            start: 2
            duration: 6 weeks
            dose: 1.2 g/day
        parameters:
          tau_posture: 36 hours
        """)
    code, out, err = run_cli(capsys, "validate", "--explain", path)
    assert code == 0, err
    assert "duration: 547.875 days (18 months)" in out
    assert "from day 60.875 (2 months): 5" in out
    assert ("treatments[0]: nsaid, from day 2 up to (not including) day 44 (6.286 weeks)"
            in out)
    assert "dose 1200 mg/day" in out
    assert "parameters.tau_posture: 1.5 d" in out


def test_summary_json_records_the_resolved_scenario(write_yaml, capsys, tmp_path):
    path = write_yaml("s.yaml", "duration: 30\nlumbar_pain: 3\ntreatments:\n"
                      "  - {type: physical_therapy, start: 2}\n")
    code, _, err = run_cli(capsys, "run", path, "--out", "out", "--no-figures")
    assert code == 0, err
    doc = json.loads((tmp_path / "out" / "s" / "summary.json").read_text())
    resolved = doc["scenario"]["resolved"]
    assert resolved["duration_days"] == 30.0
    assert resolved["treatments"][0]["start_day"] == 2.0
    assert resolved["treatments"][0]["stop_day"] is None
    assert resolved["profiles"]["lumbar_pain"] == [
        {"from_day": 0.0, "to_day": None, "value_from": 3.0, "value_to": 3.0}]


# --- 3. paths stay where they belong ----------------------------------------------------


def test_extends_with_an_absolute_path_is_refused_without_reading_it(write_yaml):
    path = write_yaml("s.yaml", "extends: /etc/passwd\n")
    message = only_problem(path)
    assert "absolute paths are not allowed" in message
    assert "root:" not in message


def test_extends_outside_the_input_root_is_refused(write_yaml, tmp_path):
    outside = tmp_path.parent / f"{tmp_path.name}_outside.yaml"
    outside.write_text("duration: 10\n")
    try:
        path = write_yaml("s.yaml", f"extends: ../{outside.name}\n")
        assert "lies outside the input root" in only_problem(path)
    finally:
        outside.unlink()


def test_a_symlink_out_of_the_root_is_refused(write_yaml, tmp_path):
    secret = tmp_path.parent / f"{tmp_path.name}_secret.yaml"
    secret.write_text("duration: 10\nname: SECRET-CONTENT\n")
    try:
        os.symlink(secret, tmp_path / "link.yaml")
        path = write_yaml("s.yaml", "extends: link.yaml\n")
        message = only_problem(path)
        assert "lies outside the input root" in message and "SECRET" not in message
    finally:
        secret.unlink()


def test_a_referenced_file_is_never_quoted(write_yaml):
    write_yaml("secret.yaml", "the password is hunter2\n")
    write_yaml("data/diary.csv", "day,value\n0,hunter2\n")
    first = write_yaml("a.yaml", "extends: secret.yaml\n")
    second = write_yaml("b.yaml", "duration: 5\nlumbar_pain: {type: diary, "
                        "file: data/diary.csv}\n")
    for path in (first, second):
        for message in problems_of(path):
            assert "hunter2" not in message, message


def test_a_fifo_is_refused_without_blocking(write_yaml, tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")
    os.mkfifo(tmp_path / "pipe.csv")
    cases = {
        write_yaml("a.yaml", "extends: pipe.yaml\n"): "FIFO",
        write_yaml("b.yaml", "duration: 5\nlumbar_pain: {type: diary, file: pipe.csv}\n"):
            "FIFO",
        "pipe.yaml": "FIFO",
    }
    started = time.monotonic()
    for path, word in cases.items():
        assert word in only_problem(path)
    assert time.monotonic() - started < 5


def test_a_symlink_loop_is_one_line(write_yaml, tmp_path):
    os.symlink("loop_b.yaml", tmp_path / "loop_a.yaml")
    os.symlink("loop_a.yaml", tmp_path / "loop_b.yaml")
    path = write_yaml("s.yaml", "extends: loop_a.yaml\n")
    assert "symlink loop" in only_problem(path)


def test_a_device_is_refused(write_yaml, tmp_path):
    os.symlink("/dev/zero", tmp_path / "zero.csv")
    path = write_yaml("s.yaml", "duration: 5\nlumbar_pain: {type: diary, file: zero.csv}\n")
    message = only_problem(path)
    assert "outside the input root" in message or "device" in message


def test_scenario_text_from_outside_reads_bundled_names_only():
    scenario = load_scenario_text("extends: persistent_back_pain.yaml\nname: mine\n")
    assert scenario.name == "mine" and scenario.duration == 365.25
    for text, expected in [
        ("extends: ../scenarios/healthy.yaml\n", "only a bundled scenario by its file name"),
        ("extends: /etc/passwd.yaml\n", "only a bundled scenario by its file name"),
        ("duration: 5\nlumbar_pain: {type: diary, file: data/example_diary.csv}\n",
         "may not read data files"),
    ]:
        with pytest.raises(ScenarioError) as caught:
            load_scenario_text(text)
        assert expected in str(caught.value), str(caught.value)
        assert str(caught.value).startswith("<scenario text>:")


# --- 4. bounded cost, checked before any work -------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("duration: 50 years\noutput_step: 1 minute\n", "output times"),
    ("duration: 10\noutput_step: 5e-324 days\n", "shorter than 1 minute"),
    ("duration: 10\ntreatments:\n  - {type: nsaid, start: 1, duration: 1e-200 days}\n",
     "shorter than 1 minute"),
    ("duration: 10\ntreatments:\n  - {type: nsaid, start: 1, stop: 1.0000001}\n",
     "less than 1 minute"),
    ("duration: 12 hours\n", "shorter than 1 day"),
    ("duration: 10\nlumbar_pain: {type: flares, baseline: 1, peak: 5, every: 2, "
     "length: 1.99999}\n", "by at least 1 minute"),
])
def test_tiny_intervals_and_huge_outputs_are_refused(write_yaml, text, expected):
    path = write_yaml("s.yaml", text)
    assert expected in only_problem(path)


def test_too_many_treatments_is_refused_before_they_are_read(write_yaml):
    courses = "".join(f"  - {{type: nsaid, start: {k}, duration: 0.5}}\n" for k in range(5001))
    path = write_yaml("s.yaml", "duration: 6000\ntreatments:\n" + courses)
    assert "5,001 treatments; the limit is 5,000" in only_problem(path)


def test_too_many_segments_is_refused(write_yaml):
    write_yaml("d.csv", "day,value\n" + "".join(f"{k},{k % 3}\n" for k in range(18_000)))
    courses = "".join(f"  - {{type: nsaid, start: {k + 0.5}, duration: 0.25}}\n"
                      for k in range(1500))
    path = write_yaml("s.yaml", "duration: 18000\nlumbar_pain: {type: diary, file: d.csv}\n"
                      "treatments:\n" + courses)
    message = only_problem(path)
    assert "integration segments" in message and "limit is 20,000" in message


def test_a_diary_with_too_many_rows_is_refused(write_yaml):
    rows = "".join(f"{k},1\n" for k in range(20_001))
    write_yaml("d.csv", "day,value\n" + rows)
    path = write_yaml("s.yaml", "duration: 18000\nlumbar_pain: {type: diary, file: d.csv}\n")
    assert "20,001 rows; the limit is 20,000" in only_problem(path)


def test_an_empty_diary_file_key_is_refused(write_yaml):
    path = write_yaml("s.yaml", "duration: 5\nlumbar_pain: {type: diary, file: }\n")
    assert only_problem(path).startswith("s.yaml:2: lumbar_pain.file: expected the path")


# --- 5. what validate accepts, run runs ---------------------------------------------------


def test_a_name_that_looks_like_mathtext_is_drawn_as_text(write_yaml, capsys, tmp_path):
    path = write_yaml("s.yaml", 'name: "$^^$ \\\\frac"\nduration: 30\nlumbar_pain: 3\n'
                      'treatments:\n  - {type: nsaid, start: 5, label: "$x^$"}\n')
    assert run_cli(capsys, "validate", path)[0] == 0
    code, _, err = run_cli(capsys, "run", path, "--out", "out")
    assert code == 0, err
    assert (tmp_path / "out" / "s" / "headache_by_pathway.png").stat().st_size > 1000


def test_parse_yaml_rejects_nothing_it_can_read():
    document = parse_yaml("a: on\nb: '010'\nc: 7\n", "x.yaml")
    assert (document["b"], document["c"]) == ("010", 7)


# --- the cost of reporting many problems -------------------------------------------------


def _escaped_reference(text: str) -> str:
    """The character rule of errors.escaped, one character at a time (no fast path)."""
    import unicodedata

    return "".join(char.encode("unicode_escape").decode("ascii")
                   if char in "\t\n\r" or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")
                   else char for char in text)


def test_escaping_has_a_fast_path_that_changes_nothing():
    # A file of 20,000 unknown keys printed 20,000 problem lines in 6.7 s, a third of it
    # escaping printable text character by character. Every code point of the first
    # planes, alone and inside text, is escaped as the rule says.
    from lbp_headache.core.errors import escaped

    for code in list(range(0x3000)) + [0x202E, 0x2028, 0x2029, 0xFEFF, 0xE000, 0x1F600]:
        text = f"key{chr(code)}value"
        assert escaped(text) == _escaped_reference(text), hex(code)
    assert escaped("x" * 50, 10) == "xxxxxxx..." and escaped("a\nb" * 20, 10) == "a\\nba\\n..."


def _suggest_reference(name, choices):
    """errors.suggest before the quick_ratio() skip (every prefix ratio computed)."""
    import difflib

    choices = list(choices)
    if len(name) > 2 * max(map(len, choices), default=0) + 10:
        return ""
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    if len(name) < 4:
        return ""
    lowered = name.lower()
    scores = {c: difflib.SequenceMatcher(None, lowered, c.lower()[:len(lowered)]).ratio()
              for c in choices}
    best = max(scores, key=scores.get, default=None)
    if best is not None and scores[best] >= 0.8:
        if sum(score == scores[best] for score in scores.values()) == 1:
            return f"; did you mean '{best}'?"
    return ""


def test_suggestions_skip_only_choices_that_cannot_win():
    import random

    from lbp_headache.core.parameters import NAMES
    from lbp_headache.core.suggestions import suggest

    rng = random.Random(7)
    names = list(NAMES) + ["physio", "physical", "sensitiz", "duloxetin", "gain_", "tau_p"]
    for _ in range(3000):
        base = rng.choice(names)
        cut = base[: rng.randint(1, len(base))]
        mutated = "".join(c if rng.random() > 0.15 else rng.choice("abcdefg_") for c in cut)
        assert suggest(mutated, NAMES) == _suggest_reference(mutated, NAMES), mutated
