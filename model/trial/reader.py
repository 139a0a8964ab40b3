"""Trial files: YAML in, a validated :class:`~.spec.TrialSpec` out.

The schema is documented key by key in ``scenarios/trials/README.md``; files
are read as strictly as every other input (one ``FILE:LINE: key: message``
per problem, nothing guessed).
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import replace
from pathlib import Path

from lbp_headache.core.errors import ScenarioError
from lbp_headache.files.input_files import YAML_SUFFIXES, InputFileError, PathPolicy
from lbp_headache.files.problem_collector import (
    MAX_DESCRIPTION_CHARS,
    MAX_TEXT_CHARS,
    ProblemCollector,
    choice,
    in_reading_order,
)
from lbp_headache.files.yaml_source import Mark, YamlList, YamlMap, load_yaml, parse_yaml, read_text
from lbp_headache.population import reader as population_reader
from lbp_headache.population.spec import PopulationSpec
from lbp_headache.scenario.treatment_reader import parse_treatments
from lbp_headache.trial.arms import whole_weeks
from lbp_headache.trial.spec import ENDPOINTS, Arm, Comparison, TrialSpec

TOP_KEYS = ("name", "description", "population", "virtual_patients", "size", "arms", "control",
            "blinded", "duration", "evaluations", "replicates", "seed", "compare_to")
ARM_KEYS = ("treatments", "dropout", "allocation")
COMPARE_KEYS = ("endpoint", "evaluation", "arm", "value", "low", "high", "citation")
DIFFERENCE = "difference"
MAX_ARMS = 8
MAX_REPLICATES = 100_000
MAX_TRIAL_DAYS = 3 * 365.25  # baseline + trial: inside the four years of drawn back-pain flares
MAX_KEPT_BYTES = 8 * 2**30  # the weekly diaries and endpoints a trial keeps in memory


def kept_bytes(patients: int, arms: int, weeks: int, evaluations: int) -> int:
    """An upper bound on the memory :func:`~lbp_headache.trial.runner.build_trial` keeps.

    Per patient: the model's two weekly series and three diary series per arm
    plus the untreated group's two counterfactual diaries (float32), their
    copies with the last observation carried forward, and eight float64
    endpoints per arm and evaluation, twice (with and without dropout):
    ``W (32 A + 56) + 128 E (A + 1)`` bytes for ``A`` arms, ``W`` weeks with the
    4 baseline weeks, ``E`` evaluations. (The 100,000-patient benchmark of 4
    arms, 56 weeks and 2 evaluations keeps 7.5 KB per patient; this bound says
    11.6 KB: arms that share an engine run share its arrays.)
    """
    return patients * (weeks * (32 * arms + 56) + 128 * evaluations * (arms + 1))


def load_trial(path: str | os.PathLike, *, policy: PathPolicy | None = None) -> TrialSpec:
    """Load and validate a trial file (and the population file it names).

    Raises
    ------
    ScenarioError
        Every problem found, one per line.
    """
    display = os.fspath(path)
    text, data = read_text(display, what="trial file")
    doc = parse_yaml(text, display)
    problems = ProblemCollector()
    policy = policy or PathPolicy.for_file(display)
    values = _build(doc, display, problems, policy)
    if problems.items or values is None:
        own = [p for p in problems.items if p.file == display]
        others = [p for p in problems.items if p.file != display]
        raise ScenarioError(in_reading_order(own) + in_reading_order(others))
    return TrialSpec(**values, source=display, source_hash=hashlib.sha256(data).hexdigest())


def _population(doc: YamlMap, source: str, problems: ProblemCollector,
                policy: PathPolicy) -> PopulationSpec | None:
    if "population" not in doc:
        problems.add(Mark(doc.mark.file, None), "population",
                     "missing required key 'population' (a population file, e.g. "
                     "'population: ../populations/chronic_low_back_pain.yaml')")
        return None
    mark = doc.value_marks["population"]
    value = doc["population"]
    if not isinstance(value, str) or not value.strip():
        problems.add(mark, "population", "expected the path of a population file, relative "
                     "to this file")
        return None
    try:
        target = policy.resolve(value, source, suffixes=YAML_SUFFIXES, what="population file")
    except InputFileError as exc:
        problems.add(mark, "population", exc.message)
        return None
    try:
        document, data = load_yaml(target, what="population file")
    except ScenarioError as exc:
        for p in exc.problems:
            problems.items.append(p if p.line is not None or p.file != target else
                                  replace(p, file=mark.file, line=mark.line, key="population",
                                          message=f"population file '{target}': {p.message}"))
        return None
    inner = ProblemCollector()
    values = population_reader.build(document, target, inner, policy)
    problems.items.extend(inner.items)
    if values is None or inner.items:
        return None
    return PopulationSpec(**values, source=target, source_hash=hashlib.sha256(data).hexdigest())


def _build(doc: YamlMap, source: str, problems: ProblemCollector,
           policy: PathPolicy) -> dict | None:
    problems.keys(doc, TOP_KEYS, "")
    values: dict = {"name": Path(source).stem, "description": ""}
    for key in ("name", "description"):
        if key in doc:
            limit = MAX_DESCRIPTION_CHARS if key == "description" else MAX_TEXT_CHARS
            text = problems.text(doc.text_of(key), doc.value_marks[key], key, limit)
            values[key] = text if text is not None else ""
    population = _population(doc, source, problems, policy)
    if population is not None and "virtual_patients" in doc:
        count = problems.whole(doc["virtual_patients"], doc.value_marks["virtual_patients"],
                               "virtual_patients", 10, population_reader.MAX_SIZE)
        if count is not None:
            candidates = max(population.candidates, count)
            if candidates > population_reader.MAX_CANDIDATES:
                problems.add(doc.value_marks["virtual_patients"], "virtual_patients",
                             f"{count:,} virtual patients need more candidates than the limit "
                             f"of {population_reader.MAX_CANDIDATES:,}")
            else:
                population = replace(population, size=count, candidates=max(
                    candidates, population.candidates * count // max(population.size, 1)))
    values["population"] = population
    size = None
    if "size" not in doc:
        problems.add(Mark(doc.mark.file, None), "size", "missing required key 'size' (patients "
                     "randomized in one trial, e.g. 'size: 600')")
    else:
        size = problems.whole(doc["size"], doc.value_marks["size"], "size", 4, 1_000_000)
        if size is not None and population is not None and size > population.size:
            problems.add(doc.value_marks["size"], "size",
                         f"a trial of {size:,} patients cannot be drawn from a population of "
                         f"{population.size:,}: raise 'virtual_patients' (or the population's "
                         "size) to several times the trial size")
            size = None
    values["size"] = size
    duration = None
    if "duration" not in doc:
        problems.add(Mark(doc.mark.file, None), "duration",
                     "missing required key 'duration' (from randomization to the end of "
                     "follow-up, e.g. 'duration: 26 weeks')")
    else:
        duration = problems.time(doc["duration"], doc.value_marks["duration"], "duration",
                                 positive=True)
        if duration is not None and population is not None and \
                population.baseline[1] + duration > MAX_TRIAL_DAYS:
            problems.add(doc.value_marks["duration"], "duration",
                         f"randomization (day {population.baseline[1]:g}) plus {duration:g} "
                         f"days passes the limit of {MAX_TRIAL_DAYS:g} days (three years from the "
                         "population's day 0)")
            duration = None
        if duration is not None and duration < 7.0:
            problems.add(doc.value_marks["duration"], "duration",
                         "a trial lasts at least one week")
            duration = None
    values["duration"] = duration
    arms = _arms(doc, duration, population, problems)
    values["arms"] = arms
    names = tuple(arm.name for arm in arms)
    control = None
    if "control" not in doc:
        problems.add(Mark(doc.mark.file, None), "control",
                     "missing required key 'control' (the arm the others are compared with)")
    elif names:
        control = choice(problems, doc["control"], names, doc.value_marks["control"], "control",
                         "arm")
    values["control"] = control
    values["blinded"] = True
    if "blinded" in doc:
        if not isinstance(doc["blinded"], bool):
            problems.add(doc.value_marks["blinded"], "blinded", "expected true or false")
        else:
            values["blinded"] = doc["blinded"]
    values["evaluations"] = _evaluations(doc, duration, problems)
    values["replicates"] = 200
    if "replicates" in doc:
        values["replicates"] = problems.whole(doc["replicates"], doc.value_marks["replicates"],
                                              "replicates", 1, MAX_REPLICATES) or 200
    values["seed"] = 0
    if "seed" in doc:
        values["seed"] = problems.whole(doc["seed"], doc.value_marks["seed"], "seed", 0,
                                        2**63 - 1) or 0
    values["comparisons"] = _comparisons(doc, names, values["evaluations"], duration, problems)
    if population is not None and arms and duration is not None and values["evaluations"]:
        weeks = 4 + whole_weeks(duration)  # with the 4 baseline weeks
        needed = kept_bytes(population.size, len(arms), weeks, len(values["evaluations"]))
        if needed > MAX_KEPT_BYTES:
            problems.add(doc.value_marks.get("virtual_patients", doc.mark), "virtual_patients",
                         f"{population.size:,} virtual patients x {len(arms)} arms x {weeks} "
                         f"weeks would keep up to {needed / 2**30:.1f} GiB of weekly diaries "
                         f"in memory, more than the limit of {MAX_KEPT_BYTES / 2**30:.0f} GiB: "
                         "use fewer virtual patients, a shorter trial, or split the arms over "
                         "two trials")
    if problems.items or None in (population, size, duration, control) or not arms:
        return None
    return values


def _arms(doc: YamlMap, duration: float | None, population: PopulationSpec | None,
          problems: ProblemCollector) -> tuple[Arm, ...]:
    if "arms" not in doc:
        problems.add(Mark(doc.mark.file, None), "arms",
                     "missing required key 'arms' (e.g. 'arms: {placebo: {treatments: "
                     "[{type: placebo, duration: 12 weeks}]}}')")
        return ()
    table = problems.mapping(doc["arms"], doc.value_marks["arms"], "arms",
                             "'arms: {usual_care: {treatments: [{type: usual_care}]}}'")
    if table is None:
        return ()
    if not 2 <= len(table) <= MAX_ARMS:
        problems.add(doc.value_marks["arms"], "arms",
                     f"{len(table)} arms; a trial has 2 to {MAX_ARMS}")
        return ()
    parameters = dict(population.scenario.parameters) if population is not None else {}
    arms = []
    for name in table:
        where = f"arms.{name}"
        if not isinstance(name, str) or not name.replace("_", "").isalnum():
            problems.add(table.key_marks[name], where, "an arm's name may hold only letters, "
                         "digits and '_'")
            continue
        entry = problems.mapping(table[name], table.value_marks[name], where,
                                 "'{treatments: [{type: placebo}], dropout: 1 % / week}'")
        if entry is None:
            continue
        problems.keys(entry, ARM_KEYS, where)
        if "treatments" not in entry:
            problems.add(entry.mark, f"{where}.treatments", "an arm needs 'treatments' (use "
                         "'[{type: usual_care}]' for no treatment)")
            continue
        treatments = parse_treatments(entry, duration, parameters, problems,
                                      prefix=f"{where}.")
        rate = 0.0
        if "dropout" in entry:
            rate = problems.quantity(entry["dropout"], "1/day", entry.value_marks["dropout"],
                                     f"{where}.dropout",
                                     hint="write a rate such as '1 % / week'")
            if rate is not None and not 0.0 <= rate <= 1.0:
                problems.add(entry.value_marks["dropout"], f"{where}.dropout",
                             f"{rate:g} per day is outside 0 to 1 per day")
                rate = None
        allocation = 1.0
        if "allocation" in entry:
            allocation = problems.number(entry["allocation"], entry.value_marks["allocation"],
                                         f"{where}.allocation", 0.0, 100.0)
            if allocation is not None and allocation <= 0:
                problems.add(entry.value_marks["allocation"], f"{where}.allocation",
                             "must be positive (a share of the randomized patients)")
                allocation = None
        if rate is None or allocation is None or not treatments:
            if not treatments and "treatments" in entry and not problems.items:
                problems.add(entry.value_marks["treatments"], f"{where}.treatments",
                             "the list is empty; use '[{type: usual_care}]' for no treatment")
            continue
        arms.append(Arm(name, treatments, rate, allocation))
    return tuple(arms)


def _evaluations(doc: YamlMap, duration: float | None,
                 problems: ProblemCollector) -> tuple[float, ...]:
    if "evaluations" not in doc:
        return () if duration is None else (math.floor(duration + 1e-9),)
    items = problems.sequence(doc["evaluations"], doc.value_marks["evaluations"], "evaluations",
                              "'evaluations: [8 weeks, 26 weeks]'")
    if not isinstance(items, YamlList):
        return ()
    found = []
    for i, (item, mark) in enumerate(zip(items, items.marks)):
        day = problems.time(item, mark, f"evaluations[{i}]", positive=True)
        if day is None:
            continue
        day = float(math.floor(day + 1e-9))
        if duration is not None and day > duration + 1e-9:
            problems.add(mark, f"evaluations[{i}]", f"day {day:g} is after the end of the "
                         f"trial (day {duration:g})")
        elif day < 7.0:
            problems.add(mark, f"evaluations[{i}]", "an evaluation is at least one week after "
                         "randomization")
        else:
            found.append(day)
    return tuple(sorted(set(found)))


def _comparisons(doc: YamlMap, arms: tuple[str, ...], evaluations: tuple[float, ...],
                 duration: float | None, problems: ProblemCollector) -> tuple[Comparison, ...]:
    if "compare_to" not in doc:
        return ()
    items = problems.sequence(doc["compare_to"], doc.value_marks["compare_to"], "compare_to",
                              "'- {endpoint: back_pain_responders_50, arm: duloxetine, value: "
                              "0.486, citation: ...}'")
    if not isinstance(items, YamlList):
        return ()
    found = []
    for i, (item, mark) in enumerate(zip(items, items.marks)):
        where = f"compare_to[{i}]"
        entry = problems.mapping(item, mark, where, "'{endpoint: ..., value: ..., citation: ...}'")
        if entry is None:
            continue
        problems.keys(entry, COMPARE_KEYS, where)
        missing = [k for k in ("endpoint", "value", "citation") if k not in entry]
        for key in missing:
            problems.add(entry.mark, f"{where}.{key}", f"missing key '{key}'")
        if missing:
            continue
        endpoint = choice(problems, entry["endpoint"], tuple(ENDPOINTS),
                          entry.value_marks["endpoint"], f"{where}.endpoint", "endpoint")
        arm = None
        if "arm" in entry:
            arm = choice(problems, entry["arm"], (*arms, DIFFERENCE), entry.value_marks["arm"],
                         f"{where}.arm", "arm")
            arm = None if arm == DIFFERENCE else arm
        evaluation = evaluations[-1] if evaluations else None
        if "evaluation" in entry:
            day = problems.time(entry["evaluation"], entry.value_marks["evaluation"],
                                f"{where}.evaluation", positive=True)
            if day is not None:
                day = float(math.floor(day + 1e-9))
                if day not in evaluations:
                    shown = ", ".join(f"day {d:g}" for d in evaluations)
                    problems.add(entry.value_marks["evaluation"], f"{where}.evaluation",
                                 f"day {day:g} is not one of the trial's evaluations ({shown})")
                    day = None
            evaluation = day
        numbers = {}
        for key in ("value", "low", "high"):
            numbers[key] = problems.quantity(entry[key], "dimensionless",
                                             entry.value_marks[key], f"{where}.{key}") \
                if key in entry else None
        citation = problems.text(entry.text_of("citation"), entry.value_marks["citation"],
                                 f"{where}.citation", MAX_DESCRIPTION_CHARS)
        if None in (endpoint, evaluation, numbers["value"], citation):
            continue
        if (numbers["low"] is None) != (numbers["high"] is None):
            problems.add(entry.mark, where, "give both 'low' and 'high' of the interval, or "
                         "neither")
            continue
        found.append(Comparison(endpoint, evaluation, arm, numbers["value"], numbers["low"],
                                numbers["high"], citation))
    return tuple(found)
