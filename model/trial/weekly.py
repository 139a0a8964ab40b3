"""Weekly diaries of every virtual patient in every arm (the trial's raw data).

For a block of patients and one mechanism group (:func:`.arms.mechanism_groups`)
the batch engine runs once; each arm of the group then draws the patients'
diaries with its own expectation effect (the same random numbers in every
arm: paired counterfactuals) and reduces them to weeks from randomization:

``headache_days``
    headache days in the week (0-7, the diary's count);
``back_pain``, ``intensity``
    the week's mean reported back pain and headache load (0-10);
``expected_days``, ``mechanistic_back_pain``
    the model's expected headache days and mean lumbar pain in the week, without
    day-to-day noise or expectation (the natural course).

Week ``-4 .. -1`` are the four weeks before randomization (the baseline).
``dropout_week`` is the first week a patient no longer reports (``weeks`` if
never), from the patient's own uniform number and the arm's rate.
"""

from __future__ import annotations

import numpy as np
from lbp_headache.analysis.diary import draw_diaries, patient_noise
from lbp_headache.analysis.expectation import expectation_effect
from lbp_headache.analysis.observation import headache_day_probability
from lbp_headache.engine.batch import BatchSettings
from lbp_headache.population.candidates import candidates_at
from lbp_headache.population.patients import simulate_patients
from lbp_headache.trial.arms import weeks as trial_weeks
from lbp_headache.trial.spec import TrialSpec

BASELINE_WEEKS = 4
SERIES = ("headache_days", "back_pain", "intensity", "expected_days", "mechanistic_back_pain")


def week_sums(daily: np.ndarray, first_day: int, n_weeks: int) -> np.ndarray:
    """Sums over ``n_weeks`` whole weeks of a per-day array ``(n, days)`` from ``first_day``."""
    block = daily[:, first_day:first_day + 7 * n_weeks]
    return block.reshape(block.shape[0], n_weeks, 7).sum(axis=2)


def weekly_chunk(spec: TrialSpec, group: tuple, patients: np.ndarray, dropout_rates: dict,
                 settings: BatchSettings) -> dict[str, dict[str, np.ndarray]]:
    """The weekly series of ``patients`` (candidate numbers) in every arm of ``group``.

    Returns ``{arm: {series: (n, 4 + weeks) float32, "dropout_week": (n,) int}}``.
    """
    scenario, members = group
    population = spec.population
    rows, inputs = candidates_at(population, patients)
    run = simulate_patients(scenario, rows, inputs, patients, population.seed,
                            settings=settings)
    noise = patient_noise(population.seed, patients)
    day0 = int(round(spec.randomization))
    first = day0 - 7 * BASELINE_WEEKS
    if first < 0:
        raise ValueError("randomization must come at least four weeks into the population's "
                         "scenario (its baseline window ends there)")
    n_weeks = BASELINE_WEEKS + trial_weeks(spec)
    days = np.arange(run.daily["headache"].shape[1], dtype=float)
    mechanistic = run.diary.mechanistic_headache
    expected = headache_day_probability(mechanistic, rows.T[:, :, None])
    common = {
        "expected_days": week_sums(expected, first, n_weeks),
        "mechanistic_back_pain": week_sums(run.diary.mechanistic_lumbar, first, n_weeks) / 7.0,
    }
    out = {}
    for name, treatments in members:
        effect = expectation_effect(treatments, days, rows)
        diary = draw_diaries(run.daily["headache"], run.daily["lumbar_pain"], rows, noise,
                             effect)
        series = {
            "headache_days": week_sums(diary.headache_day.astype(float), first, n_weeks),
            "back_pain": week_sums(diary.lumbar_pain, first, n_weeks) / 7.0,
            "intensity": week_sums(diary.headache, first, n_weeks) / 7.0,
            **common,
        }
        result = {key: value.astype(np.float32) for key, value in series.items()}
        rate = dropout_rates.get(name, 0.0)
        with np.errstate(divide="ignore"):
            time = np.where(rate > 0, -np.log(noise.dropout) / max(rate, 1e-300), np.inf)
        result["dropout_week"] = np.minimum(np.floor(time / 7.0), trial_weeks(spec)).astype(
            np.int64)
        result["status"] = run.status.astype(np.int64)
        out[name] = result
    return out
