"""Virtual populations: reading, candidates, plausibility, inclusion, selection, outputs."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from lbp_headache.cli.main import main
from lbp_headache.core.errors import ScenarioError
from lbp_headache.files.bundled import BUNDLED_FOLDER, bundled_names
from lbp_headache.population.candidates import BLOCK, candidates, candidates_at
from lbp_headache.population.distributions import Distribution
from lbp_headache.population.patients import sensitization_onset
from lbp_headache.population.reader import load_population
from lbp_headache.population.runner import build_population
from lbp_headache.population.selection import category, category_shares, prevalence
from lbp_headache.population.spec import Selection
from numpy.testing import assert_array_equal

SCENARIO = """\
name: back
duration: 120 days
lumbar_pain: {type: constant, value: 5}
disc_degeneration: 0.2
ergonomic_load: 0.3
"""
POPULATION = """\
name: small
scenario: back.yaml
size: 60
candidates: 300
seed: 7
chunk_size: 128
inputs:
  back_pain:
    scale: {distribution: lognormal, median: 1, sd_log: 0.3, low: 0.3, high: 2}
  ergonomic_load: {level: {distribution: uniform, low: 0, high: 0.8}, scale: 0}
baseline: {start: 92 days, end: 120 days}
inclusion:
  - {measure: back_pain, min: 3}
"""


@pytest.fixture
def small(write_yaml):
    write_yaml("back.yaml", SCENARIO)
    return write_yaml("pop.yaml", POPULATION)


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_file_is_read_with_its_spreads_and_inputs(small):
    spec = load_population(small)
    names = spec.varying_names
    assert "posture_chain_stiffness" in names and "gain_migraine" in names
    assert "headache_day_half_load" not in names  # no spread in the table
    assert spec.baseline == (92.0, 120.0)
    assert spec.back_pain.scale == Distribution("lognormal", 1.0, 0.3, 0.3, 2.0)
    assert spec.ergonomic_load.level.family == "uniform"


def test_candidates_are_the_same_whatever_the_chunks(small):
    spec = replace(load_population(small), candidates=2 * BLOCK + 10)
    whole_rows, whole_inputs = candidates(spec, 0, spec.candidates)
    parts = [candidates(spec, lo, min(lo + 777, spec.candidates))
             for lo in range(0, spec.candidates, 777)]
    assert_array_equal(np.concatenate([p[0] for p in parts]), whole_rows)
    assert_array_equal(np.concatenate([p[1].lumbar_scale for p in parts]),
                       whole_inputs.lumbar_scale)
    picked = np.array([BLOCK + 3, 5, 2 * BLOCK + 9])
    rows, inputs = candidates_at(spec, picked)
    assert_array_equal(rows, whole_rows[picked])
    assert_array_equal(inputs.ergonomic_level, whole_inputs.ergonomic_level[picked])
    other = candidates(replace(spec, seed=8), 0, 10)[0]
    assert not np.array_equal(other, whole_rows[:10])


def test_build_is_reproducible_across_workers(small):
    spec = load_population(small)
    one = build_population(spec, workers=1)
    two = build_population(spec, workers=2)
    assert_array_equal(one.chosen, two.chosen)
    for name in one.measures:
        assert_array_equal(one.measures[name], two.measures[name], err_msg=name)
    assert one.size == 60
    assert np.all(one.measures["back_pain"][one.chosen] >= 3)
    rejected = one.rejected_by["back_pain >= 3"]
    assert rejected == int(np.sum(one.plausible & (one.measures["back_pain"] < 3)))


def test_prevalence_selection_hits_its_target():
    rng = np.random.default_rng(0)
    target = Distribution("normal", 24.0, 3.0, 15.0, 27.0)
    selection = Selection("expected_headache_days", "prevalence", target)
    for seed in range(3):
        values = rng.uniform(15.0, 28.0, 4000)
        outcome = prevalence(values, selection, 600, seed)
        assert outcome.message is None
        assert outcome.distance_before > 0.2
        assert outcome.distance_after < 1.358 / np.sqrt(600)
        assert np.all(values[outcome.chosen] <= 27.0)


def test_category_shares_are_matched_exactly_and_randomly():
    values = np.random.default_rng(1).uniform(0, 28, 5000)
    categories = (((0.0, 4.0), 0.5), ((4.0, 15.0), 0.3), ((15.0, 28.1), 0.2))
    selection = Selection("headache_days", "category_shares", None, categories)
    outcome = category_shares(values, selection, 1000, 3)
    which = category(values[outcome.chosen], categories)
    assert [int((which == k).sum()) for k in range(3)] == [500, 300, 200]
    again = category_shares(values, selection, 1000, 4)
    assert not np.array_equal(outcome.chosen, again.chosen)  # random within categories
    impossible = category_shares(values[values > 4], selection, 1000, 3)
    assert impossible.message and "cannot be matched" in impossible.message


def test_population_command_writes_its_folder(small, tmp_path, capsys):
    code, out, err = run(capsys, "population", small, "--out", "out", "--workers", "2")
    assert code == 0, err
    assert "60 patients from 300 candidates" in out
    folder = tmp_path / "out"
    header = (folder / "patients.csv").read_text().splitlines()[0].split(",")
    assert header[0] == "patient" and "posture_chain_stiffness" in header
    assert "headache_days" in header and "back_pain_scale" in header
    assert len((folder / "patients.csv").read_text().splitlines()) == 61
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["counts"]["selected"] == 60 and summary["counts"]["candidates"] == 300
    assert summary["provenance"]["inputs"]
    assert "not a diagnostic tool" in summary["disclaimer"]
    assert (folder / "figures" / "baseline_distributions.png").stat().st_size > 10_000


@pytest.mark.parametrize(("edit", "expected"), [
    (("inclusion:\n  - {measure: back_pain, min: 3}",
      "inclusion:\n  - {measure: back_pain, min: 3}\n  - {measure: headache_days, min: 29}"),
     "pop.yaml:14: inclusion: only 0 of 300 candidates (0.00 %) meet the inclusion criteria; "
     "the one that rejects most is headache_days >= 29"),
    (("seed: 7", "seed: 7\nselection: {measure: back_pain, method: prevalence, "
                 "target: {distribution: normal, mean: 9.5, sd: 0.2}}"),
     "pop.yaml:6: selection: prevalence selection accepts"),
])
def test_a_population_nobody_can_enter_is_one_line_and_nothing_written(
        small, tmp_path, capsys, edit, expected):
    text = (tmp_path / "pop.yaml").read_text().replace(*edit)
    (tmp_path / "pop.yaml").write_text(text)
    code, _, err = run(capsys, "population", "pop.yaml", "--out", "out")
    assert code == 2
    assert err.strip().startswith(expected), err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("edit", "expected"), [
    (("distribution: lognormal, median: 1", "distribution: lognormale, median: 1"),
     "pop.yaml:9: inputs.back_pain.scale.distribution: unknown distribution 'lognormale'; "
     "did you mean 'lognormal'?"),
    (("sd_log: 0.3", "sd_log: -0.3"),
     "pop.yaml:9: inputs.back_pain.scale: the scale must be >= 0"),
    (("size: 60", "size: 600"),
     "pop.yaml:4: candidates: 300 candidates cannot give a population of 600"),
    (("{measure: back_pain, min: 3}", "{measure: back_pain, min: 5, max: 3}"),
     "pop.yaml:13: inclusion[0]: min (5) is above max (3): nobody could meet this criterion"),
    (("{measure: back_pain, min: 3}", "{measure: backpain, min: 3}"),
     "pop.yaml:13: inclusion[0].measure: unknown measure 'backpain'; did you mean 'back_pain'?"),
    (("chunk_size: 128", "chunk_size: 128\nparameters: {spreads: {gain_central: "
                         "{distribution: lognormal, median: 0.35, sd_log: 0.3}}, "
                         "fixed: [gain_centrl]}"),
     "pop.yaml:7: parameters.fixed[0]: unknown parameter 'gain_centrl'; did you mean "
     "'gain_central'?"),
])
def test_bad_population_files_get_one_line_each(small, tmp_path, capsys, edit, expected):
    text = (tmp_path / "pop.yaml").read_text().replace(*edit)
    (tmp_path / "pop.yaml").write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_population("pop.yaml")
    lines = [str(p) for p in caught.value.problems]
    assert expected in "\n".join(lines), lines
    code, _, err = run(capsys, "population", "pop.yaml", "--out", "out")
    assert code == 2 and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_bundled_populations_load():
    for name in bundled_names("population"):
        spec = load_population(BUNDLED_FOLDER / "populations" / f"{name}.yaml")
        assert spec.size >= 100 and spec.candidates >= spec.size


@pytest.mark.slow
@pytest.mark.parametrize("name", bundled_names("population"))
def test_every_bundled_population_builds(name, tmp_path, capsys):
    code, out, err = run(capsys, "population", name, "--out", tmp_path / name)
    assert code == 0, err
    summary = json.loads((tmp_path / name / "summary.json").read_text())
    assert summary["counts"]["selected"] == summary["population"]["size"]
    if summary["selection"] is not None:
        assert summary["selection"]["after"] < summary["selection"]["before"]


def test_a_chunk_hands_back_only_what_it_owns(small):
    """A worker's measures are arrays of their own, not views that keep its whole block of
    recorded states alive (that held 20 KB per candidate: 2.3 GB for 100,000)."""
    from lbp_headache.engine.batch import BatchSettings
    from lbp_headache.population.runner import evaluate_chunk

    part = evaluate_chunk(load_population(small), 0, 64, BatchSettings())
    assert part and all(value.base is None for value in part.values())


def test_sensitization_onset_is_the_first_day_sensitization_reaches_one_half():
    # threshold = 1 - depth (1 - exp(-t / tau)): sensitization reaches 0.5 at tau ln 2.
    days = np.arange(0.0, 181.0)
    depth = np.array([0.3, 0.5, 0.3, 0.3])
    tau = np.array([50.0, 20.0, 50.0, 50.0])
    threshold = 1.0 - depth[:, None] * (1.0 - np.exp(-days[None, :] / tau[:, None]))
    threshold[2] = 1.0 - 0.3 * 0.4  # levels off at sensitization 0.4: never
    threshold[3] = 1.0 - 0.3 * 0.6  # sensitized from the start
    onset = sensitization_onset(threshold, depth)
    exact = tau[:2] * np.log(2.0)
    # Linear between whole days: the chord of a convex curve, within a hundredth of a day.
    assert np.all(np.abs(onset[:2] - exact) < 0.01)
    assert np.isnan(onset[2])
    assert onset[3] == 0.0
