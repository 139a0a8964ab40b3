"""lbp-headache: a mechanistic model of how chronic lower back pain can lead to headache.

An educational and research model, not a diagnostic tool and not medical advice.

Public API::

    from model import load_scenario, simulate, summarize
    scenario = load_scenario("scenarios/persistent_back_pain.yaml")
    result = simulate(scenario, overrides={"posture_chain_stiffness": 1.5})
    summary = summarize(result)
"""

from .errors import ModelError, ParameterError, ScenarioError, SolverError, UnitError
from .observation import sample_diary, summarize
from .parameters import PARAMETERS, Parameter, parameter_vector
from .result import COLUMNS, Result
from .scenario import Scenario
from .scenario_file import load_scenario
from .simulate import simulate
from .solver import REFERENCE_SETTINGS, SolverSettings
from .states import STATES
from .treatments import TREATMENT_TYPES, Treatment

__version__ = "0.1.0"

__all__ = [
    "COLUMNS", "PARAMETERS", "REFERENCE_SETTINGS", "STATES", "TREATMENT_TYPES",
    "ModelError", "Parameter", "ParameterError", "Result", "Scenario", "ScenarioError",
    "SolverError", "SolverSettings", "Treatment", "UnitError",
    "load_scenario", "parameter_vector", "sample_diary", "simulate", "summarize", "__version__",
]
