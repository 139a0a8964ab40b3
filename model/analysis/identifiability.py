"""Structural identifiability: which parameter combinations the equations cannot tell apart.

If moving the parameters along a direction ``v`` in log-parameter space leaves
the right-hand side ``f(y, u; p)`` unchanged at every state and input, every
trajectory is unchanged too (the initial steady state is a root of the same
``f``), so no data on the states can separate the parameters along ``v``:
only the combination ``prod_j p_j^(w_j)`` orthogonal to ``v`` is identifiable.
A product ``a * b`` shows up as ``v = (1, -1)``, a ratio ``a / b`` as
``v = (1, 1)``.

:func:`symmetries` finds these directions numerically. It stacks the
sensitivities ``d f_k / d log p_j`` (central differences) at
:data:`SAMPLES` random states, inputs and treatment effects drawn across
their ranges, scales each column to unit length, and returns the right
singular vectors whose singular value is below :data:`NULL_TOLERANCE` of the
largest: the null space of the sensitivity matrix. A parameter whose column
is zero does not enter the right-hand side at all (the observation model,
the diary noise, doses and drug efficacies that enter through the treatment
targets): :func:`outside_equations` lists those apart.

This checks the vector field, so it finds every *structural* symmetry of the
equations, not the practical identifiability from sparse data (which needs
the calibration's posterior: pairwise correlations, issue 14).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from lbp_headache.core.equations import rhs
from lbp_headache.core.parameters import NAMES, parameter_vector
from lbp_headache.core.states import (
    IL6,
    N_SEGMENT_INPUTS,
    N_STATES,
    STATES,
    TNF,
    U_DISC,
    U_ERGO,
    U_ERGO_TARGET,
    U_LUMBAR,
    U_NEURO_TARGET,
    U_NSAID_TARGET,
    U_PT_TARGET,
)

SAMPLES = 400
STEP = 1e-6  # relative step of the central differences in log p
NULL_TOLERANCE = 1e-6  # singular value / the largest, below which a direction is null
SHOWN = 1e-3  # weights below this in a null vector are left out of its description


@dataclass(frozen=True)
class Symmetry:
    """One direction in log-parameter space along which the equations do not change."""

    weights: dict[str, float]  # parameter -> weight, the largest scaled to 1
    residual: float  # |M v| / (|M| |v|): how far from exactly invariant (0 = exactly)

    def describe(self) -> str:
        """What the data can pin down along this direction, in words."""
        names = list(self.weights)
        signs = {round(w, 3) for w in self.weights.values()}
        if len(names) == 2 and signs == {1.0, -1.0}:
            return f"only the product {names[0]} × {names[1]} matters"
        if signs == {1.0}:
            if len(names) == 2:
                return f"only the ratio {names[0]} / {names[1]} matters"
            return ("only the ratios among " + ", ".join(names[:-1]) + f" and {names[-1]} "
                    "matter (scaling them all together changes nothing)")
        terms = " ".join(f"{w:+.3g}·log {name}" for name, w in self.weights.items())
        return f"invariant along {terms}"


def _samples(rng: np.random.Generator, count: int):
    low = np.array([s.low for s in STATES])
    high = np.array([s.high for s in STATES])
    # The cytokines' physical ranges are wide (IL-6 to 10,000 pg/mL): draw within what runs
    # reach.
    high[IL6], high[TNF] = 60.0, 30.0
    for _ in range(count):
        y = low + (high - low) * rng.random(N_STATES)
        u = np.zeros(N_SEGMENT_INPUTS)
        u[U_LUMBAR] = 10.0 * rng.random()
        u[U_DISC], u[U_ERGO] = rng.random(2)
        u[[U_PT_TARGET, U_ERGO_TARGET, U_NSAID_TARGET, U_NEURO_TARGET]] = rng.random(4)
        yield y, u


def sensitivities(p: np.ndarray | None = None, *, samples: int = SAMPLES,
                  seed: int = 0) -> np.ndarray:
    """``d f / d log p``: shape ``(samples * n_states, n_parameters)``."""
    p = parameter_vector() if p is None else np.asarray(p, dtype=float)
    rng = np.random.default_rng(seed)
    rows = []
    for y, u in _samples(rng, samples):
        block = np.empty((N_STATES, p.size))
        for j in range(p.size):
            up, down = p.copy(), p.copy()
            up[j] *= np.exp(STEP)
            down[j] *= np.exp(-STEP)
            block[:, j] = (rhs(0.0, y, up, u) - rhs(0.0, y, down, u)) / (2.0 * STEP)
        # Each state's rows on a common scale: a state's rate can be thousands of times
        # another's (cytokines clear in hours, the threshold moves over months).
        scale = np.maximum(np.abs(block).max(axis=1, keepdims=True), 1e-300)
        rows.append(block / scale)
    return np.vstack(rows)


def outside_equations(matrix: np.ndarray) -> list[str]:
    """Parameters whose every sensitivity is zero: not in the right-hand side."""
    return [NAMES[j] for j in range(matrix.shape[1]) if not np.any(matrix[:, j])]


def symmetries(p: np.ndarray | None = None, *, samples: int = SAMPLES,
               seed: int = 0) -> list[Symmetry]:
    """The null directions of the sensitivity matrix among the parameters in the equations."""
    matrix = sensitivities(p, samples=samples, seed=seed)
    inside = [j for j in range(matrix.shape[1]) if np.any(matrix[:, j])]
    norms = np.linalg.norm(matrix[:, inside], axis=0)
    _, values, vt = np.linalg.svd(matrix[:, inside] / norms, full_matrices=False)
    null = values < NULL_TOLERANCE * values[0]
    # Back to log-parameter coordinates, then the sparsest basis a row reduction gives
    # (several symmetries share a singular value of ~0, so the SVD mixes them).
    basis = _row_reduced(vt[null] / norms)
    found = []
    largest = values[0] * np.linalg.norm(norms)  # a bound on the norm of the raw matrix
    for vector in basis:
        vector = vector / np.max(np.abs(vector))
        # The same direction either way round: its first weight (in table order) positive.
        vector = vector * np.sign(vector[np.flatnonzero(np.abs(vector) > SHOWN)[0]])
        residual = np.linalg.norm(matrix[:, inside] @ vector) / (largest * np.linalg.norm(vector))
        weights = {NAMES[inside[k]]: float(np.round(w, 6)) for k, w in enumerate(vector)
                   if abs(w) > SHOWN}
        found.append(Symmetry(weights, float(residual)))
    return found


def _row_reduced(rows: np.ndarray, tolerance: float = 1e-8) -> np.ndarray:
    """Reduced row echelon form of ``rows`` (the same row space, pivots in column order)."""
    rows = np.array(rows, dtype=float)
    pivot_row = 0
    for column in range(rows.shape[1]):
        if pivot_row == rows.shape[0]:
            break
        best = pivot_row + int(np.argmax(np.abs(rows[pivot_row:, column])))
        if abs(rows[best, column]) < tolerance:
            continue
        rows[[pivot_row, best]] = rows[[best, pivot_row]]
        rows[pivot_row] /= rows[pivot_row, column]
        for other in range(rows.shape[0]):
            if other != pivot_row:
                rows[other] -= rows[other, column] * rows[pivot_row]
        pivot_row += 1
    rows[np.abs(rows) < tolerance] = 0.0
    return rows

