"""What the posterior says about identifiability: parameter correlations and target constraint.

Both are read from the weighted particles of the last generation (their model
values are the posterior predictive sample: the simulator is deterministic in
the calibrated values, so re-evaluating a particle gives its stored values).

Pairwise correlations
    :func:`correlation_matrix`: the weighted Pearson correlation of every pair
    of calibrated parameters. A strong correlation (|r| near 1) means the
    targets fix a combination of the two rather than each one: a ridge in the
    posterior, the practical sign of a product or ratio that is identified
    when its factors are not.

How much each target constrains each parameter
    :func:`constraint_matrix`: for each target and parameter, the weighted
    squared correlation ``r^2`` of the target's model value with the
    parameter across the posterior particles: the share of the target's
    posterior variation that a straight line in that parameter explains.
    :func:`linear_share` adds, per target, the ``R^2`` of the weighted linear
    fit on all parameters at once.

    Limits. It is measured *inside the posterior*: a parameter the targets have
    already pinned down varies little there and may show a small ``r^2``
    although it is well constrained (compare its posterior with its prior).
    It is linear (a threshold or U-shaped dependence is missed) and marginal
    (with correlated parameters, ``r^2`` credits each with their shared
    part, so a row may add up to more than 1). With ``n`` effective particles
    an ``r^2`` below about ``4 / n`` cannot be told from 0.
"""

from __future__ import annotations

import numpy as np
from lbp_headache.calibration.posterior import Calibration, weighted_correlation


def correlation_matrix(calibration: Calibration) -> np.ndarray:
    """Weighted correlation of every pair of calibrated parameters (parameters x parameters)."""
    names = calibration.parameters
    matrix = np.eye(len(names))
    for i, a in enumerate(names):
        for j in range(i + 1, len(names)):
            r = weighted_correlation(calibration.samples[a], calibration.samples[names[j]],
                                     calibration.weights)
            matrix[i, j] = matrix[j, i] = r
    return matrix


def constraint_matrix(calibration: Calibration, target_ids: tuple[str, ...] | None = None
                      ) -> np.ndarray:
    """Weighted ``r^2`` of each target's model value with each parameter (targets x parameters;
    nan where a target or a parameter does not vary)."""
    ids = target_ids if target_ids is not None else tuple(calibration.statistics)
    return np.array([[weighted_correlation(calibration.statistics[i], calibration.samples[p],
                                           calibration.weights) ** 2
                      for p in calibration.parameters] for i in ids]).reshape(
        len(ids), len(calibration.parameters))


def linear_share(calibration: Calibration, target_id: str) -> float:
    """``R^2`` of the weighted least-squares fit of a target's value on all parameters."""
    y = np.asarray(calibration.statistics[target_id], dtype=float)
    x = np.column_stack([calibration.samples[p] for p in calibration.parameters])
    w = np.asarray(calibration.weights, dtype=float)
    keep = np.isfinite(y) & np.all(np.isfinite(x), axis=1) & (w > 0)
    y, x, w = y[keep], x[keep], w[keep] / w[keep].sum()
    if y.size <= x.shape[1] + 1:
        return float("nan")
    design = np.column_stack([np.ones(y.size), x])
    root = np.sqrt(w)
    coefficients, *_ = np.linalg.lstsq(design * root[:, None], y * root, rcond=None)
    residual = y - design @ coefficients
    mean = np.sum(w * y)
    total = np.sum(w * (y - mean) ** 2)
    if total <= 0:
        return float("nan")
    return float(np.clip(1.0 - np.sum(w * residual**2) / total, 0.0, 1.0))
