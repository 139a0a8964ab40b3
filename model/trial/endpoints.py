"""Endpoints of every virtual patient in an arm, by intention to treat with LOCF.

From an arm's weekly series (:mod:`.weekly`): weeks from a patient's dropout
on take the value of the last week observed (the last baseline week for a
patient who drops out in week 0), then at an evaluation after ``k`` weeks:

* headache days: the 4 weeks before the evaluation (fewer, scaled to 28 days,
  before week 4) against the 4 baseline weeks;
* back pain: the week before the evaluation against the week before
  randomization, on 0-100 for the change;
* responders: at least 30 or 50 % below a baseline above zero (a patient
  with no baseline headache cannot halve it and is not a responder);
* intensity: the mean reported headache load over the evaluation window.
"""

from __future__ import annotations

import numpy as np
from lbp_headache.trial.weekly import BASELINE_WEEKS, SERIES


def locf(series: np.ndarray, dropout_week: np.ndarray) -> np.ndarray:
    """``series`` ``(n, 4 + weeks)`` with every week from a patient's dropout replaced by the
    last week observed (``series`` itself when nobody drops out; a copy otherwise)."""
    n_weeks = series.shape[1] - BASELINE_WEEKS
    rows = np.flatnonzero(dropout_week < n_weeks)
    if rows.size == 0:
        return series
    out = np.array(series)
    for row in rows.tolist():
        last = BASELINE_WEEKS + int(dropout_week[row]) - 1
        out[row, last + 1:] = out[row, last]
    return out


def observed(arm: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every series of an arm with LOCF applied (the model's own series are kept as they are)."""
    return {name: locf(arm[name], arm["dropout_week"])
            if name in ("headache_days", "back_pain", "intensity") else arm[name]
            for name in SERIES}


def evaluation_window(day: float) -> tuple[int, int, float]:
    """Week columns ``[a, b)`` of the 28 days before ``day`` and the factor to 28 days."""
    k = int(np.floor(day / 7.0 + 1e-9))
    first = max(0, k - 4)
    return BASELINE_WEEKS + first, BASELINE_WEEKS + k, 4.0 / max(k - first, 1)


def endpoint_values(series: dict[str, np.ndarray], day: float) -> dict[str, np.ndarray]:
    """Each patient's endpoints at ``day`` after randomization (see the module docstring)."""
    a, b, per_28 = evaluation_window(day)
    days, back = series["headache_days"], series["back_pain"]
    base_days = days[:, :BASELINE_WEEKS].astype(float).sum(axis=1)
    eval_days = days[:, a:b].astype(float).sum(axis=1) * per_28
    base_back = back[:, BASELINE_WEEKS - 1].astype(float)
    eval_back = back[:, b - 1].astype(float)
    intensity = series["intensity"][:, a:b].astype(float).mean(axis=1)
    return {
        "headache_days_change": eval_days - base_days,
        "headache_responders_50": ((base_days > 0) & (eval_days <= 0.5 * base_days)).astype(float),
        "mean_intensity": intensity,
        "back_pain_change": 10.0 * (eval_back - base_back),
        "back_pain_responders_30": ((base_back > 0) & (eval_back <= 0.7 * base_back)).astype(float),
        "back_pain_responders_50": ((base_back > 0) & (eval_back <= 0.5 * base_back)).astype(float),
        "baseline_headache_days": base_days,
        "baseline_back_pain": 10.0 * base_back,
    }


def natural_change(series: dict[str, np.ndarray], day: float) -> dict[str, np.ndarray]:
    """The model's own change (no day-to-day noise, no expectation): the natural course."""
    a, b, per_28 = evaluation_window(day)
    expected = series["expected_days"]
    back = series["mechanistic_back_pain"]
    return {"headache_days_change": expected[:, a:b].astype(float).sum(axis=1) * per_28
            - expected[:, :BASELINE_WEEKS].astype(float).sum(axis=1),
            "back_pain_change": 10.0 * (back[:, b - 1].astype(float)
                                        - back[:, BASELINE_WEEKS - 1].astype(float))}
