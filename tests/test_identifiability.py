"""Structural identifiability of the equations (lbp_headache.analysis.identifiability)."""

from __future__ import annotations

import numpy as np
import pytest
from lbp_headache.analysis import identifiability
from lbp_headache.core.parameters import BY_NAME, INDEX, PARAMETERS, parameter_vector
from lbp_headache.engine.simulate import simulate
from lbp_headache.files.bundled import BUNDLED_FOLDER
from lbp_headache.scenario.reader import load_scenario

EXPECTED = [
    {"posture_chain_stiffness": 1.0, "gain_posture_lumbar": -1.0},
    {"reference_posture_deviation": 1.0, "gain_cervicogenic": 1.0},
    {"weight_il6": 1.0, "weight_tnf": 1.0, "neuroinflammation_half_drive": 1.0},
    {"gain_tension_type": 1.0, "gain_cervicogenic": 1.0, "gain_migraine": 1.0,
     "gain_central": 1.0, "headache_stimulus_half": 1.0},
]


def test_the_equations_have_exactly_four_parameter_symmetries():
    found = identifiability.symmetries()
    assert [s.weights for s in found] == EXPECTED
    assert max(s.residual for s in found) < 1e-9
    assert found[0].describe() == ("only the product posture_chain_stiffness × "
                                   "gain_posture_lumbar matters")
    assert found[1].describe() == ("only the ratio reference_posture_deviation / "
                                   "gain_cervicogenic matters")


def test_the_symmetries_are_structural_not_local():
    # The same four at a parameter set far from the defaults.
    rng = np.random.default_rng(4)
    low = np.array([q.low for q in PARAMETERS])
    high = np.array([q.high for q in PARAMETERS])
    p = low + (high - low) * rng.random(len(PARAMETERS))
    assert [s.weights for s in identifiability.symmetries(p, samples=150, seed=2)] == EXPECTED


def test_parameters_outside_the_right_hand_side_are_listed_apart():
    outside = identifiability.outside_equations(identifiability.sensitivities(samples=20))
    groups = {BY_NAME[name].group for name in outside}
    assert "headache_day_hill" in outside and "duloxetine_efficacy" in outside
    assert "posture_chain_stiffness" not in outside
    # The observation model, the diary noise, expectation, and the efficacies and doses
    # that enter through the treatment targets, never the equations' own groups.
    assert groups == {"observation", "variability", "placebo", "ergonomics", "nsaid",
                      "neuropathic_medication"}, groups


@pytest.mark.parametrize("index", range(len(EXPECTED)))
def test_moving_along_a_symmetry_leaves_a_whole_run_unchanged(index):
    # The check is on the vector field; a full run with treatments confirms it, and a
    # move along one parameter alone does change the run (the test can fail).
    scenario = load_scenario(BUNDLED_FOLDER / "multimodal_care.yaml")
    base = simulate(scenario)
    p = parameter_vector(scenario.parameters)
    moved = {name: float(p[INDEX[name]] * 1.2 ** weight)
             for name, weight in EXPECTED[index].items()}
    along = simulate(scenario, overrides=moved)
    for column in ("headache", "posture_deviation", "neck_tension", "pain_threshold"):
        np.testing.assert_allclose(along.daily[column], base.daily[column], rtol=1e-6,
                                   atol=1e-9)
    first = next(iter(moved))
    alone = simulate(scenario, overrides={first: moved[first]})
    assert np.max(np.abs(alone.daily["headache"] - base.daily["headache"])) > 1e-3
