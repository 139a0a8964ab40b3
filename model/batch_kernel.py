"""Compiled integrator for many parameter sets: adaptive exponential Runge-Kutta (numba).

The equations are not rewritten here: :func:`model.equations.rhs_into` and its
helpers are registered with numba and compiled as they are, so a sweep runs
exactly the right-hand side that single runs hand to scipy.

Method (per parameter set, each with its own step size)
    Every state's equation has the form ``dX/dt = -rate X + N(t, y)``
    (:func:`model.equations.loss_rates_into`). The Cox-Matthews ETDRK4 scheme
    treats ``-rate X`` exactly, so cytokine clearance in minutes does not limit
    the step. The error of a step is estimated by the ETD2 solution built from
    the same stages (no extra evaluation); a step is accepted when
    ``max_i |y4_i - y2_i| / (atol + rtol max(|y_i|, |y4_i|)) <= 1`` and the next
    step is scaled by ``0.9 err^(-1/3)`` (within 0.2-5 times). Steps end
    exactly on segment boundaries (profile breakpoints, treatment starts and
    stops), where the inputs jump, and restart small there. Daily values inside
    a step come from cubic Hermite interpolation between the step's end points
    and their derivatives; ``max_step`` bounds that interpolation's error.

References
    Cox & Matthews 2002, J Comput Phys 176:430 (ETDRK4); Hochbruck &
    Ostermann 2010, Acta Numerica 19:209 (exponential integrators).

Compiled code is cached on disk under a folder named after a hash of this file
and of ``equations.py``, so editing the equations can never reuse stale
machine code.
"""

from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path

import numba
import numpy as np
from numba.extending import register_jitable

from . import equations
from .states import ERGO_EFFECT, NEURO_EFFECT, NSAID_EFFECT, PT_EFFECT

_JITABLE = (
    "hill", "relax_rate", "effective_lumbar_pain", "posture_target", "neck_tension_target",
    "sensitization_level", "threshold_target", "cytokine_targets", "neuroinflammation_target",
    "headache_stimuli", "headache_targets", "segment_inputs_at", "rhs_into", "loss_rates_into",
    "_relax_loss",
)
for _name in _JITABLE:
    register_jitable(getattr(equations, _name))

rhs_into = equations.rhs_into
loss_rates_into = equations.loss_rates_into

# Status codes of one parameter set.
OK, OUT_OF_RANGE, NOT_FINITE, TOO_MANY_STEPS = 0, 1, 2, 3
STATUS_TEXT = {
    OK: "ok",
    OUT_OF_RANGE: "a state left its physical range",
    NOT_FINITE: "a state became infinite or NaN",
    TOO_MANY_STEPS: "the step limit was reached",
}
MAX_STEPS = 200_000
_EFFECT_STATES = (PT_EFFECT, ERGO_EFFECT, NSAID_EFFECT, NEURO_EFFECT)
_SERIES_LIMIT = 0.5
_SERIES_TERMS = 16
_INVERSE_FACTORIALS = tuple(1.0 / math.factorial(k) for k in range(_SERIES_TERMS + 4))


def cache_folder() -> Path:
    """Folder of the compiled-code cache (keyed by the source of the compiled code)."""
    digest = hashlib.sha256()
    for path in (Path(__file__), Path(equations.__file__)):
        digest.update(path.read_bytes())
    digest.update(numba.__version__.encode())
    root = os.environ.get("LBP_HEADACHE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "lbp-headache")
    return Path(root) / "numba" / digest.hexdigest()[:16]


_previous_cache_dir = numba.config.CACHE_DIR
numba.config.CACHE_DIR = str(cache_folder())
try:
    _jit = numba.njit(cache=True, nogil=True, error_model="numpy")

    @_jit
    def phi_functions(z: float):
        """``exp(z)`` and ``phi1..phi4(z)``, where ``phi_k(z) = sum_j z^j / (j + k)!``.

        Horner's rule on the Taylor series near 0 (no cancellation), the
        recurrences ``phi_{k+1} = (phi_k - 1/k!) / z`` elsewhere.
        """
        if abs(z) < _SERIES_LIMIT:
            phi1 = 0.0
            phi2 = 0.0
            phi3 = 0.0
            phi4 = 0.0
            for j in range(_SERIES_TERMS - 1, -1, -1):
                phi1 = phi1 * z + _INVERSE_FACTORIALS[j + 1]
                phi2 = phi2 * z + _INVERSE_FACTORIALS[j + 2]
                phi3 = phi3 * z + _INVERSE_FACTORIALS[j + 3]
                phi4 = phi4 * z + _INVERSE_FACTORIALS[j + 4]
            return math.exp(z), phi1, phi2, phi3, phi4
        ez = math.exp(z)
        phi1 = (ez - 1.0) / z
        phi2 = (phi1 - 1.0) / z
        phi3 = (phi2 - 0.5) / z
        phi4 = (phi3 - 1.0 / 6.0) / z
        return ez, phi1, phi2, phi3, phi4

    @_jit
    def _remainder(t, y, p, u, rates, out):
        """``N(t, y) = rhs(t, y) + rates * y`` (the part not treated exactly)."""
        rhs_into(t, y, p, u, out)
        for i in range(y.size):
            out[i] += rates[i] * y[i]

    @_jit
    def _in_range(y, low, high, tolerance):
        for i in range(y.size):
            if not math.isfinite(y[i]):
                return NOT_FINITE
            if y[i] < low[i] - tolerance * max(1.0, abs(low[i])):
                return OUT_OF_RANGE
            if y[i] > high[i] + tolerance * max(1.0, abs(high[i])):
                return OUT_OF_RANGE
        return OK

    @_jit
    def _dense_output(days, next_day, t, h, t_next, y, y_new, f1, n1, n5, rates, record, low,
                      high, out):
        """Write the recorded states on the days in ``(t, t_next]``; return the next day index.

        The step's own continuous extension: the remainder is interpolated by
        the quadratic through its values at the start, the middle (stage 5)
        and the end of the step, and integrated exactly against the state's
        exponential loss, ``y(t + s h) = e^{s z} y + s h [phi1 N(0) + s phi2 N'
        + 2 s^2 phi3 N'']`` with ``phi_k = phi_k(s z)``. It is exact for a
        relaxation toward a target that is quadratic in time, however fast
        the relaxation.
        """
        n_days = days.size
        while next_day < n_days and days[next_day] <= t_next:
            if days[next_day] == t_next:
                for j in range(record.size):
                    i = record[j]
                    out[next_day, j] = min(max(y_new[i], low[i]), high[i])
                next_day += 1
                continue
            s = (days[next_day] - t) / h
            last_rate = -1.0
            ez, p1, p2, p3 = 1.0, 1.0, 0.5, 1.0 / 6.0
            for j in range(record.size):
                i = record[j]
                if rates[i] != last_rate:
                    if rates[i] == 0.0:
                        ez, p1, p2, p3 = 1.0, 1.0, 0.5, 1.0 / 6.0
                    else:
                        ez, p1, p2, p3, _ = phi_functions(-rates[i] * s * h)
                    last_rate = rates[i]
                start = n1[i]
                middle = n5[i]
                end = f1[i] + rates[i] * y_new[i]
                slope = -3.0 * start + 4.0 * middle - end
                curvature = 2.0 * start - 4.0 * middle + 2.0 * end
                value = ez * y[i] + s * h * (p1 * start + s * p2 * slope
                                             + 2.0 * s * s * p3 * curvature)
                out[next_day, j] = min(max(value, low[i]), high[i])
            next_day += 1
        return next_day

    @_jit
    def integrate_set(y0, seg_start, seg_end, seg_inputs, seg_parameters, days, low, high,
                      rtol, atol, max_step, first_step, stiff_limit, range_tolerance, record, out):
        """Integrate one parameter set; states ``record`` on ``days`` go to ``out`` (days x record).

        Returns ``(status, accepted_steps, rejected_steps)``.
        """
        n = y0.size
        y = y0.copy()
        f0 = np.empty(n)
        f1 = np.empty(n)
        n1 = np.empty(n)
        n2 = np.empty(n)
        n3 = np.empty(n)
        n4 = np.empty(n)
        n5 = np.empty(n)
        stage = np.empty(n)
        y_new = np.empty(n)
        loss = np.empty(n)
        idle = np.zeros(n, dtype=np.bool_)
        rates = np.empty(n)
        # Per-state coefficients of the current step size (see the module docstring).
        e_full = np.empty(n)
        e_half = np.empty(n)
        a21 = np.empty(n)
        a31 = np.empty(n)
        a32 = np.empty(n)
        a41 = np.empty(n)
        a42 = np.empty(n)
        a51 = np.empty(n)
        a52 = np.empty(n)
        a54 = np.empty(n)
        b1 = np.empty(n)
        b4 = np.empty(n)
        b5 = np.empty(n)
        w3 = np.empty(n)
        n5_previous = np.empty(n)
        accepted = 0
        rejected = 0
        next_day = 0
        n_days = days.size
        # Days at or before the start: the initial state.
        while next_day < n_days and days[next_day] <= seg_start[0]:
            for j in range(record.size):
                i = record[j]
                out[next_day, j] = min(max(y[i], low[i]), high[i])
            next_day += 1
        status = _in_range(y, low, high, range_tolerance)
        if status != OK:
            return status, accepted, rejected
        t = seg_start[0]
        for k in range(seg_start.size):
            p = seg_parameters[k]
            u = seg_inputs[k]
            t_end = seg_end[k]
            t = seg_start[k]
            loss_rates_into(y, p, u, loss)
            rhs_into(t, y, p, u, f0)
            for i in range(n):
                idle[i] = False
            for i in _EFFECT_STATES:
                # An inactive treatment's effect at 0 stays at 0 all segment (its target
                # is constant): left to the explicit part, cheaper and still exact.
                idle[i] = f0[i] == 0.0 and y[i] == 0.0
            h = min(first_step, max_step)
            last_h = -1.0
            h_previous = 0.0  # no history across a discontinuity
            while t < t_end:
                if accepted + rejected > MAX_STEPS:
                    return TOO_MANY_STEPS, accepted, rejected
                remaining = t_end - t
                if h >= remaining * (1.0 - 1e-12) or remaining - h < 1e-9 * max(1.0, t_end):
                    h = remaining
                    t_next = t_end
                else:
                    t_next = t + h
                if h != last_h:
                    last_loss = -1.0
                    ez, p1, p2, p3, p4 = 1.0, 1.0, 0.5, 1.0 / 6.0, 1.0 / 24.0
                    ez2, q1, q2, q3 = 1.0, 1.0, 0.5, 1.0 / 6.0
                    for i in range(n):
                        if loss[i] * h > stiff_limit and not idle[i]:
                            rates[i] = loss[i]
                            if loss[i] != last_loss:  # states sharing a rate share phis
                                z = -loss[i] * h
                                ez, p1, p2, p3, p4 = phi_functions(z)
                                ez2, q1, q2, q3, _ = phi_functions(0.5 * z)
                                last_loss = loss[i]
                        else:
                            # Not stiff for this step: phi_k(0) = 1/k!, an explicit RK4.
                            rates[i] = 0.0
                            ez, p1, p2, p3, p4 = 1.0, 1.0, 0.5, 1.0 / 6.0, 1.0 / 24.0
                            ez2, q1, q2, q3 = 1.0, 1.0, 0.5, 1.0 / 6.0
                            last_loss = -1.0
                        e_full[i] = ez
                        e_half[i] = ez2
                        a21[i] = h * 0.5 * q1
                        a31[i] = h * (0.5 * q1 - q2)
                        a32[i] = h * q2
                        a41[i] = h * (p1 - 2.0 * p2)
                        a42[i] = h * p2
                        c52 = 0.5 * q2 - p3 + 0.25 * p2 - 0.5 * q3
                        c54 = 0.25 * q2 - c52
                        a51[i] = h * (0.5 * q1 - 2.0 * c52 - c54)
                        a52[i] = h * c52
                        a54[i] = h * c54
                        b1[i] = h * (p1 - 3.0 * p2 + 4.0 * p3)
                        b4[i] = h * (4.0 * p3 - p2)
                        b5[i] = h * (4.0 * p2 - 8.0 * p3)
                        # Weight of the cubic term the quadratic quadrature neglects.
                        w3[i] = h ** 4 * (6.0 * p4 - 3.0 * p3 + 0.5 * p2)
                    last_h = h
                t_half = t + 0.5 * h
                for i in range(n):
                    n1[i] = f0[i] + rates[i] * y[i]
                    stage[i] = e_half[i] * y[i] + a21[i] * n1[i]
                _remainder(t_half, stage, p, u, rates, n2)
                for i in range(n):
                    stage[i] = e_half[i] * y[i] + a31[i] * n1[i] + a32[i] * n2[i]
                _remainder(t_half, stage, p, u, rates, n3)
                for i in range(n):
                    stage[i] = e_full[i] * y[i] + a41[i] * n1[i] + a42[i] * (n2[i] + n3[i])
                _remainder(t_next, stage, p, u, rates, n4)
                for i in range(n):
                    stage[i] = e_half[i] * y[i] + a51[i] * n1[i] + a52[i] * (n2[i] + n3[i]) \
                        + a54[i] * n4[i]
                _remainder(t_half, stage, p, u, rates, n5)
                for i in range(n):
                    y_new[i] = e_full[i] * y[i] + b1[i] * n1[i] + b4[i] * n4[i] + b5[i] * n5[i]
                rhs_into(t_next, y_new, p, u, f1)
                error = 0.0
                # Divided differences over this step and the last (reciprocals hoisted).
                inv_left = 2.0 / h_previous if h_previous > 0.0 else 0.0
                inv_half = 2.0 / h
                inv_h = 1.0 / h
                inv_second_left = 2.0 / (h + h_previous)
                inv_third = 1.0 / (h + 0.5 * h_previous)
                for i in range(n):
                    scale = atol + rtol * max(abs(y[i]), abs(y_new[i]))
                    # Embedded order-3 solution: the mid stage n3 in place of n5.
                    estimate = abs(b5[i] * (n5[i] - n3[i]))
                    # The end stage n4 (from a second-order stage) against the remainder
                    # at the new solution: large when a fast relaxation follows a
                    # target that the end stage got wrong.
                    end = f1[i] + rates[i] * y_new[i]
                    estimate = max(estimate, abs(b4[i] * (end - n4[i])))
                    if h_previous > 0.0 and w3[i] != 0.0:
                        # Quadrature error of a fast-relaxing state: the cubic part of
                        # its remainder, which the quadratic quadrature neglects.
                        left = (n1[i] - n5_previous[i]) * inv_left
                        middle = (n5[i] - n1[i]) * inv_half
                        right = (end - n5[i]) * inv_half
                        third = ((right - middle) * inv_h
                                 - (middle - left) * inv_second_left) * inv_third
                        estimate = max(estimate, abs(w3[i] * third))
                    error = max(error, estimate / scale)
                if not math.isfinite(error):
                    error = 1e10
                if error > 1.0:
                    rejected += 1
                    h *= max(0.2, 0.9 * error ** (-0.25))
                    continue
                accepted += 1
                status = _in_range(y_new, low, high, range_tolerance)
                if status != OK:
                    return status, accepted, rejected
                next_day = _dense_output(days, next_day, t, h, t_next, y, y_new, f1, n1, n5,
                                         rates, record, low, high, out)
                for i in range(n):
                    y[i] = y_new[i]
                    f0[i] = f1[i]
                    n5_previous[i] = n5[i]
                h_previous = h
                t = t_next
                factor = 5.0 if error == 0.0 else min(5.0, max(0.2, 0.9 * error ** (-0.25)))
                if factor < 1.25:
                    # Keep the step (and its exponentials) unless it can grow by a quarter.
                    factor = min(factor, 1.0)
                h = min(h * factor, max_step)
            for i in range(n):
                y[i] = min(max(y[i], low[i]), high[i])
        return OK, accepted, rejected

    @_jit
    def integrate_block(y0, seg_start, seg_end, seg_inputs, seg_parameters, days, low, high,
                        rtol, atol, max_step, first_step, stiff_limit, range_tolerance, record,
                        out, status, steps):
        """:func:`integrate_set` for every row of ``y0`` (sets are independent)."""
        for s in range(y0.shape[0]):
            code, accepted, rejected = integrate_set(
                y0[s], seg_start, seg_end, seg_inputs[s], seg_parameters[s], days, low, high,
                rtol, atol, max_step, first_step, stiff_limit, range_tolerance, record, out[s])
            status[s] = code
            steps[s, 0] = accepted
            steps[s, 1] = rejected
finally:
    numba.config.CACHE_DIR = _previous_cache_dir

