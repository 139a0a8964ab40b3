"""Treatments in scenario files: checked against their type and built.

The semantics of treatments (windows, targets, overlap) are written once, in
:mod:`lbp_headache.scenario.treatments`; this module only reads them from YAML.
"""

from __future__ import annotations

import math

from lbp_headache.core.errors import ParameterError
from lbp_headache.core.parameters import BY_NAME, DRUGS, NAMES, check_value
from lbp_headache.files.problem_collector import (
    ProblemCollector,
    below_resolution,
    choice,
    format_range,
    unit_hint,
)
from lbp_headache.files.yaml_source import Mark, YamlMap
from lbp_headache.scenario.treatments import (
    TREATMENT_TYPES,
    Treatment,
    overlapping_parameter_changes,
)

MAX_TREATMENTS = 5_000  # courses in one scenario

TREATMENT_COMMON = ("type", "label", "start", "stop", "duration")
TREATMENT_KEYS = {
    "physical_therapy": ("adherence", "intensity"),
    "ergonomics": ("adherence", "intensity"),
    "nsaid": ("adherence", "dose"),
    "neuropathic_medication": ("adherence", "dose", "drug"),
    "parameter_change": ("parameter", "value", "scale"),
    "placebo": ("adherence",),
    "usual_care": (),
}
ALL_TREATMENT_KEYS = TREATMENT_COMMON + tuple(
    dict.fromkeys(k for keys in TREATMENT_KEYS.values() for k in keys))


# --- treatments ----------------------------------------------------------------


def parse_treatments(doc: YamlMap, duration: float | None, parameters: dict[str, float],
                     problems: ProblemCollector, *, prefix: str = "") -> tuple[Treatment, ...]:
    """The ``treatments`` list of ``doc`` (a scenario, or a trial arm at ``prefix``)."""
    if "treatments" not in doc or doc["treatments"] is None:
        return ()
    items = problems.sequence(doc["treatments"], doc.value_marks["treatments"],
                              f"{prefix}treatments",
                              "'- {type: physical_therapy, start: 6 months}'")
    if items is None:
        return ()
    if len(items) > MAX_TREATMENTS:
        problems.add(doc.value_marks["treatments"], f"{prefix}treatments",
                     f"{len(items):,} treatments; the limit is {MAX_TREATMENTS:,} courses per "
                     "scenario: split the run into shorter scenarios")
        return ()
    built: list[tuple[int, Treatment]] = []
    for i, (item, mark) in enumerate(zip(items, items.marks)):
        where = f"{prefix}treatments[{i}]"
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
        problems.add(raw.value_marks.get("start", raw.mark), f"{prefix}treatments[{j}]",
                     f"overlaps treatments[{i}], which also changes '{first.parameter}'; "
                     "changes of one parameter may not overlap in time")
    return tuple(treatments)


def _treatment(raw: YamlMap, where: str, duration: float | None,
               parameters: dict[str, float], problems: ProblemCollector) -> Treatment | None:
    before = len(problems.items)
    kind = None
    if "type" not in raw:
        problems.add(raw.mark, f"{where}.type",
                     f"missing key 'type'; one of: {', '.join(TREATMENT_TYPES)}")
    else:
        kind = choice(problems, raw["type"], TREATMENT_TYPES, raw.value_marks["type"],
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
        options["label"] = problems.text(raw.text_of("label"), at("label"),
                                         f"{where}.label") or ""
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
        elif stop is not None and start is not None and below_resolution(stop - start):
            problems.add(at("stop"), f"{where}.stop",
                         f"the treatment lasts {stop - start:g} days, less than 1 minute, the "
                         "shortest span the model resolves")
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
            options["drug"] = choice(problems, raw["drug"], DRUGS, at("drug"), f"{where}.drug",
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
                      problems: ProblemCollector) -> dict:
    if "parameter" not in raw:
        problems.add(raw.mark, f"{where}.parameter",
                     "parameter_change needs 'parameter' (a name from the parameter table)")
        return {}
    name = choice(problems, raw["parameter"], NAMES, raw.value_marks["parameter"],
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
                                  hint=unit_hint(name, record.unit))
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
            allowed = format_range(record.low, record.high, record.unit)
            problems.add(mark, f"{where}.scale",
                         f"scale {scale:g} takes '{name}' from {base:g} to {base * scale:g}, "
                         f"outside its plausible range {allowed}")
    return {"parameter": name, "scale": scale}

