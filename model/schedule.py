"""Split a scenario into integration segments between discontinuities.

Within a segment every input is linear in time, every treatment target and
every parameter is constant, so the right-hand side is smooth there and the
solver never steps across a jump. Segment boundaries are the profile
breakpoints, treatment starts and stops, and the end of the simulation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .parameters import parameter_vector
from .scenario import Scenario
from .states import N_SEGMENT_INPUTS, U_DISC, U_ERGO, U_LUMBAR, U_PT_TARGET, U_T0
from .treatments import combined_targets, parameters_at


@dataclass(frozen=True)
class Segment:
    """One integration segment ``[start, end]`` with constant inputs ``u`` and parameters ``p``."""

    start: float
    end: float
    inputs: np.ndarray
    parameters: np.ndarray


def boundaries(scenario: Scenario) -> list[float]:
    """Sorted segment boundaries in ``[0, duration]`` (both ends included)."""
    times = {0.0, scenario.duration}
    for profile in (scenario.lumbar_pain, scenario.disc_degeneration, scenario.ergonomic_load):
        times.update(profile.breakpoints)
    for treatment in scenario.treatments:
        times.update((treatment.start, treatment.stop))
    return sorted(t for t in times if 0.0 <= t <= scenario.duration)


def build_segments(scenario: Scenario, base_parameters: np.ndarray | None = None) -> list[Segment]:
    """Integration segments of ``scenario``.

    Parameters
    ----------
    scenario
        The scenario.
    base_parameters
        Parameter array before treatments; defaults to the table values with
        the scenario's overrides.
    """
    base = parameter_vector(scenario.parameters) if base_parameters is None else base_parameters
    edges = boundaries(scenario)
    segments = []
    for start, end in zip(edges, edges[1:]):
        p = parameters_at(scenario.treatments, start, base)
        u = np.zeros(N_SEGMENT_INPUTS)
        u[U_T0] = start
        u[U_LUMBAR:U_LUMBAR + 2] = scenario.lumbar_pain.linear_at(start)
        u[U_DISC:U_DISC + 2] = scenario.disc_degeneration.linear_at(start)
        u[U_ERGO:U_ERGO + 2] = scenario.ergonomic_load.linear_at(start)
        u[U_PT_TARGET:U_PT_TARGET + 4] = combined_targets(scenario.treatments, start, p)
        segments.append(Segment(start, end, u, p))
    return segments
