"""The compiled loop of :func:`.weekly.weekly_chunk`: engine states in, weekly sums out.

For each patient of a chunk it forms the day means of the headache load and of
the effective lumbar pain from the engine's recorded states (the equations'
own :func:`~lbp_headache.core.equations.effective_lumbar_pain`), draws the
diary of every distinct expectation effect with
:func:`lbp_headache.analysis.diary_kernel.diary_row` (the same code as the
populations' diaries) and adds the trial's weeks up, without a single
``(patients, days)`` temporary. The numpy path it replaces made the
population and trial layers cost as much as the engine itself
(benchmarks/trial.py).
"""

from __future__ import annotations

from pathlib import Path

import numba
import numpy as np
from lbp_headache.analysis import diary_kernel
from lbp_headache.analysis.diary_kernel import TINY, diary_row
from lbp_headache.core import equations
from lbp_headache.engine import batch_kernel, fast_math
from lbp_headache.engine.compile_cache import numba_cache_for

# The batch kernel's import registers the equations as compiled functions.
effective_lumbar_pain = batch_kernel.equations.effective_lumbar_pain


def _weekly_into(states, components, pt_state, nsaid_state, neuro_state, raw_lumbar, rows,
                 diary_parameters, expectations, reliefs, use_factor, headache_normals,
                 lumbar_normals, day_uniforms, slow_normals, first, n_weeks, headache_max,
                 days_out, back_out, intensity_out, expected_out,
                 mechanistic_back_out):  # pragma: no cover - compiled
    """Fill the weekly sums of every patient.

    ``states`` ``(n, days + 1, k)``; ``components`` the indices of the headache
    components in it; ``raw_lumbar`` ``(n, days + 1)``; ``rows`` the full
    parameter rows; ``diary_parameters`` ``(n, 8)`` (see :func:`diary_row`);
    ``expectations`` ``(a, n, last + 1 - first)`` the expectation effect of each
    distinct diary on days ``first .. last`` (``last = first + 7 n_weeks``) and
    ``reliefs`` ``(n,)`` the placebo relief (``use_factor[a]`` false: no
    expectation). Only days ``first .. last - 1`` are reported, so only they are
    computed (the noise processes still start at day 0). Outputs: ``days_out``,
    ``back_out``, ``intensity_out`` ``(a, n, weeks)`` (sums over each week),
    ``expected_out`` and ``mechanistic_back_out`` ``(n, weeks)``.
    """
    n = states.shape[0]
    days = states.shape[1] - 1
    n_diaries = expectations.shape[0]
    head = np.empty(days)
    lumbar = np.empty(days)
    factor = np.empty(days)
    reported = np.empty(days)
    is_day = np.empty(days, dtype=np.bool_)
    back_pain = np.empty(days)
    fluctuation = np.empty(days)
    back = np.empty(days)
    probability = np.empty(days)
    n_components = components.shape[0]
    last = first + 7 * n_weeks
    for row in range(n):
        p = rows[row]
        hill = diary_parameters[row, 4]
        half = diary_parameters[row, 5]
        previous_head = 0.0
        previous_lumbar = 0.0
        for whole in range(first, last + 1):  # only the trial's days are reported
            load = 0.0
            for c in range(n_components):
                load += states[row, whole, components[c]]
            pain = effective_lumbar_pain(raw_lumbar[row, whole], states[row, whole, pt_state],
                                         states[row, whole, nsaid_state],
                                         states[row, whole, neuro_state], p)
            if whole > first:
                head[whole - 1] = 0.5 * (previous_head + load)
                lumbar[whole - 1] = 0.5 * (previous_lumbar + pain)
            previous_head = load
            previous_lumbar = pain
        for day in range(first, last):  # the model's expected headache days (no noise)
            ratio = fast_math.exp(hill * fast_math.log(max(head[day] / half, TINY)))
            probability[day] = ratio / (1.0 + ratio)  # a loop of its own: it vectorizes
        for day in range(first, last):
            week = (day - first) // 7
            expected_out[row, week] += probability[day]
            mechanistic_back_out[row, week] += lumbar[day]
        for a in range(n_diaries):
            if use_factor[a]:
                relief = reliefs[row]
                for day in range(first, last):
                    factor[day] = 0.5 * ((1.0 - relief * expectations[a, row, day - first])
                                         + (1.0 - relief * expectations[a, row, day + 1 - first]))
            diary_row(head, lumbar, factor, use_factor[a], diary_parameters[row],
                      headache_normals[row], lumbar_normals[row], day_uniforms[row],
                      slow_normals[row], reported, is_day, back_pain, fluctuation, back,
                      probability, headache_max, first)
            for day in range(first, last):
                week = (day - first) // 7
                if is_day[day]:
                    days_out[a, row, week] += 1.0
                back_out[a, row, week] += back_pain[day]
                intensity_out[a, row, week] += reported[day]


with numba_cache_for(Path(__file__), Path(diary_kernel.__file__), Path(fast_math.__file__),
                     Path(equations.__file__)):
    weekly_into = numba.njit(cache=True, nogil=True, error_model="numpy")(_weekly_into)
