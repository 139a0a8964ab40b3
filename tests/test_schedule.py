"""The treatment sweep of the schedule against the straightforward quadratic rules.

:mod:`lbp_headache.engine.schedule` combines treatments once per run of segments with the
same active set (one sweep over sorted starts and stops). These tests keep the
former per-segment loops over every treatment as a reference and require the
same arrays bit for bit, on random treatment lists and on every bundled
scenario; they count work instead of timing it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from lbp_headache.core.parameters import DRUGS, INDEX, NAMES, parameter_vector
from lbp_headache.core.states import N_SEGMENT_INPUTS, U_DISC, U_ERGO, U_LUMBAR, U_PT_TARGET, U_T0
from lbp_headache.engine import solver
from lbp_headache.engine.batch import simulate_batch
from lbp_headache.engine.schedule import active_runs, boundaries, build_segments, segment_tables
from lbp_headache.engine.simulate import initial_state, simulate
from lbp_headache.engine.solver import REFERENCE_SETTINGS, SHORT_SEGMENT, SolverSettings
from lbp_headache.scenario import profiles
from lbp_headache.scenario.reader import load_scenario
from lbp_headache.scenario.record import Scenario
from lbp_headache.scenario.treatments import (
    TARGET_SLOT,
    TREATMENT_TYPES,
    Treatment,
    active_parameters,
    active_targets,
    overlapping_parameter_changes,
    treatment_target,
)

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))
# Changed parameters: some enter the targets, some only the equations.
CHANGED = ("ergonomics_efficacy", "nsaid_standard_dose", "duloxetine_efficacy",
           "pregabalin_standard_dose", "tau_posture", "physical_therapy_lumbar_relief")


# --- the reference: every treatment, every segment ------------------------------------


def reference_targets(treatments, t, p):
    remaining = np.ones((len(TARGET_SLOT),) + np.shape(p)[1:])
    for treatment in treatments:
        if treatment.type in TARGET_SLOT and treatment.active(t):
            remaining[TARGET_SLOT[treatment.type]] *= 1.0 - treatment_target(treatment, p)
    return 1.0 - remaining


def reference_parameters(treatments, t, base):
    p = base.copy()
    for treatment in treatments:
        if treatment.type == "parameter_change" and treatment.active(t):
            i = INDEX[treatment.parameter]
            p[i] = treatment.value if treatment.value is not None else base[i] * treatment.scale
    return p


def reference_pairs(treatments):
    pairs = []
    for i, a in enumerate(treatments):
        for j in range(i + 1, len(treatments)):
            b = treatments[j]
            if (a.type == b.type == "parameter_change" and a.parameter == b.parameter
                    and a.start < b.stop and b.start < a.stop):
                pairs.append((i, j))
    return pairs


def reference_segments(scenario, base):
    """``(inputs, parameters)`` of every segment, shape ``(n_segments, ...)``."""
    edges = boundaries(scenario)
    inputs, parameters = [], []
    for start in edges[:-1]:
        p = reference_parameters(scenario.treatments, start, base)
        u = np.zeros(N_SEGMENT_INPUTS)
        u[U_T0] = start
        u[U_LUMBAR:U_LUMBAR + 2] = scenario.lumbar_pain.linear_at(start)
        u[U_DISC:U_DISC + 2] = scenario.disc_degeneration.linear_at(start)
        u[U_ERGO:U_ERGO + 2] = scenario.ergonomic_load.linear_at(start)
        u[U_PT_TARGET:U_PT_TARGET + 4] = reference_targets(scenario.treatments, start, p)
        inputs.append(u)
        parameters.append(p)
    return np.array(inputs), np.array(parameters)


def reference_tables(scenario, parameter_sets):
    """The former :func:`lbp_headache.engine.batch.segment_tables`."""
    edges = boundaries(scenario)
    starts = np.array(edges[:-1], dtype=float)
    ends = np.array(edges[1:], dtype=float)
    n_sets = parameter_sets.shape[0]
    base = parameter_sets.T
    changes = any(t.type == "parameter_change" for t in scenario.treatments)
    if changes:
        per_segment = np.empty((n_sets, starts.size, len(NAMES)))
    else:
        per_segment = np.broadcast_to(parameter_sets[:, None, :],
                                      (n_sets, starts.size, len(NAMES)))
    inputs = np.zeros((n_sets, starts.size, N_SEGMENT_INPUTS))
    for k, start in enumerate(starts):
        p = reference_parameters(scenario.treatments, start, base) if changes else base
        if changes:
            per_segment[:, k, :] = p.T
        inputs[:, k, U_T0] = start
        inputs[:, k, U_LUMBAR:U_LUMBAR + 2] = scenario.lumbar_pain.linear_at(start)
        inputs[:, k, U_DISC:U_DISC + 2] = scenario.disc_degeneration.linear_at(start)
        inputs[:, k, U_ERGO:U_ERGO + 2] = scenario.ergonomic_load.linear_at(start)
        inputs[:, k, U_PT_TARGET:U_PT_TARGET + 4] = reference_targets(
            scenario.treatments, start, p).T
    return starts, ends, inputs, per_segment


# --- random scenarios ----------------------------------------------------------------


def random_treatment(rng, duration):
    kind = TREATMENT_TYPES[rng.integers(len(TREATMENT_TYPES))]
    # Starts on a coarse grid now and then, so that windows share boundaries.
    start = float(rng.integers(0, 40)) * 10.0 if rng.random() < 0.3 else rng.uniform(0, duration)
    if rng.random() < 0.1:
        stop = math.inf
    else:
        stop = start + (float(rng.integers(1, 8)) * 10.0 if rng.random() < 0.3
                        else rng.exponential(30.0) + 1e-3)
    options = {"adherence": rng.uniform(0.3, 1.0)}
    if kind in ("physical_therapy", "ergonomics"):
        options["intensity"] = rng.uniform(0.2, 1.0)
    if kind in ("nsaid", "neuropathic_medication") and rng.random() < 0.7:
        options["dose"] = rng.uniform(10.0, 3000.0)
    if kind == "neuropathic_medication":
        options["drug"] = DRUGS[rng.integers(len(DRUGS))]
    if kind == "parameter_change":
        options = {"parameter": CHANGED[rng.integers(len(CHANGED))]}
        if rng.random() < 0.5:
            options["scale"] = rng.uniform(0.5, 1.5)
        else:
            table_value = parameter_vector()[INDEX[options["parameter"]]]
            options["value"] = table_value * rng.uniform(0.5, 1.5)
    return Treatment(kind, start, stop, **options)


def random_scenario(seed, n_treatments=200, duration=365.0):
    rng = np.random.default_rng(seed)
    # 100 days: a breakpoint shared with treatment boundaries on the grid.
    times = np.sort(np.append(rng.uniform(0, duration, 11), 100.0))
    lumbar = profiles.from_points(times, rng.uniform(0, 8, times.size))
    disc = profiles.from_points([0.0, 50.0, 200.0], [0.1, 0.5, 0.2], kind="step")
    treatments = [random_treatment(rng, duration) for _ in range(n_treatments)]
    treatments.append(Treatment("nsaid", duration + 5.0, duration + 10.0))  # never active
    return Scenario("random", duration=duration, lumbar_pain=lumbar, disc_degeneration=disc,
                    treatments=tuple(treatments))


def random_sets(seed, count):
    rng = np.random.default_rng(seed)
    return parameter_vector() * rng.uniform(0.8, 1.2, (count, len(NAMES)))


def assert_same_tables(scenario, sets):
    expected = reference_tables(scenario, sets)
    got = segment_tables(scenario, sets)
    for a, b in zip(expected, got):
        assert a.shape == b.shape
        assert np.array_equal(a, b)


def assert_same_segments(scenario, base):
    inputs, parameters = reference_segments(scenario, base)
    segments = build_segments(scenario, base)
    edges = boundaries(scenario)
    assert [s.start for s in segments] == edges[:-1]
    assert [s.end for s in segments] == edges[1:]
    assert np.array_equal(np.array([s.inputs for s in segments]), inputs)
    assert np.array_equal(np.array([s.parameters for s in segments]), parameters)


@pytest.mark.parametrize("seed", range(6))
def test_random_treatments_give_the_reference_segments_bit_for_bit(seed):
    scenario = random_scenario(seed)
    assert_same_segments(scenario, parameter_vector())
    assert_same_tables(scenario, random_sets(seed, 7))


def test_treatments_without_parameter_changes_give_the_reference_tables():
    scenario = random_scenario(11)
    plain = Scenario("plain", duration=scenario.duration, lumbar_pain=scenario.lumbar_pain,
                     treatments=tuple(t for t in scenario.treatments
                                      if t.type != "parameter_change"))
    assert_same_tables(plain, random_sets(11, 5))
    assert_same_tables(Scenario("untreated", duration=30.0), random_sets(12, 3))


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_scenarios_give_the_reference_segments_bit_for_bit(path):
    scenario = load_scenario(path)
    assert_same_segments(scenario, parameter_vector(scenario.parameters))
    assert_same_tables(scenario, random_sets(3, 5))


@pytest.mark.parametrize("name", ["multimodal_care", "duloxetine", "recurring_flares"])
def test_bundled_batch_runs_are_unchanged(name, monkeypatch):
    pytest.importorskip("numba")
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    sets = random_sets(5, 3)
    got = simulate_batch(scenario, sets)
    monkeypatch.setattr("lbp_headache.engine.batch.segment_tables", reference_tables)
    expected = simulate_batch(scenario, sets)
    assert np.array_equal(got.states, expected.states)
    assert np.array_equal(got.status, expected.status)


# --- the sweep itself ----------------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_active_runs_hold_exactly_the_active_treatments_in_listed_order(seed):
    scenario = random_scenario(seed)
    starts = boundaries(scenario)[:-1]
    runs = list(active_runs(scenario.treatments, starts))
    assert runs[0][0] == 0 and runs[-1][1] == len(starts)
    for (_, end, active), (first, _, following) in zip(runs, runs[1:]):
        assert end == first and active != following
    for first, end, active in runs:
        assert first < end
        for k in range(first, end):
            assert active == tuple(t for t in scenario.treatments if t.active(starts[k]))


def test_active_runs_of_no_treatments_is_one_run():
    assert list(active_runs((), [0.0, 1.0, 2.0])) == [(0, 3, ())]


def test_each_course_is_combined_once_not_once_per_segment(monkeypatch):
    # 500 short courses, one long one: 1002 segments. The quadratic loops tested every
    # course on every segment (half a million activity tests); the sweep never asks a
    # treatment whether it is active and computes each course's target once.
    courses = [Treatment("nsaid" if i % 2 else "physical_therapy", 2.0 * i, 2.0 * i + 1.0)
               for i in range(500)]
    courses.append(Treatment("ergonomics", 0.0, 2000.0))
    scenario = Scenario("many courses", duration=1000.0, treatments=tuple(courses))
    calls = count_target_calls(monkeypatch)
    runs = list(active_runs(scenario.treatments, boundaries(scenario)[:-1]))
    segments = build_segments(scenario, parameter_vector())
    assert len(segments) == 1000 and len(runs) == 1000
    assert calls == {"target": 501, "active": 0}  # each course once, the long one included
    calls["target"] = 0
    segment_tables(scenario, random_sets(1, 4))
    assert calls == {"target": 501, "active": 0}


def count_target_calls(monkeypatch) -> dict[str, int]:
    """Count the scheduler's treatment-target evaluations and activity tests."""
    calls = {"target": 0, "active": 0}

    def counted_target(treatment, p):
        calls["target"] += 1
        return treatment_target(treatment, p)

    def counted_active(self, t):
        calls["active"] += 1
        return self.start <= t < self.stop

    monkeypatch.setattr("lbp_headache.engine.schedule.treatment_target", counted_target)
    monkeypatch.setattr(Treatment, "active", counted_active)
    return calls


@pytest.mark.parametrize("order", ["listed by start", "reversed", "shuffled"])
def test_open_ended_courses_cost_linear_time_and_give_the_same_targets(order, monkeypatch):
    # 2,000 courses that never stop (the fuzzer's "3000 treatments" files): on the k-th
    # segment k courses are active. Combining them afresh on each segment evaluated
    # two million targets (13 s for a 3,000-course file); each is evaluated once now,
    # in whatever order the file lists them, and the products are those of
    # active_targets, bit for bit.
    kinds = ("physical_therapy", "ergonomics", "nsaid", "neuropathic_medication")
    courses = [Treatment(kinds[i % 4], 0.5 * i, 5000.0, intensity=0.5, adherence=0.9,
                         drug="duloxetine" if i % 4 == 3 else None) for i in range(2000)]
    if order == "reversed":
        courses.reverse()
    elif order == "shuffled":
        np.random.default_rng(3).shuffle(courses)
    courses.insert(7, Treatment("parameter_change", 100.0, 200.0, parameter="tau_posture",
                                scale=2.0))
    scenario = Scenario("open-ended courses", duration=1500.0, treatments=tuple(courses))
    starts = np.array(boundaries(scenario)[:-1])
    for count in (1, 5):  # one set (1-D arithmetic) and a batch
        calls = count_target_calls(monkeypatch)
        sets = random_sets(2, count)
        _, _, inputs, parameters = segment_tables(scenario, sets)
        monkeypatch.undo()
        # Each course once per parameter array: the change costs a second evaluation of
        # the 200 courses active when it starts (day 100) and of the 400 when it stops.
        assert calls == {"target": 2000 + 200 + 400, "active": 0}
        for k in (0, 1, 150, 199, 200, 399, 400, 401, 1999):
            active = [t for t in scenario.treatments if t.active(starts[k])]
            for s in range(count):
                p = active_parameters(active, sets[s])
                assert np.array_equal(parameters[s, k], p)
                assert np.array_equal(inputs[s, k, U_PT_TARGET:U_PT_TARGET + 4],
                                      active_targets(active, p))


# --- overlapping parameter changes ------------------------------------------------------


def change(start, stop, parameter="tau_posture"):
    return Treatment("parameter_change", start, stop, parameter=parameter, scale=1.5)


@pytest.mark.parametrize("seed", range(20))
def test_overlaps_name_every_change_that_overlaps_an_earlier_listed_one(seed):
    rng = np.random.default_rng(seed)
    treatments = []
    for _ in range(int(rng.integers(2, 60))):
        start = float(rng.integers(0, 50))
        stop = math.inf if rng.random() < 0.1 else start + float(rng.integers(1, 10))
        if rng.random() < 0.2:
            treatments.append(Treatment("nsaid", start, stop))
        else:
            treatments.append(change(start, stop, ("tau_posture", "tau_headache")[rng.integers(2)]))
    expected = reference_pairs(treatments)
    pairs = overlapping_parameter_changes(treatments)
    assert pairs == sorted(pairs)
    assert set(pairs) <= set(expected)
    assert sorted(j for _, j in pairs) == sorted({j for _, j in expected})  # each offender once
    for i, j in pairs:  # the partner is the earlier-listed overlapping change stopping last
        partners = [a for a, b in expected if b == j]
        latest = max(treatments[a].stop for a in partners)
        assert i == min(a for a in partners if treatments[a].stop == latest)


def test_overlaps_of_many_changes_are_one_pair_per_change():
    treatments = [change(float(i), 5000.0) for i in range(2000)]
    assert overlapping_parameter_changes(treatments) == [(0, j) for j in range(1, 2000)]
    touching = [change(float(i), float(i + 1)) for i in range(2000)]
    assert overlapping_parameter_changes(touching) == []
    listed_late = [change(10.0, 20.0), change(30.0, 40.0), change(0.0, 100.0)]
    assert overlapping_parameter_changes(listed_late) == [(1, 2)]


# --- segments too short for the solver ------------------------------------------------


def short_segment_scenario(start, length):
    return Scenario("short segment", duration=365.0, lumbar_pain=profiles.constant(5.0),
                    disc_degeneration=profiles.constant(0.3),
                    treatments=(Treatment("nsaid", start, start + length),))


@pytest.mark.parametrize(("start", "length"), [(0.0, 1e-200), (100.0, 3e-14), (100.0, 1e-12)])
def test_short_segments_never_reach_the_solver(start, length, monkeypatch):
    # LSODA stalls on 1e-200 days at day 0 and fails ("illegal input") on 3e-14 days at
    # day 100; the wrapper refuses such spans instead of hanging the test.
    real = solver.solve_ivp
    spans = []

    def checked(fun, span, *args, **kwargs):
        assert span[1] - span[0] >= SHORT_SEGMENT * max(1.0, span[1])
        spans.append(span)
        return real(fun, span, *args, **kwargs)

    monkeypatch.setattr(solver, "solve_ivp", checked)
    scenario = short_segment_scenario(start, length)
    assert len(build_segments(scenario)) == 3 - (start == 0.0)
    result = simulate(scenario, settings=SolverSettings(method="LSODA"))
    assert len(spans) == 2 - (start == 0.0)
    untreated = simulate(short_segment_scenario(300.0, 1.0), settings=SolverSettings())
    assert np.allclose(result.daily["headache"][:300], untreated.daily["headache"][:300],
                       rtol=1e-6, atol=1e-9)


def test_euler_step_across_a_short_segment_matches_the_solver(monkeypatch):
    # A treatment start 3e-8 days after a jump of the lumbar input (the state is far from
    # steady there): the Euler step against Radau resolving that span.
    lumbar = profiles.from_points([0.0, 100.0, 100.0, 200.0], [1.0, 1.0, 8.0, 2.0])
    scenario = Scenario("near boundaries", duration=200.0, lumbar_pain=lumbar,
                        disc_degeneration=profiles.constant(0.4),
                        treatments=(Treatment("nsaid", 100.0 + 3e-8, 150.0),))
    segments = build_segments(scenario)
    short = [s for s in segments if s.end - s.start < SHORT_SEGMENT * max(1.0, s.end)]
    assert [s.start for s in short] == [100.0]
    y0 = initial_state(scenario, parameter_vector())
    times = np.array([0.0, 100.0, 100.0 + 1.5e-8, 100.0 + 3e-8, 101.0, 200.0])
    euler = solver.integrate(segments, y0, times, REFERENCE_SETTINGS)
    monkeypatch.setattr(solver, "SHORT_SEGMENT", 0.0)
    resolved = solver.integrate(segments, y0, times, REFERENCE_SETTINGS)
    assert np.allclose(euler, resolved, rtol=1e-9, atol=1e-11)
