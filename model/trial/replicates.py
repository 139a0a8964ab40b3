"""Replicate trials: patients drawn from the virtual population, randomized, analysed.

Replicate ``r`` draws ``size`` patients without replacement from the virtual
population with ``numpy.random.default_rng([seed, STREAM, r])`` and assigns
them to arms in the allocation ratio (counts by largest remainder, the
assignment shuffled). Each patient's endpoints in its assigned arm come from
the paired simulations, so a replicate costs no simulation.

Estimates per arm: means with a t-interval, shares with the exact
Clopper-Pearson interval; against the control arm: Welch's mean difference,
or the risk difference (Newcombe) and the risk ratio (Katz)
(:mod:`lbp_headache.analysis.statistics`). A replicate *detects* an effect
when the 95 % interval of the difference excludes 0 in the arm's favour
(fewer headache days, less pain, more responders); the share of replicates
that detect it is the trial's power.
"""

from __future__ import annotations

import math

import numpy as np
from lbp_headache.analysis.statistics import (
    clopper_pearson,
    mean_difference,
    mean_interval,
    risk_difference,
    risk_ratio,
)
from lbp_headache.trial.spec import ENDPOINTS

STREAM = 0x7A1A
LEVEL = 0.95


def allocate(size: int, weights: list[float], rng: np.random.Generator) -> np.ndarray:
    """Arm index of each of ``size`` patients: counts in the ratio ``weights``, shuffled."""
    shares = np.asarray(weights, dtype=float) / float(np.sum(weights))
    exact = shares * size
    counts = np.floor(exact).astype(int)
    for k in np.argsort(-(exact - counts), kind="stable")[:size - counts.sum()]:
        counts[k] += 1
    assignment = np.repeat(np.arange(len(weights)), counts)
    rng.shuffle(assignment)
    return assignment


def arm_estimate(endpoint: str, values: np.ndarray) -> dict[str, float]:
    """An arm's value with its 95 % interval."""
    if ENDPOINTS[endpoint][0] == "responders":
        estimate = clopper_pearson(int(values.sum()), int(values.size), LEVEL)
    else:
        estimate = mean_interval(values, LEVEL)
    return estimate.as_dict()


def difference(endpoint: str, arm: np.ndarray, control: np.ndarray) -> dict[str, float]:
    """The arm minus the control, with its interval (and the risk ratio for responders)."""
    if ENDPOINTS[endpoint][0] == "responders":
        x1, n1, x2, n2 = int(arm.sum()), arm.size, int(control.sum()), control.size
        out = risk_difference(x1, n1, x2, n2, LEVEL).as_dict()
        ratio = risk_ratio(x1, n1, x2, n2, LEVEL)
        out.update(ratio=ratio.value, ratio_low=ratio.low, ratio_high=ratio.high)
        return out
    return mean_difference(arm, control, LEVEL).as_dict()


def detects(endpoint: str, estimate: dict[str, float]) -> bool:
    """Whether the interval of a difference excludes 0 in the arm's favour."""
    if ENDPOINTS[endpoint][0] == "responders":
        return bool(estimate["low"] > 0.0)
    return bool(estimate["high"] < 0.0)


def draw_members(n: int, size: int, weights: list[float], seed: int, index: int,
                 arms: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The virtual patients (0 .. n - 1) in each arm of replicate ``index``."""
    rng = np.random.default_rng([int(seed), STREAM, int(index)])
    patients = rng.choice(n, size, replace=False)
    assignment = allocate(size, weights, rng)
    return {arm: patients[assignment == k] for k, arm in enumerate(arms)}


def replicate(values: dict[str, dict[float, dict[str, np.ndarray]]],
              members: dict[str, np.ndarray], control: str) -> dict:
    """One replicate trial: per (endpoint, evaluation) the arms' estimates and differences.

    ``values[arm][evaluation][endpoint]`` holds every virtual patient's value;
    ``members`` the patients of each arm (:func:`draw_members`).
    """
    arms = tuple(members)
    out: dict = {}
    for day in values[arms[0]]:
        for endpoint in ENDPOINTS:
            per_arm = {arm: values[arm][day][endpoint][members[arm]] for arm in arms}
            entry = {"arms": {arm: arm_estimate(endpoint, v) if v.size >= 2 else None
                              for arm, v in per_arm.items()}, "differences": {}}
            for arm in arms:
                if arm == control or per_arm[arm].size < 2 or per_arm[control].size < 2:
                    continue
                estimate = difference(endpoint, per_arm[arm], per_arm[control])
                estimate["detected"] = detects(endpoint, estimate)
                entry["differences"][arm] = estimate
            out[(endpoint, day)] = entry
    return out


def percentiles(values: list[float]) -> dict[str, float | None]:
    """Median and 2.5/97.5 percentiles (``None`` without a finite value)."""
    finite = np.array([v for v in values if v is not None and math.isfinite(v)])
    if finite.size == 0:
        return {"median": None, "p2_5": None, "p97_5": None}
    low, median, high = np.percentile(finite, [2.5, 50.0, 97.5])
    return {"median": float(median), "p2_5": float(low), "p97_5": float(high)}
