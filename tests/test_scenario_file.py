"""Scenario files: every kind of bad input gives a located, student-readable problem."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest
from lbp_headache.core.errors import Problem, ScenarioError
from lbp_headache.core.parameters import BY_NAME, PARAMETERS
from lbp_headache.files.yaml_source import MAX_BYTES
from lbp_headache.scenario.reader import expand_paths, load_scenario, parse_override
from numpy.testing import assert_allclose


def problems(path: str) -> list[str]:
    """The rendered problems of loading ``path`` (fails if it loads)."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert all(isinstance(p, Problem) for p in info.value.problems)
    return [str(p) for p in info.value.problems]


def only_problem(path: str) -> str:
    found = problems(path)
    assert len(found) == 1, found
    return found[0]


# --- positive cases -------------------------------------------------------------


def test_minimal_file_uses_documented_defaults(write_yaml):
    path = write_yaml("minimal.yaml", "duration: 30\n")
    scenario = load_scenario(path)
    assert scenario.name == "minimal"
    assert scenario.duration == 30.0  # bare number = days
    assert scenario.output_step == 1.0
    assert scenario.seed == 0
    assert scenario.treatments == ()
    assert scenario.source == path
    assert len(scenario.source_hash) == 64


def test_units_parse_with_pint(write_yaml):
    path = write_yaml("units.yaml", """
        duration: 6 months
        output_step: 12 hours
        treatments:
          - {type: nsaid, start: 2 weeks, duration: 3 d, dose: 1.2 g/day}
          - {type: neuropathic_medication, drug: duloxetine, dose: 60, start: 1 month}
        """)
    scenario = load_scenario(path)
    assert_allclose(scenario.duration, 182.625, rtol=1e-12)  # pint month = year / 12
    assert_allclose(scenario.output_step, 0.5, rtol=1e-12)
    nsaid, duloxetine = scenario.treatments
    assert_allclose([nsaid.start, nsaid.stop, nsaid.dose], [14.0, 17.0, 1200.0], rtol=1e-12)
    assert duloxetine.dose == 60.0  # bare number = mg/day
    assert math.isinf(duloxetine.stop)


def test_bare_parameter_values_take_the_table_unit(write_yaml):
    path = write_yaml("p.yaml", """
        duration: 10
        parameters: {tau_posture: 5, tau_neck_tension: 36 hours}
        initial_state: {pain_threshold: 0.8}
        """)
    scenario = load_scenario(path)
    assert BY_NAME["tau_posture"].unit == "day"
    assert scenario.parameters == {"tau_posture": 5.0, "tau_neck_tension": 1.5}
    assert scenario.initial_state == {"pain_threshold": 0.8}


def test_profiles_of_every_type(write_yaml):
    write_yaml("d.csv", "day,value\n0,1\n10,3\n")
    path = write_yaml("profiles.yaml", """
        duration: 100
        lumbar_pain:
          type: steps
          initial: 1
          steps: [{at: 10, value: 4}, {at: 20, value: 2}]
        disc_degeneration:
          type: ramp
          points: [{at: 0, value: 0.2}, {at: 10, value: 0.4}, {at: 10, value: 0.1}]
        ergonomic_load: {type: flares, baseline: 0.1, peak: 0.5, every: 20, length: 5}
        """)
    scenario = load_scenario(path)
    assert_allclose(scenario.lumbar_pain([0, 9.9, 10, 25]), [1, 1, 4, 2])
    assert_allclose(scenario.disc_degeneration([0, 5, 10, 50]), [0.2, 0.3, 0.1, 0.1])
    assert_allclose(scenario.ergonomic_load([0, 4.9, 5, 20]), [0.5, 0.5, 0.1, 0.5])
    diary = write_yaml("diary.yaml", "duration: 20\nlumbar_pain: {type: diary, file: d.csv}\n")
    assert_allclose(load_scenario(diary).lumbar_pain([0, 5, 15]), [1, 2, 3])
    natural = write_yaml("n.yaml", """
        duration: 20
        lumbar_pain: {type: natural_history, course: persistent, scale: 0.5}
        """)
    assert_allclose(load_scenario(natural).lumbar_pain([0]), [2.55])


def test_extends_merges_parameters_and_replaces_treatments(write_yaml):
    write_yaml("base.yaml", """
        name: base
        duration: 12 months
        lumbar_pain: 3
        parameters: {tau_posture: 5, posture_chain_stiffness: 2}
        treatments:
          - {type: nsaid}
          - {type: ergonomics}
        """)
    path = write_yaml("sub/child.yaml", """
        extends: ../base.yaml
        parameters: {posture_chain_stiffness: 1.5}
        treatments:
          - {type: physical_therapy, start: 1 month}
        """)
    scenario = load_scenario(path)
    assert scenario.name == "child"  # names are not inherited
    assert_allclose(scenario.duration, 365.25)
    assert_allclose(scenario.lumbar_pain([0]), [3.0])
    assert scenario.parameters == {"tau_posture": 5.0, "posture_chain_stiffness": 1.5}
    assert [t.type for t in scenario.treatments] == ["physical_therapy"]


def test_hash_changes_when_a_parent_changes(write_yaml):
    write_yaml("base.yaml", "duration: 30\n")
    path = write_yaml("child.yaml", "extends: base.yaml\nlumbar_pain: 2\n")
    before = load_scenario(path).source_hash
    assert load_scenario(path).source_hash == before
    write_yaml("base.yaml", "duration: 31\n")
    assert load_scenario(path).source_hash != before


def test_hash_changes_when_the_diary_changes(write_yaml):
    write_yaml("d.csv", "day,value\n0,1\n")
    path = write_yaml("s.yaml", "duration: 5\nlumbar_pain: {type: diary, file: d.csv}\n")
    before = load_scenario(path).source_hash
    write_yaml("d.csv", "day,value\n0,2\n")
    assert load_scenario(path).source_hash != before


def test_parameter_change_treatment(write_yaml):
    path = write_yaml("pc.yaml", """
        duration: 100
        treatments:
          - {type: parameter_change, parameter: tau_posture, value: 2 days, stop: 50}
          - {type: parameter_change, parameter: tau_posture, scale: 2, start: 50}
        """)
    first, second = load_scenario(path).treatments
    assert (first.parameter, first.value, first.stop) == ("tau_posture", 2.0, 50.0)
    assert (second.scale, second.start) == (2.0, 50.0)


# --- one test per kind of bad input -------------------------------------------


def test_unknown_key_suggests_the_close_one(write_yaml):
    path = write_yaml("s.yaml", "duraton: 12 months\nlumbar_pain: 2\n")
    found = problems(path)
    assert "s.yaml:1: duraton: unknown key 'duraton'; did you mean 'duration'?" in found


def test_unknown_key_without_close_match_lists_allowed(write_yaml):
    path = write_yaml("s.yaml", "duration: 10\nzzz: 1\n")
    message = only_problem(path)
    assert message.startswith("s.yaml:2: zzz: unknown key 'zzz'; allowed: name, description")


def test_wrong_unit(write_yaml):
    path = write_yaml("s.yaml", "lumbar_pain: 2\nduration: 5 kg\n")
    message = only_problem(path)
    assert message.startswith("s.yaml:2: duration: '5 kg' has unit 'kg'")
    assert "'6 months'" in message


@pytest.mark.parametrize(("text", "expected"), [
    ("1 yeer", "unknown unit 'yeer' (did you mean 'year'?)"),
    ("2 wekes", "unknown unit 'wekes' (did you mean 'weeks'?)"),
    ("3 qqq", "unknown unit 'qqq';"),
])
def test_misspelt_unit_is_named_with_a_close_one(write_yaml, text, expected):
    path = write_yaml("s.yaml", f"lumbar_pain: 2\nduration: {text}\n")
    message = only_problem(path)
    assert message.startswith(f"s.yaml:2: duration: cannot read '{text}' as a quantity: {expected}")


@pytest.mark.parametrize("value", ["0", "-3 days"])
def test_zero_or_negative_duration(write_yaml, value):
    path = write_yaml("s.yaml", f"duration: {value}\n")
    assert only_problem(path).startswith("s.yaml:1: duration: must be positive")


def test_missing_duration(write_yaml):
    path = write_yaml("s.yaml", "lumbar_pain: 2\n")
    assert only_problem(path) == (
        "s.yaml:1: duration: missing required key 'duration' (e.g. 'duration: 12 months')"
    )


def test_boolean_where_a_number_is_expected(write_yaml):
    path = write_yaml("s.yaml", "duration: 10\nlumbar_pain: true\n")
    assert only_problem(path).startswith("s.yaml:2: lumbar_pain: expected a number")


def test_yaml_11_boolean_is_refused_with_both_readings(write_yaml):
    path = write_yaml("s.yaml", "duration: 10\nlumbar_pain: yes\n")
    assert only_problem(path) == (
        "s.yaml:2: lumbar_pain: 'yes' is read as true by YAML 1.1 tools but as the text 'yes' "
        'by YAML 1.2; write "yes" (in quotes) for the text or true to say which is meant')


def test_stop_before_start(write_yaml):
    path = write_yaml("s.yaml", """
        duration: 100
        treatments:
          - type: nsaid
            start: 20
            stop: 10
        """)
    assert only_problem(path) == (
        "s.yaml:5: treatments[0].stop: stop (10 days) must be after start (20 days)"
    )


def test_start_after_the_end(write_yaml):
    path = write_yaml("s.yaml", "duration: 10\ntreatments: [{type: nsaid, start: 10}]\n")
    assert "at or after the end of the scenario" in only_problem(path)


def test_stop_and_duration_both_given(write_yaml):
    path = write_yaml("s.yaml", """
        duration: 100
        treatments:
          - {type: nsaid, stop: 20,
             duration: 10}
        """)
    assert only_problem(path) == (
        "s.yaml:4: treatments[0].duration: give either 'stop' or 'duration', not both"
    )


def test_unknown_treatment_type(write_yaml):
    path = write_yaml("s.yaml", "duration: 10\ntreatments:\n  - type: physio\n")
    assert only_problem(path) == (
        "s.yaml:3: treatments[0].type: unknown treatment type 'physio'; "
        "did you mean 'physical_therapy'?"
    )


def test_unknown_drug(write_yaml):
    path = write_yaml("s.yaml", """
        duration: 10
        treatments:
          - type: neuropathic_medication
            drug: duloxetin
        """)
    assert only_problem(path) == (
        "s.yaml:4: treatments[0].drug: unknown drug 'duloxetin'; did you mean 'duloxetine'?"
    )


def test_unknown_parameter(write_yaml):
    path = write_yaml("s.yaml", "duration: 10\nparameters:\n  posture_chian_stiffness: 2\n")
    assert only_problem(path) == (
        "s.yaml:3: parameters.posture_chian_stiffness: unknown parameter "
        "'posture_chian_stiffness'; did you mean 'posture_chain_stiffness'?"
    )


def test_unknown_parameter_without_a_close_name_points_to_the_list(write_yaml):
    path = write_yaml("s.yaml", "duration: 10\nparameters:\n  il6_clearance: 2\n")
    assert only_problem(path) == (
        "s.yaml:3: parameters.il6_clearance: unknown parameter 'il6_clearance'; "
        f"'lbp-headache params' lists all {len(PARAMETERS)} parameters"
    )


def test_parameter_out_of_range(write_yaml):
    path = write_yaml("s.yaml", "duration: 10\nparameters:\n  tau_posture: 2 months\n")
    message = only_problem(path)
    assert message.startswith("s.yaml:3: parameters.tau_posture: 60.875 d is outside")
    assert "[0.5, 14] d" in message


def test_parameter_with_wrong_dimension(write_yaml):
    path = write_yaml("s.yaml", "duration: 10\nparameters:\n  tau_posture: 3 kg\n")
    message = only_problem(path)
    assert message.startswith("s.yaml:3: parameters.tau_posture:")
    assert "'tau_posture' is in d" in message


def test_parameter_change_scale_out_of_range(write_yaml):
    path = write_yaml("s.yaml", """
        duration: 10
        treatments: [{type: parameter_change, parameter: tau_posture, scale: 100}]
        """)
    assert "outside its plausible range [0.5, 14] d" in only_problem(path)


def test_overlapping_parameter_changes(write_yaml):
    path = write_yaml("s.yaml", """
        duration: 100
        treatments:
          - {type: parameter_change, parameter: tau_posture, value: 2, stop: 60}
          - {type: parameter_change, parameter: tau_posture, value: 4, start: 50}
        """)
    assert only_problem(path).startswith(
        "s.yaml:4: treatments[1]: overlaps treatments[0], which also changes 'tau_posture'"
    )


def test_key_not_applicable_to_treatment_type(write_yaml):
    path = write_yaml("s.yaml", """
        duration: 10
        treatments:
          - type: physical_therapy
            drug: duloxetine
        """)
    assert only_problem(path) == (
        "s.yaml:4: treatments[0].drug: 'drug' does not apply to physical_therapy; "
        "allowed: type, label, start, stop, duration, adherence, intensity"
    )


def test_profile_value_out_of_range(write_yaml):
    path = write_yaml("s.yaml", """
        duration: 10
        lumbar_pain:
          type: steps
          steps:
            - {at: 1, value: 4}
            - {at: 2, value: 12}
        """)
    assert only_problem(path) == (
        "s.yaml:6: lumbar_pain.steps[1].value: 12 is outside the allowed range [0, 10]"
    )


def test_malformed_yaml(write_yaml):
    path = write_yaml("s.yaml", "duration: 10\nlumbar_pain: [1, 2\nseed: 3\n")
    assert only_problem(path) == (
        "s.yaml:3: malformed YAML: while parsing a flow sequence (from line 2), "
        "expected ',' or ']', but got ':'")


def test_a_key_without_a_colon_is_named_on_its_own_line(write_yaml):
    path = write_yaml("s.yaml", "duration: 30\nlumbar_pain 3\nseed: 1\n")
    assert only_problem(path) == (
        "s.yaml:2: malformed YAML: a key without ':' after it (write 'key: value')")


def test_a_tab_in_the_indentation_is_named(write_yaml):
    path = write_yaml("s.yaml", "duration: 30\ntreatments:\n  - type: nsaid\n\tstart: 5\n")
    assert only_problem(path) == (
        "s.yaml:4: malformed YAML: a tab character; YAML indents with spaces only, so "
        "replace the tab with spaces")


def test_missing_file(write_yaml):
    write_yaml("other.yaml", "duration: 1\n")
    assert only_problem("nope.yaml") == "nope.yaml: scenario file not found"


def test_directory_instead_of_file(write_yaml):
    write_yaml("folder/a.yaml", "duration: 1\n")
    assert only_problem("folder") == (
        "folder: is a folder, not a regular file; expected a scenario file")


def test_not_utf8(write_yaml, tmp_path):
    (tmp_path / "latin.yaml").write_bytes(b"duration: 10\ndescription: caf\xe9\n")
    assert only_problem("latin.yaml").startswith("latin.yaml:2: scenario file is not UTF-8")


def test_too_large(write_yaml, tmp_path):
    (tmp_path / "big.yaml").write_bytes(b"#" * (MAX_BYTES + 1))
    assert "the limit is" in only_problem("big.yaml")


@pytest.mark.parametrize("text", ["- 1\n- 2\n", "just text\n", ""])
def test_document_not_a_mapping(write_yaml, text):
    path = write_yaml("s.yaml", text)
    assert "mapping" in only_problem(path)


def test_several_documents(write_yaml):
    path = write_yaml("s.yaml", "duration: 1\n---\nduration: 2\n")
    assert "several YAML documents" in only_problem(path)


def test_python_tag_rejected_and_not_executed(write_yaml, tmp_path):
    marker = tmp_path / "pwned"
    path = write_yaml("s.yaml", f"""
        duration: 10
        description: !!python/object/apply:os.system ["touch {marker}"]
        """)
    message = only_problem(path)
    assert message.startswith("s.yaml:2: description: tag 'tag:yaml.org,2002:python/object/apply")
    assert not marker.exists()


def test_alias_bomb_is_rejected(write_yaml):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    path = write_yaml("bomb.yaml", "\n".join(lines) + "\n")
    message = only_problem(path)  # would be 9^9 strings if expanded
    assert "aliases" in message


def test_alias_expansion_is_bounded(write_yaml):
    # Few aliases (under the alias limit) that would still expand to 7^7 values.
    lines = ['a0: &a0 [1, 1, 1, 1, 1, 1, 1]']
    for i in range(1, 8):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 7)}]")
    path = write_yaml("bomb.yaml", "\n".join(lines) + "\n")
    # Refused by counting expanded nodes (not by a timer): one problem, no expansion.
    message = only_problem(path)
    assert "expand" in message or "aliases" in message


def test_duplicate_key(write_yaml):
    path = write_yaml("s.yaml", "duration: 10\nlumbar_pain: 2\nduration: 20\n")
    assert only_problem(path) == (
        "s.yaml:3: duration: duplicate key 'duration' (first given on line 1); "
        "YAML would silently keep only the last one"
    )


def test_extends_cycle(write_yaml):
    write_yaml("a.yaml", "extends: b.yaml\nduration: 1\n")
    write_yaml("b.yaml", "extends: a.yaml\n")
    assert only_problem("a.yaml") == "b.yaml:1: extends: extends cycle: a.yaml -> b.yaml -> a.yaml"


def test_extends_missing_parent(write_yaml):
    path = write_yaml("a.yaml", "duration: 1\nextends: gone.yaml\n")
    assert only_problem(path) == (
        "a.yaml:2: extends: cannot extend 'gone.yaml': scenario file not found"
    )


def test_extends_too_deep(write_yaml):
    write_yaml("s0.yaml", "duration: 1\n")
    for i in range(1, 13):
        write_yaml(f"s{i}.yaml", f"extends: s{i - 1}.yaml\n")
    assert "more than 10 levels" in only_problem("s12.yaml")


def test_problem_in_parent_names_the_parent_line(write_yaml):
    write_yaml("base.yaml", "duration: 10\nparameters:\n  tau_posture: 99\n")
    path = write_yaml("child.yaml", "extends: base.yaml\nlumbar_pain: 11\n")
    found = problems(path)
    assert len(found) == 2
    assert found[0].startswith("child.yaml:2: lumbar_pain: 11 is outside")
    assert found[1].startswith("base.yaml:3: parameters.tau_posture: 99 d is outside")


def test_many_problems_reported_at_once(write_yaml):
    path = write_yaml("s.yaml", """
        duraton: 10
        seed: -1
        lumbar_pain: 12
        treatments:
          - type: physio
          - {type: nsaid, dose: -5}
        """)
    found = problems(path)
    starts = [line.split(": ")[0] + ": " + line.split(": ")[1] for line in found]
    assert sorted(starts) == sorted([
        "s.yaml:1: duraton", "s.yaml:1: duration", "s.yaml:2: seed", "s.yaml:3: lumbar_pain",
        "s.yaml:5: treatments[0].type", "s.yaml:6: treatments[1].dose",
    ]), found


def test_diary_csv_problems_name_the_csv_line(write_yaml):
    write_yaml("data/d.csv", "day,value\n0,1\n1,2\n1,3\n2,15\nx,1\n")
    path = write_yaml("s.yaml", "duration: 5\nlumbar_pain: {type: diary, file: data/d.csv}\n")
    found = problems(path)
    csv = os.path.join("data", "d.csv")
    assert found == [
        f"{csv}:4: day: days must increase: 1 follows 1",
        f"{csv}:5: value: the value is outside the allowed range [0, 10]",
        f"{csv}:6: day: the day is not a plain number (write e.g. '14,2.5'; a decimal comma "
        "cannot be told from the column separator)",
    ]


def test_diary_csv_bad_header_and_missing_file(write_yaml):
    write_yaml("d.csv", "time,pain\n0,1\n")
    path = write_yaml("s.yaml", "duration: 5\nlumbar_pain: {type: diary, file: d.csv}\n")
    assert only_problem(path) == "d.csv:1: the first line must be the header 'day,value'"
    path = write_yaml("t.yaml", "duration: 5\nlumbar_pain: {type: diary, file: no.csv}\n")
    assert only_problem(path) == (
        "t.yaml:2: lumbar_pain.file: cannot read diary 'no.csv': diary file not found"
    )


def test_unknown_profile_type_and_course(write_yaml):
    path = write_yaml("s.yaml", """
        duration: 10
        lumbar_pain: {type: ramps, points: []}
        disc_degeneration: {type: natural_history, course: persistant}
        """)
    found = problems(path)
    assert found == [
        "s.yaml:2: lumbar_pain.type: unknown profile type 'ramps'; did you mean 'ramp'?",
        "s.yaml:3: disc_degeneration.course: unknown course 'persistant'; "
        "did you mean 'persistent'?",
    ]


def test_flare_longer_than_interval(write_yaml):
    path = write_yaml("s.yaml", """
        duration: 100
        lumbar_pain: {type: flares, baseline: 1, peak: 5, every: 10, length: 10}
        """)
    assert "must be shorter than the interval" in only_problem(path)


# --- expand_paths and parse_override ---------------------------------------------


def test_expand_paths(write_yaml):
    write_yaml("dir/b.yaml", "duration: 1\n")
    write_yaml("dir/a.yaml", "duration: 1\n")
    write_yaml("dir/notes.txt", "x")
    write_yaml("one.yaml", "duration: 1\n")
    assert expand_paths(["one.yaml", "dir"]) == [
        Path("one.yaml"), Path("dir/a.yaml"), Path("dir/b.yaml")
    ]
    write_yaml("empty/notes.txt", "x")
    with pytest.raises(ScenarioError) as info:
        expand_paths(["missing.yaml", "empty"])
    assert [str(p) for p in info.value.problems] == [
        "missing.yaml: no such file or folder", "empty: folder has no .yaml files"
    ]


def test_parse_override_values():
    assert parse_override("posture_chain_stiffness=1.5") == ("posture_chain_stiffness", 1.5)
    name, value = parse_override("tau_posture=5 days")
    assert name == "tau_posture"
    assert_allclose(value, 5.0)
    assert parse_override(" tau_posture = 36 hours ")[1] == pytest.approx(1.5)


@pytest.mark.parametrize(("text", "expected"), [
    ("tau_posture=5 kg", "--set: tau_posture: '5 kg' has unit 'kg'"),
    ("posture_chian_stiffness=1",
     "--set: posture_chian_stiffness: unknown parameter 'posture_chian_stiffness'; "
     "did you mean 'posture_chain_stiffness'?"),
    ("posture_chain_stiffness", "--set: posture_chain_stiffness: expected NAME=VALUE"),
    ("posture_chain_stiffness=9", "--set: posture_chain_stiffness: 9 is outside"),
])
def test_parse_override_errors(text, expected):
    with pytest.raises(ScenarioError) as info:
        parse_override(text)
    (problem,) = info.value.problems
    assert problem.file == "--set" and problem.line is None
    assert str(problem).startswith(expected)


@pytest.mark.parametrize(("text", "expected"), [
    ("duration: 10\na: &a [*a]\n", "s.yaml:2: a[0]: recursive alias"),
    ("b: &b {x: 1}\nduration: 10\nc:\n  <<: *b\n", "s.yaml:4: c: merge keys ('<<')"),
    ("duration: 2024-01-01\n", "s.yaml:1: duration: dates are not supported"),
    ("duration: !!int abc\n", "s.yaml:1: duration: cannot read 'abc' as int"),
    ("duration: 10\nx: " + "[" * 500 + "]" * 500 + "\n", "s.yaml:2: nesting deeper than"),
])
def test_unsafe_or_unsupported_yaml(write_yaml, text, expected):
    path = write_yaml("s.yaml", text)
    assert only_problem(path).startswith(expected)
