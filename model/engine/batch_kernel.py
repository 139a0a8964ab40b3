"""Compiled integrator for many parameter sets: adaptive exponential Runge-Kutta in SIMD lanes.

The equations are not rewritten here: :func:`lbp_headache.core.equations.rhs_at` and its
helpers are registered with numba and compiled as they are, so a sweep runs
exactly the right-hand side that single runs hand to scipy (with
:func:`lbp_headache.core.equations.power` compiled as the vectorizable
:func:`lbp_headache.engine.fast_math.power`).

Method (per parameter set, each with its own step sizes)
    Every state's equation has the form ``dX/dt = -rate X + N(t, y)``
    (:func:`lbp_headache.core.equations.loss_rates_into`). The five-stage exponential
    Runge-Kutta method of Hochbruck & Ostermann (stiff order 4) treats
    ``-rate X`` exactly, so cytokine clearance in minutes does not limit the
    step. Per step: four stage evaluations, one at the new solution (which
    starts the next step) and one at the middle of the step's continuous
    extension (below), six in all.

Treatment effects
    The four treatment effects (the last four states) relax toward a target
    that is constant in a segment, at a rate fixed for the segment, so their
    ``N`` is constant and the method's stages reduce to the exact values
    ``exp(-rate s) X + s phi1(-rate s) N``: the kernel computes those (and
    only the coefficients they need) and estimates no error for them.

Local error estimate
    The new solution integrates ``N`` through its start value and the stages
    ``N_5`` (middle) and ``N_4`` (end). Its error has two parts:

    * *Stages*: ``b_4 (N(y_new) - N_4) + b_5 (N(y_mid) - N_5)``, the change
      if the solution were rebuilt from ``N`` at the new solution and at the
      continuous extension's midpoint ``y_mid`` instead of the stages. This
      is the dominant part on smooth stretches (measured: within 1 % of the
      true stage error on a slowly ramping disc input).
    * *Quadrature*: the cubic and quartic terms of ``N`` that the
      three-point interpolation leaves out, from divided differences over five
      nodes (this step's start, middle and end, the previous step's start and
      middle) integrated against the exponential. This catches fast
      transients of one state driving another (IL-6 rising in hours drives
      neuroinflammation). On the first step after a segment boundary (no
      history) the quadratic term is used instead: conservative, on steps
      that are small anyway.

    A step is accepted when ``max_i |est_i| / (w_i (atol_i + rtol max(|y_i|,
    |y_new_i|))) <= 1``; for the four headache components the ``max`` also
    includes a tenth of the headache load (at least 0.1, the floor of the
    accuracy measure), so a component that is a small part of the headache is
    not resolved to a small part of itself. The weight ``w`` is 1 except for
    the pain threshold (:data:`THRESHOLD_WEIGHT`): its errors accumulate over
    months instead of relaxing away, and a relative error ``e`` in the
    threshold moves the headache by up to ``n gamma e`` (``n gamma`` up to 12
    over the parameter ranges). ``atol_i`` is ``atol`` except for
    neuroinflammation (:data:`NEUROINFLAMMATION_ABSOLUTE_SCALE` times): it
    starts at exactly 0 in a healthy start, and resolving the first hours of its
    rise (driven by cytokines that settle in hours) to 1e-8 took 15 of the 19
    steps of the first day, far finer than the headache needs (measured: 3.6 %
    fewer steps, the same worst error over 20,000 runs). The next step is
    ``0.9 err^(-1/4)`` times the last (between 0.2 and 5).

    Two refinements, each found on the worst of 10,000 parameter sets drawn
    over the whole parameter table (docs/sweeps.md gives the measurements):

    * *Errors that add up instead of relaxing away.* A headache component
      relaxes at its rate ``lambda``, and so do the errors a step leaves in it.
      When the component itself falls at that rate (the weeks after treatment
      starts), the errors shrink no faster than the component, and the
      relative error becomes the sum of every step's relative error. A
      component's error is therefore measured against ``1 - exp(-lambda h)``
      of its tolerance (what relaxes away in the step), at most
      1 / :data:`ACCUMULATION_FLOOR` times tighter.
    * *The threshold near the sensitization switch.* Close to the fold of the
      sensitization feedback the threshold's errors are amplified 15-70 times
      on their way to day 365. The new threshold is rebuilt from ``N`` at the
      new solution and at the continuous midpoint (the stage part of the
      estimate, applied as a correction; local extrapolation, free because
      both are evaluated anyway), which cuts its error about four-fold where a
      tighter tolerance would cost a quarter more steps. The next step starts
      from ``N`` at the uncorrected solution; the difference is the threshold's
      slow rate times a correction of about 1e-9.

Discontinuities
    Steps end exactly on segment boundaries (profile breakpoints, treatment
    starts and stops), where the inputs or their slopes jump. The first step
    of a segment is :data:`RESTART_FRACTION` of the last full step before it
    (``first_step`` at the start of the run).

    The threshold relaxes with one time constant while its target lies above
    it and another while below, so its second derivative jumps where the
    target crosses it. Ending steps at that switch (located from the sign of
    ``target - threshold`` at both ends of each step) was measured and dropped:
    on 2 x 10,000 sets it changed the worst error by less than its spread
    (4.8e-6 against 4.5e-6 on multimodal care, 3.8e-6 on both on persistent
    back pain) and cost 2 % more steps.

Daily values
    The step's continuous extension: ``N`` interpolated through its start,
    midpoint and end values, plus the cubic and quartic terms from the
    previous step when there is one, and integrated exactly against the
    state's exponential loss. It is exact for a relaxation toward a target
    that is quadratic in time, however fast the relaxation; ``max_step``
    bounds its error on long quiet stretches.

    Only a step's first day evaluates the extension's phi functions at that
    day's own distance into the step, for every lane at once. Each later day
    in the same step is carried on from the day before: ``y(s + 1) =
    exp(-rate) y(s) + sum_k n_k k! phi_{k+1}(-rate)``, where ``n_k`` are the
    Taylor coefficients of the interpolated ``N`` at ``s``. This is the same
    extension, exact for that ``N`` (tested against the extension evaluated
    afresh, to 1e-13). Its weights depend only on the loss rate, which is
    fixed in a segment, so they are computed once per segment, when a lane
    enters it, directly into that lane's own block of the carry scratch (a
    step then copies only the day value and ``N``'s polynomial); a lane's
    recorded states are carried side by side, in a loop over states that
    vectorizes. The days after a step's first are stored from the recorded
    states' columns and ranges, laid out once per call. Measured on 1,000
    uniform sets (one thread, persistent back pain): recording every state
    costs 1.23 times the headache-only run (1.52 before the days were carried,
    1.39 before the per-lane weights, the stored columns and the reuse of
    large output blocks in :func:`lbp_headache.engine.batch.output_array`;
    benchmarks/README.md).

Lanes (SIMD)
    Sets are integrated side by side in :data:`LANES` lanes: every array holds
    one value per lane (variable-major, ``w[row + i * LANES + k]``, all in one
    array at offsets the compiler can see) and each stage is one loop over the
    lanes, which the compiler vectorizes, the right-hand side included. Each
    lane keeps its own time, step size, segment and history; a lane whose set
    is finished takes the next set of the block. A set's arithmetic does not
    depend on its lane, its neighbours or the number of lanes, so results are
    identical bit for bit however the sets are grouped (tested).

    32 lanes, not 64: 1,000 uniform sets on one thread took 7-8 % less CPU time
    (0.099 against 0.107 s, headache only, interleaved processes; 8 and 16 lanes
    0.100 and 0.102 s; benchmarks/README.md). A treatment effect that no lane's
    set receives (rate 0 in every lane) takes its step coefficients as the exact
    constants ``exp(0) = phi1(0) = 1`` instead of evaluating the phi functions.

References
    Hochbruck & Ostermann 2005, SIAM J Numer Anal 43:1069 (the scheme, stiff
    order conditions); Hochbruck & Ostermann 2010, Acta Numerica 19:209
    (exponential integrators); Cox & Matthews 2002, J Comput Phys 176:430.

Compiled code is cached on disk under a folder named after a hash of this file,
``equations.py`` and ``fast_math.py``, so editing them can never reuse stale
machine code.
"""

from __future__ import annotations

import math
from pathlib import Path

import numba
import numpy as np
from lbp_headache.core import equations
from lbp_headache.core.parameters import NAMES
from lbp_headache.core.states import (
    ERGO_EFFECT,
    H_CERVICOGENIC,
    H_SENSITIZATION,
    H_TENSION,
    N_SEGMENT_INPUTS,
    N_STATES,
    NEURO_EFFECT,
    NEUROINFLAMMATION,
    NSAID_EFFECT,
    PT_EFFECT,
    THRESHOLD,
)
from lbp_headache.engine import atomic, compile_cache, fast_math, status
from lbp_headache.engine.atomic import fetch_add
from lbp_headache.engine.status import NOT_FINITE, OK, OUT_OF_RANGE, TOO_MANY_STEPS
from numba.extending import register_jitable

# Compiled helpers are inlined into the kernel (so its loops over lanes see straight-line
# code) and may fuse a multiply and an add into one FMA instruction (one rounding instead of
# two; the same in scalar and vector code).
_INLINE = {"forceinline": True, "fastmath": {"contract"}}
_JITABLE = (
    "hill", "relax_rate", "effective_lumbar_pain", "posture_target", "neck_tension_target",
    "sensitization_level", "threshold_target", "cytokine_targets", "neuroinflammation_target",
    "headache_stimuli", "headache_targets", "segment_inputs_at", "rhs_at", "rhs_into",
    "loss_rates_into", "_relax_loss",
)
for _name in _JITABLE:
    register_jitable(**_INLINE)(getattr(equations, _name))

rhs_at = equations.rhs_at
loss_rates_into = equations.loss_rates_into

# Status codes of one parameter set.
MAX_STEPS = 200_000
LANES = 32          # lanes of the batch kernel (a multiple of every SIMD width)
SMALL_LANES = 4     # lanes of the kernel for a handful of sets (single runs)
THRESHOLD_WEIGHT = 0.001
RESTART_FRACTION = 0.1
# A headache component's error is measured against at least a tenth of the whole headache
# load (itself at least 0.1, the floor of the accuracy measure): a component that is a
# small part of the load need not be resolved to a small part of itself.
HEADACHE_SCALE_FLOOR = 0.1
HEADACHE_COMPONENT_FLOOR = 0.1
# A headache component's local error is divided by at most 1 / ACCUMULATION_FLOOR = 5 for
# what relaxes away in the step (module docstring).
ACCUMULATION_FLOOR = 0.2
# Neuroinflammation starts at 0 in a healthy start; its absolute tolerance is this many
# times atol (module docstring).
NEUROINFLAMMATION_ABSOLUTE_SCALE = 10.0
N_PARAMETERS = len(NAMES)
# Rows of the scratch that carries one lane's daily values from day to day (a state each):
# six rows copied from the step (the value, N at the start, N's polynomial), then one block
# per lane of six rows with that lane's whole-day weights, written when the lane enters a
# segment (they depend only on the loss rates), so a step copies six rows, not twelve.
CARRY_WIDTH = 16
CARRY_NARROW = 4
assert N_STATES <= CARRY_WIDTH
CARRY_N1, CARRY_POLY_1, CARRY_POLY_2, CARRY_POLY_3, CARRY_POLY_4 = (
    CARRY_WIDTH * r for r in range(1, 6))
CARRY_DAYS = 6 * CARRY_WIDTH   # the first lane's block of day weights
CARRY_LANE = 6 * CARRY_WIDTH   # rows of day weights per lane
CARRY_DAY_E, CARRY_DAY_0, CARRY_DAY_1, CARRY_DAY_2, CARRY_DAY_3, CARRY_DAY_4 = (
    CARRY_WIDTH * r for r in range(6))
_EFFECT_STATES = (PT_EFFECT, ERGO_EFFECT, NSAID_EFFECT, NEURO_EFFECT)
# The treatment effects come last: states below N_GENERAL go through the whole method.
N_GENERAL = PT_EFFECT
assert _EFFECT_STATES == tuple(range(N_GENERAL, N_STATES))
_TAYLOR_LIMIT = 0.5
# phi5(z) = sum_j z^j / (j + 5)!, to z^12 (|z| < 0.5: 0.5^13 / 18! < 1e-19), padded to 14.
_PHI5_SERIES = tuple(1.0 / math.factorial(j + 5) for j in range(13)) + (0.0,)
_F2 = 0.5
_F3 = 1.0 / 6.0
_F4 = 1.0 / 24.0
_F5 = 1.0 / 120.0

TOLERANCE_WEIGHTS = np.ones(N_STATES)
TOLERANCE_WEIGHTS[THRESHOLD] = THRESHOLD_WEIGHT
# Absolute tolerance of each state, in units of ``atol``.
ABSOLUTE_TOLERANCE_SCALE = np.ones(N_STATES)
ABSOLUTE_TOLERANCE_SCALE[NEUROINFLAMMATION] = NEUROINFLAMMATION_ABSOLUTE_SCALE


def cache_folder() -> Path:
    """Folder of the compiled-code cache (keyed by the source of the compiled code)."""
    return compile_cache.cache_folder((Path(__file__), Path(equations.__file__),
                                       Path(fast_math.__file__), Path(status.__file__),
                                       Path(atomic.__file__)))


@register_jitable(**_INLINE)
def phi_functions(z):
    """``exp(z)`` and ``phi1..phi5(z)``, where ``phi_k(z) = sum_j z^j / (j + k)!``.

    Near 0 (:func:`_phi_series`) from the Taylor series of ``phi5`` and the
    stable backward recurrence ``phi_k = z phi_{k+1} + 1/k!``; elsewhere
    (:func:`_phi_recurrence`) from ``exp(z)`` by ``phi_{k+1} = (phi_k - 1/k!) / z``.
    With the vectorizable :func:`lbp_headache.engine.fast_math.exp`, for loops over lanes.
    """
    series = _phi_series(z)
    recurrence = _phi_recurrence(z, fast_math.exp(z))
    return series if abs(z) < _TAYLOR_LIMIT else recurrence


@register_jitable(**_INLINE)
def _phi_series(z):
    phi5 = fast_math.estrin(z, _PHI5_SERIES)
    phi4 = z * phi5 + _F4
    phi3 = z * phi4 + _F3
    phi2 = z * phi3 + _F2
    phi1 = z * phi2 + 1.0
    return z * phi1 + 1.0, phi1, phi2, phi3, phi4, phi5


@register_jitable(**_INLINE)
def _phi_recurrence(z, ez):
    inverse = 1.0 / z
    phi1 = (ez - 1.0) * inverse
    phi2 = (phi1 - 1.0) * inverse
    phi3 = (phi2 - _F2) * inverse
    phi4 = (phi3 - _F3) * inverse
    phi5 = (phi4 - _F4) * inverse
    return ez, phi1, phi2, phi3, phi4, phi5


@register_jitable(**_INLINE)
def phi1_functions(z):
    """``exp(z)`` and ``phi1(z) = (exp(z) - 1) / z``: its Taylor series near 0, as in
    :func:`phi_functions`."""
    series = _phi_series(z)
    ez = fast_math.exp(z)
    recurrence = (ez - 1.0) / z
    return (series[0], series[1]) if abs(z) < _TAYLOR_LIMIT else (ez, recurrence)


@register_jitable(**_INLINE)
def double_phi_functions(ez, phi1, phi2, phi3, phi4, phi5):
    """``exp(2z)`` and ``phi_k(2z)`` from the values at ``z``.

    ``phi_k(2z) = 2^-k (e^z phi_k(z) + sum_{j=1..k} phi_j(z) / (k - j)!)``:
    positive terms only for ``z <= 0``, so no cancellation.
    """
    return (ez * ez,
            0.5 * (ez * phi1 + phi1),
            0.25 * (ez * phi2 + phi1 + phi2),
            0.125 * (ez * phi3 + _F2 * phi1 + phi2 + phi3),
            0.0625 * (ez * phi4 + _F3 * phi1 + _F2 * phi2 + phi3 + phi4),
            0.03125 * (ez * phi5 + _F4 * phi1 + _F3 * phi2 + _F2 * phi3 + phi4 + phi5))


_previous_cache_dir = numba.config.CACHE_DIR
numba.config.CACHE_DIR = str(cache_folder())
try:
    _jit = numba.njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})

    @_jit
    def phi_values(z):
        """:func:`phi_functions` callable from Python (tests)."""
        return phi_functions(z)

    @_jit
    def phi1_values(z):
        """:func:`phi1_functions` callable from Python (tests)."""
        return phi1_functions(z)

    @_jit
    def extension_value_at(rate, span, step, shift, start_value, start, middle, finish, d3,
                           d4):
        """A state's continuous extension ``span`` into a step (tests)."""
        g0, g1, g2, g3, cubic, quartic = _extension_weights(rate, span, step, shift)
        return _extension_value(start_value, start, middle, finish, d3, d4, g0, g1, g2, g3,
                                cubic, quartic)

    @_jit
    def next_day_value_at(rate, previous, span, step, shift, start, middle, finish, d3, d4):
        """The extension one whole day after its value ``previous`` at ``span`` (tests)."""
        c1, c2, c3, c4 = _step_polynomial(start, middle, finish, d3, d4, step, shift)
        return _next_day_value(previous, start, c1, c2, c3, c4, span, *_day_weights(rate))

    @register_jitable(**_INLINE)
    def _coefficient_row(i):
        """Row of state ``i``'s step coefficients: the headache components share one."""
        return H_TENSION if H_CERVICOGENIC <= i <= H_SENSITIZATION else i

    @register_jitable(**_INLINE)
    def _in_range(y, low, high, tolerance, k, lanes):
        for i in range(low.size):
            value = y[i * lanes + k]
            if not math.isfinite(value):
                return NOT_FINITE
            if value < low[i] - tolerance * max(1.0, abs(low[i])):
                return OUT_OF_RANGE
            if value > high[i] + tolerance * max(1.0, abs(high[i])):
                return OUT_OF_RANGE
        return OK

    @register_jitable(**_INLINE)
    def _store_coefficients(w, first, curvature, size, step, eh, q1, q2, q3, q4, q5,
                            ef, p1, p2, p3, p4, p5):
        """A lane's step coefficients from the phi functions at half (``q``) and full (``p``)
        step: rows E_FULL .. W4 at ``first``, ``first + size``, ... and M3 at ``curvature``."""
        step4 = step * step * step * step
        c52 = 0.5 * q2 - p3 + 0.25 * p2 - 0.5 * q3
        c54 = 0.25 * q2 - c52
        w[first] = ef
        w[first + size] = eh
        w[first + 2 * size] = step * 0.5 * q1
        w[first + 3 * size] = step * (0.5 * q1 - q2)
        w[first + 4 * size] = step * q2
        w[first + 5 * size] = step * (p1 - 2.0 * p2)
        w[first + 6 * size] = step * p2
        w[first + 7 * size] = step * (0.5 * q1 - 2.0 * c52 - c54)
        w[first + 8 * size] = step * c52
        w[first + 9 * size] = step * c54
        w[first + 10 * size] = step * (p1 - 3.0 * p2 + 4.0 * p3)
        w[first + 11 * size] = step * (4.0 * p3 - p2)
        w[first + 12 * size] = step * (4.0 * p2 - 8.0 * p3)
        # Weights of the cubic and quartic terms the quadrature leaves out.
        w[first + 13 * size] = step4 * (6.0 * p4 - 3.0 * p3 + 0.5 * p2)
        w[first + 14 * size] = step4 * step * (24.0 * p5 - 9.0 * p4 + p3)
        # Weight of the curvature in the continuous extension at h/2.
        w[curvature] = 0.25 * step * q3

    @register_jitable(**_INLINE)
    def _extension_weights(rate, span, step, shift):
        """Weights of the continuous extension ``span`` into a step of length ``step``
        (module docstring, Daily values): of the start value, of ``N`` at the start, of
        its first and second differences, and of the cubic and quartic terms."""
        ez, phi1, phi2, phi3, phi4, phi5 = phi_functions(-rate * span)
        return _polynomial_weights(span, step, shift, ez, phi1, phi2, phi3, phi4, phi5)

    @register_jitable(**_INLINE)
    def _polynomial_weights(span, step, shift, ez, phi1, phi2, phi3, phi4, phi5):
        """:func:`_extension_weights` from the phi functions at ``-rate span``."""
        ratio = span / step
        cubic = span * span * (6.0 * span * span * phi4 - 3.0 * step * span * phi3
                               + 0.5 * step * step * phi2)
        quartic = span * span * span * (24.0 * span * span * phi5 - 9.0 * step * span * phi4
                                        + step * step * phi3)
        return (ez, span * phi1, span * ratio * phi2, 2.0 * span * ratio * ratio * phi3, cubic,
                quartic + shift * cubic)

    @register_jitable(**_INLINE)
    def _extension_value(start_value, start, middle, finish, d3, d4, g0, g1, g2, g3, cubic,
                         quartic):
        """A state's continuous extension from its value and ``N`` at the step's start,
        middle and end and its divided differences ``d3``, ``d4``, with the weights of
        :func:`_extension_weights`."""
        return (g0 * start_value + g1 * start + g2 * (-3.0 * start + 4.0 * middle - finish)
                + g3 * (2.0 * start - 4.0 * middle + 2.0 * finish) + d3 * cubic + d4 * quartic)

    @register_jitable(**_INLINE)
    def _day_weights(rate):
        """``exp(-rate)`` and ``k! phi_{k+1}(-rate)`` for k = 0..4: the weights of
        ``integral_0^1 exp(-rate (1 - u)) u^k du``, which carry a state one whole day on."""
        ez, phi1, phi2, phi3, phi4, phi5 = phi_functions(-rate)
        return ez, phi1, phi2, 2.0 * phi3, 6.0 * phi4, 24.0 * phi5

    @register_jitable(**_INLINE)
    def _step_polynomial(start, middle, finish, d3, d4, step, shift):
        """``N`` over the step in powers of the time ``s`` into it: ``c1 .. c4`` (``c0``
        is ``start``) of ``start + L s/h + Q (s/h)^2 + d3 P3(s) + d4 P4(s)``, the
        interpolation of the module docstring (Daily values), with ``P3 = s (s - h/2)
        (s - h)`` and ``P4 = (s + shift) P3``."""
        inverse = 1.0 / step
        c1 = ((-3.0 * start + 4.0 * middle - finish) * inverse
              + 0.5 * step * step * (d3 + d4 * shift))
        c2 = (2.0 * (start - 2.0 * middle + finish) * inverse * inverse - 1.5 * step * d3
              + d4 * step * (0.5 * step - 1.5 * shift))
        c3 = d3 + d4 * (shift - 1.5 * step)
        return c1, c2, c3, d4

    @register_jitable(**_INLINE)
    def _next_day_value(previous, c0, c1, c2, c3, c4, span, day_e, day_0, day_1, day_2,
                        day_3, day_4):
        """The continuous extension one whole day after its value ``previous`` at ``span``
        into the step: ``exp(-rate) previous + sum_k n_k k! phi_{k+1}(-rate)``, with ``n_k``
        the Taylor coefficients at ``span`` of ``N = c0 + c1 s + ... + c4 s^4``
        (:func:`_step_polynomial`). Exact for that ``N``, like the extension itself, and
        with no phi function of the day's own span."""
        n0 = c0 + span * (c1 + span * (c2 + span * (c3 + span * c4)))
        n1 = c1 + span * (2.0 * c2 + span * (3.0 * c3 + span * 4.0 * c4))
        n2 = c2 + span * (3.0 * c3 + span * 6.0 * c4)
        n3 = c3 + span * 4.0 * c4
        return (day_e * previous + day_0 * n0 + day_1 * n1 + day_2 * n2 + day_3 * n3
                + day_4 * c4)

    @register_jitable(**_INLINE)
    def _carried_day(carry, q, lane, span):
        """:func:`_next_day_value` of the state in column ``q`` of ``carry``, with the day
        weights of the lane whose block starts at ``lane``."""
        return _next_day_value(
            carry[q], carry[CARRY_N1 + q], carry[CARRY_POLY_1 + q], carry[CARRY_POLY_2 + q],
            carry[CARRY_POLY_3 + q], carry[CARRY_POLY_4 + q], span,
            carry[lane + CARRY_DAY_E + q], carry[lane + CARRY_DAY_0 + q],
            carry[lane + CARRY_DAY_1 + q], carry[lane + CARRY_DAY_2 + q],
            carry[lane + CARRY_DAY_3 + q], carry[lane + CARRY_DAY_4 + q])

    @register_jitable(**_INLINE)
    def _store_day(row, at_end, w, y_new, daily, k, lanes, record, low, high):
        """A day's recorded states into ``row``, clipped to their ranges: from ``daily``,
        or the new solution itself where the day is the step's end."""
        source = y_new if at_end else daily
        for j in range(record.size):
            i = record[j]
            row[j] = min(max(w[source + i * lanes + k], low[i]), high[i])

    @register_jitable(**_INLINE)
    def _integrate_lanes(y0, seg_start, seg_end, seg_inputs, seg_parameters, days, low, high,
                         rtol, atol, max_step, first_step, range_tolerance, weights,
                         absolute_scale, record, out, status, steps, queue, lanes):
        """Integrate every set of the block in ``lanes`` lanes (see the module docstring).

        All per-lane numbers live in one array ``w`` at offsets that are
        compile-time constants (``lanes`` is a literal here), which lets the
        compiler prove that the loops over lanes touch disjoint memory and
        vectorize them without run-time overlap checks.
        """
        n = N_STATES
        n_sets = y0.shape[0]
        n_parameters = N_PARAMETERS
        n_inputs = N_SEGMENT_INPUTS
        n_segments = seg_start.size
        n_days = days.size
        size = n * lanes
        # Rows of one value per (state, lane), at c = state * lanes + lane ...
        Y, Y_NEW, F0, F1 = 0 * size, 1 * size, 2 * size, 3 * size
        N1, N2, N3, N4, N5 = 4 * size, 5 * size, 6 * size, 7 * size, 8 * size
        STAGE, END, N1_PREVIOUS, N5_PREVIOUS = 9 * size, 10 * size, 11 * size, 12 * size
        D3, RATES, E_FULL, E_HALF = 13 * size, 14 * size, 15 * size, 16 * size
        A21, A31, A32, A41, A42 = 17 * size, 18 * size, 19 * size, 20 * size, 21 * size
        A51, A52, A54, B1, B4, B5 = (22 * size, 23 * size, 24 * size, 25 * size, 26 * size,
                                     27 * size)
        W3, W4, D4, M3, N_MID = 28 * size, 29 * size, 30 * size, 31 * size, 32 * size
        # Rows that are free once the error is estimated, used for the daily values: N over
        # the step in powers of its time (from the second coefficient on) and the values.
        POLY_1, POLY_2, POLY_3, POLY_4, DAILY = N2, N3, N4, N_MID, STAGE
        base = 33 * size
        T, H, T_NEXT, T_HALF = base, base + lanes, base + 2 * lanes, base + 3 * lanes
        T_END, H_PREVIOUS, H_CARRY = base + 4 * lanes, base + 5 * lanes, base + 6 * lanes
        LAST_H, ERROR, HISTORY, ACCEPT = (base + 7 * lanes, base + 8 * lanes, base + 9 * lanes,
                                          base + 10 * lanes)
        R_LEFT, R_RIGHT, R012, R123 = (base + 11 * lanes, base + 12 * lanes, base + 13 * lanes,
                                       base + 14 * lanes)
        R234, R0123, R1234, R01234 = (base + 15 * lanes, base + 16 * lanes, base + 17 * lanes,
                                      base + 18 * lanes)
        SHIFT, RANGE, FLOOR = base + 19 * lanes, base + 20 * lanes, base + 21 * lanes
        CORRECTION, T_START, SPAN = base + 22 * lanes, base + 23 * lanes, base + 24 * lanes
        # The continuous extension's weights at a day (one coefficient row at a time).
        G0, G1, G2, G3 = base + 25 * lanes, base + 26 * lanes, base + 27 * lanes, base + 28 * lanes
        G_CUBIC, G_QUARTIC = base + 29 * lanes, base + 30 * lanes
        # ... then the parameters and segment inputs of each lane.
        P = base + 31 * lanes
        U = P + n_parameters * lanes
        w = np.zeros(U + n_inputs * lanes)
        y = w[Y:Y + size]
        y_new = w[Y_NEW:Y_NEW + size]
        p = w[P:P + n_parameters * lanes]
        u = w[U:U + n_inputs * lanes]
        for c in range(n_parameters * lanes):
            p[c] = 1.0  # idle lanes compute with harmless numbers
        lane_set = np.full(lanes, -1)
        entering = np.zeros(lanes, dtype=np.bool_)
        segment = np.zeros(lanes, dtype=np.int64)
        next_day = np.zeros(lanes, dtype=np.int64)
        record_first = np.zeros(lanes, dtype=np.int64)  # this step's first day to record
        record_count = np.zeros(lanes, dtype=np.int64)  # and how many
        # The recorded states, and those that come first among them in their coefficient row.
        recorded = np.zeros(n, dtype=np.bool_)
        for j in range(record.size):
            recorded[record[j]] = True
        first_recorded = n
        last_recorded = 0
        for j in range(record.size):
            first_recorded = min(first_recorded, record[j])
            last_recorded = max(last_recorded, record[j] + 1)
        # One lane's recorded states (from the first to the last) side by side, one row of
        # CARRY_WIDTH per quantity, and every lane's whole-day weights (CARRY_WIDTH above).
        carry = np.zeros(CARRY_DAYS + lanes * CARRY_LANE)
        narrow = last_recorded - first_recorded <= CARRY_NARROW
        # Where each recorded state sits in ``carry`` and its range, in the order of ``out``.
        column = record - first_recorded
        record_low = np.empty(record.size)
        record_high = np.empty(record.size)
        consecutive = True
        for j in range(record.size):
            record_low[j] = low[record[j]]
            record_high[j] = high[record[j]]
            consecutive &= column[j] == j
        leads = np.zeros(n, dtype=np.bool_)
        for i in range(n):
            leads[i] = recorded[i]
            for earlier in range(i):
                if recorded[earlier] and _coefficient_row(earlier) == _coefficient_row(i):
                    leads[i] = False
        accepted = np.zeros(lanes, dtype=np.int64)
        rejected = np.zeros(lanes, dtype=np.int64)
        inverse_weight = 1.0 / weights
        # Physical ranges, widened by the tolerance for integration error.
        lower_limit = low - range_tolerance * np.maximum(1.0, np.abs(low))
        upper_limit = high + range_tolerance * np.maximum(1.0, np.abs(high))
        exhausted = False
        active = 0
        for k in range(lanes):
            w[H + k] = 1.0
            w[LAST_H + k] = -1.0

        while True:
            # Empty lanes take the next sets; a set that fails at its initial state is done.
            for k in range(lanes):
                while lane_set[k] < 0 and not exhausted:
                    s = fetch_add(queue, 0, 1)  # the next set of the queue the threads share
                    if s >= n_sets:
                        exhausted = True
                        break
                    for i in range(n):
                        y[i * lanes + k] = y0[s, i]
                    day = 0
                    while day < n_days and days[day] <= seg_start[0]:
                        _store_day(out[s, day], False, w, Y_NEW, Y, k, lanes, record, low,
                                   high)
                        day += 1
                    code = _in_range(y, low, high, range_tolerance, k, lanes)
                    if code != OK:
                        status[s] = code
                        continue
                    lane_set[k] = s
                    active += 1
                    next_day[k] = day
                    segment[k] = 0
                    accepted[k] = 0
                    rejected[k] = 0
                    w[H_CARRY + k] = first_step
                    entering[k] = True
            if active == 0:
                break

            # Lanes at the start of a segment: its inputs, parameters, loss rates and N(y).
            for k in range(lanes):
                if not entering[k]:
                    continue
                entering[k] = False
                s = lane_set[k]
                g = segment[k]
                for j in range(n_parameters):
                    p[j * lanes + k] = seg_parameters[s, g, j]
                for j in range(n_inputs):
                    u[j * lanes + k] = seg_inputs[s, g, j]
                w[T + k] = seg_start[g]
                w[T_END + k] = seg_end[g]
                loss_rates_into(y, p, u, w[RATES:RATES + size], k, lanes)
                rhs_at(w[T + k], w, Y + k, w, P + k, w, U + k, w, F0 + k, lanes)
                for i in _EFFECT_STATES:
                    # An inactive treatment's effect at 0 stays at 0 all segment (its target is
                    # constant): left to the explicit part, where it stays exactly 0.
                    c = i * lanes + k
                    if w[F0 + c] == 0.0 and y[c] == 0.0:
                        w[RATES + c] = 0.0
                # The whole-day weights at each recorded state's loss rate, for the days
                # carried on from the day before (in the lane's block of ``carry``).
                lane = CARRY_DAYS + k * CARRY_LANE
                for i in range(first_recorded, last_recorded):
                    q = lane + i - first_recorded
                    (carry[q + CARRY_DAY_E], carry[q + CARRY_DAY_0], carry[q + CARRY_DAY_1],
                     carry[q + CARRY_DAY_2], carry[q + CARRY_DAY_3],
                     carry[q + CARRY_DAY_4]) = _day_weights(w[RATES + i * lanes + k])
                # A tenth of the last full step: rarely rejected, a few steps to regrow.
                start = first_step if g == 0 else max(RESTART_FRACTION * w[H_CARRY + k], first_step)
                w[H + k] = min(start, max_step)
                w[H_PREVIOUS + k] = 0.0
                w[LAST_H + k] = -1.0

            # Step sizes: end exactly on the segment boundary; idle lanes take dummy steps.
            n_changed = 0
            for k in range(lanes):
                t = w[T + k]
                step = w[H + k]
                t_end = w[T_END + k]
                remaining = t_end - t
                if lane_set[k] < 0:
                    step = 1.0
                    t_next = t + 1.0
                elif step >= remaining * (1.0 - 1e-12) or \
                        remaining - step < 1e-9 * max(1.0, t_end):
                    step = remaining
                    t_next = t_end
                else:
                    t_next = t + step
                w[H + k] = step
                w[T_NEXT + k] = t_next
                w[T_HALF + k] = t + 0.5 * step
                if step != w[LAST_H + k]:
                    n_changed += 1
                    w[LAST_H + k] = step

            # Coefficients, one row per distinct loss rate, when any lane's step changed (all
            # lanes are recomputed: one dense loop costs less than gathering the changed ones,
            # and a lane's coefficients depend only on its own rate and step). phi functions
            # of -rate h/2, then doubled. A row whose rates are all 0 (the threshold) has
            # phi_k = 1/k!; rows that share a rate (the headache components) share them.
            for i in range(N_GENERAL if n_changed > 0 else 0):
                if _coefficient_row(i) != i:
                    continue
                c = i * lanes
                explicit = True
                for k in range(lanes):
                    explicit &= w[RATES + c + k] == 0.0
                if explicit:
                    for k in range(lanes):
                        _store_coefficients(w, E_FULL + c + k, M3 + c + k, size, w[H + k],
                                            1.0, 1.0, _F2, _F3, _F4, _F5,
                                            1.0, 1.0, _F2, _F3, _F4, _F5)
                else:
                    for k in range(lanes):
                        step = w[H + k]
                        eh, q1, q2, q3, q4, q5 = phi_functions(-0.5 * w[RATES + c + k] * step)
                        ef, p1, p2, p3, p4, p5 = double_phi_functions(eh, q1, q2, q3, q4, q5)
                        _store_coefficients(w, E_FULL + c + k, M3 + c + k, size, step,
                                            eh, q1, q2, q3, q4, q5, ef, p1, p2, p3, p4, p5)
            # A treatment effect (module docstring) needs only exp(-rate h/2), exp(-rate h),
            # h/2 phi1(-rate h/2) (in A21) and h phi1(-rate h) (in B1).
            for i in range(N_GENERAL, n if n_changed > 0 else 0):
                c = i * lanes
                inactive = True
                for k in range(lanes):
                    inactive &= w[RATES + c + k] == 0.0
                if inactive:  # no lane's treatment acts: phi1(0) = exp(0) = 1, exactly
                    for k in range(lanes):
                        step = w[H + k]
                        w[E_HALF + c + k] = 1.0
                        w[E_FULL + c + k] = 1.0
                        w[A21 + c + k] = 0.5 * step
                        w[B1 + c + k] = step
                    continue
                for k in range(lanes):
                    step = w[H + k]
                    eh, q1 = phi1_functions(-0.5 * w[RATES + c + k] * step)
                    w[E_HALF + c + k] = eh
                    w[E_FULL + c + k] = eh * eh
                    w[A21 + c + k] = 0.5 * step * q1
                    w[B1 + c + k] = step * (0.5 * (eh * q1 + q1))

            # The stages. A treatment effect relaxes toward a target that is constant in the
            # segment, so its N is constant: its value at the middle and at the end of the
            # step is exact from N at the start, and the method's stages reduce to it.
            for i in range(n):
                row = _coefficient_row(i) * lanes
                for k in range(lanes):
                    c = i * lanes + k
                    r = row + k
                    w[N1 + c] = w[F0 + c] + w[RATES + c] * w[Y + c]
                    w[STAGE + c] = w[E_HALF + r] * w[Y + c] + w[A21 + r] * w[N1 + c]
            for k in range(lanes):
                rhs_at(w[T_HALF + k], w, STAGE + k, w, P + k, w, U + k, w, N2 + k, lanes)
            for i in range(N_GENERAL):
                row = _coefficient_row(i) * lanes
                for k in range(lanes):
                    c = i * lanes + k
                    r = row + k
                    w[N2 + c] += w[RATES + c] * w[STAGE + c]
                    w[STAGE + c] = (w[E_HALF + r] * w[Y + c] + w[A31 + r] * w[N1 + c]
                                    + w[A32 + r] * w[N2 + c])
            for k in range(lanes):
                rhs_at(w[T_HALF + k], w, STAGE + k, w, P + k, w, U + k, w, N3 + k, lanes)
            for i in range(N_GENERAL):
                row = _coefficient_row(i) * lanes
                for k in range(lanes):
                    c = i * lanes + k
                    r = row + k
                    w[N3 + c] += w[RATES + c] * w[STAGE + c]
                    w[STAGE + c] = (w[E_FULL + r] * w[Y + c] + w[A41 + r] * w[N1 + c]
                                    + w[A42 + r] * (w[N2 + c] + w[N3 + c]))
            for i in range(N_GENERAL, n):
                for k in range(lanes):
                    c = i * lanes + k
                    w[STAGE + c] = w[E_FULL + c] * w[Y + c] + w[B1 + c] * w[N1 + c]
            for k in range(lanes):
                rhs_at(w[T_NEXT + k], w, STAGE + k, w, P + k, w, U + k, w, N4 + k, lanes)
            for i in range(N_GENERAL):
                row = _coefficient_row(i) * lanes
                for k in range(lanes):
                    c = i * lanes + k
                    r = row + k
                    w[N4 + c] += w[RATES + c] * w[STAGE + c]
                    w[STAGE + c] = (w[E_HALF + r] * w[Y + c] + w[A51 + r] * w[N1 + c]
                                    + w[A52 + r] * (w[N2 + c] + w[N3 + c])
                                    + w[A54 + r] * w[N4 + c])
            for i in range(N_GENERAL, n):
                for k in range(lanes):
                    c = i * lanes + k
                    w[Y_NEW + c] = w[STAGE + c]  # the end value, kept while STAGE is reused
                    w[STAGE + c] = w[E_HALF + c] * w[Y + c] + w[A21 + c] * w[N1 + c]
            for k in range(lanes):
                rhs_at(w[T_HALF + k], w, STAGE + k, w, P + k, w, U + k, w, N5 + k, lanes)
            for i in range(N_GENERAL):
                row = _coefficient_row(i) * lanes
                for k in range(lanes):
                    c = i * lanes + k
                    r = row + k
                    w[N5 + c] += w[RATES + c] * w[STAGE + c]
                    w[Y_NEW + c] = (w[E_FULL + r] * w[Y + c] + w[B1 + r] * w[N1 + c]
                                    + w[B4 + r] * w[N4 + c] + w[B5 + r] * w[N5 + c])
            for k in range(lanes):
                rhs_at(w[T_NEXT + k], w, Y_NEW + k, w, P + k, w, U + k, w, F1 + k, lanes)
            # The continuous extension at the middle of the step (from N at the start, the
            # middle stage and the new solution) and N there: a better midpoint value than
            # the stage, for the error estimate, the daily values and the next step.
            for i in range(N_GENERAL):
                row = _coefficient_row(i) * lanes
                for k in range(lanes):
                    c = i * lanes + k
                    r = row + k
                    start = w[N1 + c]
                    middle = w[N5 + c]
                    finish = w[F1 + c] + w[RATES + c] * w[Y_NEW + c]
                    w[END + c] = finish
                    w[STAGE + c] = (w[E_HALF + r] * w[Y + c] + w[A21 + r] * start
                                    + 0.25 * w[A32 + r] * (-3.0 * start + 4.0 * middle - finish)
                                    + w[M3 + r] * (2.0 * start - 4.0 * middle + 2.0 * finish))
            for i in range(N_GENERAL, n):
                # N constant: the daily values' interpolation of N reduces to it (D3 = D4 = 0).
                for k in range(lanes):
                    c = i * lanes + k
                    w[N5 + c] = w[N1 + c]
                    w[END + c] = w[N1 + c]
            for k in range(lanes):
                rhs_at(w[T_HALF + k], w, STAGE + k, w, P + k, w, U + k, w, N_MID + k, lanes)

            # Local error estimates (module docstring): divided differences of N over the
            # previous step's start and middle and this step's start, middle and end.
            for k in range(lanes):
                step = w[H + k]
                history = w[H_PREVIOUS + k] > 0.0
                left = w[H_PREVIOUS + k] if history else step
                w[HISTORY + k] = 1.0 if history else 0.0
                w[ERROR + k] = 0.0
                w[R_LEFT + k] = 2.0 / left
                w[R_RIGHT + k] = 2.0 / step
                w[R012 + k] = 1.0 / left
                w[R123 + k] = 2.0 / (step + left)
                w[R234 + k] = 1.0 / step
                w[R0123 + k] = 1.0 / (0.5 * step + left)
                w[R1234 + k] = 1.0 / (step + 0.5 * left)
                w[R01234 + k] = 1.0 / (step + left)
                w[SHIFT + k] = 0.5 * left
                # The headache load this step, floored like the accuracy measure (0.1).
                load = 0.0
                for i in range(H_TENSION, H_SENSITIZATION + 1):
                    load += max(abs(w[Y + i * lanes + k]), abs(w[Y_NEW + i * lanes + k]))
                w[FLOOR + k] = max(load, HEADACHE_SCALE_FLOOR)
                w[RANGE + k] = 0.0
            for i in range(N_GENERAL):  # a treatment effect's N is constant: no error
                weight = inverse_weight[i]
                component = H_TENSION <= i <= H_SENSITIZATION
                share = HEADACHE_COMPONENT_FLOOR if component else 0.0
                tolerance = atol * absolute_scale[i]
                row = _coefficient_row(i) * lanes
                for k in range(lanes):
                    c = i * lanes + k
                    r = row + k
                    n1 = w[N1 + c]
                    middle = w[N_MID + c] + w[RATES + c] * w[STAGE + c]
                    finish = w[END + c]
                    # The solution used the stages N4 and N5 at the end and the middle; with
                    # N at the new solution and at the continuous midpoint it would change by
                    # about this much.
                    stages = (w[B4 + r] * (finish - w[N4 + c])
                              + w[B5 + r] * (middle - w[N5 + c]))
                    w[N5 + c] = middle  # from here on the step's midpoint value
                    n5 = middle
                    d01 = (w[N5_PREVIOUS + c] - w[N1_PREVIOUS + c]) * w[R_LEFT + k]
                    d12 = (n1 - w[N5_PREVIOUS + c]) * w[R_LEFT + k]
                    d23 = (n5 - n1) * w[R_RIGHT + k]
                    d34 = (finish - n5) * w[R_RIGHT + k]
                    d012 = (d12 - d01) * w[R012 + k]
                    d123 = (d23 - d12) * w[R123 + k]
                    d234 = (d34 - d23) * w[R234 + k]
                    d0123 = (d123 - d012) * w[R0123 + k]
                    d1234 = (d234 - d123) * w[R1234 + k]
                    d01234 = (d1234 - d0123) * w[R01234 + k]
                    quadrature = abs(w[W3 + r] * d1234
                                     + (w[W4 + r] + w[SHIFT + k] * w[W3 + r]) * d01234)
                    curvature = abs(w[B5 + r] * (n5 - 0.5 * (n1 + finish)))
                    history = w[HISTORY + k] != 0.0
                    estimate = abs(stages) + (quadrature if history else curvature)
                    w[D3 + c] = d1234 if history else 0.0
                    w[D4 + c] = d01234 if history else 0.0
                    value = w[Y_NEW + c]
                    scale = tolerance + rtol * max(abs(w[Y + c]), abs(value),
                                                   share * w[FLOOR + k])
                    if i == THRESHOLD:
                        w[CORRECTION + k] = stages
                    # A headache component's error against what relaxes away in the same
                    # step (module docstring, Local error estimate).
                    if component:
                        scale *= max(ACCUMULATION_FLOOR, 1.0 - w[E_FULL + r])
                    w[ERROR + k] = max(w[ERROR + k], estimate * weight / scale)
            # The threshold rebuilt from N at the new solution and the midpoint (its error
            # is amplified near the sensitization switch; module docstring).
            for k in range(lanes):
                w[Y_NEW + THRESHOLD * lanes + k] += w[CORRECTION + k]

            # How far each lane's new solution lies outside the widened physical ranges, summed
            # over states (0 inside; NaN stays NaN): only lanes not at 0 are examined below.
            for i in range(n):
                lowest = lower_limit[i]
                highest = upper_limit[i]
                for k in range(lanes):
                    value = w[Y_NEW + i * lanes + k]
                    w[RANGE + k] += max(max(lowest - value, value - highest), 0.0)

            # Accept or reject, lane by lane.
            for k in range(lanes):
                w[ACCEPT + k] = 0.0
                record_count[k] = 0
                s = lane_set[k]
                if s < 0:
                    continue
                err = w[ERROR + k] if math.isfinite(w[ERROR + k]) else 1e10
                if accepted[k] + rejected[k] >= MAX_STEPS:
                    status[s] = TOO_MANY_STEPS
                elif err > 1.0:
                    rejected[k] += 1
                    w[H + k] *= max(0.2, 0.9 / math.sqrt(math.sqrt(err)))
                    continue
                else:
                    code = OK if w[RANGE + k] == 0.0 else _in_range(
                        y_new, low, high, range_tolerance, k, lanes)
                    if code == OK:
                        w[ACCEPT + k] = 1.0
                        accepted[k] += 1
                        # Days in (t, t_next], recorded below for every lane at once.
                        day = next_day[k]
                        record_first[k] = day
                        while day < n_days and days[day] <= w[T_NEXT + k]:
                            day += 1
                        record_count[k] = day - record_first[k]
                        w[T_START + k] = w[T + k]
                        next_day[k] = day
                        factor = 5.0 if err == 0.0 else min(
                            5.0, max(0.2, 0.9 / math.sqrt(math.sqrt(err))))
                        if w[T_NEXT + k] < w[T_END + k]:
                            w[H_CARRY + k] = w[H + k]
                        w[H_PREVIOUS + k] = w[H + k]
                        w[T + k] = w[T_NEXT + k]
                        w[H + k] = min(w[H + k] * factor, max_step)
                        continue
                    status[s] = code
                # The set failed: its lane is free.
                steps[s, 0] = accepted[k]
                steps[s, 1] = rejected[k]
                lane_set[k] = -1
                active -= 1

            # Daily values inside the accepted steps (module docstring, Daily values). A
            # step's first day comes from the continuous extension, for every lane at once
            # (the loops over lanes vectorize); each following day (a whole day later: the
            # grid's only other point, the run's end, is a step's end) from the day before
            # it (:func:`_next_day_value`), lane by lane, in a loop over the lane's states
            # (copied side by side into ``carry``, so that loop vectorizes).
            any_day = False
            for k in range(lanes):
                valid = record_count[k] > 0 and record.size > 0
                any_day |= valid
                day_time = days[record_first[k]] if valid else w[T_START + k]
                w[SPAN + k] = day_time - w[T_START + k]
            for i in range(n if any_day else 0):
                if not recorded[i]:
                    continue
                if leads[i]:
                    row = _coefficient_row(i) * lanes
                    explicit = True
                    for k in range(lanes):
                        explicit &= w[RATES + row + k] == 0.0
                    if explicit:  # the threshold, inactive treatments: phi_k(0) = 1/k!
                        for k in range(lanes):
                            (w[G0 + k], w[G1 + k], w[G2 + k], w[G3 + k], w[G_CUBIC + k],
                             w[G_QUARTIC + k]) = _polynomial_weights(
                                w[SPAN + k], w[H_PREVIOUS + k], w[SHIFT + k],
                                1.0, 1.0, _F2, _F3, _F4, _F5)
                    else:
                        for k in range(lanes):
                            (w[G0 + k], w[G1 + k], w[G2 + k], w[G3 + k], w[G_CUBIC + k],
                             w[G_QUARTIC + k]) = _extension_weights(
                                w[RATES + row + k], w[SPAN + k], w[H_PREVIOUS + k],
                                w[SHIFT + k])
                for k in range(lanes):
                    c = i * lanes + k
                    w[DAILY + c] = _extension_value(
                        w[Y + c], w[N1 + c], w[N5 + c], w[END + c], w[D3 + c], w[D4 + c],
                        w[G0 + k], w[G1 + k], w[G2 + k], w[G3 + k], w[G_CUBIC + k],
                        w[G_QUARTIC + k])
                    # N over the step in powers of its time, for the following days.
                    (w[POLY_1 + c], w[POLY_2 + c], w[POLY_3 + c], w[POLY_4 + c]) = (
                        _step_polynomial(w[N1 + c], w[N5 + c], w[END + c], w[D3 + c],
                                         w[D4 + c], w[H_PREVIOUS + k], w[SHIFT + k]))
            for k in range(lanes if any_day else 0):
                count = record_count[k]
                if count == 0:
                    continue
                s = lane_set[k]
                first = record_first[k]
                _store_day(out[s, first], days[first] == w[T_NEXT + k], w, Y_NEW, DAILY, k,
                           lanes, record, low, high)
                if count == 1:
                    continue
                for q in range(last_recorded - first_recorded):
                    c = (first_recorded + q) * lanes + k
                    carry[q] = w[DAILY + c]
                    carry[CARRY_N1 + q] = w[N1 + c]
                    carry[CARRY_POLY_1 + q] = w[POLY_1 + c]
                    carry[CARRY_POLY_2 + q] = w[POLY_2 + c]
                    carry[CARRY_POLY_3 + q] = w[POLY_3 + c]
                    carry[CARRY_POLY_4 + q] = w[POLY_4 + c]
                lane = CARRY_DAYS + k * CARRY_LANE
                for day in range(first + 1, first + count):
                    span = days[day - 1] - w[T_START + k]
                    # Loops of a fixed length (the compiler then sees that they write
                    # apart from what they read, and vectorizes them): 4 states cover
                    # the headache components.
                    if narrow:
                        for q in range(CARRY_NARROW):
                            carry[q] = _carried_day(carry, q, lane, span)
                    else:
                        for q in range(CARRY_WIDTH):
                            carry[q] = _carried_day(carry, q, lane, span)
                    if days[day] == w[T_NEXT + k]:  # the step's end: its new solution
                        _store_day(out[s, day], True, w, Y_NEW, DAILY, k, lanes, record, low,
                                   high)
                    elif consecutive:  # every state from the first recorded: a plain copy
                        for j in range(record.size):
                            out[s, day, j] = min(max(carry[j], record_low[j]), record_high[j])
                    else:
                        for j in range(record.size):
                            out[s, day, j] = min(max(carry[column[j]], record_low[j]),
                                                 record_high[j])

            for i in range(n):
                for k in range(lanes):
                    c = i * lanes + k
                    if w[ACCEPT + k] != 0.0:
                        w[Y + c] = w[Y_NEW + c]
                        w[F0 + c] = w[F1 + c]
                        w[N1_PREVIOUS + c] = w[N1 + c]
                        w[N5_PREVIOUS + c] = w[N5 + c]

            # Lanes at a segment end: the next segment, or the set is done.
            for k in range(lanes):
                if w[ACCEPT + k] == 0.0 or w[T + k] < w[T_END + k]:
                    continue
                for i in range(n):
                    c = i * lanes + k
                    y[c] = min(max(y[c], low[i]), high[i])
                if segment[k] + 1 < n_segments:
                    segment[k] += 1
                    entering[k] = True
                    continue
                s = lane_set[k]
                status[s] = OK
                steps[s, 0] = accepted[k]
                steps[s, 1] = rejected[k]
                lane_set[k] = -1
                active -= 1

    @_jit
    def integrate_block(y0, seg_start, seg_end, seg_inputs, seg_parameters, days, low, high,
                        rtol, atol, max_step, first_step, range_tolerance, weights,
                        absolute_scale, record, out, status, steps, queue):
        """Integrate rows of ``y0`` in :data:`LANES` SIMD lanes, taking each next row from
        the shared counter ``queue[0]`` until every row is taken.

        ``out[set, day, j]`` receives state ``record[j]``; ``status[set]`` a code of
        :data:`lbp_headache.engine.status.STATUS_TEXT`; ``steps[set]`` accepted and
        rejected steps.
        """
        _integrate_lanes(y0, seg_start, seg_end, seg_inputs, seg_parameters, days, low, high,
                         rtol, atol, max_step, first_step, range_tolerance, weights,
                         absolute_scale, record, out, status, steps, queue, LANES)

    @_jit
    def integrate_few(y0, seg_start, seg_end, seg_inputs, seg_parameters, days, low, high,
                      rtol, atol, max_step, first_step, range_tolerance, weights,
                      absolute_scale, record, out, status, steps, queue):
        """:func:`integrate_block` in :data:`SMALL_LANES` lanes: for a few sets, same results."""
        _integrate_lanes(y0, seg_start, seg_end, seg_inputs, seg_parameters, days, low, high,
                         rtol, atol, max_step, first_step, range_tolerance, weights,
                         absolute_scale, record, out, status, steps, queue, SMALL_LANES)
finally:
    numba.config.CACHE_DIR = _previous_cache_dir
