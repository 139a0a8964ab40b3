"""The model's value of every computable target, and whether it lies inside its interval.

:func:`evaluate_targets` runs each bundled scenario, population and trial
that some target names once (a population that a trial also uses is built
once and handed to the trial), reads every target's metric from it
(:data:`~.targets.METRICS`), converts the value to the target's unit and
compares it with the published interval. Trials are run with one replicate:
targets read the virtual population's value (every virtual patient, paired
arms), which does not depend on the replicate trials.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from lbp_headache.analysis.backends import open_backend
from lbp_headache.analysis.crossing import first_crossing
from lbp_headache.calibration.target_reader import metric_unit
from lbp_headache.calibration.targets import Target, TargetSet
from lbp_headache.calibration.units import convert
from lbp_headache.core.errors import Problem, ScenarioError
from lbp_headache.core.parameters import BY_NAME
from lbp_headache.core.suggestions import suggest
from lbp_headache.engine.batch import BatchSettings
from lbp_headache.engine.result import Result
from lbp_headache.engine.simulate import simulate
from lbp_headache.files.bundled import BUNDLED_FOLDER, KINDS
from lbp_headache.population.reader import load_population
from lbp_headache.population.runner import Population, build_population
from lbp_headache.scenario.reader import load_scenario
from lbp_headache.trial.arms import EXPECTATION, UNTREATED
from lbp_headache.trial.reader import load_trial
from lbp_headache.trial.runner import TrialResult, build_trial, decomposition, endpoint_rows

RECOVERED = 0.95  # share of the threshold's fall regained that counts as "back to normal"


@dataclass(frozen=True)
class TargetResult:
    """A target and the model's value of it (in the target's unit).

    ``model_value`` is ``None`` when nothing was computed (a not_computable
    target) or the metric has no value (a threshold that never recovers: see
    ``note``); ``inside`` is ``None`` without an interval to compare with.
    """

    target: Target
    model_value: float | None
    inside: bool | None
    note: str = ""

    @property
    def reproduced(self) -> bool:
        """Inside the interval and emergent: a by-construction match never counts."""
        return self.target.counts and self.inside is True


def bundled_path(kind: str, name: str) -> Path:
    """The file of a bundled scenario, population or trial."""
    return BUNDLED_FOLDER / KINDS[kind] / f"{name}.yaml"


def evaluate_targets(targets: TargetSet | Sequence[Target], *, workers: int | None = None,
                     scheduler: str | None = None, settings: BatchSettings = BatchSettings(),
                     progress: Callable[[str], None] | None = None) -> list[TargetResult]:
    """The model's value of every target that names what produces it.

    Parameters
    ----------
    targets
        A :class:`~.targets.TargetSet` (from :func:`~.target_reader.load_targets`)
        or its targets.
    workers, scheduler
        Where populations and trials run (as ``lbp-headache population``).
    settings
        Batch-engine settings of populations and trials.
    progress
        Called with a line before each scenario, population or trial is run.

    Returns
    -------
    list of TargetResult
        One per target, in the given order.

    Raises
    ------
    ScenarioError
        A bundled input that does not load, or a trial arm or evaluation that
        the trial does not have (naming the target's line).
    """
    items = tuple(targets.targets if isinstance(targets, TargetSet) else targets)
    where = targets.source if isinstance(targets, TargetSet) else "targets"
    runs = Runs(workers, scheduler, settings, progress or (lambda _line: None))
    check_trial_options(items, where, runs)
    try:
        return [evaluate_target(target, runs) for target in items]
    finally:
        runs.close()


class Runs:
    """Each bundled input run once, on demand.

    Subclasses change what is run by overriding the three ``load_*`` methods
    (the calibration moves parameters and shrinks populations this way:
    :mod:`.abc_model`).
    """

    def __init__(self, workers, scheduler, settings, progress):
        self.workers, self.scheduler, self.settings = workers, scheduler, settings
        self.progress = progress
        self.scenarios: dict[str, Result] = {}
        self.populations: dict[tuple, Population] = {}
        self.trials: dict[str, TrialResult] = {}
        self.trial_specs: dict[str, object] = {}
        self.backend = None

    def close(self) -> None:
        if self.backend is not None:
            self.backend.close()
            self.backend = None

    def load_scenario(self, name: str):
        return load_scenario(bundled_path("scenario", name))

    def load_population(self, name: str):
        return load_population(bundled_path("population", name))

    def load_trial(self, name: str):
        return load_trial(bundled_path("trial", name))

    def scenario(self, name: str) -> Result:
        if name not in self.scenarios:
            self.progress(f"scenario {name}")
            self.scenarios[name] = simulate(self.load_scenario(name))
        return self.scenarios[name]

    def _population_for(self, spec) -> Population:
        key = (str(Path(spec.source).resolve()), spec.size, spec.candidates, spec.source_hash)
        if key not in self.populations:
            self.progress(f"population {Path(spec.source).stem} ({spec.candidates:,} "
                          "candidates)")
            if self.backend is None:
                self.backend = open_backend(self.workers, self.scheduler)
            self.populations[key] = build_population(spec, settings=self.settings,
                                                     backend=self.backend)
        return self.populations[key]

    def population(self, name: str) -> Population:
        return self._population_for(self.load_population(name))

    def trial_spec(self, name: str):
        if name not in self.trial_specs:
            self.trial_specs[name] = self.load_trial(name)
        return self.trial_specs[name]

    def trial(self, name: str) -> TrialResult:
        if name not in self.trials:
            spec = self.trial_spec(name)
            population = self._population_for(spec.population)
            if population.spec is not spec.population:
                # The same file, size and candidates (the key): the same population, under
                # the spec object the trial was read with (build_trial checks it is that one).
                population = replace(population, spec=spec.population)
            self.progress(f"trial {name} ({population.size:,} virtual patients, "
                          f"{len(spec.arms)} arms)")
            self.trials[name] = build_trial(spec, workers=self.workers,
                                            scheduler=self.scheduler, settings=self.settings,
                                            replicates=1, population=population)
        return self.trials[name]


def check_trial_options(targets: Sequence[Target], where: str,
                        runs: Runs | None = None) -> None:
    """Check that every trial target's arm and evaluation days exist, before anything runs.

    Raises
    ------
    ScenarioError
        One line per target naming an arm or a day its trial does not have.
    """
    runs = runs or Runs(None, None, BatchSettings(), lambda _line: None)
    problems: list[Problem] = []
    for target in targets:
        produced = target.produced_by
        if produced is None or produced.kind != "trial":
            continue
        spec = runs.trial_spec(produced.name)
        options = produced.options
        arms = list(spec.arm_names)
        if produced.metric == "endpoint":
            arms += [f"{arm} - {spec.control}" for arm in spec.arm_names if arm != spec.control]
        if "arm" in options and options["arm"] not in arms:
            problems.append(_problem(target, where, "arm", (
                f"the trial '{produced.name}' has no arm '{options['arm']}'"
                + (suggest(options["arm"], arms) or f"; arms: {', '.join(arms)}"))))
        for key in ("at", "early"):
            if key in options and float(math.floor(options[key] + 1e-9)) not in spec.evaluations:
                shown = ", ".join(f"day {d:g}" for d in spec.evaluations)
                problems.append(_problem(target, where, key, (
                    f"day {math.floor(options[key] + 1e-9):g} is not one of the trial's "
                    f"evaluations ({shown})")))
    if problems:
        raise ScenarioError(problems)


def _problem(target: Target, where: str, key: str, message: str) -> Problem:
    return Problem(where, target.produced_by.line, f"{target.id}.produced_by.{key}", message)


def evaluate_target(target: Target, runs: Runs) -> TargetResult:
    produced = target.produced_by
    if produced is None:
        return TargetResult(target, None, None, "not computable")
    value = _metric(target, runs, produced.name)
    if value is not None and produced.compared_with is not None:
        other = _metric(target, runs, produced.compared_with)
        value = None if other is None else value - other
    if value is None:
        return TargetResult(target, None, target.inside(None) if target.low is not None
                            else None, _NO_VALUE.get(produced.metric, "no value"))
    value = convert(value, metric_unit(produced), target.unit)
    return TargetResult(target, value, target.inside(value))


_NO_VALUE = {"threshold_recovery_time": "never recovers in the run",
             "threshold_fall_time": "the threshold does not fall",
             "early_response_relative_risk": "no patient in one of the two groups"}


def _metric(target: Target, runs: Runs, name: str) -> float | None:
    produced = target.produced_by
    options = produced.options
    metric = produced.metric
    if metric == "parameter_value":
        return BY_NAME[name].value
    if produced.kind == "scenario":
        return _scenario_metric(metric, options, runs.scenario(name))
    if produced.kind == "population":
        return _population_metric(metric, options, runs.population(name))
    return _trial_metric(metric, options, runs.trial(name))


def _scenario_metric(metric: str, options, result: Result) -> float | None:
    time = result.time
    if metric == "state_at":
        return float(np.interp(options["at"], time, result.columns[options["state"]]))
    if metric == "back_pain_at":
        return 10.0 * float(np.interp(options["at"], time, result.columns["lumbar_pain"]))
    threshold = np.asarray(result.columns["pain_threshold"], dtype=float)
    start, lowest = float(threshold[0]), float(threshold.min())
    if start - lowest < 1e-9:
        return None
    if metric == "threshold_fall_time":
        return _first_crossing(time, threshold, start - 0.5 * (start - lowest), falling=True)
    after = options["after"]
    bottom = int(np.argmin(threshold))
    level = start - (1.0 - RECOVERED) * (start - lowest)
    later = max(bottom, int(np.searchsorted(time, after)))
    crossing = _first_crossing(time[later:], threshold[later:], level, falling=False)
    return None if crossing is None else crossing - after


def _first_crossing(time: np.ndarray, values: np.ndarray, level: float,
                    falling: bool) -> float | None:
    """The first time ``values`` reaches ``level`` (linear between output points)."""
    crossed = float(first_crossing(time, values, level, falling=falling)[0])
    return None if math.isnan(crossed) else crossed


def _population_metric(metric: str, options, population: Population) -> float | None:
    chosen = population.chosen
    measures = {name: values[chosen] for name, values in population.measures.items()}
    if metric == "mean_threshold_drop":
        return float(np.mean(1.0 - measures["pain_threshold"]))
    if metric == "flare_within_a_year":
        return 1.0 - math.exp(-population.spec.back_pain.flare_rate)
    values = measures[options["measure"]]
    if metric == "share_at_least":
        return float(np.mean(values >= options["min"]))
    if "among" in options:
        measure, low = options["among"]
        values = values[measures[measure] >= low]
    values = values[np.isfinite(values)]
    return float(np.mean(values)) if values.size else None


def _trial_metric(metric: str, options, result: TrialResult) -> float | None:
    spec = result.spec
    if metric == "trial_size":
        return float(spec.size)
    day = float(math.floor(options["at"] + 1e-9))
    if metric == "endpoint":
        return next(row["virtual_population"] for row in endpoint_rows(result)
                    if row["endpoint"] == options["endpoint"] and row["evaluation_day"] == day
                    and row["arm"] == options["arm"])
    if metric == "placebo_smd":
        treated = result.values[EXPECTATION][day][options["endpoint"]]
        untreated = result.values[UNTREATED][day][options["endpoint"]]
        pooled = math.sqrt(0.5 * (float(np.var(treated, ddof=1)) +
                                  float(np.var(untreated, ddof=1))))
        return None if pooled == 0 else float(np.mean(treated) - np.mean(untreated)) / pooled
    arm = options["arm"]
    if metric == "improvement_share":
        shares = decomposition(result)[f"back_pain_change@day{day:g}"][arm]["shares"]
        parts = [shares[part] for part in options["parts"]]
        return None if None in parts else float(sum(parts))
    early_day = float(math.floor(options["early"] + 1e-9))
    early, late = result.values[arm][early_day], result.values[arm][day]
    baseline = early["baseline_back_pain"]
    improved = (baseline > 0) & (early["back_pain_change"] <= -options["improvement"] * baseline)
    responded = late["back_pain_responders_50"] > 0.5
    if improved.all() or not improved.any():
        return None
    rest = float(np.mean(responded[~improved]))
    return None if rest == 0 else float(np.mean(responded[improved])) / rest
