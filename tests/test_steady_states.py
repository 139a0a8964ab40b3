"""Steady states and bistability (lbp_headache.analysis.steady_states, `steady-states`)."""

from __future__ import annotations

import csv
import json
from dataclasses import replace

import numpy as np
import pytest
from lbp_headache.analysis import steady_states as ss
from lbp_headache.cli.main import main
from lbp_headache.core.equations import rhs, steady_state
from lbp_headache.core.parameters import INDEX, NAMES, parameter_vector
from lbp_headache.core.states import STATE_NAMES, THRESHOLD
from lbp_headache.engine.simulate import simulate
from lbp_headache.scenario.profiles import constant
from lbp_headache.scenario.record import Scenario


def random_sets(seed: int, count: int) -> np.ndarray:
    from lbp_headache.core.parameters import PARAMETERS

    rng = np.random.default_rng(seed)
    low = np.array([p.low for p in PARAMETERS])
    high = np.array([p.high for p in PARAMETERS])
    return low + (high - low) * rng.random((count, len(NAMES)))


@pytest.mark.parametrize("seed", range(4))
def test_every_fixed_point_zeroes_the_whole_right_hand_side(seed):
    rng = np.random.default_rng(seed)
    for p in random_sets(seed, 10):
        inputs = ss.ConstantInputs(float(rng.uniform(0, 10)), float(rng.uniform(0, 1)),
                                   float(rng.uniform(0, 1)),
                                   tuple(float(x) for x in rng.uniform(0, 0.8, 4)))
        points = ss.fixed_points(p, inputs)
        assert points, "there is always a steady state"
        for point in points:
            scale = 1.0 / p[INDEX["tau_sensitization"]]  # the threshold's slowest rate
            assert np.max(np.abs(rhs(0.0, point.states, p, inputs.segment_inputs()))) \
                < 1e-9 * max(scale, 1.0)
        stable = [pt.stable for pt in points]
        # Stable and unstable alternate along the threshold, stable at both ends.
        assert stable[0] and stable[-1]
        assert all(a != b for a, b in zip(stable, stable[1:]))


@pytest.mark.parametrize("seed", range(3))
def test_the_least_sensitized_steady_state_is_the_healthy_branch_iteration(seed):
    # equations.steady_state iterates from the healthy threshold: it lands on the stable
    # steady state with the highest threshold, which fixed_points lists last.
    compared = bistable = 0
    for p in random_sets(10 + seed, 40):
        lumbar = float(np.random.default_rng(seed).uniform(0, 6))
        try:
            expected = steady_state(p, lumbar, 0.3, 0.2)
        except Exception:  # at a fold the iteration does not settle: nothing to compare
            continue
        points = ss.fixed_points(p, ss.ConstantInputs(lumbar, 0.3, 0.2))
        assert points[-1].stable
        np.testing.assert_allclose(points[-1].states, expected, rtol=1e-9, atol=1e-10)
        compared += 1
        bistable += len(points) > 1
    assert compared >= 10 and bistable >= 1


def test_without_feedback_there_is_exactly_one_steady_state():
    # With sensitization_feedback = 0 the threshold's target does not depend on the
    # threshold: the one steady state is that target, in closed form.
    p = parameter_vector({"sensitization_feedback": 0.0})
    for lumbar in np.linspace(0, 10, 21):
        points = ss.fixed_points(p, ss.ConstantInputs(float(lumbar), 0.0, 0.0))
        assert len(points) == 1 and points[0].stable
        drive = 0.1 * lumbar
        ratio = (drive / p[INDEX["sensitization_half_drive"]]) ** p[INDEX["sensitization_hill"]]
        expected = 1.0 - p[INDEX["sensitization_depth"]] * ratio / (1.0 + ratio)
        assert points[0].pain_threshold == pytest.approx(expected, abs=1e-12)


def test_a_simulation_settles_on_the_stable_state_each_side_of_the_unstable_one():
    p = parameter_vector()
    folds = ss.branches(p, ss.ConstantInputs(0.0, 0.0, 0.0), ss.LUMBAR_PAIN,
                        np.linspace(0, 10, 201)).folds()
    pain = 0.5 * (folds[0] + folds[1])  # inside the default patient's bistable window
    inputs = ss.ConstantInputs(pain, 0.0, 0.0)
    points = ss.fixed_points(p, inputs)
    assert [pt.stable for pt in points] == [True, False, True]  # the default is bistable here
    unstable = points[1].pain_threshold
    for landing in (points[0], points[2]):
        offset = 0.1 * (landing.pain_threshold - unstable)  # a tenth of the way to it
        # Slow near the folds of a narrow window: 3,000 days leave 0.014 to go, 6,000 2e-4.
        scenario = Scenario("settle", duration=6000.0, lumbar_pain=constant(pain),
                            initial_state={"pain_threshold": unstable + offset})
        end = simulate(scenario).daily["pain_threshold"][-1]
        assert end == pytest.approx(landing.pain_threshold, abs=1e-3)


def test_branches_and_folds_of_the_default_patient():
    # The default patient is bistable only in a window of back pain between two folds:
    # healthy alone without pain (the threshold recovers once the pain stops, Kosek &
    # Ordeberg 2000), sensitized alone above the window (docs/model.md, "Chronification").
    p = parameter_vector()
    result = ss.branches(p, ss.ConstantInputs(0.0, 0.0, 0.0), ss.LUMBAR_PAIN,
                         np.linspace(0, 10, 101))
    counts = [len(points) for points in result.points]
    assert set(counts) == {1, 3}
    assert counts[0] == 1 and result.points[0][0].pain_threshold == pytest.approx(1.0)
    folds = result.folds()
    assert len(folds) == 2 and 1.0 < folds[0] < folds[1] < 4.0
    bistable = result.bistable_values()
    assert folds[0] - 0.1 < bistable.min() <= bistable.max() < folds[1] + 0.1


def test_branches_and_fold_of_a_susceptible_patient():
    # Feedback above the bound (at the top of its range, with the calibrated half drive):
    # the sensitized state survives without pain (one fold).
    p = parameter_vector({"sensitization_feedback": 2.0})
    result = ss.branches(p, ss.ConstantInputs(0.0, 0.0, 0.0), ss.LUMBAR_PAIN,
                         np.linspace(0, 10, 101))
    counts = [len(points) for points in result.points]
    assert counts[0] == 3
    folds = result.folds()
    assert len(folds) == 1 and 1.0 < folds[0] < 4.0
    bistable = result.bistable_values()
    assert bistable.min() == 0.0
    assert bistable.max() < folds[0] < result.values[counts.index(1)] + 0.1


def test_the_map_counts_stable_states_as_fixed_points_does():
    p = parameter_vector()
    inputs = ss.ConstantInputs(0.0, 0.0, 0.0)
    values = np.linspace(0, 8, 17)
    values2 = np.linspace(0, 1.5, 7)
    classes = ss.bistability_map(p, inputs, ss.LUMBAR_PAIN, values, "sensitization_feedback",
                                 values2)
    for row, feedback in enumerate(values2):
        q = p.copy()
        q[INDEX["sensitization_feedback"]] = feedback
        for column, lumbar in enumerate(values):
            points = ss.fixed_points(q, replace(inputs, lumbar_pain=float(lumbar)))
            stable = [pt for pt in points if pt.stable]
            if len(stable) >= 2:
                assert classes[row, column] == ss.BISTABLE
            else:
                level = 1.0 - stable[0].pain_threshold
                expected = ss.SENSITIZED if level / p[INDEX["sensitization_depth"]] > \
                    ss.SENSITIZED_LEVEL else ss.HEALTHY
                assert classes[row, column] == expected
    # A parameter on the first axis gives the same classes as on the second.
    flipped = ss.bistability_map(p, inputs, "sensitization_feedback", values2,
                                 ss.LUMBAR_PAIN, values)
    assert np.array_equal(flipped, classes.T) or np.mean(flipped != classes.T) < 0.02


def test_steady_states_command_writes_tables_and_figures(tmp_path, capsys):
    out = tmp_path / "ss"
    # The default patient's bistable window is about 0.1 wide: 201 points (0.05 apart).
    code = main(["steady-states", "persistent_back_pain", "--points", "201", "--vary2",
                 "sensitization_feedback", "--points2", "5", "--out", str(out)])
    assert code == 0
    listing = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert listing == ["bistability.csv", "bistability.png", "fixed_points.csv",
                       "steady_states.png", "summary.json"]
    rows = list(csv.DictReader((out / "fixed_points.csv").open()))
    assert {"lumbar_pain", "index", "stable", *STATE_NAMES} <= set(rows[0])
    summary = json.loads((out / "summary.json").read_text())
    # The default patient: bistable in a window of back pain above zero.
    assert len(summary["folds"]) == 2
    assert 0.0 < summary["bistable"]["from"] < summary["bistable"]["to"]
    assert "provenance" in summary and summary["red_flags"]
    assert "steady states over lumbar_pain 0 - 10" in capsys.readouterr().out
    # A rerun without the plane removes the plane's files it wrote, and nothing else.
    (out / "notes.txt").write_text("mine")
    assert main(["steady-states", "persistent_back_pain", "--points", "11", "--no-figures",
                 "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "fixed_points.csv", "notes.txt", "summary.json"]


@pytest.mark.parametrize(("argv", "expected"), [
    (["--vary", "lumbar_pian"], "--vary: unknown quantity 'lumbar_pian'; did you mean "
                                "'lumbar_pain'?"),
    (["--vary2", "lumbar_pain"], "--vary2: lumbar_pain goes on the first axis: give it as "
                                 "--vary (the default) and a parameter as --vary2"),
    (["--vary2", "sensitization_feedbak"], "--vary2: unknown quantity "
     "'sensitization_feedbak'; did you mean 'sensitization_feedback'?"),
    (["--vary", "tau_posture", "--vary2", "tau_posture"], "--vary2: 'tau_posture' is "
                                                            "already --vary"),
    (["--range", "5", "12"], "--range: 5 12 for lumbar_pain: give LOW < HIGH within 0 - 10 "
                             "(the allowed range)"),
    (["--points", "2"], "--points: 2: give 3 to 2,001 points"),
    (["--range2", "0", "1"], "--range2: needs --vary2"),
    (["--day", "9999"], "--day: 9999: give a day within the scenario, 0 - 365.25"),
])
def test_steady_states_refuses_bad_options_in_one_line(tmp_path, capsys, argv, expected):
    code = main(["steady-states", "persistent_back_pain", "--out", str(tmp_path / "o"), *argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err == [expected]
    assert not (tmp_path / "o").exists()


def test_threshold_rate_on_the_grid_matches_the_right_hand_side():
    # The vectorized rate that brackets the roots is the rhs's threshold derivative.
    for p in random_sets(7, 5):
        inputs = ss.ConstantInputs(4.0, 0.5, 0.5, (0.3, 0.2, 0.4, 0.6))
        u = inputs.segment_inputs()
        for theta in np.linspace(1 - p[INDEX["sensitization_depth"]], 1.0, 9):
            expected = rhs(0.0, ss.equilibrium(theta, inputs, p), p, u)[THRESHOLD]
            assert ss.threshold_rate(theta, inputs, p) == pytest.approx(expected, rel=1e-12,
                                                                        abs=1e-15)
