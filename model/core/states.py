"""State variables and the per-segment input vector: names, units, ranges.

The solver works on a plain float array in the order of :data:`STATES`. The
right-hand side also receives a short float array of *segment inputs* in the
order of :data:`SEGMENT_INPUTS`: within one integration segment the scenario's
input profiles are linear in time and the treatment targets are constant, so a
handful of numbers describe them exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lbp_headache.core.units import DIMENSIONLESS, pretty


@dataclass(frozen=True)
class State:
    """One state variable (or derived output column).

    ``low`` and ``high`` bound the physical range; the solver checks them.
    """

    name: str
    unit: str
    low: float
    high: float
    meaning: str


HEADACHE_MAX = 10.0

STATES: tuple[State, ...] = (
    State("posture_deviation", "degree", 0.0, 60.0,
          "Loss of craniovertebral angle from the healthy ~54 deg (forward-head posture)."),
    State("neck_tension", DIMENSIONLESS, 0.0, 1.0,
          "Sustained cervical muscle tension, fraction of maximal sustained tension."),
    State("pain_threshold", DIMENSIONLESS, 0.0, 1.0,
          "Central pain threshold relative to healthy (1 = healthy; lower = sensitized)."),
    State("il6", "pg/mL", 0.0, 1.0e4, "Plasma interleukin-6 concentration."),
    State("tnf_alpha", DIMENSIONLESS, 0.0, 1.0e3,
          "Plasma TNF-alpha relative to a healthy reference (1 = healthy)."),
    State("neuroinflammation", DIMENSIONLESS, 0.0, 1.0,
          "Neuroinflammatory (glial) activation, fraction of maximum."),
    State("headache_tension_type", DIMENSIONLESS, 0.0, HEADACHE_MAX,
          "Tension-type part of the headache load (0-10 scale)."),
    State("headache_cervicogenic", DIMENSIONLESS, 0.0, HEADACHE_MAX,
          "Cervicogenic part of the headache load (0-10 scale)."),
    State("headache_migraine", DIMENSIONLESS, 0.0, HEADACHE_MAX,
          "Migraine-like (inflammatory) part of the headache load (0-10 scale)."),
    State("headache_sensitization", DIMENSIONLESS, 0.0, HEADACHE_MAX,
          "Extra headache load added by a lowered threshold (0-10 scale)."),
    State("physical_therapy_effect", DIMENSIONLESS, 0.0, 1.0,
          "Current physical-therapy effect, fraction of full effect."),
    State("ergonomics_effect", DIMENSIONLESS, 0.0, 1.0,
          "Current fraction of the ergonomic neck load removed."),
    State("nsaid_effect", DIMENSIONLESS, 0.0, 1.0,
          "Current NSAID effect, fraction of full effect."),
    State("neuropathic_effect", DIMENSIONLESS, 0.0, 1.0,
          "Current fraction of central gain removed by neuropathic medication."),
)

STATE_NAMES: tuple[str, ...] = tuple(s.name for s in STATES)
STATE_INDEX: Mapping[str, int] = {name: i for i, name in enumerate(STATE_NAMES)}
N_STATES = len(STATES)

(POSTURE, NECK, THRESHOLD, IL6, TNF, NEUROINFLAMMATION,
 H_TENSION, H_CERVICOGENIC, H_MIGRAINE, H_SENSITIZATION,
 PT_EFFECT, ERGO_EFFECT, NSAID_EFFECT, NEURO_EFFECT) = range(N_STATES)

HEADACHE_COMPONENTS: tuple[str, ...] = STATE_NAMES[H_TENSION:H_SENSITIZATION + 1]
# The three pathways and their headache components: every pathway share is computed from this.
PATHWAYS: Mapping[str, tuple[str, ...]] = {
    "mechanical": ("headache_tension_type", "headache_cervicogenic"),
    "neurological": ("headache_sensitization",),
    "inflammatory": ("headache_migraine",),
}

# Derived output columns (not integrated): name, unit, meaning.
DERIVED: tuple[State, ...] = (
    State("lumbar_pain", DIMENSIONLESS, 0.0, 10.0,
          "Lumbar nociceptive drive on the 0-10 scale after treatment effects."),
    State("disc_degeneration", DIMENSIONLESS, 0.0, 1.0,
          "Inflammatory activity of disc degeneration (0 none, 1 acute herniation)."),
    State("ergonomic_load", DIMENSIONLESS, 0.0, 1.0,
          "Ergonomic neck load before treatment (0 neutral, 1 a full day of poor posture)."),
    State("headache", DIMENSIONLESS, 0.0, HEADACHE_MAX,
          "Headache load, 0-10: the sum of the four components."),
)

# Segment inputs: (t0, lumbar0, lumbar_slope, disc0, disc_slope, ergo0, ergo_slope, targets...)
SEGMENT_INPUTS: tuple[str, ...] = (
    "segment_start",
    "lumbar_pain_start", "lumbar_pain_slope",
    "disc_degeneration_start", "disc_degeneration_slope",
    "ergonomic_load_start", "ergonomic_load_slope",
    "physical_therapy_target", "ergonomics_target", "nsaid_target", "neuropathic_target",
)
N_SEGMENT_INPUTS = len(SEGMENT_INPUTS)
(U_T0, U_LUMBAR, U_LUMBAR_SLOPE, U_DISC, U_DISC_SLOPE, U_ERGO, U_ERGO_SLOPE,
 U_PT_TARGET, U_ERGO_TARGET, U_NSAID_TARGET, U_NEURO_TARGET) = range(N_SEGMENT_INPUTS)


def state_table() -> str:
    """Markdown table of the state variables and derived output columns (for the docs)."""
    lines = ["| column | unit | range | kind | meaning |", "|---|---|---|---|---|"]
    for kind, records in (("state", STATES), ("derived", DERIVED)):
        for s in records:
            lines.append(
                f"| `{s.name}` | {pretty(s.unit)} | {s.low:g} – {s.high:g} | {kind} | {s.meaning} |"
            )
    return "\n".join(lines) + "\n"
