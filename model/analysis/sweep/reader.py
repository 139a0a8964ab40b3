"""Sweep specification files: YAML in, a validated :class:`~.spec.SweepSpec` out.

The schema is documented key by key in ``scenarios/sweeps/README.md``. Files
are read as strictly as scenarios (:mod:`lbp_headache.scenario.reader`): safe
YAML with line marks, every problem collected before one
:class:`~lbp_headache.core.errors.ScenarioError` is raised, each rendered as
``FILE:LINE: key: message`` with a did-you-mean suggestion where one helps.
Values carry units (pint) and are converted to the canonical units of the
parameter table.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Sequence
from pathlib import Path

from lbp_headache.analysis.metrics import METRIC_NAMES
from lbp_headache.analysis.sweep.cost import (
    MAX_BOOTSTRAP,
    MAX_BOOTSTRAP_WORK,
    MAX_CHUNK_BYTES,
    MAX_DESIGN_BYTES,
    MAX_SCENARIOS,
    MAX_SETS,
    MAX_TRAJECTORY_BYTES,
    SweepCost,
    sweep_cost,
)
from lbp_headache.analysis.sweep.design import is_power_of_two
from lbp_headache.analysis.sweep.spec import (
    DAY_TOLERANCE,
    DEFAULT_CHUNK_SIZE,
    DEFAULT_OUTPUT,
    DEFAULT_TABLE_BOUNDS,
    DESIGNS,
    LABEL,
    PARAMETER_KEYS,
    SCALES,
    SENSITIVITY_KEYS,
    SENSITIVITY_METHODS,
    TOP_KEYS,
    SensitivitySpec,
    SweepSpec,
    SweptParameter,
    default_levels,
)
from lbp_headache.core.errors import ParameterError, ScenarioError
from lbp_headache.core.parameters import BY_NAME, check_value, unknown_parameter
from lbp_headache.core.suggestions import suggest
from lbp_headache.core.units import DIMENSIONLESS, pretty
from lbp_headache.engine.result import COLUMNS
from lbp_headache.files.input_files import PathPolicy
from lbp_headache.files.problem_collector import (
    MAX_DESCRIPTION_CHARS,
    MAX_TEXT_CHARS,
    ProblemCollector,
    choice,
    in_reading_order,
    unit_hint,
)
from lbp_headache.files.yaml_source import Mark, YamlList, YamlMap, parse_yaml, read_text
from lbp_headache.scenario.reader import load_referenced_scenario
from lbp_headache.scenario.record import Scenario


def load_sweep(path: str | os.PathLike, *, policy: PathPolicy | None = None) -> SweepSpec:
    """Load and validate a sweep specification file.

    Parameters
    ----------
    path
        The YAML file. Problems quote it as given; scenario paths in it are
        relative to its folder.
    policy
        Which files it may name (default :meth:`PathPolicy.for_file`; see
        docs/security.md).

    Returns
    -------
    SweepSpec
        With ``source`` = ``path`` as given and ``source_hash`` = SHA-256 of
        the file's bytes.

    Raises
    ------
    ScenarioError
        Holding every problem found, one per line: in the sweep file first,
        then those of the base scenarios (as :func:`lbp_headache.load_scenario`
        reports them).
    """
    display = os.fspath(path)
    text, data = read_text(display, what="sweep file")
    document = parse_yaml(text, display)
    problems = ProblemCollector()
    values = _build(document, display, problems, policy or PathPolicy.for_file(display))
    spec = None
    if not problems.items and values is not None:
        spec = SweepSpec(**values, source=display, source_hash=hashlib.sha256(data).hexdigest())
        _check_cost(spec, document, problems)
    if problems.items or spec is None:
        own = [p for p in problems.items if p.file == display]
        others = [p for p in problems.items if p.file != display]
        raise ScenarioError(in_reading_order(own) + in_reading_order(others))
    return spec


def _check_cost(spec: SweepSpec, doc: YamlMap, problems: ProblemCollector) -> None:
    """Refuse a sweep beyond the documented bounds, saying how to split it."""
    cost = sweep_cost(spec)
    top = doc.mark
    if len(spec.scenarios) > MAX_SCENARIOS:
        problems.add(doc.value_marks.get("scenarios", top), "scenarios",
                     f"{len(spec.scenarios)} scenarios; the limit is {MAX_SCENARIOS}: split "
                     "the sweep into several files")
    if cost.sets > MAX_SETS:
        problems.add(doc.key_marks.get("parameters", top), "parameters",
                     f"{spec.n_sets:,} sets x {len(spec.scenarios)} scenarios = "
                     f"{cost.sets:,} simulations, more than the limit of {MAX_SETS:,}: use "
                     "fewer sets or scenarios, or split the sweep into several files")
    design_bytes = max(spec.n_sets, cost.sensitivity_sets) * len(spec.parameters) * 8
    if design_bytes > MAX_DESIGN_BYTES:
        problems.add(doc.key_marks.get("parameters", top), "parameters",
                     f"the design ({len(spec.parameters)} parameters x up to "
                     f"{max(spec.n_sets, cost.sensitivity_sets):,} sets) needs "
                     f"{design_bytes / 2**20:,.0f} MiB, more than the limit of "
                     f"{MAX_DESIGN_BYTES / 2**20:,.0f} MiB: sweep fewer parameters or sets")
    if cost.chunk_bytes > MAX_CHUNK_BYTES:
        per_set = cost.chunk_bytes / min(spec.chunk_size, spec.n_sets)
        fits = max(1, int(MAX_CHUNK_BYTES // per_set))
        problems.add(doc.value_marks.get("chunk_size", top), "chunk_size",
                     f"a chunk of {min(spec.chunk_size, spec.n_sets):,} sets needs about "
                     f"{cost.chunk_bytes / 2**20:,.0f} MiB of memory, more than the limit of "
                     f"{MAX_CHUNK_BYTES / 2**20:,.0f} MiB: use 'chunk_size: {fits:,}' or less")
    if cost.trajectory_bytes > MAX_TRAJECTORY_BYTES:
        problems.add(doc.value_marks.get("trajectories", top), "trajectories",
                     f"the trajectories would take {cost.trajectory_bytes / 2**30:,.1f} GiB, "
                     f"more than the limit of {MAX_TRAJECTORY_BYTES / 2**30:,.0f} GiB: record "
                     "fewer variables or sets, or use states_at for a few days")
    if spec.sensitivity is not None:
        _check_sensitivity_cost(spec, cost, doc, problems)


def _check_sensitivity_cost(spec: SweepSpec, cost: SweepCost, doc: YamlMap,
                            problems: ProblemCollector) -> None:
    block = spec.sensitivity
    marks = doc["sensitivity"].value_marks if isinstance(doc.get("sensitivity"), YamlMap) else {}
    top = doc.value_marks.get("sensitivity", doc.mark)
    d = len(spec.parameters)
    if cost.sensitivity_sets > MAX_SETS:
        problems.add(top, "sensitivity", f"the analyses need {cost.sensitivity_sets:,} "
                     f"simulations over {len(spec.scenarios)} scenarios, more than the limit "
                     f"of {MAX_SETS:,}: use fewer sobol_samples or morris_trajectories, or "
                     "fewer scenarios")
    if block.bootstrap > MAX_BOOTSTRAP:
        problems.add(marks.get("bootstrap", top), "sensitivity.bootstrap",
                     f"{block.bootstrap:,} resamples; the limit is {MAX_BOOTSTRAP:,} (1,000 "
                     "already gives intervals to about 1 %)")
        return
    work = {"sobol": block.sobol_samples * (d + 2), "morris": block.morris_trajectories * d}
    for method, rows in work.items():
        if method in block.methods and block.bootstrap * rows > MAX_BOOTSTRAP_WORK:
            fits = max(1, MAX_BOOTSTRAP_WORK // rows)
            problems.add(marks.get("bootstrap", top), "sensitivity.bootstrap",
                         f"{block.bootstrap:,} resamples of {rows:,} {method} rows is "
                         f"{block.bootstrap * rows:,} draws, more than the limit of "
                         f"{MAX_BOOTSTRAP_WORK:,}: use 'bootstrap: {fits:,}' or less")


# --- the sweep file ---------------------------------------------------------------------


def _build(doc: YamlMap, source: str, problems: ProblemCollector,
           policy: PathPolicy) -> dict | None:
    """Check ``doc`` and return keyword arguments for :class:`SweepSpec` (or ``None``)."""
    problems.keys(doc, TOP_KEYS, "")
    values: dict = {"name": Path(source).stem, "description": ""}
    for key in ("name", "description"):
        if key in doc:
            limit = MAX_DESCRIPTION_CHARS if key == "description" else MAX_TEXT_CHARS
            text = problems.text(doc.text_of(key), doc.value_marks[key], key, limit)
            values[key] = text if text is not None else ""

    scenarios, scenarios_ok = _scenarios(doc, source, problems, policy)
    values["scenarios"] = tuple(scenarios)

    design = "grid"
    if "design" in doc:
        design = choice(problems, doc["design"], DESIGNS, doc.value_marks["design"], "design",
                        "design")
    values["design"] = design or "grid"

    values["parameters"] = tuple(_swept(doc, design, problems))
    values["samples"] = _samples(doc, design, values["parameters"], problems)
    values["seed"] = _whole_key(doc, "seed", 0, 0, problems)
    values["chunk_size"] = _whole_key(doc, "chunk_size", DEFAULT_CHUNK_SIZE, 1, problems)

    metrics = METRIC_NAMES
    if "metrics" in doc:
        metrics = _names(doc, "metrics", METRIC_NAMES, "metric",
                         "'metrics: [headache_days_per_month, chronified]'", problems,
                         allow_empty=False)
    values["metrics"] = metrics or ()
    shortest = (min(scenarios, key=lambda item: item[1].duration)
                if scenarios and scenarios_ok else None)
    values["states_at"] = _states_at(doc, shortest, problems)
    trajectories = ()
    if "trajectories" in doc:
        trajectories = _names(doc, "trajectories", COLUMNS, "variable",
                              "'trajectories: [headache, pain_threshold]'", problems,
                              allow_empty=True)
    values["trajectories"] = trajectories or ()
    values["fixed"] = _fixed(doc, problems)
    values["sensitivity"] = _sensitivity(doc, values["parameters"],
                                         metrics if "metrics" in doc else None, problems)
    if problems.items:
        return None
    return values


# --- scenarios -------------------------------------------------------------------------


def _scenarios(doc: YamlMap, source: str, problems: ProblemCollector,
               policy: PathPolicy) -> tuple[list[tuple[str, Scenario]], bool]:
    """Load the base scenarios; return them and whether all of them loaded."""
    if "scenario" in doc and "scenarios" in doc:
        problems.add(doc.key_marks["scenarios"], "scenarios",
                     "give either 'scenario' (one file) or 'scenarios' (a list), not both")
        return [], False
    if "scenario" in doc:
        entries = [(doc["scenario"], doc.value_marks["scenario"], "scenario")]
    elif "scenarios" in doc:
        items = problems.sequence(doc["scenarios"], doc.value_marks["scenarios"], "scenarios",
                                  "'scenarios: [../physical_therapy.yaml, ../duloxetine.yaml]'")
        if items is None:
            return [], False
        if not items:
            problems.add(doc.value_marks["scenarios"], "scenarios",
                         "the list is empty; name at least one scenario file")
            return [], False
        if len(items) > MAX_SCENARIOS:
            problems.add(doc.value_marks["scenarios"], "scenarios",
                         f"{len(items):,} scenarios; the limit is {MAX_SCENARIOS}: split the "
                         "sweep into several files")
            return [], False
        entries = [(item, mark, f"scenarios[{i}]")
                   for i, (item, mark) in enumerate(zip(items, items.marks))]
    else:
        problems.add(Mark(doc.mark.file, None), "scenario",
                     "missing required key 'scenario' (the base scenario file, e.g. "
                     "'scenario: ../persistent_back_pain.yaml') or 'scenarios' (a list of files)")
        return [], False
    loaded: list[tuple[str, Scenario]] = []
    labels: dict[str, int | None] = {}
    complete = True
    for value, mark, key in entries:
        scenario = _scenario(value, mark, key, source, labels, problems, policy)
        if scenario is None:
            complete = False
        else:
            loaded.append(scenario)
    return loaded, complete


def _scenario(value: object, mark: Mark, key: str, source: str, labels: dict[str, int | None],
              problems: ProblemCollector, policy: PathPolicy) -> tuple[str, Scenario] | None:
    """Load one base scenario named in the sweep file; its file name labels the results."""
    loaded = load_referenced_scenario(value, mark, key, source, problems, policy,
                                      referrer="sweep file")
    if loaded is None:
        return None
    target, scenario = loaded
    label = Path(target).stem
    if not LABEL.fullmatch(label):
        problems.add(mark, key, f"the file name '{Path(target).name}' labels the results, so it "
                     "may hold only letters, digits, '_', '-' and '.' (not first)")
        return None
    if label in labels:
        problems.add(mark, key, f"a scenario file named '{Path(target).name}' is already listed "
                     f"(line {labels[label]}); results are labelled by file name, so each "
                     "must be different")
        return None
    labels[label] = mark.line
    return label, scenario


# --- swept parameters -------------------------------------------------------------------


def _swept(doc: YamlMap, design: str | None,
           problems: ProblemCollector) -> list[SweptParameter]:
    """The swept parameters, grid levels resolved."""
    if "parameters" not in doc:
        problems.add(Mark(doc.mark.file, None), "parameters",
                     "missing required key 'parameters' (the parameters to sweep, e.g. "
                     "'parameters: {posture_chain_stiffness: {low: 0.5, high: 2}}')")
        return []
    mark = doc.value_marks["parameters"]
    table = problems.mapping(doc["parameters"], mark, "parameters",
                             "'parameters: {posture_chain_stiffness: {low: 0.5, high: 2}}'")
    if table is None:
        return []
    if not table:
        problems.add(mark, "parameters", "no parameters to sweep; name at least one, e.g. "
                     "'parameters: {posture_chain_stiffness: default}'")
        return []
    before = len(problems.items)
    swept: list[dict] = []
    for name, entry in table.items():
        parsed = _swept_parameter(name, entry, table, design, problems)
        if parsed is not None:
            swept.append(parsed)
    if design != "grid":
        return [SweptParameter(**fields) for fields in swept]
    default = default_levels(len(table))
    for fields in swept:
        fields["levels"] = fields["levels"] or default
    if len(problems.items) == before:
        levels = [fields["levels"] for fields in swept]
        count = math.prod(levels)
        if count > MAX_SETS:
            problems.add(doc.key_marks["parameters"], "parameters",
                         f"the grid has {_product_text(levels)} sets, more than the limit "
                         f"of {MAX_SETS:,}; use fewer levels, or a sampling design "
                         "('design: latin_hypercube' with 'samples')")
    return [SweptParameter(**fields) for fields in swept]


def _swept_parameter(name: str, entry: object, table: YamlMap, design: str | None,
                     problems: ProblemCollector) -> dict | None:
    """Fields of one :class:`SweptParameter` (``levels`` ``None`` when not given)."""
    key, mark = f"parameters.{name}", table.value_marks[name]
    if name not in BY_NAME:
        problems.add(table.key_marks[name], key,
                     unknown_parameter(name))
        return None
    record = BY_NAME[name]
    if entry is None or entry == DEFAULT_TABLE_BOUNDS:
        entry = YamlMap(mark)
    if not isinstance(entry, YamlMap):
        problems.add(mark, key, "expected a mapping such as '{low: 0.5, high: 2, levels: 21}', "
                     "'{}' or 'default' (the table's range); to hold a parameter at one value, "
                     "list it under 'fixed'")
        return None
    before = len(problems.items)
    problems.keys(entry, PARAMETER_KEYS, key)
    low = _bound(entry, "low", record.low, key, name, problems)
    high = _bound(entry, "high", record.high, key, name, problems)
    scale = "linear"
    if "scale" in entry:
        scale = choice(problems, entry["scale"], SCALES, entry.value_marks["scale"],
                       f"{key}.scale", "scale")
    levels = None
    if "levels" in entry:
        levels_mark = entry.value_marks["levels"]
        if design is not None and design != "grid":
            problems.add(levels_mark, f"{key}.levels",
                         f"'levels' applies only to 'design: grid'; design '{design}' draws "
                         "'samples' sets within the bounds")
        else:
            levels = _whole(entry["levels"], levels_mark, f"{key}.levels", 2, problems)
    if low is not None and high is not None:
        suffix = _unit_suffix(record.unit)
        if low >= high:
            where = entry.value_marks.get("high", entry.value_marks.get("low", mark))
            problems.add(where, key, f"low ({low:g}{suffix}) must be below high "
                         f"({high:g}{suffix})")
        elif scale == "log" and low <= 0:
            source = "low" if "low" in entry else f"the table's low of '{name}'"
            problems.add(entry.value_marks["scale"], f"{key}.scale",
                         f"a log scale needs low > 0, but {source} is {low:g}{suffix}; "
                         "give a positive 'low' or use 'scale: linear'")
    if len(problems.items) > before:
        return None
    return {"name": name, "low": low, "high": high, "scale": scale, "levels": levels}


def _bound(entry: YamlMap, which: str, default: float, key: str, name: str,
           problems: ProblemCollector) -> float | None:
    """``low`` or ``high`` in the table unit, within the plausible range (or the default)."""
    if which not in entry:
        return default
    record = BY_NAME[name]
    mark = entry.value_marks[which]
    number = problems.quantity(entry[which], record.unit, mark, f"{key}.{which}",
                               hint=unit_hint(name, record.unit))
    if number is None:
        return None
    try:
        check_value(name, number)
    except ParameterError as exc:
        problems.add(mark, f"{key}.{which}", str(exc))
        return None
    return number


def _product_text(levels: Sequence[int]) -> str:
    count = f"{math.prod(levels):,}"
    return count if len(levels) == 1 else f"{' x '.join(map(str, levels))} = {count}"


def _unit_suffix(unit: str) -> str:
    return "" if unit == DIMENSIONLESS else f" {pretty(unit)}"


# --- samples and whole numbers ------------------------------------------------------------


def _samples(doc: YamlMap, design: str | None, parameters: Sequence[SweptParameter],
             problems: ProblemCollector) -> int | None:
    """``samples`` of a sampling design; an error for a grid (its size is the levels')."""
    if design == "grid":
        if "samples" in doc:
            levels = [p.levels for p in parameters]
            size = (f" ({_product_text(levels)})" if levels and None not in levels else "")
            problems.add(doc.value_marks["samples"], "samples",
                         "'samples' does not apply to 'design: grid': the number of sets is "
                         f"the product of the parameters' levels{size}; remove 'samples', "
                         "or choose a sampling design such as 'design: latin_hypercube'")
        return None
    if design is None:
        # The design is wrong (reported already); a wrong number is reported now, not after
        # the design is fixed.
        if "samples" in doc:
            _whole(doc["samples"], doc.value_marks["samples"], "samples", 1, problems)
        return None
    if "samples" not in doc:
        problems.add(doc.value_marks["design"], "samples",
                     f"design '{design}' needs 'samples', the number of parameter sets "
                     "(e.g. 'samples: 1024')")
        return None
    mark = doc.value_marks["samples"]
    samples = _whole(doc["samples"], mark, "samples", 1, problems)
    if samples is not None and samples > MAX_SETS:
        problems.add(mark, "samples", f"{samples:,} sets is more than the limit of {MAX_SETS:,}")
        return None
    return samples


def _whole_key(doc: YamlMap, key: str, default: int, minimum: int,
               problems: ProblemCollector) -> int:
    if key not in doc:
        return default
    value = _whole(doc[key], doc.value_marks[key], key, minimum, problems)
    return default if value is None else value


def _whole(value: object, mark: Mark, key: str, minimum: int,
           problems: ProblemCollector) -> int | None:
    """A whole number >= ``minimum`` (not a float, not true/false), or ``None``."""
    return problems.whole(value, mark, key, minimum)


# --- what to record -------------------------------------------------------------------


def _names(doc: YamlMap, key: str, choices: Sequence[str], what: str, example: str,
           problems: ProblemCollector, *, allow_empty: bool,
           path: str = "") -> tuple[str, ...] | None:
    """A list of distinct names from ``choices`` (``None`` after a problem).

    ``path`` is the key path of ``doc`` in messages (``"sensitivity"``).
    """
    name_of_key = key
    key = f"{path}.{key}" if path else key
    items = problems.sequence(doc[name_of_key], doc.value_marks[name_of_key], key, example)
    if items is None:
        return None
    if not items and not allow_empty:
        problems.add(doc.value_marks[name_of_key], key,
                     f"the list is empty; name at least one {what} or leave '{name_of_key}' out")
        return None
    names: dict[str, int | None] = {}
    complete = True
    for i, (item, mark) in enumerate(zip(items, items.marks)):
        name = choice(problems, item, choices, mark, f"{key}[{i}]", what)
        if name is None:
            complete = False
        elif name in names:
            problems.add(mark, f"{key}[{i}]", f"'{name}' is listed twice")
            complete = False
        else:
            names[name] = mark.line
    return tuple(names) if complete else None


def _states_at(doc: YamlMap, shortest: tuple[str, Scenario] | None,
               problems: ProblemCollector) -> tuple[tuple[str, float], ...]:
    """``(variable, whole day)`` pairs; times are rounded down to whole days."""
    if "states_at" not in doc:
        return ()
    table = problems.mapping(doc["states_at"], doc.value_marks["states_at"], "states_at",
                             "'states_at: {pain_threshold: [90 days, 6 months]}'")
    if table is None:
        return ()
    result: list[tuple[str, float]] = []
    for variable, times in table.items():
        key = f"states_at.{variable}"
        if variable not in COLUMNS:
            problems.add(table.key_marks[variable], key,
                         f"unknown variable '{variable}'{suggest(variable, COLUMNS)}")
            continue
        if isinstance(times, YamlList):
            entries = [(value, mark, f"{key}[{i}]")
                       for i, (value, mark) in enumerate(zip(times, times.marks))]
            if not entries:
                problems.add(table.value_marks[variable], key,
                             "the list is empty; give at least one time, e.g. '[6 months]'")
        else:
            entries = [(times, table.value_marks[variable], key)]
        for value, mark, where in entries:
            day = _state_day(value, mark, where, shortest, problems)
            if day is None:
                continue
            if (variable, day) in result:
                problems.add(mark, where, f"day {day:g} of '{variable}' is listed twice "
                             "(times are rounded down to whole days)")
                continue
            result.append((variable, day))
    return tuple(result)


def _state_day(value: object, mark: Mark, key: str, shortest: tuple[str, Scenario] | None,
               problems: ProblemCollector) -> float | None:
    days = problems.time(value, mark, key)
    if days is None:
        return None
    if shortest is not None:
        label, scenario = shortest
        if days > scenario.duration + DAY_TOLERANCE:
            problems.add(mark, key, f"day {days:g} is after the end of scenario '{label}' "
                         f"({scenario.duration:g} days)")
            return None
    return float(math.floor(days + DAY_TOLERANCE))


# --- fixed parameters -------------------------------------------------------------------


def _fixed(doc: YamlMap, problems: ProblemCollector) -> dict[str, float]:
    """Parameter values held fixed for every set (validated like scenario overrides)."""
    if "fixed" not in doc or doc["fixed"] is None:
        return {}
    table = problems.mapping(doc["fixed"], doc.value_marks["fixed"], "fixed",
                             "'fixed: {gain_migraine: 0.8}'")
    if table is None:
        return {}
    swept = doc.get("parameters")
    swept_lines = ({name: swept.key_marks[name].line for name in swept}
                   if isinstance(swept, YamlMap) else {})
    result: dict[str, float] = {}
    for name, value in table.items():
        key, mark = f"fixed.{name}", table.value_marks[name]
        if name not in BY_NAME:
            problems.add(table.key_marks[name], key,
                         unknown_parameter(name))
            continue
        if name in swept_lines:
            problems.add(table.key_marks[name], key,
                         f"'{name}' is both swept (parameters, line {swept_lines[name]}) and "
                         "fixed; remove it from one of them")
            continue
        number = problems.parameter_value(name, value, mark, key)
        if number is not None:
            result[name] = number
    return result


# --- sensitivity ------------------------------------------------------------------------


def _sensitivity(doc: YamlMap, parameters: Sequence[SweptParameter],
                 metrics: tuple[str, ...] | None,
                 problems: ProblemCollector) -> SensitivitySpec | None:
    """The ``sensitivity:`` block (``metrics`` = the listed metrics, ``None`` for all)."""
    if "sensitivity" not in doc:
        return None
    block = problems.mapping(doc["sensitivity"], doc.value_marks["sensitivity"], "sensitivity",
                             "'sensitivity: {methods: [sobol, morris]}'")
    if block is None:
        return None
    problems.keys(block, SENSITIVITY_KEYS, "sensitivity")
    values: dict = {}
    if "methods" in block:
        values["methods"] = _names(block, "methods", SENSITIVITY_METHODS, "method",
                                   "'methods: [sobol, morris, local]'", problems,
                                   allow_empty=False, path="sensitivity")
    if "output" in block:
        mark = block.value_marks["output"]
        output = choice(problems, block["output"], METRIC_NAMES, mark, "sensitivity.output",
                        "metric")
        if output is not None and metrics is not None and output not in metrics:
            problems.add(mark, "sensitivity.output", f"'{output}' is not among the sweep's "
                         "'metrics'; add it there")
        values["output"] = output
    elif metrics is not None and DEFAULT_OUTPUT not in metrics:
        problems.add(doc.key_marks["sensitivity"], "sensitivity.output",
                     f"the default output '{DEFAULT_OUTPUT}' is not among the sweep's "
                     "'metrics'; add it there or set 'output'")
    d = max(len(parameters), 1)
    counts = (("sobol_samples", 1, d + 2, "Saltelli's scheme runs sobol_samples x "
               "(parameters + 2)"),
              ("morris_trajectories", 2, d + 1, "Morris runs trajectories x (parameters + 1)"),
              ("morris_levels", 2, 1, ""), ("bootstrap", 1, 1, ""))
    for key, minimum, runs_per, rule in counts:
        if key not in block:
            continue
        mark, where = block.value_marks[key], f"sensitivity.{key}"
        number = _whole(block[key], mark, where, minimum, problems)
        if number is None:
            continue
        if key == "sobol_samples" and not is_power_of_two(number):
            lower = 1 << (number.bit_length() - 1)
            problems.add(mark, where, f"must be a power of two (Sobol' points are balanced only "
                         f"then), e.g. {lower} or {lower * 2}; got {number}")
            continue
        if key == "morris_levels" and number % 2:
            problems.add(mark, where, f"must be even (Morris's step of levels / (2 (levels - 1)) "
                         f"samples every level equally only then), e.g. {number + 1}; "
                         f"got {number}")
            continue
        if rule and number * runs_per > MAX_SETS:
            problems.add(mark, where, f"{rule} = {number * runs_per:,} sets, more than the "
                         f"limit of {MAX_SETS:,}")
            continue
        values[key] = number
    if "confidence_level" in block:
        values["confidence_level"] = _fraction(block["confidence_level"],
                                               block.value_marks["confidence_level"],
                                               "sensitivity.confidence_level", problems)
    if any(value is None for value in values.values()):
        return None
    return SensitivitySpec(**values)


def _fraction(value: object, mark: Mark, key: str, problems: ProblemCollector) -> float | None:
    """A number strictly between 0 and 1."""
    number = problems.quantity(value, DIMENSIONLESS, mark, key)
    if number is not None and not 0 < number < 1:
        problems.add(mark, key, f"must lie strictly between 0 and 1 (e.g. 0.95), got {number:g}")
        return None
    return number
