"""Sweep files: bundled specs load, designs are reproducible, bad input is located."""

from __future__ import annotations

import hashlib
import itertools
import json
import shutil
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
from lbp_headache.analysis.metrics import METRIC_NAMES
from lbp_headache.analysis.sweep.cost import MAX_SETS
from lbp_headache.analysis.sweep.design import describe, design_matrix, from_unit_cube
from lbp_headache.analysis.sweep.reader import load_sweep
from lbp_headache.analysis.sweep.spec import SensitivitySpec, SweepSpec, SweptParameter
from lbp_headache.core.errors import Problem, ScenarioError
from lbp_headache.core.parameters import BY_NAME
from lbp_headache.engine.result import COLUMNS
from numpy.testing import assert_allclose
from scipy.stats import qmc

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
SWEEPS = sorted((SCENARIOS / "sweeps").glob("*.yaml"))
BASE = "duration: 100\nlumbar_pain: 3\n"


def problems(path: str) -> list[str]:
    """The rendered problems of loading ``path`` (fails if it loads)."""
    with pytest.raises(ScenarioError) as info:
        load_sweep(path)
    assert all(isinstance(p, Problem) for p in info.value.problems)
    return [str(p) for p in info.value.problems]


def only_problem(path: str) -> str:
    found = problems(path)
    assert len(found) == 1, found
    return found[0]


@pytest.fixture
def sweep(write_yaml):
    """Write ``base.yaml`` (100 days) and a sweep file; return the sweep's name."""

    def write(text: str, name: str = "sweep.yaml") -> str:
        write_yaml("base.yaml", BASE)
        return write_yaml(name, text)

    return write


# --- bundled sweeps ---------------------------------------------------------------


def test_the_documented_sweeps_are_bundled():
    assert [p.stem for p in SWEEPS] == [
        "chronification_map", "headache_sensitivity", "stiffness_curve", "treatment_robustness",
    ]


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.stem)
def test_bundled_sweep_loads_with_a_matrix_within_bounds(path):
    spec = load_sweep(path)
    assert spec.name and spec.name != path.stem
    assert len(spec.description) > 40
    assert spec.source_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    matrix = design_matrix(spec)
    assert matrix.shape == (spec.n_sets, len(spec.parameters))
    assert spec.n_sets <= 5000  # small enough to run in seconds
    for j, parameter in enumerate(spec.parameters):
        record = BY_NAME[parameter.name]
        assert record.low <= parameter.low < parameter.high <= record.high
        assert np.all((matrix[:, j] >= parameter.low) & (matrix[:, j] <= parameter.high))
    for label, scenario in spec.scenarios:
        assert scenario.source and Path(scenario.source).stem == label
    json.dumps(describe(spec))  # JSON-ready


def test_bundled_chronification_map():
    spec = load_sweep(SCENARIOS / "sweeps" / "chronification_map.yaml")
    assert [label for label, _ in spec.scenarios] == ["persistent_back_pain"]
    assert spec.design == "grid" and spec.n_sets == 441
    assert spec.parameter_names == ("sensitization_half_drive", "sensitization_feedback")
    assert {"chronified", "final_sensitization", "headache_days_per_month"} <= set(spec.metrics)
    assert spec.states_at == (("pain_threshold", 90.0), ("pain_threshold", 182.0))
    assert spec.state_columns == ("pain_threshold_day90", "pain_threshold_day182")


def test_bundled_stiffness_curve_and_robustness_and_sensitivity():
    curve = load_sweep(SCENARIOS / "sweeps" / "stiffness_curve.yaml")
    assert curve.n_sets == 41 and curve.parameters[0].levels == 41
    assert_allclose(design_matrix(curve)[[0, 20, 40], 0], [0.2, 1.6, 3.0])
    robust = load_sweep(SCENARIOS / "sweeps" / "treatment_robustness.yaml")
    assert [label for label, _ in robust.scenarios] == ["physical_therapy", "duloxetine"]
    assert (robust.design, robust.samples, len(robust.parameters)) == ("latin_hypercube", 2000, 6)
    assert {"headache_days_per_month", "responder", "headache_days_reduction"} <= set(
        robust.metrics)
    sensitivity = load_sweep(SCENARIOS / "sweeps" / "headache_sensitivity.yaml")
    assert (sensitivity.design, sensitivity.samples) == ("sobol", 1024)
    assert sensitivity.sensitivity == SensitivitySpec(
        methods=("sobol", "morris", "local"), output="headache_days_per_month",
        sobol_samples=256)


# --- values and defaults ------------------------------------------------------------


def test_defaults_come_from_the_table(sweep):
    path = sweep("""
        scenario: base.yaml
        parameters:
          posture_chain_stiffness: {}
        """)
    spec = load_sweep(path)
    record = BY_NAME["posture_chain_stiffness"]
    assert spec.parameters == (
        SweptParameter("posture_chain_stiffness", record.low, record.high, "linear", 11),
    )
    assert spec.name == "sweep" and spec.description == ""
    assert (spec.design, spec.samples, spec.seed, spec.chunk_size) == ("grid", None, 0, 1000)
    assert spec.metrics == METRIC_NAMES
    assert spec.states_at == () and spec.trajectories == () and dict(spec.fixed) == {}
    assert spec.sensitivity is None
    assert spec.source == path
    assert spec.source_hash == hashlib.sha256(Path(path).read_bytes()).hexdigest()
    (label, scenario), = spec.scenarios
    assert label == "base" and scenario.duration == 100.0


@pytest.mark.parametrize(("count", "levels"), [(1, 11), (2, 21), (3, 5), (4, 5)])
def test_default_levels_depend_on_the_dimension(sweep, count, levels):
    names = ["posture_chain_stiffness", "gain_migraine", "gain_il6_disc", "tau_headache"]
    lines = "".join(f"  {name}: default\n" for name in names[:count])
    spec = load_sweep(sweep("scenario: base.yaml\nparameters:\n" + lines))
    assert [p.levels for p in spec.parameters] == [levels] * count
    assert spec.n_sets == levels ** count


def test_bare_name_and_default_mean_table_bounds(sweep):
    path = sweep("""
        scenario: base.yaml
        parameters:
          gain_migraine:
          tau_headache: default
        design: random
        samples: 10
        """)
    first, second = load_sweep(path).parameters
    assert (first.low, first.high, first.levels) == (0.1, 2.0, None)
    assert (second.low, second.high) == (0.25, 5.0)


def test_units_are_converted(sweep):
    path = sweep("""
        scenario: base.yaml
        parameters:
          tau_sensitization: {low: 4 weeks, high: 2 months}
          tau_headache: {low: 12 hours, high: 3}
        fixed:
          tau_posture: 36 hours
          gain_migraine: 0.8
        states_at:
          pain_threshold: [2 weeks, 50.5 days]
          headache: 0
        trajectories: [headache, pain_threshold]
        """)
    spec = load_sweep(path)
    assert_allclose([spec.parameters[0].low, spec.parameters[0].high], [28.0, 365.25 / 6])
    assert_allclose([spec.parameters[1].low, spec.parameters[1].high], [0.5, 3.0])
    assert spec.fixed == {"tau_posture": 1.5, "gain_migraine": 0.8}
    # times are rounded down to whole days (sweeps keep daily values)
    assert spec.states_at == (("pain_threshold", 14.0), ("pain_threshold", 50.0),
                              ("headache", 0.0))
    assert spec.trajectories == ("headache", "pain_threshold")


def test_grid_ordering_first_parameter_slowest(sweep):
    path = sweep("""
        scenario: base.yaml
        parameters:
          posture_chain_stiffness: {low: 1, high: 3, levels: 3}
          gain_migraine: {low: 0.5, high: 1, levels: 2}
        """)
    matrix = design_matrix(load_sweep(path))
    expected = list(itertools.product([1.0, 2.0, 3.0], [0.5, 1.0]))
    assert matrix.tolist() == [list(row) for row in expected]


def test_log_scale_grid_is_geometric(sweep):
    path = sweep("""
        scenario: base.yaml
        parameters:
          tau_sensitization: {low: 20 days, high: 80 days, scale: log, levels: 3}
        """)
    matrix = design_matrix(load_sweep(path))
    assert matrix[0, 0] == 20.0 and matrix[-1, 0] == 80.0
    assert_allclose(matrix[:, 0], [20.0, 40.0, 80.0], rtol=1e-12)


def test_log_scale_samples_are_log_uniform(sweep):
    path = sweep("""
        scenario: base.yaml
        parameters:
          tau_sensitization: {low: 20, high: 80, scale: log}
          gain_migraine: {}
        design: latin_hypercube
        samples: 50
        """)
    matrix = design_matrix(load_sweep(path))
    assert matrix.min() >= 0.1 and np.all((matrix[:, 0] >= 20) & (matrix[:, 0] <= 80))
    # a Latin hypercube puts exactly one sample in each of 50 equal slices of log(tau)
    slices = np.floor(np.log(matrix[:, 0] / 20) / np.log(4) * 50).astype(int)
    assert sorted(slices) == list(range(50))


@pytest.mark.parametrize("design", ["sobol", "latin_hypercube", "random"])
def test_sampling_designs_are_reproducible(sweep, design):
    text = f"""
        scenario: base.yaml
        parameters:
          posture_chain_stiffness: {{}}
          tau_sensitization: {{scale: log}}
          gain_migraine: {{low: 0.2, high: 1.5}}
        design: {design}
        samples: 64
        seed: SEED
        """
    first = design_matrix(load_sweep(sweep(text.replace("SEED", "7"), "a.yaml")))
    again = design_matrix(load_sweep(sweep(text.replace("SEED", "7"), "b.yaml")))
    other = design_matrix(load_sweep(sweep(text.replace("SEED", "8"), "c.yaml")))
    assert first.shape == (64, 3)
    assert first.tobytes() == again.tobytes()  # bit for bit
    assert not np.array_equal(first, other)


def test_designs_use_the_documented_samplers(sweep):
    path = sweep("""
        scenario: base.yaml
        parameters:
          posture_chain_stiffness: {low: 1, high: 2}
          gain_migraine: {low: 0.5, high: 1.5}
        design: sobol
        samples: 32
        seed: 3
        """)
    spec = load_sweep(path)
    unit = qmc.Sobol(2, scramble=True, seed=3).random_base2(5)
    assert design_matrix(spec).tobytes() == (unit + [1.0, 0.5]).tobytes()
    random = SweepSpec(**{**vars(spec), "design": "random"})
    unit = np.random.default_rng(3).random((32, 2))
    assert_allclose(design_matrix(random), unit + [1.0, 0.5], rtol=0, atol=1e-15)
    lhs = SweepSpec(**{**vars(spec), "design": "latin_hypercube"})
    unit = qmc.LatinHypercube(2, seed=3).random(32)
    assert_allclose(design_matrix(lhs), unit + [1.0, 0.5], rtol=0, atol=1e-15)


def test_sobol_with_any_sample_count_is_warning_free(sweep):
    path = sweep("""
        scenario: base.yaml
        parameters: {gain_migraine: {}}
        design: sobol
        samples: 100
        """)
    spec = load_sweep(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        matrix = design_matrix(spec)
    assert matrix.shape == (100, 1)
    # the first 100 points of the same sequence as a power of two
    longer = design_matrix(SweepSpec(**{**vars(spec), "samples": 128}))
    assert matrix.tobytes() == longer[:100].tobytes()


def test_from_unit_cube_maps_the_bounds():
    parameters = [SweptParameter("gain_migraine", 0.5, 1.5),
                  SweptParameter("tau_sensitization", 20.0, 80.0, "log")]
    values = from_unit_cube(parameters, np.array([[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]]))
    assert_allclose(values, [[0.5, 20.0], [1.0, 40.0], [1.5, 80.0]], rtol=1e-12)


def test_sensitivity_defaults(sweep):
    path = sweep("""
        scenario: base.yaml
        parameters: {gain_migraine: {}, gain_central: {}}
        sensitivity: {}
        """)
    assert load_sweep(path).sensitivity == SensitivitySpec(
        ("sobol", "morris", "local"), "headache_days_per_month", 256, 20, 4, 1000, 0.95)


def test_describe_names_units_and_every_field(sweep):
    path = sweep("""
        name: Demo
        scenario: base.yaml
        parameters:
          tau_sensitization: {low: 30 days, high: 60 days, levels: 4}
        fixed: {tau_posture: 2 days}
        states_at: {pain_threshold: 50}
        sensitivity: {methods: [morris]}
        """)
    info = describe(load_sweep(path))
    assert set(info) >= {"name", "description", "source", "source_hash", "scenarios",
                         "parameters", "design", "samples", "n_sets", "seed", "metrics",
                         "states_at", "trajectories", "chunk_size", "fixed", "sensitivity"}
    (parameter,) = info["parameters"]
    assert (parameter["unit"], parameter["unit_symbol"]) == ("day", "d")
    assert (parameter["low"], parameter["high"], parameter["levels"]) == (30.0, 60.0, 4)
    assert info["n_sets"] == 4 and info["samples"] is None
    assert info["fixed"] == {"tau_posture": {"value": 2.0, "unit": "day", "unit_symbol": "d"}}
    assert info["states_at"] == [{"variable": "pain_threshold", "day": 50.0,
                                  "column": "pain_threshold_day50"}]
    assert info["scenarios"][0]["label"] == "base"
    assert info["sensitivity"]["methods"] == ["morris"]
    assert json.loads(json.dumps(info)) == info


# --- one test per kind of bad input -----------------------------------------------------


def test_unknown_top_key_suggests_the_close_one(sweep):
    path = sweep("scenario: base.yaml\nparamters:\n  gain_migraine: {}\n")
    assert problems(path) == [
        "sweep.yaml: parameters: missing required key 'parameters' (the parameters to sweep, "
        "e.g. 'parameters: {posture_chain_stiffness: {low: 0.5, high: 2}}')",
        "sweep.yaml:2: paramters: unknown key 'paramters'; did you mean 'parameters'?",
    ]


def test_unknown_key_in_a_parameter(sweep):
    path = sweep("scenario: base.yaml\nparameters:\n  gain_migraine: {low: 0.2, hihg: 1}\n")
    assert only_problem(path) == (
        "sweep.yaml:3: parameters.gain_migraine.hihg: unknown key 'hihg'; did you mean 'high'?"
    )


def test_unknown_parameter(sweep):
    path = sweep("scenario: base.yaml\nparameters:\n  posture_chian_stiffness: {}\n")
    assert only_problem(path) == (
        "sweep.yaml:3: parameters.posture_chian_stiffness: unknown parameter "
        "'posture_chian_stiffness'; did you mean 'posture_chain_stiffness'?"
    )


def test_unknown_metric(sweep):
    path = sweep("""
        scenario: base.yaml
        parameters: {gain_migraine: {}}
        metrics: [headache_days_per_month, chronifed]
        """)
    assert only_problem(path) == (
        "sweep.yaml:3: metrics[1]: unknown metric 'chronifed'; did you mean 'chronified'?"
    )


def test_unknown_state_variable_and_trajectory(sweep):
    path = sweep("""
        scenario: base.yaml
        parameters: {gain_migraine: {}}
        states_at:
          pain_thresold: [10 days]
        trajectories: [headache, neck_tensoin]
        """)
    assert problems(path) == [
        "sweep.yaml:4: states_at.pain_thresold: unknown variable 'pain_thresold'; "
        "did you mean 'pain_threshold'?",
        "sweep.yaml:5: trajectories[1]: unknown variable 'neck_tensoin'; "
        "did you mean 'neck_tension'?",
    ]
    assert "pain_threshold" in COLUMNS and "neck_tension" in COLUMNS


def test_wrong_unit_for_a_bound(sweep):
    path = sweep("scenario: base.yaml\nparameters:\n  tau_sensitization: {low: 3 mg}\n")
    message = only_problem(path)
    assert message.startswith("sweep.yaml:3: parameters.tau_sensitization.low: '3 mg' has unit "
                              "'mg'")
    assert message.endswith("'tau_sensitization' is in d")


def test_unit_on_a_dimensionless_bound(sweep):
    path = sweep("scenario: base.yaml\nparameters:\n  gain_migraine: {low: 1 mmHg}\n")
    assert only_problem(path) == (
        "sweep.yaml:3: parameters.gain_migraine.low: '1 mmHg' has unit 'mmHg' but a "
        "dimensionless number is required; 'gain_migraine' is dimensionless")


def test_bound_outside_the_plausible_range_names_it_with_units(sweep):
    path = sweep("scenario: base.yaml\nparameters:\n  tau_sensitization:\n    high: 6 months\n")
    assert only_problem(path) == (
        "sweep.yaml:4: parameters.tau_sensitization.high: 182.625 d is outside the plausible "
        "range [20, 90] d of 'tau_sensitization'"
    )


def test_low_not_below_high(sweep):
    path = sweep("scenario: base.yaml\nparameters:\n  gain_migraine: {low: 1.5, high: 0.5}\n")
    assert only_problem(path) == (
        "sweep.yaml:3: parameters.gain_migraine: low (1.5) must be below high (0.5)"
    )


def test_log_scale_needs_a_positive_low(sweep):
    path = sweep("scenario: base.yaml\nparameters:\n  gain_central: {scale: log}\n")
    assert only_problem(path) == (
        "sweep.yaml:3: parameters.gain_central.scale: a log scale needs low > 0, but the "
        "table's low of 'gain_central' is 0; give a positive 'low' or use 'scale: linear'"
    )


def test_unknown_scale(sweep):
    path = sweep("scenario: base.yaml\nparameters:\n  gain_migraine: {scale: logarithmic}\n")
    assert only_problem(path) == (
        "sweep.yaml:3: parameters.gain_migraine.scale: unknown scale 'logarithmic'; "
        "allowed: linear, log"
    )


def test_days_outside_the_duration(sweep):
    path = sweep("""
        scenario: base.yaml
        parameters: {gain_migraine: {}}
        states_at:
          pain_threshold: [50, 4 months]
        """)
    assert only_problem(path) == (
        "sweep.yaml:4: states_at.pain_threshold[1]: day 121.75 is after the end of scenario "
        "'base' (100 days)"
    )


def test_states_at_uses_the_shortest_scenario(sweep, write_yaml):
    write_yaml("long.yaml", "duration: 200\n")
    path = sweep("""
        scenarios: [long.yaml, base.yaml]
        parameters: {gain_migraine: {}}
        states_at: {headache: 150}
        """)
    assert only_problem(path) == (
        "sweep.yaml:3: states_at.headache: day 150 is after the end of scenario 'base' "
        "(100 days)"
    )


def test_duplicate_parameter(sweep):
    path = sweep("""
        scenario: base.yaml
        parameters:
          gain_migraine: {}
          gain_migraine: {low: 0.5}
        """)
    assert only_problem(path) == (
        "sweep.yaml:4: parameters.gain_migraine: duplicate key 'gain_migraine' (first given on "
        "line 3); YAML would silently keep only the last one"
    )


def test_parameter_both_fixed_and_swept(sweep):
    path = sweep("""
        scenario: base.yaml
        parameters:
          gain_migraine: {}
        fixed:
          gain_migraine: 0.8
        """)
    assert only_problem(path) == (
        "sweep.yaml:5: fixed.gain_migraine: 'gain_migraine' is both swept (parameters, line 3) "
        "and fixed; remove it from one of them"
    )


def test_bad_fixed_values(sweep):
    path = sweep("""
        scenario: base.yaml
        parameters: {gain_migraine: {}}
        fixed:
          tau_posture: 3 kg
          gain_central: 5
          gain_centrel: 0.5
        """)
    found = problems(path)
    assert found[0].startswith("sweep.yaml:4: fixed.tau_posture: '3 kg' has unit 'kg'")
    assert found[1] == ("sweep.yaml:5: fixed.gain_central: 5 is outside the plausible range "
                        "[0, 1] of 'gain_central'")
    assert found[2] == ("sweep.yaml:6: fixed.gain_centrel: unknown parameter 'gain_centrel'; "
                        "did you mean 'gain_central'?")


@pytest.mark.parametrize(("key", "value", "minimum"), [
    ("samples", "2.5", 1), ("samples", "0", 1), ("samples", "-3", 1), ("samples", "'100'", 1),
    ("chunk_size", "0", 1), ("chunk_size", "1.5", 1), ("seed", "-1", 0), ("seed", "true", 0),
])
def test_whole_numbers(sweep, key, value, minimum):
    design = "design: random\n" if key != "samples" else "design: sobol\n"
    samples = "" if key == "samples" else "samples: 8\n"
    path = sweep(f"scenario: base.yaml\nparameters: {{gain_migraine: {{}}}}\n{design}{samples}"
                 f"{key}: {value}\n")
    line = 4 if key == "samples" else 5
    assert only_problem(path).startswith(
        f"sweep.yaml:{line}: {key}: expected a whole number >= {minimum}, got ")


@pytest.mark.parametrize("value", ["1", "0", "-2", "2.5", "ten"])
def test_levels_must_be_a_whole_number_of_at_least_two(sweep, value):
    path = sweep(f"scenario: base.yaml\nparameters:\n  gain_migraine: {{levels: {value}}}\n")
    assert only_problem(path).startswith(
        "sweep.yaml:3: parameters.gain_migraine.levels: expected a whole number >= 2, got ")


def test_levels_only_for_a_grid(sweep):
    path = sweep("""
        scenario: base.yaml
        parameters:
          gain_migraine: {levels: 5}
        design: latin_hypercube
        samples: 10
        """)
    assert only_problem(path) == (
        "sweep.yaml:3: parameters.gain_migraine.levels: 'levels' applies only to 'design: grid'; "
        "design 'latin_hypercube' draws 'samples' sets within the bounds"
    )


def test_design_typo(sweep):
    path = sweep("scenario: base.yaml\nparameters: {gain_migraine: {}}\ndesign: sobl\n")
    assert only_problem(path) == (
        "sweep.yaml:3: design: unknown design 'sobl'; did you mean 'sobol'?"
    )


def test_design_typo_and_bad_samples_are_both_reported(sweep):
    path = sweep("scenario: base.yaml\nparameters: {gain_migraine: {}}\ndesign: sobl\n"
                 "samples: -5\n")
    assert problems(path) == [
        "sweep.yaml:3: design: unknown design 'sobl'; did you mean 'sobol'?",
        "sweep.yaml:4: samples: expected a whole number >= 1, got -5",
    ]


def test_samples_not_allowed_for_a_grid(sweep):
    path = sweep("""
        scenario: base.yaml
        parameters:
          gain_migraine: {levels: 4}
          gain_central: {levels: 3}
        samples: 100
        """)
    assert only_problem(path) == (
        "sweep.yaml:5: samples: 'samples' does not apply to 'design: grid': the number of sets "
        "is the product of the parameters' levels (4 x 3 = 12); remove 'samples', or choose a "
        "sampling design such as 'design: latin_hypercube'"
    )


def test_samples_required_for_sampling_designs(sweep):
    path = sweep("scenario: base.yaml\nparameters: {gain_migraine: {}}\ndesign: random\n")
    assert only_problem(path) == (
        "sweep.yaml:3: samples: design 'random' needs 'samples', the number of parameter sets "
        "(e.g. 'samples: 1024')"
    )


def test_too_many_samples(sweep):
    path = sweep(f"scenario: base.yaml\nparameters: {{gain_migraine: {{}}}}\ndesign: random\n"
                 f"samples: {MAX_SETS + 1}\n")
    assert only_problem(path) == (
        "sweep.yaml:4: samples: 10,000,001 sets is more than the limit of 10,000,000"
    )


def test_too_many_grid_sets_states_the_count(sweep):
    path = sweep("""
        scenario: base.yaml
        parameters:
          gain_migraine: {levels: 1000}
          gain_central: {levels: 1000}
          gain_il6_disc: {levels: 11}
        """)
    assert only_problem(path) == (
        "sweep.yaml:2: parameters: the grid has 1000 x 1000 x 11 = 11,000,000 sets, more than "
        "the limit of 10,000,000; use fewer levels, or a sampling design "
        "('design: latin_hypercube' with 'samples')"
    )


def test_missing_scenario_file_names_the_scenario_line(sweep):
    path = sweep("name: x\nscenario: ../gone.yaml\nparameters: {gain_migraine: {}}\n",
                 "sub/sweep.yaml")
    assert only_problem(path) == (
        "sub/sweep.yaml:2: scenario: scenario file 'gone.yaml' not found (paths are relative "
        "to the folder of the sweep file)"
    )


def test_missing_file_in_a_scenario_list(sweep):
    path = sweep("""
        scenarios:
          - base.yaml
          - nope.yaml
        parameters: {gain_migraine: {}}
        """)
    assert only_problem(path) == (
        "sweep.yaml:3: scenarios[1]: scenario file 'nope.yaml' not found (paths are relative "
        "to the folder of the sweep file)"
    )


def test_missing_scenario_key_and_both_keys(sweep):
    path = sweep("parameters: {gain_migraine: {}}\n")
    assert only_problem(path).startswith("sweep.yaml: scenario: missing required key 'scenario'")
    path = sweep("scenario: base.yaml\nscenarios: [base.yaml]\nparameters: {gain_migraine: {}}\n")
    assert only_problem(path) == (
        "sweep.yaml:2: scenarios: give either 'scenario' (one file) or 'scenarios' (a list), "
        "not both"
    )


def test_same_scenario_listed_twice(sweep):
    path = sweep("scenarios: [base.yaml, ./base.yaml]\nparameters: {gain_migraine: {}}\n")
    assert only_problem(path).startswith(
        "sweep.yaml:1: scenarios[1]: a scenario file named 'base.yaml' is already listed (line 1)"
    )


def test_scenario_problems_are_reported_as_is(sweep, write_yaml):
    write_yaml("broken.yaml", "duration: 10\nlumbar_pain: 12\n")
    path = sweep("scenario: broken.yaml\nparameters: {gain_migraine: {}}\ndesign: sobl\n")
    assert problems(path) == [
        "sweep.yaml:3: design: unknown design 'sobl'; did you mean 'sobol'?",
        "broken.yaml:2: lumbar_pain: 12 is outside the allowed range [0, 10]",
    ]


@pytest.mark.parametrize("text", ["parameters: {}\n", "parameters:\n", "parameters: [a]\n"])
def test_empty_parameters(sweep, text):
    message = only_problem(sweep("scenario: base.yaml\n" + text))
    assert message.startswith("sweep.yaml:2: parameters: ")
    assert "no parameters to sweep" in message or "expected a mapping" in message


def test_number_instead_of_bounds_points_to_fixed(sweep):
    path = sweep("scenario: base.yaml\nparameters:\n  gain_migraine: 0.8\n")
    message = only_problem(path)
    assert message.startswith("sweep.yaml:3: parameters.gain_migraine: expected a mapping")
    assert "under 'fixed'" in message


def test_name_listed_twice(sweep):
    path = sweep("""
        scenario: base.yaml
        parameters: {gain_migraine: {}}
        metrics: [chronified, responder, chronified]
        states_at: {headache: [10, 10.5]}
        """)
    assert problems(path) == [
        "sweep.yaml:3: metrics[2]: 'chronified' is listed twice",
        "sweep.yaml:4: states_at.headache[1]: day 10 of 'headache' is listed twice "
        "(times are rounded down to whole days)",
    ]


def test_empty_metrics(sweep):
    path = sweep("scenario: base.yaml\nparameters: {gain_migraine: {}}\nmetrics: []\n")
    assert only_problem(path) == (
        "sweep.yaml:3: metrics: the list is empty; name at least one metric or leave 'metrics' out"
    )


def test_bad_sensitivity_block(sweep):
    path = sweep("""
        scenario: base.yaml
        parameters: {gain_migraine: {}, gain_central: {}}
        metrics: [chronified]
        sensitivity:
          methods: [sobol, moris]
          output: headache_days_per_month
          sobol_samples: 300
          morris_levels: 5
          bootstrap: 0
          confidence_level: 95
          bootstrp: 10
        """)
    assert problems(path) == [
        "sweep.yaml:5: sensitivity.methods[1]: unknown method 'moris'; did you mean 'morris'?",
        "sweep.yaml:6: sensitivity.output: 'headache_days_per_month' is not among the sweep's "
        "'metrics'; add it there",
        "sweep.yaml:7: sensitivity.sobol_samples: must be a power of two (Sobol' points are "
        "balanced only then), e.g. 256 or 512; got 300",
        "sweep.yaml:8: sensitivity.morris_levels: must be even (Morris's step of levels / "
        "(2 (levels - 1)) samples every level equally only then), e.g. 6; got 5",
        "sweep.yaml:9: sensitivity.bootstrap: expected a whole number >= 1, got 0",
        "sweep.yaml:10: sensitivity.confidence_level: must lie strictly between 0 and 1 "
        "(e.g. 0.95), got 95",
        "sweep.yaml:11: sensitivity.bootstrp: unknown key 'bootstrp'; did you mean 'bootstrap'?",
    ]


def test_unknown_sensitivity_output(sweep):
    path = sweep("""
        scenario: base.yaml
        parameters: {gain_migraine: {}}
        sensitivity: {output: headache_day_per_month}
        """)
    assert only_problem(path) == (
        "sweep.yaml:3: sensitivity.output: unknown metric 'headache_day_per_month'; "
        "did you mean 'headache_days_per_month'?"
    )


def test_missing_sweep_file(write_yaml):
    assert only_problem("nope.yaml") == "nope.yaml: sweep file not found"


def test_every_problem_is_reported_together(sweep):
    path = sweep("""
        scenario: base.yaml
        paramters: 1
        parameters:
          posture_chian_stiffness: {}
          tau_sensitization: {low: 3 mg}
          gain_migraine: {levels: 1}
        design: sobl
        metrics: [chronifed]
        states_at: {pain_threshold: 1 year}
        chunk_size: -5
        fixed: {gain_migraine: 0.5}
        """)
    found = problems(path)
    starts = [line.split(" ")[0] + " " + line.split(" ")[1] for line in found]
    assert starts == [
        "sweep.yaml:2: paramters:",
        "sweep.yaml:4: parameters.posture_chian_stiffness:",
        "sweep.yaml:5: parameters.tau_sensitization.low:",
        "sweep.yaml:6: parameters.gain_migraine.levels:",
        "sweep.yaml:7: design:",
        "sweep.yaml:8: metrics[0]:",
        "sweep.yaml:9: states_at.pain_threshold:",
        "sweep.yaml:10: chunk_size:",
        "sweep.yaml:11: fixed.gain_migraine:",
    ], found
    assert all("\n" not in line for line in found)


# --- bounded cost -------------------------------------------------------------------------


FLARES_AND_COURSES = (
    "duration: 2 years\n"
    "lumbar_pain: {type: flares, baseline: 1, peak: 6, every: 2 days, length: 1 day}\n"
    "treatments:\n"
    + "".join(f"  - {{type: nsaid, start: {k * 3 + 0.5}, duration: 1}}\n" for k in range(200))
    + "  - {type: parameter_change, parameter: posture_chain_stiffness, value: 1.0, "
      "start: 100, stop: 300}\n")


@pytest.mark.parametrize(("scenario", "extra"), [
    ("persistent_back_pain.yaml", ""),
    ("persistent_back_pain.yaml", "trajectories: [headache, pain_threshold, lumbar_pain]\n"),
    ("multimodal_care.yaml", "states_at: {pain_threshold: [90 days], lumbar_pain: [5]}\n"),
    ("flares.yaml", ""),
])
def test_chunk_memory_estimate_bounds_the_measured_peak(tmp_path, scenario, extra):
    """The estimate that refuses a too-large chunk is above the real peak, and not far above."""
    import tracemalloc

    from lbp_headache.analysis.sweep.cost import sweep_cost
    from lbp_headache.analysis.sweep.runner import ChunkJob, parameter_sets, run_chunk
    from lbp_headache.engine.batch import BatchSettings

    if scenario == "flares.yaml":
        (tmp_path / scenario).write_text(FLARES_AND_COURSES)
    else:
        shutil.copyfile(SCENARIOS / scenario, tmp_path / scenario)
        if scenario == "multimodal_care.yaml":
            shutil.copyfile(SCENARIOS / "persistent_back_pain.yaml",
                            tmp_path / "persistent_back_pain.yaml")
    n = 300
    path = tmp_path / "m.yaml"
    path.write_text(f"scenario: {scenario}\nparameters:\n  posture_chain_stiffness: {{}}\n"
                    f"design: random\nsamples: {n}\nchunk_size: {n}\n{extra}")
    spec = load_sweep(path)
    label, base = spec.scenarios[0]
    job = ChunkJob(label, 0, 0, base, parameter_sets(spec, base, design_matrix(spec)),
                   spec.metrics, spec.states_at, spec.trajectories, BatchSettings(), 1)
    run_chunk(job)  # compiled and warm: the peak below is the chunk's own memory
    tracemalloc.start()
    try:
        run_chunk(job)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    estimate = sweep_cost(spec).chunk_bytes
    assert peak <= estimate <= 2.0 * peak, (peak, estimate)


@pytest.mark.parametrize(("text", "key", "expected"), [
    ("chunk_size: 300000\nsamples: 300000\n", "chunk_size", "use 'chunk_size: "),
    ("samples: 10000000\n", "parameters", "20,000,000 simulations"),
    ("samples: 100\nsensitivity: {methods: [sobol], sobol_samples: 2097152}\n", "sensitivity",
     "simulations over 2 scenarios"),
    ("samples: 100\nsensitivity: {methods: [morris], bootstrap: 1000000000000}\n",
     "sensitivity.bootstrap", "the limit is 100,000"),
    ("samples: 100\nsensitivity: {methods: [sobol], sobol_samples: 1048576, bootstrap: 5000}\n",
     "sensitivity.bootstrap", "use 'bootstrap: "),
])
def test_sweeps_beyond_their_bounds_are_refused_before_any_work(write_yaml, text, key, expected):
    path = write_yaml("s.yaml", textwrap.dedent(f"""\
        scenarios:
          - {SCENARIOS / 'persistent_back_pain.yaml'}
          - {SCENARIOS / 'healthy.yaml'}
        parameters:
          posture_chain_stiffness: {{}}
        design: random
        """) + text)
    with pytest.raises(ScenarioError) as caught:
        load_sweep(path)
    found = [p for p in caught.value.problems if p.key == key]
    assert found and expected in found[0].message, caught.value.problems
