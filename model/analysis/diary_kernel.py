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

import numba
import numpy as np
from lbp_headache.engine import fast_math

TINY = 2.2250738585072014e-308  # the smallest normal float


@numba.njit(cache=True, nogil=True)
def diary_into(head, lumbar, factor, use_factor, parameters, headache_normals, lumbar_normals,
               day_uniforms, reported, is_day, back_pain, headache_max):  # pragma: no cover
    """Fill ``reported``, ``is_day`` and ``back_pain`` ``(n, days)``.

    ``parameters`` holds per row: headache noise sd and autocorrelation, lumbar
    noise sd and autocorrelation, headache-day Hill exponent and half load.
    Per patient, a first loop runs the two AR(1) processes (one day after the
    other); the next ones compute every day at once with the vectorizing
    ``exp`` and ``log`` of :mod:`lbp_headache.engine.fast_math` (short loops:
    LLVM vectorizes each; one long loop it would not). A load below ``TINY``
    times the half load counts as ``TINY``: its probability (below 1e-300 for
    any Hill exponent the table allows) can never exceed a uniform, the
    smallest of which is 2**-54.
    """
    n, days = head.shape
    fluctuation = np.empty(days)
    back = np.empty(days)
    probability = np.empty(days)
    for row in range(n):
        sd = parameters[row, 0]
        r = parameters[row, 1]
        innovation = sd * math.sqrt(1.0 - r * r)
        shift = 0.5 * sd ** 2
        back_sd = parameters[row, 2]
        back_r = parameters[row, 3]
        back_innovation = back_sd * math.sqrt(1.0 - back_r * back_r)
        hill = parameters[row, 4]
        half = parameters[row, 5]
        fluctuation[0] = sd * headache_normals[row, 0]
        back[0] = back_sd * lumbar_normals[row, 0]
        for day in range(1, days):
            fluctuation[day] = r * fluctuation[day - 1] + innovation * headache_normals[row, day]
            back[day] = back_r * back[day - 1] + back_innovation * lumbar_normals[row, day]
        for day in range(days):
            f = factor[row, day] if use_factor else 1.0
            reported[row, day] = min(head[row, day] * f * fast_math.exp(fluctuation[day] - shift),
                                     headache_max)
            back_pain[row, day] = min(max(lumbar[row, day] * f + back[day], 0.0), 10.0)
        for day in range(days):  # the probability of a headache day (observation model)
            ratio = fast_math.exp(hill * fast_math.log(max(reported[row, day] / half, TINY)))
            probability[day] = ratio / (1.0 + ratio)
        for day in range(days):
            is_day[row, day] = day_uniforms[row, day] < probability[day]
