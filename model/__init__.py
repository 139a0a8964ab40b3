"""lbp-headache: a mechanistic model of how chronic lower back pain can lead to headache.

An educational and research model, not a diagnostic tool and not medical advice.

Public API::

    from lbp_headache import load_scenario, simulate, summarize
    scenario = load_scenario("scenarios/persistent_back_pain.yaml")   # or a bundled name
    result = simulate(scenario, overrides={"posture_chain_stiffness": 1.5})
    summary = summarize(result)

    from lbp_headache import simulate_batch, load_sweep, run_sweep     # many sets at once

The package is layered (CONTRIBUTING.md): ``core`` (units, parameter table,
states, equations) < ``files`` (safe reading and writing) < ``scenario`` <
``engine`` < ``analysis`` < ``report`` < ``cli``. The names below are the
stable entry points; each loads on first use (the batch engine and the sweep
runners bring numba).
"""

import importlib
from typing import TYPE_CHECKING

from lbp_headache.core.version import __version__

# Every name loads on first use (PEP 562), so ``import lbp_headache.cli`` or a
# command that needs only part of the package does not pay for scipy, pint and
# numba up front: ``lbp-headache run`` stays under a second (benchmarks/README.md).
_LAZY = {
    "sample_diary": "lbp_headache.analysis.observation",
    "summarize": "lbp_headache.analysis.observation",
    "ModelError": "lbp_headache.core.errors",
    "ParameterError": "lbp_headache.core.errors",
    "ScenarioError": "lbp_headache.core.errors",
    "SolverError": "lbp_headache.core.errors",
    "UnitError": "lbp_headache.core.errors",
    "PARAMETERS": "lbp_headache.core.parameters",
    "Parameter": "lbp_headache.core.parameters",
    "parameter_vector": "lbp_headache.core.parameters",
    "STATES": "lbp_headache.core.states",
    "COLUMNS": "lbp_headache.engine.result",
    "Result": "lbp_headache.engine.result",
    "simulate": "lbp_headache.engine.simulate",
    "REFERENCE_SETTINGS": "lbp_headache.engine.solver",
    "SolverSettings": "lbp_headache.engine.solver",
    "load_scenario": "lbp_headache.scenario.reader",
    "Scenario": "lbp_headache.scenario.record",
    "TREATMENT_TYPES": "lbp_headache.scenario.treatments",
    "Treatment": "lbp_headache.scenario.treatments",
    "simulate_batch": "lbp_headache.engine.batch",
    "BatchSettings": "lbp_headache.engine.batch",
    "load_sweep": "lbp_headache.analysis.sweep.reader",
    "run_sweep": "lbp_headache.analysis.sweep.runner",
    "run_sensitivity": "lbp_headache.analysis.sensitivity.runner",
}

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from lbp_headache.analysis.observation import sample_diary, summarize
    from lbp_headache.analysis.sensitivity.runner import run_sensitivity
    from lbp_headache.analysis.sweep.reader import load_sweep
    from lbp_headache.analysis.sweep.runner import run_sweep
    from lbp_headache.core.errors import (
        ModelError,
        ParameterError,
        ScenarioError,
        SolverError,
        UnitError,
    )
    from lbp_headache.core.parameters import PARAMETERS, Parameter, parameter_vector
    from lbp_headache.core.states import STATES
    from lbp_headache.engine.batch import BatchSettings, simulate_batch
    from lbp_headache.engine.result import COLUMNS, Result
    from lbp_headache.engine.simulate import simulate
    from lbp_headache.engine.solver import REFERENCE_SETTINGS, SolverSettings
    from lbp_headache.scenario.reader import load_scenario
    from lbp_headache.scenario.record import Scenario
    from lbp_headache.scenario.treatments import TREATMENT_TYPES, Treatment


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # the next lookup is a plain attribute
        return value
    raise AttributeError(f"module 'lbp_headache' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "COLUMNS", "PARAMETERS", "REFERENCE_SETTINGS", "STATES", "TREATMENT_TYPES",
    "BatchSettings", "ModelError", "Parameter", "ParameterError", "Result", "Scenario",
    "ScenarioError", "SolverError", "SolverSettings", "Treatment", "UnitError", "__version__",
    "load_scenario", "load_sweep", "parameter_vector", "run_sensitivity", "run_sweep",
    "sample_diary", "simulate", "simulate_batch", "summarize",
]
