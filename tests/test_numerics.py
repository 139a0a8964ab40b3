"""Numerical tests: closed forms, steady states, reference solver, convergence, ranges.

Closed-form targets are computed by hand from the parameter table (not with
the model's helper functions), so a wrong equation, sign or constant fails.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import (
    all_treatments,
    constant_inputs,
    demanding_scenario,
    max_relative_error,
    saturated_posture,
    treated_base,
)
from lbp_headache.analysis.observation import sample_diary
from lbp_headache.core.equations import posture_target, rhs, rhs_at, steady_state
from lbp_headache.core.errors import SolverError
from lbp_headache.core.parameters import PARAMETERS, parameter_vector
from lbp_headache.core.states import (
    HEADACHE_COMPONENTS,
    N_SEGMENT_INPUTS,
    STATE_INDEX,
    STATE_NAMES,
    STATES,
    THRESHOLD,
)
from lbp_headache.engine.result import COLUMNS
from lbp_headache.engine.schedule import boundaries
from lbp_headache.engine.simulate import simulate
from lbp_headache.engine.solver import METHODS, REFERENCE_SETTINGS, SolverSettings
from lbp_headache.scenario import profiles
from lbp_headache.scenario.record import Scenario
from lbp_headache.scenario.treatments import Treatment
from numpy.testing import assert_allclose

P = {p.name: p.value for p in PARAMETERS}
LN2 = math.log(2.0)

# --- closed forms ---------------------------------------------------------------


def test_cytokines_follow_exact_first_order_clearance_after_a_disc_step():
    """IL-6(t) = target + (il6_0 - target) exp(-ln2 t / t_half), likewise TNF-alpha."""
    disc = 0.5
    result = simulate(
        Scenario(
            "disc step",
            duration=1.0,
            output_step=1.0 / 1440.0,
            disc_degeneration=profiles.constant(disc),
        )
    )
    t = result.time
    il6_target = P["il6_healthy"] * (1.0 + P["gain_il6_disc"] * disc)
    il6 = il6_target + (P["il6_healthy"] - il6_target) * np.exp(-LN2 * t / P["il6_half_life"])
    assert_allclose(result.columns["il6"], il6, rtol=1e-6, atol=0)
    tnf_target = 1.0 + P["gain_tnf_disc"] * disc
    tnf = tnf_target + (1.0 - tnf_target) * np.exp(-LN2 * t / P["tnf_half_life"])
    assert_allclose(result.columns["tnf_alpha"], tnf, rtol=1e-6, atol=0)


def test_posture_relaxes_exponentially_under_constant_pain_and_load():
    """P(t) = P* (1 - exp(-t / tau_posture)), P* = sat(g_L k L + g_E E), saturated below 60 deg."""
    pain, load = 4.0, 0.5
    result = simulate(
        Scenario(
            "posture",
            duration=40.0,
            output_step=0.1,
            lumbar_pain=profiles.constant(pain),
            ergonomic_load=profiles.constant(load),
        )
    )
    t = result.time
    compensation = (
        P["gain_posture_lumbar"] * P["posture_chain_stiffness"] * pain
        + P["gain_posture_ergonomic"] * load
    )
    target = saturated_posture(compensation)
    expected = target * (1.0 - np.exp(-t / P["tau_posture"]))
    assert_allclose(result.columns["posture_deviation"], expected, rtol=1e-6, atol=1e-9)


def test_posture_saturates_below_its_physiological_limit():
    # sat(C) = C / (1 + (C/60)^4)^(1/4): near the identity for everyday drives, increasing,
    # and below 60 deg for any drive.
    p = parameter_vector()
    pain = np.linspace(0.0, 200.0, 2001)  # far beyond the 0-10 scale: any compensation
    target = posture_target(pain, 0.0, 0.0, 0.0, p)
    assert np.all(np.diff(target) > 0.0) and target.max() < 60.0
    small = posture_target(5.0, 0.3, 0.0, 0.0, p)
    assert small == pytest.approx(1.2 * 5.0 + 6.0 * 0.3, rel=1e-4)


def test_no_parameter_set_leaves_a_physical_range_at_the_strongest_drive():
    # Issue 14: at back pain 10, 12 % of the sets drawn uniformly across the table's ranges
    # pushed posture past 60 deg and failed. Every state stays in range now, on every set.
    pytest.importorskip("numba")
    from lbp_headache.engine.batch import simulate_batch

    rng = np.random.default_rng(5)
    low = np.array([q.low for q in PARAMETERS])
    high = np.array([q.high for q in PARAMETERS])
    sets = low + (high - low) * rng.random((2000, len(PARAMETERS)))
    scenario = Scenario("strongest drive", duration=365.0, lumbar_pain=profiles.constant(10.0),
                        disc_degeneration=profiles.constant(1.0),
                        ergonomic_load=profiles.constant(1.0))
    out = simulate_batch(scenario, sets, threads=1, record=("posture_deviation",))
    assert np.all(np.asarray(out.status) == 0)
    assert float(out.states.max()) < 60.0


def test_neck_tension_relaxes_exponentially_at_a_fixed_posture():
    """With posture held at its target, T(t) = T* + (T0 - T*) exp(-t / tau_neck)."""
    pain = 5.0
    posture = saturated_posture(P["gain_posture_lumbar"] * P["posture_chain_stiffness"] * pain)
    result = simulate(
        Scenario(
            "neck",
            duration=20.0,
            output_step=0.05,
            lumbar_pain=profiles.constant(pain),
            initial_state={"posture_deviation": posture},
        )
    )
    t = result.time
    assert_allclose(result.columns["posture_deviation"], posture, rtol=1e-9)
    x = posture / P["posture_deviation_half"]
    tone = P["neck_resting_tone"]
    target = tone + (1.0 - tone) * x / (1.0 + x)
    expected = target + (tone - target) * np.exp(-t / P["tau_neck_tension"])
    assert_allclose(result.columns["neck_tension"], expected, rtol=1e-6, atol=1e-9)


def test_threshold_falls_with_tau_sensitization_and_recovers_with_tau_desensitization():
    """Without feedback: theta(t) = theta* + (theta0 - theta*) exp(-t / tau), tau by direction."""
    overrides = {"sensitization_feedback": 0.0}
    pain = 6.0
    fall = simulate(
        Scenario("fall", duration=200.0, lumbar_pain=profiles.constant(pain)), overrides=overrides
    )
    t = fall.time
    drive = pain / 10.0
    n = P["sensitization_hill"]
    half = P["sensitization_half_drive"]
    target = 1.0 - P["sensitization_depth"] * drive**n / (drive**n + half**n)
    expected = target + (1.0 - target) * np.exp(-t / P["tau_sensitization"])
    assert_allclose(fall.columns["pain_threshold"], expected, rtol=1e-6, atol=1e-9)

    start = 0.8
    rise = simulate(
        Scenario("recovery", duration=300.0, initial_state={"pain_threshold": start}),
        overrides=overrides,
    )
    t = rise.time
    expected = 1.0 - (1.0 - start) * np.exp(-t / P["tau_desensitization"])
    assert_allclose(rise.columns["pain_threshold"], expected, rtol=1e-6, atol=1e-9)


def test_neuroinflammation_relaxes_exponentially_with_cytokines_at_their_targets():
    """N(t) = N* (1 - exp(-t / tau_N)), N* = x / (x + x_half), x the weighted excess."""
    disc = 0.5
    il6 = P["il6_healthy"] * (1.0 + P["gain_il6_disc"] * disc)
    tnf = 1.0 + P["gain_tnf_disc"] * disc
    result = simulate(
        Scenario(
            "neuroinflammation",
            duration=120.0,
            disc_degeneration=profiles.constant(disc),
            initial_state={"il6": il6, "tnf_alpha": tnf},
        )
    )
    excess = (
        P["weight_il6"] * P["gain_il6_disc"] * disc + P["weight_tnf"] * P["gain_tnf_disc"] * disc
    )
    target = excess / (excess + P["neuroinflammation_half_drive"])
    expected = target * (1.0 - np.exp(-result.time / P["tau_neuroinflammation"]))
    assert_allclose(result.columns["neuroinflammation"], expected, rtol=1e-6, atol=1e-9)


def test_headache_components_relax_with_tau_headache():
    """From zero, with steady stimuli, each component is H*(1 - exp(-t / tau_headache))."""
    zeros = {name: 0.0 for name in HEADACHE_COMPONENTS}
    result = simulate(Scenario("headache", duration=10.0, output_step=0.05, initial_state=zeros))
    healthy = steady_state(parameter_vector())
    factor = 1.0 - np.exp(-result.time / P["tau_headache"])
    # Healthy stimulus is the resting tone alone: tension-type only.
    tone = P["neck_resting_tone"]
    stimulus = P["gain_tension_type"] * tone / P["headache_stimulus_half"]
    m = P["headache_hill"]
    target = 10.0 * stimulus**m / (1.0 + stimulus**m)
    assert_allclose(healthy[STATE_INDEX["headache_tension_type"]], target, rtol=1e-12)
    assert_allclose(result.columns["headache_tension_type"], target * factor, rtol=1e-6, atol=1e-10)
    for name in HEADACHE_COMPONENTS[1:]:
        assert_allclose(result.columns[name], 0.0, atol=1e-12)


@pytest.mark.parametrize(
    ("treatment", "column", "target", "tau_on", "tau_off"),
    [
        (
            Treatment("physical_therapy", 10.0, 40.0, intensity=0.8),
            "physical_therapy_effect",
            0.8,
            P["tau_physical_therapy_onset"],
            P["tau_physical_therapy_fade"],
        ),
        (
            Treatment("ergonomics", 10.0, 40.0),
            "ergonomics_effect",
            P["ergonomics_efficacy"],
            P["tau_ergonomics_onset"],
            P["tau_ergonomics_fade"],
        ),
        (
            Treatment("nsaid", 10.0, 40.0, dose=600.0),
            "nsaid_effect",
            600.0 / P["nsaid_standard_dose"],
            P["tau_nsaid"],
            P["tau_nsaid"],
        ),
        (
            Treatment("neuropathic_medication", 10.0, 40.0, drug="duloxetine", dose=30.0),
            "neuropathic_effect",
            P["duloxetine_efficacy"] * 30.0 / P["duloxetine_standard_dose"],
            P["tau_neuropathic_onset"],
            P["tau_neuropathic_offset"],
        ),
    ],
    ids=["physical_therapy", "ergonomics", "nsaid", "neuropathic"],
)
def test_treatment_effect_onset_and_offset_are_exponential(
    treatment, column, target, tau_on, tau_off
):
    """E = 0 before start, target (1 - exp(-(t-start)/tau_on)) on [start, stop),
    E(stop) exp(-(t-stop)/tau_off) afterwards."""
    result = simulate(
        Scenario(
            "treatment",
            duration=200.0,
            output_step=0.125,
            lumbar_pain=profiles.constant(3.0),
            disc_degeneration=profiles.constant(0.3),
            ergonomic_load=profiles.constant(0.5),
            treatments=(treatment,),
        )
    )
    t = result.time
    start, stop = treatment.start, treatment.stop
    at_stop = target * (1.0 - math.exp(-(stop - start) / tau_on))
    expected = np.where(
        t <= start,
        0.0,
        np.where(
            t <= stop,
            target * (1.0 - np.exp(-(t - start) / tau_on)),
            at_stop * np.exp(-(t - stop) / tau_off),
        ),
    )
    assert_allclose(result.columns[column], expected, rtol=1e-6, atol=1e-9)


# --- steady states -----------------------------------------------------------------

STEADY_INPUTS = [
    (0.0, 0.0, 0.0),
    (1.0, 0.0, 0.0),
    (2.0, 0.3, 0.5),
    (3.0, 1.0, 0.0),
    (5.0, 0.8, 1.0),
    (8.0, 1.0, 1.0),
]


def test_rhs_at_reads_and_writes_one_set_of_a_variable_major_block():
    """The batch layout: set k of a block at ``x[offset + i * stride + k]``, all in one array."""
    rng = np.random.default_rng(8)
    stride, n_sets = 5, 3
    low = np.array([q.low for q in PARAMETERS])
    high = np.array([q.high for q in PARAMETERS])
    sets = low + (high - low) * rng.random((n_sets, low.size))
    states = rng.random((n_sets, len(STATES))) * np.array([s.high for s in STATES]) * 0.2
    inputs = np.array([constant_inputs(pain, 0.3, 0.5) for pain in (1.0, 4.0, 7.0)])
    inputs[:, 7:] = rng.random((n_sets, 4))  # treatment targets
    y0, p0 = 0, len(STATES) * stride
    u0 = p0 + low.size * stride
    d0 = u0 + inputs.shape[1] * stride
    block = np.full(d0 + len(STATES) * stride, np.nan)  # unused lanes stay NaN
    for k in range(n_sets):
        block[y0 + k:p0:stride] = states[k]
        block[p0 + k:u0:stride] = sets[k]
        block[u0 + k:d0:stride] = inputs[k]
    for k in range(n_sets):
        rhs_at(2.5, block, y0 + k, block, p0 + k, block, u0 + k, block, d0 + k, stride)
    for k in range(n_sets):
        assert_allclose(block[d0 + k::stride], rhs(2.5, states[k], sets[k], inputs[k]),
                        rtol=1e-15, atol=0)


@pytest.mark.parametrize(("pain", "disc", "load"), STEADY_INPUTS)
def test_steady_state_zeroes_rhs_and_simulation_stays_there(pain, disc, load):
    """``rhs(steady_state(p, L, disc, E)) == 0`` and a year from it stays put."""
    p = parameter_vector()
    y = steady_state(p, pain, disc, load)
    assert_allclose(rhs(0.0, y, p, constant_inputs(pain, disc, load)), 0.0, rtol=0, atol=1e-10)
    result = simulate(
        Scenario(
            "steady",
            duration=365.0,
            lumbar_pain=profiles.constant(pain),
            disc_degeneration=profiles.constant(disc),
            ergonomic_load=profiles.constant(load),
            initial_state=dict(zip(STATE_NAMES, y)),
        )
    )
    for i, name in enumerate(STATE_NAMES):
        assert_allclose(result.columns[name], y[i], rtol=1e-8, atol=1e-10, err_msg=name)


def test_steady_state_refuses_a_threshold_that_did_not_settle():
    """At the fold of the sensitization switch the healthy branch ends and the fixed-point
    iteration creeps (a saddle-node): it must raise, naming the parameters, not return the
    unsettled value. Away from the fold it settles to a fixed point."""
    p = parameter_vector()
    low, high = 2.0, 4.0  # lumbar pain: healthy branch below the fold, sensitized above

    def settles_healthy(pain: float) -> bool | None:
        try:
            return bool(steady_state(p, pain)[THRESHOLD] > 0.9)
        except SolverError:
            return None

    fold = None
    for _ in range(60):
        middle = 0.5 * (low + high)
        verdict = settles_healthy(middle)
        if verdict is None:
            fold = middle
            break
        low, high = (middle, high) if verdict else (low, middle)
    assert fold is not None, "bisection reached the fold without the iteration stalling"
    with pytest.raises(SolverError, match=r"did not settle .*sensitization_feedback = 1"):
        steady_state(p, fold)
    y = steady_state(p, fold - 0.05)
    assert_allclose(rhs(0.0, y, p, constant_inputs(fold - 0.05, 0.0, 0.0))[THRESHOLD], 0.0,
                    atol=1e-12)


# --- reference solver and convergence ------------------------------------------------


def _reference_scenarios():
    return {
        "persistent": Scenario(
            "persistent", duration=365.0, lumbar_pain=profiles.natural_history("persistent")
        ),
        "treated_multimodal": treated_base(
            (
                Treatment("physical_therapy", 182.0, 350.0),
                Treatment("ergonomics", 182.0),
                Treatment("nsaid", 200.0, 260.0),
                Treatment("neuropathic_medication", 182.0, 400.0, drug="duloxetine"),
            )
        ),
        "demanding": demanding_scenario(),
        "flares_disc": Scenario(
            "flares",
            duration=240.0,
            lumbar_pain=profiles.flares(1.0, 7.0, first=10.5, every=45.0, length=9.25, until=240.0),
            disc_degeneration=profiles.from_points([0, 100, 200], [0.0, 1.0, 0.2]),
        ),
    }


REFERENCE_TOLERANCE = 1e-5


@pytest.mark.slow
@pytest.mark.parametrize("name", list(_reference_scenarios()))
def test_all_methods_match_the_reference_solution(name):
    """Headache within 1e-5 (relative to max(|ref|, 0.1)) of Radau at rtol 1e-10 for all methods."""
    scenario = _reference_scenarios()[name]
    reference = simulate(scenario, settings=REFERENCE_SETTINGS)
    errors = {}
    for method in METHODS:
        settings = SolverSettings() if method == "LSODA" else SolverSettings(method=method)
        result = simulate(scenario, settings=settings)
        errors[method] = max_relative_error(
            result.columns["headache"], reference.columns["headache"]
        )
        for column in ("pain_threshold", "neck_tension", "il6"):
            assert (
                max_relative_error(result.columns[column], reference.columns[column], floor=1e-3)
                < REFERENCE_TOLERANCE
            ), (method, column)
    assert SolverSettings().method == "LSODA"
    assert max(errors.values()) < REFERENCE_TOLERANCE, errors


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
def test_error_decreases_as_rtol_tightens(method):
    """Error vs reference falls as rtol goes 1e-4 -> 1e-6 -> 1e-8 (demanding scenario).

    ``range_tolerance`` is widened so that the loose runs are not rejected for
    excursions of the order of their own tolerance.
    """
    scenario = demanding_scenario()
    reference = simulate(scenario, settings=REFERENCE_SETTINGS).columns["headache"]
    errors = []
    for rtol in (1e-4, 1e-6, 1e-8):
        settings = SolverSettings(method=method, rtol=rtol, atol=rtol * 1e-2, range_tolerance=1e-2)
        errors.append(
            max_relative_error(simulate(scenario, settings=settings).columns["headache"], reference)
        )
    assert errors[0] > errors[1] > errors[2], errors
    assert errors[2] < 1e-6, errors
    assert errors[0] < 1e-2, errors


# --- discontinuities --------------------------------------------------------------


def test_treatment_window_is_half_open_and_is_a_segment_boundary():
    treatment = Treatment("physical_therapy", 10.25, 20.75)
    assert not treatment.active(math.nextafter(10.25, 0.0))
    assert treatment.active(10.25)
    assert treatment.active(math.nextafter(20.75, 0.0))
    assert not treatment.active(20.75)
    scenario = Scenario(
        "window",
        duration=30.0,
        output_step=0.125,
        lumbar_pain=profiles.constant(3.0),
        treatments=(treatment,),
    )
    edges = boundaries(scenario)
    assert edges[0] == 0.0 and edges[-1] == 30.0
    assert 10.25 in edges and 20.75 in edges
    result = simulate(scenario)
    t = result.time
    effect = result.columns["physical_therapy_effect"]
    assert np.all(effect[t <= 10.25] == 0.0)  # exactly zero up to the start
    just_after = np.searchsorted(t, 10.25) + 1
    assert_allclose(
        effect[just_after], 1.0 - math.exp(-0.125 / P["tau_physical_therapy_onset"]), rtol=1e-6
    )
    assert np.all(effect[t > 10.25] > 0.0)


def test_step_at_non_integer_time_is_resolved():
    """A lumbar step at day 10.5 moves posture from exactly then on, as the closed form says."""
    step_time, pain = 10.5, 5.0
    scenario = Scenario(
        "step",
        duration=30.0,
        output_step=1.0 / 16.0,
        lumbar_pain=profiles.from_points([0.0, step_time], [0.0, pain], kind="step"),
    )
    assert step_time in boundaries(scenario)
    result = simulate(scenario)
    t = result.time
    target = saturated_posture(P["gain_posture_lumbar"] * P["posture_chain_stiffness"] * pain)
    expected = np.where(
        t <= step_time, 0.0, target * (1.0 - np.exp(-(t - step_time) / P["tau_posture"]))
    )
    posture = result.columns["posture_deviation"]
    # Zero up to the step; at the step itself the next segment's dense output gives its
    # start to round-off (1.5e-15 seen).
    assert np.all(posture[t < step_time] == 0.0)
    assert abs(posture[t == step_time][0]) < 1e-12
    assert_allclose(posture, expected, rtol=1e-6, atol=1e-9)
    assert result.columns["lumbar_pain"][np.searchsorted(t, step_time)] == pain
    reference = simulate(scenario, settings=REFERENCE_SETTINGS)
    assert max_relative_error(result.columns["headache"], reference.columns["headache"]) < 1e-6


# --- ranges under random parameters ------------------------------------------------


@pytest.mark.slow
def test_random_parameter_sets_stay_in_range_and_headache_is_sum_of_components():
    """200 parameter sets uniform in their ranges, demanding scenario: every state in range."""
    rng = np.random.default_rng(20240611)
    scenario = demanding_scenario(365.0)
    settings = SolverSettings(rtol=1e-6, atol=1e-8)
    lows = {s.name: s.low for s in STATES}
    highs = {s.name: s.high for s in STATES}
    for _ in range(200):
        overrides = {p.name: float(rng.uniform(p.low, p.high)) for p in PARAMETERS}
        result = simulate(scenario, overrides=overrides, settings=settings)  # no SolverError
        for table in (result.columns, result.daily):
            for name in STATE_NAMES:
                values = table[name]
                assert np.all(np.isfinite(values)), (name, overrides)
                assert values.min() >= lows[name] and values.max() <= highs[name], name
            parts = sum(table[name] for name in HEADACHE_COMPONENTS)
            assert_allclose(table["headache"], parts, rtol=1e-12, atol=0)
            assert table["headache"].max() <= 10.0


# --- errors and reproducibility ----------------------------------------------------


@pytest.mark.parametrize(("state", "value"), [("neck_tension", 1.5), ("il6", -1.0)])
def test_state_outside_range_raises_solver_error_naming_state_and_time(state, value):
    scenario = Scenario("bad", duration=10.0, initial_state={state: value})
    with pytest.raises(SolverError) as caught:
        simulate(scenario)
    error = caught.value
    assert error.state == state
    assert error.time == 0.0
    assert state in str(error) and "day 0" in str(error)
    assert isinstance(error, RuntimeError)


def test_runs_are_bit_for_bit_reproducible_and_diaries_follow_the_seed():
    scenario = treated_base(all_treatments(), seed=7)
    first, second = simulate(scenario), simulate(scenario)
    for name in COLUMNS:
        assert np.array_equal(first.columns[name], second.columns[name]), name
        assert np.array_equal(first.daily[name], second.daily[name]), name
    assert np.array_equal(first.time, second.time)
    diary = sample_diary(first, seed=3)
    assert np.array_equal(diary, sample_diary(second, seed=3))
    assert not np.array_equal(diary, sample_diary(first, seed=4))
    assert np.array_equal(sample_diary(first), sample_diary(first, seed=7))  # scenario seed
    assert diary.dtype == bool and diary.size == len(first.daily["headache"]) - 1


def test_the_single_run_right_hand_side_on_floats_is_the_numpy_one_bit_for_bit():
    """The integrator's right-hand side on Python floats gives exactly :func:`rhs`."""
    from lbp_headache.core.equations import rhs
    from lbp_headache.engine.solver import _float_rhs

    rng = np.random.default_rng(3)
    low = np.array([s.low for s in STATES])
    high = np.array([s.high for s in STATES])
    for _ in range(200):
        defaults = parameter_vector()
        p = defaults * rng.uniform(0.5, 2.0, defaults.size)
        u = rng.uniform(0.0, 5.0, N_SEGMENT_INPUTS)
        y = rng.uniform(low, np.minimum(high, 50.0))
        t = float(rng.uniform(0, 400))
        assert np.array_equal(_float_rhs(p, u)(t, y), rhs(t, y, p, u))
