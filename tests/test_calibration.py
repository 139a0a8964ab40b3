"""The bundled targets as model outputs: a change that moves one across its interval fails.

Every target of calibration/targets.yaml that the model computes is evaluated
once (about 10 s: three populations, three trials, seven scenarios). The
targets inside their published interval today are listed below by status; a
change that pushes one out fails the suite, and a change that brings a new
one in fails too, until it is added here (so docs/calibration.md's table is
rerun and the gain is seen). Issue 14's calibration grows the emergent list.
"""

from __future__ import annotations

import pytest
from lbp_headache.calibration.evaluate import evaluate_targets
from lbp_headache.calibration.target_reader import load_targets
from lbp_headache.files.bundled import BUNDLED_TARGETS

#: Emergent targets the model reproduces (inside the published interval), at the adopted
#: calibration (model/core/calibrated.py): 12 of the 14 computable. Out, with the reasons in
#: docs/calibration.md: the sensitized share (52.1 % against 45-50 %) and the chronic-migraine
#: placebo responders (63.7 % against 25.7-42.8 %, out of sample for the adopted run).
REPRODUCED = {"cervicogenic_share", "remote_pressure_pain_threshold",
              "duloxetine_responders_50", "placebo_responders_50",
              "duloxetine_responders_30", "placebo_responders_30",
              "early_response_relative_risk",
              "improvement_specific_share", "improvement_natural_share",
              "ctth_attention_placebo_responders", "ctth_waitlist_responders",
              "chronic_migraine_entry_headache_days"}

#: By-construction targets inside their interval: checks that the inputs and parameters
#: set from them still give them (never counted as reproduced).
CONSTRUCTION_INSIDE = {
    "tnf_alpha_half_life", "il6_half_life", "il6_healthy", "sensitization_onset",
    "sensitization_onset_default_patient",
    "sensitization_recovery",
    "natural_history_acute_baseline", "natural_history_acute_6_weeks",
    "natural_history_acute_26_weeks", "natural_history_acute_52_weeks",
    "natural_history_persistent_baseline", "natural_history_persistent_6_weeks",
    "natural_history_persistent_26_weeks", "natural_history_persistent_52_weeks",
    "back_pain_recurrence", "physical_therapy_ctth_8_weeks",
    "physical_therapy_ctth_26_weeks", "nsaid_chronic_lbp", "duloxetine_trial_size",
    "placebo_vs_no_treatment_smd",
    "ctth_entry_headache_days", "manual_therapy_trial_size",
}


@pytest.fixture(scope="module")
def results():
    return evaluate_targets(load_targets(BUNDLED_TARGETS))


def test_the_reproduced_emergent_targets_stay_inside(results):
    inside = {r.target.id for r in results if r.reproduced}
    assert inside == REPRODUCED


def test_the_by_construction_checks_stay_inside(results):
    inside = {r.target.id for r in results
              if r.inside and r.target.status == "by_construction"}
    assert inside == CONSTRUCTION_INSIDE


def test_every_computable_emergent_target_has_a_value(results):
    emergent = [r for r in results if r.target.status == "emergent"]
    assert len(emergent) == 14
    assert all(r.model_value is not None and r.inside is not None for r in emergent)


def test_duloxetine_separates_from_placebo_on_back_pain(results):
    # Alev et al. 2017: >= 30 % less back pain in 59.7 % on duloxetine and 47.8 % on
    # placebo. The model's arms must at least be ordered that way (before neuropathic
    # medication acted on back pain they were equal: 32.1 % and 31.9 %).
    value = {r.target.id: r.model_value for r in results}
    assert value["duloxetine_responders_30"] > value["placebo_responders_30"] + 5.0
    assert value["duloxetine_responders_50"] > value["placebo_responders_50"] + 5.0


def test_the_cervicogenic_share_as_a_model_output(results):
    # Nilsson 1995: about 18 % (accepted within the file's +-25 %).
    share = next(r for r in results if r.target.id == "cervicogenic_share")
    assert 13.5 <= share.model_value <= 22.5


def test_the_chronification_targets_as_model_outputs(results):
    # Giesbrecht & Battie 2005: remote thresholds about 16 % lower in chronic LBP (within
    # the file's +-25 %); Marcuzzi et al. 2018: the fall over months 2-4; Kosek & Ordeberg
    # 2000: normal 6-14 months after the cause is removed (docs/model.md, "Chronification").
    by_id = {r.target.id: r for r in results}
    assert 12.0 <= by_id["remote_pressure_pain_threshold"].model_value <= 20.0
    assert 2.0 <= by_id["sensitization_onset"].model_value <= 4.0
    assert 2.0 <= by_id["sensitization_onset_default_patient"].model_value <= 4.0
    assert 6.0 <= by_id["sensitization_recovery"].model_value <= 14.0
    # Still above Aoyagi et al. 2019's 45-50 % (52.1 % at the adopted calibration, 58.7 %
    # before it, 98 % before the chronification structure was revised), but close.
    assert by_id["sensitization_prevalence"].model_value < 55.0
