"""Scenario files: YAML in, a validated :class:`~model.scenario.Scenario` out.

The schema is documented key by key in ``scenarios/README.md``. Loading is
three steps, each collecting every problem it finds before raising one
:class:`~model.errors.ScenarioError`:

1. :func:`model.yaml_source.load_yaml` parses each file safely, keeping the
   file and line of every key and value.
2. ``extends:`` chains are followed (relative to the extending file, at most
   :data:`MAX_EXTENDS` levels, no cycles) and merged: the child's keys
   replace the parent's, except that ``parameters`` and ``initial_state``
   merge name by name; ``name`` and ``description`` are never inherited.
3. Every value is checked and converted to canonical units with pint
   (:func:`model.units.to_canonical`): times in days, doses in mg/day,
   parameters and states in their table units.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import ParameterError, Problem, ScenarioError, UnitError
from .parameters import BY_NAME, DRUGS, NAMES, check_value, suggest
from .profiles import NATURAL_HISTORY, Profile, constant, flares, from_points, natural_history
from .scenario import Scenario
from .states import STATE_NAMES, STATES
from .treatments import TREATMENT_TYPES, Treatment, overlapping_parameter_changes
from .units import DIMENSIONLESS, pretty, to_canonical
from .yaml_source import Mark, YamlList, YamlMap, load_yaml, read_text

MAX_EXTENDS = 10
MAX_DURATION_YEARS = 50.0
MAX_DURATION = MAX_DURATION_YEARS * 365.25  # days
MAX_FLARES = 5000

TOP_KEYS = ("name", "description", "extends", "duration", "output_step", "seed",
            "lumbar_pain", "disc_degeneration", "ergonomic_load",
            "parameters", "initial_state", "treatments")
NOT_INHERITED = ("name", "description", "extends")
MERGED_BY_NAME = ("parameters", "initial_state")

PROFILE_RANGES = {"lumbar_pain": (0.0, 10.0), "disc_degeneration": (0.0, 1.0),
                  "ergonomic_load": (0.0, 1.0)}
PROFILE_KEYS = {
    "constant": ("value",),
    "steps": ("initial", "steps"),
    "ramp": ("points",),
    "flares": ("baseline", "peak", "first", "every", "length", "until"),
    "natural_history": ("course", "scale"),
    "diary": ("file",),
}
POINT_KEYS = ("at", "value")

TREATMENT_COMMON = ("type", "label", "start", "stop", "duration")
TREATMENT_KEYS = {
    "physical_therapy": ("adherence", "intensity"),
    "ergonomics": ("adherence", "intensity"),
    "nsaid": ("adherence", "dose"),
    "neuropathic_medication": ("adherence", "dose", "drug"),
    "parameter_change": ("parameter", "value", "scale"),
}
ALL_TREATMENT_KEYS = TREATMENT_COMMON + tuple(
    dict.fromkeys(k for keys in TREATMENT_KEYS.values() for k in keys))

TIME_HINT = "write a time such as '6 months', '2 weeks', '3 d' or a bare number of days"


class _Problems:
    """Collects problems; converters return ``None`` after recording one."""

    def __init__(self):
        self.items: list[Problem] = []

    def add(self, mark: Mark, key: str, message: str) -> None:
        self.items.append(Problem(mark.file, mark.line, key, message))

    def keys(self, mapping: YamlMap, allowed: Sequence[str], path: str) -> None:
        """Report keys of ``mapping`` not in ``allowed`` (with a suggestion or the list)."""
        for key in mapping:
            if key not in allowed:
                hint = _suggest(key, allowed) or f"; allowed: {', '.join(allowed)}"
                self.add(mapping.key_marks[key], _join(path, key), f"unknown key '{key}'{hint}")

    def quantity(self, value: object, unit: str, mark: Mark, key: str, *,
                 hint: str = "") -> float | None:
        """``value`` in ``unit`` (bare numbers are in ``unit``), or ``None``."""
        if value is None:
            self.add(mark, key, "no value given" + (f"; {hint}" if hint else ""))
            return None
        if isinstance(value, (YamlMap, YamlList)):
            self.add(mark, key, "expected a single value, not a " +
                     ("mapping" if isinstance(value, YamlMap) else "list"))
            return None
        try:
            return to_canonical(value, unit)
        except UnitError as exc:
            self.add(mark, key, str(exc) + (f"; {hint}" if hint else ""))
            return None

    def time(self, value: object, mark: Mark, key: str, *, positive: bool = False) -> float | None:
        """A time in days (>= 0, or > 0 when ``positive``), or ``None``."""
        days = self.quantity(value, "day", mark, key, hint=TIME_HINT)
        if days is None:
            return None
        if days < 0 or (positive and days == 0):
            self.add(mark, key, f"must be {'positive' if positive else 'zero or positive'}, "
                     f"got {days:g} days")
            return None
        return days

    def number(self, value: object, mark: Mark, key: str, low: float, high: float,
               unit: str = DIMENSIONLESS) -> float | None:
        """A number in ``unit`` within ``[low, high]``, or ``None``."""
        number = self.quantity(value, unit, mark, key)
        if number is not None and not low <= number <= high:
            allowed = _range(low, high, unit)
            self.add(mark, key, f"{number:g} is outside the allowed range {allowed}")
            return None
        return number

    def text(self, value: object, mark: Mark, key: str) -> str | None:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.add(mark, key, "expected text")
            return None
        return str(value)

    def mapping(self, value: object, mark: Mark, key: str, example: str) -> YamlMap | None:
        if isinstance(value, YamlMap):
            return value
        self.add(mark, key, f"expected a mapping of keys, e.g. {example}")
        return None

    def sequence(self, value: object, mark: Mark, key: str, example: str) -> YamlList | None:
        if isinstance(value, YamlList):
            return value
        self.add(mark, key, f"expected a list ('- ...' lines), e.g. {example}")
        return None


def _suggest(name: str, choices: Sequence[str]) -> str:
    """``suggest`` from the parameter table, falling back to abbreviations.

    ``difflib`` alone misses abbreviations such as ``physio`` for
    ``physical_therapy``: compare ``name`` with the start of each choice.
    """
    close = suggest(name, choices)
    if close or len(name) < 4:
        return close
    lowered = name.lower()
    scores = {c: difflib.SequenceMatcher(None, lowered, c.lower()[:len(lowered)]).ratio()
              for c in choices}
    best = max(scores, key=scores.get, default=None)
    if best is not None and scores[best] >= 0.8:
        if sum(score == scores[best] for score in scores.values()) == 1:
            return f"; did you mean '{best}'?"
    return ""


def _in_reading_order(items: list[Problem]) -> list[Problem]:
    """Problems grouped by file (first reported first), by line within a file."""
    files = list(dict.fromkeys(p.file for p in items))
    return sorted(items, key=lambda p: (files.index(p.file), p.line or 0))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _range(low: float, high: float, unit: str = DIMENSIONLESS) -> str:
    suffix = "" if unit == DIMENSIONLESS else f" {pretty(unit)}"
    return f"[{low:g}, {high:g}]{suffix}"


def _choice(problems: _Problems, value: object, choices: Sequence[str], mark: Mark, key: str,
            what: str) -> str | None:
    """``value`` if it is one of ``choices``; else a problem with a suggestion."""
    if not isinstance(value, str):
        problems.add(mark, key, f"expected a {what}, one of: {', '.join(choices)}")
        return None
    if value not in choices:
        hint = _suggest(value, choices) or f"; allowed: {', '.join(choices)}"
        problems.add(mark, key, f"unknown {what} '{value}'{hint}")
        return None
    return value


# --- public API ------------------------------------------------------------


def load_scenario(path: str | os.PathLike) -> Scenario:
    """Load, resolve ``extends:`` and validate a scenario file.

    Parameters
    ----------
    path
        The YAML file. Problems quote it as given (not made absolute).

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
        unreadable file, malformed or unsafe YAML, unknown keys, bad values.
    """
    display = os.fspath(path)
    problems = _Problems()
    document, blobs = _resolve(display, problems)
    if problems.items:  # a broken extends chain: the merged document would mislead
        raise ScenarioError(problems.items)
    inputs: list[bytes] = []
    scenario = _build(document, Path(display).stem, problems, inputs)
    if problems.items or scenario is None:
        raise ScenarioError(_in_reading_order(problems.items))
    digest = hashlib.sha256()
    for blob in [*blobs, *inputs]:
        digest.update(len(blob).to_bytes(8, "big"))
        digest.update(blob)
    return Scenario(**scenario, source=display, source_hash=digest.hexdigest())


def expand_paths(paths: Sequence[str | os.PathLike]) -> list[Path]:
    """Expand scenario arguments: files as given; a folder becomes its ``*.yaml`` files.

    Parameters
    ----------
    paths
        Files and folders. Folders are not searched recursively; their
        ``*.yaml`` files are sorted by name.

    Returns
    -------
    list of Path
        The scenario files, in the order given.

    Raises
    ------
    ScenarioError
        For a path that does not exist or a folder without ``.yaml`` files
        (every such path is reported).
    """
    found: list[Path] = []
    problems: list[Problem] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
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
                                     f"unknown parameter '{name}'{_suggest(name, NAMES)}")])
    try:
        number = to_canonical(value.strip(), BY_NAME[name].unit)
        check_value(name, number)
    except (UnitError, ParameterError) as exc:
        raise ScenarioError([Problem("--set", None, name, str(exc))]) from None
    return name, number


# --- extends ----------------------------------------------------------------


def _resolve(display: str, problems: _Problems) -> tuple[YamlMap, list[bytes]]:
    """Load ``display`` and the chain of files it extends; return the merged document."""
    document, data = load_yaml(display)
    chain = [(display, document)]
    blobs = [data]
    seen = [Path(display).resolve()]
    current, current_doc = display, document
    while "extends" in current_doc:
        mark = current_doc.value_marks["extends"]
        target_text = current_doc["extends"]
        if not isinstance(target_text, str) or not target_text.strip():
            problems.add(mark, "extends", "expected the path of another scenario file, "
                         "relative to this one, e.g. 'persistent_back_pain.yaml'")
            break
        target = os.path.normpath(os.path.join(os.path.dirname(current), target_text))
        real = Path(target).resolve()
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
            merged.put(key, value, parent.key_marks[key], parent.value_marks[key])
    for key, value in child.items():
        old = merged.get(key)
        if key in MERGED_BY_NAME and isinstance(value, YamlMap) and isinstance(old, YamlMap):
            combined = old.copy_located()
            for name, item in value.items():
                combined.put(name, item, value.key_marks[name], value.value_marks[name])
            combined.mark = value.mark
            value = combined
        merged.put(key, value, child.key_marks[key], child.value_marks[key])
    return merged


# --- the scenario -----------------------------------------------------------


def _build(doc: YamlMap, default_name: str, problems: _Problems,
           inputs: list[bytes]) -> dict | None:
    """Check ``doc`` and return keyword arguments for :class:`Scenario` (or ``None``)."""
    problems.keys(doc, TOP_KEYS, "")
    values: dict = {"name": default_name}
    for key in ("name", "description"):
        if key in doc:
            text = problems.text(doc[key], doc.value_marks[key], key)
            values[key] = text if text is not None else ""

    duration = None
    if "duration" not in doc:
        problems.add(Mark(doc.mark.file, None), "duration",
                     "missing required key 'duration' (e.g. 'duration: 12 months')")
    else:
        duration = problems.time(doc["duration"], doc.value_marks["duration"], "duration",
                                 positive=True)
        if duration is not None and duration > MAX_DURATION:
            problems.add(doc.value_marks["duration"], "duration",
                         f"{duration:g} days is longer than the limit of "
                         f"{MAX_DURATION_YEARS:g} years")
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
        seed = doc["seed"]
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            problems.add(doc.value_marks["seed"], "seed",
                         f"expected a whole number >= 0, got {seed!r}")
        values["seed"] = seed

    for key, (low, high) in PROFILE_RANGES.items():
        if key in doc:
            values[key] = _profile(doc[key], doc.value_marks[key], key, low, high, duration,
                                   problems, inputs)

    parameters = _parameters(doc, problems)
    values["parameters"] = parameters
    values["initial_state"] = _initial_state(doc, problems)
    values["treatments"] = _treatments(doc, duration, parameters, problems)
    if problems.items:
        return None
    return values


def _parameters(doc: YamlMap, problems: _Problems) -> dict[str, float]:
    result: dict[str, float] = {}
    if "parameters" not in doc or doc["parameters"] is None:
        return result
    table = problems.mapping(doc["parameters"], doc.value_marks["parameters"], "parameters",
                             "'parameters: {posture_chain_stiffness: 2.0}'")
    for name, value in (table or {}).items():
        key, mark = f"parameters.{name}", table.value_marks[name]
        if name not in BY_NAME:
            problems.add(table.key_marks[name], key,
                         f"unknown parameter '{name}'{_suggest(name, NAMES)}")
            continue
        record = BY_NAME[name]
        number = problems.quantity(value, record.unit, mark, key,
                                   hint=f"'{name}' is in {_unit_name(record.unit)}")
        if number is None:
            continue
        try:
            check_value(name, number)
        except ParameterError as exc:
            problems.add(mark, key, str(exc))
            continue
        result[name] = number
    return result


def _unit_name(unit: str) -> str:
    return "a dimensionless number" if unit == DIMENSIONLESS else pretty(unit)


def _initial_state(doc: YamlMap, problems: _Problems) -> dict[str, float]:
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
                         f"unknown state '{name}'{_suggest(name, STATE_NAMES)}")
            continue
        state = records[name]
        number = problems.number(value, table.value_marks[name], key, state.low, state.high,
                                 state.unit)
        if number is not None:
            result[name] = number
    return result


# --- profiles ----------------------------------------------------------------


def _profile(raw: object, mark: Mark, key: str, low: float, high: float,
             duration: float | None, problems: _Problems, inputs: list[bytes]) -> Profile | None:
    """A profile from a bare number or a ``type:`` mapping (see scenarios/README.md)."""
    if not isinstance(raw, YamlMap):
        value = problems.number(raw, mark, key, low, high)
        return None if value is None else constant(value)
    kind = raw.get("type")
    if "type" not in raw:
        problems.add(raw.mark, key, "missing key 'type'; one of: " + ", ".join(PROFILE_KEYS))
        return None
    kind = _choice(problems, kind, tuple(PROFILE_KEYS), raw.value_marks["type"], f"{key}.type",
                   "profile type")
    if kind is None:
        return None
    problems.keys(raw, ("type", *PROFILE_KEYS[kind]), key)
    before = len(problems.items)

    def need(name: str) -> object:
        if name not in raw:
            problems.add(raw.mark, key, f"a '{kind}' profile needs key '{name}'")
            return None
        return raw[name]

    def num(name: str, default: float | None = None) -> float | None:
        if name not in raw and default is not None:
            return default
        value = need(name)
        if name not in raw:
            return None
        return problems.number(value, raw.value_marks[name], f"{key}.{name}", low, high)

    def when(name: str, default: float | None = None, positive: bool = False) -> float | None:
        if name not in raw and default is not None:
            return default
        value = need(name)
        if name not in raw:
            return None
        return problems.time(value, raw.value_marks[name], f"{key}.{name}", positive=positive)

    if kind == "constant":
        value = num("value")
        return None if value is None else constant(value)
    if kind in ("steps", "ramp"):
        field = "steps" if kind == "steps" else "points"
        initial = num("initial", 0.0) if kind == "steps" else 0.0
        points = _points(raw, field, key, low, high, strict=kind == "steps",
                         problems=problems, need=need)
        if points is None or initial is None or len(problems.items) > before:
            return None
        times, values = points
        if kind == "ramp":
            return from_points(times, values, kind="linear")
        if times[0] > 0.0:
            times, values = [0.0, *times], [initial, *values]
        return from_points(times, values, kind="step")
    if kind == "flares":
        baseline, peak = num("baseline"), num("peak")
        first = when("first", 0.0)
        every = when("every", positive=True)
        length = when("length", positive=True)
        until = when("until", duration if duration is not None else math.inf, positive=True)
        if None in (baseline, peak, first, every, length, until) or duration is None:
            return None
        if length >= every:
            problems.add(raw.value_marks["length"], f"{key}.length",
                         f"a flare ({length:g} days) must be shorter than the interval "
                         f"'every' ({every:g} days)")
            return None
        if until <= first:
            problems.add(raw.value_marks.get("until", raw.mark), f"{key}.until",
                         f"'until' ({until:g} days) must be after 'first' ({first:g} days)")
            return None
        if (min(until, duration) - first) / every > MAX_FLARES:
            problems.add(raw.value_marks["every"], f"{key}.every",
                         f"more than {MAX_FLARES} flares; use a longer interval")
            return None
        return flares(baseline, peak, first=first, every=every, length=length, until=until)
    if kind == "natural_history":
        course = _choice(problems, need("course"), tuple(NATURAL_HISTORY),
                         raw.value_marks.get("course", raw.mark), f"{key}.course", "course")
        scale = 1.0
        if "scale" in raw:
            scale = problems.number(raw["scale"], raw.value_marks["scale"], f"{key}.scale",
                                    0.0, math.inf)
        if course is None or scale is None:
            return None
        profile = natural_history(course, scale)
        if not (low <= profile.min_value and profile.max_value <= high):
            problems.add(raw.value_marks["scale"], f"{key}.scale",
                         f"scale {scale:g} takes the '{course}' course to "
                         f"{profile.max_value:g}, outside {_range(low, high)}")
            return None
        return profile
    # diary
    name = need("file")
    if name is None:
        return None
    file_mark = raw.value_marks["file"]
    if not isinstance(name, str) or not name.strip():
        problems.add(file_mark, f"{key}.file", "expected the path of a CSV file "
                     "(header 'day,value'), relative to this scenario file")
        return None
    target = os.path.normpath(os.path.join(os.path.dirname(file_mark.file), name))
    return _diary(target, file_mark, f"{key}.file", low, high, problems, inputs)


def _points(raw: YamlMap, field: str, key: str, low: float, high: float, *, strict: bool,
            problems: _Problems, need: Callable[[str], object]
            ) -> tuple[list[float], list[float]] | None:
    """Times and values of a ``steps``/``points`` list of ``{at: TIME, value: V}``."""
    listing = need(field)
    if field not in raw:
        return None
    items = problems.sequence(listing, raw.value_marks[field], f"{key}.{field}",
                           "'- {at: 6 months, value: 2}'")
    if items is None:
        return None
    if not items:
        problems.add(raw.value_marks[field], f"{key}.{field}", "needs at least one point")
        return None
    times: list[float] = []
    values: list[float] = []
    ok = True
    for i, (item, mark) in enumerate(zip(items, items.marks)):
        where = f"{key}.{field}[{i}]"
        point = problems.mapping(item, mark, where, "'{at: 6 months, value: 2}'")
        if point is None:
            ok = False
            continue
        problems.keys(point, POINT_KEYS, where)
        missing = [k for k in POINT_KEYS if k not in point]
        if missing:
            problems.add(point.mark, where, f"needs keys 'at' and 'value' (missing "
                         f"{', '.join(repr(m) for m in missing)})")
            ok = False
            continue
        at = problems.time(point["at"], point.value_marks["at"], f"{where}.at")
        value = problems.number(point["value"], point.value_marks["value"], f"{where}.value",
                                low, high)
        if at is None or value is None:
            ok = False
            continue
        if times and (at <= times[-1] if strict else at < times[-1]):
            order = "strictly increasing" if strict else "non-decreasing"
            problems.add(point.value_marks["at"], f"{where}.at",
                         f"times must be {order}: {at:g} days follows {times[-1]:g} days")
            ok = False
        times.append(at)
        values.append(value)
    return (times, values) if ok else None


def _diary(target: str, mark: Mark, key: str, low: float, high: float, problems: _Problems,
           inputs: list[bytes]) -> Profile | None:
    """Read a ``day,value`` CSV diary; problems name the CSV file and line."""
    try:
        text, data = read_text(target, what="diary file")
    except ScenarioError as exc:
        for p in exc.problems:
            if p.line is None:
                problems.add(mark, key, f"cannot read diary '{target}': {p.message}")
            else:
                problems.items.append(p)
        return None
    inputs.append(data)
    here = Mark(target, 1)
    rows = [(n, row) for n, row in enumerate(csv.reader(text.splitlines()), start=1)
            if any(cell.strip() for cell in row)]
    if not rows or [c.strip().lower() for c in rows[0][1]] != ["day", "value"]:
        problems.add(here, "", "the first line must be the header 'day,value'")
        return None
    times: list[float] = []
    values: list[float] = []
    before = len(problems.items)
    for n, row in rows[1:]:
        line = Mark(target, n)
        if len(row) != 2:
            problems.add(line, "", f"expected 2 columns 'day,value', got {len(row)}")
            continue
        try:
            day, value = float(row[0]), float(row[1])
        except ValueError:
            problems.add(line, "", f"expected two numbers, got {','.join(row)!r}")
            continue
        if not (math.isfinite(day) and day >= 0):
            problems.add(line, "day", f"{row[0].strip()} is not a day >= 0")
            continue
        if times and day <= times[-1]:
            problems.add(line, "day", f"days must increase: {day:g} follows {times[-1]:g}")
        if not (math.isfinite(value) and low <= value <= high):
            problems.add(line, "value", f"{row[1].strip()} is outside the allowed range "
                         f"{_range(low, high)}")
        times.append(day)
        values.append(value)
    if len(problems.items) > before:
        return None
    if not times:
        problems.add(here, "", "the diary has no rows after the header")
        return None
    return from_points(times, values, kind="linear")


# --- treatments ----------------------------------------------------------------


def _treatments(doc: YamlMap, duration: float | None, parameters: dict[str, float],
                problems: _Problems) -> tuple[Treatment, ...]:
    if "treatments" not in doc or doc["treatments"] is None:
        return ()
    items = problems.sequence(doc["treatments"], doc.value_marks["treatments"], "treatments",
                           "'- {type: physical_therapy, start: 6 months}'")
    if items is None:
        return ()
    built: list[tuple[int, Treatment]] = []
    for i, (item, mark) in enumerate(zip(items, items.marks)):
        where = f"treatments[{i}]"
        raw = problems.mapping(item, mark, where, "'{type: nsaid, start: 6 months}'")
        if raw is None:
            continue
        treatment = _treatment(raw, where, duration, parameters, problems)
        if treatment is not None:
            built.append((i, treatment))
    treatments = [t for _, t in built]
    for a, b in overlapping_parameter_changes(treatments):
        (i, first), (j, _) = built[a], built[b]
        raw = items[j]
        problems.add(raw.value_marks.get("start", raw.mark), f"treatments[{j}]",
                     f"overlaps treatments[{i}], which also changes '{first.parameter}'; "
                     "changes of one parameter may not overlap in time")
    return tuple(treatments)


def _treatment(raw: YamlMap, where: str, duration: float | None,
               parameters: dict[str, float], problems: _Problems) -> Treatment | None:
    before = len(problems.items)
    kind = None
    if "type" not in raw:
        problems.add(raw.mark, f"{where}.type",
                     f"missing key 'type'; one of: {', '.join(TREATMENT_TYPES)}")
    else:
        kind = _choice(problems, raw["type"], TREATMENT_TYPES, raw.value_marks["type"],
                       f"{where}.type", "treatment type")
    problems.keys(raw, ALL_TREATMENT_KEYS, where)
    if kind is not None:
        allowed = TREATMENT_COMMON + TREATMENT_KEYS[kind]
        for key in raw:
            if key in ALL_TREATMENT_KEYS and key not in allowed:
                problems.add(raw.key_marks[key], f"{where}.{key}",
                             f"'{key}' does not apply to {kind}; allowed: {', '.join(allowed)}")

    def at(key: str) -> Mark:
        return raw.value_marks[key]

    options: dict = {}
    if "label" in raw:
        options["label"] = problems.text(raw["label"], at("label"), f"{where}.label") or ""
    start = 0.0
    if "start" in raw:
        start = problems.time(raw["start"], at("start"), f"{where}.start")
    stop = math.inf
    if "stop" in raw and "duration" in raw:
        problems.add(raw.key_marks["duration"], f"{where}.duration",
                     "give either 'stop' or 'duration', not both")
    elif "stop" in raw:
        stop = problems.time(raw["stop"], at("stop"), f"{where}.stop")
        if stop is not None and start is not None and stop <= start:
            problems.add(at("stop"), f"{where}.stop",
                         f"stop ({stop:g} days) must be after start ({start:g} days)")
    elif "duration" in raw:
        length = problems.time(raw["duration"], at("duration"), f"{where}.duration",
                               positive=True)
        stop = None if length is None or start is None else start + length
    if start is not None and duration is not None and start >= duration:
        problems.add(at("start"), f"{where}.start",
                     f"starts at day {start:g}, at or after the end of the scenario "
                     f"(day {duration:g})")
    for key in ("adherence", "intensity"):
        if key in raw:
            options[key] = problems.number(raw[key], at(key), f"{where}.{key}", 0.0, 1.0)
    if "dose" in raw:
        dose = problems.quantity(raw["dose"], "mg/day", at("dose"), f"{where}.dose",
                                 hint="write a dose such as '1200 mg/day' (bare number: mg/day)")
        if dose is not None and dose <= 0:
            problems.add(at("dose"), f"{where}.dose", f"dose must be positive, got {dose:g}")
        options["dose"] = dose
    if kind == "neuropathic_medication":
        if "drug" not in raw:
            problems.add(raw.mark, f"{where}.drug",
                         f"neuropathic_medication needs 'drug', one of: {', '.join(DRUGS)}")
        else:
            options["drug"] = _choice(problems, raw["drug"], DRUGS, at("drug"), f"{where}.drug",
                                      "drug")
    if kind == "parameter_change":
        options.update(_parameter_change(raw, where, parameters, problems))
    if kind is None or len(problems.items) > before:
        return None
    try:
        return Treatment(type=kind, start=start, stop=stop, **options)
    except ValueError as exc:  # defensive: every rule above mirrors Treatment's own
        problems.add(raw.mark, where, str(exc))
        return None


def _parameter_change(raw: YamlMap, where: str, parameters: dict[str, float],
                      problems: _Problems) -> dict:
    if "parameter" not in raw:
        problems.add(raw.mark, f"{where}.parameter",
                     "parameter_change needs 'parameter' (a name from the parameter table)")
        return {}
    name = _choice(problems, raw["parameter"], NAMES, raw.value_marks["parameter"],
                   f"{where}.parameter", "parameter")
    if ("value" in raw) == ("scale" in raw):
        problems.add(raw.mark, where, "parameter_change needs exactly one of 'value' and 'scale'")
        return {}
    if name is None:
        return {}
    record = BY_NAME[name]
    if "value" in raw:
        mark = raw.value_marks["value"]
        value = problems.quantity(raw["value"], record.unit, mark, f"{where}.value",
                                  hint=f"'{name}' is in {_unit_name(record.unit)}")
        if value is not None:
            try:
                check_value(name, value)
            except ParameterError as exc:
                problems.add(mark, f"{where}.value", str(exc))
        return {"parameter": name, "value": value}
    mark = raw.value_marks["scale"]
    scale = problems.number(raw["scale"], mark, f"{where}.scale", 0.0, math.inf)
    if scale is not None:
        base = parameters.get(name, record.value)
        if scale <= 0:
            problems.add(mark, f"{where}.scale", f"scale must be positive, got {scale:g}")
        elif not record.low <= base * scale <= record.high:
            allowed = _range(record.low, record.high, record.unit)
            problems.add(mark, f"{where}.scale",
                         f"scale {scale:g} takes '{name}' from {base:g} to {base * scale:g}, "
                         f"outside its plausible range {allowed}")
    return {"parameter": name, "scale": scale}
