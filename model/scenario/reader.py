"""Scenario files: YAML in, a validated :class:`~lbp_headache.scenario.record.Scenario` out.

The schema is documented key by key in ``scenarios/README.md``. Loading is
three steps, each collecting every problem it finds before raising one
:class:`~lbp_headache.core.errors.ScenarioError`:

1. :func:`lbp_headache.files.yaml_source.load_yaml` parses each file safely, keeping the
   file and line of every key and value.
2. ``extends:`` chains are followed (relative to the extending file, within
   the :class:`~lbp_headache.files.input_files.PathPolicy`, at most :data:`MAX_EXTENDS`
   levels, no cycles) and merged: the child's keys
   replace the parent's, except that ``parameters`` and ``initial_state``
   merge name by name; ``name`` and ``description`` are never inherited.
3. Every value is checked and converted to canonical units with pint
   (:func:`lbp_headache.core.units.to_canonical`): times in days, doses in mg/day,
   parameters and states in their table units.
4. The cost of the run is bounded before any work: output points
   (:data:`MAX_OUTPUT_POINTS`) and integration segments
   (:data:`MAX_SEGMENTS`), besides the bounds of each key (treatments,
   profile points, diary rows, flares).
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Sequence
from pathlib import Path

from lbp_headache.core.errors import ParameterError, Problem, ScenarioError, UnitError
from lbp_headache.core.parameters import BY_NAME, check_value, unknown_parameter
from lbp_headache.core.states import STATE_NAMES, STATES
from lbp_headache.core.suggestions import suggest
from lbp_headache.core.units import to_canonical
from lbp_headache.files.bundled import resolve_argument
from lbp_headache.files.input_files import YAML_SUFFIXES, InputFileError, PathPolicy
from lbp_headache.files.problem_collector import (
    MAX_DESCRIPTION_CHARS,
    MAX_TEXT_CHARS,
    ProblemCollector,
    in_reading_order,
)
from lbp_headache.files.yaml_source import (
    MAX_BYTES,
    Mark,
    YamlMap,
    control_characters,
    load_yaml,
    parse_yaml,
)
from lbp_headache.scenario.profile_reader import PROFILE_RANGES, parse_profile
from lbp_headache.scenario.record import Scenario, change_times
from lbp_headache.scenario.treatment_reader import parse_treatments

MAX_EXTENDS = 10
MAX_DURATION_YEARS = 50.0
MAX_DURATION = MAX_DURATION_YEARS * 365.25  # days
MIN_DURATION = 1.0  # days: the observation model counts whole days
MAX_OUTPUT_POINTS = 200_000  # output times of one run (about 50 MB of results)
MAX_SEGMENTS = 20_000  # integration segments of one run (each a solver restart)

TOP_KEYS = ("name", "description", "extends", "duration", "output_step", "seed",
            "lumbar_pain", "disc_degeneration", "ergonomic_load",
            "parameters", "initial_state", "treatments")
NOT_INHERITED = ("name", "description", "extends")
MERGED_BY_NAME = ("parameters", "initial_state")


# --- public API ------------------------------------------------------------


def load_scenario(path: str | os.PathLike, *, policy: PathPolicy | None = None) -> Scenario:
    """Load, resolve ``extends:`` and validate a scenario file.

    Parameters
    ----------
    path
        The YAML file. Problems quote it as given (not made absolute).
    policy
        Which files ``extends:`` and diaries may name; by default
        :meth:`PathPolicy.for_file` of ``path`` (see docs/security.md).

    Returns
    -------
    Scenario
        In canonical units, with ``source`` = ``path`` as given and
        ``source_hash`` = SHA-256 over the bytes of the file, the files it
        extends (child first) and any diary CSV files.

    Raises
    ------
    ScenarioError
        Holding every problem found, for any bad input: missing or
        unreadable file, malformed or unsafe YAML, unknown keys, bad values,
        paths outside the policy, a run beyond the cost bounds.
    """
    display = os.fspath(path)
    document, data = load_yaml(display)
    return _load(display, document, data, policy or PathPolicy.for_file(display),
                 Path(display).stem)


def load_scenario_text(text: str, *, name: str = "scenario") -> Scenario:
    """Load a scenario from text that someone else wrote (the explorer, a service).

    Such text reads no file at all except a bundled scenario named by its
    file name in ``extends:`` (:meth:`PathPolicy.bundled`); a diary profile
    is refused. Problems name the source ``<scenario text>`` and the line.

    Parameters
    ----------
    text
        The YAML text.
    name
        The scenario's name when the text gives none.

    Raises
    ------
    ScenarioError
        As :func:`load_scenario`.
    """
    policy = PathPolicy.bundled()
    source = policy.untrusted_source
    data = text.encode("utf-8", errors="surrogatepass")
    if len(data) > MAX_BYTES:
        raise ScenarioError([Problem(source, None, "", f"the text is {len(data):,} bytes; "
                                     f"the limit is {MAX_BYTES:,} bytes")])
    problems = control_characters(text, source)
    if problems:
        raise ScenarioError(problems)
    return _load(source, parse_yaml(text, source), data, policy, name)


def _load(display: str, document: YamlMap, data: bytes, policy: PathPolicy,
          default_name: str) -> Scenario:
    problems = ProblemCollector()
    document, blobs = _resolve(display, document, data, problems, policy)
    if problems.items:  # a broken extends chain: the merged document would mislead
        raise ScenarioError(problems.items)
    inputs: list[bytes] = []
    scenario = _build(document, default_name, problems, inputs, policy)
    if problems.items or scenario is None:
        raise ScenarioError(in_reading_order(problems.items))
    digest = hashlib.sha256()
    for blob in [*blobs, *inputs]:
        digest.update(len(blob).to_bytes(8, "big"))
        digest.update(blob)
    built = Scenario(**scenario, source=display, source_hash=digest.hexdigest())
    _check_cost(built, document, problems)
    if problems.items:
        raise ScenarioError(problems.items)
    return built


def _check_cost(scenario: Scenario, doc: YamlMap, problems: ProblemCollector) -> None:
    """Refuse a run whose output or schedule is beyond the documented bounds."""
    points = math.floor(scenario.duration / scenario.output_step) + math.floor(
        scenario.duration) + 2
    if points > MAX_OUTPUT_POINTS:
        mark = doc.value_marks.get("output_step", doc.value_marks.get("duration", doc.mark))
        problems.add(mark, "output_step" if "output_step" in doc else "duration",
                     f"the run would have about {points:,} output times (duration / "
                     f"output_step, plus whole days); the limit is {MAX_OUTPUT_POINTS:,}: use "
                     "a longer output_step, or split the run into shorter scenarios")
    segments = len(change_times(scenario)) - 1
    if segments > MAX_SEGMENTS:
        problems.add(doc.mark, "", f"the schedule has {segments:,} integration segments "
                     "(one per profile breakpoint and treatment start or stop); the limit is "
                     f"{MAX_SEGMENTS:,}: use fewer flares, steps, diary rows or treatments, or "
                     "split the run into shorter scenarios")


def expand_paths(paths: Sequence[str | os.PathLike]) -> list[Path]:
    """Expand scenario arguments: files as given, bundled names, folders.

    Parameters
    ----------
    paths
        Files, folders and bundled scenario names (``healthy``: see
        :func:`lbp_headache.files.bundled.resolve_argument`). A folder stands
        for its ``*.yaml`` files, sorted by name (not searched recursively).

    Returns
    -------
    list of Path
        The scenario files, in the order given.

    Raises
    ------
    ScenarioError
        For an argument that names nothing, names both a local file and a
        bundled scenario, or a folder without ``.yaml`` files (every such
        argument is reported).
    """
    found: list[Path] = []
    problems: list[Problem] = []
    for item in paths:
        path, problem = resolve_argument(os.fspath(item), "scenario")
        if problem is not None:
            problems.append(problem)
        elif path.is_dir():
            files = sorted((p for p in path.glob("*.yaml") if p.is_file()), key=lambda p: p.name)
            if not files:
                problems.append(Problem(os.fspath(item), None, "", "folder has no .yaml files"))
            found.extend(files)
        elif path.exists():
            found.append(path)
        else:
            problems.append(Problem(os.fspath(item), None, "", "no such file or folder"))
    if problems:
        raise ScenarioError(problems)
    return found


def parse_override(text: str) -> tuple[str, float]:
    """Parse a command-line override ``NAME=VALUE`` into ``(name, canonical value)``.

    ``VALUE`` may carry a unit (``tau_posture=5 days``); a bare number is in
    the parameter's table unit.

    Raises
    ------
    ScenarioError
        With ``Problem(file="--set", line=None, key=NAME, message)`` for a
        missing ``=``, an unknown name (with a suggestion), a value that
        cannot be read, has the wrong unit or is outside the plausible range.
    """
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name or not value.strip():
        raise ScenarioError([Problem("--set", None, name or text,
                                     f"expected NAME=VALUE (e.g. posture_chain_stiffness=1.5 "
                                     f"or 'tau_posture=5 days'), got {text!r}")])
    if name not in BY_NAME:
        raise ScenarioError([Problem("--set", None, name,
                                     unknown_parameter(name))])
    try:
        number = to_canonical(value.strip(), BY_NAME[name].unit)
        check_value(name, number)
    except (UnitError, ParameterError) as exc:
        raise ScenarioError([Problem("--set", None, name, str(exc))]) from None
    return name, number


# --- extends ----------------------------------------------------------------


def _resolve(display: str, document: YamlMap, data: bytes, problems: ProblemCollector,
             policy: PathPolicy) -> tuple[YamlMap, list[bytes]]:
    """Follow the chain of files ``document`` extends; return the merged document."""
    chain = [(display, document)]
    blobs = [data]
    seen = [os.path.realpath(display)]
    current, current_doc = display, document
    while "extends" in current_doc:
        mark = current_doc.value_marks["extends"]
        try:
            target = policy.resolve(current_doc["extends"], current, suffixes=YAML_SUFFIXES,
                                    what="scenario file")
        except InputFileError as exc:
            problems.add(mark, "extends", exc.message)
            break
        real = os.path.realpath(target)
        if real in seen:
            cycle = " -> ".join([name for name, _ in chain] + [target])
            problems.add(mark, "extends", f"extends cycle: {cycle}")
            break
        if len(chain) > MAX_EXTENDS:
            problems.add(mark, "extends", f"more than {MAX_EXTENDS} levels of 'extends'")
            break
        try:
            parent, data = load_yaml(target)
        except ScenarioError as exc:
            for p in exc.problems:
                if p.line is None and p.file == target:
                    problems.add(mark, "extends", f"cannot extend '{target}': {p.message}")
                else:
                    problems.items.append(p)
            raise ScenarioError(problems.items) from None
        chain.append((target, parent))
        blobs.append(data)
        seen.append(real)
        current, current_doc = target, parent
    merged = chain[-1][1]
    for _, child in reversed(chain[:-1]):
        merged = _merge(merged, child)
    return merged, blobs


def _merge(parent: YamlMap, child: YamlMap) -> YamlMap:
    """Child keys replace parent keys; ``parameters`` and ``initial_state`` merge by name."""
    merged = YamlMap(child.mark)
    for key, value in parent.items():
        if key not in NOT_INHERITED:
            merged.put(key, value, parent.key_marks[key], parent.value_marks[key],
                       parent.texts.get(key))
    for key, value in child.items():
        old = merged.get(key)
        if key in MERGED_BY_NAME and isinstance(value, YamlMap) and isinstance(old, YamlMap):
            combined = old.copy_located()
            for name, item in value.items():
                combined.put(name, item, value.key_marks[name], value.value_marks[name],
                             value.texts.get(name))
            combined.mark = value.mark
            value = combined
        merged.put(key, value, child.key_marks[key], child.value_marks[key],
                   child.texts.get(key))
    return merged


# --- the scenario -----------------------------------------------------------


def _build(doc: YamlMap, default_name: str, problems: ProblemCollector,
           inputs: list[bytes], policy: PathPolicy) -> dict | None:
    """Check ``doc`` and return keyword arguments for :class:`Scenario` (or ``None``)."""
    problems.keys(doc, TOP_KEYS, "")
    values: dict = {"name": default_name}
    for key in ("name", "description"):
        if key in doc:
            limit = MAX_DESCRIPTION_CHARS if key == "description" else MAX_TEXT_CHARS
            text = problems.text(doc.text_of(key), doc.value_marks[key], key, limit)
            values[key] = text if text is not None else ""

    duration = None
    if "duration" not in doc:
        problems.add(doc.mark, "duration",
                     "missing required key 'duration' (e.g. 'duration: 12 months')")
    else:
        duration = problems.time(doc["duration"], doc.value_marks["duration"], "duration",
                                 positive=True)
        if duration is not None and duration > MAX_DURATION:
            problems.add(doc.value_marks["duration"], "duration",
                         f"{duration:g} days is longer than the limit of "
                         f"{MAX_DURATION_YEARS:g} years")
            duration = None
        elif duration is not None and duration < MIN_DURATION:
            problems.add(doc.value_marks["duration"], "duration",
                         f"{duration:g} days is shorter than 1 day: headache days are counted "
                         "per whole day")
            duration = None
    values["duration"] = duration

    if "output_step" in doc:
        step = problems.time(doc["output_step"], doc.value_marks["output_step"], "output_step",
                             positive=True)
        if step is not None and duration is not None and step > duration:
            problems.add(doc.value_marks["output_step"], "output_step",
                         f"{step:g} days is longer than the duration ({duration:g} days)")
        values["output_step"] = step

    if "seed" in doc:
        seed = problems.whole(doc["seed"], doc.value_marks["seed"], "seed", 0, 2**63 - 1)
        values["seed"] = 0 if seed is None else seed

    for key, (low, high) in PROFILE_RANGES.items():
        if key in doc:
            values[key] = parse_profile(doc[key], doc.value_marks[key], key, low, high, duration,
                                        problems, inputs, policy)

    parameters = _parameters(doc, problems)
    values["parameters"] = parameters
    values["initial_state"] = _initial_state(doc, problems)
    values["treatments"] = parse_treatments(doc, duration, parameters, problems)
    if problems.items:
        return None
    return values


def _parameters(doc: YamlMap, problems: ProblemCollector) -> dict[str, float]:
    result: dict[str, float] = {}
    if "parameters" not in doc or doc["parameters"] is None:
        return result
    table = problems.mapping(doc["parameters"], doc.value_marks["parameters"], "parameters",
                             "'parameters: {posture_chain_stiffness: 2.0}'")
    for name, value in (table or {}).items():
        key, mark = f"parameters.{name}", table.value_marks[name]
        if name not in BY_NAME:
            problems.add(table.key_marks[name], key,
                         unknown_parameter(name))
            continue
        number = problems.parameter_value(name, value, mark, key)
        if number is not None:
            result[name] = number
    return result


def _initial_state(doc: YamlMap, problems: ProblemCollector) -> dict[str, float]:
    result: dict[str, float] = {}
    if "initial_state" not in doc or doc["initial_state"] is None:
        return result
    table = problems.mapping(doc["initial_state"], doc.value_marks["initial_state"],
                             "initial_state", "'initial_state: {pain_threshold: 0.8}'")
    records = {s.name: s for s in STATES}
    for name, value in (table or {}).items():
        key = f"initial_state.{name}"
        if name not in records:
            problems.add(table.key_marks[name], key,
                         f"unknown state '{name}'{suggest(name, STATE_NAMES)}")
            continue
        state = records[name]
        number = problems.number(value, table.value_marks[name], key, state.low, state.high,
                                 state.unit)
        if number is not None:
            result[name] = number
    return result




def load_referenced_scenario(value: object, mark: Mark, key: str, source: str,
                             problems: ProblemCollector, policy: PathPolicy, *,
                             referrer: str) -> tuple[str, Scenario] | None:
    """Load a scenario that another input file (a sweep, a population) names at ``key``.

    The path is relative to the folder of ``source`` and must keep to
    ``policy``; the scenario's own problems are reported as they are, with
    their own file and line. Returns ``(path, scenario)``, or ``None`` after
    recording the problems.
    """
    if not isinstance(value, str) or not value.strip():
        problems.add(mark, key, "expected the path of a scenario file, relative to this file, "
                     "e.g. '../persistent_back_pain.yaml'")
        return None
    try:
        target = policy.resolve(value, source, suffixes=YAML_SUFFIXES, what="scenario file")
    except InputFileError as exc:
        problems.add(mark, key, exc.message)
        return None
    try:
        return target, load_scenario(target, policy=policy)
    except ScenarioError as exc:
        for p in exc.problems:
            if p.file != target or p.line is not None:
                problems.items.append(p)
            elif p.message.endswith("not found"):
                problems.add(mark, key, f"scenario file '{target}' not found (paths are "
                             f"relative to the folder of the {referrer})")
            else:
                problems.add(mark, key, f"cannot read '{target}': {p.message}")
        return None
