"""Metrics a sweep collects for every parameter set (names and meanings).

The batch engine reduces each set's daily trajectory to these numbers as soon
as it is integrated, with the same definitions as :func:`lbp_headache.summarize`
(see :mod:`lbp_headache.analysis.observation`): "last 28 days" is the evaluation window, the
baseline is the 28 days before the first treatment starts.
"""

from __future__ import annotations

import math

import numpy as np
from lbp_headache.analysis.observation import (
    RESPONDER_REDUCTION,
    day_means,
    headache_day_probability,
)
from lbp_headache.core.calendar import METRIC_MONTH, METRIC_MONTH_DAYS
from lbp_headache.core.parameters import INDEX
from lbp_headache.core.states import HEADACHE_COMPONENTS, PATHWAYS

METRICS: dict[str, str] = {
    "headache_days_per_month": "expected headache days per 28 days, last 28 days",
    "mean_headache": "mean headache load (0-10), last 28 days",
    "peak_headache": "largest headache load on the daily grid (0-10)",
    "headache_burden": "area under the headache load over the whole run (load x days)",
    "share_mechanical": "share of the burden from tension-type + cervicogenic headache",
    "share_neurological": "share of the burden from central sensitization",
    "share_inflammatory": "share of the burden from migraine-like (inflammatory) headache",
    "min_pain_threshold": "lowest pain threshold on the daily grid (1 = healthy)",
    "final_pain_threshold": "pain threshold on the last day",
    "final_sensitization": "sensitization on the last day, (1 - threshold) / depth, 0-1",
    "chronified": "1 if final_sensitization >= 0.5 (the sensitized branch), else 0",
    "baseline_headache_days_per_month": "headache days per 28 days before the first treatment",
    "headache_days_reduction": "1 - last-28-day headache days / baseline (NaN without baseline)",
    "responder": "1 if headache_days_reduction >= 0.5, 0 if not, NaN without baseline",
}
# Units (pint syntax; "1" for a number without unit). Headache days are counted in 28-day
# windows (lbp_headache.core.calendar.METRIC_MONTH_DAYS); the burden is load x days.
METRIC_UNITS: dict[str, str] = {
    name: "day" if name in ("headache_days_per_month", "baseline_headache_days_per_month",
                            "headache_burden") else "1"
    for name in METRICS
}
METRIC_NAMES: tuple[str, ...] = tuple(METRICS)
CHRONIFIED_LEVEL = 0.5


def state_metric_name(variable: str, day: float) -> str:
    """Column name of a variable sampled on a given day, e.g. ``pain_threshold_day180``."""
    return f"{variable}_day{day:g}"

# The variables the metrics need from the integrator (daily values).
NEEDED_STATES: tuple[str, ...] = (
    "pain_threshold", "headache_tension_type", "headache_cervicogenic", "headache_migraine",
    "headache_sensitization",
)
_PATHWAY_COMPONENTS = {f"share_{pathway}": parts for pathway, parts in PATHWAYS.items()}


def compute_metrics(daily: dict[str, np.ndarray], parameter_sets: np.ndarray, *,
                    first_treatment_start: float | None,
                    final_threshold: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Every metric of :data:`METRICS` for many sets at once.

    Parameters
    ----------
    daily
        ``(n_sets, n_days + 1)`` arrays on whole days ``0 .. n_days`` for each
        name in :data:`NEEDED_STATES`.
    parameter_sets
        ``(n_sets, n_parameters)`` (the observation and depth parameters are read).
    first_treatment_start
        Start of the first treatment (the responder baseline), or ``None``.
    final_threshold
        Pain threshold at the end of the run (default: on the last whole day).

    Returns
    -------
    dict
        One ``(n_sets,)`` float array per metric, with the definitions of
        :func:`lbp_headache.analysis.observation.summarize` (``peak_headache`` is taken on the
        daily grid; ``summarize`` also looks at the finer output grid).
    """
    load = sum(daily[name] for name in HEADACHE_COMPONENTS)
    n_days = load.shape[1] - 1
    if n_days < 1:
        raise ValueError("a run shorter than one day has no headache days to count")
    observation = parameter_sets.T[:, :, None]
    last_start = max(0, n_days - METRIC_MONTH)
    last_means = day_means(load[:, last_start:])  # only the windows are needed, not every day
    metrics = {}
    metrics["headache_days_per_month"] = _days_per_month(last_means, observation)
    metrics["mean_headache"] = np.sum(last_means, axis=1) / (n_days - last_start)
    metrics["peak_headache"] = np.max(load, axis=1)
    # The burden is the trapezoid area of the load, the sum of its components' areas.
    areas = {name: _trapezoid_area(daily[name]) for name in HEADACHE_COMPONENTS}
    burden = sum(areas.values())
    metrics["headache_burden"] = burden
    with np.errstate(invalid="ignore", divide="ignore"):
        for metric, names in _PATHWAY_COMPONENTS.items():
            part = sum(areas[name] for name in names)
            metrics[metric] = np.where(burden > 0, part / burden, np.nan)
    threshold = daily["pain_threshold"]
    final = threshold[:, -1] if final_threshold is None else final_threshold
    metrics["min_pain_threshold"] = np.minimum(np.min(threshold, axis=1), final)
    metrics["final_pain_threshold"] = final
    depth = parameter_sets[:, INDEX["sensitization_depth"]]
    metrics["final_sensitization"] = np.clip((1.0 - final) / depth, 0.0, 1.0)
    metrics["chronified"] = (metrics["final_sensitization"] >= CHRONIFIED_LEVEL).astype(float)
    baseline, reduction, responder = _responder(load, observation,
                                                metrics["headache_days_per_month"],
                                                first_treatment_start)
    metrics["baseline_headache_days_per_month"] = baseline
    metrics["headache_days_reduction"] = reduction
    metrics["responder"] = responder
    return metrics


def _trapezoid_area(values: np.ndarray) -> np.ndarray:
    """Sum of :func:`day_means` along the last axis, without forming them."""
    return np.sum(values[:, 1:-1], axis=1) + 0.5 * (values[:, 0] + values[:, -1])


def _days_per_month(means: np.ndarray, observation: np.ndarray) -> np.ndarray:
    """Expected headache days per 28 days over a window of day means."""
    probability = headache_day_probability(means, observation)
    return np.sum(probability, axis=1) * METRIC_MONTH_DAYS / means.shape[1]


def _responder(load, observation, evaluation, start):
    nan = np.full(load.shape[0], np.nan)
    if start is None or start < 1.0:
        return nan, nan, nan
    first_day = min(int(math.floor(start)), load.shape[1] - 1)
    window = load[:, max(0, first_day - METRIC_MONTH):first_day + 1]
    baseline = _days_per_month(day_means(window), observation)
    with np.errstate(invalid="ignore", divide="ignore"):
        reduction = np.where(baseline > 0, 1.0 - evaluation / baseline, np.nan)
    responder = np.where(np.isnan(reduction), np.nan,
                         (reduction >= RESPONDER_REDUCTION).astype(float))
    return baseline, reduction, responder
