"""Which parameters get a slider, grouped by pathway: a few that matter, the rest folded away.

Every parameter of the table is in exactly one group (tested), in the group's
pathway order, except those of :data:`NO_SLIDER` (day-to-day variability and the
placebo's expectation act on seeded diaries, which the live model does not draw;
the virtual clinic's trials use them); ``main`` are shown, ``more`` are behind a "more" fold. Each
slider takes its unit, range and default from the parameter table.
"""

from __future__ import annotations

from lbp_headache.core.parameters import PARAMETERS

# (group id, title, pathway colour key, parameter groups of the table, shown sliders)
GROUPS: tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("mechanical", "Mechanical pathway: posture and neck", "mechanical", ("mechanical",),
     ("posture_chain_stiffness", "gain_posture_ergonomic", "tau_neck_tension")),
    ("neurological", "Neurological pathway: central sensitization", "neurological",
     ("neurological",),
     ("sensitization_feedback", "sensitization_half_drive", "sensitization_depth")),
    ("inflammatory", "Inflammatory pathway: disc and cytokines", "inflammatory",
     ("inflammatory",), ("gain_il6_disc", "gain_tnf_disc", "tau_neuroinflammation")),
    ("headache", "From stimuli to headache", "headache", ("headache", "observation"),
     ("gain_central", "sensitization_amplification", "headache_stimulus_half")),
    ("treatment", "How treatments work", "treatment",
     ("physical_therapy", "ergonomics", "nsaid", "neuropathic_medication"),
     ("physical_therapy_neck_relief", "tau_physical_therapy_fade", "duloxetine_efficacy")),
)


# Parameter-table groups that act only on seeded diaries (populations and trials), not on
# the deterministic run the live view shows: a slider there would move nothing.
NO_SLIDER: tuple[str, ...] = ("variability", "placebo")


def slider_groups() -> list[dict]:
    """``[{"id", "title", "colour", "main": [names], "more": [names]}]`` in pathway order."""
    groups = []
    for group_id, title, colour, table_groups, main in GROUPS:
        members = [p.name for p in PARAMETERS if p.group in table_groups]
        groups.append({"id": group_id, "title": title, "colour": colour,
                       "main": [name for name in main if name in members],
                       "more": [name for name in members if name not in main]})
    return groups
