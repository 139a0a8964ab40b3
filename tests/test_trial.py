"""Virtual trials: reading, endpoints with LOCF, paired identities, error rates, outputs."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from lbp_headache.cli.main import main
from lbp_headache.core.errors import ScenarioError
from lbp_headache.files.bundled import BUNDLED_FOLDER, bundled_names
from lbp_headache.trial.endpoints import endpoint_values, locf
from lbp_headache.trial.reader import load_trial
from lbp_headache.trial.replicates import allocate
from lbp_headache.trial.runner import build_trial, decomposition, endpoint_rows
from lbp_headache.trial.weekly import BASELINE_WEEKS
from numpy.testing import assert_array_equal

SCENARIO = """\
name: back
duration: 84 days
lumbar_pain: {type: constant, value: 5}
disc_degeneration: 0.2
ergonomic_load: 0.5
"""
POPULATION = """\
name: small
scenario: back.yaml
size: 240
candidates: 400
seed: 7
chunk_size: 128
baseline: {start: 56 days, end: 84 days}
"""
TRIAL = """\
name: tiny trial
population: pop.yaml
size: 120
duration: 8 weeks
evaluations: [4 weeks, 8 weeks]
control: usual_care
blinded: true
seed: 3
replicates: 40
arms:
  physical_therapy:
    treatments: [{type: physical_therapy, duration: 8 weeks}]
    dropout: 2 % / week
  placebo:
    treatments: [{type: placebo, duration: 8 weeks}]
  usual_care:
    treatments: [{type: usual_care, duration: 8 weeks}]
  usual_care_again:
    treatments: [{type: usual_care, duration: 8 weeks}]
compare_to:
  - {endpoint: headache_days_change, arm: difference, evaluation: 8 weeks, value: -3,
     low: -5, high: -1, citation: "a test"}
"""


@pytest.fixture
def files(write_yaml):
    write_yaml("back.yaml", SCENARIO)
    write_yaml("pop.yaml", POPULATION)
    return write_yaml("trial.yaml", TRIAL)


@pytest.fixture
def result(files):
    return build_trial(load_trial(files), workers=2)


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_endpoints_and_locf_on_a_synthetic_diary():
    weeks = 8
    days = np.zeros((3, BASELINE_WEEKS + weeks))
    days[:, :BASELINE_WEEKS] = 5.0                  # 20 headache days in the 4 baseline weeks
    days[0, BASELINE_WEEKS:] = 2.0                  # 8 per 28 days: a responder (-60 %)
    days[1, BASELINE_WEEKS:] = 3.0                  # 12 per 28 days: -40 %, not a responder
    days[2, BASELINE_WEEKS:] = [1.0, 1.0, 6, 6, 6, 6, 6, 6]
    back = np.full((3, BASELINE_WEEKS + weeks), 6.0)
    back[:, BASELINE_WEEKS:] = [[3.0] * weeks, [4.5] * weeks, [2.0] * weeks]
    dropout = np.array([weeks, weeks, 2])           # patient 2 stops reporting after week 2
    series = {"headache_days": locf(days, dropout), "back_pain": locf(back, dropout),
              "intensity": np.ones_like(days)}
    assert series["headache_days"][2, BASELINE_WEEKS + 2:].tolist() == [1.0] * 6  # LOCF
    values = endpoint_values(series, 56.0)
    assert values["headache_days_change"].tolist() == [-12.0, -8.0, -16.0]
    assert values["headache_responders_50"].tolist() == [1.0, 0.0, 1.0]
    assert values["back_pain_change"].tolist() == [-30.0, -15.0, -40.0]
    assert values["back_pain_responders_50"].tolist() == [1.0, 0.0, 1.0]
    assert values["back_pain_responders_30"].tolist() == [1.0, 0.0, 1.0]  # -25 % is not -30 %
    early = endpoint_values(series, 14.0)  # two weeks: the window is scaled to 28 days
    assert early["headache_days_change"].tolist() == [-12.0, -8.0, -16.0]
    never = endpoint_values({**series, "headache_days": np.zeros_like(days)}, 56.0)
    assert never["headache_responders_50"].sum() == 0  # no baseline days: not a responder


def test_allocation_follows_the_ratio():
    rng = np.random.default_rng(0)
    arms = allocate(100, [2.0, 1.0, 1.0], rng)
    assert np.bincount(arms).tolist() == [50, 25, 25]
    assert np.bincount(allocate(7, [1.0, 1.0], rng)).tolist() == [4, 3]


def test_paired_identities(result):
    for day in result.spec.evaluations:
        same, again = result.values["usual_care"][day], result.values["usual_care_again"][day]
        for endpoint in same:
            assert_array_equal(same[endpoint], again[endpoint], err_msg=endpoint)
        placebo, usual = result.values["placebo"][day], result.values["usual_care"][day]
        # The baseline is the same patient's, whatever the arm.
        assert_array_equal(placebo["baseline_headache_days"], usual["baseline_headache_days"])
        assert_array_equal(result.values["physical_therapy"][day]["baseline_back_pain"],
                           usual["baseline_back_pain"])
    # Placebo differs from usual care only by the expectation effect: same mechanism, and
    # its specific part is exactly zero; the expectation part is the placebo's whole gain.
    weekly = result.weekly
    assert_array_equal(weekly["placebo"]["expected_days"], weekly["usual_care"]["expected_days"])
    parts = decomposition(result)["back_pain_change@day56"]
    assert parts["placebo"]["parts"]["specific"] == 0.0
    assert parts["usual_care"]["parts"]["expectation"] == 0.0
    gain = float(np.mean(result.values["placebo"][56.0]["back_pain_change"]
                         - result.values["usual_care"][56.0]["back_pain_change"]))
    assert gain < 0 and gain == pytest.approx(parts["placebo"]["parts"]["expectation"])


def test_null_comparisons_detect_at_the_one_sided_error_rate(files):
    spec = replace(load_trial(files), replicates=400)
    spec = replace(spec, arms=tuple(a for a in spec.arms if a.name.startswith("usual")))
    trial = build_trial(spec, workers=2)
    rows = [r for r in endpoint_rows(trial) if r["arm"] == "usual_care_again - usual_care"]
    for row in rows:
        if row["endpoint"] in ("headache_days_change", "back_pain_change"):
            assert 0.0 <= row["power"] <= 0.065, row  # nominal 2.5 % one-sided
            assert row["virtual_population"] == 0.0


def test_reproducible_across_workers_and_seeds(files):
    spec = replace(load_trial(files), replicates=5)
    one = build_trial(spec, workers=1)
    two = build_trial(spec, workers=2)
    for arm in one.values:
        for day in one.values[arm]:
            for endpoint, values in one.values[arm][day].items():
                assert_array_equal(values, two.values[arm][day][endpoint])
    assert endpoint_rows(one) == endpoint_rows(two)
    other = build_trial(replace(spec, seed=4), workers=2)
    assert endpoint_rows(other) != endpoint_rows(one)


def test_trial_command_writes_its_folder_and_prints_the_comparison(files, tmp_path, capsys):
    code, out, err = run(capsys, "trial", files, "--out", "out", "--replicates", "20")
    assert code == 0, err
    assert "20 trials of 120 patients" in out
    assert "headache_days_change" in out and "-3 [-5, -1]" in out
    folder = tmp_path / "out"
    for name in ("endpoints.csv", "weekly.csv", "replicates.csv", "summary.json",
                 "arms/placebo.csv", "figures/over_time.png", "figures/responders.png"):
        assert (folder / name).exists(), name
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["trial"]["analysis"].startswith("intention to treat")
    assert summary["replicates_run"] == 20
    assert "decomposition" in summary and summary["provenance"]["inputs"]


@pytest.mark.parametrize(("edit", "expected"), [
    (("{type: physical_therapy, duration: 8 weeks}", "{type: physio, duration: 8 weeks}"),
     "trial.yaml:12: arms.physical_therapy.treatments[0].type: unknown treatment type 'physio'; "
     "did you mean 'physical_therapy'?"),
    (("size: 120", "size: 500"),
     "trial.yaml:3: size: a trial of 500 patients cannot be drawn from a population of 240"),
    (("control: usual_care", "control: usualcare"),
     "trial.yaml:6: control: unknown arm 'usualcare'; did you mean 'usual_care'?"),
    (("dropout: 2 % / week", "dropout: 2 kg"),
     "trial.yaml:13: arms.physical_therapy.dropout:"),
    (("evaluations: [4 weeks, 8 weeks]", "evaluations: [4 weeks, 9 weeks]"),
     "trial.yaml:5: evaluations[1]: day 63 is after the end of the trial (day 56)"),
    (("duration: 8 weeks\nevaluations", "duration: 140 weeks\nvirtual_patients: 400000\n"
      "evaluations"),
     "trial.yaml:5: virtual_patients: 400,000 virtual patients x 4 arms x 144 weeks would keep "
     "up to 10.3 GiB of weekly diaries in memory, more than the limit of 8 GiB"),
    (("endpoint: headache_days_change", "endpoint: headache_day_change"),
     "trial.yaml:21: compare_to[0].endpoint: unknown endpoint 'headache_day_change'; did you "
     "mean 'headache_days_change'?"),
])
def test_bad_trial_files_get_one_line_each(files, tmp_path, capsys, edit, expected):
    text = (tmp_path / "trial.yaml").read_text().replace(*edit)
    (tmp_path / "trial.yaml").write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_trial("trial.yaml")
    lines = [str(p) for p in caught.value.problems]
    assert any(line.startswith(expected) for line in lines), lines
    code, _, err = run(capsys, "trial", "trial.yaml", "--out", "out")
    assert code == 2 and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_bundled_trials_load():
    for name in bundled_names("trial"):
        spec = load_trial(BUNDLED_FOLDER / "trials" / f"{name}.yaml")
        assert spec.comparisons, f"{name} has no published figure to compare with"


@pytest.mark.slow
@pytest.mark.parametrize("name", bundled_names("trial"))
def test_every_bundled_trial_runs(name, tmp_path, capsys):
    code, out, err = run(capsys, "trial", name, "--out", tmp_path / name, "--replicates", "50")
    assert code == 0, err
    summary = json.loads((tmp_path / name / "summary.json").read_text())
    published = [row for row in summary["endpoints"] if row["published"] is not None]
    assert published and all(row["virtual_population"] is not None for row in published)


@pytest.mark.slow
def test_a_dask_cluster_gives_the_same_trial_bit_for_bit(files):
    """Local threads and a local Dask cluster (two worker processes) compute the same
    population, weekly diaries and endpoints."""
    pytest.importorskip("distributed")
    spec = replace(load_trial(files), replicates=5)
    threads = build_trial(spec, workers=1)
    dask = build_trial(spec, workers=2, scheduler="local")
    assert_array_equal(threads.patients, dask.patients)
    for arm, series in threads.weekly.items():
        for name, values in series.items():
            assert_array_equal(values, dask.weekly[arm][name])
    assert endpoint_rows(threads) == endpoint_rows(dask)


def test_the_compiled_weekly_sums_equal_the_population_diaries(files):
    """The trial's compiled loop (states in, weekly sums out) gives the weeks of the diaries a
    population draws for the same patients (simulate_patients + draw_diaries): the numpy
    day means and effective lumbar pain, the same diary code, then plain week sums."""
    from lbp_headache.analysis.diary import draw_diaries, patient_noise
    from lbp_headache.analysis.expectation import expectation_effect
    from lbp_headache.engine.batch import BatchSettings
    from lbp_headache.population.candidates import candidates_at
    from lbp_headache.population.patients import simulate_patients
    from lbp_headache.trial.arms import mechanism_groups
    from lbp_headache.trial.weekly import weekly_chunk

    spec = load_trial(files)
    patients = np.arange(0, 300, 3)
    groups = mechanism_groups(spec)
    weekly = weekly_chunk(spec, groups, patients, {}, BatchSettings())
    rows, inputs = candidates_at(spec.population, patients)
    first = int(round(spec.randomization)) - 7 * BASELINE_WEEKS
    n_weeks = weekly["usual_care"]["headache_days"].shape[1]
    compared = 0
    for scenario, members in groups:
        run = simulate_patients(scenario, rows, inputs, patients, spec.population.seed,
                                settings=BatchSettings(), diary=False)
        days = run.daily["headache"].shape[1] - 1
        noise = patient_noise(spec.population.seed, patients, days)
        for name, treatments in members:
            effect = expectation_effect(treatments, np.arange(days + 1.0), rows)
            diary = draw_diaries(run.daily["headache"], run.daily["lumbar_pain"], rows, noise,
                                 effect if np.any(effect) else None, compiled=True)

            def weeks(values):
                block = values[:, first:first + 7 * n_weeks]
                return block.reshape(len(patients), n_weeks, 7).sum(axis=2)

            got = weekly[name]
            assert_array_equal(got["headache_days"], weeks(diary.headache_day))
            np.testing.assert_allclose(got["intensity"], weeks(diary.headache) / 7.0,
                                       rtol=1e-6)
            np.testing.assert_allclose(got["back_pain"], weeks(diary.lumbar_pain) / 7.0,
                                       rtol=1e-6, atol=1e-6)
            np.testing.assert_allclose(got["mechanistic_back_pain"],
                                       weeks(diary.mechanistic_lumbar) / 7.0, rtol=1e-6)
            compared += 1
    assert compared == len(spec.arm_names) + 2  # every arm, the untreated and expectation


def test_chunks_are_stored_in_place_whatever_order_they_finish(files):
    """The trial's store equals the chunks concatenated, arrives in any order, and keeps
    an array that arms share (the same diary, the group's model series) once."""
    from lbp_headache.engine.batch import BatchSettings
    from lbp_headache.trial.arms import mechanism_groups
    from lbp_headache.trial.runner import _WeeklyStore
    from lbp_headache.trial.weekly import weekly_chunk

    spec = load_trial(files)
    groups = mechanism_groups(spec)
    rates = {arm.name: arm.dropout_rate for arm in spec.arms}
    spans = [(0, 40), (40, 70), (70, 100)]
    parts = [weekly_chunk(spec, groups, np.arange(lo, hi), rates, BatchSettings())
             for lo, hi in spans]
    store = _WeeklyStore(spans)
    for index in (2, 0, 1):
        store.add(index, parts[index])
    for arm, series in parts[0].items():
        for name in series:
            assert_array_equal(store.weekly[arm][name],
                               np.concatenate([part[arm][name] for part in parts]))
    stored = {id(value) for series in store.weekly.values() for value in series.values()}
    given = {id(value) for series in parts[0].values() for value in series.values()}
    assert len(stored) == len(given) < sum(len(series) for series in parts[0].values())
