"""Cost of the engine's building blocks, compiled the way the engine compiles them.

Times the right-hand side (``model.equations.rhs_into``, registered with numba
by ``model.batch_kernel``) and ``model.batch_kernel.phi_functions`` in tight
compiled loops, so the cost of one integrator step can be split into its
parts. Compiled on first use (about a second, not cached).
"""

from __future__ import annotations

import time

import numba
import numpy as np

from model.batch_kernel import phi_functions, rhs_into  # importing registers rhs_into with numba


@numba.njit(cache=False)
def _rhs_loop(n, y, p, u, out):
    total = 0.0
    for k in range(n):
        y[0] += 1e-15  # a changing argument: the call cannot be hoisted out of the loop
        rhs_into(0.5 + k * 1e-7, y, p, u, out)
        total += out[3]
    return total


@numba.njit(cache=False)
def _phi_loop(n):
    total = 0.0
    for k in range(n):
        small = phi_functions(-0.3 - k * 1e-12)  # Taylor series branch
        large = phi_functions(-3.0 - k * 1e-12)  # recurrence branch
        total += small[1] + large[2]
    return total


def measure(scenario, row: np.ndarray, repeats: int = 5, calls: int = 200_000) -> dict:
    """Nanoseconds per right-hand-side evaluation and per ``phi_functions`` call (medians).

    ``row`` is one full parameter row; the inputs are those of the scenario's
    second segment (the lumbar pain course is running).
    """
    from model.batch import initial_states, segment_tables

    rows = row[None, :]
    _, _, inputs, per_segment = segment_tables(scenario, rows)
    segment = min(1, inputs.shape[1] - 1)
    y = np.ascontiguousarray(initial_states(scenario, rows)[0])
    p = np.ascontiguousarray(per_segment[0, segment])
    u = np.ascontiguousarray(inputs[0, segment])
    out = np.empty_like(y)

    started = time.perf_counter()
    _rhs_loop(10, y, p, u, out)
    _phi_loop(10)
    compile_s = time.perf_counter() - started

    def per_call(action) -> float:
        times = []
        for _ in range(repeats):
            before = time.perf_counter()
            action()
            times.append(time.perf_counter() - before)
        return float(np.median(times)) / calls * 1e9

    rhs_ns = per_call(lambda: _rhs_loop(calls, y.copy(), p, u, out))
    phi_ns = per_call(lambda: _phi_loop(calls)) / 2
    return {"rhs_ns": rhs_ns, "phi_ns": phi_ns, "compile_s": compile_s}
