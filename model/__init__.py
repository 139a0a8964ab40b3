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
stable entry points; the batch engine and the sweep runners load on first use
(they bring numba).
"""

import importlib

from lbp_headache.analysis.observation import sample_diary, summarize
from lbp_headache.core.errors import (
    ModelError,
    ParameterError,
    ScenarioError,
    SolverError,
    UnitError,
)
from lbp_headache.core.parameters import PARAMETERS, Parameter, parameter_vector
from lbp_headache.core.states import STATES
from lbp_headache.core.version import __version__
from lbp_headache.engine.result import COLUMNS, Result
from lbp_headache.engine.simulate import simulate
from lbp_headache.engine.solver import REFERENCE_SETTINGS, SolverSettings
from lbp_headache.scenario.reader import load_scenario
from lbp_headache.scenario.record import Scenario
from lbp_headache.scenario.treatments import TREATMENT_TYPES, Treatment

# Loaded on first use: ``from lbp_headache import simulate_batch`` imports the batch engine.
_LAZY = {
    "simulate_batch": "lbp_headache.engine.batch",
    "BatchSettings": "lbp_headache.engine.batch",
    "load_sweep": "lbp_headache.analysis.sweep.reader",
    "run_sweep": "lbp_headache.analysis.sweep.runner",
    "run_sensitivity": "lbp_headache.analysis.sensitivity.runner",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lbp_headache' has no attribute '{name}'")


__all__ = [
    "COLUMNS", "PARAMETERS", "REFERENCE_SETTINGS", "STATES", "TREATMENT_TYPES",
    "BatchSettings", "ModelError", "Parameter", "ParameterError", "Result", "Scenario",
    "ScenarioError", "SolverError", "SolverSettings", "Treatment", "UnitError", "__version__",
    "load_scenario", "load_sweep", "parameter_vector", "run_sensitivity", "run_sweep",
    "sample_diary", "simulate", "simulate_batch", "summarize",
]
