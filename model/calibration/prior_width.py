"""How much the posterior depends on the prior widths: the last generation reweighted.

Each particle of the last generation is given the importance weight
``w_new = w * prod_p prior_new_p(x_p) / prior_p(x_p)`` (normalised), where
``prior_new_p`` is parameter ``p``'s prior with its width multiplied by a factor
(:func:`scaled_prior`): the spread (SD, SD of log or of logit) of a normal,
lognormal or logitnormal prior, still truncated to the parameter's range; the
width of a uniform prior about its middle, clipped to the range (so a uniform
prior over the whole range does not change when widened).

Limits. Reweighting can only move weight between the particles there are:
they cover where the run's posterior put its mass, so a wider prior that
would open regions the run never sampled is not seen (the estimate is then too
close to the run's posterior), and a narrower one that excludes most particles
leaves few carrying the weight. The effective sample size
(:func:`~.posterior.effective_sample_size`) of the new weights says how many
particles the reweighted answer rests on; below about a fifth of the particles
it is a rough indication only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from lbp_headache.calibration.posterior import (
    Calibration,
    effective_sample_size,
    weighted_quantile,
)
from lbp_headache.population.distributions import Distribution

FACTORS = (0.5, 2.0)
LOW_Q, HIGH_Q = 0.05, 0.95  # the 90 % interval


def scaled_prior(prior: Distribution, factor: float) -> Distribution:
    """``prior`` with its width multiplied by ``factor`` (see the module docstring)."""
    if not factor > 0:
        raise ValueError("the width factor must be positive")
    if prior.family == "uniform":
        middle, half = 0.5 * (prior.low + prior.high), 0.5 * (prior.high - prior.low) * factor
        return replace(prior, low=max(prior.low, middle - half),
                       high=min(prior.high, middle + half))
    if prior.family in ("normal", "lognormal", "logitnormal"):
        return replace(prior, scale=prior.scale * factor)
    return prior  # fixed: no width


def reweighted(calibration: Calibration, priors: Mapping[str, Distribution],
               factor: float) -> np.ndarray:
    """The particles' normalised weights under every prior's width times ``factor``."""
    ratio = np.ones_like(np.asarray(calibration.weights, dtype=float))
    for name in calibration.parameters:
        x = np.asarray(calibration.samples[name], dtype=float)
        old = priors[name].pdf(x)
        new = scaled_prior(priors[name], factor).pdf(x)
        ratio = ratio * np.where(old > 0, new / np.where(old > 0, old, 1.0), 0.0)
    weights = np.asarray(calibration.weights, dtype=float) * ratio
    total = weights.sum()
    return weights / total if total > 0 else weights


@dataclass(frozen=True)
class WidthShift:
    """One parameter's posterior under one width factor, beside the run's."""

    name: str
    factor: float
    effective_particles: float
    median: float
    low: float
    high: float
    new_median: float
    new_low: float
    new_high: float

    @property
    def median_shift(self) -> float:
        """The shift of the median in widths of the run's 90 % interval."""
        width = self.high - self.low
        return (self.new_median - self.median) / width if width > 0 else float("nan")


def prior_width_shifts(calibration: Calibration, priors: Mapping[str, Distribution],
                       factors: Sequence[float] = FACTORS) -> list[WidthShift]:
    """For each factor and parameter: the median and 90 % interval before and after."""
    rows = []
    for factor in factors:
        weights = reweighted(calibration, priors, factor)
        ess = effective_sample_size(weights)
        for name in calibration.parameters:
            x = calibration.samples[name]
            rows.append(WidthShift(
                name, float(factor), ess,
                *(weighted_quantile(x, calibration.weights, q) for q in (0.5, LOW_Q, HIGH_Q)),
                *(weighted_quantile(x, weights, q) for q in (0.5, LOW_Q, HIGH_Q))))
    return rows
