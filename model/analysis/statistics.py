"""Statistics of trial endpoints: exact and standard intervals, checked against known answers.

* :func:`clopper_pearson`: the exact (conservative) binomial interval,
  ``Beta(a/2; x, n - x + 1)`` to ``Beta(1 - a/2; x + 1, n - x)``
  (Clopper & Pearson 1934, Biometrika 26:404).
* :func:`mean_difference`: the difference of two means with Welch's
  t-interval (unequal variances, Welch-Satterthwaite degrees of freedom).
* :func:`risk_difference`: with Newcombe's hybrid score interval (method 10
  of Newcombe 1998, Stat Med 17:873), from Wilson score intervals.
* :func:`risk_ratio`: with the Katz log interval (a 0.5 correction when a
  count is zero).
* :func:`ks_distance`: the Kolmogorov-Smirnov distance between a sample and
  a distribution function.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence interval (``level``: e.g. 0.95)."""

    value: float
    low: float
    high: float
    level: float = 0.95

    def as_dict(self) -> dict[str, float]:
        return {"value": self.value, "low": self.low, "high": self.high, "level": self.level}

    def contains(self, x: float) -> bool:
        return self.low <= x <= self.high


def _z(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError(f"the confidence level must be in (0, 1); got {level}")
    return float(special.ndtri(0.5 + level / 2.0))


def clopper_pearson(successes: int, trials: int, level: float = 0.95) -> Estimate:
    """The share ``successes / trials`` with its exact Clopper-Pearson interval.

    Raises
    ------
    ValueError
        For ``trials < 1`` or ``successes`` outside ``0..trials``.
    """
    if trials < 1 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials and trials >= 1; got {successes} "
                         f"of {trials}")
    alpha = 1.0 - level
    _z(level)
    low = 0.0 if successes == 0 else float(
        special.betaincinv(successes, trials - successes + 1, alpha / 2.0))
    high = 1.0 if successes == trials else float(
        special.betaincinv(successes + 1, trials - successes, 1.0 - alpha / 2.0))
    return Estimate(successes / trials, low, high, level)


def wilson(successes: int, trials: int, level: float = 0.95) -> Estimate:
    """The share with its Wilson score interval."""
    if trials < 1 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials and trials >= 1; got {successes} "
                         f"of {trials}")
    z = _z(level)
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z / (1 + z * z / trials) * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials ** 2))
    return Estimate(p, max(0.0, centre - half), min(1.0, centre + half), level)


def risk_difference(x1: int, n1: int, x2: int, n2: int, level: float = 0.95) -> Estimate:
    """``x1/n1 - x2/n2`` with Newcombe's hybrid score interval (method 10)."""
    a, b = wilson(x1, n1, level), wilson(x2, n2, level)
    p1, p2 = a.value, b.value
    delta = p1 - p2
    low = delta - math.sqrt((p1 - a.low) ** 2 + (b.high - p2) ** 2)
    high = delta + math.sqrt((a.high - p1) ** 2 + (p2 - b.low) ** 2)
    return Estimate(delta, low, high, level)


def risk_ratio(x1: int, n1: int, x2: int, n2: int, level: float = 0.95) -> Estimate:
    """``(x1/n1) / (x2/n2)`` with the Katz log interval (0.5 added to every cell if a
    count is zero). ``nan`` when both shares are zero."""
    if n1 < 1 or n2 < 1:
        raise ValueError("each group needs at least one patient")
    if x1 == 0 and x2 == 0:
        return Estimate(math.nan, math.nan, math.nan, level)
    if min(x1, x2, n1 - x1, n2 - x2) == 0:
        x1, x2, n1, n2 = x1 + 0.5, x2 + 0.5, n1 + 1.0, n2 + 1.0
    ratio = (x1 / n1) / (x2 / n2)
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    z = _z(level)
    return Estimate(ratio, ratio * math.exp(-z * se), ratio * math.exp(z * se), level)


def mean_difference(first: np.ndarray, second: np.ndarray, level: float = 0.95) -> Estimate:
    """``mean(first) - mean(second)`` with Welch's t-interval.

    Raises
    ------
    ValueError
        If a group has fewer than two values.
    """
    x = np.asarray(first, dtype=float)
    y = np.asarray(second, dtype=float)
    if x.size < 2 or y.size < 2:
        raise ValueError("each group needs at least two values for a variance")
    vx, vy = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    delta = float(x.mean() - y.mean())
    se = math.sqrt(vx + vy)
    if se == 0.0:
        return Estimate(delta, delta, delta, level)
    dof = (vx + vy) ** 2 / (vx ** 2 / (x.size - 1) + vy ** 2 / (y.size - 1))
    _z(level)
    t = float(special.stdtrit(dof, 0.5 + level / 2.0))
    return Estimate(delta, delta - t * se, delta + t * se, level)


def mean_interval(values: np.ndarray, level: float = 0.95) -> Estimate:
    """The mean with its t-interval (one sample)."""
    x = np.asarray(values, dtype=float)
    if x.size < 2:
        raise ValueError("need at least two values for a variance")
    se = float(x.std(ddof=1)) / math.sqrt(x.size)
    t = float(special.stdtrit(x.size - 1, 0.5 + level / 2.0))
    mean = float(x.mean())
    return Estimate(mean, mean - t * se, mean + t * se, level)


def ks_distance(sample: np.ndarray, cdf: Callable[[np.ndarray], np.ndarray]) -> float:
    """Kolmogorov-Smirnov distance ``sup |F_n(x) - F(x)|`` of ``sample`` from ``cdf``."""
    x = np.sort(np.asarray(sample, dtype=float))
    n = x.size
    if n == 0:
        return math.nan
    f = np.asarray(cdf(x), dtype=float)
    upper = np.arange(1, n + 1) / n - f
    lower = f - np.arange(0, n) / n
    return float(max(upper.max(), lower.max()))
