"""The model equations: a pure right-hand side over float arrays.

Every state follows a relaxation ``dX/dt = (X_target - X) / tau`` or, for the
cytokines, production minus first-order clearance. docs/model.md gives the
equations in mathematical form; the function names below match its sections.

Contract (the SciPy ``fun(t, y)`` pattern, with two extra arrays):

``rhs(t, y, p, u) -> dydt``
    ``y`` states in the order of :data:`lbp_headache.core.states.STATES`, ``p`` parameters
    in the order of :data:`lbp_headache.core.parameters.PARAMETERS`, ``u`` the segment inputs
    of :data:`lbp_headache.core.states.SEGMENT_INPUTS`. Only float arithmetic: no dicts,
    objects or units, so a compiled batch engine can run the same equations.

Blocks of sets. The batch engine (:mod:`lbp_headache.engine.batch_kernel`) stores many sets
variable-major: state ``i`` of set ``k`` at ``y[i * stride + k]``, parameter
``j`` at ``p[j * stride + k]``, input ``m`` at ``u[m * stride + k]``. The helpers
take that ``k`` and ``stride`` (defaults 0 and 1: one set) and :func:`rhs_at`
takes an offset per array. The engine evaluates the right-hand side of a whole
block in one loop over ``k``, which the compiler turns into SIMD instructions.

The helper functions take scalars or numpy arrays alike, so outputs (the
effective lumbar pain, the headache split) are computed with the very code the
solver integrates.
"""

from __future__ import annotations

import math

import numpy as np
from lbp_headache.core.errors import SolverError
from lbp_headache.core.parameters import INDEX
from lbp_headache.core.states import (
    ERGO_EFFECT,
    H_CERVICOGENIC,
    H_MIGRAINE,
    H_SENSITIZATION,
    H_TENSION,
    HEADACHE_MAX,
    IL6,
    N_STATES,
    NECK,
    NEURO_EFFECT,
    NEUROINFLAMMATION,
    NSAID_EFFECT,
    POSTURE,
    PT_EFFECT,
    STATES,
    THRESHOLD,
    TNF,
    U_DISC,
    U_DISC_SLOPE,
    U_ERGO,
    U_ERGO_SLOPE,
    U_ERGO_TARGET,
    U_LUMBAR,
    U_LUMBAR_SLOPE,
    U_NEURO_TARGET,
    U_NSAID_TARGET,
    U_PT_TARGET,
    U_T0,
)

_LN2 = math.log(2.0)
#: The largest posture deviation (deg) the body can take: the state's physical range.
POSTURE_LIMIT = float(STATES[POSTURE].high)
_THRESHOLD_FLOOR = 1e-6
# The healthy-branch fixed point of the threshold (steady_state): iteration limit and tolerance.
STEADY_STATE_ITERATIONS = 10_000
STEADY_STATE_TOLERANCE = 1e-15

# Parameter positions, resolved once (plain ints: compile-time constants for numba).
P_STIFFNESS = INDEX["posture_chain_stiffness"]
P_GAIN_POSTURE_LUMBAR = INDEX["gain_posture_lumbar"]
P_GAIN_POSTURE_ERGONOMIC = INDEX["gain_posture_ergonomic"]
P_TAU_POSTURE = INDEX["tau_posture"]
P_POSTURE_HALF = INDEX["posture_deviation_half"]
P_RESTING_TONE = INDEX["neck_resting_tone"]
P_TAU_NECK = INDEX["tau_neck_tension"]
P_REFERENCE_POSTURE = INDEX["reference_posture_deviation"]
P_SENS_DEPTH = INDEX["sensitization_depth"]
P_SENS_HALF = INDEX["sensitization_half_drive"]
P_SENS_HILL = INDEX["sensitization_hill"]
P_SENS_FEEDBACK = INDEX["sensitization_feedback"]
P_TAU_SENS = INDEX["tau_sensitization"]
P_TAU_DESENS = INDEX["tau_desensitization"]
P_IL6_HEALTHY = INDEX["il6_healthy"]
P_IL6_HALF_LIFE = INDEX["il6_half_life"]
P_TNF_HALF_LIFE = INDEX["tnf_half_life"]
P_GAIN_IL6_DISC = INDEX["gain_il6_disc"]
P_GAIN_TNF_DISC = INDEX["gain_tnf_disc"]
P_WEIGHT_IL6 = INDEX["weight_il6"]
P_WEIGHT_TNF = INDEX["weight_tnf"]
P_NEUROINFLAMMATION_HALF = INDEX["neuroinflammation_half_drive"]
P_TAU_NEUROINFLAMMATION = INDEX["tau_neuroinflammation"]
P_GAIN_TENSION_TYPE = INDEX["gain_tension_type"]
P_GAIN_CERVICOGENIC = INDEX["gain_cervicogenic"]
P_GAIN_MIGRAINE = INDEX["gain_migraine"]
P_GAIN_CENTRAL = INDEX["gain_central"]
P_AMPLIFICATION = INDEX["sensitization_amplification"]
P_STIMULUS_HALF = INDEX["headache_stimulus_half"]
P_HEADACHE_HILL = INDEX["headache_hill"]
P_TAU_HEADACHE = INDEX["tau_headache"]
P_TAU_PT_ONSET = INDEX["tau_physical_therapy_onset"]
P_TAU_PT_FADE = INDEX["tau_physical_therapy_fade"]
P_PT_LUMBAR = INDEX["physical_therapy_lumbar_relief"]
P_PT_POSTURE = INDEX["physical_therapy_posture_correction"]
P_PT_NECK = INDEX["physical_therapy_neck_relief"]
P_TAU_ERGO_ONSET = INDEX["tau_ergonomics_onset"]
P_TAU_ERGO_FADE = INDEX["tau_ergonomics_fade"]
P_TAU_NSAID = INDEX["tau_nsaid"]
P_NSAID_CYTOKINE = INDEX["nsaid_cytokine_inhibition"]
P_NSAID_LUMBAR = INDEX["nsaid_lumbar_relief"]
P_TAU_NEURO_ONSET = INDEX["tau_neuropathic_onset"]
P_TAU_NEURO_OFFSET = INDEX["tau_neuropathic_offset"]
P_NEURO_RESTORATION = INDEX["neuropathic_restoration_rate"]
P_NEURO_LUMBAR = INDEX["neuropathic_lumbar_relief"]


def power(x, n):
    """``x ** n`` for ``x >= 0``.

    The one place the equations raise to a real power (Hill exponents are
    parameters). The batch engine compiles it as a vectorizable ``exp(n log x)``
    (:mod:`lbp_headache.engine.fast_math`, within 1e-14 of this); everything else runs as written.
    """
    return x**n


def hill(x, half, n):
    """Hill function ``x^n / (x^n + half^n)`` for ``x >= 0`` (0 at 0, 1/2 at ``half``).

    Computed as ``r / (1 + r)`` with ``r = (x / half)^n``: one power, no overflow
    for large ``x / half`` before the ratio saturates.
    """
    ratio = power(x / half, n)
    return ratio / (1.0 + ratio)


def relax_rate(target, value, tau_up, tau_down):
    """Rate of an asymmetric relaxation: ``tau_up`` while rising, ``tau_down`` while falling."""
    tau = tau_up if target > value else tau_down
    return (target - value) / tau


# --- mechanical pathway ------------------------------------------------------


def effective_lumbar_pain(raw, pt_effect, nsaid_effect, neuro_effect, p, k=0, stride=1):
    """Lumbar pain after treatment:
    ``L = L_raw (1 - r_PT E_PT)(1 - r_NSAID E_NSAID)(1 - r_neuro E_neuro)``.

    The last factor is the analgesia of neuropathic medication on back pain itself
    (what the duloxetine trials measured), clipped at 0 so no parameter set can make
    pain negative.
    """
    neuro_factor = np.maximum(1.0 - p[P_NEURO_LUMBAR * stride + k] * neuro_effect, 0.0)
    return (raw * (1.0 - p[P_PT_LUMBAR * stride + k] * pt_effect)
            * (1.0 - p[P_NSAID_LUMBAR * stride + k] * nsaid_effect) * neuro_factor)


def posture_target(lumbar_pain, ergonomic_load, pt_effect, ergo_effect, p, k=0, stride=1):
    """Steady posture deviation (deg) for the given drive.

    ``P* = sat(g_L k L + g_E E (1 - E_ergo)) (1 - c_PT E_PT)`` where ``k`` is the
    posture-chain stiffness and ``sat(C) = C / (1 + (C / P_max)^4)^(1/4)``
    saturates the compensation below the physiological limit ``P_max``
    (:data:`POSTURE_LIMIT`, the state's range): the head cannot bend further
    forward than that, whatever the drive. Below a third of the limit the
    saturation changes the posture by less than 0.1 % (at the default patient's
    7.8 deg, by 0.007 %).
    """
    compensation = (
        p[P_GAIN_POSTURE_LUMBAR * stride + k] * p[P_STIFFNESS * stride + k] * lumbar_pain
        + p[P_GAIN_POSTURE_ERGONOMIC * stride + k] * ergonomic_load * (1.0 - ergo_effect)
    )
    ratio = compensation / POSTURE_LIMIT
    ratio *= ratio
    saturated = compensation / np.sqrt(np.sqrt(1.0 + ratio * ratio))
    return saturated * (1.0 - p[P_PT_POSTURE * stride + k] * pt_effect)


def neck_tension_target(posture_deviation, pt_effect, p, k=0, stride=1):
    """Steady neck tension: resting tone plus a saturating load from posture.

    ``T* = T0 + (1 - T0) X/(1 + X) (1 - r_neck E_PT)``, ``X = P / P_half``.
    """
    load = posture_deviation / p[P_POSTURE_HALF * stride + k]
    tone = p[P_RESTING_TONE * stride + k]
    relief = 1.0 - p[P_PT_NECK * stride + k] * pt_effect
    return tone + (1.0 - tone) * load / (1.0 + load) * relief


# --- neurological pathway ----------------------------------------------------


def sensitization_level(pain_threshold, p, k=0, stride=1):
    """Sensitization on 0-1: ``s = (1 - theta) / depth``, clipped to [0, 1]."""
    level = (1.0 - pain_threshold) / p[P_SENS_DEPTH * stride + k]
    return np.minimum(np.maximum(level, 0.0), 1.0)


def threshold_target(lumbar_pain, sensitization, neuropathic_effect, p, k=0, stride=1):
    """Steady threshold for the current central drive.

    ``D = (L/10 + f s)(1 - E_neuro)``, ``theta* = 1 - depth D^n / (D^n + D50^n)``.
    The feedback ``f s`` makes the sensitized state self-sustaining (bistable).
    """
    drive = ((0.1 * lumbar_pain + p[P_SENS_FEEDBACK * stride + k] * sensitization)
             * (1.0 - neuropathic_effect))
    drive = np.maximum(drive, 0.0)
    response = hill(drive, p[P_SENS_HALF * stride + k], p[P_SENS_HILL * stride + k])
    return 1.0 - p[P_SENS_DEPTH * stride + k] * response


# --- inflammatory pathway ----------------------------------------------------


def cytokine_targets(disc_degeneration, nsaid_effect, p, k=0, stride=1):
    """Steady IL-6 (pg/mL) and relative TNF-alpha for the given disc activity."""
    production = disc_degeneration * (1.0 - p[P_NSAID_CYTOKINE * stride + k] * nsaid_effect)
    il6 = p[P_IL6_HEALTHY * stride + k] * (1.0 + p[P_GAIN_IL6_DISC * stride + k] * production)
    tnf = 1.0 + p[P_GAIN_TNF_DISC * stride + k] * production
    return il6, tnf


def neuroinflammation_target(il6, tnf_alpha, p, k=0, stride=1):
    """Steady neuroinflammation: saturating in the weighted relative cytokine excess."""
    excess = (p[P_WEIGHT_IL6 * stride + k] * (il6 / p[P_IL6_HEALTHY * stride + k] - 1.0)
              + p[P_WEIGHT_TNF * stride + k] * (tnf_alpha - 1.0))
    excess = np.maximum(excess, 0.0)
    return excess / (excess + p[P_NEUROINFLAMMATION_HALF * stride + k])


# --- headache ----------------------------------------------------------------


def headache_stimuli(posture_deviation, neck_tension, neuroinflammation, p, k=0, stride=1):
    """Peripheral stimuli of the three pathways: (tension-type, cervicogenic, migraine)."""
    tension_type = p[P_GAIN_TENSION_TYPE * stride + k] * neck_tension
    cervicogenic = (p[P_GAIN_CERVICOGENIC * stride + k] * neck_tension * posture_deviation
                    / p[P_REFERENCE_POSTURE * stride + k])
    migraine = p[P_GAIN_MIGRAINE * stride + k] * neuroinflammation
    return tension_type, cervicogenic, migraine


def headache_targets(posture_deviation, neck_tension, pain_threshold, neuroinflammation, p,
                     k=0, stride=1):
    """Steady headache components (tension-type, cervicogenic, migraine, sensitization).

    ``H(S, theta) = 10 R((S + c s) / (S_half theta^gamma))`` with ``R(x) = x^n/(1+x^n)``;
    the healthy-threshold load ``H(S, 1)`` is split among the pathways in
    proportion to their stimuli and the rest, ``H(S, theta) - H(S, 1)``, is the
    sensitization component. The four add up to ``H(S, theta)`` exactly.
    """
    tension_type, cervicogenic, migraine = headache_stimuli(
        posture_deviation, neck_tension, neuroinflammation, p, k, stride
    )
    stimulus = tension_type + cervicogenic + migraine
    threshold = np.maximum(pain_threshold, _THRESHOLD_FLOOR)
    central = p[P_GAIN_CENTRAL * stride + k] * sensitization_level(pain_threshold, p, k, stride)
    half = p[P_STIMULUS_HALF * stride + k]
    n = p[P_HEADACHE_HILL * stride + k]
    healthy = HEADACHE_MAX * hill(stimulus / half, 1.0, n)
    amplified = half * power(threshold, p[P_AMPLIFICATION * stride + k])
    total = HEADACHE_MAX * hill((stimulus + central) / amplified, 1.0, n)
    share = healthy / np.maximum(stimulus, 1e-300)
    return (
        share * tension_type,
        share * cervicogenic,
        share * migraine,
        np.maximum(total - healthy, 0.0),
    )


# --- inputs within a segment -------------------------------------------------


def segment_inputs_at(t, u, k=0, stride=1):
    """Raw lumbar pain, disc degeneration and ergonomic load at ``t`` (linear in a segment)."""
    dt = t - u[U_T0 * stride + k]
    lumbar = max(u[U_LUMBAR * stride + k] + u[U_LUMBAR_SLOPE * stride + k] * dt, 0.0)
    disc = max(u[U_DISC * stride + k] + u[U_DISC_SLOPE * stride + k] * dt, 0.0)
    ergonomic = max(u[U_ERGO * stride + k] + u[U_ERGO_SLOPE * stride + k] * dt, 0.0)
    return lumbar, disc, ergonomic


# --- the right-hand side -----------------------------------------------------


def rhs(t: float, y: np.ndarray, p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Time derivative of the state vector (see the module docstring for the contract)."""
    dydt = np.empty(N_STATES)
    rhs_into(t, y, p, u, dydt)
    return dydt


def rhs_into(t: float, y: np.ndarray, p: np.ndarray, u: np.ndarray, dydt: np.ndarray) -> None:
    """:func:`rhs` writing into ``dydt`` (no allocation)."""
    rhs_at(t, y, 0, p, 0, u, 0, dydt, 0, 1)


def rhs_at(t, y, iy, p, ip, u, iu, dydt, idy, stride) -> None:
    """The right-hand side of one set in a block of sets: the batch engine's inner call.

    State ``i`` is ``y[iy + i * stride]`` and its derivative goes to
    ``dydt[idy + i * stride]``; parameter ``j`` is ``p[ip + j * stride]`` and
    input ``m`` is ``u[iu + m * stride]`` (module docstring). The four arrays
    may be one and the same: the batch engine keeps a whole block in one array,
    which lets the compiler prove that the sets do not overlap and vectorize
    the loop over them.
    """
    raw_lumbar, disc, ergonomic = segment_inputs_at(t, u, iu, stride)
    posture = y[POSTURE * stride + iy]
    neck = y[NECK * stride + iy]
    threshold = y[THRESHOLD * stride + iy]
    il6 = y[IL6 * stride + iy]
    tnf = y[TNF * stride + iy]
    inflammation = y[NEUROINFLAMMATION * stride + iy]
    pt = y[PT_EFFECT * stride + iy]
    ergo = y[ERGO_EFFECT * stride + iy]
    nsaid = y[NSAID_EFFECT * stride + iy]
    neuro = y[NEURO_EFFECT * stride + iy]

    lumbar = effective_lumbar_pain(raw_lumbar, pt, nsaid, neuro, p, ip, stride)

    # Mechanical pathway.
    dydt[POSTURE * stride + idy] = ((posture_target(lumbar, ergonomic, pt, ergo, p, ip, stride)
                                   - posture) / p[P_TAU_POSTURE * stride + ip])
    dydt[NECK * stride + idy] = ((neck_tension_target(posture, pt, p, ip, stride) - neck)
                               / p[P_TAU_NECK * stride + ip])

    # Neurological pathway: slow fall, slower recovery, medication pulls back up.
    sensitization = sensitization_level(threshold, p, ip, stride)
    theta_target = threshold_target(lumbar, sensitization, neuro, p, ip, stride)
    dydt[THRESHOLD * stride + idy] = relax_rate(
        theta_target, threshold, p[P_TAU_DESENS * stride + ip], p[P_TAU_SENS * stride + ip]
    ) + p[P_NEURO_RESTORATION * stride + ip] * neuro * (1.0 - threshold)

    # Inflammatory pathway: production minus first-order clearance.
    il6_target, tnf_target = cytokine_targets(disc, nsaid, p, ip, stride)
    dydt[IL6 * stride + idy] = _LN2 / p[P_IL6_HALF_LIFE * stride + ip] * (il6_target - il6)
    dydt[TNF * stride + idy] = _LN2 / p[P_TNF_HALF_LIFE * stride + ip] * (tnf_target - tnf)
    dydt[NEUROINFLAMMATION * stride + idy] = (
        (neuroinflammation_target(il6, tnf, p, ip, stride) - inflammation)
        / p[P_TAU_NEUROINFLAMMATION * stride + ip]
    )

    # Headache components follow their targets with one time constant.
    targets = headache_targets(posture, neck, threshold, inflammation, p, ip, stride)
    tau_h = p[P_TAU_HEADACHE * stride + ip]
    dydt[H_TENSION * stride + idy] = (targets[0] - y[H_TENSION * stride + iy]) / tau_h
    dydt[H_CERVICOGENIC * stride + idy] = (targets[1] - y[H_CERVICOGENIC * stride + iy]) / tau_h
    dydt[H_MIGRAINE * stride + idy] = (targets[2] - y[H_MIGRAINE * stride + iy]) / tau_h
    dydt[H_SENSITIZATION * stride + idy] = (targets[3] - y[H_SENSITIZATION * stride + iy]) / tau_h

    # Treatment effects: onset and offset kinetics from the parameter table.
    dydt[PT_EFFECT * stride + idy] = relax_rate(u[U_PT_TARGET * stride + iu], pt,
                                              p[P_TAU_PT_ONSET * stride + ip],
                                              p[P_TAU_PT_FADE * stride + ip])
    dydt[ERGO_EFFECT * stride + idy] = relax_rate(u[U_ERGO_TARGET * stride + iu], ergo,
                                                p[P_TAU_ERGO_ONSET * stride + ip],
                                                p[P_TAU_ERGO_FADE * stride + ip])
    dydt[NSAID_EFFECT * stride + idy] = ((u[U_NSAID_TARGET * stride + iu] - nsaid)
                                       / p[P_TAU_NSAID * stride + ip])
    dydt[NEURO_EFFECT * stride + idy] = relax_rate(u[U_NEURO_TARGET * stride + iu], neuro,
                                                 p[P_TAU_NEURO_ONSET * stride + ip],
                                                 p[P_TAU_NEURO_OFFSET * stride + ip])


def loss_rates_into(y, p, u, rates, k=0, stride=1) -> None:
    """First-order loss rate (1/day) of each state's own relaxation, for exponential integrators.

    Each equation above has the form ``dX/dt = -rate X + (rest)``; ``rates``
    receives that ``rate``. An exponential integrator treats ``-rate X``
    exactly, which removes the stiffness of minute-to-hour cytokine clearance.
    The treatment effects relax monotonically toward a target that is constant
    in a segment, so their rate (onset or offset) is fixed for the segment by
    the direction at its start. The threshold's rates are months: it is left
    to the explicit part (rate 0).
    """
    rates[POSTURE * stride + k] = 1.0 / p[P_TAU_POSTURE * stride + k]
    rates[NECK * stride + k] = 1.0 / p[P_TAU_NECK * stride + k]
    rates[THRESHOLD * stride + k] = 0.0
    rates[IL6 * stride + k] = _LN2 / p[P_IL6_HALF_LIFE * stride + k]
    rates[TNF * stride + k] = _LN2 / p[P_TNF_HALF_LIFE * stride + k]
    rates[NEUROINFLAMMATION * stride + k] = 1.0 / p[P_TAU_NEUROINFLAMMATION * stride + k]
    headache_rate = 1.0 / p[P_TAU_HEADACHE * stride + k]
    rates[H_TENSION * stride + k] = headache_rate
    rates[H_CERVICOGENIC * stride + k] = headache_rate
    rates[H_MIGRAINE * stride + k] = headache_rate
    rates[H_SENSITIZATION * stride + k] = headache_rate
    rates[PT_EFFECT * stride + k] = _relax_loss(
        u[U_PT_TARGET * stride + k], y[PT_EFFECT * stride + k],
        p[P_TAU_PT_ONSET * stride + k], p[P_TAU_PT_FADE * stride + k])
    rates[ERGO_EFFECT * stride + k] = _relax_loss(
        u[U_ERGO_TARGET * stride + k], y[ERGO_EFFECT * stride + k],
        p[P_TAU_ERGO_ONSET * stride + k], p[P_TAU_ERGO_FADE * stride + k])
    rates[NSAID_EFFECT * stride + k] = 1.0 / p[P_TAU_NSAID * stride + k]
    rates[NEURO_EFFECT * stride + k] = _relax_loss(
        u[U_NEURO_TARGET * stride + k], y[NEURO_EFFECT * stride + k],
        p[P_TAU_NEURO_ONSET * stride + k], p[P_TAU_NEURO_OFFSET * stride + k])


def _relax_loss(target, value, tau_up, tau_down):
    return 1.0 / (tau_up if target > value else tau_down)


def steady_state(p: np.ndarray, lumbar_pain: float = 0.0, disc_degeneration: float = 0.0,
                 ergonomic_load: float = 0.0) -> np.ndarray:
    """Steady state for constant inputs and no treatment, on the least-sensitized branch.

    The chain is feed-forward except for the threshold's self-feedback, which
    is solved by monotone fixed-point iteration from the healthy threshold, so
    the result is the *lowest* sensitization fixed point (the one a healthy
    person reaches; a chronified branch may also exist).

    With the default arguments this is the healthy steady state used as the
    default initial condition. ``p`` may also be a ``(n_parameters, n_sets)``
    array; the result is then ``(n_states, n_sets)``.

    Raises
    ------
    SolverError
        If the iteration has not settled to :data:`STEADY_STATE_TOLERANCE`
        after :data:`STEADY_STATE_ITERATIONS` steps (near a fold of the
        threshold's fixed points, where convergence is slowest), naming the
        sensitization parameters of the first set that did not settle.
    """
    p = np.asarray(p, dtype=float)
    if p.ndim == 1:
        # One set goes through the same array arithmetic as many (numpy's array and scalar
        # power may differ in the last bit), so a single run and a batch start alike.
        return steady_state(p[:, None], lumbar_pain, disc_degeneration, ergonomic_load)[:, 0]
    level = np.zeros(p.shape[1:])
    for _ in range(STEADY_STATE_ITERATIONS):
        theta = threshold_target(lumbar_pain, level, 0.0, p)
        new_level = sensitization_level(theta, p)
        if np.max(np.abs(new_level - level)) < STEADY_STATE_TOLERANCE:
            break
        level = new_level
    else:
        raise SolverError(_no_steady_state(p, level, new_level, lumbar_pain), time=0.0,
                          state="pain_threshold")
    return equilibrium_states(1.0 - p[P_SENS_DEPTH] * level, lumbar_pain, disc_degeneration,
                              ergonomic_load, p)


def equilibrium_states(threshold, lumbar_pain: float, disc_degeneration: float,
                       ergonomic_load: float, p: np.ndarray,
                       effects=(0.0, 0.0, 0.0, 0.0)) -> np.ndarray:
    """Every state at equilibrium for constant inputs, given the pain threshold.

    Every state but the threshold follows its inputs without feedback, so for a
    threshold (a float, or an array broadcasting with ``p``'s set axes) its
    equilibrium is the chain of targets. ``effects`` are the four treatment
    effects held constant (physical therapy, ergonomics, NSAID, neuropathic);
    ``lumbar_pain`` is the raw drive, before treatment.
    """
    pt, ergo, nsaid, neuro = effects
    threshold = np.asarray(threshold, dtype=float)
    y = np.zeros((N_STATES,) + np.broadcast_shapes(threshold.shape, np.shape(p)[1:]))
    lumbar = effective_lumbar_pain(lumbar_pain, pt, nsaid, neuro, p)
    y[POSTURE] = posture_target(lumbar, ergonomic_load, pt, ergo, p)
    y[NECK] = neck_tension_target(y[POSTURE], pt, p)
    y[THRESHOLD] = threshold
    y[IL6], y[TNF] = cytokine_targets(disc_degeneration, nsaid, p)
    y[NEUROINFLAMMATION] = neuroinflammation_target(y[IL6], y[TNF], p)
    components = headache_targets(y[POSTURE], y[NECK], y[THRESHOLD], y[NEUROINFLAMMATION], p)
    for offset, component in enumerate(components):
        y[H_TENSION + offset] = component
    y[PT_EFFECT], y[ERGO_EFFECT], y[NSAID_EFFECT], y[NEURO_EFFECT] = pt, ergo, nsaid, neuro
    return y


def _no_steady_state(p: np.ndarray, level, new_level, lumbar_pain: float) -> str:
    """The message of a threshold fixed-point iteration that did not settle."""
    change = np.abs(np.asarray(new_level - level, dtype=float)).reshape(-1)
    worst = int(np.argmax(change))
    columns = p.reshape(p.shape[0], -1)
    names = ("sensitization_depth", "sensitization_half_drive", "sensitization_hill",
             "sensitization_feedback")
    values = ", ".join(f"{name} = {columns[INDEX[name], worst]:.6g}" for name in names)
    where = f"set {worst}: " if columns.shape[1] > 1 else ""
    return (f"the steady state of the pain threshold did not settle in "
            f"{STEADY_STATE_ITERATIONS:,} iterations at lumbar pain {lumbar_pain:g} "
            f"({where}{values}; last change {change[worst]:.3g}): the parameters are at a "
            "fold of the sensitization switch; move one of them slightly")
