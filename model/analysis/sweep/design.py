"""The parameter sets of a sweep: a grid, or a seeded Sobol', Latin hypercube or random design.

The same specification always gives the same matrix, bit for bit, for the same
numpy and scipy versions (recorded by :func:`describe`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import scipy
from lbp_headache.analysis.metrics import state_metric_name
from lbp_headache.analysis.space import ParameterSpace
from lbp_headache.analysis.sweep.spec import SensitivitySpec, SweepSpec, SweptParameter
from lbp_headache.core.parameters import BY_NAME
from lbp_headache.core.units import pretty
from lbp_headache.scenario.record import Scenario


def parameter_space(parameters: Sequence[SweptParameter]) -> ParameterSpace:
    """The swept parameters as a space: their bounds, log-uniform where ``scale: log``."""
    return ParameterSpace(
        tuple(p.name for p in parameters),
        np.array([p.low for p in parameters]),
        np.array([p.high for p in parameters]),
        log_scale=np.array([p.scale == "log" for p in parameters]),
    )


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
    from scipy.stats import qmc  # lazy: scipy.stats is heavy and only needed here

    d = len(spec.parameters)
    if spec.design == "grid":
        axes = [p.grid_axis() for p in spec.parameters]
        mesh = np.meshgrid(*axes, indexing="ij")
        return np.ascontiguousarray(np.column_stack([m.ravel() for m in mesh]), dtype=float)
    n = _require_samples(spec)
    if spec.design == "sobol":
        sampler = qmc.Sobol(d, scramble=True, seed=spec.seed)
        if is_power_of_two(n):
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
    log-uniformly: :meth:`ParameterSpace.from_unit`, the one mapping that the
    sweep designs and the sensitivity designs (Saltelli, Morris) share.
    """
    unit = np.asarray(unit, dtype=float)
    if unit.ndim != 2 or unit.shape[1] != len(parameters):
        raise ValueError(f"unit samples must have shape (n, {len(parameters)})")
    return parameter_space(parameters).from_unit(unit)


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
        call = (f"random_base2({n.bit_length() - 1})" if is_power_of_two(n)
                else f"random({n})")
        return f"scipy.stats.qmc.Sobol({d}, scramble=True, seed={spec.seed}).{call}"
    if spec.design == "latin_hypercube":
        return f"scipy.stats.qmc.LatinHypercube({d}, seed={spec.seed}).random({n})"
    return f"numpy.random.default_rng({spec.seed}).random(({n}, {d}))"


def _require_samples(spec: SweepSpec) -> int:
    if spec.samples is None or spec.samples < 1:
        raise ValueError(f"design {spec.design!r} needs a positive number of samples")
    return int(spec.samples)


def is_power_of_two(n: int | None) -> bool:
    return n is not None and n >= 1 and n & (n - 1) == 0


