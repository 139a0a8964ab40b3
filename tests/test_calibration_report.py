"""The calibration report (issue 14 point 4) on synthetic particles with known answers.

Correlations, the target-constraint matrix and the prior-width reweighting are
checked on weighted samples whose true values are known; the report and its
figures are rendered from a result folder written and read back, without
pyabc and without running the model.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from lbp_headache.calibration.abc_outputs import (
    predictive_deviations,
    report_markdown,
    samples_csv,
    target_rows,
)
from lbp_headache.calibration.abc_result import (
    RESULT_FILE,
    SAMPLES_FILE,
    CalibrationResult,
    result_json,
)
from lbp_headache.calibration.abc_result_reader import read_result
from lbp_headache.calibration.identifiability import (
    constraint_matrix,
    correlation_matrix,
    linear_share,
)
from lbp_headache.calibration.posterior import (
    Calibration,
    effective_sample_size,
    weighted_correlation,
    weighted_quantile,
)
from lbp_headache.calibration.prior_width import prior_width_shifts, reweighted, scaled_prior
from lbp_headache.calibration.target_reader import load_targets
from lbp_headache.cli.main import main
from lbp_headache.core.disclaimer import DISCLAIMER, RED_FLAGS
from lbp_headache.core.errors import ScenarioError
from lbp_headache.files.bundled import BUNDLED_TARGETS
from lbp_headache.population.distributions import Distribution
from numpy.testing import assert_allclose

N = 4000


def _calibration(samples: dict, statistics: dict | None = None, weights=None, targets=()):
    n = len(next(iter(samples.values())))
    weights = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    return Calibration(tuple(samples), tuple(targets), {k: np.asarray(v) for k, v in
                                                        samples.items()},
                       weights / weights.sum(), dict(statistics or {}), (2.0, 1.0), 3 * n, 2,
                       12.0)


# --- correlations -------------------------------------------------------------------------


def test_a_posterior_with_correlation_0_8_shows_0_8():
    rng = np.random.default_rng(1)
    a = rng.normal(size=N)
    b = 0.8 * a + 0.6 * rng.normal(size=N)  # corr(a, b) = 0.8
    c = rng.normal(size=N)
    matrix = correlation_matrix(_calibration({"a": a, "b": b, "c": c}))
    assert_allclose(matrix[0, 1], 0.8, atol=0.03)
    assert_allclose(matrix[1, 0], matrix[0, 1])
    assert abs(matrix[0, 2]) < 0.05 and abs(matrix[1, 2]) < 0.05
    assert_allclose(np.diag(matrix), 1.0)


def test_the_weights_count_as_repeated_particles():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=30), rng.normal(size=30)
    y = y + x
    copies = rng.integers(1, 5, size=30)
    repeated = weighted_correlation(np.repeat(x, copies), np.repeat(y, copies), np.ones(
        copies.sum()))
    assert_allclose(weighted_correlation(x, y, copies), repeated, rtol=1e-12)
    assert_allclose(weighted_correlation(x, y, np.ones(30)), np.corrcoef(x, y)[0, 1],
                    rtol=1e-12)
    assert math.isnan(weighted_correlation(x, np.full(30, 3.0), np.ones(30)))


# --- how much each target constrains each parameter --------------------------------------


def test_a_target_of_one_parameter_is_constrained_by_it_alone():
    rng = np.random.default_rng(3)
    a, b = rng.uniform(0, 1, N), rng.uniform(0, 1, N)
    calibration = _calibration({"a": a, "b": b}, {"only_a": 2.0 + 3.0 * a,
                                                  "both": a + b, "flat": np.full(N, 1.0)})
    matrix = constraint_matrix(calibration, ("only_a", "both", "flat"))
    assert_allclose(matrix[0], [1.0, 0.0], atol=0.01)
    assert_allclose(matrix[1], [0.5, 0.5], atol=0.05)
    assert np.isnan(matrix[2]).all()
    assert_allclose(linear_share(calibration, "both"), 1.0, atol=1e-9)
    assert_allclose(linear_share(calibration, "only_a"), 1.0, atol=1e-9)


# --- the prior widths ---------------------------------------------------------------------

NORMAL = Distribution("normal", 0.0, 1.0, -10.0, 10.0)


def test_reweighting_to_the_same_prior_changes_nothing():
    rng = np.random.default_rng(4)
    x = rng.normal(0.3, 0.5, 500)
    weights = rng.uniform(0.5, 1.5, 500)
    calibration = _calibration({"x": x}, weights=weights)
    assert_allclose(reweighted(calibration, {"x": NORMAL}, 1.0), calibration.weights,
                    rtol=1e-12)
    (row,) = prior_width_shifts(calibration, {"x": NORMAL}, (1.0,))
    assert_allclose([row.new_median, row.new_low, row.new_high], [row.median, row.low, row.high],
                    rtol=1e-12)
    assert_allclose(row.effective_particles, effective_sample_size(calibration.weights))


def test_halving_the_prior_width_of_a_prior_sample_gives_the_narrow_prior():
    # particles from the prior itself (a flat likelihood): the reweighted sample must be the
    # narrower prior, N(0, 0.5), whose 90 % interval is +-1.645 * 0.5
    x = np.random.default_rng(5).normal(0.0, 1.0, 40_000)
    calibration = _calibration({"x": x})
    (row,) = prior_width_shifts(calibration, {"x": NORMAL}, (0.5,))
    assert_allclose([row.new_low, row.new_median, row.new_high], [-0.822, 0.0, 0.822],
                    atol=0.03)
    assert_allclose([row.low, row.high], [-1.645, 1.645], atol=0.05)
    # weights exp(-1.5 x^2) under N(0, 1): E[w]^2 / E[w^2] = (1/2)^2 / (1/sqrt(7))
    assert_allclose(row.effective_particles / x.size, math.sqrt(7) / 4, atol=0.02)


def test_a_prior_width_scales_the_spread_or_the_uniform_width_within_the_range():
    assert scaled_prior(NORMAL, 2.0).scale == 2.0
    assert (scaled_prior(NORMAL, 2.0).low, scaled_prior(NORMAL, 2.0).high) == (-10.0, 10.0)
    uniform = Distribution("uniform", 0.0, 0.0, 2.0, 6.0)
    assert (scaled_prior(uniform, 0.5).low, scaled_prior(uniform, 0.5).high) == (3.0, 5.0)
    assert scaled_prior(uniform, 2.0) == uniform  # clipped to the range: unchanged
    with pytest.raises(ValueError):
        scaled_prior(NORMAL, 0.0)


# --- the report, from a result folder ------------------------------------------------------

PARAMETERS = ("sensitization_depth", "placebo_relief")
TARGET_IDS = ("sensitization_prevalence", "placebo_responders_50")


def _result(n: int = 300) -> CalibrationResult:
    by_id = {t.id: t for t in load_targets(BUNDLED_TARGETS).targets}
    targets = tuple(by_id[i] for i in TARGET_IDS)
    rng = np.random.default_rng(6)
    depth = rng.uniform(0.2, 0.4, n)
    relief = 0.1 + 0.5 * (depth - 0.2) + rng.uniform(0, 0.1, n)
    statistics = {TARGET_IDS[0]: 100 * depth + 20, TARGET_IDS[1]: 100 * relief}
    calibration = _calibration({PARAMETERS[0]: depth, PARAMETERS[1]: relief}, statistics,
                               rng.uniform(0.2, 1.0, n), targets)
    priors = {PARAMETERS[0]: Distribution("logitnormal", 0.3, 0.3, 0.15, 0.6),
              PARAMETERS[1]: Distribution("normal", 0.2, 0.1)}  # unbounded: stored as "inf"
    return CalibrationResult(calibration, priors, dict.fromkeys(PARAMETERS, "dimensionless"),
                             {PARAMETERS[0]: 0.3, PARAMETERS[1]: 0.15},
                             {TARGET_IDS[0]: 49.0, TARGET_IDS[1]: math.nan},
                             {"version": "test", "settings": {"seed": 3}})


def _write(folder, result: CalibrationResult) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / RESULT_FILE).write_text(result_json(result), encoding="utf-8")
    (folder / SAMPLES_FILE).write_text(samples_csv(result.calibration), encoding="utf-8")


def test_a_result_folder_reads_back_to_the_same_result(tmp_path):
    result = _result()
    _write(tmp_path, result)
    back = read_result(tmp_path)
    one, two = result.calibration, back.calibration
    assert two.parameters == one.parameters
    assert [t.id for t in two.targets] == list(TARGET_IDS)
    assert [(t.low, t.high, t.unit) for t in two.targets] == \
        [(t.low, t.high, t.unit) for t in one.targets]
    assert_allclose(two.weights, one.weights, rtol=1e-15)
    for name in PARAMETERS:
        assert_allclose(two.samples[name], one.samples[name], rtol=0)
    for target_id in TARGET_IDS:
        assert_allclose(two.statistics[target_id], one.statistics[target_id], rtol=0)
    assert dict(back.priors) == dict(result.priors)
    assert back.at_median[TARGET_IDS[0]] == 49.0 and math.isnan(back.at_median[TARGET_IDS[1]])
    assert (two.epsilons, two.total_simulations, two.generations_run) == \
        (one.epsilons, one.total_simulations, one.generations_run)
    assert report_markdown(back) == report_markdown(result)


def test_a_folder_without_a_result_is_one_clear_problem(tmp_path):
    with pytest.raises(ScenarioError, match=RESULT_FILE):
        read_result(tmp_path)
    assert main(["calibrate", "--report-only", str(tmp_path / "nowhere")]) == 2
    assert main(["calibrate", "--report-only", str(tmp_path), "--resume"]) == 2


def test_the_targets_table_gives_the_posterior_predictive_interval():
    result = _result()
    calibration = result.calibration
    rows = {row["id"]: row for row in target_rows(result)}
    depth = calibration.samples[PARAMETERS[0]]
    expected = [weighted_quantile(100 * depth + 20, calibration.weights, q)
                for q in (0.025, 0.5, 0.975)]
    row = rows[TARGET_IDS[0]]
    assert_allclose([row["posterior_low"], row["predictive_median"], row["posterior_high"]],
                    expected, rtol=1e-12)
    target = calibration.targets[0]
    inside = (100 * depth + 20 >= target.low) & (100 * depth + 20 <= target.high)
    assert_allclose(row["share_inside"], np.sum(calibration.weights * inside), rtol=1e-12)
    assert row["inside"] is target.inside(49.0)
    assert rows[TARGET_IDS[1]]["model_at_median"] is None
    # the figure's axis: half-widths of the published interval; no value stays no value
    deviations = {row["id"]: row for row in predictive_deviations(result)}
    half, middle = 0.5 * (target.high - target.low), 0.5 * (target.high + target.low)
    assert_allclose(deviations[TARGET_IDS[0]]["at_median"], (49.0 - middle) / half)
    assert_allclose(deviations[TARGET_IDS[0]]["high"], (expected[2] - middle) / half)
    assert math.isnan(deviations[TARGET_IDS[1]]["at_median"])


def test_the_report_only_command_renders_every_section_and_figure(tmp_path, capsys):
    source, out = tmp_path / "result", tmp_path / "report"
    _write(source, _result())
    assert main(["calibrate", "--report-only", str(source), "--out", str(out)]) == 0
    assert "not a diagnostic tool" in capsys.readouterr().out
    report = (out / "calibration_report.md").read_text(encoding="utf-8")
    for heading in ("## Targets", "## Parameters", "## Pairwise posterior correlations",
                    "## How much each target constrains each parameter",
                    "## Sensitivity to the prior widths", "## Red flags", "## Provenance"):
        assert heading in report, heading
    assert report.count(DISCLAIMER) == 2 and all(flag in report for flag in RED_FLAGS)
    r = correlation_matrix(_result().calibration)[0, 1]
    assert f"| `{PARAMETERS[0]}` | +1.00 | {r:+.2f} |" in report
    for name in ("observed_vs_predicted.png", "posterior_vs_prior.png",
                 "posterior_correlations.png", "target_constraint.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert f"]({name})" in report
    record = json.loads((out / "report_provenance.json").read_text(encoding="utf-8"))
    assert set(record["report_rendered"]["inputs"]) == {str(source / RESULT_FILE),
                                                         str(source / SAMPLES_FILE)}
    assert record["calibration_run"]["version"] == "test"
    assert not (source / "calibration_report.md").exists()  # the source is left alone


def test_a_committed_result_is_a_block_of_the_docs_with_the_demo_figures(tmp_path):
    from lbp_headache.report.abc_report import committed_report_markdown

    assert "No calibration result is committed yet" in committed_report_markdown(
        tmp_path / "result", "../figures/calibration_")
    _write(tmp_path / "result", _result())
    block = committed_report_markdown(tmp_path / "result", "../figures/calibration_")
    assert block.startswith("### Calibration report") and "\n#### Targets\n" in block
    assert "](../figures/calibration_observed_vs_predicted.png)" in block
    assert block == report_markdown(read_result(tmp_path / "result"), {
        "observed_vs_predicted": "../figures/calibration_observed_vs_predicted.png",
        "posterior_vs_prior": "../figures/calibration_posterior_vs_prior.png",
        "correlations": "../figures/calibration_posterior_correlations.png",
        "constraint": "../figures/calibration_target_constraint.png"}, level=3)


# --- recovery of known parameters ---------------------------------------------------------

# away from the prior's median (0.15): a posterior that stayed the prior misses
TRUTH = {"placebo_relief": 0.3}
# Held at this value, not calibrated: at this share (trials of a few dozen patients) the
# duloxetine arm barely identifies it. Calibrated jointly, its 95 % interval missed the
# truth once the back pain fluctuated (0.13-0.32 for 0.35, the prior 0.11-0.40): a
# posterior that stays the prior, read from 24 particles' tails.
FIXED = {"duloxetine_efficacy": 0.35}
RECOVERY_TARGETS = ("placebo_responders_50", "placebo_responders_30")
RECOVERY_HALF_WIDTH = 4.0  # percentage points either side of the model's value at the truth


class _WithFixed:
    """A simulator that also sets :data:`FIXED` (pyabc passes only the calibrated values)."""

    def __init__(self, simulator):
        self.simulator = simulator

    def __call__(self, parameters):
        return self.simulator({**FIXED, **parameters})

    def distance(self, simulated, observed=None):
        return self.simulator.distance(simulated, observed)


@pytest.mark.slow
def test_abc_recovers_a_known_parameter_from_targets_the_model_made(tmp_path):
    # targets generated by the model at TRUTH (intervals of +-4 points around its values),
    # then ABC-SMC with a small budget: the 95 % posterior interval holds the truth, and the
    # posterior moved to it and narrowed (a simulator that ignores the value stays the prior)
    pytest.importorskip("pyabc")
    from dataclasses import replace

    from lbp_headache.calibration.abc_model import TargetSimulator, interval_middle, prior
    from lbp_headache.calibration.abc_run import run_abc
    from lbp_headache.calibration.abc_spec import CalibrationSpec

    by_id = {t.id: t for t in load_targets(BUNDLED_TARGETS).targets}
    share = 0.02
    made = TargetSimulator([by_id[i] for i in RECOVERY_TARGETS], share)({**FIXED, **TRUTH})
    targets = [replace(by_id[i], low=made[i] - RECOVERY_HALF_WIDTH,
                       high=made[i] + RECOVERY_HALF_WIDTH) for i in RECOVERY_TARGETS]
    simulator = _WithFixed(TargetSimulator(targets, share))
    spec = CalibrationSpec("recovery", "test", "", tuple(TRUTH), RECOVERY_TARGETS, share, 24,
                           3, 400, 11)
    calibration = run_abc(simulator, {name: prior(name) for name in TRUTH},
                          {t.id: interval_middle(t) for t in targets}, spec,
                          tmp_path / "abc.db")
    for name, value in TRUTH.items():
        low, median, high = (weighted_quantile(calibration.samples[name], calibration.weights,
                                               q) for q in (0.025, 0.5, 0.975))
        prior_low, prior_median, prior_high = prior(name).draw(np.array([0.025, 0.5, 0.975]))
        print(f"{name}: truth {value}, posterior {median:.3f} [{low:.3f}, {high:.3f}], "
              f"prior {prior_median:.3f} [{prior_low:.3f}, {prior_high:.3f}]")
        assert low <= value <= high, (name, low, value, high)
        assert abs(median - value) < 0.5 * abs(prior_median - value), (name, median)
        assert high - low < 0.75 * (prior_high - prior_low), (name, low, high)


def test_a_constraint_is_marked_and_counted_apart_from_the_targets():
    from dataclasses import replace

    result = _result()
    onset = next(t for t in load_targets(BUNDLED_TARGETS).targets
                 if t.id == "sensitization_onset")
    calibration = result.calibration
    constrained = replace(calibration, targets=(calibration.targets[0], onset),
                          statistics={calibration.targets[0].id:
                                      calibration.statistics[calibration.targets[0].id],
                                      onset.id: np.full(calibration.weights.size, 3.0)})
    result = replace(result, calibration=constrained,
                     at_median={calibration.targets[0].id: 49.0, onset.id: 3.0})
    rows = {row["id"]: row for row in target_rows(result)}
    assert rows[onset.id]["constraint"] and not rows[calibration.targets[0].id]["constraint"]
    text = report_markdown(result, {})
    assert f"| {onset.id} (constraint) |" in text
    inside_first = int(calibration.targets[0].inside(49.0))
    assert f"{inside_first} of 1 targets inside" in text
    assert "Constraints (by-construction figures kept in the distance, never counted as " \
           "reproduced): 1 of 1 inside." in text
