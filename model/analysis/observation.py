"""Observation model: from the smooth headache load to what clinics count.

An ODE gives a smooth load; clinics and trials count headache *days*
(ICHD-3: a calendar day with headache lasting at least 30 minutes). The
bridge, stated once here:

1. The load of calendar day ``d`` is its mean over ``[d, d+1]`` (trapezoid rule
   on the whole-day grid).
2. That day is a headache day with probability
   ``q(H) = H^m / (H^m + H50^m)`` (``H50 = headache_day_half_load``,
   ``m = headache_day_hill``), independently of other days given the load.
3. Expected headache days in a window = the sum of ``q`` over its days; a
   "month" is a 28-day window (the trial convention), and windows shorter
   than 28 days are scaled to 28 days.
4. A seeded diary draws each day from that probability
   (:func:`sample_diary`); the same seed gives the same diary bit for bit.

Metrics of a window: expected headache days per month, mean load, peak load,
burden (area under the load, load x days) and the share of burden by pathway:
mechanical = tension-type + cervicogenic, neurological = sensitization,
inflammatory = migraine. Responder status compares the last 28 days with the
28 days before the first treatment starts (at least 50% fewer headache days).
"""

from __future__ import annotations

import math

import numpy as np
from lbp_headache.core.calendar import METRIC_MONTH, METRIC_MONTH_DAYS
from lbp_headache.core.parameters import INDEX
from lbp_headache.core.states import PATHWAYS
from lbp_headache.engine.result import Result

RESPONDER_REDUCTION = 0.5


def headache_day_probability(load, p: np.ndarray):
    """Probability that a day with mean load ``load`` (0-10) is a headache day."""
    load = np.maximum(np.asarray(load, dtype=float), 0.0)
    m = p[INDEX["headache_day_hill"]]
    half = p[INDEX["headache_day_half_load"]]
    ratio = (load / half) ** m  # one power: L^m / (L^m + half^m) = r / (1 + r)
    return ratio / (1.0 + ratio)


def day_means(values: np.ndarray) -> np.ndarray:
    """Mean of a whole-day series over each calendar day ``[d, d+1]`` (trapezoid, last axis)."""
    values = np.asarray(values, dtype=float)
    return 0.5 * (values[..., :-1] + values[..., 1:])


def window_metrics(result: Result, start: int, stop: int) -> dict:
    """Metrics of the calendar days ``start`` to ``stop - 1``.

    Returns a dict with ``start_day``, ``end_day``, ``headache_days_per_month``,
    ``mean_headache``, ``peak_headache``, ``headache_burden`` and
    ``pathway_share`` (``None`` shares when the burden is zero).
    """
    daily = result.daily
    load = day_means(daily["headache"])[start:stop]
    n_days = load.size
    if n_days == 0:
        raise ValueError("empty observation window")
    expected = float(np.sum(headache_day_probability(load, result.parameters)))
    burden = float(np.sum(load))  # daily means x 1 day = trapezoid area
    shares = {}
    for pathway, names in PATHWAYS.items():
        part = sum(float(np.sum(day_means(daily[n])[start:stop])) for n in names)
        shares[pathway] = part / burden if burden > 0 else None
    return {
        "start_day": int(start),
        "end_day": int(start + n_days),
        "headache_days_per_month": expected * METRIC_MONTH_DAYS / n_days,
        "mean_headache": burden / n_days,
        "peak_headache": float(np.max(daily["headache"][start:start + n_days + 1])),
        "headache_burden": burden,
        "pathway_share": shares,
    }


def summarize(result: Result) -> dict:
    """Summary metrics of a run (see the module docstring).

    ``metrics``: ``headache_days_per_month`` and ``mean_headache`` over the last
    28 days, ``peak_headache``, ``headache_burden`` and ``pathway_share`` over
    the whole run, ``min_pain_threshold``, ``final_pain_threshold`` and the
    ``responder`` block. ``monthly``: the window metrics of each 28-day window
    from day 0 (a shorter last window is scaled to 28 days).
    """
    n_days = len(result.daily["headache"]) - 1
    if n_days < 1:
        raise ValueError("a run shorter than one day has no headache days to count")
    last = window_metrics(result, max(0, n_days - METRIC_MONTH), n_days)
    whole = window_metrics(result, 0, n_days)
    peak = float(max(np.max(result.columns["headache"]), np.max(result.daily["headache"])))
    metrics = {
        "headache_days_per_month": last["headache_days_per_month"],
        "mean_headache": last["mean_headache"],
        "peak_headache": peak,
        "headache_burden": whole["headache_burden"],
        "pathway_share": whole["pathway_share"],
        "min_pain_threshold": float(np.min(result.columns["pain_threshold"])),
        "final_pain_threshold": float(result.columns["pain_threshold"][-1]),
        "responder": responder(result, last),
    }
    monthly = [
        window_metrics(result, start, min(start + METRIC_MONTH, n_days))
        for start in range(0, n_days, METRIC_MONTH)
    ]
    return {"metrics": metrics, "monthly": monthly}


def responder(result: Result, evaluation: dict) -> dict:
    """Responder status: >= 50% fewer headache days than before treatment.

    The baseline is the 28 days before the first treatment starts (shorter if
    treatment starts earlier; ``None`` throughout when there is no treatment,
    no day before it, or no baseline headache to reduce).
    """
    start = result.scenario.first_treatment_start
    empty = {"baseline_headache_days_per_month": None, "reduction": None, "is_responder": None}
    if start is None or start < 1.0:
        return empty
    first_day = int(math.floor(start))
    baseline = window_metrics(result, max(0, first_day - METRIC_MONTH), first_day)
    before = baseline["headache_days_per_month"]
    if before <= 0.0:
        return {**empty, "baseline_headache_days_per_month": before}
    reduction = 1.0 - evaluation["headache_days_per_month"] / before
    return {
        "baseline_headache_days_per_month": before,
        "reduction": reduction,
        "is_responder": bool(reduction >= RESPONDER_REDUCTION),
    }


def sample_diary(result: Result, seed: int | None = None) -> np.ndarray:
    """Seeded headache diary: a boolean per calendar day (True = headache day).

    Uses ``numpy.random.default_rng(seed)`` (the scenario's seed by default),
    so the same result and seed give the same diary bit for bit.
    """
    rng = np.random.default_rng(result.scenario.seed if seed is None else seed)
    probability = headache_day_probability(day_means(result.daily["headache"]), result.parameters)
    return rng.random(probability.size) < probability
