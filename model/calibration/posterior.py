"""A weighted posterior sample and its statistics (no pyabc: reports render without it).

:class:`Calibration` holds the last generation of an ABC-SMC run: each
particle's calibrated values, its normalised weight and the model's value of
each target at it. The statistics here are weighted:

``weighted_quantile``
    linear in the cumulative weight (each particle's weight centred on it).
``weighted_correlation``
    Pearson's correlation with the weights as probabilities:
    ``cov_w(x, y) / sqrt(var_w(x) var_w(y))`` with ``cov_w = sum w (x - m_x)(y - m_y)``.
``effective_sample_size``
    Kish's ``(sum w)^2 / sum w^2``: the number of equally weighted particles
    that would carry as much information (the particle count when all weights
    are equal, 1 when one particle carries them all).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from lbp_headache.calibration.targets import Target


@dataclass(frozen=True)
class Calibration:
    """The posterior of a finished (or budget-stopped) run.

    ``samples`` maps each parameter to its particles of the last generation,
    ``weights`` their normalised weights; ``statistics`` maps each target id
    to the particles' model values (same order); ``epsilons`` one per generation.
    """

    parameters: tuple[str, ...]
    targets: tuple[Target, ...]
    samples: dict[str, np.ndarray]
    weights: np.ndarray
    statistics: dict[str, np.ndarray]
    epsilons: tuple[float, ...]
    total_simulations: int
    generations_run: int
    seconds: float  # pyabc's wall time of every generation, summed over every session


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of a weighted sample (linear in the cumulative weight)."""
    values, weights = np.asarray(values, dtype=float), np.asarray(weights, dtype=float)
    keep = np.isfinite(values) & (weights > 0)
    values, weights = values[keep], weights[keep]
    if values.size == 0:
        return math.nan
    order = np.argsort(values, kind="stable")
    values, weights = values[order], weights[order]
    cumulative = (np.cumsum(weights) - 0.5 * weights) / weights.sum()
    return float(np.interp(q, cumulative, values))


def weighted_correlation(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> float:
    """Weighted Pearson correlation of ``x`` and ``y`` (nan if either is constant; particles
    where either is not finite are left out)."""
    x, y, w = (np.asarray(a, dtype=float) for a in (x, y, weights))
    keep = np.isfinite(x) & np.isfinite(y) & (w > 0)
    x, y, w = x[keep], y[keep], w[keep]
    if w.size < 2:
        return math.nan
    w = w / w.sum()
    dx, dy = x - np.sum(w * x), y - np.sum(w * y)
    var_x, var_y = np.sum(w * dx * dx), np.sum(w * dy * dy)
    scale = math.sqrt(var_x * var_y)
    if not scale > 1e-300 or var_x <= 1e-24 * np.sum(w * x * x) or \
            var_y <= 1e-24 * np.sum(w * y * y):
        return math.nan
    return float(np.clip(np.sum(w * dx * dy) / scale, -1.0, 1.0))


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2`` (0 for no weight)."""
    w = np.asarray(weights, dtype=float)
    total = float(w.sum())
    squares = float(np.sum(w * w))
    return total * total / squares if squares > 0 else 0.0
