"""Population files: YAML in, a validated :class:`~.spec.PopulationSpec` out.

The schema is documented key by key in ``scenarios/populations/README.md``.
Files are read as strictly as scenarios and sweeps: safe YAML with line
marks, every problem collected and reported as ``FILE:LINE: key: message``
with a did-you-mean suggestion where one helps; values carry units.
"""

from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path

from lbp_headache.core.errors import ScenarioError
from lbp_headache.core.parameters import BY_NAME, NAMES, PARAMETERS
from lbp_headache.core.states import STATES
from lbp_headache.files.input_files import PathPolicy
from lbp_headache.files.problem_collector import (
    MAX_DESCRIPTION_CHARS,
    MAX_TEXT_CHARS,
    ProblemCollector,
    choice,
    in_reading_order,
)
from lbp_headache.files.yaml_source import Mark, YamlList, YamlMap, parse_yaml, read_text
from lbp_headache.population.distributions import FAMILIES, Distribution, from_table
from lbp_headache.population.spec import (
    MEASURES,
    SELECTION_METHODS,
    BackPainInputs,
    Criterion,
    LevelInputs,
    PopulationSpec,
    Selection,
)
from lbp_headache.scenario.profiles import NATURAL_HISTORY, natural_history
from lbp_headache.scenario.reader import load_referenced_scenario

TOP_KEYS = ("name", "description", "scenario", "size", "candidates", "seed", "parameters",
            "inputs", "plausibility", "baseline", "inclusion", "selection", "chunk_size")
PARAMETER_KEYS = ("vary", "fixed", "spreads")
INPUT_KEYS = ("back_pain", "disc_degeneration", "ergonomic_load")
BACK_PAIN_KEYS = ("courses", "scale", "flares")
FLARE_KEYS = ("rate", "weeks", "height")
LEVEL_KEYS = ("scale", "level")
SELECTION_KEYS = ("measure", "method", "target", "categories", "tolerance")
COURSE_NAMES = ("scenario", *NATURAL_HISTORY)
# Keys of a distribution, by family (besides 'distribution', 'low' and 'high').
FAMILY_KEYS = {"fixed": ("value",), "uniform": (), "normal": ("mean", "sd"),
               "lognormal": ("median", "sd_log"), "logitnormal": ("median", "sd_logit")}
DISTRIBUTION_KEYS = ("distribution", "low", "high", *dict.fromkeys(
    k for keys in FAMILY_KEYS.values() for k in keys))
MAX_CANDIDATES = 2_000_000  # candidates simulated per population (a few minutes on 2 cores)
MAX_SIZE = 1_000_000
DEFAULT_CANDIDATE_FACTOR = 5
MIN_BASELINE_DAYS = 7.0


def load_population(path: str | os.PathLike, *,
                    policy: PathPolicy | None = None) -> PopulationSpec:
    """Load and validate a population file.

    Raises
    ------
    ScenarioError
        Holding every problem found, one per line (the file's own first, then
        those of the base scenario).
    """
    display = os.fspath(path)
    text, data = read_text(display, what="population file")
    document = parse_yaml(text, display)
    problems = ProblemCollector()
    values = build(document, display, problems, policy or PathPolicy.for_file(display))
    if problems.items or values is None:
        own = [p for p in problems.items if p.file == display]
        others = [p for p in problems.items if p.file != display]
        raise ScenarioError(in_reading_order(own) + in_reading_order(others))
    return PopulationSpec(**values, source=display, source_hash=hashlib.sha256(data).hexdigest())


def build(doc: YamlMap, source: str, problems: ProblemCollector,
          policy: PathPolicy, *, prefix: str = "") -> dict | None:
    """Check ``doc`` (a population file, or a trial's ``population:`` block at ``prefix``)
    and return keyword arguments for :class:`PopulationSpec` (without source fields)."""
    problems.keys(doc, TOP_KEYS, prefix.rstrip("."))
    values: dict = {"name": Path(source).stem, "description": ""}
    for key in ("name", "description"):
        if key in doc:
            limit = MAX_DESCRIPTION_CHARS if key == "description" else MAX_TEXT_CHARS
            text = problems.text(doc.text_of(key), doc.value_marks[key], prefix + key, limit)
            values[key] = text if text is not None else ""
    scenario = None
    if "scenario" not in doc:
        problems.add(Mark(doc.mark.file, doc.mark.line if prefix else None), prefix + "scenario",
                     "missing required key 'scenario' (the base scenario of every patient, "
                     "e.g. 'scenario: ../persistent_back_pain.yaml')")
    else:
        loaded = load_referenced_scenario(doc["scenario"], doc.value_marks["scenario"],
                                          prefix + "scenario", source, problems, policy,
                                          referrer="population file")
        scenario = loaded[1] if loaded is not None else None
    values["scenario"] = scenario
    size = _whole(doc, "size", None, 10, MAX_SIZE, problems, prefix)
    default_candidates = None if size is None else DEFAULT_CANDIDATE_FACTOR * size
    candidates = _whole(doc, "candidates", default_candidates, 10, MAX_CANDIDATES, problems,
                        prefix)
    if size is not None and candidates is not None and candidates < size:
        problems.add(doc.value_marks.get("candidates", doc.mark), prefix + "candidates",
                     f"{candidates:,} candidates cannot give a population of {size:,}: draw "
                     "at least as many candidates as patients (usually several times more)")
    if size is not None and candidates is not None and candidates > MAX_CANDIDATES:
        candidates = None
    values["size"], values["candidates"] = size, candidates
    values["seed"] = _whole(doc, "seed", 0, 0, 2**63 - 1, problems, prefix)
    values["chunk_size"] = _whole(doc, "chunk_size", 2000, 1, 100_000, problems, prefix)
    values["varying"] = _varying(doc, scenario, problems, prefix)
    inputs = _inputs(doc, scenario, problems, prefix)
    values.update(inputs)
    values["plausibility"] = _plausibility(doc, problems, prefix)
    values["baseline"] = _baseline(doc, scenario, problems, prefix)
    values["inclusion"] = _inclusion(doc, problems, prefix)
    values["selection"] = _selection(doc, problems, prefix)
    values["lines"] = {key: mark.line for key, mark in doc.key_marks.items()
                       if mark.line is not None}
    if problems.items or scenario is None or size is None or candidates is None:
        return None
    return values


# --- small readers --------------------------------------------------------------------------


def _whole(doc: YamlMap, key: str, default: int | None, minimum: int, maximum: int,
           problems: ProblemCollector, prefix: str) -> int | None:
    if key not in doc:
        if default is None:
            problems.add(doc.mark, prefix + key, f"missing required key '{key}'")
        return default
    return problems.whole(doc[key], doc.value_marks[key], prefix + key, minimum, maximum)


def distribution(value: object, mark: Mark, key: str, unit: str, problems: ProblemCollector,
                 *, low: float = -math.inf, high: float = math.inf) -> Distribution | None:
    """A distribution written as a mapping (``{distribution: lognormal, median: 1, sd_log:
    0.3}``) or a plain value (fixed); values in ``unit``, bounds clipped to ``[low, high]``."""
    if not isinstance(value, YamlMap):
        number = problems.quantity(value, unit, mark, key)
        if number is None:
            return None
        if not low <= number <= high:
            problems.add(mark, key, f"{number:g} is outside the allowed range [{low:g}, {high:g}]")
            return None
        return Distribution("fixed", number)
    problems.keys(value, DISTRIBUTION_KEYS, key)
    if "distribution" not in value:
        problems.add(value.mark, f"{key}.distribution",
                     f"missing key 'distribution', one of: {', '.join(FAMILIES)}")
        return None
    family = choice(problems, value["distribution"], FAMILIES, value.value_marks["distribution"],
                    f"{key}.distribution", "distribution")
    if family is None:
        return None
    allowed = ("distribution", "low", "high", *FAMILY_KEYS[family])
    for name in value:
        if name in DISTRIBUTION_KEYS and name not in allowed:
            problems.add(value.key_marks[name], f"{key}.{name}",
                         f"'{name}' does not apply to a {family} distribution; allowed: "
                         f"{', '.join(allowed)}")
    numbers: dict[str, float | None] = {}
    for name in ("low", "high", *FAMILY_KEYS[family]):
        if name in value:
            field_unit = "dimensionless" if name in ("sd_log", "sd_logit") else unit
            numbers[name] = problems.quantity(value[name], field_unit, value.value_marks[name],
                                              f"{key}.{name}")
        elif name in FAMILY_KEYS[family] or (family == "uniform" and name in ("low", "high")):
            problems.add(value.mark, f"{key}.{name}", f"a {family} distribution needs '{name}'")
            numbers[name] = None
    if any(v is None for v in numbers.values()):
        return None
    lo = max(low, numbers.get("low", -math.inf))
    hi = min(high, numbers.get("high", math.inf))
    centre = {"fixed": "value", "uniform": None, "normal": "mean", "lognormal": "median",
              "logitnormal": "median"}[family]
    scale = {"normal": "sd", "lognormal": "sd_log", "logitnormal": "sd_logit"}.get(family)
    try:
        return Distribution(family, numbers[centre] if centre else 0.0,
                            numbers[scale] if scale else 0.0, lo, hi)
    except ValueError as exc:
        problems.add(value.mark, key, str(exc))
        return None


# --- parameters -------------------------------------------------------------------------


def _varying(doc: YamlMap, scenario, problems: ProblemCollector,
             prefix: str) -> tuple[tuple[str, Distribution], ...]:
    """Every parameter that varies: the table's spreads (centred on the scenario's value when
    it overrides one), less ``fixed``, with the ``spreads`` overrides."""
    block = doc.get("parameters")
    key = prefix + "parameters"
    vary = "table"
    fixed: set[str] = set()
    overrides: dict[str, Distribution] = {}
    if block is not None:
        block = problems.mapping(block, doc.value_marks["parameters"], key,
                                 "'parameters: {vary: table, fixed: [gain_central]}'")
    if isinstance(block, YamlMap):
        problems.keys(block, PARAMETER_KEYS, key)
        if "vary" in block:
            vary = choice(problems, block["vary"], ("table", "none"), block.value_marks["vary"],
                          f"{key}.vary", "choice") or "table"
        if "fixed" in block:
            items = problems.sequence(block["fixed"], block.value_marks["fixed"], f"{key}.fixed",
                                      "'fixed: [gain_central, tau_headache]'")
            for i, (item, mark) in enumerate(zip(items or [], getattr(items, "marks", []))):
                name = choice(problems, item, NAMES, mark, f"{key}.fixed[{i}]", "parameter")
                if name is not None:
                    fixed.add(name)
        if "spreads" in block:
            spreads = problems.mapping(block["spreads"], block.value_marks["spreads"],
                                       f"{key}.spreads",
                                       "'spreads: {gain_central: {distribution: lognormal, "
                                       "median: 0.35, sd_log: 0.3}}'")
            for name in spreads or {}:
                where = f"{key}.spreads.{name}"
                if name not in BY_NAME:
                    choice(problems, name, NAMES, spreads.key_marks[name], where, "parameter")
                    continue
                record = BY_NAME[name]
                dist = distribution(spreads[name], spreads.value_marks[name], where,
                                    record.unit, problems, low=record.low, high=record.high)
                if dist is not None:
                    overrides[name] = dist
                if name in fixed:
                    problems.add(spreads.key_marks[name], where,
                                 f"'{name}' is also listed under 'fixed'; give it one or the "
                                 "other")
    base = dict(scenario.parameters) if scenario is not None else {}
    varying = []
    for record in PARAMETERS:
        if record.name in overrides:
            varying.append((record.name, overrides[record.name]))
            continue
        if vary != "table" or record.name in fixed or record.spread is None:
            continue
        table = from_table(record)
        if record.name in base:  # the scenario moves the centre of the spread
            table = Distribution(table.family, base[record.name], table.scale, table.low,
                                 table.high) if table.family != "uniform" else table
        varying.append((record.name, table))
    return tuple(varying)


# --- inputs -------------------------------------------------------------------------------


def _inputs(doc: YamlMap, scenario, problems: ProblemCollector, prefix: str) -> dict:
    key = prefix + "inputs"
    block = doc.get("inputs")
    if block is not None:
        block = problems.mapping(block, doc.value_marks["inputs"], key,
                                 "'inputs: {back_pain: {scale: {distribution: lognormal, "
                                 "median: 1, sd_log: 0.3}}}'")
    block = block if isinstance(block, YamlMap) else YamlMap(doc.mark)
    problems.keys(block, INPUT_KEYS, key)
    values = {"back_pain": _back_pain(block, scenario, problems, key)}
    for name in ("disc_degeneration", "ergonomic_load"):
        values[name] = _level(block, name, problems, key)
    return values


def _back_pain(block: YamlMap, scenario, problems: ProblemCollector, key: str) -> BackPainInputs:
    where = f"{key}.back_pain"
    own = scenario.lumbar_pain if scenario is not None else natural_history("persistent")
    default = BackPainInputs((("scenario", own),), (1.0,), Distribution("fixed", 1.0))
    raw = block.get("back_pain")
    if raw is None:
        return default
    raw = problems.mapping(raw, block.value_marks["back_pain"], where,
                           "'back_pain: {courses: {persistent: 0.7, acute_recovering: 0.3}}'")
    if raw is None:
        return default
    problems.keys(raw, BACK_PAIN_KEYS, where)
    courses, shares = default.courses, default.shares
    if "courses" in raw:
        table = problems.mapping(raw["courses"], raw.value_marks["courses"], f"{where}.courses",
                                 "'courses: {persistent: 0.7, acute_recovering: 0.3}'")
        if table is not None:
            named, weights = [], []
            for name in table:
                course = choice(problems, name, COURSE_NAMES, table.key_marks[name],
                                f"{where}.courses.{name}", "course")
                share = problems.number(table[name], table.value_marks[name],
                                        f"{where}.courses.{name}", 0.0, 1.0)
                if course is not None and share is not None:
                    named.append((course, own if course == "scenario"
                                  else natural_history(course)))
                    weights.append(share)
            if named and abs(sum(weights) - 1.0) > 1e-9:
                problems.add(raw.value_marks["courses"], f"{where}.courses",
                             f"the shares add up to {sum(weights):g}; they must add up to 1")
            elif named:
                courses, shares = tuple(named), tuple(weights)
    scale = default.scale
    if "scale" in raw:
        scale = distribution(raw["scale"], raw.value_marks["scale"], f"{where}.scale",
                             "dimensionless", problems, low=0.0, high=10.0) or scale
    flare_rate, flare_weeks, flare_height = 0.0, 1, Distribution("fixed", 0.0)
    if "flares" in raw:
        flares = problems.mapping(raw["flares"], raw.value_marks["flares"], f"{where}.flares",
                                  "'flares: {rate: 1.3 / year, weeks: 1, height: 2}'")
        if flares is not None:
            problems.keys(flares, FLARE_KEYS, f"{where}.flares")
            if "rate" not in flares:
                problems.add(flares.mark, f"{where}.flares.rate",
                             "missing key 'rate' (flares per year, e.g. '1.3 / year')")
            else:
                rate = problems.quantity(flares["rate"], "1/day", flares.value_marks["rate"],
                                         f"{where}.flares.rate",
                                         hint="write a rate such as '1.3 / year'")
                if rate is not None and not 0.0 <= rate * 365.25 <= 52.0:
                    problems.add(flares.value_marks["rate"], f"{where}.flares.rate",
                                 f"{rate * 365.25:g} per year is outside 0 to 52 per year")
                elif rate is not None:
                    flare_rate = rate * 365.25
            if "weeks" in flares:
                flare_weeks = problems.whole(flares["weeks"], flares.value_marks["weeks"],
                                             f"{where}.flares.weeks", 1, 26) or 1
            if "height" in flares:
                flare_height = distribution(flares["height"], flares.value_marks["height"],
                                            f"{where}.flares.height", "dimensionless",
                                            problems, low=0.0, high=10.0) or flare_height
    return BackPainInputs(courses, shares, scale, flare_rate, flare_weeks, flare_height)


def _level(block: YamlMap, name: str, problems: ProblemCollector, key: str) -> LevelInputs:
    where = f"{key}.{name}"
    raw = block.get(name)
    if raw is None:
        return LevelInputs()
    raw = problems.mapping(raw, block.value_marks[name], where,
                           f"'{name}: {{level: {{distribution: uniform, low: 0, high: 0.5}}}}'")
    if raw is None:
        return LevelInputs()
    problems.keys(raw, LEVEL_KEYS, where)
    scale, level = LevelInputs().scale, LevelInputs().level
    if "scale" in raw:
        scale = distribution(raw["scale"], raw.value_marks["scale"], f"{where}.scale",
                             "dimensionless", problems, low=0.0, high=10.0) or scale
    if "level" in raw:
        level = distribution(raw["level"], raw.value_marks["level"], f"{where}.level",
                             "dimensionless", problems, low=0.0, high=1.0) or level
    return LevelInputs(scale, level)


# --- plausibility, baseline, inclusion, selection -------------------------------------------


def _plausibility(doc: YamlMap, problems: ProblemCollector,
                  prefix: str) -> tuple[tuple[str, float, float], ...]:
    key = prefix + "plausibility"
    states = {s.name: s for s in STATES}
    bounds = {s.name: (s.low, s.high) for s in STATES}
    if "plausibility" in doc:
        table = problems.mapping(doc["plausibility"], doc.value_marks["plausibility"], key,
                                 "'plausibility: {posture_deviation: {high: 25 deg}}'")
        for name in table or {}:
            where = f"{key}.{name}"
            state = choice(problems, name, tuple(states), table.key_marks[name], where, "state")
            entry = problems.mapping(table[name], table.value_marks[name], where,
                                     "'{low: 0.5, high: 1}'")
            if state is None or entry is None:
                continue
            problems.keys(entry, ("low", "high"), where)
            low, high = bounds[state]
            for side in ("low", "high"):
                if side in entry:
                    value = problems.quantity(entry[side], states[state].unit,
                                              entry.value_marks[side], f"{where}.{side}")
                    if value is not None:
                        low, high = (value, high) if side == "low" else (low, value)
            if not low < high:
                problems.add(table.value_marks[name], where,
                             f"low ({low:g}) must be below high ({high:g})")
            bounds[state] = (low, high)
    return tuple((name, low, high) for name, (low, high) in bounds.items())


def _baseline(doc: YamlMap, scenario, problems: ProblemCollector,
              prefix: str) -> tuple[float, float]:
    key = prefix + "baseline"
    duration = scenario.duration if scenario is not None else math.inf
    end = math.floor(duration + 1e-9) if math.isfinite(duration) else 28.0
    start = max(0.0, end - 28.0)
    if "baseline" in doc:
        block = problems.mapping(doc["baseline"], doc.value_marks["baseline"], key,
                                 "'baseline: {start: 5 months, end: 6 months}'")
        if block is not None:
            problems.keys(block, ("start", "end"), key)
            if "start" in block:
                start = problems.time(block["start"], block.value_marks["start"], f"{key}.start")
            if "end" in block:
                end = problems.time(block["end"], block.value_marks["end"], f"{key}.end",
                                    positive=True)
            if start is not None and end is not None:
                start, end = math.floor(start + 1e-9), math.floor(end + 1e-9)
                mark = block.value_marks.get("end", block.mark)
                if end - start < MIN_BASELINE_DAYS:
                    problems.add(mark, f"{key}.end", f"the baseline window is {end - start:g} "
                                 f"days; it needs at least {MIN_BASELINE_DAYS:g} whole days")
                elif end > duration + 1e-9:
                    problems.add(mark, f"{key}.end", f"ends at day {end:g}, after the end of "
                                 f"the base scenario (day {duration:g})")
    return (float(start or 0.0), float(end or 0.0))


def _inclusion(doc: YamlMap, problems: ProblemCollector, prefix: str) -> tuple[Criterion, ...]:
    key = prefix + "inclusion"
    if "inclusion" not in doc or doc["inclusion"] is None:
        return ()
    items = problems.sequence(doc["inclusion"], doc.value_marks["inclusion"], key,
                              "'- {measure: headache_days, min: 15}'")
    criteria = []
    for i, (item, mark) in enumerate(zip(items or [], getattr(items, "marks", []))):
        where = f"{key}[{i}]"
        entry = problems.mapping(item, mark, where, "'{measure: back_pain, min: 4}'")
        if entry is None:
            continue
        problems.keys(entry, ("measure", "min", "max"), where)
        if "measure" not in entry:
            problems.add(entry.mark, f"{where}.measure",
                         f"missing key 'measure', one of: {', '.join(MEASURES)}")
            continue
        measure = choice(problems, entry["measure"], tuple(MEASURES),
                         entry.value_marks["measure"], f"{where}.measure", "measure")
        low, high = -math.inf, math.inf
        if "min" in entry:
            low = problems.quantity(entry["min"], "dimensionless", entry.value_marks["min"],
                                    f"{where}.min")
        if "max" in entry:
            high = problems.quantity(entry["max"], "dimensionless", entry.value_marks["max"],
                                     f"{where}.max")
        if "min" not in entry and "max" not in entry:
            problems.add(entry.mark, where, "give 'min', 'max' or both")
            continue
        if measure is None or low is None or high is None:
            continue
        if not low <= high:
            problems.add(entry.mark, where, f"min ({low:g}) is above max ({high:g}): nobody "
                         "could meet this criterion")
            continue
        criteria.append(Criterion(measure, low, high, mark.line))
    return tuple(criteria)


def _selection(doc: YamlMap, problems: ProblemCollector, prefix: str) -> Selection | None:
    key = prefix + "selection"
    if "selection" not in doc or doc["selection"] is None:
        return None
    block = problems.mapping(doc["selection"], doc.value_marks["selection"], key,
                             "'selection: {measure: headache_days, method: prevalence, "
                             "target: {distribution: normal, mean: 20, sd: 5}}'")
    if block is None:
        return None
    problems.keys(block, SELECTION_KEYS, key)
    measure = method = None
    for name, choices in (("measure", tuple(MEASURES)), ("method", SELECTION_METHODS)):
        if name not in block:
            problems.add(block.mark, f"{key}.{name}",
                         f"missing key '{name}', one of: {', '.join(choices)}")
        else:
            found = choice(problems, block[name], choices, block.value_marks[name],
                           f"{key}.{name}", name)
            measure, method = (found, method) if name == "measure" else (measure, found)
    tolerance = 0.05
    if "tolerance" in block:
        tolerance = problems.number(block["tolerance"], block.value_marks["tolerance"],
                                    f"{key}.tolerance", 0.0, 1.0) or tolerance
    target, categories = None, ()
    if method == "prevalence":
        if "categories" in block:
            problems.add(block.key_marks["categories"], f"{key}.categories",
                         "'categories' goes with method 'category_shares'; prevalence "
                         "selection takes a 'target' distribution")
        if "target" not in block:
            problems.add(block.mark, f"{key}.target", "prevalence selection needs 'target', a "
                         "distribution (e.g. '{distribution: normal, mean: 20, sd: 5}')")
        else:
            target = distribution(block["target"], block.value_marks["target"],
                                  f"{key}.target", "dimensionless", problems)
            if target is not None and target.is_point:
                problems.add(block.value_marks["target"], f"{key}.target",
                             "the target must be a spread-out distribution, not one value")
                target = None
    elif method == "category_shares":
        categories = _categories(block, problems, key)
    if measure is None or method is None or (target is None and not categories):
        return None
    return Selection(measure, method, target, categories, tolerance)


def _categories(block: YamlMap, problems: ProblemCollector, key: str) -> tuple:
    if "target" in block:
        problems.add(block.key_marks["target"], f"{key}.target",
                     "'target' goes with method 'prevalence'; category_shares takes "
                     "'categories'")
    if "categories" not in block:
        problems.add(block.mark, f"{key}.categories", "category_shares needs 'categories', "
                     "e.g. '- {low: 0, high: 4, share: 0.5}'")
        return ()
    items = problems.sequence(block["categories"], block.value_marks["categories"],
                              f"{key}.categories", "'- {low: 0, high: 4, share: 0.5}'")
    if not isinstance(items, YamlList):
        return ()
    found = []
    for i, (item, mark) in enumerate(zip(items, items.marks)):
        where = f"{key}.categories[{i}]"
        entry = problems.mapping(item, mark, where, "'{low: 0, high: 4, share: 0.5}'")
        if entry is None:
            continue
        problems.keys(entry, ("low", "high", "share"), where)
        numbers = {}
        for name in ("low", "high", "share"):
            if name not in entry:
                problems.add(entry.mark, f"{where}.{name}", f"missing key '{name}'")
                numbers[name] = None
            else:
                numbers[name] = problems.quantity(entry[name], "dimensionless",
                                                  entry.value_marks[name], f"{where}.{name}")
        if any(v is None for v in numbers.values()):
            continue
        if not numbers["low"] < numbers["high"] or not 0.0 <= numbers["share"] <= 1.0:
            problems.add(entry.mark, where, "need low < high and a share between 0 and 1")
            continue
        found.append(((numbers["low"], numbers["high"]), numbers["share"]))
    if found and abs(sum(share for _, share in found) - 1.0) > 1e-6:
        problems.add(block.value_marks["categories"], f"{key}.categories",
                     f"the shares add up to {sum(share for _, share in found):g}; they must "
                     "add up to 1")
        return ()
    ranges = sorted(bounds for bounds, _ in found)
    for (a, b), (c, _) in zip(ranges, ranges[1:]):
        if c < b:
            problems.add(block.value_marks["categories"], f"{key}.categories",
                         f"categories [{a:g}, {b:g}) and [{c:g}, ...) overlap")
            return ()
    return tuple(found)
