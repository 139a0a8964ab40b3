"""Candidate patients: parameters and inputs drawn from a population's priors, reproducibly.

Candidates are numbered ``0, 1, ...``. Their random numbers come in fixed
blocks of :data:`BLOCK` candidates, block ``b`` from
``numpy.random.default_rng([seed, STREAM, b])``, in a fixed order (the
parameters' uniforms, then the course, the scales and levels, then the
flares), and the week-to-week fluctuation of back pain from a stream of its
own, ``[seed, FLUCTUATION_STREAM, b]``, so candidate ``i`` is the same patient
however the candidates are split into chunks, workers or backends.
"""

from __future__ import annotations

import math

import numpy as np
from lbp_headache.analysis.diary import ar1
from lbp_headache.core.parameters import INDEX, parameter_vector
from lbp_headache.engine.patient_inputs import WEEK_DAYS, PatientInputs
from lbp_headache.population.spec import PopulationSpec

BLOCK = 4096
STREAM = 0xCA4D
FLARE_HORIZON_WEEKS = 209  # flares drawn over four years (so trials of any length share them)
FLUCTUATION_STREAM = 0xF1C7
YEAR_DAYS = 365.25


def _block(spec: PopulationSpec, block: int) -> tuple[np.ndarray, PatientInputs]:
    """Parameter rows and inputs of every candidate of one block."""
    first = block * BLOCK
    count = min(BLOCK, spec.candidates - first)
    rng = np.random.default_rng([int(spec.seed), STREAM, int(block)])
    base = parameter_vector(spec.scenario.parameters)
    rows = np.tile(base, (count, 1))
    if spec.varying:
        uniforms = rng.random((count, len(spec.varying)))
        for j, (name, distribution) in enumerate(spec.varying):
            rows[:, INDEX[name]] = distribution.draw(uniforms[:, j])
    inputs_u = rng.random((count, 6))
    back = spec.back_pain
    bounds = np.cumsum(back.shares)
    course = np.minimum(np.searchsorted(bounds, inputs_u[:, 0] * bounds[-1], side="right"),
                        len(back.shares) - 1)
    lumbar_scale = back.scale.draw(inputs_u[:, 1])
    disc_scale = spec.disc_degeneration.scale.draw(inputs_u[:, 2])
    disc_level = spec.disc_degeneration.level.draw(inputs_u[:, 3])
    ergonomic_scale = spec.ergonomic_load.scale.draw(inputs_u[:, 4])
    ergonomic_level = spec.ergonomic_load.level.draw(inputs_u[:, 5])
    flares = np.zeros((count, 0))
    if back.flare_rate > 0:
        flares = np.zeros((count, FLARE_HORIZON_WEEKS))
        expected = back.flare_rate * FLARE_HORIZON_WEEKS * WEEK_DAYS / YEAR_DAYS
        numbers = rng.poisson(expected, count)
        for row, n in enumerate(numbers.tolist()):
            starts = rng.integers(0, FLARE_HORIZON_WEEKS, n)
            heights = back.flare_height.draw(rng.random(n))
            for start, height in zip(starts.tolist(), heights.tolist()):
                stop = min(start + back.flare_weeks, FLARE_HORIZON_WEEKS)
                flares[row, start:stop] = np.maximum(flares[row, start:stop], height)
    fluctuation = weekly_fluctuation(rows, np.random.default_rng(
        [int(spec.seed), FLUCTUATION_STREAM, int(block)]))
    inputs = PatientInputs(tuple(profile for _, profile in back.courses), course, lumbar_scale,
                           disc_scale, disc_level, ergonomic_scale, ergonomic_level, flares,
                           fluctuation)
    return rows, inputs


def weekly_fluctuation(rows: np.ndarray, rng: np.random.Generator,
                       weeks: int = FLARE_HORIZON_WEEKS) -> np.ndarray:
    """Each patient's week-to-week factor on their back-pain course ``(n, weeks)``.

    A stationary AR(1) process on the log scale with standard deviation
    ``lumbar_fluctuation_sd`` and weekly coefficient ``exp(-7 / tau_lumbar_fluctuation)``
    (the patient's own values), ``f_0 = sd z_0``, ``f_w = a f_(w-1) + sd sqrt(1 - a^2) z_w``;
    the factor is ``exp(f - sd^2 / 2)``, whose mean is 1. An empty ``(n, 0)`` array when no
    patient fluctuates. Its own random stream, so the other inputs do not depend on it.
    """
    sd = rows[:, INDEX["lumbar_fluctuation_sd"]]
    if not np.any(sd > 0):
        return np.zeros((rows.shape[0], 0))
    a = np.exp(-WEEK_DAYS / rows[:, INDEX["tau_lumbar_fluctuation"]])
    normals = rng.standard_normal((weeks, rows.shape[0])).T  # drawn week-major
    return np.exp(ar1(normals, sd, a) - 0.5 * (sd * sd)[:, None])


def candidates(spec: PopulationSpec, lo: int, hi: int) -> tuple[np.ndarray, PatientInputs]:
    """Parameter rows ``(hi - lo, n_parameters)`` and inputs of candidates ``lo .. hi - 1``."""
    if not 0 <= lo <= hi <= spec.candidates:
        raise ValueError(f"candidates {lo}..{hi} are outside 0..{spec.candidates}")
    parts_rows, parts_inputs = [], []
    for block in range(lo // BLOCK, math.ceil(hi / BLOCK)):
        rows, inputs = _block(spec, block)
        first = block * BLOCK
        a, b = max(lo, first) - first, min(hi, first + rows.shape[0]) - first
        parts_rows.append(rows[a:b])
        parts_inputs.append(inputs.rows(a, b))
    if not parts_rows:
        return np.empty((0, len(INDEX))), _empty(spec)
    rows = np.concatenate(parts_rows)
    first = parts_inputs[0]
    joined = PatientInputs(
        first.courses,
        np.concatenate([p.course for p in parts_inputs]),
        np.concatenate([p.lumbar_scale for p in parts_inputs]),
        np.concatenate([p.disc_scale for p in parts_inputs]),
        np.concatenate([p.disc_level for p in parts_inputs]),
        np.concatenate([p.ergonomic_scale for p in parts_inputs]),
        np.concatenate([p.ergonomic_level for p in parts_inputs]),
        np.concatenate([p.flares for p in parts_inputs]),
        np.concatenate([p.fluctuation for p in parts_inputs]),
    )
    return rows, joined


def _empty(spec: PopulationSpec) -> PatientInputs:
    empty = np.zeros(0)
    return PatientInputs(tuple(p for _, p in spec.back_pain.courses),
                         np.zeros(0, dtype=np.int64), empty, empty, empty, empty, empty,
                         np.zeros((0, 0)), np.zeros((0, 0)))


def input_columns(inputs: PatientInputs, spec: PopulationSpec) -> dict[str, np.ndarray]:
    """The inputs of each patient as table columns (course name, scales, levels, flares)."""
    names = np.array([name for name, _ in spec.back_pain.courses], dtype=object)
    flare_weeks = (inputs.flares > 0).sum(axis=1) if inputs.flares.size else np.zeros(inputs.n)
    return {
        "back_pain_course": names[np.asarray(inputs.course, dtype=np.int64)],
        "back_pain_scale": inputs.lumbar_scale,
        "disc_degeneration_scale": inputs.disc_scale,
        "disc_degeneration_level": inputs.disc_level,
        "ergonomic_load_scale": inputs.ergonomic_scale,
        "ergonomic_load_level": inputs.ergonomic_level,
        "flare_weeks": flare_weeks.astype(float),
    }


def candidates_at(spec: PopulationSpec, numbers: np.ndarray) -> tuple[np.ndarray, PatientInputs]:
    """Parameter rows and inputs of the candidates ``numbers`` (any order), each block of
    :data:`BLOCK` drawn once."""
    numbers = np.asarray(numbers, dtype=np.int64)
    rows = np.empty((numbers.size, len(INDEX)))
    pieces: dict[str, list] = {}
    order = np.argsort(numbers, kind="stable")
    sorted_numbers = numbers[order]
    blocks = sorted_numbers // BLOCK
    parts = []
    for block in np.unique(blocks).tolist():
        block_rows, block_inputs = _block(spec, block)
        local = sorted_numbers[blocks == block] - block * BLOCK
        parts.append((block_rows[local], block_inputs, local))
    if not parts:
        return rows, _empty(spec)
    rows_sorted = np.concatenate([p[0] for p in parts])
    rows[order] = rows_sorted
    for field in ("course", "lumbar_scale", "disc_scale", "disc_level", "ergonomic_scale",
                  "ergonomic_level", "flares", "fluctuation"):
        values = np.concatenate([getattr(inputs, field)[local] if getattr(inputs, field).size
                                 else np.zeros((local.size, 0)) for _, inputs, local in parts])
        out = np.empty_like(values)
        out[order] = values
        pieces[field] = out
    first = parts[0][1]
    return rows, PatientInputs(first.courses, **pieces)
