"""Distributions of a virtual population: between-people spreads of parameters and inputs.

Five families, each optionally truncated to ``[low, high]``:

* ``fixed``: always ``center``;
* ``uniform``: on ``[low, high]``;
* ``normal``: mean ``center``, standard deviation ``scale``;
* ``lognormal``: ``log x ~ N(log center, scale)`` (``center`` is the median);
* ``logitnormal`` for quantities in (0, 1): ``logit x ~ N(logit center, scale)``.

Draws map uniform numbers through the inverse of the truncated distribution
function (``u`` to ``F^-1(F(low) + u (F(high) - F(low)))``), so a draw is never
rejected and the same uniform numbers always give the same values. The
parameter table's spreads (:class:`lbp_headache.core.parameters.Spread`)
become distributions truncated to each parameter's plausible range
(:func:`from_table`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from lbp_headache.core.parameters import Parameter
from scipy import special

FAMILIES = ("fixed", "uniform", "normal", "lognormal", "logitnormal")


@dataclass(frozen=True)
class Distribution:
    """One distribution (see the module docstring); ``low``/``high`` may be infinite."""

    family: str
    center: float = 0.0
    scale: float = 0.0
    low: float = -math.inf
    high: float = math.inf

    def __post_init__(self):
        if self.family not in FAMILIES:
            raise ValueError(f"unknown distribution {self.family!r}; one of {FAMILIES}")
        if not self.low <= self.high:
            raise ValueError("need low <= high")
        if self.family == "uniform" and not (math.isfinite(self.low)
                                             and math.isfinite(self.high)):
            raise ValueError("a uniform distribution needs finite low and high")
        if self.family in ("normal", "lognormal", "logitnormal") and not self.scale >= 0:
            raise ValueError("the scale must be >= 0")
        if self.family == "lognormal" and not self.center > 0:
            raise ValueError("a lognormal distribution needs a positive median")
        if self.family == "logitnormal" and not 0 < self.center < 1:
            raise ValueError("a logitnormal distribution needs a median in (0, 1)")

    # --- the transformed scale on which the family is normal -----------------------------

    def _forward(self, x):
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.family == "lognormal":
                return np.log(x)
            if self.family == "logitnormal":
                return np.log(x) - np.log1p(-x)
        return x

    def _backward(self, z):
        if self.family == "lognormal":
            return np.exp(z)
        if self.family == "logitnormal":
            return special.expit(z)
        return z

    def _z(self, x):
        """Standardized value of ``x`` on the normal scale."""
        return (self._forward(x) - self._forward(self.center)) / self.scale

    # --- draws, density, distribution function ------------------------------------------

    @property
    def is_point(self) -> bool:
        return self.family == "fixed" or (self.family != "uniform" and self.scale == 0.0)

    def draw(self, u: np.ndarray) -> np.ndarray:
        """Values for uniform numbers ``u`` in (0, 1) (inverse truncated CDF)."""
        u = np.asarray(u, dtype=float)
        if self.is_point:
            return np.full_like(u, float(np.clip(self.center, self.low, self.high)))
        if self.family == "uniform":
            return self.low + u * (self.high - self.low)
        lower, upper = special.ndtr(self._z(self.low)), special.ndtr(self._z(self.high))
        z = special.ndtri(lower + u * (upper - lower))
        values = self._backward(self._forward(self.center) + self.scale * z)
        return np.clip(values, self.low, self.high)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """The (truncated) distribution function."""
        x = np.asarray(x, dtype=float)
        if self.is_point:
            return (x >= self.center).astype(float)
        if self.family == "uniform":
            return np.clip((x - self.low) / (self.high - self.low), 0.0, 1.0)
        lower, upper = special.ndtr(self._z(self.low)), special.ndtr(self._z(self.high))
        inside = (special.ndtr(self._z(np.clip(x, self.low, self.high))) - lower) / (
            upper - lower)
        return np.clip(inside, 0.0, 1.0)

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """The (truncated) density (for figures); 0 outside ``[low, high]``."""
        x = np.asarray(x, dtype=float)
        inside = (x >= self.low) & (x <= self.high)
        if self.is_point:
            return np.zeros_like(x)
        if self.family == "uniform":
            return np.where(inside, 1.0 / (self.high - self.low), 0.0)
        lower, upper = special.ndtr(self._z(self.low)), special.ndtr(self._z(self.high))
        with np.errstate(divide="ignore", invalid="ignore"):
            z = self._z(x)
            density = np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi) / self.scale
            if self.family == "lognormal":
                density = density / x
            elif self.family == "logitnormal":
                density = density / (x * (1.0 - x))
        return np.where(inside, np.nan_to_num(density) / (upper - lower), 0.0)

    def describe(self) -> str:
        """Short text for tables: ``lognormal(median 1, SD of log 0.3) in [0.2, 3]``."""
        bounds = "" if not (math.isfinite(self.low) or math.isfinite(self.high)) else \
            f" in [{self.low:g}, {self.high:g}]"
        if self.family == "fixed":
            return f"fixed at {self.center:g}"
        if self.family == "uniform":
            return f"uniform on [{self.low:g}, {self.high:g}]"
        label = {"normal": "mean", "lognormal": "median", "logitnormal": "median"}[self.family]
        spread = {"normal": "SD", "lognormal": "SD of log", "logitnormal": "SD of logit"}
        return (f"{self.family}({label} {self.center:g}, {spread[self.family]} "
                f"{self.scale:g}){bounds}")


def from_table(parameter: Parameter) -> Distribution:
    """A parameter's population distribution: its table spread, truncated to its range
    (``fixed`` at the table value when it has no spread)."""
    spread = parameter.spread
    if spread is None:
        return Distribution("fixed", parameter.value)
    if spread.distribution == "uniform":
        return Distribution("uniform", parameter.value, 0.0, parameter.low, parameter.high)
    return Distribution(spread.distribution, parameter.value, spread.scale, parameter.low,
                        parameter.high)
