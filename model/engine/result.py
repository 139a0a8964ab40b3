"""The :class:`Result` of one simulation: trajectories plus what produced them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from lbp_headache.core.parameters import PARAMETERS
from lbp_headache.core.states import DERIVED, HEADACHE_COMPONENTS, STATE_NAMES, STATES
from lbp_headache.engine.solver import SolverSettings
from lbp_headache.scenario.record import Scenario

# Column order of every table: inputs, pathway states, headache and its parts, effects.
COLUMNS: tuple[str, ...] = (
    "lumbar_pain", "disc_degeneration", "ergonomic_load",
    *STATE_NAMES[:6], "headache", *HEADACHE_COMPONENTS, *STATE_NAMES[10:],
)
COLUMN_INFO = {s.name: s for s in (*STATES, *DERIVED)}


@dataclass(frozen=True)
class Result:
    """Trajectories of one run.

    Attributes
    ----------
    scenario
        The scenario that was run.
    parameters
        Parameter array used (table values with the scenario's and the
        caller's overrides, before any ``parameter_change`` treatment).
    settings
        Solver settings.
    time
        Output grid in days (the scenario's output step).
    columns
        Every column of :data:`COLUMNS` on ``time``.
    daily
        The same columns on whole days ``0, 1, ..., floor(duration)``, the grid
        the observation model counts headache days on.
    """

    scenario: Scenario
    parameters: np.ndarray
    settings: SolverSettings
    time: np.ndarray
    columns: Mapping[str, np.ndarray]
    daily: Mapping[str, np.ndarray]

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    @property
    def days(self) -> np.ndarray:
        """The whole-day grid of :attr:`daily`."""
        return np.arange(len(self.daily["headache"]), dtype=float)

    def parameter_values(self) -> dict[str, float]:
        """Parameters used, by name, in canonical units."""
        return {p.name: float(v) for p, v in zip(PARAMETERS, self.parameters)}
