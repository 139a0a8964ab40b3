"""The expectation (placebo) effect: what patients report, apart from what the mechanism does.

A ``placebo`` treatment (and, in a blinded trial, the expectation that comes
with every arm's treatment) does not act on the ODE's mechanisms: it relieves
*reported* back pain and headache by the fraction ``placebo_relief * E(t)``,
where the expectation ``E`` (0-1) relaxes toward the placebo's adherence while
it is active and back to 0 after it stops, with the time constants
``tau_placebo_onset`` and ``tau_placebo_offset``. Keeping it out of the
mechanism keeps the three parts of a trial arm's change separable: the natural
course (the ODE), regression to the mean (the day-to-day noise of
:mod:`.diary` and the inclusion criteria) and the expectation effect (this
module). Overlapping placebo courses combine by independent action, like the
treatments of one type.

Between two changes of the target, ``E`` follows the exact solution
``E(t) = T + (E(a) - T) exp(-(t - a) / tau)`` with ``tau`` fixed by the
direction of the approach, so it is computed in closed form on any time grid.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from lbp_headache.core.parameters import INDEX
from lbp_headache.scenario.treatments import Treatment

EXPECTATION_TYPES = ("placebo",)


def has_expectation(treatments: Sequence[Treatment]) -> bool:
    """Whether any of ``treatments`` brings an expectation effect (a placebo course)."""
    return any(treatment.type in EXPECTATION_TYPES for treatment in treatments)


def expectation_target(treatments: Sequence[Treatment], t: float) -> float:
    """The expectation target at ``t``: ``1 - prod(1 - adherence)`` over active placebos."""
    remaining = 1.0
    for treatment in treatments:
        if treatment.type in EXPECTATION_TYPES and treatment.active(t):
            remaining *= 1.0 - treatment.adherence
    return 1.0 - remaining


def expectation_effect(treatments: Sequence[Treatment], days: np.ndarray,
                       parameter_sets: np.ndarray) -> np.ndarray:
    """The expectation ``E`` (0-1) on ``days`` for every parameter set.

    Parameters
    ----------
    treatments
        The scenario's treatments (only ``placebo`` courses count).
    days
        Increasing times (days) starting at 0.
    parameter_sets
        ``(n_sets, n_parameters)`` rows, or one parameter vector.

    Returns
    -------
    numpy.ndarray
        ``(n_sets, days.size)``, or ``(days.size,)`` for one vector.
    """
    rows = np.atleast_2d(np.asarray(parameter_sets, dtype=float))
    days = np.asarray(days, dtype=float)
    onset = rows[:, INDEX["tau_placebo_onset"]]
    offset = rows[:, INDEX["tau_placebo_offset"]]
    out = np.zeros((rows.shape[0], days.size))
    placebos = [t for t in treatments if t.type in EXPECTATION_TYPES]
    if placebos:
        edges = sorted({0.0, *(t.start for t in placebos), *(t.stop for t in placebos
                                                              if np.isfinite(t.stop))})
        edges.append(np.inf)
        value = np.zeros(rows.shape[0])
        for start, stop in zip(edges[:-1], edges[1:]):
            target = expectation_target(placebos, start)
            tau = np.where(target > value, onset, offset)
            inside = (days >= start) & (days < stop)
            if np.any(inside):
                elapsed = days[inside] - start
                out[:, inside] = target + (value[:, None] - target) * np.exp(
                    -elapsed[None, :] / tau[:, None])
            if np.isfinite(stop):
                value = target + (value - target) * np.exp(-(stop - start) / tau)
    return out if np.ndim(parameter_sets) == 2 else out[0]


def reported_relief(effect: np.ndarray, parameter_sets: np.ndarray) -> np.ndarray:
    """The factor ``1 - placebo_relief * E`` that multiplies reported pain (same shape)."""
    rows = np.atleast_2d(np.asarray(parameter_sets, dtype=float))
    relief = rows[:, INDEX["placebo_relief"]]
    factor = 1.0 - relief[:, None] * np.atleast_2d(effect)
    return factor if np.ndim(parameter_sets) == 2 else factor[0]
