"""The compiled loop of :func:`.diary.draw_diaries`: a patient's days in one pass.

The same arithmetic as the numpy path of :func:`.diary.draw_diaries`, without
its temporaries, for blocks of thousands of patients (populations and
trials). ``exp`` and ``**`` are the vectorizing versions of
:mod:`lbp_headache.engine.fast_math` (within 2e-14 relative of numpy's), so
the two paths can differ in the last digits of a value (and, very rarely, in
a headache day whose uniform falls within that distance of its probability);
each caller always takes the same path, so results never depend on chunks,
workers or backends. The tests compare the two.
"""

from __future__ import annotations

import math
from pathlib import Path

import numba
import numpy as np
from lbp_headache.engine import fast_math
from lbp_headache.engine.compile_cache import numba_cache_for
from numba.extending import register_jitable

TINY = 2.2250738585072014e-308  # the smallest normal float


@register_jitable
def diary_row(head, lumbar, factor, use_factor, parameters, headache_normals, lumbar_normals,
              day_uniforms, slow_normals, reported, is_day, back_pain, fluctuation, back,
              probability, headache_max, start=0):  # pragma: no cover - compiled
    """One patient's diary (1-D arrays over days): fills ``reported``, ``is_day`` and
    ``back_pain`` from day ``start`` on (the days before are left as they were: the
    two noise processes still run from day 0, so a day's values do not depend on
    ``start``); ``fluctuation``, ``back`` and ``probability`` are scratch rows.

    ``parameters`` holds: headache noise sd and autocorrelation, lumbar noise sd
    and autocorrelation, headache-day Hill exponent and half load, the slow
    headache fluctuation's sd and correlation time (days). A first loop runs the
    three AR(1) processes (one day after the other); the next ones
    compute every day at once with the vectorizing ``exp`` and ``log`` of
    :mod:`lbp_headache.engine.fast_math` (short loops: LLVM vectorizes each; one
    long loop it would not). A load below ``TINY`` times the half load counts as
    ``TINY``: its probability (below 1e-300 for any Hill exponent the table
    allows) can never exceed a uniform, the smallest of which is 2**-54.
    """
    days = head.shape[0]
    sd = parameters[0]
    r = parameters[1]
    innovation = sd * math.sqrt(1.0 - r * r)
    slow_sd = parameters[6]
    slow_r = math.exp(-1.0 / parameters[7])
    slow_innovation = slow_sd * math.sqrt(1.0 - slow_r * slow_r)
    shift = 0.5 * (sd ** 2 + slow_sd ** 2)
    back_sd = parameters[2]
    back_r = parameters[3]
    back_innovation = back_sd * math.sqrt(1.0 - back_r * back_r)
    hill = parameters[4]
    half = parameters[5]
    fluctuation[0] = sd * headache_normals[0]
    back[0] = back_sd * lumbar_normals[0]
    slow = slow_sd * slow_normals[0]
    probability[0] = slow  # scratch: the slow process, until the probabilities overwrite it
    for day in range(1, days):
        fluctuation[day] = r * fluctuation[day - 1] + innovation * headache_normals[day]
        back[day] = back_r * back[day - 1] + back_innovation * lumbar_normals[day]
        slow = slow_r * slow + slow_innovation * slow_normals[day]
        probability[day] = slow
    for day in range(start, days):
        f = factor[day] if use_factor else 1.0
        reported[day] = min(head[day] * f * fast_math.exp(
            (fluctuation[day] + probability[day]) - shift), headache_max)
        back_pain[day] = min(max(lumbar[day] * f + back[day], 0.0), 10.0)
    for day in range(start, days):  # the probability of a headache day (observation model)
        ratio = fast_math.exp(hill * fast_math.log(max(reported[day] / half, TINY)))
        probability[day] = ratio / (1.0 + ratio)
    for day in range(start, days):
        is_day[day] = day_uniforms[day] < probability[day]


def _diary_into(head, lumbar, factor, use_factor, parameters, headache_normals, lumbar_normals,
               day_uniforms, slow_normals, reported, is_day, back_pain,
               headache_max):  # pragma: no cover
    """Fill ``reported``, ``is_day`` and ``back_pain`` ``(n, days)``: :func:`diary_row` for
    every row (``factor`` is ``(n, days)`` when ``use_factor``)."""
    n, days = head.shape
    fluctuation = np.empty(days)
    back = np.empty(days)
    probability = np.empty(days)
    for row in range(n):
        diary_row(head[row], lumbar[row], factor[row] if use_factor else factor[0], use_factor,
                  parameters[row], headache_normals[row], lumbar_normals[row],
                  day_uniforms[row], slow_normals[row], reported[row], is_day[row],
                  back_pain[row], fluctuation, back, probability, headache_max)


with numba_cache_for(Path(__file__), Path(fast_math.__file__)):
    diary_into = numba.njit(cache=True, nogil=True, error_model="numpy")(_diary_into)
