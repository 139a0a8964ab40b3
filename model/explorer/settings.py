"""The explorer's settings: a plain JSON object in the browser, a scenario YAML file on disk.

The browser holds the current settings (what the controls show) as JSON; every
simulation, every saved file and every loaded file goes through the scenario
YAML text that :func:`settings_to_yaml` writes and
:func:`lbp_headache.scenario.reader.load_scenario_text` reads (docs/security.md:
text from the browser reads no file). So what the explorer shows is what
``lbp-headache run`` gives for the saved file, by construction of one path.

Settings (times in days, parameters in their table units)::

    {"name": str, "description": str, "duration": days,
     "lumbar_pain": PROFILE, "disc_degeneration": PROFILE, "ergonomic_load": PROFILE,
     "parameters": {name: value},
     "treatments": [{"type", "start", "stop" (days or null: to the end), "intensity",
                     "adherence", "dose" (mg/day or null: standard), "drug", "label"}],
     "other_treatments": [...]}   # parameter_change and further courses, kept as they are

    PROFILE: {"kind": "constant", "value": v}
           | {"kind": "natural_history", "course": "persistent" | "acute_recovering",
              "scale": s}
           | {"kind": "episode", "value": v, "until": days}     # v until the day, then 0
           | {"kind": "points", "points": [[day, value], ...]}  # straight lines (a ramp)
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping

from lbp_headache.core.calendar import CALENDAR_MONTH_DAYS
from lbp_headache.core.errors import Problem, ScenarioError
from lbp_headache.core.parameters import BY_NAME, DRUGS
from lbp_headache.core.units import pretty
from lbp_headache.scenario import profiles
from lbp_headache.scenario.profiles import NATURAL_HISTORY, Profile
from lbp_headache.scenario.record import Scenario
from lbp_headache.scenario.treatments import Treatment

SOURCE = "<explorer settings>"
PROFILE_KEYS = ("lumbar_pain", "disc_degeneration", "ergonomic_load")
COURSE_TYPES = ("physical_therapy", "ergonomics", "nsaid", "neuropathic_medication")
MAX_POINTS = 2_000
MAX_TREATMENTS = 50


def _bad(key: str, message: str) -> ScenarioError:
    return ScenarioError([Problem(SOURCE, None, key, message)])


def _number(value: object, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _bad(key, f"expected a number, got {json.dumps(value)[:40]}")
    return float(value)


def days_text(days: float) -> str:
    """A time as a student would write it: ``6 months``, ``45 days``, ``182.7 days``."""
    months = days / CALENDAR_MONTH_DAYS
    if months >= 1.0 and abs(months * 2 - round(months * 2)) < 1e-9:
        return f"{round(months * 2) / 2:g} months"
    return f"{days:.10g} days"


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes are YAML's)."""
    return json.dumps(str(text), ensure_ascii=False)


def _profile_yaml(key: str, profile: Mapping) -> list[str]:
    kind = profile.get("kind")
    if kind == "constant":
        return [f"{key}: {_number(profile.get('value'), key):.10g}"]
    if kind == "natural_history":
        course = profile.get("course")
        if course not in NATURAL_HISTORY:
            raise _bad(key, f"unknown course {json.dumps(course)}; "
                            f"allowed: {', '.join(NATURAL_HISTORY)}")
        scale = _number(profile.get("scale", 1.0), f"{key}.scale")
        return [f"{key}: {{type: natural_history, course: {course}, scale: {scale:.10g}}}"]
    if kind == "episode":
        value = _number(profile.get("value"), f"{key}.value")
        until = _number(profile.get("until"), f"{key}.until")
        return [f"{key}:", "  type: steps", f"  initial: {value:.10g}",
                f"  steps: [{{at: {days_text(until)}, value: 0}}]"]
    if kind == "points":
        points = profile.get("points")
        if not isinstance(points, list) or not points or len(points) > MAX_POINTS:
            raise _bad(key, f"expected 1 to {MAX_POINTS} points [day, value]")
        lines = [f"{key}:", "  type: ramp", "  points:"]
        for i, point in enumerate(points):
            if not isinstance(point, list) or len(point) != 2:
                raise _bad(f"{key}.points[{i}]", "expected [day, value]")
            day = _number(point[0], f"{key}.points[{i}]")
            value = _number(point[1], f"{key}.points[{i}]")
            lines.append(f"    - {{at: {day:.12g} days, value: {value:.12g}}}")
        return lines
    raise _bad(key, f"unknown profile kind {json.dumps(kind)}; allowed: constant, "
                    "natural_history, episode, points")


def _treatment_yaml(course: Mapping, index: int) -> list[str]:
    key = f"treatments[{index}]"
    kind = course.get("type")
    if kind not in (*COURSE_TYPES, "parameter_change"):
        raise _bad(f"{key}.type", f"unknown treatment {json.dumps(kind)}")
    lines = [f"  - type: {kind}"]
    if course.get("label"):
        lines.append(f"    label: {_quoted(course['label'])}")
    lines.append(f"    start: {days_text(_number(course.get('start', 0.0), f'{key}.start'))}")
    if course.get("stop") is not None:
        lines.append(f"    stop: {days_text(_number(course['stop'], f'{key}.stop'))}")
    if kind == "parameter_change":
        name = course.get("parameter")
        lines.append(f"    parameter: {name}")
        if course.get("value") is not None:
            lines.append(f"    value: {_number(course['value'], f'{key}.value'):.10g}")
        else:
            lines.append(f"    scale: {_number(course.get('scale'), f'{key}.scale'):.10g}")
        return lines
    if kind == "neuropathic_medication":
        if course.get("drug") not in DRUGS:
            raise _bad(f"{key}.drug", f"allowed: {', '.join(DRUGS)}")
        lines.append(f"    drug: {course['drug']}")
    if kind in ("nsaid", "neuropathic_medication") and course.get("dose") is not None:
        lines.append(f"    dose: {_number(course['dose'], f'{key}.dose'):.10g} mg/day")
    if kind in ("physical_therapy", "ergonomics"):
        intensity = _number(course.get("intensity", 1.0), f"{key}.intensity")
        lines.append(f"    intensity: {intensity:.10g}")
    adherence = _number(course.get("adherence", 1.0), f"{key}.adherence")
    lines.append(f"    adherence: {adherence:.10g}")
    return lines


def settings_to_yaml(settings: Mapping) -> str:
    """The scenario file of ``settings`` (self-contained: no ``extends``), as text.

    Raises
    ------
    ScenarioError
        For settings of the wrong shape (one problem, source ``<explorer settings>``);
        values are checked when the text is read.
    """
    if not isinstance(settings, Mapping):
        raise _bad("", "expected an object")
    lines = ["# Saved from the lbp-headache explorer. Run it with:",
             "#   lbp-headache run this_file.yaml",
             f"name: {_quoted(settings.get('name') or 'explorer scenario')}"]
    if settings.get("description"):
        lines.append(f"description: {_quoted(settings['description'])}")
    lines.append(f"duration: {days_text(_number(settings.get('duration'), 'duration'))}")
    for key in PROFILE_KEYS:
        profile = settings.get(key, {"kind": "constant", "value": 0.0})
        if not isinstance(profile, Mapping):
            raise _bad(key, "expected a profile object")
        lines += _profile_yaml(key, profile)
    parameters = settings.get("parameters") or {}
    if not isinstance(parameters, Mapping):
        raise _bad("parameters", "expected an object")
    changed = {name: value for name, value in parameters.items()}
    if changed:
        lines.append("parameters:")
        for name, value in changed.items():
            if name not in BY_NAME:
                raise _bad(f"parameters.{name}", "unknown parameter")
            unit = pretty(BY_NAME[name].unit)
            note = f"  # {unit}; default {BY_NAME[name].value:g}" if unit != "1" else \
                f"  # default {BY_NAME[name].value:g}"
            lines.append(f"  {name}: {_number(value, f'parameters.{name}'):.10g}{note}")
    courses = [*(settings.get("treatments") or []), *(settings.get("other_treatments") or [])]
    if len(courses) > MAX_TREATMENTS:
        raise _bad("treatments", f"at most {MAX_TREATMENTS} treatments")
    if courses:
        lines.append("treatments:")
        for i, course in enumerate(courses):
            if not isinstance(course, Mapping):
                raise _bad(f"treatments[{i}]", "expected an object")
            lines += _treatment_yaml(course, i)
    return "\n".join(lines) + "\n"


# --- from a scenario to settings --------------------------------------------------


def _same(a: tuple, b: tuple) -> bool:
    """Two piece lists equal to rounding (a scale read back from a value is not exact)."""
    return len(a) == len(b) and all(
        math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-12) or x == y
        for piece_a, piece_b in zip(a, b) for x, y in zip(piece_a, piece_b))


def profile_settings(profile: Profile) -> dict:
    """The settings form of a profile: the simplest kind that reproduces it exactly."""
    pieces = profile.pieces
    if len(pieces) == 1:
        return {"kind": "constant", "value": pieces[0][2]}
    for course, (_, values) in NATURAL_HISTORY.items():
        scale = pieces[0][2] / values[0]
        if scale > 0 and _same(profiles.natural_history(course, scale).pieces, pieces):
            return {"kind": "natural_history", "course": course, "scale": round(scale, 10)}
    if len(pieces) == 2 and pieces[0][2] == pieces[0][3] and pieces[1][2] == 0.0 \
            and pieces[1][3] == 0.0 and pieces[0][2] > 0:
        return {"kind": "episode", "value": pieces[0][2], "until": pieces[0][1]}
    points: list[list[float]] = []
    for start, end, v0, v1 in pieces:
        if not points or points[-1] != [start, v0]:
            points.append([start, v0])
        if not math.isinf(end):
            points.append([end, v1])
    return {"kind": "points", "points": points}


def _course(treatment: Treatment) -> dict:
    return {"type": treatment.type, "label": treatment.label, "start": treatment.start,
            "stop": None if math.isinf(treatment.stop) else treatment.stop,
            "intensity": treatment.intensity, "adherence": treatment.adherence,
            "dose": treatment.dose, "drug": treatment.drug, "parameter": treatment.parameter,
            "value": treatment.value, "scale": treatment.scale}


def scenario_settings(scenario: Scenario) -> dict:
    """The settings that reproduce ``scenario`` (``initial_state`` is not an explorer control,
    so a scenario with one is refused).

    The first course of each treatment type goes to its toggle; further
    courses and ``parameter_change`` treatments are kept in ``other_treatments``.

    Raises
    ------
    ScenarioError
        If the scenario sets ``initial_state``.
    """
    if scenario.initial_state:
        raise ScenarioError([Problem(scenario.source or SOURCE, None, "initial_state",
                                     "the explorer starts every run healthy; remove "
                                     "initial_state to explore this scenario")])
    toggles: list[dict] = []
    other: list[dict] = []
    seen: set[str] = set()
    for treatment in scenario.treatments:
        if treatment.type in COURSE_TYPES and treatment.type not in seen:
            seen.add(treatment.type)
            toggles.append(_course(treatment))
        else:
            other.append(_course(treatment))
    return {
        "name": scenario.name,
        "description": scenario.description,
        "duration": scenario.duration,
        **{key: profile_settings(getattr(scenario, key)) for key in PROFILE_KEYS},
        "parameters": dict(scenario.parameters),
        "treatments": toggles,
        "other_treatments": other,
    }
