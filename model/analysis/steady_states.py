"""Steady states of the model for constant inputs, and where it is bistable.

Every state of the model follows its inputs without feedback, except the pain
threshold, which feeds back on itself through sensitization (docs/model.md).
For constant inputs and treatment effects, every other state therefore has
one equilibrium, and the fixed points of the whole model are the roots of the
threshold's rate ``F(theta) = d theta / dt`` with the other states at their
equilibria. ``F`` is continuous on the threshold's range
``[1 - sensitization_depth, 1]``, positive at its floor and negative or zero
at 1, so there is always at least one root.

:func:`fixed_points` finds every root that crosses zero: a grid of
:data:`THRESHOLD_GRID` thresholds brackets each sign change, and Brent's
method refines it on the model's own right-hand side
(:func:`lbp_headache.core.equations.rhs`) to :data:`THRESHOLD_XTOL`. A root is
stable when ``F`` falls through zero there (a threshold a little lower rises,
one a little higher falls). Two roots closer than a grid step (the moment a
fold is reached) can be missed: the grid step, 1/2000 of the range, bounds
how close to a fold a diagram is exact.

:func:`branches` follows the fixed points along one input or parameter (a
bifurcation diagram), :func:`bistability_map` classifies a plane of two, and
:func:`slow_ramp` runs the model through a slow rise and fall of back pain,
whose loop the diagram's stable branches should frame.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from lbp_headache.core.equations import (
    effective_lumbar_pain,
    equilibrium_states,
    rhs,
    sensitization_level,
    threshold_target,
)
from lbp_headache.core.parameters import BY_NAME, INDEX
from lbp_headache.core.states import (
    H_TENSION,
    N_SEGMENT_INPUTS,
    THRESHOLD,
    U_DISC,
    U_ERGO,
    U_ERGO_TARGET,
    U_LUMBAR,
    U_NEURO_TARGET,
    U_NSAID_TARGET,
    U_PT_TARGET,
)
from lbp_headache.engine.simulate import simulate
from lbp_headache.scenario.profiles import constant, from_points
from lbp_headache.scenario.record import Scenario
from lbp_headache.scenario.treatments import active_parameters, active_targets
from scipy.optimize import brentq

#: Thresholds on the grid that brackets the roots (over the threshold's range).
THRESHOLD_GRID = 2001
#: Brent's method stops when the root is known to this (the threshold is 0-1).
THRESHOLD_XTOL = 1e-13
#: The input that ``--vary`` means by default.
LUMBAR_PAIN = "lumbar_pain"
LUMBAR_RANGE = (0.0, 10.0)
#: Classes of :func:`bistability_map`.
HEALTHY, SENSITIZED, BISTABLE = 0, 1, 2
CLASS_NAMES = ("one steady state, little sensitized", "one steady state, sensitized",
               "bistable: two stable steady states")
#: A single stable state counts as sensitized when sensitization is above this.
SENSITIZED_LEVEL = 0.5


@dataclass(frozen=True)
class ConstantInputs:
    """Inputs held constant: the raw drives and the four treatment-effect targets."""

    lumbar_pain: float
    disc_degeneration: float
    ergonomic_load: float
    effects: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # PT, ergo, NSAID, neuro

    def segment_inputs(self) -> np.ndarray:
        """The inputs as one constant segment (the layout of :func:`rhs`)."""
        u = np.zeros(N_SEGMENT_INPUTS)  # the segment starts at 0, and nothing has a slope
        u[U_LUMBAR], u[U_DISC], u[U_ERGO] = (self.lumbar_pain, self.disc_degeneration,
                                             self.ergonomic_load)
        u[[U_PT_TARGET, U_ERGO_TARGET, U_NSAID_TARGET, U_NEURO_TARGET]] = self.effects
        return u


@dataclass(frozen=True)
class FixedPoint:
    """One steady state: every state, and whether small perturbations die out."""

    states: np.ndarray
    stable: bool

    @property
    def pain_threshold(self) -> float:
        return float(self.states[THRESHOLD])

    @property
    def headache(self) -> float:
        return float(self.states[H_TENSION:H_TENSION + 4].sum())


def scenario_inputs(scenario: Scenario, day: float, p: np.ndarray) -> ConstantInputs:
    """The scenario's inputs on ``day``, with the treatments active then as constant effects."""
    active = [t for t in scenario.treatments if t.active(day)]
    effects = active_targets(active, active_parameters(active, p))
    return ConstantInputs(float(scenario.lumbar_pain(np.array([day]))[0]),
                          float(scenario.disc_degeneration(np.array([day]))[0]),
                          float(scenario.ergonomic_load(np.array([day]))[0]),
                          tuple(float(e) for e in effects))


def equilibrium(threshold, inputs: ConstantInputs, p: np.ndarray) -> np.ndarray:
    """Every state at equilibrium given the pain threshold (``threshold`` a float or array;
    :func:`lbp_headache.core.equations.equilibrium_states` with these inputs)."""
    return equilibrium_states(threshold, inputs.lumbar_pain, inputs.disc_degeneration,
                              inputs.ergonomic_load, p, inputs.effects)


def threshold_rate(threshold, inputs: ConstantInputs, p: np.ndarray):
    """``d theta / dt`` with every other state at equilibrium, on arrays (the bracketing grid).

    The same terms as :func:`lbp_headache.core.equations.rhs_at`, written with
    ``numpy.where`` for the rise/fall time constants; :func:`fixed_points`
    refines each root on ``rhs`` itself.
    """
    pt, _, nsaid, neuro = inputs.effects
    threshold = np.asarray(threshold, dtype=float)
    lumbar = effective_lumbar_pain(inputs.lumbar_pain, pt, nsaid, neuro, p)
    target = threshold_target(lumbar, sensitization_level(threshold, p), neuro, p)
    tau = np.where(target > threshold, p[INDEX["tau_desensitization"]],
                   p[INDEX["tau_sensitization"]])
    return ((target - threshold) / tau
            + p[INDEX["neuropathic_restoration_rate"]] * neuro * (1.0 - threshold))


def _rate_on_rhs(threshold: float, inputs: ConstantInputs, p: np.ndarray, u: np.ndarray) -> float:
    return float(rhs(0.0, equilibrium(threshold, inputs, p), p, u)[THRESHOLD])


def threshold_grid(p: np.ndarray) -> np.ndarray:
    """The bracketing grid over the threshold's range, ``(THRESHOLD_GRID,)`` or with set axes."""
    floor = 1.0 - np.asarray(p[INDEX["sensitization_depth"]], dtype=float)
    fraction = np.linspace(0.0, 1.0, THRESHOLD_GRID).reshape((-1,) + (1,) * floor.ndim)
    return floor + (1.0 - floor) * fraction


def fixed_points(p: np.ndarray, inputs: ConstantInputs) -> list[FixedPoint]:
    """Every steady state for constant ``inputs``, by rising threshold (module docstring)."""
    p = np.asarray(p, dtype=float)
    grid = threshold_grid(p)
    rate = threshold_rate(grid, inputs, p)
    u = inputs.segment_inputs()
    points = []
    last = grid.size - 1
    for i in range(grid.size):
        if rate[i] == 0.0:  # a root on the grid (the healthy threshold 1 without back pain)
            rises_below = i == 0 or rate[i - 1] > 0.0
            falls_above = i == last or rate[i + 1] < 0.0
            points.append((float(grid[i]), rises_below and falls_above))
        elif i < last and rate[i] * rate[i + 1] < 0.0:
            root = brentq(_rate_on_rhs, float(grid[i]), float(grid[i + 1]),
                          args=(inputs, p, u), xtol=THRESHOLD_XTOL, rtol=4 * np.finfo(float).eps)
            points.append((root, bool(rate[i] > 0.0)))
    return [FixedPoint(equilibrium(theta, inputs, p), stable) for theta, stable in points]


@dataclass(frozen=True)
class Branches:
    """Fixed points along one varied input or parameter (a bifurcation diagram)."""

    vary: str
    values: np.ndarray
    points: tuple[tuple[FixedPoint, ...], ...]  # per value, by rising threshold

    def bistable_values(self) -> np.ndarray:
        """The values with two stable steady states."""
        return np.array([v for v, pts in zip(self.values, self.points)
                         if sum(pt.stable for pt in pts) >= 2])

    def folds(self) -> list[float]:
        """Values where the number of steady states changes (midpoints of the grid step)."""
        counts = [len(pts) for pts in self.points]
        return [float(0.5 * (self.values[k] + self.values[k + 1]))
                for k in range(len(counts) - 1) if counts[k] != counts[k + 1]]


def vary_range(vary: str) -> tuple[float, float]:
    """The default range of ``vary``: 0-10 for lumbar pain, else the parameter table's range."""
    if vary == LUMBAR_PAIN:
        return LUMBAR_RANGE
    parameter = BY_NAME[vary]
    return float(parameter.low), float(parameter.high)


def _at(vary: str, value: float, inputs: ConstantInputs, p: np.ndarray):
    if vary == LUMBAR_PAIN:
        return replace(inputs, lumbar_pain=float(value)), p
    q = p.copy()
    q[INDEX[vary]] = value
    return inputs, q


def branches(p: np.ndarray, inputs: ConstantInputs, vary: str, values) -> Branches:
    """The fixed points at each of ``values`` of ``vary`` (lumbar pain or a parameter)."""
    values = np.asarray(values, dtype=float)
    points = []
    for value in values:
        at_inputs, at_p = _at(vary, value, inputs, p)
        points.append(tuple(fixed_points(at_p, at_inputs)))
    return Branches(vary, values, tuple(points))


def bistability_map(p: np.ndarray, inputs: ConstantInputs, vary: str, values, vary2: str,
                    values2) -> np.ndarray:
    """The class of every point of the ``vary`` x ``vary2`` plane.

    Shape ``(len(values2), len(values))``.

    :data:`BISTABLE` where two stable steady states exist, else :data:`HEALTHY`
    or :data:`SENSITIZED` by the one stable state's sensitization (above
    :data:`SENSITIZED_LEVEL`). Counted on the bracketing grid, vectorized over
    the plane (no refinement: a class needs only the signs).
    """
    values, values2 = np.asarray(values, float), np.asarray(values2, float)
    classes = np.empty((values2.size, values.size), dtype=int)
    columns = np.arange(values.size)
    for row, value2 in enumerate(values2):
        row_inputs, row_p = _at(vary2, value2, inputs, np.asarray(p, float))
        block = np.repeat(row_p[:, None], values.size, axis=1)
        if vary == LUMBAR_PAIN:
            row_inputs = replace(row_inputs, lumbar_pain=values)  # one lumbar pain per column
        else:
            block[INDEX[vary]] = values
        grid = threshold_grid(block)
        rates = threshold_rate(grid, row_inputs, block)
        # A stable root in each step where the rate falls through zero (a root at the
        # healthy end, threshold 1, ends the last step).
        falls = (rates[:-1] > 0.0) & (rates[1:] <= 0.0)
        stable = falls.sum(axis=0)
        first = np.where(falls.any(axis=0), np.argmax(falls, axis=0), grid.shape[0] - 1)
        level = (1.0 - grid[first, columns]) / block[INDEX["sensitization_depth"]]
        classes[row] = np.where(stable >= 2, BISTABLE,
                                np.where(level > SENSITIZED_LEVEL, SENSITIZED, HEALTHY))
    return classes


def slow_ramp(scenario: Scenario, peak: float = 10.0, ramp_days: float = 3 * 365.25,
              overrides=None):
    """Back pain rising linearly from 0 to ``peak`` and falling back, with the scenario's
    parameters and no treatment or disc input: ``(lumbar_pain, pain_threshold)`` by day.

    Slow against the threshold's time constants, so the loop hugs the stable
    branches and jumps near the folds; the gap to the folds shows how slow the
    ramp is compared with the dynamics.
    """
    ramped = replace(scenario, name=f"{scenario.name}: slow ramp", duration=2.0 * ramp_days,
                     lumbar_pain=from_points([0.0, ramp_days, 2.0 * ramp_days], [0.0, peak, 0.0]),
                     disc_degeneration=constant(0.0), ergonomic_load=constant(0.0),
                     treatments=(), initial_state={})
    result = simulate(ramped, overrides=overrides)
    return result.daily["lumbar_pain"], result.daily["pain_threshold"]

