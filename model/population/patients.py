"""Simulate virtual patients through a scenario and read their diaries.

:func:`simulate_patients` runs a block of patients (parameter rows, their own
inputs) on the batch engine and draws each one's seeded diary
(:mod:`lbp_headache.analysis.diary`); :func:`window_measures` reduces a window
of days to the measures populations select on and trials count
(:data:`lbp_headache.population.spec.MEASURES`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from lbp_headache.analysis.crossing import first_crossing
from lbp_headache.analysis.diary import (
    Diary,
    PatientNoise,
    coupling_many,
    draw_diaries,
    patient_noise,
)
from lbp_headache.analysis.expectation import expectation_effect
from lbp_headache.analysis.observation import headache_day_probability
from lbp_headache.core.calendar import METRIC_MONTH_DAYS
from lbp_headache.core.equations import effective_lumbar_pain
from lbp_headache.core.parameters import INDEX
from lbp_headache.core.states import HEADACHE_COMPONENTS, PATHWAYS, STATE_NAMES
from lbp_headache.engine.batch import BatchSettings, simulate_batch
from lbp_headache.engine.patient_inputs import PatientInputs
from lbp_headache.scenario.record import Scenario

# States a diary needs: the headache components, the threshold, the effects on lumbar pain.
DIARY_STATES = (*HEADACHE_COMPONENTS, "pain_threshold", "physical_therapy_effect",
                "nsaid_effect", "neuropathic_effect")


@dataclass(frozen=True)
class PatientRun:
    """Daily model values and diaries of a block of patients."""

    status: np.ndarray            # 0: the simulation ran; else a batch-engine status code
    daily: dict[str, np.ndarray]  # (n, days + 1) on whole days
    diary: Diary | None           # (n, days); None when not drawn
    expectation: np.ndarray       # (n, days + 1)


def simulate_patients(scenario: Scenario, rows: np.ndarray, inputs: PatientInputs,
                      patients: np.ndarray, seed: int, *, settings: BatchSettings,
                      record: tuple[str, ...] = DIARY_STATES,
                      noise: PatientNoise | None = None, diary: bool = True) -> PatientRun:
    """Run ``rows`` (with ``inputs``) through ``scenario`` and draw the patients' diaries.

    ``patients`` are the patients' numbers (they key each one's random
    numbers); ``record`` must include :data:`DIARY_STATES`. ``noise`` (the
    patients' :func:`~lbp_headache.analysis.diary.patient_noise`) is drawn here
    unless given; ``diary=False`` leaves the diary to the caller.
    """
    wanted = tuple(dict.fromkeys((*DIARY_STATES, *record)))
    batch = simulate_batch(scenario, rows, settings=settings, record=wanted, inputs=inputs)
    daily = {name: batch.states[:, :, k] for k, name in enumerate(batch.names)}
    days = batch.days
    daily["headache"] = sum(daily[name] for name in HEADACHE_COMPONENTS)
    raw = np.clip(inputs.lumbar_at(days), 0.0, None)
    parameters = rows.T[:, :, None]
    daily["lumbar_pain"] = effective_lumbar_pain(raw, daily["physical_therapy_effect"],
                                                 daily["nsaid_effect"],
                                                 daily["neuropathic_effect"], parameters)
    expectation = expectation_effect(scenario.treatments, days, rows)
    if not diary:
        return PatientRun(batch.status, daily, None, expectation)
    if noise is None:
        noise = patient_noise(seed, patients, days.size - 1)
    drawn = draw_diaries(daily["headache"], daily["lumbar_pain"], rows, noise,
                         expectation if np.any(expectation) else None, compiled=True)
    return PatientRun(batch.status, daily, drawn, expectation)


def within_ranges(run: PatientRun, bounds: tuple[tuple[str, float, float], ...]) -> np.ndarray:
    """Whether each patient's recorded states stayed inside ``(state, low, high)`` every day
    (states that were not recorded are not checked)."""
    ok = run.status == 0
    for name, low, high in bounds:
        if name in run.daily and name in STATE_NAMES:
            values = run.daily[name]
            # Two reductions instead of two boolean temporaries; NaN fails (as it should).
            ok &= (values.min(axis=1) >= low) & (values.max(axis=1) <= high)
    return ok


def window_measures(run: PatientRun, rows: np.ndarray, start: int,
                    end: int) -> dict[str, np.ndarray]:
    """The measures of calendar days ``start .. end - 1`` for every patient (see ``MEASURES``)."""
    diary = run.diary
    n_days = end - start
    per_month = METRIC_MONTH_DAYS / n_days
    days = slice(start, end)
    mechanistic = diary.mechanistic_headache[:, days]
    probability = headache_day_probability(mechanistic, rows.T[:, :, None])
    components = {name: 0.5 * (run.daily[name][:, start:end] + run.daily[name][:, start + 1:
                                                                              end + 1])
                  for name in HEADACHE_COMPONENTS}
    burden = sum(part.sum(axis=1) for part in components.values())
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = {f"share_{pathway}": np.where(
            burden > 0, sum(components[n].sum(axis=1) for n in names) / burden, np.nan)
            for pathway, names in PATHWAYS.items()}
        cervicogenic = np.where(burden > 0, components["headache_cervicogenic"].sum(axis=1)
                                / burden, np.nan)
    threshold = run.daily["pain_threshold"][:, end]
    depth = rows[:, INDEX["sensitization_depth"]]
    onset = sensitization_onset(run.daily["pain_threshold"][:, :end + 1], depth)
    peak, _ = coupling_many(diary.lumbar_pain[:, days], diary.headache[:, days],
                            max_lag=min(14, max(0, n_days - 3)))
    return {
        "headache_days": diary.headache_day[:, days].sum(axis=1) * per_month,
        "expected_headache_days": probability.sum(axis=1) * per_month,
        "mean_headache": diary.headache[:, days].mean(axis=1),
        "back_pain": diary.lumbar_pain[:, days].mean(axis=1),
        "pain_threshold": threshold,
        "sensitization": np.clip((1.0 - threshold) / depth, 0.0, 1.0),
        **shares,
        "share_cervicogenic": cervicogenic,
        "coupling": peak,
        "sensitization_onset": onset,
    }


def sensitization_onset(threshold: np.ndarray, depth: np.ndarray,
                        level: float = 0.5) -> np.ndarray:
    """The day each patient's sensitization, ``(1 - threshold) / depth``, first reaches
    ``level`` (linear between whole days; NaN if it never does).

    ``threshold`` is (patients, days + 1) on whole days from the scenario's start.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        sensitization = (1.0 - threshold) / depth[:, None]
    return first_crossing(np.arange(threshold.shape[1]), sensitization, level, falling=False)
