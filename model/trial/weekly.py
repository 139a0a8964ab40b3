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
from lbp_headache.analysis.diary import DIARY_PARAMETERS, patient_noise
from lbp_headache.analysis.expectation import expectation_effect, has_expectation
from lbp_headache.core.parameters import INDEX
from lbp_headache.core.states import HEADACHE_COMPONENTS, HEADACHE_MAX
from lbp_headache.engine.batch import BatchSettings, simulate_batch
from lbp_headache.population.candidates import candidates_at
from lbp_headache.population.patients import DIARY_STATES
from lbp_headache.trial.arms import weeks as trial_weeks
from lbp_headache.trial.spec import TrialSpec

BASELINE_WEEKS = 4
SERIES = ("headache_days", "back_pain", "intensity", "expected_days", "mechanistic_back_pain")


def weekly_chunk(spec: TrialSpec, groups: list[tuple], patients: np.ndarray,
                 dropout_rates: dict, settings: BatchSettings) -> dict[str, dict[str, np.ndarray]]:
    """The weekly series of ``patients`` (candidate numbers) in every arm of ``groups``.

    The patients' parameters, inputs and random numbers are drawn once for all
    the groups. Returns ``{arm: {series: (n, 4 + weeks) float32, "dropout_week":
    (n,) int, "status": (n,) int}}``; arms that must hold equal arrays hold the same
    array object (the caller stores each once).
    """
    population = spec.population
    rows, inputs = candidates_at(population, patients)
    day0 = int(round(spec.randomization))
    first = day0 - 7 * BASELINE_WEEKS
    if first < 0:
        raise ValueError("randomization must come at least four weeks into the population's "
                         "scenario (its baseline window ends there)")
    n_weeks = BASELINE_WEEKS + trial_weeks(spec)
    last = first + 7 * n_weeks  # the diaries are reported on days first .. last - 1
    with np.errstate(divide="ignore"):
        time_to_dropout = -np.log(patient_noise(population.seed, patients, 1).dropout)
    from lbp_headache.trial.weekly_kernel import weekly_into  # lazy: loads numba

    noise = None
    out: dict[str, dict[str, np.ndarray]] = {}
    dropout_weeks: dict[float, np.ndarray] = {}
    parameters = np.ascontiguousarray(rows[:, [INDEX[name] for name in DIARY_PARAMETERS]])
    reliefs = np.ascontiguousarray(rows[:, INDEX["placebo_relief"]])
    for scenario, members in groups:
        batch = simulate_batch(scenario, rows, settings=settings, record=DIARY_STATES,
                               inputs=inputs)
        n_days = batch.days.size - 1
        if noise is None or noise.headache.shape[1] < n_days:
            noise = patient_noise(population.seed, patients, n_days)
        # Arms whose expectation effects are equal share one diary.
        effects: list[np.ndarray] = []
        which: dict[str, int] = {}
        for name, treatments in members:
            effect = (expectation_effect(treatments, batch.days[first:last + 1], rows)
                      if has_expectation(treatments) else None)
            for k, known in enumerate(effects):
                if (known is None and effect is None) or (
                        known is not None and effect is not None
                        and np.array_equal(known, effect)):
                    which[name] = k
                    break
            else:
                which[name] = len(effects)
                effects.append(effect)
        use_factor = np.array([e is not None for e in effects])
        stacked = np.stack([np.zeros((patients.size, last + 1 - first)) if e is None else e
                            for e in effects])
        sums = [np.zeros((len(effects), patients.size, n_weeks)) for _ in range(3)]
        expected = np.zeros((patients.size, n_weeks))
        mechanistic_back = np.zeros((patients.size, n_weeks))
        names = list(batch.names)
        weekly_into(np.ascontiguousarray(batch.states),
                    np.array([names.index(c) for c in HEADACHE_COMPONENTS], dtype=np.int64),
                    names.index("physical_therapy_effect"), names.index("nsaid_effect"),
                    names.index("neuropathic_effect"),
                    np.ascontiguousarray(np.clip(inputs.lumbar_at(batch.days), 0.0, None)),
                    np.ascontiguousarray(rows), parameters, stacked, reliefs, use_factor,
                    np.ascontiguousarray(noise.headache[:, :n_days]),
                    np.ascontiguousarray(noise.lumbar[:, :n_days]),
                    np.ascontiguousarray(noise.day[:, :n_days]),
                    np.ascontiguousarray(noise.headache_slow[:, :n_days]), first, n_weeks,
                    float(HEADACHE_MAX), *sums, expected, mechanistic_back)
        headache_days, back_sums, intensity_sums = sums
        status = batch.status.astype(np.int64)
        # Arms of a group share the model's own series, and arms with the same expectation
        # effect share their diary: the same array objects, stored once by the caller.
        model_series = {"expected_days": expected.astype(np.float32),
                        "mechanistic_back_pain": (mechanistic_back / 7.0).astype(np.float32)}
        diaries = [{"headache_days": headache_days[k].astype(np.float32),
                    "back_pain": (back_sums[k] / 7.0).astype(np.float32),
                    "intensity": (intensity_sums[k] / 7.0).astype(np.float32)}
                   for k in range(len(effects))]
        for name, _ in members:
            rate = dropout_rates.get(name, 0.0)
            if rate not in dropout_weeks:
                time = time_to_dropout / rate if rate > 0 else np.full(patients.size, np.inf)
                dropout_weeks[rate] = np.minimum(np.floor(time / 7.0),
                                                 trial_weeks(spec)).astype(np.int64)
            out[name] = {**diaries[which[name]], **model_series,
                         "dropout_week": dropout_weeks[rate], "status": status}
    return out
