"""Calibration targets: the file's validation, its coverage of science.md, and the evaluation.

The evaluation is checked on small targets whose values follow by hand from
bundled scenarios with constant inputs and from the parameter table; the
whole bundled file (populations and trials) runs only in the slow test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lbp_headache.calibration.evaluate import evaluate_targets
from lbp_headache.calibration.outputs import counts, summary_line
from lbp_headache.calibration.target_reader import load_targets
from lbp_headache.cli.main import main
from lbp_headache.core.errors import ScenarioError
from lbp_headache.core.parameters import BY_NAME
from lbp_headache.files.bundled import BUNDLED_TARGETS
from numpy.testing import assert_allclose

SCIENCE = Path("/work/shared/science.md")


def write(tmp_path: Path, entries: str, head: str = "approximate_tolerance: 0.25\n") -> Path:
    path = tmp_path / "targets.yaml"
    path.write_text(head + "targets:\n" + entries, encoding="utf-8")
    return path


ENTRY = """\
  - id: {id}
    quantity: a quantity
    figure: "a figure"
    value: {value}
    {interval}
    interval_kind: {kind}
    unit: {unit}
    source: Someone et al. 2000
    produced_by: {produced_by}
    status: {status}
    reason: a reason
"""


def entry(id="t", value=5.2, interval="interval: [4.6, 5.7]", kind="95% CI", unit="pg/mL",
          produced_by="{scenario: healthy, metric: state_at, state: il6, at: 10 days}",
          status="emergent") -> str:
    return ENTRY.format(id=id, value=value, interval=interval, kind=kind, unit=unit,
                        produced_by=produced_by, status=status)


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_targets(path)
    return str(caught.value).splitlines()


# --- validation -------------------------------------------------------------------------------


def test_a_good_file_loads(tmp_path):
    targets = load_targets(write(tmp_path, entry()))
    (target,) = targets.targets
    assert (target.id, target.value, target.low, target.high) == ("t", 5.2, 4.6, 5.7)
    assert target.produced_by.options == {"state": "il6", "at": 10.0}
    assert target.line == 3


def test_a_misspelt_key_names_file_line_and_the_close_key(tmp_path):
    path = write(tmp_path, entry().replace("    reason:", "    reasn:"))
    lines = problems_of(path)
    assert f"{path}:13: targets[0].reasn: unknown key 'reasn'; did you mean 'reason'?" in lines
    assert any("missing required key 'reason'" in line for line in lines)


def test_a_confidence_interval_without_its_interval_is_refused(tmp_path):
    path = write(tmp_path, entry(interval=""))
    assert problems_of(path) == [f"{path}:3: targets[0].interval: missing 'interval: "
                                 "[low, high]' (the 95% CI as published)"]


def test_low_above_high_is_refused(tmp_path):
    path = write(tmp_path, entry(interval="interval: [5.7, 4.6]"))
    assert problems_of(path) == [f"{path}:7: targets[0].interval: low 5.7 is above high 4.6"]


def test_a_value_outside_its_own_interval_is_refused(tmp_path):
    path = write(tmp_path, entry(value=9))
    assert problems_of(path) == [f"{path}:7: targets[0].interval: the value 9 lies outside "
                                 "[4.6, 5.7]"]


def test_an_unknown_scenario_and_metric_are_named_with_the_close_ones(tmp_path):
    path = write(tmp_path, entry(produced_by="{scenario: helthy, metric: state_att, "
                                             "state: il6, at: 1 day}"))
    lines = problems_of(path)
    assert f"{path}:11: targets[0].produced_by.scenario: no bundled scenario 'helthy'; did " \
           "you mean 'healthy'?" in lines
    assert f"{path}:11: targets[0].produced_by.metric: unknown metric 'state_att'; did you " \
           "mean 'state_at'?" in lines


def test_a_unit_the_metric_cannot_give_is_refused(tmp_path):
    path = write(tmp_path, entry(unit="min"))
    assert problems_of(path) == [f"{path}:9: targets[0].unit: 'min' is not a unit of the "
                                 "metric 'state_at' (it gives pg/mL)"]


def test_status_and_produced_by_must_agree(tmp_path):
    path = write(tmp_path, entry(status="not_computable") + entry(
        id="u", produced_by="{scenario: healthy, metric: state_at, state: il6, at: 1 day}"
        ).replace("    produced_by: {scenario: healthy, metric: state_at, state: il6, "
                  "at: 1 day}\n", ""))
    lines = problems_of(path)
    assert any("targets[0].produced_by: a not_computable target names nothing" in line
               for line in lines)
    assert any("targets[1].produced_by: an emergent target needs 'produced_by'" in line
               for line in lines)


def test_duplicate_ids_are_refused(tmp_path):
    path = write(tmp_path, entry() + entry())
    assert problems_of(path) == [f"{path}:14: targets[1].id: 't' is already the id of the "
                                 "target on line 3"]


def test_the_command_exits_2_with_one_line_per_problem_and_writes_nothing(tmp_path, capsys):
    path = write(tmp_path, entry(interval="interval: [5.7, 4.6]").replace("reason:", "reasn:"))
    out = tmp_path / "out"
    assert main(["targets", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 3  # the misspelt key, the missing reason, the interval
    assert all(line.startswith(f"{path}:") for line in lines)
    assert not out.exists()


def test_an_arm_or_day_the_trial_lacks_exits_2_before_anything_runs(tmp_path, capsys):
    path = write(tmp_path, entry(value=-6.4, interval="interval: [-8.3, -4.5]",
                                 unit="days per 28 days", produced_by=(
        "{trial: manual_therapy_ctth, metric: endpoint, endpoint: headache_days_change, "
        "arm: manual_therapie - usual_care, at: 9 weeks}")))
    out = tmp_path / "out"
    assert main(["targets", str(path), "--out", str(out)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{path}:11: t.produced_by.arm: the trial 'manual_therapy_ctth' has no arm "
        "'manual_therapie - usual_care'; did you mean 'manual_therapy - usual_care'?",
        f"{path}:11: t.produced_by.at: day 63 is not one of the trial's evaluations "
        "(day 56, day 182)"]
    assert not out.exists()


# --- coverage of science.md -------------------------------------------------------------------


def science_sources() -> list[str]:
    """The source column of every row of science.md's §3 and §3b tables."""
    text = SCIENCE.read_text(encoding="utf-8")
    section = text[text.index("## 3."):text.index("\n## 4.")]
    sources = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 3 and cells[2] != "source" \
                and not set(cells[2]) <= {"-"}:
            sources.append(cells[2])
    return sources


def test_every_row_of_science_md_has_a_target_and_no_target_cites_anything_else():
    rows = science_sources()
    assert len(rows) == 29  # 18 rows in §3, 11 in §3b
    cited = {source for target in load_targets(BUNDLED_TARGETS).targets
             for source in target.sources}
    assert [row for row in rows if row not in cited] == []
    assert sorted(cited - set(rows)) == []


def test_the_bundled_file_marks_what_it_cannot_compute():
    targets = load_targets(BUNDLED_TARGETS).targets
    for target in targets:
        assert (target.produced_by is None) == (target.status == "not_computable"), target.id
    assert {t.status for t in targets} == {"emergent", "by_construction", "not_computable"}
    # Half-lives and the natural history are parameters and inputs: never emergent.
    by_id = {t.id: t for t in targets}
    for name in ("tnf_alpha_half_life", "il6_half_life", "natural_history_acute_6_weeks",
                 "physical_therapy_ctth_8_weeks"):
        assert by_id[name].status == "by_construction"


# --- evaluation -------------------------------------------------------------------------------


def test_values_computed_by_hand(tmp_path):
    """desk_worker has back pain 2/10 throughout, disc_herniation 3/10 (no treatment); the
    healthy state holds IL-6 at il6_healthy; tnf_half_life is 20 minutes."""
    path = write(tmp_path, "".join([
        entry("il6"),
        entry("pain", value=20, interval="", kind="approximate", unit="points (0-100)",
              produced_by="{scenario: desk_worker, metric: back_pain_at, at: 3 months}"),
        entry("difference", value=9, interval="interval: [8, 9.5]", unit="points (0-100)",
              produced_by="{scenario: disc_herniation, compared_with: desk_worker, "
                          "metric: back_pain_at, at: 100 days}"),
        entry("half_life", value=20, interval="interval: [15, 25]", unit="min",
              produced_by="{parameter: tnf_half_life, metric: parameter_value}",
              status="by_construction"),
    ]))
    results = {r.target.id: r for r in evaluate_targets(load_targets(path))}
    assert_allclose(results["il6"].model_value, BY_NAME["il6_healthy"].value, rtol=1e-6)
    assert results["il6"].inside is True
    assert_allclose(results["pain"].model_value, 20.0, rtol=1e-9)
    assert (results["pain"].target.low, results["pain"].target.high) == (15.0, 25.0)
    assert_allclose(results["difference"].model_value, 10.0, rtol=1e-9)
    assert results["difference"].inside is False  # 10 is outside [8, 9.5]
    assert_allclose(results["half_life"].model_value, 20.0, rtol=1e-12)
    assert results["half_life"].inside is True


def test_a_by_construction_target_is_never_counted_as_reproduced(tmp_path):
    produced = "{parameter: tnf_half_life, metric: parameter_value}"
    path = write(tmp_path, entry("built", value=20, interval="interval: [15, 25]", unit="min",
                                 produced_by=produced, status="by_construction")
                 + entry("emerged", value=20, interval="interval: [15, 25]", unit="min",
                         produced_by=produced))
    built, emerged = evaluate_targets(load_targets(path))
    assert built.inside is True and emerged.inside is True
    assert built.reproduced is False and emerged.reproduced is True
    assert counts([built, emerged])["emergent_inside"] == 1
    assert summary_line([built]).startswith("0 emergent targets computable, 0 inside")
    assert summary_line([built, emerged]).startswith("1 emergent targets computable, 1 inside")


@pytest.mark.slow
def test_the_bundled_targets_command(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["targets", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "emergent targets computable" in printed and "educational" in printed
    document = json.loads((out / "targets.json").read_text(encoding="utf-8"))
    assert "provenance" in document and (out / "targets.csv").is_file()
    rows = {row["id"]: row for row in document["targets"]}
    assert len(rows) == len(load_targets(BUNDLED_TARGETS).targets)
    for name in ("il6_healthy", "natural_history_persistent_26_weeks", "duloxetine_trial_size",
                 "physical_therapy_ctth_8_weeks"):
        assert rows[name]["inside"] is True, name
    assert all(row["model_value"] is None for row in rows.values()
               if row["status"] == "not_computable")
    assert document["counts"]["emergent_inside"] == sum(
        row["reproduced"] for row in rows.values())
