"""Split a scenario into integration segments between discontinuities.

Within a segment every input is linear in time, every treatment target and
every parameter is constant, so the right-hand side is smooth there and the
solver never steps across a jump. Segment boundaries are the profile
breakpoints, treatment starts and stops, and the end of the simulation.

Treatments are swept once over their sorted starts and stops
(:func:`active_runs`), so the work grows as ``(S + T) log(S + T)`` for ``S``
segments and ``T`` treatments, plus the work of combining the treatments
active on each stretch: each treatment's effect is computed once per
parameter array, and a stretch that only adds treatments extends the
previous stretch's products (:func:`treatment_runs`). :func:`build_segments`
and :func:`segment_tables` both use it.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from lbp_headache.core.parameters import NAMES, parameter_vector
from lbp_headache.core.states import N_SEGMENT_INPUTS, U_DISC, U_ERGO, U_LUMBAR, U_PT_TARGET, U_T0
from lbp_headache.scenario.record import Scenario, change_times
from lbp_headache.scenario.treatments import (
    TARGET_SLOT,
    Treatment,
    active_parameters,
    treatment_target,
)


@dataclass(frozen=True)
class Segment:
    """One integration segment ``[start, end]`` with constant inputs ``u`` and parameters ``p``."""

    start: float
    end: float
    inputs: np.ndarray
    parameters: np.ndarray


def boundaries(scenario: Scenario) -> list[float]:
    """Sorted segment boundaries in ``[0, duration]`` (both ends included).

    The times where an input or a treatment may change
    (:func:`lbp_headache.scenario.record.change_times`, which the file reader also checks).
    """
    return change_times(scenario)


def active_runs(treatments: Sequence[Treatment],
                starts: Sequence[float]) -> Iterator[tuple[int, int, tuple[Treatment, ...]]]:
    """The treatments active on each segment, as runs of segments sharing them.

    Treatment ``t`` is active on the segment starting at ``s`` when
    ``t.start <= s < t.stop`` (:meth:`Treatment.active`). One sweep over the
    treatments' first and last segments keeps the active set, so each
    segment costs only the changes at its start.

    Parameters
    ----------
    treatments
        The treatments, in the order the scenario lists them.
    starts
        Segment starts, strictly increasing.

    Returns
    -------
    iterator of (int, int, tuple of Treatment)
        ``(first, end, active)``: segments ``first .. end - 1`` have exactly
        the treatments ``active`` active, in the order of ``treatments``.
        The runs tile ``0 .. len(starts)`` and consecutive runs differ.
    """
    for first, end, active, _ in _index_runs(treatments, starts):
        yield first, end, tuple(treatments[i] for i in active)


def _index_runs(treatments: Sequence[Treatment], starts: Sequence[float]
                ) -> Iterator[tuple[int, int, list[int], int | None]]:
    """:func:`active_runs` as indices: ``(first, end, active, kept)``.

    ``active`` is the live list of active indices, ascending (read it before
    the next step). ``kept`` is the length of the previous run's list when
    this run only appends treatments to it (none left, and every newcomer is
    listed after every treatment still active), else None.
    """
    edges = np.asarray(starts, dtype=float)
    opens = np.searchsorted(edges, [t.start for t in treatments], side="left")
    closes = np.searchsorted(edges, [t.stop for t in treatments], side="left")
    entering: dict[int, list[int]] = {}
    leaving: dict[int, list[int]] = {}
    for i, (first, end) in enumerate(zip(opens.tolist(), closes.tolist())):
        if first < end:  # active on at least one segment
            entering.setdefault(first, []).append(i)
            leaving.setdefault(end, []).append(i)
    changes = sorted(entering.keys() | leaving.keys() | {0, edges.size})
    active: list[int] = []  # indices into treatments, ascending
    for first, end in zip(changes, changes[1:]):
        gone = leaving.get(first, ())
        new = entering.get(first, ())
        kept = len(active) if not gone and (not active or not new or new[0] > active[-1]) \
            else None
        for i in gone:
            del active[bisect.bisect_left(active, i)]
        for i in new:
            bisect.insort(active, i)
        yield first, end, active, kept


def profile_inputs(scenario: Scenario, starts: Sequence[float]) -> np.ndarray:
    """Segment inputs of the profiles, shape ``(len(starts), n_inputs)``.

    Each row holds the segment start and the value and slope of the three
    profiles there; the treatment targets are left at 0.
    """
    table = np.zeros((len(starts), N_SEGMENT_INPUTS))
    for k, start in enumerate(starts):
        table[k, U_T0] = start
        table[k, U_LUMBAR:U_LUMBAR + 2] = scenario.lumbar_pain.linear_at(start)
        table[k, U_DISC:U_DISC + 2] = scenario.disc_degeneration.linear_at(start)
        table[k, U_ERGO:U_ERGO + 2] = scenario.ergonomic_load.linear_at(start)
    return table


def treatment_runs(treatments: Sequence[Treatment], starts: Sequence[float],
                   base: np.ndarray) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
    """Parameters and effect targets on runs of segments (see :func:`active_runs`).

    Parameters
    ----------
    treatments
        The treatments, in the order the scenario lists them.
    starts
        Segment starts, strictly increasing.
    base
        Parameter array before treatments, or ``(n_parameters, n_sets)``.

    Returns
    -------
    iterator of (int, int, numpy.ndarray, numpy.ndarray)
        ``(first, end, parameters, targets)`` for segments ``first .. end - 1``:
        the parameters with the active ``parameter_change`` treatments applied
        (a new array shaped like ``base``) and the four targets (shape ``(4,)``
        or ``(4, n_sets)``), as :func:`lbp_headache.scenario.treatments.parameters_at` and
        :func:`lbp_headache.scenario.treatments.combined_targets` give them.
    """
    # Each treatment's factor ``1 - target`` is computed once per parameter array, and a run
    # that only appends treatments multiplies the previous run's products by theirs: the
    # same products in the same order as active_targets, so the same numbers, at a cost
    # near-linear in the number of courses (3,000 open-ended courses: 4.5 million target
    # evaluations before, 3,000 now).
    changes = [t.type == "parameter_change" for t in treatments]
    slots = [TARGET_SLOT.get(t.type) for t in treatments]
    p, p_key = None, ()
    factors: dict[int, object] = {}
    remaining = None
    for first, end, active, kept in _index_runs(treatments, starts):
        if kept is not None and p is not None and not any(changes[i] for i in active[kept:]):
            newcomers = active[kept:]
            remaining = remaining.copy()
        else:
            key = tuple(i for i in active if changes[i])
            if p is None or key != p_key:
                p = active_parameters([treatments[i] for i in key], base)
                p_key, factors = key, {}
            newcomers = active
            remaining = np.ones((len(TARGET_SLOT),) + np.shape(p)[1:])
        for i in newcomers:
            if slots[i] is not None:
                factor = factors.get(i)
                if factor is None:
                    factor = factors[i] = 1.0 - treatment_target(treatments[i], p)
                remaining[slots[i]] *= factor
        yield first, end, p.copy(), 1.0 - remaining


def segment_tables(scenario: Scenario, parameter_sets: np.ndarray):
    """Segment boundaries, per-set inputs and per-set parameters of ``scenario``.

    Returns ``(starts, ends, inputs, parameters)`` with ``inputs`` of shape
    ``(n_sets, n_segments, n_inputs)`` and ``parameters`` of shape
    ``(n_sets, n_segments, n_parameters)`` (a read-only broadcast view when no
    treatment changes a parameter). The values are those of
    :func:`lbp_headache.engine.schedule.build_segments` for each set; the treatments are
    combined once per run of segments with the same active treatments
    (:func:`lbp_headache.engine.schedule.treatment_runs`).
    """
    edges = boundaries(scenario)
    starts = np.array(edges[:-1], dtype=float)
    ends = np.array(edges[1:], dtype=float)
    n_sets = parameter_sets.shape[0]
    # One set (a single run): plain 1-D arithmetic, several times faster per treatment than
    # 1-element arrays and the same numbers.
    base = parameter_sets[0] if n_sets == 1 else parameter_sets.T
    changes = any(t.type == "parameter_change" for t in scenario.treatments)
    if changes:
        # Filled in order first: written run by run, fresh memory would be paged in out of
        # order (one page per set and run), several times slower than the fill.
        per_segment = np.empty((n_sets, starts.size, len(NAMES)))
        per_segment[:] = parameter_sets[:, None, :]
    else:
        per_segment = np.broadcast_to(parameter_sets[:, None, :],
                                      (n_sets, starts.size, len(NAMES)))
    inputs = np.empty((n_sets, starts.size, N_SEGMENT_INPUTS))
    inputs[:] = profile_inputs(scenario, starts)
    for first, end, p, targets in treatment_runs(scenario.treatments, starts, base):
        if changes:
            per_segment[:, first:end, :] = np.reshape(p.T, (n_sets, 1, len(NAMES)))
        inputs[:, first:end, U_PT_TARGET:U_PT_TARGET + 4] = np.reshape(targets.T, (n_sets, 1, 4))
    return starts, ends, inputs, per_segment


def build_segments(scenario: Scenario, base_parameters: np.ndarray | None = None) -> list[Segment]:
    """Integration segments of ``scenario``: :func:`segment_tables` for one parameter set.

    Parameters
    ----------
    scenario
        The scenario.
    base_parameters
        Parameter array before treatments; defaults to the table values with
        the scenario's overrides.
    """
    base = parameter_vector(scenario.parameters) if base_parameters is None else base_parameters
    starts, ends, inputs, per_segment = segment_tables(scenario, np.asarray(base)[None, :])
    return [Segment(float(starts[k]), float(ends[k]), inputs[0, k].copy(),
                    np.array(per_segment[0, k]))
            for k in range(starts.size)]
