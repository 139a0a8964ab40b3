"""Cost of the engine's building blocks, compiled the way the engine compiles them.

Times the right-hand side (``lbp_headache.core.equations.rhs_at``, registered with numba by
``lbp_headache.engine.batch_kernel``) for one set at a time and for a block of
:data:`lbp_headache.engine.batch_kernel.LANES` sets in one loop (the way the engine calls it,
vectorized), and ``lbp_headache.engine.batch_kernel.phi_functions``, in tight compiled loops,
so the cost of one integrator step can be split into its parts. Compiled on
first use (a few seconds, not cached).
"""

from __future__ import annotations

import time

import numba
import numpy as np
from lbp_headache.core.states import N_SEGMENT_INPUTS, N_STATES
from lbp_headache.engine.batch_kernel import _INLINE, LANES, N_PARAMETERS, phi_functions, rhs_at

_FLAGS = {"error_model": "numpy", "fastmath": _INLINE["fastmath"]}
_STATE, _OUT = 0, N_STATES * LANES
_PARAMETERS = 2 * N_STATES * LANES
_INPUTS = _PARAMETERS + N_PARAMETERS * LANES


@numba.njit(cache=False, **_FLAGS)
def _rhs_loop(n, y, p, u, out):
    total = 0.0
    for k in range(n):
        y[0] += 1e-15  # a changing argument: the call cannot be hoisted out of the loop
        rhs_at(0.5 + k * 1e-7, y, 0, p, 0, u, 0, out, 0, 1)
        total += out[3]
    return total


@numba.njit(cache=False, **_FLAGS)
def _lanes_loop(n, w):
    # The engine's layout: every block in one array, LANES sets per row.
    total = 0.0
    for _ in range(n):
        w[0] += 1e-15
        for lane in range(LANES):
            rhs_at(0.5, w, _STATE + lane, w, _PARAMETERS + lane, w, _INPUTS + lane, w,
                   _OUT + lane, LANES)
        total += w[_OUT + 3 * LANES]
    return total


@numba.njit(cache=False, **_FLAGS)
def _phi_loop(n):
    total = 0.0
    for k in range(n):
        small = phi_functions(-0.3 - k * 1e-12)  # Taylor series branch
        large = phi_functions(-3.0 - k * 1e-12)  # recurrence branch
        total += small[1] + large[2]
    return total


def measure(scenario, rows: np.ndarray, repeats: int = 5, calls: int = 200_000) -> dict:
    """Nanoseconds per right-hand-side evaluation (one set; per set in a block of
    :data:`LANES`) and per ``phi_functions`` call (medians).

    ``rows`` holds full parameter rows (the first one for the single-set loop, the
    first :data:`LANES` for the block); the inputs are those of the scenario's
    second segment (the lumbar pain course is running).
    """
    from lbp_headache.engine.batch import initial_states
    from lbp_headache.engine.schedule import segment_tables

    rows = np.resize(rows, (LANES, rows.shape[1]))
    _, _, inputs, per_segment = segment_tables(scenario, rows)
    segment = min(1, inputs.shape[1] - 1)
    states = initial_states(scenario, rows)
    y = np.ascontiguousarray(states[0])
    p = np.ascontiguousarray(per_segment[0, segment])
    u = np.ascontiguousarray(inputs[0, segment])
    out = np.empty_like(y)
    w = np.zeros(_INPUTS + N_SEGMENT_INPUTS * LANES)
    w[_STATE:_STATE + N_STATES * LANES] = states.T.ravel()
    w[_PARAMETERS:_INPUTS] = per_segment[:, segment, :].T.ravel()
    w[_INPUTS:] = inputs[:, segment, :].T.ravel()

    started = time.perf_counter()
    _rhs_loop(10, y, p, u, out)
    _lanes_loop(10, w)
    _phi_loop(10)
    compile_s = time.perf_counter() - started

    def per_call(action, count) -> float:
        times = []
        for _ in range(repeats):
            before = time.perf_counter()
            action()
            times.append(time.perf_counter() - before)
        return float(np.median(times)) / count * 1e9

    rhs_ns = per_call(lambda: _rhs_loop(calls, y.copy(), p, u, out), calls)
    blocks = max(1, calls // LANES)
    lane_ns = per_call(lambda: _lanes_loop(blocks, w.copy()), blocks * LANES)
    phi_ns = per_call(lambda: _phi_loop(calls), calls) / 2
    return {"rhs_ns": rhs_ns, "rhs_lane_ns": lane_ns, "lanes": LANES, "phi_ns": phi_ns,
            "compile_s": compile_s}
