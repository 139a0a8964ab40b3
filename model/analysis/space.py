"""A parameter space: independent uniform or log-uniform ranges of named parameters.

The one mapping from the unit cube to parameter values, shared by the sweep
designs (grid axes aside) and the sensitivity designs (Saltelli, Morris).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from lbp_headache.files.json_data import jsonable


def readonly(values: np.ndarray) -> np.ndarray:
    """A read-only copy of ``values``."""
    values = np.array(values, dtype=values.dtype)
    values.setflags(write=False)
    return values



def per_parameter(values, d: int, what: str, dtype=float) -> np.ndarray:
    """``values`` as a vector of one value per parameter, else a clear ValueError."""
    array = np.asarray(values, dtype=dtype)
    if array.shape != (d,):
        raise ValueError(f"{what} must have one value per parameter, shape ({d},); "
                         f"got shape {array.shape}")
    return array



@dataclass(frozen=True, eq=False)
class ParameterSpace:
    """Independent uniform (or log-uniform) ranges of ``d`` named parameters.

    Attributes
    ----------
    names
        Parameter names, one per column of every design.
    low, high
        Bounds, shape ``(d,)``, ``low < high`` and finite.
    log_scale
        Boolean per parameter, shape ``(d,)``: sample log-uniformly (needs
        ``low > 0``). ``None`` means linear everywhere.
    """

    names: tuple[str, ...]
    low: np.ndarray
    high: np.ndarray
    log_scale: np.ndarray | None = None

    def __post_init__(self) -> None:
        names = tuple(str(name) for name in self.names)
        d = len(names)
        if d == 0:
            raise ValueError("a parameter space needs at least one parameter")
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"parameter names must be unique; repeated: {', '.join(repeated)}")
        low = per_parameter(self.low, d, "low")
        high = per_parameter(self.high, d, "high")
        log = np.zeros(d, dtype=bool) if self.log_scale is None else per_parameter(
            self.log_scale, d, "log_scale", dtype=bool)
        problems = []
        for i, name in enumerate(names):
            if not (math.isfinite(low[i]) and math.isfinite(high[i])):
                problems.append(f"{name}: bounds must be finite, got [{low[i]}, {high[i]}]")
            elif not low[i] < high[i]:
                problems.append(f"{name}: low must be below high, got [{low[i]}, {high[i]}]")
            elif log[i] and low[i] <= 0.0:
                problems.append(f"{name}: a log scale needs low > 0, got low = {low[i]}")
        if problems:
            raise ValueError("invalid parameter space: " + "; ".join(problems))
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "low", readonly(low))
        object.__setattr__(self, "high", readonly(high))
        object.__setattr__(self, "log_scale", readonly(log))

    @classmethod
    def from_bounds(cls, bounds: Mapping[str, tuple[float, float]],
                    log_scale: Iterable[str] = ()) -> ParameterSpace:
        """Space from ``{name: (low, high)}``; ``log_scale`` names the log-uniform ones."""
        log_names = set(log_scale)
        unknown = sorted(log_names - set(bounds))
        if unknown:
            raise ValueError(f"log_scale names parameters without bounds: {', '.join(unknown)}")
        names = tuple(bounds)
        return cls(names, np.array([bounds[n][0] for n in names], dtype=float),
                   np.array([bounds[n][1] for n in names], dtype=float),
                   np.array([n in log_names for n in names], dtype=bool))

    @property
    def d(self) -> int:
        """Number of parameters."""
        return len(self.names)

    def _check_matrix(self, values, what: str) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        if values.ndim not in (1, 2) or values.shape[-1] != self.d:
            raise ValueError(f"{what} must have shape (n, {self.d}) (one column per parameter); "
                             f"got shape {values.shape}")
        return values

    def from_unit(self, unit) -> np.ndarray:
        """Map points of the unit cube, shape ``(n, d)``, to parameter values.

        Column ``i`` goes linearly to ``[low_i, high_i]``, or log-uniformly
        (``low * (high / low) ** u``) where ``log_scale``; results are clipped to
        the bounds so rounding never leaves them.
        """
        unit = self._check_matrix(unit, "unit samples")
        log_low, log_high = self._log_bounds()
        linear = self.low + unit * (self.high - self.low)
        logarithmic = np.exp(log_low + unit * (log_high - log_low))
        return np.clip(np.where(self.log_scale, logarithmic, linear), self.low, self.high)

    def to_unit(self, values) -> np.ndarray:
        """Inverse of :meth:`from_unit`: parameter values ``(n, d)`` to unit-cube coordinates."""
        values = self._check_matrix(values, "parameter values")
        log_low, log_high = self._log_bounds()
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.log(np.where(self.log_scale, values, 1.0))
        logarithmic = (logs - log_low) / (log_high - log_low)
        linear = (values - self.low) / (self.high - self.low)
        return np.where(self.log_scale, logarithmic, linear)

    def _log_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """``log(low)``, ``log(high)`` of the log-scale columns (0 and 1 elsewhere)."""
        log_low = np.where(self.log_scale, np.log(np.where(self.log_scale, self.low, 1.0)), 0.0)
        log_high = np.where(self.log_scale, np.log(np.where(self.log_scale, self.high, 1.0)), 1.0)
        return log_low, log_high

    def to_dict(self) -> dict:
        """Plain-JSON description: names, bounds and scales."""
        return {"names": list(self.names), "low": jsonable(self.low), "high": jsonable(self.high),
                "scale": ["log" if log else "linear" for log in self.log_scale]}


