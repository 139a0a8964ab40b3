"""The compiled batch engine against closed forms, the reference solver and itself."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from helpers import cvode_headache, max_relative_error, treated_base
from lbp_headache import load_scenario, simulate, summarize
from lbp_headache.analysis.metrics import NEEDED_STATES, compute_metrics
from lbp_headache.core.equations import steady_state
from lbp_headache.core.parameters import BY_NAME, INDEX, NAMES, PARAMETERS, parameter_vector
from lbp_headache.core.states import HEADACHE_COMPONENTS, STATE_NAMES
from lbp_headache.engine.batch import BatchSettings, day_grid, initial_states, simulate_batch
from lbp_headache.engine.batch_kernel import (
    double_phi_functions,
    extension_value_at,
    next_day_value_at,
    phi1_values,
    phi_values,
)
from lbp_headache.engine.solver import REFERENCE_SETTINGS
from lbp_headache.scenario.profiles import constant
from lbp_headache.scenario.record import Scenario
from lbp_headache.scenario.treatments import Treatment
from numpy.testing import assert_allclose, assert_array_equal

pytest.importorskip("numba")

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))
TOLERANCE = 1e-5  # the bound on the relative headache error


def batch_headache(result, k=0):
    index = [result.names.index(c) for c in HEADACHE_COMPONENTS]
    return result.states[k][:, index].sum(axis=1)


def reference_headache(scenario, overrides=None):
    return simulate(scenario, overrides=overrides, settings=REFERENCE_SETTINGS).daily["headache"]


def random_parameter_sets(scenario: Scenario, n: int, seed: int) -> np.ndarray:
    """``n`` sets drawn uniformly over every table range (the scenario's values as base)."""
    rng = np.random.default_rng(seed)
    low = np.array([p.low for p in PARAMETERS])
    high = np.array([p.high for p in PARAMETERS])
    return low + (high - low) * rng.random((n, len(PARAMETERS)))


# --- the integrator's building blocks ----------------------------------------------------

@pytest.mark.parametrize("z", [-1e-8, -0.01, -0.3, -0.49999, -0.50001, -1.0, -7.5, -300.0, 0.2])
def test_phi_functions_match_their_definitions(z):
    ez, *phis = phi_values(z)
    assert_allclose(ez, math.exp(z), rtol=1e-15)
    assert_allclose(phis[0], math.expm1(z) / z, rtol=1e-14)
    # phi_k from the exact rational series in high precision.
    from fractions import Fraction

    zq = Fraction(z)
    expected = math.expm1(z) / z
    for k, value in enumerate(phis, start=1):
        if abs(z) < 20:
            expected = float(sum(zq**j / math.factorial(j + k) for j in range(80)))
        elif k > 1:  # the recurrence is well conditioned far from 0
            expected = (expected - 1.0 / math.factorial(k - 1)) / z
        assert_allclose(value, expected, rtol=1e-13, err_msg=f"phi{k}({z})")


@pytest.mark.parametrize("z", [0.0, -1e-8, -0.3, -0.49999, -0.50001, -1.0, -7.5, -300.0])
def test_phi1_functions_match_exp_and_phi1(z):
    """The treatment effects' coefficients: ``exp(z)`` and ``phi1(z)`` (1 at 0, no 0/0)."""
    ez, phi1 = phi1_values(z)
    assert_allclose(ez, math.exp(z), rtol=1e-15)
    assert_allclose(phi1, math.expm1(z) / z if z else 1.0, rtol=1e-14)


@pytest.mark.parametrize("z", [-1e-6, -0.4, -0.9, -1.2, -6.0, -60.0])
def test_doubling_gives_the_phi_functions_of_twice_the_argument(z):
    assert_allclose(double_phi_functions(*phi_values(z / 2)), phi_values(z), rtol=2e-14)


@pytest.mark.parametrize("rate", [0.0, 1e-7, 0.02, 0.3, 1.0, 5.5, 40.0, 700.0])
def test_each_whole_day_carried_from_the_last_equals_the_continuous_extension(rate):
    """The daily values after a step's first day come from the day before
    (``exp(-rate) y + sum_k n_k k! phi_{k+1}(-rate)``); they must equal the step's
    continuous extension evaluated afresh at each day, over random step data, short and
    long steps, with and without the cubic and quartic terms."""
    rng = np.random.default_rng(int(rate * 1000) + 1)
    for _ in range(200):
        step = rng.uniform(1.0, 8.0)
        shift = 0.5 * rng.uniform(0.01, 8.0)
        start_value, start, middle, finish = rng.normal(size=4)
        d3, d4 = rng.normal(size=2) * rng.choice([0.0, 1e-3, 1.0], size=2)
        args = (step, shift, start_value, start, middle, finish, d3, d4)
        span = rng.uniform(0.0, 1.0)
        value = extension_value_at(rate, span, *args)
        while span + 1.0 <= step:
            value = next_day_value_at(rate, value, span, step, shift, start, middle, finish,
                                      d3, d4)
            span += 1.0
            exact = extension_value_at(rate, span, *args)
            scale = max(abs(start_value), abs(start), abs(middle), abs(finish), 1.0)
            assert abs(value - exact) <= 1e-13 * scale * step ** 4, (rate, span, value, exact)


def test_recorded_values_do_not_depend_on_which_states_are_recorded():
    """A state's daily values are the same bit for bit whether it is recorded alone, with
    the headache components, with every state or in another order."""
    scenario = load_scenario(ROOT / "scenarios" / "multimodal_care.yaml")
    sets = random_parameter_sets(scenario, 70, seed=8)
    every = simulate_batch(scenario, sets)
    for record in (HEADACHE_COMPONENTS, tuple(reversed(STATE_NAMES)), ("pain_threshold",),
                   ("posture_deviation", "il6")):
        some = simulate_batch(scenario, sets, record=record)
        for k, name in enumerate(record):
            assert_array_equal(some.states[:, :, k], every.states[:, :, every.names.index(name)])


def test_a_run_ending_at_a_fraction_of_a_day_matches_the_reference_at_its_end():
    """The last recorded point of a 200.37-day run is 0.37 days after the day before it,
    not a whole day: it must be the last step's end (the new solution as it is), never a
    day carried on from the one before, for every state."""
    scenario = treated_base((Treatment("physical_therapy", start=20.0, stop=140.0),),
                            duration=200.37)
    p = parameter_vector(scenario.parameters)
    result = simulate_batch(scenario, p[None, :])
    reference = simulate(scenario, settings=REFERENCE_SETTINGS)
    assert reference.time[-1] == 200.37
    for k, name in enumerate(result.names):
        assert_allclose(result.final[0, k], reference[name][-1], rtol=1e-5, atol=1e-8,
                        err_msg=name)


def test_initial_states_are_the_healthy_steady_state_of_each_set():
    scenario = load_scenario(ROOT / "scenarios" / "persistent_back_pain.yaml")
    sets = random_parameter_sets(scenario, 5, seed=3)
    y0 = initial_states(scenario, sets)
    for row, p in zip(y0, sets):
        assert_array_equal(row, steady_state(p))


def test_cytokine_step_response_is_exact_first_order_clearance():
    """A disc step at day 0: IL-6 rises as 1 - exp(-ln2 t / t_half) to its target."""
    scenario = Scenario(name="disc step", duration=3.0, disc_degeneration=constant(0.5))
    p = parameter_vector({})
    result = simulate_batch(scenario, p[None, :], record=("il6",))
    t = day_grid(3.0)
    healthy = p[NAMES.index("il6_healthy")]
    target = healthy * (1 + p[NAMES.index("gain_il6_disc")] * 0.5)
    rate = math.log(2) / p[NAMES.index("il6_half_life")]
    exact = target + (healthy - target) * np.exp(-rate * t)
    assert_allclose(result.states[0][:, 0], exact, rtol=1e-12)


# --- accuracy against the tight-tolerance reference --------------------------------------

@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_every_bundled_scenario_matches_the_reference(path):
    scenario = load_scenario(path)
    p = parameter_vector(scenario.parameters)
    result = simulate_batch(scenario, p[None, :])
    assert result.status[0] == 0
    reference = simulate(scenario, settings=REFERENCE_SETTINGS)
    error = max_relative_error(batch_headache(result), reference.daily["headache"])
    assert error <= TOLERANCE, f"{path.stem}: {error:.2e}"
    for k, name in enumerate(result.names):
        state_error = max_relative_error(result.states[0][:, k], reference.daily[name],
                                         floor=1e-3)
        assert state_error <= 10 * TOLERANCE, (name, state_error)


@pytest.mark.parametrize("name, count, seed", [
    ("persistent_back_pain", 6, 11),
    ("multimodal_care", 6, 12),
    ("duloxetine", 4, 13),
])
def test_random_parameter_sets_across_the_full_ranges_match_the_reference(name, count, seed):
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    sets = random_parameter_sets(scenario, count, seed)
    result = simulate_batch(scenario, sets)
    assert_array_equal(result.status, 0)
    for k, row in enumerate(sets):
        overrides = dict(zip(NAMES, row))
        reference = reference_headache(scenario, overrides)
        error = max_relative_error(batch_headache(result, k), reference)
        assert error <= TOLERANCE, f"set {k}: {error:.2e}"


@pytest.mark.slow
def test_many_random_sets_including_chronifying_ones_match_the_reference():
    scenario = load_scenario(ROOT / "scenarios" / "persistent_back_pain.yaml")
    sets = random_parameter_sets(scenario, 40, seed=2026)
    result = simulate_batch(scenario, sets)
    threshold = result.states[:, -1, result.names.index("pain_threshold")]
    depth = sets[:, NAMES.index("sensitization_depth")]
    chronified = (1 - threshold) / depth >= 0.5
    assert 3 <= chronified.sum() <= 37, "the sample must contain both outcomes"
    errors = []
    for k, row in enumerate(sets):
        reference = reference_headache(scenario, dict(zip(NAMES, row)))
        errors.append(max_relative_error(batch_headache(result, k), reference))
    assert max(errors) <= TOLERANCE, max(errors)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["persistent_back_pain", "multimodal_care"])
def test_every_one_of_10000_sets_across_the_full_ranges_is_within_the_bound(name):
    """The bound on every set, not on a sample: 10,000 sets drawn uniformly over every
    range of the table, against CVODE at rtol 1e-10 on the SBML export (about a minute per
    scenario); the worst three are checked again against Radau, and so is the reference."""
    pytest.importorskip("roadrunner")
    pytest.importorskip("libsbml")
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    sets = random_parameter_sets(scenario, 10_000, seed=12)
    result = simulate_batch(scenario, sets, record=HEADACHE_COMPONENTS, threads=2)
    assert_array_equal(result.status, 0)
    reference = cvode_headache(scenario, sets)
    assert np.isfinite(reference).all(), "CVODE failed on some sets"
    headache = result.states.sum(axis=2)
    scale = np.maximum(np.abs(reference), 0.1)
    errors = np.max(np.abs(headache - reference) / scale, axis=1)
    worst = np.argsort(errors)[::-1][:3]
    assert errors.max() <= TOLERANCE, {int(k): f"{errors[k]:.2e}" for k in worst}
    for k in worst:
        radau = reference_headache(scenario, dict(zip(NAMES, sets[k])))
        assert max_relative_error(reference[k], radau) <= TOLERANCE / 100, k
        assert max_relative_error(headache[k], radau) <= TOLERANCE, k


HARD_SETS = json.loads((ROOT / "tests" / "data" / "hard_parameter_sets.json")
                       .read_text(encoding="utf-8"))["sets"]


def named_set(scenario: Scenario, parameters: dict[str, float]) -> np.ndarray:
    """The scenario's parameter vector with ``parameters`` set by name (a parameter added to
    the table since the set was found keeps its value)."""
    row = parameter_vector(scenario.parameters)
    for name, value in parameters.items():
        row[INDEX[name]] = value
    return row


@pytest.mark.parametrize("hard", HARD_SETS,
                         ids=[f"{s['scenario']}-{s['origin'].split()[-1]}" for s in HARD_SETS])
def test_sets_that_once_broke_the_bound_match_the_reference(hard):
    """Each set of tests/data/hard_parameter_sets.json (its "why": an error estimate that
    missed the midpoint stage; the threshold's error amplified near the sensitization
    switch; errors relative to a headache that multimodal care cut 100-fold) stays within
    half the bound of the reference."""
    scenario = load_scenario(ROOT / "scenarios" / f"{hard['scenario']}.yaml")
    row = named_set(scenario, hard["parameters"])
    result = simulate_batch(scenario, row[None, :])
    reference = reference_headache(scenario, dict(zip(NAMES, row)))
    assert max_relative_error(batch_headache(result), reference) <= TOLERANCE / 2


def test_the_hard_sets_are_read_by_name():
    """A hard set names every parameter it sets, each inside today's range, and keeps the
    values it was found with whatever the table's order or length."""
    scenario = load_scenario(ROOT / "scenarios" / "persistent_back_pain.yaml")
    for hard in HARD_SETS:
        row = named_set(scenario, hard["parameters"])
        for name, value in hard["parameters"].items():
            record = BY_NAME[name]
            assert record.low <= value <= record.high, name
            assert row[INDEX[name]] == value
        assert len(hard["parameters"]) >= 56 and hard["why"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["acute_back_pain", "chronification", "disc_herniation",
                                  "diary_example", "physical_therapy_stopped_early", "nsaid",
                                  "recurring_flares", "ergonomics"])
def test_random_sets_on_many_scenarios_match_the_reference(name):
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    sets = random_parameter_sets(scenario, 5, seed=len(name))
    result = simulate_batch(scenario, sets)
    assert_array_equal(result.status, 0)
    for k, row in enumerate(sets):
        reference = reference_headache(scenario, dict(zip(NAMES, row)))
        error = max_relative_error(batch_headache(result, k), reference)
        assert error <= TOLERANCE, f"set {k}: {error:.2e}"


def test_treatment_start_and_stop_at_fractional_times_are_resolved_exactly():
    """A course from day 100.37 to 130.61: both jumps land on step ends."""
    scenario = treated_base((Treatment("nsaid", start=100.37, stop=130.61),), duration=200.0)
    p = parameter_vector(scenario.parameters)
    result = simulate_batch(scenario, p[None, :])
    reference = reference_headache(scenario)
    assert max_relative_error(batch_headache(result), reference) <= TOLERANCE
    nsaid = result.states[0][:, result.names.index("nsaid_effect")]
    assert nsaid[100] == 0.0 and nsaid[101] > 0.9  # nothing before the start


def test_error_falls_as_the_tolerance_tightens():
    scenario = load_scenario(ROOT / "scenarios" / "multimodal_care.yaml")
    p = parameter_vector(scenario.parameters)
    reference = reference_headache(scenario)
    errors = []
    for rtol in (1e-2, 1e-3, 1e-4, 1e-5):
        settings = BatchSettings(rtol=rtol, atol=rtol * 1e-3)
        result = simulate_batch(scenario, p[None, :], settings=settings)
        errors.append(max_relative_error(batch_headache(result), reference))
    assert all(b < a for a, b in zip(errors, errors[1:])), errors
    assert errors[-1] < errors[0] / 100, errors


# --- reproducibility and ranges ----------------------------------------------------------

def test_results_do_not_depend_on_threads_or_on_how_sets_are_grouped():
    scenario = load_scenario(ROOT / "scenarios" / "multimodal_care.yaml")
    sets = random_parameter_sets(scenario, 150, seed=5)
    one = simulate_batch(scenario, sets, threads=1)
    two = simulate_batch(scenario, sets, threads=2)
    assert_array_equal(one.states, two.states)
    part = simulate_batch(scenario, sets[37:41])
    assert_array_equal(part.states, one.states[37:41])


def test_a_set_gives_the_same_numbers_alone_and_in_any_lane_of_a_block():
    """Lanes never interact: one set alone (narrow kernel) and at several positions of a
    block of 150 (wide kernel; first lanes, a refilled lane, the last set) agree to the bit."""
    scenario = load_scenario(ROOT / "scenarios" / "physical_therapy.yaml")
    sets = random_parameter_sets(scenario, 150, seed=21)
    probe = sets[7].copy()
    alone = simulate_batch(scenario, probe[None, :])
    for position in (0, 63, 64, 149):
        block = sets.copy()
        block[position] = probe
        result = simulate_batch(scenario, block)
        assert_array_equal(result.states[position], alone.states[0])
        assert_array_equal(result.steps[position], alone.steps[0])


def test_states_stay_in_their_physical_ranges_for_random_sets():
    from lbp_headache.core.states import STATES

    scenario = load_scenario(ROOT / "scenarios" / "recurring_flares.yaml")
    sets = random_parameter_sets(scenario, 60, seed=9)
    result = simulate_batch(scenario, sets)
    assert_array_equal(result.status, 0)
    for k in range(len(STATE_NAMES)):
        assert result.states[:, :, k].min() >= STATES[k].low
        assert result.states[:, :, k].max() <= STATES[k].high


def test_batch_metrics_match_summarize():
    for stem in ("multimodal_care", "duloxetine", "persistent_back_pain"):
        scenario = load_scenario(ROOT / "scenarios" / f"{stem}.yaml")
        p = parameter_vector(scenario.parameters)
        result = simulate_batch(scenario, p[None, :], record=NEEDED_STATES)
        daily = {name: result.states[:, :, k] for k, name in enumerate(result.names)}
        final = result.final[:, result.names.index("pain_threshold")]
        metrics = compute_metrics(daily, p[None, :], final_threshold=final,
                                  first_treatment_start=scenario.first_treatment_start)
        expected = summarize(simulate(scenario, settings=REFERENCE_SETTINGS))["metrics"]
        for name in ("headache_days_per_month", "mean_headache", "headache_burden",
                     "min_pain_threshold", "final_pain_threshold"):
            assert_allclose(metrics[name][0], expected[name], rtol=1e-5, err_msg=name)
        for pathway in ("mechanical", "neurological", "inflammatory"):
            assert_allclose(metrics[f"share_{pathway}"][0], expected["pathway_share"][pathway],
                            rtol=1e-5, atol=1e-9)
        responder = expected["responder"]
        if responder["reduction"] is not None:
            assert_allclose(metrics["headache_days_reduction"][0], responder["reduction"],
                            rtol=1e-4)
            assert metrics["responder"][0] == float(responder["is_responder"])


def test_a_state_leaving_its_range_is_reported_not_hidden():
    scenario = Scenario(name="bad start", duration=10.0, initial_state={"neck_tension": 1.0})
    p = parameter_vector({})
    bad = p.copy()
    bad[NAMES.index("neck_resting_tone")] = 5.0  # outside the table: tone > 1
    result = simulate_batch(scenario, np.vstack([p, bad]))
    assert result.status[0] == 0
    assert result.status[1] != 0


def test_every_scenario_runs_on_one_compiled_specialization():
    # A one-segment run (no treatment, constant inputs) gave a read-only broadcast parameter
    # table, which made numba compile the kernel a second time (14 s; a fuzz mutant hung).
    from lbp_headache.engine import batch_kernel

    for name in ("healthy", "persistent_back_pain", "multimodal_care"):
        scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        base = parameter_vector(scenario.parameters)
        for n_sets in (2, 300):
            simulate_batch(scenario, np.tile(base, (n_sets, 1)))
    assert len(batch_kernel.integrate_few.signatures) == 1
    assert len(batch_kernel.integrate_block.signatures) == 1


def test_the_shared_queue_hands_every_set_to_exactly_one_thread():
    """``fetch_add`` (the threads' shared queue of sets) is atomic: two threads taking
    200,000 numbers each from one counter get every number once, none twice."""
    import threading

    import numba
    from lbp_headache.engine.atomic import fetch_add

    @numba.njit(nogil=True)
    def take(queue, n, taken):
        while True:
            s = fetch_add(queue, 0, 1)
            if s >= n:
                return
            taken[s] += 1

    n = 400_000
    queue = np.zeros(1, dtype=np.int64)
    taken = np.zeros(n, dtype=np.int64)
    take(np.zeros(1, dtype=np.int64), 0, taken)  # compile outside the race
    threads = [threading.Thread(target=take, args=(queue, n, taken)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert_array_equal(taken, 1)
    assert queue[0] == n + 2  # each thread's last call found the queue empty


def test_the_output_is_allocated_without_changing_numpys_huge_page_setting():
    """The daily values are allocated with NumPy's huge-page advice off (the kernel's
    compaction stalled the threads writing them, benchmarks/README.md), and NumPy's own
    setting is restored afterwards, whatever it was."""
    from lbp_headache.engine.batch import _huge_page_switch, output_array

    switch = _huge_page_switch()
    if switch is None:
        pytest.skip("this NumPy has no huge-page switch")
    seen = []
    original = switch(True)
    try:
        for setting in (True, False):
            switch(setting)
            out = output_array((2000, 367, 4))
            assert out.shape == (2000, 367, 4) and out.dtype == float
            seen.append(switch(setting))  # the setting in force after the allocation
    finally:
        switch(original)
    assert seen == [True, False]


def test_a_large_output_reuses_memory_only_when_no_array_refers_to_it():
    """Outputs above the C library's mmap threshold are written into one of the last two
    blocks again once nothing refers to it (benchmarks/README.md): never into memory a
    result, or a slice of it, still holds; a loop that keeps the previous result
    alternates between two blocks."""
    from lbp_headache.engine import batch

    shape = (1000, 366, 14)  # every state of 1,000 sets: 41 MB
    assert 8 * np.prod(shape) > batch.OUTPUT_MAPPED_BYTES
    address = lambda array: array.__array_interface__["data"][0]  # noqa: E731
    first = batch.output_array(shape)
    first[...] = 1.0
    kept_slice = first[:, :3, 0]
    del first
    second = batch.output_array(shape)
    assert address(second) != address(kept_slice)  # the slice still holds the first block
    second[...] = 2.0
    assert_array_equal(kept_slice, 1.0)
    del kept_slice
    third = batch.output_array(shape)  # the first block, free again
    third[...] = 3.0
    assert_array_equal(second, 2.0)
    fourth = batch.output_array(shape)  # both blocks in use: a new one
    assert len({address(second), address(third), address(fourth)}) == 3
    assert len(batch._kept_outputs) == batch.KEPT_OUTPUTS
    del second
    assert address(batch.output_array(shape)) not in (address(third), address(fourth))


def test_results_stay_intact_while_later_calls_reuse_output_memory():
    """Results of calls in a loop, with every state recorded on enough sets to reuse
    output blocks, equal the same results computed one by one."""
    scenario = load_scenario(ROOT / "scenarios" / "persistent_back_pain.yaml")
    rows = random_parameter_sets(scenario, 1200, seed=12)
    parts = (slice(0, 1000), slice(300, 1200), slice(200, 1200))  # 1,000, 900, 1,000 sets
    expected = [simulate_batch(scenario, rows[part]).states.copy() for part in parts]
    results = [simulate_batch(scenario, rows[part], threads=1) for part in parts]
    for result, states in zip(results, expected):
        assert_array_equal(result.states, states)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_a_forked_process_starts_without_the_parents_output_blocks():
    """A child forked while the parent's output lock is held can still allocate (and keeps
    none of the parent's blocks)."""
    import os
    import signal

    from lbp_headache.engine import batch

    shape = (1000, 366, 14)
    kept = batch.output_array(shape)
    with batch._kept_outputs_lock:
        pid = os.fork()
        if pid == 0:  # the child: exit code 0 only if it allocates and kept nothing
            signal.alarm(20)  # a child stuck on the lock dies instead of hanging the test
            try:
                empty = not batch._kept_outputs
                batch.output_array(shape)
                os._exit(0 if empty else 1)
            except BaseException:
                os._exit(2)
    _, code = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(code) == 0
    del kept
