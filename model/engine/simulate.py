"""Run one scenario: model + scenario in, :class:`~lbp_headache.engine.result.Result` out."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from lbp_headache.core.equations import effective_lumbar_pain, steady_state
from lbp_headache.core.parameters import parameter_vector
from lbp_headache.core.states import (
    HEADACHE_COMPONENTS,
    NEURO_EFFECT,
    NSAID_EFFECT,
    PT_EFFECT,
    STATE_INDEX,
    STATE_NAMES,
)
from lbp_headache.engine.result import COLUMNS, Result
from lbp_headache.engine.schedule import Segment, build_segments
from lbp_headache.engine.solver import SolverSettings, integrate
from lbp_headache.scenario.record import Scenario


def output_times(duration: float, step: float) -> np.ndarray:
    """Output grid ``0, step, 2 step, ...`` ending exactly at ``duration``."""
    count = int(math.floor(duration / step + 1e-9))
    times = np.arange(count + 1, dtype=float) * step
    times = times[times < duration - 1e-9 * max(1.0, duration)]
    return np.append(times, duration)


def initial_state(scenario: Scenario, p: np.ndarray) -> np.ndarray:
    """Healthy steady state with the scenario's ``initial_state`` overrides applied."""
    y0 = steady_state(p)
    for name, value in scenario.initial_state.items():
        y0[STATE_INDEX[name]] = value
    return y0


def simulate(scenario: Scenario, *, overrides: Mapping[str, float] | None = None,
             settings: SolverSettings = SolverSettings()) -> Result:
    """Simulate ``scenario``.

    Parameters
    ----------
    scenario
        The scenario (see :func:`lbp_headache.load_scenario`).
    overrides
        Extra parameter values in canonical units, applied over the scenario's
        own overrides (as the command line's ``--set`` does).
    settings
        Solver settings.

    Returns
    -------
    Result
        Trajectories on the output grid and on whole days.

    Raises
    ------
    ParameterError
        For an unknown parameter or a value outside its plausible range.
    SolverError
        If integration fails or a state leaves its physical range.
    """
    p = parameter_vector({**scenario.parameters, **(overrides or {})})
    segments = build_segments(scenario, p)
    grid = output_times(scenario.duration, scenario.output_step)
    days = np.arange(math.floor(scenario.duration + 1e-9) + 1, dtype=float)
    times = np.union1d(grid, days)
    states = integrate(segments, initial_state(scenario, p), times, settings)
    table = _columns(scenario, segments, times, states)
    pick_grid = np.searchsorted(times, grid)
    pick_days = np.searchsorted(times, days)
    return Result(
        scenario=scenario,
        parameters=p,
        settings=settings,
        time=grid,
        columns={name: table[name][pick_grid] for name in COLUMNS},
        daily={name: table[name][pick_days] for name in COLUMNS},
    )


def _columns(scenario: Scenario, segments: list[Segment], times: np.ndarray,
             states: np.ndarray) -> dict[str, np.ndarray]:
    table = {name: states[:, i] for i, name in enumerate(STATE_NAMES)}
    raw = scenario.lumbar_pain(times)
    # Relief fractions may change with a parameter_change: use each segment's parameters.
    starts = np.array([s.start for s in segments])
    which = np.clip(np.searchsorted(starts, times, side="right") - 1, 0, len(segments) - 1)
    lumbar = np.empty_like(times)
    for k, segment in enumerate(segments):
        rows = which == k
        lumbar[rows] = effective_lumbar_pain(
            raw[rows], states[rows, PT_EFFECT], states[rows, NSAID_EFFECT],
            states[rows, NEURO_EFFECT], segment.parameters
        )
    table["lumbar_pain"] = lumbar
    table["disc_degeneration"] = scenario.disc_degeneration(times)
    table["ergonomic_load"] = scenario.ergonomic_load(times)
    table["headache"] = sum(table[name] for name in HEADACHE_COMPONENTS)
    return table
