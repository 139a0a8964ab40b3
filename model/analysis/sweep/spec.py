"""Sweep specification files: YAML in, a validated :class:`SweepSpec` out.

A sweep runs one or more base scenarios for many parameter sets. The file
names the scenarios, the swept parameters and their bounds, how the sets are
chosen (a grid or a seeded sampling design), what to record for every set
and, optionally, which sensitivity analyses to run. The schema is documented
key by key in ``scenarios/sweeps/README.md``.

Files are read as strictly as scenarios (:mod:`lbp_headache.scenario.reader`): safe
YAML with line marks, every problem collected before one
:class:`~lbp_headache.core.errors.ScenarioError` is raised, each rendered as
``FILE:LINE: key: message`` with a did-you-mean suggestion where one helps.
Values carry units (pint) and are converted to the canonical units of the
parameter table.

The parameter sets themselves come from :func:`design_matrix`; the same
specification always gives the same matrix, bit for bit (for the same numpy
and scipy versions, which :func:`describe` records).
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np
import scipy
from lbp_headache.analysis.metrics import METRIC_NAMES, state_metric_name
from lbp_headache.core.errors import ParameterError, ScenarioError
from lbp_headache.core.parameters import BY_NAME, check_value, suggest, unknown_parameter
from lbp_headache.core.units import DIMENSIONLESS, pretty
from lbp_headache.engine.result import COLUMNS
from lbp_headache.files.input_files import YAML_SUFFIXES, InputFileError, PathPolicy
from lbp_headache.files.problem_collector import (
    MAX_DESCRIPTION_CHARS,
    MAX_TEXT_CHARS,
    ProblemCollector,
    choice,
    in_reading_order,
    unit_hint,
)
from lbp_headache.files.yaml_source import Mark, YamlList, YamlMap, parse_yaml, read_text
from lbp_headache.scenario.reader import load_scenario
from lbp_headache.scenario.record import Scenario

LABEL = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")
DESIGNS = ("grid", "sobol", "latin_hypercube", "random")
SCALES = ("linear", "log")
SENSITIVITY_METHODS = ("sobol", "morris", "local")
MAX_SETS = 10_000_000  # simulations per sweep, summed over its scenarios
MAX_SCENARIOS = 100  # base scenarios of one sweep
MAX_CHUNK_BYTES = 256 * 2**20  # estimated memory of one chunk (two per worker are in flight)
MAX_TRAJECTORY_BYTES = 16 * 2**30  # trajectories/ on disk
MAX_DESIGN_BYTES = 2**30  # the design matrix (sets x swept parameters), held whole
MAX_BOOTSTRAP = 100_000  # bootstrap resamples
MAX_BOOTSTRAP_WORK = 2_000_000_000  # resamples x rows resampled (about a minute)
# Memory of one chunk per set, fitted to tracemalloc peaks of run_chunk (persistent back
# pain, multimodal care, 1,130 segments of flares and treatments; estimate / measured
# 1.0-1.3, tests/test_sweep_spec.py::test_chunk_memory_estimate_bounds_the_measured_peak):
CHUNK_DAY_ARRAYS = 8  # daily arrays per set: recorded states, metric temporaries
CHUNK_DAY_ARRAYS_PER_TRAJECTORY = 2
CHUNK_DAY_ARRAYS_LUMBAR = 60  # effective lumbar pain needs every parameter on every day
CHUNK_SEGMENT_FLOATS = 70  # segment inputs (11) and parameters (56) per segment
CHUNK_BYTES_PER_SET = 2048
DEFAULT_CHUNK_SIZE = 1000
DEFAULT_OUTPUT = "headache_days_per_month"
DAY_TOLERANCE = 1e-9  # times within this of a whole day count as that day

TOP_KEYS = ("name", "description", "scenario", "scenarios", "parameters", "design", "samples",
            "seed", "metrics", "states_at", "trajectories", "fixed", "chunk_size", "sensitivity")
PARAMETER_KEYS = ("low", "high", "scale", "levels")
SENSITIVITY_KEYS = ("methods", "output", "sobol_samples", "morris_trajectories",
                    "morris_levels", "bootstrap", "confidence_level")
DEFAULT_TABLE_BOUNDS = "default"  # `name: default` sweeps the table's plausible range


def default_levels(n_parameters: int) -> int:
    """Grid levels per parameter when ``levels`` is not given: 11 (1-D), 21 (2-D), else 5."""
    return {1: 11, 2: 21}.get(n_parameters, 5)


# --- the specification ---------------------------------------------------------------


@dataclass(frozen=True)
class SweptParameter:
    """One swept parameter.

    Attributes
    ----------
    name
        A name of the parameter table.
    low, high
        Bounds in the table's canonical unit (``low < high``, both within the
        plausible range of the table).
    scale
        ``"linear"`` (uniform) or ``"log"`` (geometric grid, log-uniform
        samples; needs ``low > 0``).
    levels
        Grid points along this axis for ``design: grid`` (the given value or
        :func:`default_levels`); ``None`` for the sampling designs.
    """

    name: str
    low: float
    high: float
    scale: str = "linear"
    levels: int | None = None

    @property
    def unit(self) -> str:
        """The canonical unit of the parameter (from the table)."""
        return BY_NAME[self.name].unit

    def grid_axis(self) -> np.ndarray:
        """The ``levels`` grid values from ``low`` to ``high`` (both included)."""
        if self.levels is None:
            raise ValueError(f"'{self.name}' has no grid levels (not a grid design)")
        if self.scale == "log":
            axis = np.geomspace(self.low, self.high, self.levels)
        else:
            axis = np.linspace(self.low, self.high, self.levels)
        return np.clip(axis, self.low, self.high)

    def from_unit(self, unit: np.ndarray) -> np.ndarray:
        """Map samples in ``[0, 1]`` to ``[low, high]``, linearly or log-uniformly."""
        unit = np.asarray(unit, dtype=float)
        if self.scale == "log":
            low, high = math.log(self.low), math.log(self.high)
            values = np.exp(low + unit * (high - low))
        else:
            values = self.low + unit * (self.high - self.low)
        return np.clip(values, self.low, self.high)


@dataclass(frozen=True)
class SensitivitySpec:
    """What the ``sensitivity`` command computes (the ``sensitivity:`` block).

    Attributes
    ----------
    methods
        Subset of :data:`SENSITIVITY_METHODS`, in the order given.
    output
        The metric analysed (one of the sweep's ``metrics``).
    sobol_samples
        Base sample size N of Saltelli's scheme (a power of two).
    morris_trajectories, morris_levels
        Number of Morris trajectories and grid levels (even).
    bootstrap
        Bootstrap resamples for confidence intervals.
    confidence_level
        Level of those intervals, in (0, 1).
    """

    methods: tuple[str, ...] = SENSITIVITY_METHODS
    output: str = DEFAULT_OUTPUT
    sobol_samples: int = 256
    morris_trajectories: int = 20
    morris_levels: int = 4
    bootstrap: int = 1000
    confidence_level: float = 0.95


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep specification (canonical units throughout).

    Attributes
    ----------
    name, description
        Shown in reports; ``name`` defaults to the file name without ``.yaml``.
    source, source_hash
        The file as given and the SHA-256 of its bytes (the base scenarios
        carry their own hashes).
    scenarios
        ``(label, scenario)`` pairs; the label is the scenario file's name
        without ``.yaml`` (unique within a sweep).
    parameters
        The swept parameters, in the order written (the columns of
        :func:`design_matrix`).
    design
        ``"grid"``, ``"sobol"``, ``"latin_hypercube"`` or ``"random"``.
    samples
        Number of sets of a sampling design; ``None`` for a grid.
    seed
        Seed of the sampling designs.
    metrics
        Names from :data:`lbp_headache.analysis.metrics.METRIC_NAMES` recorded per set.
    states_at
        ``(variable, day)`` pairs: a column of :data:`lbp_headache.engine.result.COLUMNS`
        sampled on a whole day (see :func:`state_metric_name`).
    trajectories
        Columns whose daily trajectories are saved for every set.
    chunk_size
        Sets simulated (and written) per chunk.
    fixed
        Parameter values held fixed for every set (read-only mapping).
    sensitivity
        The ``sensitivity:`` block, or ``None``.
    """

    name: str
    description: str
    source: str
    source_hash: str
    scenarios: tuple[tuple[str, Scenario], ...]
    parameters: tuple[SweptParameter, ...]
    design: str = "grid"
    samples: int | None = None
    seed: int = 0
    metrics: tuple[str, ...] = METRIC_NAMES
    states_at: tuple[tuple[str, float], ...] = ()
    trajectories: tuple[str, ...] = ()
    chunk_size: int = DEFAULT_CHUNK_SIZE
    fixed: Mapping[str, float] = field(default_factory=dict)
    sensitivity: SensitivitySpec | None = None

    def __post_init__(self):
        object.__setattr__(self, "fixed", MappingProxyType(dict(self.fixed)))

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """Names of the swept parameters (the columns of :func:`design_matrix`)."""
        return tuple(p.name for p in self.parameters)

    @property
    def n_sets(self) -> int:
        """Number of parameter sets: the product of the levels, or ``samples``."""
        if self.design == "grid":
            return math.prod(p.levels or 0 for p in self.parameters)
        return int(self.samples or 0)

    @property
    def state_columns(self) -> tuple[str, ...]:
        """Output column names of :attr:`states_at` (``pain_threshold_day90``, ...)."""
        return tuple(state_metric_name(variable, day) for variable, day in self.states_at)


# --- public API -------------------------------------------------------------------------


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


@dataclass(frozen=True)
class SweepCost:
    """What running a sweep costs, estimated before any work (see :func:`sweep_cost`)."""

    sets: int
    chunks: int
    chunk_bytes: int
    table_bytes: int
    trajectory_bytes: int
    sensitivity_sets: int


def sweep_cost(spec: SweepSpec) -> SweepCost:
    """Simulations, chunks, memory per chunk and output sizes of ``spec``.

    A chunk holds, per set, daily arrays (recorded states, metric
    temporaries, trajectories: :data:`CHUNK_DAY_ARRAYS` and the constants
    after it) and the segment inputs and parameters of the schedule
    (:data:`CHUNK_SEGMENT_FLOATS` per segment).
    """
    from lbp_headache.scenario.record import change_times

    n_scenarios = len(spec.scenarios)
    days = max((math.floor(s.duration + 1e-9) + 2 for _, s in spec.scenarios), default=0)
    segments = max((len(change_times(s)) - 1 for _, s in spec.scenarios), default=0)
    variables = {*spec.trajectories, *(name for name, _ in spec.states_at)}
    day_arrays = (CHUNK_DAY_ARRAYS + CHUNK_DAY_ARRAYS_PER_TRAJECTORY * len(spec.trajectories)
                  + len(spec.states_at)
                  + (CHUNK_DAY_ARRAYS_LUMBAR if "lumbar_pain" in variables else 0))
    per_set = CHUNK_BYTES_PER_SET + 8 * (days * day_arrays + segments * CHUNK_SEGMENT_FLOATS)
    columns = len(table_columns_of(spec))
    sets = spec.n_sets * n_scenarios
    sensitivity_sets = 0
    if spec.sensitivity is not None:
        d = len(spec.parameters)
        block = spec.sensitivity
        rows = {"sobol": block.sobol_samples * (d + 2),
                "morris": block.morris_trajectories * (d + 1), "local": 2 * d + 1}
        sensitivity_sets = n_scenarios * sum(rows[m] for m in block.methods)
    return SweepCost(
        sets=sets, chunks=n_scenarios * -(-spec.n_sets // spec.chunk_size),
        chunk_bytes=min(spec.chunk_size, max(spec.n_sets, 1)) * per_set,
        table_bytes=sets * columns * 20,
        trajectory_bytes=sets * days * 8 * len(spec.trajectories),
        sensitivity_sets=sensitivity_sets)


def table_columns_of(spec: SweepSpec) -> list[str]:
    """Header of a sweep's ``results.csv``."""
    return ["scenario", "set", *spec.parameter_names, *spec.metrics, *spec.state_columns,
            "status"]


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


def design_matrix(spec: SweepSpec) -> np.ndarray:
    """The parameter sets of ``spec``: shape ``(n_sets, n_params)``, canonical units.

    Columns follow ``spec.parameters``. A grid is the Cartesian product of
    the axes (:meth:`SweptParameter.grid_axis`), the first parameter varying
    slowest. The sampling designs draw unit samples and map them with
    :func:`from_unit_cube`:

    - ``sobol``: ``scipy.stats.qmc.Sobol(d, scramble=True, seed=seed)``,
      ``random_base2(m)`` when ``samples = 2**m``, else ``random(samples)``
      (allowed, with scipy's balance warning deliberately suppressed: the
      points are still a valid scrambled Sobol' prefix, only less balanced);
    - ``latin_hypercube``: ``scipy.stats.qmc.LatinHypercube(d, seed=seed)``;
    - ``random``: ``numpy.random.default_rng(seed).random((samples, d))``.
    """
    from scipy.stats import qmc  # heavy; only needed here

    d = len(spec.parameters)
    if spec.design == "grid":
        axes = [p.grid_axis() for p in spec.parameters]
        mesh = np.meshgrid(*axes, indexing="ij")
        return np.ascontiguousarray(np.column_stack([m.ravel() for m in mesh]), dtype=float)
    n = _require_samples(spec)
    if spec.design == "sobol":
        sampler = qmc.Sobol(d, scramble=True, seed=spec.seed)
        if _is_power_of_two(n):
            unit = sampler.random_base2(n.bit_length() - 1)
        else:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="The balance properties of Sobol",
                                        category=UserWarning)
                unit = sampler.random(n)
    elif spec.design == "latin_hypercube":
        unit = qmc.LatinHypercube(d, seed=spec.seed).random(n)
    elif spec.design == "random":
        unit = np.random.default_rng(spec.seed).random((n, d))
    else:
        raise ValueError(f"unknown design {spec.design!r}")
    return from_unit_cube(spec.parameters, unit)


def from_unit_cube(parameters: Sequence[SweptParameter], unit: np.ndarray) -> np.ndarray:
    """Map unit samples ``(n, d)`` to parameter values, column by column.

    Each column goes to ``[low, high]`` of its parameter, linearly or
    log-uniformly (:meth:`SweptParameter.from_unit`); sensitivity designs
    drawn in the unit cube (Saltelli, Morris) use the same mapping.
    """
    unit = np.asarray(unit, dtype=float)
    if unit.ndim != 2 or unit.shape[1] != len(parameters):
        raise ValueError(f"unit samples must have shape (n, {len(parameters)})")
    values = np.empty_like(unit)
    for j, parameter in enumerate(parameters):
        values[:, j] = parameter.from_unit(unit[:, j])
    return values


def describe(spec: SweepSpec) -> dict:
    """Every field of ``spec`` as JSON-ready data (for a sweep's metadata file).

    Parameters carry their unit (pint name and short symbol), table value and
    plausible range; scenarios their source, hash and duration; the design
    the exact sampler call and the numpy/scipy versions it depends on.
    """
    return {
        "name": spec.name,
        "description": spec.description,
        "source": spec.source,
        "source_hash": spec.source_hash,
        "scenarios": [_describe_scenario(label, s) for label, s in spec.scenarios],
        "parameters": [_describe_parameter(p) for p in spec.parameters],
        "design": spec.design,
        "samples": spec.samples,
        "n_sets": spec.n_sets,
        "seed": spec.seed,
        "sampler": _sampler_text(spec),
        "library_versions": {"numpy": np.__version__, "scipy": scipy.__version__},
        "metrics": list(spec.metrics),
        "states_at": [{"variable": variable, "day": day, "column": state_metric_name(variable, day)}
                      for variable, day in spec.states_at],
        "trajectories": list(spec.trajectories),
        "chunk_size": spec.chunk_size,
        "fixed": {name: {"value": value, "unit": BY_NAME[name].unit,
                         "unit_symbol": pretty(BY_NAME[name].unit)}
                  for name, value in spec.fixed.items()},
        "sensitivity": (None if spec.sensitivity is None
                        else _describe_sensitivity(spec.sensitivity)),
    }


# --- describe helpers ----------------------------------------------------------------


def _describe_scenario(label: str, scenario: Scenario) -> dict:
    return {"label": label, "name": scenario.name, "source": scenario.source,
            "source_hash": scenario.source_hash, "duration_days": scenario.duration}


def _describe_parameter(parameter: SweptParameter) -> dict:
    record = BY_NAME[parameter.name]
    return {"name": parameter.name, "unit": record.unit, "unit_symbol": pretty(record.unit),
            "low": parameter.low, "high": parameter.high, "scale": parameter.scale,
            "levels": parameter.levels, "table_value": record.value,
            "table_low": record.low, "table_high": record.high, "meaning": record.meaning}


def _describe_sensitivity(sensitivity: SensitivitySpec) -> dict:
    return {"methods": list(sensitivity.methods), "output": sensitivity.output,
            "sobol_samples": sensitivity.sobol_samples,
            "morris_trajectories": sensitivity.morris_trajectories,
            "morris_levels": sensitivity.morris_levels, "bootstrap": sensitivity.bootstrap,
            "confidence_level": sensitivity.confidence_level}


def _sampler_text(spec: SweepSpec) -> str:
    d, n = len(spec.parameters), spec.samples
    if spec.design == "grid":
        return "Cartesian product of per-parameter axes (first parameter slowest)"
    if spec.design == "sobol":
        call = (f"random_base2({n.bit_length() - 1})" if _is_power_of_two(n)
                else f"random({n})")
        return f"scipy.stats.qmc.Sobol({d}, scramble=True, seed={spec.seed}).{call}"
    if spec.design == "latin_hypercube":
        return f"scipy.stats.qmc.LatinHypercube({d}, seed={spec.seed}).random({n})"
    return f"numpy.random.default_rng({spec.seed}).random(({n}, {d}))"


def _require_samples(spec: SweepSpec) -> int:
    if spec.samples is None or spec.samples < 1:
        raise ValueError(f"design {spec.design!r} needs a positive number of samples")
    return int(spec.samples)


def _is_power_of_two(n: int | None) -> bool:
    return n is not None and n >= 1 and n & (n - 1) == 0


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
    """Load one base scenario named in the sweep file (relative to its folder)."""
    if not isinstance(value, str) or not value.strip():
        problems.add(mark, key, "expected the path of a scenario file, relative to this file, "
                     "e.g. '../persistent_back_pain.yaml'")
        return None
    try:
        target = policy.resolve(value, source, suffixes=YAML_SUFFIXES, what="scenario file")
    except InputFileError as exc:
        problems.add(mark, key, exc.message)
        return None
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
    try:
        return label, load_scenario(target, policy=policy)
    except ScenarioError as exc:
        for p in exc.problems:
            if p.file != target or p.line is not None:
                problems.items.append(p)
            elif p.message.endswith("not found"):
                problems.add(mark, key, f"scenario file '{target}' not found (paths are "
                             "relative to the folder of the sweep file)")
            else:
                problems.add(mark, key, f"cannot read '{target}': {p.message}")
        return None


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
        if key == "sobol_samples" and not _is_power_of_two(number):
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
