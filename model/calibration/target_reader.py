"""Target files: YAML in, a validated :class:`~.targets.TargetSet` out.

The schema is written at the top of ``calibration/targets.yaml`` and in
``docs/calibration.md``. Files are read as strictly as every other input:
safe YAML with line marks, every problem collected and reported as
``FILE:LINE: key: message`` with a did-you-mean suggestion where one helps.
"""

from __future__ import annotations

import hashlib
import math
import os
import re

from lbp_headache.calibration.targets import (
    INTERVAL_KINDS,
    METRICS,
    PRODUCERS,
    STATUSES,
    ProducedBy,
    Target,
    TargetSet,
)
from lbp_headache.calibration.units import convert
from lbp_headache.core.errors import ScenarioError, UnitError
from lbp_headache.core.parameters import BY_NAME
from lbp_headache.core.states import STATES
from lbp_headache.core.suggestions import suggest
from lbp_headache.engine.result import COLUMNS
from lbp_headache.files.bundled import bundled_names
from lbp_headache.files.problem_collector import (
    MAX_DESCRIPTION_CHARS,
    ProblemCollector,
    choice,
    in_reading_order,
)
from lbp_headache.files.yaml_source import (
    AmbiguousScalar,
    Mark,
    YamlList,
    YamlMap,
    parse_yaml,
    read_text,
)
from lbp_headache.population.spec import MEASURES
from lbp_headache.trial.spec import ENDPOINTS

TOP_KEYS = ("name", "approximate_tolerance", "targets")
ENTRY_KEYS = ("id", "quantity", "figure", "value", "interval", "interval_kind", "unit",
              "source", "produced_by", "status", "reason")
ID_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
MAX_TARGETS = 1000
# The parts of a trial arm's change (lbp_headache.trial.runner.decomposition).
PARTS = ("natural_course", "regression_to_the_mean", "expectation", "dropout", "specific")
TIME_OPTIONS = ("at", "after", "early")
NEEDS_INTERVAL = ("95% CI", "range", "one-sided")
NEEDS_VALUE = ("95% CI", "approximate", "exact")
KIND_FOLDER = {"scenario": "scenario", "population": "population", "trial": "trial"}


def load_targets(path: str | os.PathLike) -> TargetSet:
    """Load and validate a targets file.

    Raises
    ------
    ScenarioError
        Every problem found, one per line.
    """
    display = os.fspath(path)
    text, data = read_text(display, what="targets file")
    doc = parse_yaml(text, display)
    problems = ProblemCollector()
    problems.keys(doc, TOP_KEYS, "")
    name = "targets"
    if "name" in doc:
        name = problems.text(doc.text_of("name"), doc.value_marks["name"], "name") or name
    tolerance = 0.0
    if "approximate_tolerance" in doc:
        tolerance = problems.number(doc["approximate_tolerance"],
                                    doc.value_marks["approximate_tolerance"],
                                    "approximate_tolerance", 0.0, 1.0)
    targets = _targets(doc, tolerance, problems)
    if problems.items:
        raise ScenarioError(in_reading_order(problems.items))
    return TargetSet(name, display, hashlib.sha256(data).hexdigest(), tolerance or 0.0,
                     tuple(targets))


def _targets(doc: YamlMap, tolerance: float | None,
             problems: ProblemCollector) -> list[Target]:
    if "targets" not in doc:
        problems.add(Mark(doc.mark.file, None), "targets", "missing required key 'targets' "
                     "(a list of '- {id: ..., value: ..., source: ...}' entries)")
        return []
    items = problems.sequence(doc["targets"], doc.value_marks["targets"], "targets",
                              "'- {id: il6_healthy, value: 5.2, ...}'")
    if items is None:
        return []
    if len(items) > MAX_TARGETS:
        problems.add(doc.value_marks["targets"], "targets",
                     f"{len(items):,} targets; at most {MAX_TARGETS:,}")
        return []
    found: list[Target] = []
    seen: dict[str, int | None] = {}
    for i, (item, mark) in enumerate(zip(items, items.marks)):
        where = f"targets[{i}]"
        entry = problems.mapping(item, mark, where, "'{id: ..., value: ..., source: ...}'")
        if entry is None:
            continue
        before = len(problems.items)
        target = _target(entry, where, tolerance, problems)
        if target is None or len(problems.items) > before:
            continue
        if target.id in seen:
            problems.add(entry.value_marks["id"], f"{where}.id", f"'{target.id}' is already "
                         f"the id of the target on line {seen[target.id]}")
            continue
        seen[target.id] = target.line
        found.append(target)
    return found


def _required(entry: YamlMap, key: str, where: str, problems: ProblemCollector,
              hint: str) -> bool:
    if key in entry:
        return True
    problems.add(entry.mark, f"{where}.{key}", f"missing required key '{key}' ({hint})")
    return False


def _text(entry: YamlMap, key: str, where: str, problems: ProblemCollector) -> str | None:
    return problems.text(entry.text_of(key), entry.value_marks[key], f"{where}.{key}",
                         MAX_DESCRIPTION_CHARS)


def _plain_number(value: object, mark: Mark, key: str, problems: ProblemCollector,
                  infinite: bool = False) -> float | None:
    if isinstance(value, AmbiguousScalar):
        problems.add(mark, key, value.message)
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or \
            (not infinite and not math.isfinite(value)):
        problems.add(mark, key, f"expected a number, got {value!r}")
        return None
    return float(value)


def _target(entry: YamlMap, where: str, tolerance: float | None,
            problems: ProblemCollector) -> Target | None:
    problems.keys(entry, ENTRY_KEYS, where)
    texts: dict[str, str | None] = {}
    for key, hint in (("id", "a snake_case name"), ("quantity", "what the figure measures"),
                      ("unit", "e.g. '%', 'pg/mL', 'days per month'"),
                      ("interval_kind", ", ".join(INTERVAL_KINDS)),
                      ("status", ", ".join(STATUSES)), ("reason", "one line: why that status"),
                      ("source", "the citation as science.md gives it")):
        texts[key] = None
        if _required(entry, key, where, problems, hint) and key != "source":
            texts[key] = _text(entry, key, where, problems)
    figure = _text(entry, "figure", where, problems) if "figure" in entry else ""
    if texts["id"] is not None and not ID_PATTERN.fullmatch(texts["id"]):
        problems.add(entry.value_marks["id"], f"{where}.id", f"'{texts['id']}' is not "
                     "snake_case (lower-case letters, digits and '_', a letter first)")
    kind = status = None
    if texts["interval_kind"] is not None:
        kind = choice(problems, texts["interval_kind"], INTERVAL_KINDS,
                      entry.value_marks["interval_kind"], f"{where}.interval_kind",
                      "interval kind")
    if texts["status"] is not None:
        status = choice(problems, texts["status"], STATUSES, entry.value_marks["status"],
                        f"{where}.status", "status")
    sources = _sources(entry, where, problems) if "source" in entry else None
    value = None
    if "value" in entry:
        value = _plain_number(entry["value"], entry.value_marks["value"], f"{where}.value",
                              problems)
    low, high = _interval(entry, where, kind, value, tolerance, problems)
    produced = None
    if "produced_by" in entry:
        if status == "not_computable":
            problems.add(entry.key_marks["produced_by"], f"{where}.produced_by",
                         "a not_computable target names nothing that produces it; remove "
                         "'produced_by' or change the status")
        else:
            produced = _produced_by(entry, where, problems)
    elif status in ("emergent", "by_construction"):
        problems.add(entry.mark, f"{where}.produced_by", f"an {status} target needs "
                     "'produced_by' (e.g. '{scenario: healthy, metric: state_at, state: il6, "
                     "at: 12 months}'), or the status not_computable")
    if kind == "qualitative" and status in ("emergent", "by_construction"):
        problems.add(entry.value_marks["interval_kind"], f"{where}.interval_kind",
                     "a qualitative figure has no number to compare with: its status is "
                     "not_computable")
    if produced is not None and texts["unit"] is not None:
        _check_unit(produced, texts["unit"], entry.value_marks["unit"], f"{where}.unit",
                    problems)
    if None in (texts["id"], texts["quantity"], texts["unit"], texts["reason"], kind, status,
                sources, figure):
        return None
    return Target(texts["id"], texts["quantity"], figure, value, low, high, kind,
                  texts["unit"], sources, produced, status, texts["reason"],
                  entry.key_marks["id"].line)


def _sources(entry: YamlMap, where: str, problems: ProblemCollector) -> tuple[str, ...] | None:
    value = entry["source"]
    if isinstance(value, YamlList):
        found = [problems.text(item, mark, f"{where}.source[{k}]", MAX_DESCRIPTION_CHARS)
                 for k, (item, mark) in enumerate(zip(value, value.marks))]
        if not found:
            problems.add(entry.value_marks["source"], f"{where}.source", "the list is empty")
            return None
        return None if None in found else tuple(found)
    text = _text(entry, "source", where, problems)
    return None if text is None else (text,)


def _interval(entry: YamlMap, where: str, kind: str | None, value: float | None,
              tolerance: float | None, problems: ProblemCollector
              ) -> tuple[float | None, float | None]:
    key = f"{where}.interval"
    if kind in NEEDS_VALUE and value is None and "value" not in entry:
        problems.add(entry.mark, f"{where}.value", f"an '{kind}' figure needs 'value'")
    if "interval" not in entry:
        if kind in NEEDS_INTERVAL:
            problems.add(entry.mark, key, f"missing 'interval: [low, high]' (the {kind} "
                         "as published)")
        if kind == "approximate" and value is not None and tolerance is not None:
            spread = abs(value) * tolerance
            return value - spread, value + spread
        if kind == "exact" and value is not None:
            return value, value
        return None, None
    mark = entry.value_marks["interval"]
    if kind in ("approximate", "exact", "qualitative"):
        problems.add(mark, key, f"an {kind} figure has no published interval: remove it"
                     + (" (the file's approximate_tolerance sets one)"
                        if kind == "approximate" else ""))
        return None, None
    items = entry["interval"]
    if not isinstance(items, YamlList) or len(items) != 2:
        problems.add(mark, key, "expected '[low, high]'")
        return None, None
    low, high = (_plain_number(item, item_mark, key, problems, infinite=True)
                 for item, item_mark in zip(items, items.marks))
    if low is None or high is None:
        return None, None
    if low > high:
        problems.add(mark, key, f"low {low:g} is above high {high:g}")
        return None, None
    if value is not None and not low <= value <= high:
        problems.add(mark, key, f"the value {value:g} lies outside [{low:g}, {high:g}]")
        return None, None
    return low, high


def _produced_by(entry: YamlMap, where: str, problems: ProblemCollector) -> ProducedBy | None:
    where = f"{where}.produced_by"
    block = problems.mapping(entry["produced_by"], entry.value_marks["produced_by"], where,
                             "'{trial: manual_therapy_ctth, metric: endpoint, ...}'")
    if block is None:
        return None
    kinds = [k for k in PRODUCERS if k in block]
    if len(kinds) != 1:
        problems.add(block.mark, where, "name exactly one of " + ", ".join(PRODUCERS)
                     + (f" (found {', '.join(kinds)})" if kinds else ""))
        return None
    kind = kinds[0]
    if "metric" not in block:
        problems.add(block.mark, f"{where}.metric", "missing required key 'metric' (one of "
                     + ", ".join(m for m, info in METRICS.items() if info.producer == kind)
                     + ")")
        return None
    metric = choice(problems, block["metric"], tuple(METRICS), block.value_marks["metric"],
                    f"{where}.metric", "metric")
    name = _producer_name(block, kind, where, problems)
    if metric is None:
        return None
    info = METRICS[metric]
    if info.producer != kind:
        problems.add(block.value_marks["metric"], f"{where}.metric",
                     f"'{metric}' reads a {info.producer}, not a {kind}")
        return None
    allowed = (kind, "metric", *info.options, *info.optional,
               *(("compared_with",) if kind == "scenario" else ()))
    problems.keys(block, allowed, where)
    options = {}
    for key in (*info.options, *info.optional):
        if key not in block:
            if key in info.options:
                problems.add(block.mark, f"{where}.{key}", f"the metric '{metric}' needs "
                             f"'{key}'")
            continue
        options[key] = _option(key, block[key], block.value_marks[key], f"{where}.{key}",
                               problems)
    compared = None
    if "compared_with" in block:
        compared = _bundled(block["compared_with"], "scenario", block.value_marks["compared_with"],
                            f"{where}.compared_with", problems)
    if name is None or None in options.values() or ("compared_with" in block and compared is None):
        return None
    return ProducedBy(kind, name, metric, options, compared,
                      entry.value_marks["produced_by"].line)


def _producer_name(block: YamlMap, kind: str, where: str,
                   problems: ProblemCollector) -> str | None:
    mark, key = block.value_marks[kind], f"{where}.{kind}"
    if kind == "parameter":
        return choice(problems, block[kind], tuple(BY_NAME), mark, key, "parameter")
    return _bundled(block[kind], kind, mark, key, problems)


def _bundled(value: object, kind: str, mark: Mark, key: str,
             problems: ProblemCollector) -> str | None:
    names = bundled_names(KIND_FOLDER[kind])
    if not isinstance(value, str) or value not in names:
        shown = f"'{value}'" if isinstance(value, str) else repr(value)
        hint = suggest(value, names) if isinstance(value, str) else ""
        problems.add(mark, key, f"no bundled {kind} {shown}"
                     + (hint or f"; bundled {kind}s: {', '.join(names)}"))
        return None
    return value


def _option(key: str, value: object, mark: Mark, where: str,
            problems: ProblemCollector) -> object:
    if key in TIME_OPTIONS:
        return problems.time(value, mark, where)
    if key == "state":
        return choice(problems, value, COLUMNS, mark, where, "state")
    if key == "measure":
        return choice(problems, value, tuple(MEASURES), mark, where, "measure")
    if key == "endpoint":
        return choice(problems, value, tuple(ENDPOINTS), mark, where, "endpoint")
    if key == "min":
        return _plain_number(value, mark, where, problems)
    if key == "improvement":
        return problems.number(value, mark, where, 0.0, 1.0)
    if key == "arm":
        return problems.text(value, mark, where)
    if key == "parts":
        items = problems.sequence(value, mark, where, "'[natural_course, specific]'")
        if items is None:
            return None
        parts = [choice(problems, item, PARTS, item_mark, where, "part")
                 for item, item_mark in zip(items, items.marks)]
        return None if None in parts or not parts else tuple(parts)
    if key == "among":
        block = problems.mapping(value, mark, where, "'{measure: headache_days, min: 5}'")
        if block is None:
            return None
        problems.keys(block, ("measure", "min"), where)
        if "measure" not in block or "min" not in block:
            problems.add(block.mark, where, "needs 'measure' and 'min'")
            return None
        measure = choice(problems, block["measure"], tuple(MEASURES),
                         block.value_marks["measure"], f"{where}.measure", "measure")
        low = _plain_number(block["min"], block.value_marks["min"], f"{where}.min", problems)
        return None if measure is None or low is None else (measure, low)
    raise ValueError(f"no reader for option {key!r}")  # a metric's option without a reader


def metric_unit(produced: ProducedBy) -> str:
    """The unit of the value a metric gives (as :mod:`.units` names it)."""
    info = METRICS[produced.metric]
    if info.unit is not None:
        return info.unit
    if produced.metric == "parameter_value":
        return _plain_unit(BY_NAME[produced.name].unit)
    if produced.metric == "state_at":
        state = produced.options["state"]
        if state == "lumbar_pain" or state.startswith("headache"):
            return "points (0-10)"
        return _plain_unit(next(s.unit for s in STATES if s.name == state))
    if produced.metric == "mean_measure":
        measure = produced.options["measure"]
        if measure in ("mean_headache", "back_pain"):
            return "points (0-10)"
        kind = MEASURES[measure][0]
        return {"day": "days per 28 days", "time": "day"}.get(kind, "1")
    endpoint = produced.options["endpoint"]
    return {"headache_days_change": "days per 28 days", "back_pain_change": "points (0-100)",
            "mean_intensity": "points (0-10)"}.get(endpoint, "1")


def _plain_unit(unit: str) -> str:
    return "1" if unit == "dimensionless" else unit


def _check_unit(produced: ProducedBy, unit: str, mark: Mark, key: str,
                problems: ProblemCollector) -> None:
    given = metric_unit(produced)
    try:
        convert(1.0, given, unit)
    except UnitError:
        problems.add(mark, key, f"'{unit}' is not a unit of the metric '{produced.metric}' "
                     f"(it gives {given})")
