"""Input profiles in scenario files: the ``type:`` forms, checked and built.

See ``scenarios/README.md`` for the forms (constant, steps, ramp, flares,
natural_history, diary) and :mod:`lbp_headache.scenario.profiles` for what they build.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable

from lbp_headache.core.errors import ScenarioError
from lbp_headache.files.input_files import CSV_SUFFIXES, MAX_CSV_BYTES, InputFileError, PathPolicy
from lbp_headache.files.problem_collector import (
    ProblemCollector,
    below_resolution,
    choice,
    format_range,
)
from lbp_headache.files.yaml_source import Mark, YamlMap, read_text
from lbp_headache.scenario.profiles import (
    NATURAL_HISTORY,
    Profile,
    constant,
    flares,
    from_points,
    natural_history,
)

MAX_FLARES = 5000
MAX_POINTS = 10_000  # points of a steps or ramp profile
MAX_DIARY_ROWS = 20_000  # rows of a diary CSV (55 years of daily values)

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


# --- profiles ----------------------------------------------------------------


def parse_profile(raw: object, mark: Mark, key: str, low: float, high: float,
                  duration: float | None, problems: ProblemCollector,
                  inputs: list[bytes], policy: PathPolicy) -> Profile | None:
    """A profile from a bare number or a ``type:`` mapping (see scenarios/README.md).

    ``inputs`` collects the bytes of the data files read (for the scenario's
    hash); ``policy`` says which data files may be read.
    """
    if not isinstance(raw, YamlMap):
        value = problems.number(raw, mark, key, low, high)
        return None if value is None else constant(value)
    kind = raw.get("type")
    if "type" not in raw:
        problems.add(raw.mark, key, "missing key 'type'; one of: " + ", ".join(PROFILE_KEYS))
        return None
    kind = choice(problems, kind, tuple(PROFILE_KEYS), raw.value_marks["type"], f"{key}.type",
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
        if below_resolution(every - length):
            problems.add(raw.value_marks["length"], f"{key}.length",
                         f"a flare ({length:g} days) must be shorter than the interval "
                         f"'every' ({every:g} days) by at least 1 minute")
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
        course = choice(problems, need("course"), tuple(NATURAL_HISTORY),
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
                         f"{profile.max_value:g}, outside {format_range(low, high)}")
            return None
        return profile
    # diary
    name = need("file")
    if "file" not in raw:
        return None
    file_mark = raw.value_marks["file"]
    if not policy.allows_data_files(file_mark.file):
        problems.add(file_mark, f"{key}.file", "scenario text from outside may not read data "
                     "files; give the profile as 'steps' or 'ramp' points instead")
        return None
    try:
        target = policy.resolve(name, file_mark.file, suffixes=CSV_SUFFIXES,
                                what="diary file (CSV, header 'day,value')")
    except InputFileError as exc:
        problems.add(file_mark, f"{key}.file", exc.message)
        return None
    return _diary(target, file_mark, f"{key}.file", low, high, problems, inputs)


def _points(raw: YamlMap, field: str, key: str, low: float, high: float, *, strict: bool,
            problems: ProblemCollector, need: Callable[[str], object]
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
    if len(items) > MAX_POINTS:
        problems.add(raw.value_marks[field], f"{key}.{field}", f"{len(items):,} points; the "
                     f"limit is {MAX_POINTS:,} (a diary CSV holds more)")
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
        elif times and at != times[-1] and below_resolution(at - times[-1]):
            problems.add(point.value_marks["at"], f"{where}.at",
                         f"{at:g} days is less than 1 minute after the previous point "
                         f"({times[-1]:g} days); the model resolves times to 1 minute" +
                         ("" if strict else " (the same time twice makes a jump)"))
            ok = False
        times.append(at)
        values.append(value)
    return (times, values) if ok else None


def _diary(target: str, mark: Mark, key: str, low: float, high: float, problems: ProblemCollector,
           inputs: list[bytes]) -> Profile | None:
    """Read a ``day,value`` CSV diary; problems name the CSV file and line.

    Messages never quote the file's contents: it may not be what the scenario
    author thinks it is.
    """
    try:
        text, data = read_text(target, what="diary file", max_bytes=MAX_CSV_BYTES)
    except ScenarioError as exc:
        for p in exc.problems:
            if p.line is None:
                problems.add(mark, key, f"cannot read diary '{target}': {p.message}")
            else:
                problems.items.append(p)
        return None
    inputs.append(data)
    here = Mark(target, 1)
    try:
        rows = [(n, row) for n, row in enumerate(csv.reader(text.splitlines()), start=1)
                if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        problems.add(here, "", f"not a readable CSV file ({exc})")
        return None
    if not rows or [c.strip().lower() for c in rows[0][1]] != ["day", "value"]:
        problems.add(Mark(target, rows[0][0] if rows else 1), "",
                     "the first line must be the header 'day,value'")
        return None
    if len(rows) - 1 > MAX_DIARY_ROWS:
        problems.add(here, "", f"{len(rows) - 1:,} rows; the limit is {MAX_DIARY_ROWS:,} "
                     "(one a day for 55 years)")
        return None
    times: list[float] = []
    values: list[float] = []
    before = len(problems.items)
    for n, row in rows[1:]:
        line = Mark(target, n)
        if len(row) != 2:
            problems.add(line, "", f"expected 2 columns 'day,value', got {len(row)}")
            continue
        day, value = _cell_number(row[0]), _cell_number(row[1])
        if day is None or value is None:
            which = "day" if day is None else "value"
            problems.add(line, which, f"the {which} is not a plain number (write e.g. '14,2.5'"
                         "; a decimal comma cannot be told from the column separator)")
            continue
        if not (math.isfinite(day) and day >= 0):
            problems.add(line, "day", "the day must be a number >= 0")
            continue
        if times and day <= times[-1]:
            problems.add(line, "day", f"days must increase: {day:g} follows {times[-1]:g}")
        elif times and below_resolution(day - times[-1]):
            problems.add(line, "day", f"{day:g} is less than 1 minute after the previous row")
        if not (math.isfinite(value) and low <= value <= high):
            problems.add(line, "value", f"the value is outside the allowed range "
                         f"{format_range(low, high)}")
        times.append(day)
        values.append(value)
    if len(problems.items) > before:
        return None
    if not times:
        problems.add(here, "", "the diary has no rows after the header")
        return None
    return from_points(times, values, kind="linear")


_CELL_NUMBER = re.compile(r"\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*")


def _cell_number(cell: str) -> float | None:
    """A CSV cell as a number, if it is one written plainly (no 'nan', '1_0', 'inf')."""
    if len(cell) > 40 or not _CELL_NUMBER.fullmatch(cell):
        return None
    return float(cell)
