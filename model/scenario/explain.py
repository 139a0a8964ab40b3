"""How a scenario file was read: every time, value and dose as the model will use it.

:func:`resolved_scenario` gives the resolved scenario as JSON-ready data (it
goes into ``summary.json``); :func:`explain_lines` gives the same as text for
``lbp-headache validate --explain``. Times are shown in days, the unit the
model runs in, and in calendar units (a calendar month is a year / 12 =
30.4375 days, as pint defines it: :mod:`lbp_headache.core.calendar`), so a
student sees that a bare ``start: 2`` means day 2.
"""

from __future__ import annotations

import math

from lbp_headache.core.calendar import CALENDAR_MONTH_DAYS, DAYS_PER_WEEK, DAYS_PER_YEAR
from lbp_headache.core.parameters import BY_NAME
from lbp_headache.core.states import STATES
from lbp_headache.core.units import pretty
from lbp_headache.scenario.profiles import Profile
from lbp_headache.scenario.record import Scenario
from lbp_headache.scenario.treatments import Treatment

MAX_LISTED_PIECES = 12  # per profile in the text form (the JSON form lists them all)
PROFILE_UNITS = {"lumbar_pain": "0-10 rating", "disc_degeneration": "0-1",
                 "ergonomic_load": "0-1"}


def calendar(days: float) -> str:
    """``days`` in the calendar unit that reads best (``182.625`` -> ``6 months``)."""
    if math.isinf(days):
        return "the end of the run"
    if days < 1.0 and days != 0.0:
        return f"{days * 24:.4g} hours"
    if days < 14.0:
        return f"{days:.4g} days"
    if days < 60.0:
        return f"{days / DAYS_PER_WEEK:.4g} weeks"
    if days < 2 * DAYS_PER_YEAR:
        return f"{days / CALENDAR_MONTH_DAYS:.4g} months"
    return f"{days / DAYS_PER_YEAR:.4g} years"


def when(days: float) -> str:
    """``day 182.625 (6 months)``; ``day 3`` (no calendar form when it is in days)."""
    if math.isinf(days):
        return "the end of the run"
    return f"day {days:.10g}" + _in_calendar(days)


def span(days: float) -> str:
    """``182.625 days (6 months)``; ``1 day``."""
    return f"{days:.10g} day{'' if days == 1 else 's'}" + _in_calendar(days)


def _in_calendar(days: float) -> str:
    text = calendar(days)
    return "" if text.endswith(" days") else f" ({text})"


def _profile(profile: Profile) -> list[dict]:
    return [{"from_day": start, "to_day": None if math.isinf(end) else end,
             "value_from": v0, "value_to": v1} for start, end, v0, v1 in profile.pieces]


def _treatment(treatment: Treatment) -> dict:
    record: dict = {"type": treatment.type, "label": treatment.display_name,
                    "start_day": treatment.start,
                    "stop_day": None if math.isinf(treatment.stop) else treatment.stop}
    if treatment.type == "parameter_change":
        record["parameter"] = treatment.parameter
        if treatment.value is not None:
            record["value"] = treatment.value
            record["unit"] = BY_NAME[treatment.parameter].unit
        else:
            record["scale"] = treatment.scale
        return record
    record["adherence"] = treatment.adherence
    if treatment.type in ("physical_therapy", "ergonomics"):
        record["intensity"] = treatment.intensity
    if treatment.type in ("nsaid", "neuropathic_medication"):
        record["dose_mg_per_day"] = treatment.dose  # None: the standard dose
    if treatment.drug:
        record["drug"] = treatment.drug
    return record


def resolved_scenario(scenario: Scenario) -> dict:
    """The scenario as the model reads it, in canonical units (days, mg/day, table units)."""
    return {
        "name": scenario.name,
        "duration_days": scenario.duration,
        "output_step_days": scenario.output_step,
        "seed": scenario.seed,
        "profiles": {name: _profile(getattr(scenario, name)) for name in PROFILE_UNITS},
        "treatments": [_treatment(t) for t in scenario.treatments],
        "parameters": {name: {"value": value, "unit": BY_NAME[name].unit}
                       for name, value in scenario.parameters.items()},
        "initial_state": dict(scenario.initial_state),
    }


def _profile_lines(name: str, profile: Profile) -> list[str]:
    pieces = profile.pieces
    if len(pieces) == 1:
        return [f"  {name}: {pieces[0][2]:g} throughout ({PROFILE_UNITS[name]})"]
    lines = [f"  {name} ({PROFILE_UNITS[name]}), {len(pieces)} pieces:"]
    for start, end, v0, v1 in pieces[:MAX_LISTED_PIECES]:
        span = f"from {when(start)}" + ("" if math.isinf(end) else f" to {when(end)}")
        shape = f"{v0:g}" if v0 == v1 else f"{v0:g} -> {v1:g} (a straight line)"
        lines.append(f"    {span}: {shape}")
    if len(pieces) > MAX_LISTED_PIECES:
        lines.append(f"    ... and {len(pieces) - MAX_LISTED_PIECES} more pieces "
                     "(summary.json lists them all)")
    return lines


def _treatment_line(index: int, treatment: Treatment) -> str:
    record = _treatment(treatment)
    stop = "the end of the run" if record["stop_day"] is None else when(treatment.stop)
    parts = [f"  treatments[{index}]: {treatment.type}",
             f"from {when(treatment.start)} up to (not including) {stop}"]
    if treatment.type == "parameter_change":
        if treatment.value is not None:
            unit = pretty(BY_NAME[treatment.parameter].unit)
            parts.append(f"{treatment.parameter} = {treatment.value:g} {unit}".rstrip())
        else:
            parts.append(f"{treatment.parameter} x {treatment.scale:g}")
    else:
        if "intensity" in record:
            parts.append(f"intensity {treatment.intensity:g}")
        parts.append(f"adherence {treatment.adherence:g}")
        if treatment.drug:
            parts.append(f"drug {treatment.drug}")
        if "dose_mg_per_day" in record:
            parts.append("the standard dose" if treatment.dose is None
                         else f"dose {treatment.dose:g} mg/day")
    return ", ".join(parts)


def explain_lines(scenario: Scenario) -> list[str]:
    """How ``scenario`` was read, as lines of text (see the module docstring)."""
    lines = [f"{scenario.source or scenario.name}: read as",
             f"  name: {scenario.name}",
             f"  duration: {span(scenario.duration)}",
             f"  output_step: {span(scenario.output_step)}",
             f"  seed: {scenario.seed}"]
    for name in PROFILE_UNITS:
        lines += _profile_lines(name, getattr(scenario, name))
    if not scenario.treatments:
        lines.append("  treatments: none")
    lines += [_treatment_line(i, t) for i, t in enumerate(scenario.treatments)]
    for name, value in scenario.parameters.items():
        record = BY_NAME[name]
        unit = pretty(record.unit)
        lines.append(f"  parameters.{name}: {value:g} {unit if unit != '1' else ''}".rstrip()
                     + f" (table value {record.value:g})")
    units = {state.name: pretty(state.unit) for state in STATES}
    for name, value in scenario.initial_state.items():
        unit = units[name] if units[name] != "1" else ""
        lines.append(f"  initial_state.{name}: {value:g} {unit}".rstrip())
    return lines
