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
from lbp_headache.analysis.observation import day_means, headache_day_probability
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


def weekly_chunk(spec: TrialSpec, groups: list[tuple], patients: np.ndarray,
                 dropout_rates: dict, settings: BatchSettings) -> dict[str, dict[str, np.ndarray]]:
    """The weekly series of ``patients`` (candidate numbers) in every arm of ``groups``.

    The patients' parameters, inputs and random numbers are drawn once for all
    the groups. Returns ``{arm: {series: (n, 4 + weeks) float32, "dropout_week":
    (n,) int}}``.
    """
    population = spec.population
    rows, inputs = candidates_at(population, patients)
    day0 = int(round(spec.randomization))
    first = day0 - 7 * BASELINE_WEEKS
    if first < 0:
        raise ValueError("randomization must come at least four weeks into the population's "
                         "scenario (its baseline window ends there)")
    n_weeks = BASELINE_WEEKS + trial_weeks(spec)
    with np.errstate(divide="ignore"):
        time_to_dropout = -np.log(patient_noise(population.seed, patients, 1).dropout)
    noise = None
    out = {}
    for scenario, members in groups:
        run = simulate_patients(scenario, rows, inputs, patients, population.seed,
                                settings=settings, diary=False)
        n_days = run.daily["headache"].shape[1] - 1
        if noise is None or noise.headache.shape[1] < n_days:
            noise = patient_noise(population.seed, patients, n_days)
        days = np.arange(n_days + 1, dtype=float)
        expected = headache_day_probability(day_means(run.daily["headache"]),
                                            rows.T[:, :, None])
        common = {
            "expected_days": week_sums(expected, first, n_weeks),
            "mechanistic_back_pain": week_sums(day_means(run.daily["lumbar_pain"]), first,
                                               n_weeks) / 7.0,
        }
        drawn: dict[bytes, dict[str, np.ndarray]] = {}  # arms of one expectation share one
        for name, treatments in members:
            effect = expectation_effect(treatments, days, rows)
            key = effect.tobytes() if np.any(effect) else b""
            if key not in drawn:
                diary = draw_diaries(run.daily["headache"], run.daily["lumbar_pain"], rows,
                                     noise, effect if key else None, compiled=True)
                drawn[key] = {
                    "headache_days": week_sums(diary.headache_day, first, n_weeks),
                    "back_pain": week_sums(diary.lumbar_pain, first, n_weeks) / 7.0,
                    "intensity": week_sums(diary.headache, first, n_weeks) / 7.0,
                }
            result = {key: value.astype(np.float32)
                      for key, value in {**drawn[key], **common}.items()}
            rate = dropout_rates.get(name, 0.0)
            time = time_to_dropout / rate if rate > 0 else np.full(patients.size, np.inf)
            result["dropout_week"] = np.minimum(np.floor(time / 7.0),
                                                trial_weeks(spec)).astype(np.int64)
            result["status"] = run.status.astype(np.int64)
            out[name] = result
    return out
