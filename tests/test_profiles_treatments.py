"""Input profiles and treatment semantics (windows, targets, overlap, parameter changes)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import saturated_posture
from lbp_headache.core.parameters import INDEX, parameter_vector
from lbp_headache.core.states import U_ERGO_TARGET, U_NEURO_TARGET, U_NSAID_TARGET, U_PT_TARGET
from lbp_headache.engine.schedule import boundaries, build_segments
from lbp_headache.engine.simulate import simulate
from lbp_headache.scenario import profiles
from lbp_headache.scenario.record import Scenario
from lbp_headache.scenario.treatments import (
    Treatment,
    combined_targets,
    overlapping_parameter_changes,
    parameters_at,
    treatment_target,
)
from numpy.testing import assert_allclose

P = parameter_vector()


def _before(t: float) -> float:
    return math.nextafter(t, -math.inf)


# --- profiles -----------------------------------------------------------------------


def test_from_points_step_holds_each_value_right_continuously():
    profile = profiles.from_points([0.0, 10.0, 20.0], [1.0, 2.0, 3.0], kind="step")
    assert_allclose(
        profile([0.0, 5.0, _before(10.0), 10.0, 15.0, _before(20.0), 20.0, 1e4]),
        [1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0],
        rtol=0,
        atol=0,
    )
    assert profile.breakpoints == (10.0, 20.0)


def test_from_points_linear_interpolates_and_holds_the_ends():
    profile = profiles.from_points([5.0, 15.0, 25.0], [2.0, 4.0, 1.0])
    assert_allclose(
        profile([0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 100.0]),
        [2.0, 2.0, 3.0, 4.0, 2.5, 1.0, 1.0],
        rtol=1e-14,
    )
    assert profile.linear_at(10.0) == pytest.approx((3.0, 0.2))
    assert profile.linear_at(20.0) == pytest.approx((2.5, -0.3))
    assert profile.linear_at(30.0) == (1.0, 0.0)


def test_from_points_repeated_time_is_a_right_continuous_jump():
    profile = profiles.from_points([0.0, 10.0, 10.0, 20.0], [0.0, 2.0, 6.0, 6.0])
    assert profile(_before(10.0)) == pytest.approx(2.0, rel=1e-12)
    assert profile(10.0) == 6.0
    assert profile(15.0) == 6.0
    assert 10.0 in profile.breakpoints


@pytest.mark.parametrize(
    ("times", "values", "message"),
    [([0.0, -1.0], [1.0, 2.0], "non-negative and non-decreasing"),
     ([5.0, 2.0], [1.0, 2.0], "non-negative and non-decreasing"),
     ([0.0, 1.0], [1.0], "non-empty and of equal length")],
)
def test_from_points_rejects_bad_points(times, values, message):
    with pytest.raises(ValueError, match=message):
        profiles.from_points(times, values)


@pytest.mark.parametrize(
    ("first", "every", "length", "until", "count"),
    [(14.0, 42.0, 14.0, 365.0, 9), (0.0, 30.0, 7.0, 90.0, 3), (10.5, 20.0, 5.25, 50.5, 2)],
)
def test_flares_produce_the_right_number_of_pulses(first, every, length, until, count):
    baseline, peak = 1.0, 6.0
    profile = profiles.flares(baseline, peak, first=first, every=every, length=length, until=until)
    assert count == math.ceil((until - first) / every)
    grid = np.arange(0.0, until + 2 * every, 0.125)
    values = profile(grid)
    assert set(np.unique(values)) <= {baseline, peak}
    rises = np.flatnonzero((values[1:] == peak) & (values[:-1] == baseline)) + 1
    starts = grid[rises] if first > 0 else np.concatenate(([0.0], grid[rises]))
    assert starts.size == count
    assert_allclose(starts, first + every * np.arange(count), rtol=0, atol=0)
    for start in starts:
        assert profile(start) == peak
        assert profile(_before(start + length)) == peak
        assert profile(start + length) == baseline


def test_flares_reject_a_flare_longer_than_its_period():
    with pytest.raises(ValueError, match="0 < length < every"):
        profiles.flares(1.0, 5.0, first=0.0, every=10.0, length=10.0, until=100.0)


@pytest.mark.parametrize(
    ("course", "published"),
    [
        ("acute_recovering", (52, 23, 12, 6)),  # Menezes Costa et al. 2012, 0-100
        ("persistent", (51, 33, 26, 23)),
    ],
)
def test_natural_history_matches_menezes_costa(course, published):
    weeks = np.array([0.0, 6.0, 26.0, 52.0])
    profile = profiles.natural_history(course)
    assert_allclose(profile(7.0 * weeks), np.array(published) / 10.0, rtol=1e-14)
    assert_allclose(profile(1000.0), published[-1] / 10.0, rtol=1e-14)  # level after a year
    midway = profile(21.0)  # linear between baseline and 6 weeks
    assert_allclose(midway, (published[0] + published[1]) / 20.0, rtol=1e-14)
    scaled = profiles.natural_history(course, scale=0.6)
    assert_allclose(scaled(7.0 * weeks), 0.06 * np.array(published), rtol=1e-14)
    with pytest.raises(ValueError, match="unknown natural-history course 'chronic'"):
        profiles.natural_history("chronic")


# --- treatment targets and overlap -----------------------------------------------


def test_overlapping_same_type_treatments_combine_by_independent_action():
    a = Treatment("physical_therapy", 0.0, 100.0, intensity=0.5)
    b = Treatment("physical_therapy", 50.0, 150.0, intensity=0.8, adherence=0.5)
    c = Treatment("nsaid", 60.0, 70.0, dose=600.0)
    d = Treatment("nsaid", 65.0, 80.0, adherence=0.5)
    treatments = (a, b, c, d)
    assert combined_targets(treatments, 10.0, P)[0] == pytest.approx(0.5, rel=1e-14)
    assert combined_targets(treatments, 75.0, P)[0] == pytest.approx(1 - 0.5 * 0.6, rel=1e-14)
    assert combined_targets(treatments, 120.0, P)[0] == pytest.approx(0.4, rel=1e-14)
    assert combined_targets(treatments, 150.0, P)[0] == 0.0
    nsaid = combined_targets(treatments, 67.0, P)
    assert nsaid[2] == pytest.approx(1.0 - (1.0 - 0.5) * (1.0 - 0.5), rel=1e-14)
    assert nsaid[1] == 0.0 and nsaid[3] == 0.0  # other mechanisms untouched
    # The scheduler hands the same targets to the solver.
    scenario = Scenario("overlap", duration=200.0, treatments=treatments)
    for segment in build_segments(scenario, P):
        expected = combined_targets(treatments, segment.start, P)
        assert_allclose(segment.inputs[U_PT_TARGET : U_NEURO_TARGET + 1], expected, rtol=0)


def test_treatment_targets_follow_the_table():
    assert treatment_target(
        Treatment("physical_therapy", 0.0, intensity=0.5, adherence=0.8), P
    ) == pytest.approx(0.4)
    assert treatment_target(Treatment("ergonomics", 0.0, adherence=0.5), P) == pytest.approx(
        0.5 * P[INDEX["ergonomics_efficacy"]]
    )
    assert treatment_target(Treatment("nsaid", 0.0, dose=300.0), P) == pytest.approx(
        300.0 / P[INDEX["nsaid_standard_dose"]]
    )
    for drug in ("duloxetine", "pregabalin", "gabapentin", "amitriptyline"):
        full = Treatment("neuropathic_medication", 0.0, drug=drug)
        assert treatment_target(full, P) == pytest.approx(P[INDEX[f"{drug}_efficacy"]])


@pytest.mark.parametrize(
    ("kind", "drug", "standard"),
    [
        ("nsaid", None, "nsaid_standard_dose"),
        ("neuropathic_medication", "duloxetine", "duloxetine_standard_dose"),
        ("neuropathic_medication", "gabapentin", "gabapentin_standard_dose"),
    ],
)
def test_dose_above_standard_adds_nothing(kind, drug, standard):
    dose = P[INDEX[standard]]
    at = treatment_target(Treatment(kind, 0.0, drug=drug, dose=dose), P)
    above = treatment_target(Treatment(kind, 0.0, drug=drug, dose=3.0 * dose), P)
    default = treatment_target(Treatment(kind, 0.0, drug=drug), P)
    half = treatment_target(Treatment(kind, 0.0, drug=drug, dose=0.5 * dose), P)
    assert above == at == default
    assert half == pytest.approx(0.5 * at, rel=1e-14)


def test_treatment_rejects_bad_windows_and_types():
    with pytest.raises(ValueError, match="0 <= start < stop"):
        Treatment("physical_therapy", 10.0, 10.0)
    with pytest.raises(ValueError, match="unknown treatment type 'physio'"):
        Treatment("physio", 0.0)
    with pytest.raises(ValueError, match="needs a drug from"):
        Treatment("neuropathic_medication", 0.0, drug="aspirin")
    with pytest.raises(ValueError, match="exactly one of value and scale"):
        Treatment("parameter_change", 0.0, parameter="tau_posture")


# --- parameter changes --------------------------------------------------------------


def test_parameter_change_applies_only_within_its_window():
    i = INDEX["posture_chain_stiffness"]
    change = Treatment(
        "parameter_change", 10.0, 20.0, parameter="posture_chain_stiffness", value=2.5
    )
    scaled = Treatment("parameter_change", 30.0, 40.0, parameter="tau_posture", scale=2.0)
    treatments = (change, scaled)
    assert parameters_at(treatments, _before(10.0), P)[i] == P[i]
    assert parameters_at(treatments, 10.0, P)[i] == 2.5
    assert parameters_at(treatments, _before(20.0), P)[i] == 2.5
    assert parameters_at(treatments, 20.0, P)[i] == P[i]
    j = INDEX["tau_posture"]
    assert parameters_at(treatments, 35.0, P)[j] == 2.0 * P[j]
    assert parameters_at(treatments, 40.0, P)[j] == P[j]
    changed = parameters_at(treatments, 15.0, P)
    assert np.array_equal(np.delete(changed, i), np.delete(P, i))  # nothing else moves

    # In a run: posture relaxes toward the changed target exactly inside the window.
    pain = 4.0
    scenario = Scenario(
        "change",
        duration=40.0,
        output_step=0.125,
        lumbar_pain=profiles.constant(pain),
        treatments=(change,),
        initial_state={"posture_deviation": saturated_posture(
            P[INDEX["gain_posture_lumbar"]] * P[i] * pain)},
    )
    assert {10.0, 20.0} <= set(boundaries(scenario))
    assert scenario.first_treatment_start is None
    result = simulate(scenario)
    t = result.time
    tau = P[INDEX["tau_posture"]]
    low = saturated_posture(P[INDEX["gain_posture_lumbar"]] * P[i] * pain)
    high = saturated_posture(P[INDEX["gain_posture_lumbar"]] * 2.5 * pain)
    at_20 = high + (low - high) * math.exp(-10.0 / tau)
    expected = np.where(
        t <= 10.0,
        low,
        np.where(
            t <= 20.0,
            high + (low - high) * np.exp(-(t - 10.0) / tau),
            low + (at_20 - low) * np.exp(-(t - 20.0) / tau),
        ),
    )
    assert_allclose(result.columns["posture_deviation"], expected, rtol=1e-6, atol=1e-9)
    assert np.array_equal(result.parameters, P)  # the recorded base is unchanged


def test_overlapping_parameter_changes_are_detected():
    def change(start, stop, parameter="tau_posture"):
        return Treatment("parameter_change", start, stop, parameter=parameter, scale=1.5)

    treatments = (
        change(0.0, 10.0),
        change(10.0, 20.0),  # touches the first: half-open windows do not overlap
        change(15.0, 30.0),  # overlaps the second
        change(0.0, 100.0, parameter="tau_neck_tension"),  # other parameter
        Treatment("physical_therapy", 0.0, 100.0),
        change(25.0, math.inf),  # overlaps the third
    )
    assert overlapping_parameter_changes(treatments) == [(1, 2), (2, 5)]
    assert overlapping_parameter_changes(treatments[:2]) == []


def test_segment_targets_and_ergonomics_window():
    ergonomics = Treatment("ergonomics", 5.0, 12.0)
    scenario = Scenario("segments", duration=20.0, treatments=(ergonomics,))
    segments = build_segments(scenario, P)
    assert [s.start for s in segments] == [0.0, 5.0, 12.0]
    assert [s.end for s in segments] == [5.0, 12.0, 20.0]
    targets = [s.inputs[U_ERGO_TARGET] for s in segments]
    assert targets == [0.0, P[INDEX["ergonomics_efficacy"]], 0.0]
    assert all(s.inputs[U_NSAID_TARGET] == 0.0 for s in segments)


# --- neuropathic medication on back pain --------------------------------------------------


def test_neuropathic_medication_relieves_back_pain_by_its_relief_times_its_effect():
    """Duloxetine's trials measured back pain: the reported lumbar pain is the raw drive
    times ``1 - neuropathic_lumbar_relief * E_neuro`` (with the other treatments off);
    with the relief at 0 the drug leaves back pain alone."""
    scenario = Scenario("duloxetine on constant pain", duration=120.0,
                        lumbar_pain=profiles.constant(5.0),
                        treatments=(Treatment("neuropathic_medication", start=30.0,
                                              drug="duloxetine", dose=60.0),))
    result = simulate(scenario)
    effect = result.daily["neuropathic_effect"]
    relief = P[INDEX["neuropathic_lumbar_relief"]]
    assert relief > 0 and effect[-1] > 0.15
    assert_allclose(result.daily["lumbar_pain"], 5.0 * (1.0 - relief * effect), rtol=1e-12)
    assert result.daily["lumbar_pain"][-1] < 5.0 * (1.0 - 0.1)  # a real effect, not rounding
    without = simulate(scenario, overrides={"neuropathic_lumbar_relief": 0.0})
    assert_allclose(without.daily["lumbar_pain"], 5.0, rtol=0, atol=0)


def test_no_parameter_set_makes_back_pain_negative_under_neuropathic_medication():
    """The relief factor is clipped at 0: the largest relief (1.5) at the largest
    effect (amitriptyline-like 0.9 would exceed 1) still leaves pain at or above 0."""
    from lbp_headache.core.equations import effective_lumbar_pain

    p = P.copy()
    p[INDEX["neuropathic_lumbar_relief"]] = 1.5
    assert effective_lumbar_pain(4.0, 0.0, 0.0, 0.9, p) == 0.0
    assert effective_lumbar_pain(4.0, 0.0, 0.0, 0.5, p) == pytest.approx(4.0 * 0.25)
