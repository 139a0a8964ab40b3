"""ABC-SMC calibration (``lbp-headache calibrate``): statistics, inputs, resume, outputs.

The statistics are checked on a problem with a closed-form posterior (a normal
mean with known variance and a normal prior), through the same driver
(:func:`~lbp_headache.calibration.abc_run.run_abc`) that calibrates the model.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from lbp_headache.calibration.abc_model import deviation, distance
from lbp_headache.calibration.abc_result_reader import read_result
from lbp_headache.calibration.abc_run import make_simulator, run_abc, weighted_quantile
from lbp_headache.calibration.abc_spec import CalibrationSpec
from lbp_headache.calibration.abc_spec_reader import load_calibration_spec
from lbp_headache.calibration.target_reader import load_targets
from lbp_headache.cli.main import main
from lbp_headache.core.parameters import BY_NAME
from lbp_headache.files.bundled import BUNDLED_TARGETS
from lbp_headache.population.distributions import Distribution
from numpy.testing import assert_allclose

pytest.importorskip("pyabc")

# --- a problem with a known posterior ----------------------------------------------------

PRIOR_MEAN, PRIOR_SD = 0.0, 0.5
NOISE_SD, OBSERVATIONS = 1.0, 10
OBSERVED_MEAN = 1.0
POSTERIOR_PRECISION = 1 / PRIOR_SD**2 + OBSERVATIONS / NOISE_SD**2
POSTERIOR_MEAN = (PRIOR_MEAN / PRIOR_SD**2 + OBSERVATIONS * OBSERVED_MEAN / NOISE_SD**2) / \
    POSTERIOR_PRECISION
POSTERIOR_SD = POSTERIOR_PRECISION ** -0.5


class NormalMean:
    """The sample mean of ``OBSERVATIONS`` normal draws around ``theta`` (pyabc's generator).

    ``stop_after`` raises KeyboardInterrupt at that call: a run killed mid-generation.
    """

    def __init__(self, stop_after: int | None = None):
        self.calls = 0
        self.stop_after = stop_after

    def __call__(self, parameters):
        self.calls += 1
        if self.stop_after is not None and self.calls > self.stop_after:
            raise KeyboardInterrupt
        noise = np.random.normal(0.0, NOISE_SD / math.sqrt(OBSERVATIONS))  # noqa: NPY002
        return {"mean": float(parameters["theta"]) + noise}

    def distance(self, x, x0):
        return abs(float(x["mean"]) - float(x0["mean"]))


PRIORS = {"theta": Distribution("normal", PRIOR_MEAN, PRIOR_SD, -10.0, 10.0)}


def budget(particles=200, generations=6, max_simulations=100_000, seed=7) -> CalibrationSpec:
    return CalibrationSpec("normal mean", "test", "", ("theta",), ("mean",), 1.0, particles,
                           generations, max_simulations, seed)


def run_normal(tmp_path: Path, name: str, spec: CalibrationSpec, *, resume=False,
               simulator=None):
    return run_abc(simulator or NormalMean(), PRIORS, {"mean": OBSERVED_MEAN}, spec,
                   tmp_path / name, resume=resume)


def test_abc_recovers_a_known_posterior(tmp_path):
    result = run_normal(tmp_path, "abc.db", budget())
    theta, weights = result.samples["theta"], result.weights
    mean = float(np.sum(weights * theta))
    sd = math.sqrt(float(np.sum(weights * (theta - mean) ** 2)))
    low, high = (weighted_quantile(theta, weights, q) for q in (0.025, 0.975))
    assert low < POSTERIOR_MEAN < high
    # Monte Carlo error about sd / sqrt(ESS) ~ 0.02, plus ABC's epsilon (~0.03 at the end)
    assert abs(mean - POSTERIOR_MEAN) < 0.06, (mean, POSTERIOR_MEAN)
    assert_allclose(sd, POSTERIOR_SD, rtol=0.25)
    assert result.epsilons[-1] < 0.1 * result.epsilons[0]
    assert result.generations_run == 6
    assert_allclose(result.weights.sum(), 1.0, rtol=1e-12)


def test_weighted_quantile_is_the_plain_quantile_for_equal_weights():
    values = np.array([3.0, 1.0, 2.0, 5.0, 4.0])
    assert weighted_quantile(values, np.ones(5), 0.5) == 3.0
    # a weight moves the median towards its value
    assert weighted_quantile(values, np.array([1, 1, 1, 10, 1.0]), 0.5) > 4.0


def test_the_budget_stops_the_run_before_it_is_overrun(tmp_path):
    # pyabc runs a generation to its last particle unless told to check max_eval: the
    # budget must stop the generation that would overrun it, which is then dropped.
    result = run_normal(tmp_path, "abc.db", budget(particles=50, generations=20,
                                                   max_simulations=200))
    assert 100 <= result.total_simulations <= 200
    assert 1 <= result.generations_run < 20


def test_the_parallel_sampler_checks_the_budget_too():
    from lbp_headache.calibration.abc_run import make_sampler
    assert make_sampler(2, None).check_max_eval
    assert make_sampler(None, None).check_max_eval


# --- resume ------------------------------------------------------------------------------


def test_a_run_stopped_after_one_generation_resumes_to_the_same_result(tmp_path):
    whole = run_normal(tmp_path, "whole.db", budget(particles=60, generations=4))
    run_normal(tmp_path, "parts.db", budget(particles=60, generations=1))
    resumed = run_normal(tmp_path, "parts.db", budget(particles=60, generations=4), resume=True)
    assert resumed.generations_run == 4
    assert_allclose(resumed.samples["theta"], whole.samples["theta"], rtol=0, atol=0)
    assert_allclose(resumed.weights, whole.weights, rtol=0, atol=0)
    assert resumed.epsilons == whole.epsilons


def test_a_run_killed_in_the_middle_of_a_generation_resumes_to_the_same_result(tmp_path):
    whole = run_normal(tmp_path, "whole.db", budget(particles=60, generations=4))
    killed = NormalMean(stop_after=150)  # generation 1 takes 60, the kill lands in generation 2
    with pytest.raises(KeyboardInterrupt):
        run_normal(tmp_path, "killed.db", budget(particles=60, generations=4),
                   simulator=killed)
    resumed = run_normal(tmp_path, "killed.db", budget(particles=60, generations=4),
                         resume=True)
    assert_allclose(resumed.samples["theta"], whole.samples["theta"], rtol=0, atol=0)
    assert resumed.epsilons == whole.epsilons


# --- the distance --------------------------------------------------------------------------


def test_a_target_inside_its_interval_is_within_one_half_width():
    targets = {t.id: t for t in load_targets(BUNDLED_TARGETS).targets}
    target = next(t for t in targets.values() if t.status == "emergent" and t.computable
                  and math.isfinite(t.low) and math.isfinite(t.high) and t.high > t.low)
    middle, half = 0.5 * (target.low + target.high), 0.5 * (target.high - target.low)
    assert deviation(target, middle) == 0.0
    assert_allclose(deviation(target, target.high), 1.0)
    assert_allclose(deviation(target, target.low), -1.0)
    assert_allclose(deviation(target, middle + 3 * half), 3.0)
    assert deviation(target, None) == deviation(target, math.nan) == 10.0
    assert_allclose(distance([target, target], {target.id: target.high}), 1.0)


# --- the spec's problems -----------------------------------------------------------------

GOOD_SPEC = """\
name: tiny
parameters: [sensitization_depth, placebo_relief]
targets: [sensitization_prevalence, placebo_responders_50]
population_share: 0.02
particles: 3
generations: 2
max_simulations: 60
seed: 3
"""


def _spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_spec_with_mistakes_exits_2_with_one_line_per_problem(tmp_path, capsys):
    by_construction = next(t.id for t in load_targets(BUNDLED_TARGETS).targets
                           if t.status == "by_construction")
    text = (GOOD_SPEC.replace("sensitization_depth", "sensitisation_depth")
            .replace("placebo_responders_50]", f"{by_construction}]")
            .replace("particles: 3", "particles: 0")
            .replace("seed: 3\n", "sed: 3\n"))
    path = _spec(tmp_path, text)
    out = tmp_path / "out"
    assert main(["calibrate", "--spec", str(path), "--out", str(out)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert "Traceback" not in "\n".join(lines)
    assert len(lines) == 5, lines
    assert all(line.startswith(f"{path}:") for line in lines), lines
    text = "\n".join(lines)
    assert "parameters[0]: unknown parameter 'sensitisation_depth'; did you mean " \
           "'sensitization_depth'?" in text
    assert f"targets[1]: '{by_construction}' is by_construction" in text
    assert "particles: expected a whole number >= 2, got 0" in text
    assert "unknown key 'sed'; did you mean 'seed'?" in text
    assert "missing required key 'seed'" in text
    assert not out.exists()


@pytest.mark.parametrize("change, message", [
    (("population_share: 0.02", "population_share: 2"), "population_share: 2 is outside"),
    (("generations: 2", "generations: two"), "generations: expected a whole number"),
    (("max_simulations: 60", "max_simulations: 2"), "fewer than one generation's"),
    (("[sensitization_depth, placebo_relief]", "[placebo_relief, placebo_relief]"),
     "'placebo_relief' is listed twice"),
    (("targets: [sensitization_prevalence, placebo_responders_50]", "targets: []"),
     "targets: needs at least one target"),
    (("placebo_responders_50]", "placebo_responder_50]"),
     "did you mean 'placebo_responders_50'?"),
    (("seed: 3", "seed: 3\nuniform_priors: [gain_cervicogenic]"),
     "uniform_priors[0]: 'gain_cervicogenic' is not calibrated: list it under 'parameters'"),
    (("seed: 3", "seed: 3\nuniform_priors: [placebo_relef]"),
     "did you mean 'placebo_relief'?"),
    (("seed: 3", "seed: 3\nconstraints: [sensitization_prevalence]"),
     "constraints[0]: 'sensitization_prevalence' is listed under 'targets' too"),
    (("seed: 3", "seed: 3\nconstraints: [cervicogenic_share]"),
     "constraints[0]: 'cervicogenic_share' is emergent; constraints are by_construction"),
    (("seed: 3", "seed: 3\nconstraints: [sensitization_onse]"),
     "did you mean 'sensitization_onset'?"),
    (("seed: 3", "seed: 3\ntransition: locall"),
     "transition: unknown transition 'locall'; did you mean 'local'?"),
    (("seed: 3", "seed: 3\ntransition: 2"), "transition: expected a transition, one of: global"),
])
def test_each_bad_value_is_one_clear_line(tmp_path, capsys, change, message):
    path = _spec(tmp_path, GOOD_SPEC.replace(*change))
    assert main(["calibrate", "--spec", str(path), "--out", str(tmp_path / "out")]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{path}:") and message in lines[0], lines


def test_uniform_priors_replace_the_spread_by_the_range(tmp_path):
    from lbp_headache.calibration.abc_model import spec_priors
    from lbp_headache.calibration.abc_spec_reader import load_calibration_spec

    path = _spec(tmp_path, GOOD_SPEC.replace("seed: 3",
                                             "seed: 3\nuniform_priors: [placebo_relief]"))
    spec = load_calibration_spec(path, load_targets(BUNDLED_TARGETS))
    assert spec.uniform_priors == ("placebo_relief",)
    priors = spec_priors(spec.parameters, spec.uniform_priors)
    record = BY_NAME["placebo_relief"]
    wide = priors["placebo_relief"]
    assert wide.family == "uniform" and (wide.low, wide.high) == (record.low, record.high)
    # the other parameter keeps its population spread, centred on the table value
    assert priors["sensitization_depth"].family == "logitnormal"
    assert "uniform_priors" in spec.settings()


def test_constraints_join_the_distance_but_not_the_targets(tmp_path):
    from lbp_headache.calibration.abc_run import make_simulator
    from lbp_headache.calibration.abc_spec_reader import load_calibration_spec

    path = _spec(tmp_path, GOOD_SPEC.replace("seed: 3",
                                             "seed: 3\nconstraints: [sensitization_onset]"))
    targets = load_targets(BUNDLED_TARGETS)
    spec = load_calibration_spec(path, targets)
    assert spec.targets == ("sensitization_prevalence", "placebo_responders_50")
    assert spec.constraints == ("sensitization_onset",)
    simulator = make_simulator(spec, targets)
    assert [t.id for t in simulator.targets] == list(spec.statistics)
    assert simulator.constraints == ("sensitization_onset",)
    assert spec.settings()["constraints"] == ["sensitization_onset"]


def test_a_constraint_binds_on_its_own_rather_than_averaged_in():
    by_id = {t.id: t for t in load_targets(BUNDLED_TARGETS).targets}
    emergent = [by_id[i] for i in ("cervicogenic_share", "placebo_responders_50",
                                   "duloxetine_responders_50")]
    onset = by_id["sensitization_onset"]
    middles = {t.id: 0.5 * (t.low + t.high) for t in emergent}
    # the onset two half-widths out (5 months against 2-4), every target at its middle
    values = {**middles, onset.id: 5.0}
    everything = [*emergent, onset]
    assert_allclose(distance(everything, values), 1.0)  # averaged: looks like "inside"
    assert_allclose(distance(everything, values, constraints=[onset.id]), 2.0)
    # inside, a constraint does not lower the targets' distance
    values[onset.id] = 3.0
    values["cervicogenic_share"] = by_id["cervicogenic_share"].high
    assert_allclose(distance(everything, values, constraints=[onset.id]), math.sqrt(1 / 3))


def test_the_local_transition_recovers_the_known_posterior_too(tmp_path):
    from dataclasses import replace as copy_with

    spec = copy_with(budget(), transition="local")
    result = run_normal(tmp_path, "local.db", spec)
    theta, weights = result.samples["theta"], result.weights
    mean = float(np.sum(weights * theta))
    assert abs(mean - POSTERIOR_MEAN) < 0.06, (mean, POSTERIOR_MEAN)
    low, high = (weighted_quantile(theta, weights, q) for q in (0.025, 0.975))
    assert low < POSTERIOR_MEAN < high
    assert spec.settings()["transition"] == "local"


def test_the_spec_names_the_transition(tmp_path):
    from lbp_headache.calibration.abc_run import make_transition

    targets = load_targets(BUNDLED_TARGETS)
    assert load_calibration_spec(_spec(tmp_path, GOOD_SPEC), targets).transition == "global"
    local = load_calibration_spec(_spec(tmp_path, GOOD_SPEC + "transition: local\n"), targets)
    assert local.transition == "local"
    assert type(make_transition("local")).__name__ == "LocalTransition"
    assert type(make_transition("global")).__name__ == "MultivariateNormalTransition"


def test_the_bundled_spec_is_valid():
    from lbp_headache.calibration.abc_spec_reader import load_calibration_spec

    targets = load_targets(BUNDLED_TARGETS)
    spec = load_calibration_spec(Path(BUNDLED_TARGETS).parent / "abc_smc.yaml", targets)
    assert spec.parameters and spec.targets
    emergent = {t.id for t in targets.targets if t.status == "emergent" and t.computable}
    assert set(spec.targets) <= emergent


# --- the command, end to end -------------------------------------------------------------


def test_a_tiny_calibration_writes_every_output(tmp_path, capsys):
    path = _spec(tmp_path, GOOD_SPEC)
    out = tmp_path / "out"
    assert main(["calibrate", "--spec", str(path), "--out", str(out), "--workers", "1"]) == 0
    captured = capsys.readouterr()
    assert "not a diagnostic tool" in captured.out
    assert sum("generation " in line for line in captured.err.splitlines()) == 2
    for name in ("abc.db", "calibrated_parameters.yaml", "posterior_samples.csv",
                 "calibration_report.md", "posterior_vs_prior.png", "calibration_result.json",
                 "observed_vs_predicted.png", "posterior_correlations.png",
                 "target_constraint.png", "calibration_settings.json"):
        assert (out / name).is_file(), name
    document = yaml.safe_load((out / "calibrated_parameters.yaml").read_text())
    samples = np.genfromtxt(out / "posterior_samples.csv", delimiter=",", names=True)
    assert samples.size == 3
    for name in ("sensitization_depth", "placebo_relief"):
        entry = document["parameters"][name]
        assert entry["unit"] == BY_NAME[name].unit
        assert BY_NAME[name].low <= entry["interval_95"][0] <= entry["value"] \
            <= entry["interval_95"][1] <= BY_NAME[name].high
        assert_allclose(entry["value"], weighted_quantile(samples[name], samples["weight"],
                                                          0.5))
    provenance = document["provenance"]
    assert provenance["settings"]["seed"] == 3
    assert provenance["inputs"][str(path)]
    assert load_targets(BUNDLED_TARGETS).source_hash in provenance["inputs"].values()
    assert provenance["dependencies"]["pyabc"]
    report = (out / "calibration_report.md").read_text()
    for target in ("sensitization_prevalence", "placebo_responders_50"):
        assert f"| {target} |" in report
    assert (out / "posterior_vs_prior.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the stored model values are the posterior predictive: evaluating a particle again
    # gives them (the simulator is deterministic in the calibrated values)
    result = read_result(out)
    spec = load_calibration_spec(path, load_targets(BUNDLED_TARGETS))
    again = make_simulator(spec, load_targets(BUNDLED_TARGETS))(
        {name: result.calibration.samples[name][0] for name in spec.parameters})
    assert_allclose([again[i] for i in spec.targets],
                    [result.calibration.statistics[i][0] for i in spec.targets], rtol=1e-12)
    # the committed files alone render the same report again, nothing run
    assert main(["calibrate", "--report-only", str(out), "--out", str(tmp_path / "again")]) == 0
    assert (tmp_path / "again" / "calibration_report.md").read_text() == report
    # the database is not overwritten without --resume, nor resumed with other settings
    assert main(["calibrate", "--spec", str(path), "--out", str(out)]) == 2
    assert "add --resume" in capsys.readouterr().err
    _spec(tmp_path, GOOD_SPEC.replace("seed: 3", "seed: 4"))
    assert main(["calibrate", "--spec", str(path), "--out", str(out), "--resume"]) == 2
    assert "seed changed" in capsys.readouterr().err


@pytest.mark.slow
def test_the_command_resumes_to_the_same_samples_and_repeats_itself(tmp_path, capsys):
    spec = _spec(tmp_path, GOOD_SPEC.replace("generations: 2", "generations: 3"))
    assert main(["calibrate", "--spec", str(spec), "--out", str(tmp_path / "a")]) == 0
    assert main(["calibrate", "--spec", str(spec), "--out", str(tmp_path / "b")]) == 0
    (tmp_path / "short").mkdir()
    short = _spec(tmp_path / "short", GOOD_SPEC.replace("generations: 2", "generations: 1"))
    assert main(["calibrate", "--spec", str(short), "--out", str(tmp_path / "c")]) == 0
    capsys.readouterr()
    assert main(["calibrate", "--spec", str(spec), "--out", str(tmp_path / "c"),
                 "--resume"]) == 0
    samples = [(tmp_path / d / "posterior_samples.csv").read_text() for d in "abc"]
    assert samples[0] == samples[1] == samples[2]


def test_a_bad_scheduler_or_worker_count_exits_2_before_anything_runs(tmp_path, capsys):
    path = _spec(tmp_path, GOOD_SPEC)
    out = tmp_path / "out"
    assert main(["calibrate", "--spec", str(path), "--out", str(out), "--scheduler",
                 "foo:80", "--workers", "0"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2, lines
    assert "did you mean tcp://foo:80?" in lines[1] and "--workers" in lines[0]
    assert not out.exists()
