"""Each arm's scenario: the population's course with the arm's treatments from randomization.

Arms whose treatments differ only by ``placebo`` and ``usual_care`` have the
same mechanism (those two act on no state), so they share one batch-engine
run and differ only in their diaries' expectation effect
(:func:`mechanism_groups`). Two counterfactuals are added to every trial for
the decomposition of change: ``untreated`` (no treatment, no expectation) and
``expectation`` (a placebo over the longest treatment window).
"""

from __future__ import annotations

import math
from dataclasses import replace

from lbp_headache.scenario.record import Scenario
from lbp_headache.scenario.treatments import Treatment
from lbp_headache.trial.spec import Arm, TrialSpec

NO_MECHANISM = ("placebo", "usual_care")
UNTREATED, EXPECTATION = "untreated", "expectation"  # the counterfactual arms


def shifted(treatment: Treatment, days: float) -> Treatment:
    """``treatment`` started ``days`` later."""
    return replace(treatment, start=treatment.start + days, stop=treatment.stop + days)


def window(arm: Arm, duration: float) -> tuple[float, float]:
    """The arm's treatment window (days from randomization, clipped to the trial)."""
    starts = [t.start for t in arm.treatments]
    stops = [min(t.stop, duration) for t in arm.treatments]
    return min(starts), max(stops)


def arm_treatments(spec: TrialSpec, arm: Arm) -> tuple[Treatment, ...]:
    """The arm's treatments on the scenario's clock, with the blinded trial's expectation."""
    day = spec.randomization
    own = tuple(shifted(t, day) for t in arm.treatments)
    has_placebo = any(t.type == "placebo" for t in arm.treatments)
    if spec.blinded and not arm.open_label and not has_placebo:
        start, stop = window(arm, spec.duration)
        own = (*own, Treatment("placebo", start + day, stop + day,
                               label="expectation (blinded)"))
    return own


def counterfactual_arms(spec: TrialSpec) -> tuple[Arm, ...]:
    """``untreated`` and ``expectation``, over the longest arm's treatment window."""
    start = min(window(arm, spec.duration)[0] for arm in spec.arms)
    stop = max(window(arm, spec.duration)[1] for arm in spec.arms)
    return (Arm(UNTREATED, (Treatment("usual_care", start, stop),)),
            Arm(EXPECTATION, (Treatment("placebo", start, stop),)))


def arm_scenario(spec: TrialSpec, treatments: tuple[Treatment, ...]) -> Scenario:
    """The population's scenario, run to the end of the trial, with ``treatments`` added."""
    base = spec.population.scenario
    duration = spec.randomization + spec.duration
    return replace(base, duration=duration, treatments=(*base.treatments, *treatments),
                   name=f"{base.name} (trial)")


def mechanism_key(treatments: tuple[Treatment, ...]) -> tuple:
    """What determines the batch-engine run: the treatments that act on a mechanism."""
    return tuple(t for t in treatments if t.type not in NO_MECHANISM)


def mechanism_groups(spec: TrialSpec) -> list[tuple[Scenario, list[tuple[str, tuple]]]]:
    """``(scenario of one engine run, [(arm name, the arm's treatments), ...])`` per distinct
    mechanism, the counterfactual arms included."""
    groups: dict[tuple, list[tuple[str, tuple]]] = {}
    for arm in (*spec.arms, *counterfactual_arms(spec)):
        if arm.name in (UNTREATED, EXPECTATION):
            treatments = tuple(shifted(t, spec.randomization) for t in arm.treatments)
        else:
            treatments = arm_treatments(spec, arm)
        groups.setdefault(mechanism_key(treatments), []).append((arm.name, treatments))
    out = []
    for key, members in groups.items():
        # One run for the group: its schedule holds every member's treatment windows (placebo
        # and usual care add segment boundaries but no mechanism), and every member reads the
        # same mechanistic values, so arms of one mechanism differ only by expectation.
        windows = tuple(t for _, treatments in members for t in treatments
                        if t.type in NO_MECHANISM)
        out.append((arm_scenario(spec, (*key, *windows)), members))
    return out


def weeks(spec: TrialSpec) -> int:
    """Whole weeks from randomization to the end of the trial."""
    return whole_weeks(spec.duration)


def whole_weeks(duration: float) -> int:
    """Whole weeks in ``duration`` days."""
    return int(math.floor(duration / 7.0 + 1e-9))
