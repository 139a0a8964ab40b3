"""The virtual clinic's computing (lbp_headache.trial.clinic): the small trial and its view.

The explorer shows what :func:`clinic_view` packs; every number must be the
one :func:`build_trial` computed (the view computes no statistic itself), the
responder intervals must be exact Clopper-Pearson intervals of the counts
shown, and a population built once must give the same trial as one built
inside :func:`build_trial`. The browser test (tests/test_browser.py) checks
that the page shows these numbers.
"""

from __future__ import annotations

import numpy as np
import pytest
from lbp_headache.analysis.statistics import clopper_pearson
from lbp_headache.explorer.clinic import QUESTIONS
from lbp_headache.population.runner import build_population
from lbp_headache.trial.clinic import (
    ClinicError,
    clinic_spec,
    clinic_view,
    first_trial_members,
    load_bundled_trial,
    offered_arms,
    primary,
    trial_names,
)
from lbp_headache.trial.endpoints import observed
from lbp_headache.trial.runner import build_trial
from lbp_headache.trial.weekly import BASELINE_WEEKS

DULOXETINE = "duloxetine_chronic_low_back_pain"  # the fastest population to build


@pytest.fixture(scope="module")
def design():
    return load_bundled_trial(DULOXETINE)


@pytest.fixture(scope="module")
def three_arms(design):
    spec = clinic_spec(design, ["duloxetine", "placebo", "physical_therapy"], replicates=5)
    return spec, build_trial(spec, workers=2)


def test_every_bundled_trial_has_a_question():
    assert set(QUESTIONS) == set(trial_names())


def test_offered_arms_are_the_trials_own_then_the_vocabulary_without_repeats():
    names = {name: [a.name for a in offered_arms(load_bundled_trial(name))]
             for name in trial_names()}
    assert names[DULOXETINE][:2] == ["duloxetine", "placebo"]
    assert "usual_care" in names[DULOXETINE] and names[DULOXETINE].count("placebo") == 1
    # The waitlist is usual care and the attention placebo a placebo: neither is offered twice.
    placebo = names["placebo_vs_waitlist_ctth"]
    assert placebo[:2] == ["attention_placebo", "waitlist"]
    assert "placebo" not in placebo and "usual_care" not in placebo
    assert "duloxetine" in names["manual_therapy_ctth"]


def test_the_small_trial_keeps_the_design(design):
    spec = clinic_spec(design, ["placebo", "duloxetine", "nsaid"], virtual_patients=500,
                       per_arm=100, replicates=7)
    assert spec.arm_names == ("placebo", "duloxetine", "nsaid")
    assert spec.size == 300 and spec.replicates == 7 and spec.population.size == 500
    assert spec.population.candidates < design.population.candidates
    assert (spec.control, spec.blinded, spec.duration, spec.evaluations, spec.seed) == (
        design.control, design.blinded, design.duration, design.evaluations, design.seed)
    assert spec.comparisons == design.comparisons  # both own arms kept: every figure kept
    only_placebo = clinic_spec(design, ["placebo", "nsaid"])
    assert {c.arm for c in only_placebo.comparisons} == {"placebo"}


@pytest.mark.parametrize("arms, message", [
    (["duloxetin", "placebo"], "unknown arm 'duloxetin'; did you mean 'duloxetine'?"),
    (["duloxetine", "nsaid"], "the control arm 'placebo' must be one of the arms"),
    (["placebo"], "1 arms; a trial has 2 to 8"),
])
def test_bad_arms_are_one_line(design, arms, message):
    with pytest.raises(ClinicError, match=message.replace("?", r"\?")):
        clinic_spec(design, arms)


def test_a_trial_larger_than_the_population_is_refused(design):
    with pytest.raises(ClinicError, match="more than the 300 virtual patients"):
        clinic_spec(design, ["placebo", "duloxetine", "nsaid", "ergonomics"])
    assert clinic_spec(design, ["placebo", "duloxetine", "nsaid", "ergonomics"],
                       virtual_patients=500).size == 400


def test_a_population_built_once_gives_the_same_trial(design):
    spec = clinic_spec(design, ["duloxetine", "placebo"], replicates=3)
    population = build_population(spec.population, workers=1)
    reused = build_trial(spec, workers=1, population=population)
    fresh = build_trial(spec, workers=2)
    assert np.array_equal(reused.patients, fresh.patients)
    for arm in spec.arm_names:
        for series in ("headache_days", "back_pain", "dropout_week"):
            assert np.array_equal(reused.weekly[arm][series], fresh.weekly[arm][series])
    assert reused.replicates == fresh.replicates
    other = clinic_spec(design, ["duloxetine", "placebo"], virtual_patients=500)
    with pytest.raises(ValueError, match="not built from the trial's population"):
        build_trial(other, population=population)


def test_the_view_shows_the_first_trials_numbers(design, three_arms):
    spec, result = three_arms
    view = clinic_view(result, design, sample=10)
    endpoint, day = primary(design)
    assert (view["endpoint"], view["evaluation_day"]) == ("back_pain_responders_50", 84.0)
    members = first_trial_members(result)
    assert sum(m.size for m in members.values()) == spec.size == 300
    for arm in spec.arm_names:
        shown = view["arms"][arm]
        rows = members[arm]
        estimate = result.replicates[0][(endpoint, day)]["arms"][arm]
        count = int(result.values[arm][day][endpoint][rows].sum())
        exact = clopper_pearson(count, rows.size)
        assert shown["responders"] == {"count": count, "n": int(rows.size),
                                       "value": estimate["value"], "low": estimate["low"],
                                       "high": estimate["high"]}
        assert (shown["responders"]["low"], shown["responders"]["high"]) == pytest.approx(
            (exact.low, exact.high), abs=1e-12)
        assert shown["responders"]["value"] == pytest.approx(count / rows.size)
        # The bold line: the arm's weekly mean over its patients, last observation carried on.
        itt = observed(result.weekly[arm])["headache_days"][rows].mean(axis=0)
        assert shown["mean"] == pytest.approx(itt, abs=1e-4)
        assert len(shown["lines"]) == 10 and len(shown["lines"][0]) == len(view["weeks"])
        first = shown["lines"][0]
        raw = result.weekly[arm]["headache_days"][rows[0]]
        dropout = int(result.weekly[arm]["dropout_week"][rows[0]])
        assert first[:BASELINE_WEEKS + dropout] == raw[:BASELINE_WEEKS + dropout].tolist()
        assert all(v is None for v in first[BASELINE_WEEKS + dropout:])
    assert view["weeks"][0] == -BASELINE_WEEKS and view["weeks"][-1] == 12
    assert view["arms"]["placebo"]["active"] and view["arms"]["duloxetine"]["active"]


def test_a_published_difference_is_set_beside_the_trials_own_arm_only(design, three_arms):
    _, result = three_arms
    rows = clinic_view(result, design)["published"]
    differences = [r["arm"] for r in rows if " - " in r["arm"]]
    assert differences == ["duloxetine - placebo"]  # not physical_therapy - placebo
    shares = {(r["endpoint"], r["arm"]): r["published"] for r in rows}
    assert shares[("back_pain_responders_50", "duloxetine")] == 0.486
    assert shares[("back_pain_responders_50", "placebo")] == 0.351
    for r in rows:
        assert r["simulated_low"] <= r["simulated"] <= r["simulated_high"]
        assert r["replicates_p2_5"] <= r["replicates_p97_5"]
