"""Build a virtual population: draw candidates, keep the plausible and eligible, select.

:func:`build_population` does the computation (in chunks on the sweep
backends, memory bounded by the chunks in flight: only each candidate's
flags and baseline measures are kept; parameters are drawn again from their
seeds when needed). :func:`run_population` also writes the output folder:

``patients.csv``
    One row per selected patient: number, varying parameters, inputs,
    baseline measures.
``candidates.csv``
    One row per candidate: plausible, included, selected, baseline measures.
``summary.json``
    The specification, the counts and acceptance rates of each stage, the
    criterion that rejects most, the selection table (before and after), the
    baseline measures of the population, the unit and meaning of every
    column, provenance, disclaimer and red flags.
``figures/``
    What the caller's ``figures`` draws (the report layer).

A population that cannot be built (inclusion accepts nobody, a selection
target that cannot be matched) is bad input: :class:`~lbp_headache.core.errors.ScenarioError`
with one line naming the file, line and key, and nothing is written.
"""

from __future__ import annotations

import csv
import io
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from lbp_headache.analysis.backends import map_bounded, open_backend
from lbp_headache.core.disclaimer import DISCLAIMER, RED_FLAGS
from lbp_headache.core.errors import Problem, ScenarioError
from lbp_headache.core.parameters import BY_NAME, INDEX
from lbp_headache.core.states import STATES
from lbp_headache.engine.batch import BatchSettings
from lbp_headache.files.json_data import to_json
from lbp_headache.files.output_folder import OutputConflict, OutputFolder
from lbp_headache.files.provenance import now, provenance
from lbp_headache.population.candidates import candidates, candidates_at, input_columns
from lbp_headache.population.patients import (
    DIARY_STATES,
    simulate_patients,
    window_measures,
    within_ranges,
)
from lbp_headache.population.selection import SelectionOutcome, select
from lbp_headache.population.spec import MEASURES, PopulationSpec

MIN_ACCEPTED = 10  # patients a population needs at the least
OUTPUT_FILES = ("patients.csv", "candidates.csv", "summary.json")


class PopulationFigures(Protocol):
    """What draws a population's figures (the report layer)."""

    def names(self, spec: PopulationSpec) -> list[str]: ...

    def draw(self, population: Population) -> list[tuple[str, bytes]]: ...


@dataclass(frozen=True)
class Population:
    """A built population: every candidate's flags and measures, and who was selected."""

    spec: PopulationSpec
    plausible: np.ndarray          # (candidates,) bool
    eligible: np.ndarray           # plausible and meeting every inclusion criterion
    measures: dict[str, np.ndarray]  # (candidates,) each
    chosen: np.ndarray             # candidate numbers of the population, in order
    selection: SelectionOutcome | None
    rejected_by: dict[str, int]    # plausible candidates each criterion rejects
    seconds: float

    @property
    def size(self) -> int:
        return int(self.chosen.size)


def record_states(spec: PopulationSpec) -> tuple[str, ...]:
    """States to record: the diary's, and every state with a plausibility bound tighter than
    its physical range."""
    physical = {s.name: (s.low, s.high) for s in STATES}
    tighter = [name for name, low, high in spec.plausibility if (low, high) != physical[name]]
    return tuple(dict.fromkeys((*DIARY_STATES, *tighter)))


def evaluate_chunk(spec: PopulationSpec, lo: int, hi: int,
                   settings: BatchSettings) -> dict[str, np.ndarray]:
    """Simulate candidates ``lo .. hi - 1`` through the base scenario: plausibility and the
    baseline measures (runs on a worker)."""
    rows, inputs = candidates(spec, lo, hi)
    run = simulate_patients(spec.scenario, rows, inputs, np.arange(lo, hi), spec.seed,
                            settings=settings, record=record_states(spec))
    from_population = within_ranges(run, spec.plausibility)
    start, end = (int(x) for x in spec.baseline)
    measures = window_measures(run, rows, start, end)
    # Copies: a measure can be a view into the chunk's recorded states, which would
    # otherwise stay alive with it (20 KB per candidate).
    return {"plausible": from_population, **{k: np.array(v, dtype=float)
                                             for k, v in measures.items()}}


def build_population(spec: PopulationSpec, *, workers: int | None = None,
                     scheduler: str | None = None, settings: BatchSettings = BatchSettings(),
                     progress: Callable[[int, int, float], None] | None = None,
                     backend=None) -> Population:
    """Draw, simulate, include and select (see the module docstring).

    Raises
    ------
    ScenarioError
        If too few candidates are plausible or eligible, or the selection
        target cannot be matched: one line naming the file, line and key.
    """
    started = time.perf_counter()
    chunks = [(lo, min(lo + spec.chunk_size, spec.candidates))
              for lo in range(0, spec.candidates, spec.chunk_size)]
    own_backend = backend is None
    backend = open_backend(workers, scheduler) if own_backend else backend
    done = [0]

    def on_result(index: int, _result) -> None:
        lo, hi = chunks[index]
        done[0] += hi - lo
        if progress:
            progress(done[0], spec.candidates, time.perf_counter() - started)

    try:
        if progress:
            progress(0, spec.candidates, 0.0)
        parts = map_bounded(backend, evaluate_chunk,
                            [(spec, lo, hi, settings) for lo, hi in chunks],
                            on_result=on_result)
    finally:
        if own_backend:
            backend.close()
    joined = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
    plausible = joined.pop("plausible").astype(bool)
    measures = joined
    eligible = plausible.copy()
    rejected_by: dict[str, int] = {}
    for criterion in spec.inclusion:
        values = measures[criterion.measure]
        meets = (values >= criterion.low) & (values <= criterion.high)
        rejected_by[criterion.describe()] = int(np.count_nonzero(plausible & ~meets))
        eligible &= meets
    _check_counts(spec, plausible, eligible, rejected_by)
    outcome = None
    pool = np.flatnonzero(eligible)
    if spec.selection is None:
        chosen = pool[:spec.size]
    else:
        outcome = select(measures[spec.selection.measure][pool], spec.selection, spec.size,
                         spec.seed)
        if outcome.message is not None or outcome.chosen.size < spec.size:
            message = outcome.message or "too few candidates selected"
            if outcome.accepted:
                needed = int(np.ceil(spec.size / outcome.accepted * spec.candidates))
                message += f"; draw about {needed:,} candidates, or lower the size"
            raise ScenarioError([Problem(spec.source, spec.lines.get("selection"),
                                         "selection", message)])
        chosen = pool[outcome.chosen]
    if chosen.size < spec.size:
        raise ScenarioError([Problem(spec.source, spec.lines.get("size"), "size", (
            f"only {pool.size:,} of {spec.candidates:,} candidates are plausible and meet the "
            f"inclusion criteria, fewer than the {spec.size:,} patients asked for: draw about "
            f"{int(np.ceil(spec.size / max(pool.size, 1) * spec.candidates)):,} candidates "
            "or lower the size"))])
    return Population(spec, plausible, eligible, measures, np.sort(chosen), outcome, rejected_by,
                      time.perf_counter() - started)


def _check_counts(spec: PopulationSpec, plausible: np.ndarray, eligible: np.ndarray,
                  rejected_by: dict[str, int]) -> None:
    n = spec.candidates
    if plausible.sum() < MIN_ACCEPTED:
        raise ScenarioError([Problem(spec.source, spec.lines.get("plausibility"),
                                     "plausibility", (
            f"only {int(plausible.sum()):,} of {n:,} candidates ({100 * plausible.mean():.2f} %) "
            "keep their states inside the plausibility bounds: widen the bounds or narrow "
            "the parameter spreads"))])
    if eligible.sum() < MIN_ACCEPTED:
        worst = max(rejected_by, key=rejected_by.get) if rejected_by else "none"
        share = rejected_by.get(worst, 0) / max(int(plausible.sum()), 1)
        line = next((c.line for c in spec.inclusion if c.describe() == worst),
                    spec.lines.get("inclusion"))
        raise ScenarioError([Problem(spec.source, line, "inclusion", (
            f"only {int(eligible.sum()):,} of {n:,} candidates ({100 * eligible.mean():.2f} %) "
            f"meet the inclusion criteria; the one that rejects most is {worst} (it rejects "
            f"{100 * share:.1f} % of the plausible candidates)"))])


# --- outputs ----------------------------------------------------------------------------------


def patient_table(population: Population) -> dict[str, np.ndarray]:
    """The selected patients: number, varying parameters, inputs, baseline measures."""
    spec = population.spec
    rows, inputs = candidates_at(spec, population.chosen)  # drawn again from their seeds
    table: dict[str, np.ndarray] = {"patient": population.chosen.astype(np.int64)}
    for name in spec.varying_names:
        table[name] = rows[:, INDEX[name]]
    table.update(input_columns(inputs, spec))
    for name, values in population.measures.items():
        table[name] = values[population.chosen]
    return table


def patient_parameters(population: Population) -> np.ndarray:
    """Full parameter rows of the selected patients (drawn again from their seeds)."""
    return candidates_at(population.spec, population.chosen)[0]


def column_info(spec: PopulationSpec) -> dict[str, dict[str, str]]:
    """Unit and meaning of every column of the patient and candidate tables."""
    info = {"patient": {"unit": "", "description": "candidate number (keys the patient's "
                        "random numbers)"}}
    for name in spec.varying_names:
        info[name] = {"unit": BY_NAME[name].unit, "description": BY_NAME[name].meaning}
    info.update({
        "back_pain_course": {"unit": "", "description": "the back-pain course followed"},
        "back_pain_scale": {"unit": "1", "description": "factor on the course"},
        "disc_degeneration_scale": {"unit": "1", "description": "factor on the scenario's disc "
                                    "degeneration"},
        "disc_degeneration_level": {"unit": "1", "description": "added disc degeneration"},
        "ergonomic_load_scale": {"unit": "1", "description": "factor on the scenario's load"},
        "ergonomic_load_level": {"unit": "1", "description": "added ergonomic load"},
        "flare_weeks": {"unit": "week", "description": "weeks with a back-pain flare (four "
                        "years drawn)"},
        "plausible": {"unit": "", "description": "1 if the states stayed in the plausibility "
                      "bounds"},
        "included": {"unit": "", "description": "1 if plausible and meeting every inclusion "
                     "criterion"},
        "selected": {"unit": "", "description": "1 if in the population"},
    })
    for name, (unit, meaning) in MEASURES.items():
        info[name] = {"unit": "day" if unit == "time" else unit,
                      "description": f"{meaning}, baseline window"}
    return info


def table_csv(table: dict[str, np.ndarray]) -> str:
    """A table of equal-length columns as CSV (floats in shortest exact form, NaN empty)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    names = list(table)
    writer.writerow(names)
    columns = [np.asarray(table[name]).tolist() for name in names]
    for row in zip(*columns):
        writer.writerow(["" if isinstance(v, float) and v != v else
                         (repr(v) if isinstance(v, float) else v) for v in row])
    return buffer.getvalue()


def distribution_summary(values: np.ndarray) -> dict[str, float | None]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return {"mean": None, "sd": None, "p10": None, "median": None, "p90": None}
    return {"mean": float(finite.mean()), "sd": float(finite.std(ddof=1)) if finite.size > 1
            else None, "p10": float(np.percentile(finite, 10)),
            "median": float(np.median(finite)), "p90": float(np.percentile(finite, 90))}


def describe(spec: PopulationSpec) -> dict:
    """The specification as JSON-ready data."""
    return {
        "name": spec.name, "description": spec.description, "source": spec.source,
        "source_hash": spec.source_hash, "scenario": spec.scenario.source,
        "size": spec.size, "candidates": spec.candidates, "seed": spec.seed,
        "varying": {name: dist.describe() for name, dist in spec.varying},
        "back_pain": {"courses": dict(zip((n for n, _ in spec.back_pain.courses),
                                          spec.back_pain.shares)),
                      "scale": spec.back_pain.scale.describe(),
                      "flares_per_year": spec.back_pain.flare_rate,
                      "flare_weeks": spec.back_pain.flare_weeks,
                      "flare_height": spec.back_pain.flare_height.describe()},
        "disc_degeneration": {"scale": spec.disc_degeneration.scale.describe(),
                              "level": spec.disc_degeneration.level.describe()},
        "ergonomic_load": {"scale": spec.ergonomic_load.scale.describe(),
                           "level": spec.ergonomic_load.level.describe()},
        "plausibility": {name: [low, high] for name, low, high in spec.plausibility},
        "baseline_days": list(spec.baseline),
        "inclusion": [c.describe() for c in spec.inclusion],
        "selection": None if spec.selection is None else {
            "measure": spec.selection.measure, "method": spec.selection.method,
            "target": None if spec.selection.target is None else
            spec.selection.target.describe(),
            "categories": [{"low": lo, "high": hi, "share": share}
                           for (lo, hi), share in spec.selection.categories]},
    }


def summary(population: Population, settings: BatchSettings, started) -> dict:
    spec = population.spec
    n = spec.candidates
    plausible, eligible = int(population.plausible.sum()), int(population.eligible.sum())
    worst = max(population.rejected_by, key=population.rejected_by.get) \
        if population.rejected_by else None
    selection = population.selection
    return {
        "population": describe(spec),
        "counts": {
            "candidates": n, "plausible": plausible, "included": eligible,
            "selected": population.size,
            "plausible_rate": plausible / n, "inclusion_rate": eligible / n,
            "selection_rate": population.size / max(eligible, 1),
            "rejected_by": population.rejected_by, "rejects_most": worst,
        },
        "selection": None if selection is None else {
            "measure": spec.selection.measure, "method": spec.selection.method,
            "distance": "Kolmogorov-Smirnov" if spec.selection.method == "prevalence"
            else "largest share difference",
            "before": selection.distance_before, "after": selection.distance_after,
            "accepted": selection.accepted, "table": list(selection.rows)},
        "baseline": {name: distribution_summary(values[population.chosen])
                     for name, values in population.measures.items()},
        "columns": column_info(spec),
        "seconds": round(population.seconds, 3),
        "provenance": provenance(started=started, inputs={
            spec.source: spec.source_hash, spec.scenario.source: spec.scenario.source_hash},
            settings={"engine": settings.as_dict(), "seed": spec.seed}),
        "disclaimer": DISCLAIMER,
        "red_flags": list(RED_FLAGS),
    }


def run_population(spec: PopulationSpec, folder: str | os.PathLike, *,
                   workers: int | None = None, scheduler: str | None = None,
                   settings: BatchSettings = BatchSettings(),
                   progress: Callable[[int, int, float], None] | None = None,
                   figures: PopulationFigures | None = None) -> tuple[Population, list[Path]]:
    """Build the population and write its folder (see the module docstring).

    Raises
    ------
    ScenarioError
        A population that cannot be built (nothing is written).
    OutputConflict
        A file to be replaced was not written by the tool.
    """
    started = now()
    names = [f"figures/{name}" for name in (figures.names(spec) if figures else [])]
    # The folder is locked for the whole run; a refusal leaves nothing behind.
    with OutputFolder(folder) as out:
        conflicts = out.conflicts([*OUTPUT_FILES, *names])
        if conflicts:
            raise OutputConflict("\n".join(conflicts))
        population = build_population(spec, workers=workers, scheduler=scheduler,
                                      settings=settings, progress=progress)
        table = patient_table(population)
        selected = np.zeros(spec.candidates, dtype=bool)
        selected[population.chosen] = True
        candidate_table = {"patient": np.arange(spec.candidates),
                           "plausible": population.plausible.astype(np.int64),
                           "included": population.eligible.astype(np.int64),
                           "selected": selected.astype(np.int64), **population.measures}
        document = summary(population, settings, started)
        pictures = figures.draw(population) if figures else []
        files = [out.write_text("patients.csv", table_csv(table)),
                 out.write_text("candidates.csv", table_csv(candidate_table)),
                 out.write_text("summary.json", to_json(document))]
        files += [out.write_bytes(f"figures/{name}", png) for name, png in pictures]
        out.remove_stale("figures/", names)
    return population, files
