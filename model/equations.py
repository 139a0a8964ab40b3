"""The model equations: a pure right-hand side over float arrays.

Every state follows a relaxation ``dX/dt = (X_target - X) / tau`` or, for the
cytokines, production minus first-order clearance. docs/model.md gives the
equations in mathematical form; the function names below match its sections.

Contract (the SciPy ``fun(t, y)`` pattern, with two extra arrays):

``rhs(t, y, p, u) -> dydt``
    ``y`` states in the order of :data:`model.states.STATES`, ``p`` parameters
    in the order of :data:`model.parameters.PARAMETERS`, ``u`` the segment inputs
    of :data:`model.states.SEGMENT_INPUTS`. Only float arithmetic: no dicts,
    objects or units, so a compiled batch engine can run the same equations.

The helper functions take scalars or numpy arrays alike, so outputs (the
effective lumbar pain, the headache split) are computed with the very code the
solver integrates.
"""

from __future__ import annotations

import math

import numpy as np

from .parameters import INDEX
from .states import (
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
_THRESHOLD_FLOOR = 1e-6

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


def hill(x, half, n):
    """Hill function ``x^n / (x^n + half^n)`` for ``x >= 0`` (0 at 0, 1/2 at ``half``)."""
    xn = x**n
    return xn / (xn + half**n)


def relax_rate(target, value, tau_up, tau_down):
    """Rate of an asymmetric relaxation: ``tau_up`` while rising, ``tau_down`` while falling."""
    tau = tau_up if target > value else tau_down
    return (target - value) / tau


# --- mechanical pathway ------------------------------------------------------


def effective_lumbar_pain(raw, pt_effect, nsaid_effect, p):
    """Lumbar pain after treatment: ``L = L_raw (1 - r_PT E_PT)(1 - r_NSAID E_NSAID)``."""
    return raw * (1.0 - p[P_PT_LUMBAR] * pt_effect) * (1.0 - p[P_NSAID_LUMBAR] * nsaid_effect)


def posture_target(lumbar_pain, ergonomic_load, pt_effect, ergo_effect, p):
    """Steady posture deviation (deg) for the given drive.

    ``P* = (g_L k L + g_E E (1 - E_ergo)) (1 - c_PT E_PT)`` where ``k`` is the
    posture-chain stiffness.
    """
    compensation = (
        p[P_GAIN_POSTURE_LUMBAR] * p[P_STIFFNESS] * lumbar_pain
        + p[P_GAIN_POSTURE_ERGONOMIC] * ergonomic_load * (1.0 - ergo_effect)
    )
    return compensation * (1.0 - p[P_PT_POSTURE] * pt_effect)


def neck_tension_target(posture_deviation, pt_effect, p):
    """Steady neck tension: resting tone plus a saturating load from posture.

    ``T* = T0 + (1 - T0) X/(1 + X) (1 - r_neck E_PT)``, ``X = P / P_half``.
    """
    load = posture_deviation / p[P_POSTURE_HALF]
    tone = p[P_RESTING_TONE]
    return tone + (1.0 - tone) * load / (1.0 + load) * (1.0 - p[P_PT_NECK] * pt_effect)


# --- neurological pathway ----------------------------------------------------


def sensitization_level(pain_threshold, p):
    """Sensitization on 0-1: ``s = (1 - theta) / depth``, clipped to [0, 1]."""
    level = (1.0 - pain_threshold) / p[P_SENS_DEPTH]
    return np.minimum(np.maximum(level, 0.0), 1.0)


def threshold_target(lumbar_pain, sensitization, neuropathic_effect, p):
    """Steady threshold for the current central drive.

    ``D = (L/10 + f s)(1 - E_neuro)``, ``theta* = 1 - depth D^n / (D^n + D50^n)``.
    The feedback ``f s`` makes the sensitized state self-sustaining (bistable).
    """
    drive = (0.1 * lumbar_pain + p[P_SENS_FEEDBACK] * sensitization) * (1.0 - neuropathic_effect)
    drive = np.maximum(drive, 0.0)
    return 1.0 - p[P_SENS_DEPTH] * hill(drive, p[P_SENS_HALF], p[P_SENS_HILL])


# --- inflammatory pathway ----------------------------------------------------


def cytokine_targets(disc_degeneration, nsaid_effect, p):
    """Steady IL-6 (pg/mL) and relative TNF-alpha for the given disc activity."""
    production = disc_degeneration * (1.0 - p[P_NSAID_CYTOKINE] * nsaid_effect)
    il6 = p[P_IL6_HEALTHY] * (1.0 + p[P_GAIN_IL6_DISC] * production)
    tnf = 1.0 + p[P_GAIN_TNF_DISC] * production
    return il6, tnf


def neuroinflammation_target(il6, tnf_alpha, p):
    """Steady neuroinflammation: saturating in the weighted relative cytokine excess."""
    excess = p[P_WEIGHT_IL6] * (il6 / p[P_IL6_HEALTHY] - 1.0) + p[P_WEIGHT_TNF] * (tnf_alpha - 1.0)
    excess = np.maximum(excess, 0.0)
    return excess / (excess + p[P_NEUROINFLAMMATION_HALF])


# --- headache ----------------------------------------------------------------


def headache_stimuli(posture_deviation, neck_tension, neuroinflammation, p):
    """Peripheral stimuli of the three pathways: (tension-type, cervicogenic, migraine)."""
    tension_type = p[P_GAIN_TENSION_TYPE] * neck_tension
    cervicogenic = (
        p[P_GAIN_CERVICOGENIC] * neck_tension * posture_deviation / p[P_REFERENCE_POSTURE]
    )
    migraine = p[P_GAIN_MIGRAINE] * neuroinflammation
    return tension_type, cervicogenic, migraine


def headache_targets(posture_deviation, neck_tension, pain_threshold, neuroinflammation, p):
    """Steady headache components (tension-type, cervicogenic, migraine, sensitization).

    ``H(S, theta) = 10 R((S + c s) / (S_half theta^gamma))`` with ``R(x) = x^n/(1+x^n)``;
    the healthy-threshold load ``H(S, 1)`` is split among the pathways in
    proportion to their stimuli and the rest, ``H(S, theta) - H(S, 1)``, is the
    sensitization component. The four add up to ``H(S, theta)`` exactly.
    """
    tension_type, cervicogenic, migraine = headache_stimuli(
        posture_deviation, neck_tension, neuroinflammation, p
    )
    stimulus = tension_type + cervicogenic + migraine
    threshold = np.maximum(pain_threshold, _THRESHOLD_FLOOR)
    central = p[P_GAIN_CENTRAL] * sensitization_level(pain_threshold, p)
    half = p[P_STIMULUS_HALF]
    n = p[P_HEADACHE_HILL]
    healthy = HEADACHE_MAX * hill(stimulus / half, 1.0, n)
    perceived = (stimulus + central) / (half * threshold ** p[P_AMPLIFICATION])
    total = HEADACHE_MAX * hill(perceived, 1.0, n)
    share = healthy / np.maximum(stimulus, 1e-300)
    return (
        share * tension_type,
        share * cervicogenic,
        share * migraine,
        np.maximum(total - healthy, 0.0),
    )


# --- inputs within a segment -------------------------------------------------


def segment_inputs_at(t, u):
    """Raw lumbar pain, disc degeneration and ergonomic load at ``t`` (linear in a segment)."""
    dt = t - u[U_T0]
    lumbar = max(u[U_LUMBAR] + u[U_LUMBAR_SLOPE] * dt, 0.0)
    disc = max(u[U_DISC] + u[U_DISC_SLOPE] * dt, 0.0)
    ergonomic = max(u[U_ERGO] + u[U_ERGO_SLOPE] * dt, 0.0)
    return lumbar, disc, ergonomic


# --- the right-hand side -----------------------------------------------------


def rhs(t: float, y: np.ndarray, p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Time derivative of the state vector (see the module docstring for the contract)."""
    dydt = np.empty(N_STATES)
    rhs_into(t, y, p, u, dydt)
    return dydt


def rhs_into(t: float, y: np.ndarray, p: np.ndarray, u: np.ndarray, dydt: np.ndarray) -> None:
    """:func:`rhs` writing into ``dydt`` (no allocation: the batch engine's inner call)."""
    raw_lumbar, disc, ergonomic = segment_inputs_at(t, u)
    posture = y[POSTURE]
    neck = y[NECK]
    threshold = y[THRESHOLD]
    pt = y[PT_EFFECT]
    ergo = y[ERGO_EFFECT]
    nsaid = y[NSAID_EFFECT]
    neuro = y[NEURO_EFFECT]

    lumbar = effective_lumbar_pain(raw_lumbar, pt, nsaid, p)

    # Mechanical pathway.
    dydt[POSTURE] = (posture_target(lumbar, ergonomic, pt, ergo, p) - posture) / p[P_TAU_POSTURE]
    dydt[NECK] = (neck_tension_target(posture, pt, p) - neck) / p[P_TAU_NECK]

    # Neurological pathway: slow fall, slower recovery, medication pulls back up.
    sensitization = sensitization_level(threshold, p)
    theta_target = threshold_target(lumbar, sensitization, neuro, p)
    dydt[THRESHOLD] = relax_rate(
        theta_target, threshold, p[P_TAU_DESENS], p[P_TAU_SENS]
    ) + p[P_NEURO_RESTORATION] * neuro * (1.0 - threshold)

    # Inflammatory pathway: production minus first-order clearance.
    il6_target, tnf_target = cytokine_targets(disc, nsaid, p)
    dydt[IL6] = _LN2 / p[P_IL6_HALF_LIFE] * (il6_target - y[IL6])
    dydt[TNF] = _LN2 / p[P_TNF_HALF_LIFE] * (tnf_target - y[TNF])
    dydt[NEUROINFLAMMATION] = (
        neuroinflammation_target(y[IL6], y[TNF], p) - y[NEUROINFLAMMATION]
    ) / p[P_TAU_NEUROINFLAMMATION]

    # Headache components follow their targets with one time constant.
    targets = headache_targets(posture, neck, threshold, y[NEUROINFLAMMATION], p)
    tau_h = p[P_TAU_HEADACHE]
    dydt[H_TENSION] = (targets[0] - y[H_TENSION]) / tau_h
    dydt[H_CERVICOGENIC] = (targets[1] - y[H_CERVICOGENIC]) / tau_h
    dydt[H_MIGRAINE] = (targets[2] - y[H_MIGRAINE]) / tau_h
    dydt[H_SENSITIZATION] = (targets[3] - y[H_SENSITIZATION]) / tau_h

    # Treatment effects: onset and offset kinetics from the parameter table.
    dydt[PT_EFFECT] = relax_rate(u[U_PT_TARGET], pt, p[P_TAU_PT_ONSET], p[P_TAU_PT_FADE])
    dydt[ERGO_EFFECT] = relax_rate(u[U_ERGO_TARGET], ergo, p[P_TAU_ERGO_ONSET], p[P_TAU_ERGO_FADE])
    dydt[NSAID_EFFECT] = (u[U_NSAID_TARGET] - nsaid) / p[P_TAU_NSAID]
    dydt[NEURO_EFFECT] = relax_rate(
        u[U_NEURO_TARGET], neuro, p[P_TAU_NEURO_ONSET], p[P_TAU_NEURO_OFFSET]
    )


def loss_rates_into(y: np.ndarray, p: np.ndarray, u: np.ndarray, rates: np.ndarray) -> None:
    """First-order loss rate (1/day) of each state's own relaxation, for exponential integrators.

    Each equation above has the form ``dX/dt = -rate X + (rest)``; ``rates``
    receives that ``rate``. An exponential integrator treats ``-rate X``
    exactly, which removes the stiffness of minute-to-hour cytokine clearance.
    The treatment effects relax monotonically toward a target that is constant
    in a segment, so their rate (onset or offset) is fixed for the segment by
    the direction at its start. The threshold's rates are months: it is left
    to the explicit part (rate 0).
    """
    rates[POSTURE] = 1.0 / p[P_TAU_POSTURE]
    rates[NECK] = 1.0 / p[P_TAU_NECK]
    rates[THRESHOLD] = 0.0
    rates[IL6] = _LN2 / p[P_IL6_HALF_LIFE]
    rates[TNF] = _LN2 / p[P_TNF_HALF_LIFE]
    rates[NEUROINFLAMMATION] = 1.0 / p[P_TAU_NEUROINFLAMMATION]
    for i in (H_TENSION, H_CERVICOGENIC, H_MIGRAINE, H_SENSITIZATION):
        rates[i] = 1.0 / p[P_TAU_HEADACHE]
    rates[PT_EFFECT] = _relax_loss(u[U_PT_TARGET], y[PT_EFFECT], p[P_TAU_PT_ONSET],
                                   p[P_TAU_PT_FADE])
    rates[ERGO_EFFECT] = _relax_loss(u[U_ERGO_TARGET], y[ERGO_EFFECT], p[P_TAU_ERGO_ONSET],
                                     p[P_TAU_ERGO_FADE])
    rates[NSAID_EFFECT] = 1.0 / p[P_TAU_NSAID]
    rates[NEURO_EFFECT] = _relax_loss(u[U_NEURO_TARGET], y[NEURO_EFFECT], p[P_TAU_NEURO_ONSET],
                                      p[P_TAU_NEURO_OFFSET])


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
    """
    p = np.asarray(p, dtype=float)
    y = np.zeros((N_STATES,) + p.shape[1:])
    y[POSTURE] = posture_target(lumbar_pain, ergonomic_load, 0.0, 0.0, p)
    y[NECK] = neck_tension_target(y[POSTURE], 0.0, p)
    level = np.zeros(p.shape[1:])
    for _ in range(10_000):
        theta = threshold_target(lumbar_pain, level, 0.0, p)
        new_level = sensitization_level(theta, p)
        if np.max(np.abs(new_level - level)) < 1e-15:
            break
        level = new_level
    y[THRESHOLD] = 1.0 - p[P_SENS_DEPTH] * level
    y[IL6], y[TNF] = cytokine_targets(disc_degeneration, 0.0, p)
    y[NEUROINFLAMMATION] = neuroinflammation_target(y[IL6], y[TNF], p)
    components = headache_targets(y[POSTURE], y[NECK], y[THRESHOLD], y[NEUROINFLAMMATION], p)
    for offset, component in enumerate(components):
        y[H_TENSION + offset] = component
    return y
