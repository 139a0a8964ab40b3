"""Run a virtual trial: the population, every arm on every patient, replicate trials.

:func:`build_trial` computes (chunks of patients on the sweep backends; the
weekly diaries of every patient in every arm are kept, at most
:func:`lbp_headache.trial.reader.kept_bytes`: 7.5 KB per patient for four
one-year arms); :func:`run_trial` also writes the folder:

``arms/<arm>.csv``
    One row per virtual patient: baseline, dropout week, and every endpoint
    at every evaluation (intention to treat, last observation carried forward).
``endpoints.csv``
    Every endpoint at every evaluation, per arm and as the difference from
    the control: the virtual population's value (all patients, paired), the
    first replicate trial with its 95 % interval, the median and 2.5-97.5 %
    range over the replicates, the power, and the published figure beside it.
``weekly.csv``
    Each arm's weekly means (headache days per 28 days, back pain, intensity)
    over the virtual population, with the 2.5-97.5 % range of a trial's means.
``replicates.csv``
    Every replicate's differences (estimate, interval, detected).
``summary.json``
    All of the above, the decomposition of each arm's change into natural
    course, regression to the mean, expectation and specific effect, the
    population's counts, provenance, disclaimer and red flags.
``figures/``
    What the caller's ``figures`` draws (the report layer).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from lbp_headache.analysis.backends import map_bounded, open_backend
from lbp_headache.core.disclaimer import DISCLAIMER, RED_FLAGS
from lbp_headache.engine.batch import BatchSettings
from lbp_headache.files.json_data import to_json
from lbp_headache.files.output_folder import OutputConflict, OutputFolder
from lbp_headache.files.provenance import now, provenance
from lbp_headache.population.runner import Population, build_population, table_csv
from lbp_headache.population.runner import describe as describe_population
from lbp_headache.trial.arms import EXPECTATION, UNTREATED, mechanism_groups
from lbp_headache.trial.arms import weeks as trial_weeks
from lbp_headache.trial.endpoints import endpoint_values, natural_change, observed
from lbp_headache.trial.replicates import draw_members, percentiles, replicate
from lbp_headache.trial.spec import ENDPOINTS, TrialSpec
from lbp_headache.trial.weekly import BASELINE_WEEKS, weekly_chunk

OUTPUT_FILES = ("endpoints.csv", "weekly.csv", "replicates.csv", "summary.json")
WEEKLY_SERIES = {"headache_days": 4.0, "back_pain": 1.0, "intensity": 1.0}  # factor to report


class TrialFigures(Protocol):
    """What draws a trial's figures (the report layer)."""

    def names(self, spec: TrialSpec) -> list[str]: ...

    def draw(self, result: TrialResult) -> list[tuple[str, bytes]]: ...


@dataclass(frozen=True)
class TrialResult:
    """Everything a trial computed."""

    spec: TrialSpec
    population: Population
    patients: np.ndarray                          # the analysed patients' candidate numbers
    weekly: dict[str, dict[str, np.ndarray]]     # arm -> series -> (n, 4 + weeks)
    values: dict[str, dict[float, dict[str, np.ndarray]]]  # arm -> day -> endpoint -> (n,)
    complete: dict[str, dict[float, dict[str, np.ndarray]]]  # the same without any dropout
    natural: dict[float, dict[str, np.ndarray]]   # day -> endpoint -> (n,) (untreated model)
    replicates: list[dict]
    # arm -> series -> (3, 4 + weeks): p2.5, p50, p97.5 of a trial's arm means, baseline first
    weekly_bands: dict[str, dict[str, np.ndarray]]
    failed: int
    seconds: float


def build_trial(spec: TrialSpec, *, workers: int | None = None, scheduler: str | None = None,
                settings: BatchSettings = BatchSettings(), replicates: int | None = None,
                progress: Callable[[int, int, float], None] | None = None,
                population: Population | None = None) -> TrialResult:
    """Compute the trial (see the module docstring).

    ``population``: the trial's population already built (by :func:`build_population`
    of ``spec.population`` with the same ``settings``), to run other arms on it without
    building it again; the result is the same as without it.
    """
    started = time.perf_counter()
    n_replicates = spec.replicates if replicates is None else replicates
    if population is not None and population.spec is not spec.population:
        raise ValueError("the population given was not built from the trial's population")
    backend = open_backend(workers, scheduler)
    try:
        if population is None:
            population = build_population(spec.population, backend=backend, settings=settings)
        patients = population.chosen
        groups = mechanism_groups(spec)
        size = spec.population.chunk_size
        spans = [(lo, min(lo + size, patients.size)) for lo in range(0, patients.size, size)]
        jobs = [(spec, groups, patients[lo:hi], {a.name: a.dropout_rate for a in spec.arms},
                 settings) for lo, hi in spans]
        total = len(jobs)
        done = [0]
        store = _WeeklyStore(spans)

        def on_result(index, part):
            store.add(index, part)
            done[0] += 1
            if progress:
                progress(done[0], total, time.perf_counter() - started)

        if progress:
            progress(0, total, 0.0)
        map_bounded(backend, weekly_chunk, jobs, on_result=on_result, keep=False)
    finally:
        backend.close()
    weekly = store.weekly
    ok = np.ones(patients.size, dtype=bool)
    for series in weekly.values():
        ok &= series["status"] == 0
    if not ok.all():
        weekly = _shared_map(weekly, lambda array: array[ok])
    observed_series = {arm: observed(series) for arm, series in weekly.items()}
    values = {arm: {day: endpoint_values(observed_series[arm], day) for day in spec.evaluations}
              for arm in weekly}
    complete = {arm: {day: endpoint_values(weekly[arm], day)
                      for day in spec.evaluations} for arm in spec.arm_names}
    natural = {day: natural_change(weekly[UNTREATED], day) for day in spec.evaluations}
    arms = spec.arm_names
    weights = [arm.allocation for arm in spec.arms]
    trial_values = {arm: values[arm] for arm in arms}
    trial_size = min(spec.size, int(ok.sum()))
    results, bands = [], {arm: {s: [] for s in WEEKLY_SERIES} for arm in arms}
    for index in range(n_replicates):
        members = draw_members(int(ok.sum()), trial_size, weights, spec.seed, index, arms)
        results.append(replicate(trial_values, members, spec.control))
        for arm in arms:
            for series, factor in WEEKLY_SERIES.items():
                chosen = observed_series[arm][series][members[arm]]
                bands[arm][series].append(factor * chosen.astype(float).mean(axis=0))
    weekly_bands = {arm: {s: np.percentile(np.array(v), [2.5, 50.0, 97.5], axis=0)
                          for s, v in per.items()} for arm, per in bands.items()}
    return TrialResult(spec, population, patients[ok], weekly, values, complete, natural,
                       results, weekly_bands, int((~ok).sum()), time.perf_counter() - started)


class _WeeklyStore:
    """The weekly series of every patient, filled chunk by chunk as the chunks finish.

    An array that several arms of a chunk share (:func:`.weekly.weekly_chunk`) is
    stored once, and the arms share the stored array.
    """

    def __init__(self, spans: list[tuple[int, int]]):
        self.spans = spans
        self.n = spans[-1][1] if spans else 0
        self.weekly: dict[str, dict[str, np.ndarray]] = {}
        self._layout: dict[tuple[str, str], tuple[str, str]] | None = None

    def add(self, index: int, part: dict[str, dict[str, np.ndarray]]) -> None:
        lo, hi = self.spans[index]
        if self._layout is None:
            self._layout, first_holder = {}, {}
            for arm, series in part.items():
                entry = self.weekly.setdefault(arm, {})
                for name, value in series.items():
                    holder = first_holder.setdefault(id(value), (arm, name))
                    self._layout[(arm, name)] = holder
                    entry[name] = (np.empty((self.n,) + value.shape[1:], dtype=value.dtype)
                                   if holder == (arm, name) else self.weekly[holder[0]][holder[1]])
        for (arm, name), holder in self._layout.items():
            if holder == (arm, name):
                self.weekly[arm][name][lo:hi] = part[arm][name]


def _shared_map(weekly: dict[str, dict[str, np.ndarray]], function: Callable
                ) -> dict[str, dict[str, np.ndarray]]:
    """``function`` of every array of ``weekly``, applied once per distinct array."""
    done: dict[int, np.ndarray] = {}

    def once(value: np.ndarray) -> np.ndarray:
        if id(value) not in done:
            done[id(value)] = function(value)
        return done[id(value)]

    return {arm: {name: once(value) for name, value in series.items()}
            for arm, series in weekly.items()}


# --- summaries --------------------------------------------------------------------------------


def endpoint_rows(result: TrialResult) -> list[dict]:
    """One row per (endpoint, evaluation, arm or difference): see ``endpoints.csv``."""
    spec = result.spec
    rows = []
    control = spec.control
    for day in spec.evaluations:
        for endpoint in ENDPOINTS:
            key = (endpoint, day)
            for arm in spec.arm_names:
                population_value = float(np.mean(result.values[arm][day][endpoint]))
                first = result.replicates[0][key]["arms"][arm] if result.replicates else None
                spread = percentiles([r[key]["arms"][arm]["value"] for r in result.replicates
                                      if r[key]["arms"][arm] is not None])
                rows.append(_row(endpoint, day, arm, population_value, first, spread, None,
                                 _published(spec, endpoint, day, arm)))
                if arm == control:
                    continue
                paired = float(np.mean(result.values[arm][day][endpoint]
                                       - result.values[control][day][endpoint]))
                first = result.replicates[0][key]["differences"].get(arm) \
                    if result.replicates else None
                diffs = [r[key]["differences"][arm] for r in result.replicates
                         if arm in r[key]["differences"]]
                power = (sum(d["detected"] for d in diffs) / len(diffs)) if diffs else None
                rows.append(_row(endpoint, day, f"{arm} - {control}", paired, first,
                                 percentiles([d["value"] for d in diffs]), power,
                                 _published(spec, endpoint, day, None, arm)))
    return rows


def _published(spec: TrialSpec, endpoint: str, day: float, arm: str | None,
               difference_of: str | None = None):
    for comparison in spec.comparisons:
        if comparison.endpoint != endpoint or comparison.evaluation != day:
            continue
        if arm is not None and comparison.arm == arm:
            return comparison
        if arm is None and comparison.arm is None and difference_of is not None:
            return comparison
    return None


def _row(endpoint, day, arm, population_value, first, spread, power, published) -> dict:
    unit = ENDPOINTS[endpoint][1]
    return {
        "endpoint": endpoint, "evaluation_day": day, "arm": arm, "unit": unit,
        "virtual_population": population_value,
        "first_trial": None if first is None else first["value"],
        "first_trial_low": None if first is None else first["low"],
        "first_trial_high": None if first is None else first["high"],
        "replicates_median": spread["median"], "replicates_p2_5": spread["p2_5"],
        "replicates_p97_5": spread["p97_5"], "power": power,
        "published": None if published is None else published.value,
        "published_low": None if published is None else published.low,
        "published_high": None if published is None else published.high,
        "citation": "" if published is None else published.citation,
    }


def decomposition(result: TrialResult) -> dict:
    """Each arm's mean change split into its parts (all virtual patients, paired).

    ``natural_course``: the model's own change without treatment (no noise, no
    expectation); ``regression_to_the_mean``: what the untreated diaries add
    (patients entered on a noisy baseline); ``expectation``: a placebo over the
    longest treatment window against no treatment (0 for an open-label arm);
    ``dropout``: what carrying the last observation forward changes;
    ``specific``: the rest, the treatment's own effect (0 for a placebo arm).
    """
    out: dict = {}
    for day in result.spec.evaluations:
        for endpoint in ("headache_days_change", "back_pain_change"):
            natural = float(np.mean(result.natural[day][endpoint]))
            untreated = float(np.mean(result.values[UNTREATED][day][endpoint]))
            expectation = float(np.mean(result.values[EXPECTATION][day][endpoint]))
            per_arm = {}
            for arm in result.spec.arms:
                change = float(np.mean(result.values[arm.name][day][endpoint]))
                complete = float(np.mean(result.complete[arm.name][day][endpoint]))
                blinded = result.spec.blinded and not arm.open_label
                parts = {"natural_course": natural, "regression_to_the_mean": untreated - natural,
                         "expectation": (expectation - untreated) if blinded else 0.0,
                         "dropout": change - complete}
                # The rest: change minus the parts above, which is the complete arm against
                # its comparator (written so that a placebo arm's is exactly 0).
                parts["specific"] = complete - (expectation if blinded else untreated)
                shares = {k: (v / change if change != 0 else None) for k, v in parts.items()}
                per_arm[arm.name] = {"change": change, "parts": parts, "shares": shares}
            out[f"{endpoint}@day{day:g}"] = per_arm
    return out


def weekly_rows(result: TrialResult) -> list[dict]:
    rows = []
    for arm in result.spec.arm_names:
        series = observed(result.weekly[arm])
        for week in range(trial_weeks(result.spec)):
            row = {"arm": arm, "week": week + 1}
            for name, factor in WEEKLY_SERIES.items():
                band = result.weekly_bands[arm][name]
                row[f"{name}_mean"] = float(
                    factor * series[name][:, BASELINE_WEEKS + week].astype(float).mean())
                row[f"{name}_p2_5"] = float(band[0, BASELINE_WEEKS + week])
                row[f"{name}_p97_5"] = float(band[2, BASELINE_WEEKS + week])
            rows.append(row)
    return rows


def replicate_rows(result: TrialResult) -> list[dict]:
    rows = []
    for index, entry in enumerate(result.replicates):
        for (endpoint, day), content in entry.items():
            for arm, estimate in content["differences"].items():
                rows.append({"replicate": index, "endpoint": endpoint, "evaluation_day": day,
                             "arm": f"{arm} - {result.spec.control}",
                             "value": estimate["value"], "low": estimate["low"],
                             "high": estimate["high"], "detected": int(estimate["detected"])})
    return rows


def rows_table(rows: list[dict]) -> dict[str, np.ndarray]:
    if not rows:
        return {}
    return {key: np.array([row[key] if row[key] is not None else np.nan for row in rows],
                          dtype=object if isinstance(rows[0][key], str) else float)
            for key in rows[0]}


def arm_table(result: TrialResult, arm: str) -> dict[str, np.ndarray]:
    """One row per virtual patient of ``arm``: baseline, dropout week, every endpoint."""
    series = result.weekly[arm]
    table = {"patient": result.patients.astype(np.int64),
             "dropout_week": series["dropout_week"].astype(np.int64)}
    first_day = result.spec.evaluations[0]
    table["baseline_headache_days"] = result.values[arm][first_day]["baseline_headache_days"]
    table["baseline_back_pain"] = result.values[arm][first_day]["baseline_back_pain"]
    for day in result.spec.evaluations:
        for endpoint in ENDPOINTS:
            table[f"{endpoint}_day{day:g}"] = result.values[arm][day][endpoint]
    return table


def describe(spec: TrialSpec) -> dict:
    return {
        "name": spec.name, "description": spec.description, "source": spec.source,
        "source_hash": spec.source_hash, "population": describe_population(spec.population),
        "size": spec.size, "randomization_day": spec.randomization,
        "arms": {arm.name: {"treatments": [t.display_name for t in arm.treatments],
                            "dropout_per_week": arm.dropout_rate * 7.0,
                            "allocation": arm.allocation, "open_label": arm.open_label}
                 for arm in spec.arms},
        "control": spec.control, "blinded": spec.blinded, "duration_days": spec.duration,
        "evaluation_days": list(spec.evaluations), "replicates": spec.replicates,
        "seed": spec.seed,
        "analysis": "intention to treat; last observation carried forward after dropout",
    }


def summary(result: TrialResult, settings: BatchSettings, started, replicates: int) -> dict:
    spec = result.spec
    population = result.population
    return {
        "trial": describe(spec),
        "replicates_run": replicates,
        "virtual_patients": population.size,
        "failed_patients": result.failed,
        "population_counts": {"candidates": spec.population.candidates,
                              "plausible": int(population.plausible.sum()),
                              "included": int(population.eligible.sum())},
        "endpoints": endpoint_rows(result),
        "decomposition": decomposition(result),
        "endpoint_meanings": {k: {"unit": u, "description": d} for k, (_, u, d)
                              in ENDPOINTS.items()},
        "seconds": round(result.seconds, 3),
        "provenance": provenance(started=started, inputs={
            spec.source: spec.source_hash, spec.population.source: spec.population.source_hash,
            spec.population.scenario.source: spec.population.scenario.source_hash},
            settings={"engine": settings.as_dict(), "seed": spec.seed,
                      "population_seed": spec.population.seed}),
        "disclaimer": DISCLAIMER,
        "red_flags": list(RED_FLAGS),
    }


def run_trial(spec: TrialSpec, folder: str | os.PathLike, *, workers: int | None = None,
              scheduler: str | None = None, replicates: int | None = None,
              settings: BatchSettings = BatchSettings(),
              progress: Callable[[int, int, float], None] | None = None,
              figures: TrialFigures | None = None) -> tuple[TrialResult, list[Path]]:
    """Run the trial and write its folder (see the module docstring)."""
    started = now()
    names = [f"figures/{name}" for name in (figures.names(spec) if figures else [])]
    arm_files = [f"arms/{arm}.csv" for arm in spec.arm_names]
    with OutputFolder(folder) as out:
        conflicts = out.conflicts([*OUTPUT_FILES, *arm_files, *names])
        if conflicts:
            raise OutputConflict("\n".join(conflicts))
        result = build_trial(spec, workers=workers, scheduler=scheduler, settings=settings,
                             replicates=replicates, progress=progress)
        n_replicates = len(result.replicates)
        document = summary(result, settings, started, n_replicates)
        pictures = figures.draw(result) if figures else []
        files = [out.write_text(f"arms/{arm}.csv", table_csv(arm_table(result, arm)))
                 for arm in spec.arm_names]
        files += [out.write_text("endpoints.csv", table_csv(rows_table(document["endpoints"]))),
                  out.write_text("weekly.csv", table_csv(rows_table(weekly_rows(result)))),
                  out.write_text("replicates.csv", table_csv(rows_table(replicate_rows(result)))),
                  out.write_text("summary.json", to_json(document))]
        files += [out.write_bytes(f"figures/{name}", png) for name, png in pictures]
        out.remove_stale("figures/", names)
        out.remove_stale("arms/", arm_files)
    return result, files
