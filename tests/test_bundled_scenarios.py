"""Every bundled scenario loads, simulates and says what scenarios/README.md says it does."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from lbp_headache.engine.simulate import simulate
from lbp_headache.scenario.reader import expand_paths, load_scenario
from numpy.testing import assert_allclose

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
MONTH = 365.25 / 12  # a calendar month (pint's month), in days: independent of the package
FILES = expand_paths([SCENARIOS])

EXPECTED_NAMES = {
    "healthy", "persistent_back_pain", "acute_back_pain", "high_posture_chain_stiffness",
    "desk_worker", "disc_herniation", "chronification", "physical_therapy", "ergonomics",
    "nsaid", "duloxetine", "multimodal_care", "physical_therapy_stopped_early",
    "nsaid_on_sensitization", "recurring_flares", "diary_example", "untreated_control",
    "published_persistent_course",
}
# Months of each bundled scenario.
DURATIONS = {name: 12 for name in EXPECTED_NAMES} | {
    "chronification": 18, "physical_therapy": 18, "ergonomics": 18, "nsaid": 18,
    "duloxetine": 18, "multimodal_care": 18, "physical_therapy_stopped_early": 18,
    "nsaid_on_sensitization": 18, "diary_example": 6, "untreated_control": 18,
    "acute_back_pain": 24,
}
# Treatment types of each scenario, all starting at month 6 unless stated.
TREATMENTS = {
    "physical_therapy": ["physical_therapy"],
    "ergonomics": ["ergonomics"],
    "nsaid": ["nsaid"],
    "duloxetine": ["neuropathic_medication"],
    "multimodal_care": ["physical_therapy", "ergonomics", "nsaid", "neuropathic_medication"],
    "physical_therapy_stopped_early": ["physical_therapy"],
    "nsaid_on_sensitization": ["nsaid"],
}
PERSISTENT_BASE = {"persistent_back_pain", "high_posture_chain_stiffness", "physical_therapy",
                   "ergonomics", "nsaid", "duloxetine", "multimodal_care",
                   "physical_therapy_stopped_early", "untreated_control"}


def test_the_documented_set_is_bundled():
    assert {path.stem for path in FILES} == EXPECTED_NAMES


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_bundled_scenario_loads_and_simulates(path):
    scenario = load_scenario(path)
    name = path.stem
    assert scenario.name and scenario.name != name  # a readable name for figures
    assert len(scenario.description) > 40  # a sentence a student can read
    assert_allclose(scenario.duration, DURATIONS[name] * MONTH, rtol=1e-12)
    assert [t.type for t in scenario.treatments] == TREATMENTS.get(name, [])
    if name in PERSISTENT_BASE:
        # extends resolved the base's inputs: the published persistent course times 1.5 (the
        # chronic-LBP population's median patient, tests/test_median_patient.py)
        assert_allclose(scenario.lumbar_pain([0.0, 42.0, 364.0]), [7.65, 4.95, 3.45])
        assert_allclose(scenario.disc_degeneration([0.0]), [0.2])
        assert_allclose(scenario.ergonomic_load([0.0]), [0.4])
    if name == "published_persistent_course":
        # Menezes Costa et al. 2012: 51, 33 and 23 of 100 at 0, 6 and 52 weeks
        assert_allclose(scenario.lumbar_pain([0.0, 42.0, 364.0]), [5.1, 3.3, 2.3])
    result = simulate(scenario)
    headache = result.columns["headache"]
    assert np.all(np.isfinite(headache))
    assert_allclose(result.time[-1], scenario.duration)


def test_treatment_windows():
    by_name = {path.stem: load_scenario(path) for path in FILES}
    for name in TREATMENTS:
        start = 8 * MONTH if name == "nsaid_on_sensitization" else 6 * MONTH
        for treatment in by_name[name].treatments:
            assert_allclose(treatment.start, start, rtol=1e-12)
    (stopped,) = by_name["physical_therapy_stopped_early"].treatments
    assert_allclose(stopped.stop - stopped.start, 42.0)
    assert math.isinf(by_name["physical_therapy"].treatments[0].stop)
    assert by_name["duloxetine"].treatments[0].drug == "duloxetine"
    assert by_name["duloxetine"].treatments[0].dose == 60.0
    assert by_name["nsaid"].treatments[0].dose == 1200.0
    assert by_name["high_posture_chain_stiffness"].parameters == {"posture_chain_stiffness": 2.0}


def test_bundled_inputs_are_as_documented():
    by_name = {path.stem: load_scenario(path) for path in FILES}
    assert by_name["healthy"].lumbar_pain.max_value == 0.0
    assert by_name["healthy"].disc_degeneration.max_value == 0.0
    chronification = by_name["chronification"]
    assert_allclose(chronification.lumbar_pain([0.0, 6 * MONTH, 6 * MONTH + 21.0, 400.0]),
                    [5.0, 5.0, 0.0, 0.0])
    assert_allclose(by_name["nsaid_on_sensitization"].lumbar_pain([100.0, 400.0]), [5.0, 0.0])
    herniation = by_name["disc_herniation"].disc_degeneration
    assert_allclose(herniation([0.0, 6 * MONTH, 9 * MONTH, 360.0]), [0.9, 0.9, 0.3, 0.3])
    desk = by_name["desk_worker"]
    assert_allclose([desk.lumbar_pain([0.0])[0], desk.ergonomic_load([0.0])[0]], [2.0, 0.9])
    flares = by_name["recurring_flares"].lumbar_pain
    assert flares.max_value == 6.0 and flares.min_value == 1.0
    diary = by_name["diary_example"].lumbar_pain
    assert len(diary.pieces) > 100  # a daily diary, not a constant
    assert 0.0 <= diary.min_value and diary.max_value <= 10.0
