"""Local normalized sensitivities (elasticities) at one parameter set.

The % change of the output per % change of each parameter, by central (or,
at a bound, one-sided) differences. Cost: ``2 d + 1`` evaluations. Verbs:
:func:`local_sample`, then :func:`local_analyze`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from lbp_headache.analysis.sensitivity.checks import (
    check_outputs,
)
from lbp_headache.analysis.space import ParameterSpace, per_parameter, readonly
from lbp_headache.files.json_data import jsonable

# --- local normalized sensitivities --------------------------------------------------


@dataclass(frozen=True, eq=False)
class LocalDesign:
    """Finite-difference design around one parameter set ``x0``.

    Attributes
    ----------
    names
        Parameter names.
    x0
        The reference parameter set, shape ``(d,)``.
    rel_step
        Requested relative step ``h``.
    step
        Absolute step per parameter (``h |x0_i|``, or ``h (high - low)`` where
        ``x0_i = 0``; smaller where the bounds leave less room).
    scheme
        Per parameter ``"central"`` (rows ``x0 + step``, ``x0 - step``),
        ``"forward"`` (``x0 + step``, ``x0 + 2 step``; at a lower bound) or
        ``"backward"`` (``x0 - step``, ``x0 - 2 step``; at an upper bound).
    weights
        Shape ``(d, 3)``: the derivative is ``w0 y(x0) + w1 y(row 1 + 2i) +
        w2 y(row 2 + 2i)`` (second-order accurate three-point formulas, from
        the actual row values).
    X
        Shape ``(2 d + 1, d)``: ``x0``, then the two perturbed rows of each
        parameter in turn (what to evaluate).
    low, high
        Bounds respected by every row (infinite without a parameter space).
    """

    names: tuple[str, ...]
    x0: np.ndarray
    rel_step: float
    step: np.ndarray
    scheme: tuple[str, ...]
    weights: np.ndarray
    X: np.ndarray
    low: np.ndarray
    high: np.ndarray

    @property
    def d(self) -> int:
        """Number of parameters."""
        return len(self.names)

    @property
    def n_rows(self) -> int:
        """Number of evaluations, ``2 d + 1``."""
        return 2 * self.d + 1

    def stacked(self) -> np.ndarray:
        """All rows to evaluate (same as ``X``): x0, then two rows per parameter."""
        return self.X


def _three_point_weights(a: float, b: float) -> tuple[float, float, float]:
    """Weights of ``f(0), f(a), f(b)`` in the second-order estimate of ``f'(0)``."""
    return -(a + b) / (a * b), b / (a * (b - a)), -a / (b * (b - a))


def local_sample(space_or_names: ParameterSpace | Sequence[str], x0,
                 rel_step: float = 1e-3) -> LocalDesign:
    """Finite-difference design for derivatives and elasticities at ``x0``.

    Parameters
    ----------
    space_or_names
        A :class:`ParameterSpace` (rows stay within its bounds) or just the
        parameter names (unbounded).
    x0
        Reference values, shape ``(d,)``, within the bounds.
    rel_step
        Relative step ``h`` in (0, 0.5): rows ``x0_i (1 + h)`` and
        ``x0_i (1 - h)`` (central differences). Where ``x0_i = 0`` the step
        is ``h (high - low)`` (``h`` without bounds). Where a bound is closer
        than the step, the difference is one-sided (two steps inward).

    Returns
    -------
    LocalDesign
        Evaluate :meth:`LocalDesign.stacked` (``2 d + 1`` rows).
    """
    if isinstance(space_or_names, ParameterSpace):
        names, low, high = space_or_names.names, space_or_names.low, space_or_names.high
    else:
        names = tuple(str(name) for name in space_or_names)
        if not names or len(set(names)) != len(names):
            raise ValueError("names must be a non-empty sequence of unique parameter names")
        low, high = np.full(len(names), -np.inf), np.full(len(names), np.inf)
    d = len(names)
    x0 = per_parameter(x0, d, "x0")
    if not 0.0 < rel_step < 0.5:
        raise ValueError(f"rel_step must be in (0, 0.5); got {rel_step}")
    outside = [f"{names[i]} = {x0[i]:g} not in [{low[i]:g}, {high[i]:g}]" for i in range(d)
               if not (np.isfinite(x0[i]) and low[i] <= x0[i] <= high[i])]
    if outside:
        raise ValueError("x0 must be finite and within the bounds: " + "; ".join(outside))
    span = high - low
    step = np.where(x0 != 0.0, rel_step * np.abs(x0),
                    np.where(np.isfinite(span), rel_step * span, rel_step))
    X = np.repeat(x0[np.newaxis], 2 * d + 1, axis=0)
    weights = np.empty((d, 3))
    schemes = []
    for i in range(d):
        h = step[i]
        if x0[i] - h >= low[i] and x0[i] + h <= high[i]:
            scheme, offsets = "central", (h, -h)
        elif x0[i] + 2 * h <= high[i]:
            scheme, offsets = "forward", (h, 2 * h)
        elif x0[i] - 2 * h >= low[i]:
            scheme, offsets = "backward", (-h, -2 * h)
        elif high[i] - x0[i] >= x0[i] - low[i]:  # range narrower than the step: shrink it
            h = step[i] = (high[i] - x0[i]) / 2.0
            scheme, offsets = "forward", (h, 2 * h)
        else:
            h = step[i] = (x0[i] - low[i]) / 2.0
            scheme, offsets = "backward", (-h, -2 * h)
        for j, offset in enumerate(offsets):
            X[1 + 2 * i + j, i] = min(max(x0[i] + offset, low[i]), high[i])
        actual = X[1 + 2 * i: 3 + 2 * i, i] - x0[i]
        weights[i] = _three_point_weights(actual[0], actual[1])
        schemes.append(scheme)
    return LocalDesign(names, readonly(x0), float(rel_step), readonly(step), tuple(schemes),
                       readonly(weights), readonly(X), readonly(np.asarray(low, float)),
                       readonly(np.asarray(high, float)))


@dataclass(frozen=True, eq=False)
class LocalResult:
    """Derivatives and normalized sensitivities (elasticities) at ``x0``.

    Attributes
    ----------
    names
        Parameter names.
    x0, y0
        Reference parameter set and the output there.
    derivative
        ``dy/dp_i`` (output units per parameter unit).
    normalized
        ``S_i = (dy/dp_i) p_i / y``: % change of the output per % change of the
        parameter (NaN where ``y0 = 0``).
    step, scheme
        Finite-difference step and scheme per parameter (see :class:`LocalDesign`).
    notes
        Caveats in words (e.g. why a value is NaN).
    """

    names: tuple[str, ...]
    x0: np.ndarray
    y0: float
    derivative: np.ndarray
    normalized: np.ndarray
    step: np.ndarray
    scheme: tuple[str, ...]
    notes: tuple[str, ...] = ()

    def as_rows(self) -> list[dict]:
        """One dict per parameter (columns of a CSV file; NaN as ``None``)."""
        return [{"parameter": name, "value": jsonable(float(self.x0[i])),
                 "derivative": jsonable(float(self.derivative[i])),
                 "normalized_sensitivity": jsonable(float(self.normalized[i])),
                 "step": jsonable(float(self.step[i])), "scheme": self.scheme[i]}
                for i, name in enumerate(self.names)]

    def to_dict(self) -> dict:
        """Plain-JSON form (NaN as ``None``)."""
        return jsonable({
            "method": "local", "names": list(self.names), "x0": self.x0, "output": self.y0,
            "derivative": self.derivative, "normalized_sensitivity": self.normalized,
            "step": self.step, "scheme": list(self.scheme), "notes": list(self.notes),
        })


def local_analyze(design: LocalDesign, outputs) -> LocalResult:
    """Derivatives and normalized sensitivities ``S_i = (dy/dp_i) p_i / y`` at ``x0``.

    Parameters
    ----------
    design
        The :class:`LocalDesign` evaluated.
    outputs
        One output per row of :meth:`LocalDesign.stacked` (``2 d + 1``), in that order.

    Returns
    -------
    LocalResult
        ``S_i`` is the elasticity: ``S_i = 2`` means +1% in ``p_i`` gives about
        +2% in the output. It is NaN (with a note) where the output is 0 and 0
        where ``p_i = 0``; the raw derivative is always given.

    Raises
    ------
    ValueError
        If the outputs have the wrong length or are not all finite.
    """
    d = design.d
    y = check_outputs(outputs, 2 * d + 1, f"2*d+1 = 2*{d}+1")
    y0 = float(y[0])
    pairs = y[1:].reshape(d, 2)
    derivative = design.weights[:, 0] * y0 + np.sum(design.weights[:, 1:] * pairs, axis=1)
    notes = []
    if y0 == 0.0:
        normalized = np.full(d, np.nan)
        notes.append("the output is 0 at x0, so normalized sensitivities (relative changes) "
                     "are undefined (NaN); use the raw derivative")
    else:
        normalized = derivative * design.x0 / y0
    zero = [design.names[i] for i in range(d) if design.x0[i] == 0.0]
    if zero and y0 != 0.0:
        notes.append(f"parameters at 0 have normalized sensitivity 0 by definition: "
                     f"{', '.join(zero)}; see the raw derivative")
    one_sided = [design.names[i] for i in range(d) if design.scheme[i] != "central"]
    if one_sided:
        notes.append(f"one-sided differences at a bound: {', '.join(one_sided)}")
    return LocalResult(design.names, design.x0, y0, readonly(derivative),
                       readonly(normalized), design.step, design.scheme, tuple(notes))
