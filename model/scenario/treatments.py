"""Treatments as data, and the one place where their semantics are written down.

Semantics
---------
Window
    A treatment is active on the half-open window ``[start, stop)`` in days.
    While active it sets a *target*; the matching effect state moves toward
    the target with the onset time constant and, after ``stop``, back to 0
    with the offset (fade) time constant from the parameter table. So gains
    build up over weeks and fade over months for physical therapy, within
    hours for NSAIDs.
Targets (fraction of the full effect, 0-1)
    * ``physical_therapy``: ``intensity * adherence``; at full effect it
      relieves lumbar pain, corrects posture and relaxes the neck by the
      ``physical_therapy_*`` fractions.
    * ``ergonomics``: ``ergonomics_efficacy * intensity * adherence``: the
      fraction of the ergonomic load removed.
    * ``nsaid``: ``adherence * min(dose / nsaid_standard_dose, 1)``; at full
      effect it inhibits disc-driven cytokine production and relieves lumbar
      pain by the ``nsaid_*`` fractions.
    * ``neuropathic_medication``: ``<drug>_efficacy * adherence *
      min(dose / <drug>_standard_dose, 1)``: the fraction of central gain
      removed; it also pulls the threshold back toward normal at
      ``neuropathic_restoration_rate``.
    * ``parameter_change``: while active, ``parameter`` takes ``value`` (or its
      current value times ``scale``); the change is instantaneous.
    * ``placebo``: no mechanism; an expectation (target ``adherence``) that
      relieves *reported* pain only (:mod:`lbp_headache.analysis.expectation`).
    * ``usual_care`` (also for a waitlist): no active treatment and no
      expectation; it marks an arm's window in a trial.
    A missing dose means the standard dose; a dose above it adds nothing.
Overlap
    Treatments of the same type that overlap combine by independent action:
    ``target = 1 - prod(1 - target_i)``. Different types act on their own
    mechanisms; where two act on the same quantity (physical therapy and
    NSAIDs both relieve lumbar pain) their relief factors multiply. Two
    ``parameter_change`` treatments of the same parameter may not overlap
    (the result would depend on their order).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from lbp_headache.core.parameters import DRUGS, INDEX

TREATMENT_TYPES: tuple[str, ...] = (
    "physical_therapy",
    "ergonomics",
    "nsaid",
    "neuropathic_medication",
    "parameter_change",
    "placebo",
    "usual_care",
)

# Effect state each type drives (parameter_change drives none).
TARGET_SLOT = {
    "physical_therapy": 0,
    "ergonomics": 1,
    "nsaid": 2,
    "neuropathic_medication": 3,
}


@dataclass(frozen=True)
class Treatment:
    """One treatment course (see the module docstring for semantics).

    Times in days; ``dose`` in mg/day; ``intensity`` and ``adherence`` in 0-1.
    ``stop`` may be ``math.inf`` (until the end of the simulation).
    """

    type: str
    start: float
    stop: float = math.inf
    intensity: float = 1.0
    adherence: float = 1.0
    dose: float | None = None
    drug: str | None = None
    parameter: str | None = None
    value: float | None = None
    scale: float | None = None
    label: str = ""

    def __post_init__(self):
        if self.type not in TREATMENT_TYPES:
            raise ValueError(f"unknown treatment type {self.type!r}")
        if not (0.0 <= self.start < self.stop):
            raise ValueError("a treatment needs 0 <= start < stop")
        if self.type == "neuropathic_medication" and self.drug not in DRUGS:
            raise ValueError(f"neuropathic_medication needs a drug from {DRUGS}")
        if self.type == "parameter_change":
            if self.parameter not in INDEX:
                raise ValueError(f"unknown parameter {self.parameter!r}")
            if (self.value is None) == (self.scale is None):
                raise ValueError("parameter_change needs exactly one of value and scale")

    def active(self, t: float) -> bool:
        """Whether the treatment is active at ``t`` (half-open window)."""
        return self.start <= t < self.stop

    @property
    def display_name(self) -> str:
        if self.label:
            return self.label
        if self.type == "neuropathic_medication":
            return str(self.drug)
        if self.type == "parameter_change":
            return f"{self.parameter} change"
        return self.type.replace("_", " ")


def treatment_target(treatment: Treatment, p: np.ndarray) -> float:
    """Target effect (0-1) of an active treatment with parameters ``p``."""
    kind = treatment.type
    if kind == "physical_therapy":
        return treatment.intensity * treatment.adherence
    if kind == "ergonomics":
        return p[INDEX["ergonomics_efficacy"]] * treatment.intensity * treatment.adherence
    if kind == "nsaid":
        return treatment.adherence * _dose_fraction(treatment.dose, p[INDEX["nsaid_standard_dose"]])
    if kind == "neuropathic_medication":
        drug = treatment.drug
        fraction = _dose_fraction(treatment.dose, p[INDEX[f"{drug}_standard_dose"]])
        return p[INDEX[f"{drug}_efficacy"]] * treatment.adherence * fraction
    raise ValueError(f"treatment type {kind!r} has no effect target")


def _dose_fraction(dose: float | None, standard: float) -> float:
    return 1.0 if dose is None else np.minimum(dose / standard, 1.0)


def combined_targets(treatments: Sequence[Treatment], t: float, p: np.ndarray) -> np.ndarray:
    """The four effect targets at ``t`` under the overlap rule (independent action).

    ``p`` is one parameter array, or a ``(n_parameters, n_sets)`` array for many
    sets at once (the result is then ``(4, n_sets)``).
    """
    return active_targets([x for x in treatments if x.active(t)], p)


def active_targets(active: Sequence[Treatment], p: np.ndarray) -> np.ndarray:
    """The four effect targets while exactly the treatments ``active`` are active.

    The factors ``1 - target_i`` of one type are multiplied in the order of
    ``active`` (keep the scenario's order: the rounding depends on it).

    Parameters
    ----------
    active
        The active treatments, in the order the scenario lists them.
    p
        One parameter array, or a ``(n_parameters, n_sets)`` array.

    Returns
    -------
    numpy.ndarray
        Shape ``(4,)``, or ``(4, n_sets)`` for many sets.
    """
    remaining = np.ones((len(TARGET_SLOT),) + np.shape(p)[1:])
    for treatment in active:
        if treatment.type in TARGET_SLOT:
            remaining[TARGET_SLOT[treatment.type]] *= 1.0 - treatment_target(treatment, p)
    return 1.0 - remaining


def parameters_at(treatments: Sequence[Treatment], t: float, base: np.ndarray) -> np.ndarray:
    """Parameter array at ``t`` with the active ``parameter_change`` treatments applied."""
    return active_parameters([x for x in treatments if x.active(t)], base)


def active_parameters(active: Sequence[Treatment], base: np.ndarray) -> np.ndarray:
    """A copy of ``base`` with the ``parameter_change`` treatments among ``active`` applied.

    Parameters
    ----------
    active
        The active treatments, in the order the scenario lists them (of two
        overlapping changes of one parameter, which a scenario file may not
        have, the later-listed one wins).
    base
        One parameter array, or a ``(n_parameters, n_sets)`` array.

    Returns
    -------
    numpy.ndarray
        A new array shaped like ``base``.
    """
    p = base.copy()
    for treatment in active:
        if treatment.type == "parameter_change":
            i = INDEX[treatment.parameter]
            p[i] = treatment.value if treatment.value is not None else base[i] * treatment.scale
    return p


def overlapping_parameter_changes(treatments: Sequence[Treatment]) -> list[tuple[int, int]]:
    """Index pairs of ``parameter_change`` treatments of one parameter whose windows overlap.

    Every change that overlaps an earlier-listed change of the same parameter
    appears once as ``j`` in a pair ``(i, j)`` with ``i < j``, ``i`` being the
    earlier-listed change it overlaps that stops last (the smallest index on a
    tie). Not every overlapping pair is listed (there may be quadratically
    many): the pairs name each offending change once. Runs in
    ``O(T log T)`` for ``T`` treatments.

    Parameters
    ----------
    treatments
        The treatments, in the order the scenario lists them.

    Returns
    -------
    list of tuple of int
        The pairs ``(i, j)``, sorted.
    """
    by_parameter: dict[str, list[int]] = {}
    for j, treatment in enumerate(treatments):
        if treatment.type == "parameter_change":
            by_parameter.setdefault(treatment.parameter, []).append(j)
    pairs = []
    for indices in by_parameter.values():
        # A Fenwick tree over the sorted starts holds, for each prefix of starts, the
        # latest stop among the changes listed so far (with its index, negated so that
        # the smallest index wins a tie).
        starts = sorted({treatments[j].start for j in indices})
        tree = [(-math.inf, 0)] * (len(starts) + 1)
        for j in indices:
            treatment = treatments[j]
            # Earlier-listed changes that start before this one stops ...
            latest = (-math.inf, 0)
            position = bisect.bisect_left(starts, treatment.stop)
            while position > 0:
                latest = max(latest, tree[position])
                position -= position & -position
            # ... overlap it when one of them stops after it starts.
            if latest[0] > treatment.start:
                pairs.append((-latest[1], j))
            position = bisect.bisect_left(starts, treatment.start) + 1
            entry = (treatment.stop, -j)
            while position < len(tree):
                tree[position] = max(tree[position], entry)
                position += position & -position
    return sorted(pairs)
