"""The SBML export reproduces the project's own simulation in libRoadRunner."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

libsbml = pytest.importorskip("libsbml")
roadrunner = pytest.importorskip("roadrunner")

import lbp_headache  # noqa: E402
from lbp_headache.core.parameters import PARAMETERS  # noqa: E402
from lbp_headache.core.states import STATE_NAMES  # noqa: E402
from lbp_headache.report.run_folder import DISCLAIMER  # noqa: E402
from lbp_headache.report.sbml_export import INSTALL_HINT, scenario_to_sbml, write_sbml  # noqa: E402
from lbp_headache.scenario import profiles  # noqa: E402
from lbp_headache.scenario.record import Scenario  # noqa: E402
from lbp_headache.scenario.treatments import Treatment  # noqa: E402

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
FILES = sorted(SCENARIOS.glob("*.yaml"))
# Headache, every state, and the inputs (right-continuous: events at a whole day count there).
SELECTIONS = ["time", "headache", *STATE_NAMES, "lumbar_pain", "disc_degeneration",
              "ergonomic_load"]
MAX_RELATIVE_ERROR = 1e-4
SCALE_FLOOR = 1e-3


def synthetic_scenario() -> Scenario:
    """What no bundled scenario has: parameter changes (value and scale, one active at 0),
    overlapping courses of one type, doses below standard, a ramped disc input and an
    initial-state override."""
    return Scenario(
        "Synthetic schedule", 300.0,
        lumbar_pain=profiles.natural_history("persistent"),
        disc_degeneration=profiles.from_points([0.0, 50.0, 120.0], [0.1, 0.6, 0.2]),
        ergonomic_load=profiles.constant(0.4),
        initial_state={"pain_threshold": 0.9},
        treatments=(
            Treatment("ergonomics", 0.0, 150.0, intensity=0.8),
            Treatment("ergonomics", 60.0, 90.0, adherence=0.5),
            Treatment("parameter_change", 0.0, 100.0, parameter="ergonomics_efficacy",
                      value=0.7),
            Treatment("parameter_change", 30.0, 200.0, parameter="posture_chain_stiffness",
                      scale=2.0),
            Treatment("nsaid", 20.0, 80.0, dose=600.0),
            Treatment("neuropathic_medication", 40.0, 250.0, drug="pregabalin", dose=150.0,
                      adherence=0.9),
            Treatment("physical_therapy", 100.0, 180.0, intensity=0.7),
        ),
    )


def tight_runner(sbml: str):
    """A RoadRunner for ``sbml`` with tight CVODE tolerances."""
    rr = roadrunner.RoadRunner(sbml)
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-12
    rr.integrator.maximum_num_steps = 100_000
    return rr


def simulate_days(rr, duration: float) -> np.ndarray:
    """:data:`SELECTIONS` on whole days ``0 .. floor(duration)``."""
    last = math.floor(duration + 1e-9)
    return np.asarray(rr.simulate(0, last, last + 1, selections=SELECTIONS))


def assert_matches(table: np.ndarray, result, label: str) -> None:
    """Every column within ``MAX_RELATIVE_ERROR`` of its largest magnitude over the run."""
    np.testing.assert_allclose(table[:, 0], np.arange(len(result.daily["headache"])), atol=1e-9)
    for j, name in enumerate(SELECTIONS[1:], start=1):
        expected = result.daily[name]
        scale = max(np.abs(expected).max(), SCALE_FLOOR)
        np.testing.assert_allclose(
            table[:, j], expected, rtol=0, atol=MAX_RELATIVE_ERROR * scale,
            err_msg=f"{label}: {name} differs from lbp_headache.simulate",
        )


def model_of(sbml: str):
    document = libsbml.readSBMLFromString(sbml)
    assert document.getNumErrors() == 0
    return document, document.getModel()


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_bundled_scenario_matches_simulate(path):
    scenario = lbp_headache.load_scenario(path)
    table = simulate_days(tight_runner(scenario_to_sbml(scenario)), scenario.duration)
    assert_matches(table, lbp_headache.simulate(scenario), path.stem)


def test_parameter_changes_and_overlapping_treatments_match_simulate():
    scenario = synthetic_scenario()
    sbml = scenario_to_sbml(scenario)
    _, sbml_model = model_of(sbml)
    assert sbml_model.getParameter("posture_chain_stiffness_current") is not None
    assert sbml_model.getParameter("ergonomics_2_active") is not None
    table = simulate_days(tight_runner(sbml), scenario.duration)
    assert_matches(table, lbp_headache.simulate(scenario), scenario.name)


@pytest.mark.parametrize("scenario", [
    pytest.param(lbp_headache.load_scenario(SCENARIOS / "multimodal_care.yaml"),
                 id="multimodal_care"),
    pytest.param(synthetic_scenario(), id="synthetic"),
])
def test_document_is_consistent(scenario):
    document, _ = model_of(scenario_to_sbml(scenario))
    assert (document.getLevel(), document.getVersion()) == (3, 2)
    document.checkConsistency()
    errors = [document.getError(i) for i in range(document.getNumErrors())
              if document.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR]
    assert not errors, "\n".join(e.getMessage() for e in errors)


def test_override_is_written_and_changes_the_result_like_simulate():
    scenario = lbp_headache.load_scenario(SCENARIOS / "persistent_back_pain.yaml")
    overrides = {"posture_chain_stiffness": 2.0}
    sbml = scenario_to_sbml(scenario, overrides=overrides)
    _, sbml_model = model_of(sbml)
    assert sbml_model.getParameter("posture_chain_stiffness").getValue() == 2.0
    table = simulate_days(tight_runner(sbml), scenario.duration)
    changed = lbp_headache.simulate(scenario, overrides=overrides)
    assert_matches(table, changed, "posture_chain_stiffness = 2")
    plain = lbp_headache.simulate(scenario)
    assert np.abs(changed.daily["headache"] - plain.daily["headache"]).max() > 0.1


def test_parameter_set_in_roadrunner_follows_into_initial_values_and_schedule():
    # The benchmark recipe of docs/sbml.md: resetAll, set the parameter, reset.
    scenario = synthetic_scenario()
    rr = tight_runner(scenario_to_sbml(scenario))
    simulate_days(rr, scenario.duration)
    for name, value in (("posture_chain_stiffness", 1.4), ("neck_resting_tone", 0.15),
                        ("ergonomics_efficacy", 0.3)):
        rr.resetAll()
        rr[name] = value
        rr.reset()
        table = simulate_days(rr, scenario.duration)
        assert_matches(table, lbp_headache.simulate(scenario, overrides={name: value}), name)
    rr.resetAll()
    assert_matches(simulate_days(rr, scenario.duration), lbp_headache.simulate(scenario),
                   "restored")


def test_ids_name_every_state_and_parameter():
    healthy = lbp_headache.load_scenario(SCENARIOS / "healthy.yaml")
    _, sbml_model = model_of(scenario_to_sbml(healthy))
    rules = [sbml_model.getRule(i) for i in range(sbml_model.getNumRules())]
    rate_rules = {rule.getVariable() for rule in rules if rule.isRate()}
    assert rate_rules == set(STATE_NAMES)
    for name in STATE_NAMES:
        assert not sbml_model.getParameter(name).getConstant(), name
    for record in PARAMETERS:
        parameter = sbml_model.getParameter(record.name)
        assert parameter is not None, record.name
        assert parameter.getConstant()
        assert parameter.getValue() == pytest.approx(record.value, rel=1e-14)
    assert sbml_model.getAssignmentRuleByVariable("headache") is not None
    assert sbml_model.getNumSpecies() == sbml_model.getNumReactions() == 0
    assert sbml_model.getTimeUnits() == "day"


def test_model_name_and_notes():
    scenario = lbp_headache.load_scenario(SCENARIOS / "nsaid.yaml")
    _, sbml_model = model_of(scenario_to_sbml(scenario))
    assert sbml_model.getName() == scenario.name
    notes = sbml_model.getNotesString()
    assert lbp_headache.__version__ in notes
    assert DISCLAIMER in notes


def test_write_sbml_is_atomic_and_matches(tmp_path):
    scenario = lbp_headache.load_scenario(SCENARIOS / "healthy.yaml")
    target = tmp_path / "healthy.xml"
    target.write_text("old", encoding="utf-8")
    write_sbml(scenario, target, overrides={"tau_headache": 2.0})
    assert target.read_text(encoding="utf-8") == scenario_to_sbml(
        scenario, overrides={"tau_headache": 2.0})
    assert [p.name for p in tmp_path.iterdir()] == ["healthy.xml"]


def test_missing_libsbml_gives_the_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "libsbml", None)
    scenario = lbp_headache.load_scenario(SCENARIOS / "healthy.yaml")
    with pytest.raises(ImportError, match="pip install 'lbp-headache\\[sbml\\]'"):
        scenario_to_sbml(scenario)
    assert "python-libsbml" in INSTALL_HINT
