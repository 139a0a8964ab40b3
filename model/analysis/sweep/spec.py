"""Sweep specifications as data: the :class:`SweepSpec` record and its parts.

A sweep runs one or more base scenarios for many parameter sets: the swept
parameters and their bounds, how the sets are chosen (a grid or a seeded
sampling design), what to record for every set and, optionally, which
sensitivity analyses to run. Files are read by :mod:`.reader`; the sets come
from :mod:`.design`; what a sweep costs from :mod:`.cost`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from lbp_headache.analysis.metrics import METRIC_NAMES, METRIC_UNITS, METRICS, state_metric_name
from lbp_headache.core.parameters import BY_NAME
from lbp_headache.engine.result import COLUMN_INFO
from lbp_headache.scenario.record import Scenario

LABEL = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")
DESIGNS = ("grid", "sobol", "latin_hypercube", "random")
SCALES = ("linear", "log")
SENSITIVITY_METHODS = ("sobol", "morris", "local")
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


def table_columns(spec: SweepSpec) -> list[str]:
    """Header of a sweep's ``results.csv``."""
    return ["scenario", "set", *spec.parameter_names, *spec.metrics, *spec.state_columns,
            "status"]


def column_info(spec: SweepSpec) -> dict[str, dict[str, str]]:
    """Unit and meaning of every column of :func:`table_columns` (pint units; ``1``: none)."""
    info = {"scenario": {"unit": "", "description": "base scenario (its file name)"},
            "set": {"unit": "", "description": "index of the parameter set in the design"}}
    for name in spec.parameter_names:
        info[name] = {"unit": BY_NAME[name].unit, "description": BY_NAME[name].meaning}
    for name in spec.metrics:
        info[name] = {"unit": METRIC_UNITS[name], "description": METRICS[name]}
    for (variable, day), name in zip(spec.states_at, spec.state_columns, strict=True):
        column = COLUMN_INFO[variable]
        info[name] = {"unit": column.unit, "description": f"{column.meaning} On day {day:g}."}
    info["status"] = {"unit": "", "description": "'ok', or why the set's simulation failed"}
    return info
