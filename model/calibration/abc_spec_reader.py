"""Read and validate a calibration spec (:class:`.abc_spec.CalibrationSpec`).

Every problem is one line naming the file, line and key, with a did-you-mean
for a misspelt parameter, target or key (:class:`~lbp_headache.core.errors.ScenarioError`)::

    parameters: [sensitization_depth, placebo_relief]   # from the parameter table
    targets: [sensitization_prevalence, placebo_responders_50]   # emergent, computable
    population_share: 0.1  # of each population's candidates and size, per evaluation
    particles: 40          # accepted particles per generation
    generations: 4
    max_simulations: 800   # the budget of model evaluations
    seed: 20261207
    uniform_priors: [placebo_relief]   # optional: uniform over the table's range
    constraints: [sensitization_onset] # optional: by-construction targets kept inside
    transition: local      # optional: global (the default) or local
"""

from __future__ import annotations

import hashlib
import os

from lbp_headache.calibration.abc_spec import CalibrationSpec
from lbp_headache.calibration.targets import TargetSet
from lbp_headache.core.errors import ScenarioError
from lbp_headache.core.parameters import BY_NAME, NAMES
from lbp_headache.files.problem_collector import ProblemCollector, choice, in_reading_order
from lbp_headache.files.yaml_source import Mark, YamlMap, parse_yaml, read_text

REQUIRED = ("parameters", "targets", "population_share", "particles", "generations",
            "max_simulations", "seed")
TOP_KEYS = ("name", *REQUIRED, "uniform_priors", "constraints", "transition")
TRANSITIONS = ("global", "local")
MAX_PARTICLES = 100_000
MAX_GENERATIONS = 100
MAX_SIMULATIONS = 100_000_000
MIN_PARTICLES = 2
EXAMPLES = {"parameters": "'parameters: [sensitization_depth, placebo_relief]'",
            "targets": "'targets: [sensitization_prevalence, placebo_responders_50]'",
            "uniform_priors": "'uniform_priors: [placebo_relief]'",
            "constraints": "'constraints: [sensitization_onset]'"}


def load_calibration_spec(path: str | os.PathLike, targets: TargetSet) -> CalibrationSpec:
    """Load a calibration spec and check it against the parameter table and ``targets``.

    Raises
    ------
    ScenarioError
        Every problem found, one per line.
    """
    display = os.fspath(path)
    text, data = read_text(display, what="calibration spec")
    doc = parse_yaml(text, display)
    problems = ProblemCollector()
    problems.keys(doc, TOP_KEYS, "")
    for key in REQUIRED:
        if key not in doc:
            problems.add(Mark(doc.mark.file, None), key, f"missing required key '{key}'")
    name = "calibration"
    if "name" in doc:
        name = problems.text(doc.text_of("name"), doc.value_marks["name"], "name") or name
    parameters = _names(doc, "parameters", NAMES, "parameter", problems)
    for i, parameter in enumerate(parameters):
        record = BY_NAME[parameter]
        if not record.low < record.high:
            problems.add(doc.value_marks["parameters"], f"parameters[{i}]",
                         f"'{parameter}' has no range to calibrate in (the table fixes it at "
                         f"{record.value:g})")
    uniform = _names(doc, "uniform_priors", NAMES, "parameter", problems)
    for i, parameter in enumerate(uniform):
        if parameter not in parameters:
            problems.add(_item_mark(doc, "uniform_priors", i), f"uniform_priors[{i}]",
                         f"'{parameter}' is not calibrated: list it under 'parameters' too")
    by_id = {t.id: t for t in targets.targets}
    chosen = _names(doc, "targets", tuple(by_id), "target", problems)
    for i, target_id in enumerate(chosen):
        target = by_id[target_id]
        why = None
        if target.status != "emergent":
            why = f"is {target.status}; only emergent targets are calibrated on"
        elif not target.computable:
            why = "names nothing that computes it"
        elif target.low is None or target.high is None:
            why = "has no interval to compare with"
        if why:
            problems.add(_item_mark(doc, "targets", i), f"targets[{i}]", f"'{target_id}' {why}")
    constraints = _names(doc, "constraints", tuple(by_id), "target", problems)
    for i, target_id in enumerate(constraints):
        target = by_id[target_id]
        why = None
        if target_id in chosen:
            why = "is listed under 'targets' too"
        elif target.status != "by_construction":
            why = (f"is {target.status}; constraints are by_construction targets (emergent ones "
                   "go under 'targets')")
        elif not target.computable:
            why = "names nothing that computes it"
        elif target.low is None or target.high is None:
            why = "has no interval to compare with"
        if why:
            problems.add(_item_mark(doc, "constraints", i), f"constraints[{i}]",
                         f"'{target_id}' {why}")
    transition = "global"
    if "transition" in doc:
        transition = choice(problems, doc["transition"], TRANSITIONS,
                            doc.value_marks["transition"], "transition", "transition")
    whole = {}
    share = None
    if "population_share" in doc:
        share = problems.number(doc["population_share"], doc.value_marks["population_share"],
                                "population_share", 1e-4, 1.0)
    for key, low, high in (("particles", MIN_PARTICLES, MAX_PARTICLES),
                           ("generations", 1, MAX_GENERATIONS),
                           ("max_simulations", 1, MAX_SIMULATIONS),
                           ("seed", 0, 2**32 - 1)):
        if key in doc:
            whole[key] = problems.whole(doc[key], doc.value_marks[key], key, low, high)
    if whole.get("particles") and whole.get("max_simulations") and \
            whole["max_simulations"] < whole["particles"]:
        problems.add(doc.value_marks["max_simulations"], "max_simulations",
                     f"{whole['max_simulations']:,} is fewer than one generation's "
                     f"{whole['particles']:,} particles")
    if problems.items:
        raise ScenarioError(in_reading_order(problems.items))
    return CalibrationSpec(name, display, hashlib.sha256(data).hexdigest(), tuple(parameters),
                           tuple(chosen), share, whole["particles"],
                           whole["generations"], whole["max_simulations"], whole["seed"],
                           tuple(uniform), tuple(constraints), transition)


def _item_mark(doc: YamlMap, key: str, i: int) -> Mark:
    items = doc[key]
    marks = getattr(items, "marks", None)
    return marks[i] if marks and i < len(marks) else doc.value_marks[key]


def _names(doc: YamlMap, key: str, choices, what: str,
           problems: ProblemCollector) -> list[str]:
    """A non-empty list of distinct names from ``choices`` (problems for the others)."""
    if key not in doc:
        return []
    items = problems.sequence(doc[key], doc.value_marks[key], key, EXAMPLES[key])
    if items is None:
        return []
    if not items:
        problems.add(doc.value_marks[key], key, f"needs at least one {what}")
        return []
    found: list[str] = []
    for i, (item, mark) in enumerate(zip(items, items.marks)):
        name = choice(problems, item, choices, mark, f"{key}[{i}]", what)
        if name is None:
            continue
        if name in found:
            problems.add(mark, f"{key}[{i}]", f"'{name}' is listed twice")
            continue
        found.append(name)
    return found
