"""Headache days split between the three pathways, and a difference split the same way.

The observation model (:mod:`lbp_headache.analysis.observation`) turns each
calendar day's mean headache load ``H_d`` into the probability ``q(H_d)``
that the day is a headache day. Here each day's ``q(H_d)`` is split between
the pathways in proportion to their share of that day's load:

``days_pathway = sum_d q(H_d) * H_pathway,d / H_d``

(mechanical = tension-type + cervicogenic, neurological = sensitization,
inflammatory = migraine-like: :data:`lbp_headache.core.states.PATHWAYS`). The
parts add up to the expected headache days exactly, so the difference
between two runs (a baseline and a variant, or a control and a treatment)
splits into a pathway's part of the difference as ``days_pathway(B) -
days_pathway(A)``, and these parts add up to the difference in headache days.
A day without load counts for no pathway (its ``q`` is 0).
"""

from __future__ import annotations

import numpy as np
from lbp_headache.analysis.observation import day_means, headache_day_probability
from lbp_headache.core.calendar import METRIC_MONTH, METRIC_MONTH_DAYS
from lbp_headache.core.states import PATHWAYS
from lbp_headache.engine.result import Result


def days_by_pathway(result: Result, start: int | None = None,
                    stop: int | None = None) -> dict[str, float]:
    """Expected headache days per 28-day month in calendar days ``start .. stop - 1``, by pathway.

    Parameters
    ----------
    result
        A simulation result.
    start, stop
        The window (default: the last 28 days, the window of
        ``headache_days_per_month``).

    Returns
    -------
    dict
        ``{pathway: days per month}`` for every pathway of
        :data:`~lbp_headache.core.states.PATHWAYS`; the values add up to the
        window's expected headache days per month.
    """
    n_days = len(result.daily["headache"]) - 1
    stop = n_days if stop is None else stop
    start = max(0, stop - METRIC_MONTH) if start is None else start
    load = day_means(result.daily["headache"])[start:stop]
    if load.size == 0:
        raise ValueError("empty observation window")
    probability = headache_day_probability(load, result.parameters)
    per_month = METRIC_MONTH_DAYS / load.size
    safe = np.where(load > 0.0, load, 1.0)
    shares = {}
    for pathway, names in PATHWAYS.items():
        part = sum(day_means(result.daily[name])[start:stop] for name in names)
        shares[pathway] = float(np.sum(np.where(load > 0.0, probability * part / safe, 0.0))
                                * per_month)
    return shares


def difference_by_pathway(baseline: dict[str, float],
                          variant: dict[str, float]) -> dict[str, float]:
    """``variant - baseline`` of two :func:`days_by_pathway` results, pathway by pathway."""
    return {pathway: variant[pathway] - baseline[pathway] for pathway in PATHWAYS}
