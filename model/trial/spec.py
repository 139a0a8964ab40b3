"""Virtual clinical trials as data: the :class:`TrialSpec` record and its parts.

A trial runs every arm on the same virtual patients (paired counterfactuals)
drawn from a virtual population (:mod:`lbp_headache.population`), from the
end of the population's baseline window (randomization, day 0 of the trial)
for ``duration`` days. Arms are treatments in the scenario vocabulary,
``placebo`` and ``usual_care`` included, timed from randomization. In a
blinded trial every arm but ``usual_care`` brings the expectation effect
(:mod:`lbp_headache.analysis.expectation`) over its treatment window.

Endpoints (:data:`ENDPOINTS`) are read at each evaluation time from the
seeded diaries, by intention to treat with the last observation carried
forward after a dropout; each is reported per arm, as a difference from the
control arm with its 95 % confidence interval, and week by week.
"""

from __future__ import annotations

from dataclasses import dataclass

from lbp_headache.population.spec import PopulationSpec
from lbp_headache.scenario.treatments import Treatment

# name: (kind, unit, meaning). "change": a mean change from baseline; "responders": a share.
ENDPOINTS: dict[str, tuple[str, str, str]] = {
    "headache_days_change": ("change", "day", "change in headache days per 28 days from the 28 "
                             "days before randomization to the 28 days before evaluation"),
    "headache_responders_50": ("responders", "1", "share with at least 50 % fewer headache "
                               "days per 28 days than at baseline"),
    "mean_intensity": ("mean", "1", "mean reported headache load (0-10) in the 28 days before "
                       "evaluation"),
    "back_pain_change": ("change", "1", "change in mean reported back pain on 0-100 from the "
                         "week before randomization to the week before evaluation"),
    "back_pain_responders_30": ("responders", "1", "share with at least 30 % less back pain "
                                "than at baseline (weekly means)"),
    "back_pain_responders_50": ("responders", "1", "share with at least 50 % less back pain "
                                "than at baseline (weekly means)"),
}
OPEN_LABEL_TYPES = ("usual_care",)


@dataclass(frozen=True)
class Arm:
    """One arm: its treatments (times from randomization) and its dropout rate (per day)."""

    name: str
    treatments: tuple[Treatment, ...]
    dropout_rate: float = 0.0
    allocation: float = 1.0

    @property
    def open_label(self) -> bool:
        """An arm of ``usual_care`` alone (a waitlist): no expectation even when blinded."""
        return all(t.type in OPEN_LABEL_TYPES for t in self.treatments)


@dataclass(frozen=True)
class Comparison:
    """A published figure to set a simulated endpoint beside.

    ``arm`` names an arm (its value), or is ``None`` for the difference
    (``arm`` minus control: a mean difference or a risk difference).
    """

    endpoint: str
    evaluation: float
    arm: str | None
    value: float
    low: float | None
    high: float | None
    citation: str


@dataclass(frozen=True)
class TrialSpec:
    """A validated virtual trial (canonical units: days).

    Attributes
    ----------
    name, description, source, source_hash
        As for every input file.
    population
        The virtual population the trials draw patients from.
    size
        Patients randomized in one trial.
    arms
        The arms, in the order written.
    control
        The arm every other is compared with.
    blinded
        Whether every arm but ``usual_care`` brings the expectation effect.
    duration
        Days from randomization to the end of follow-up.
    evaluations
        Days after randomization when the endpoints are read (each window
        ends there).
    replicates
        Trials of ``size`` drawn from the population (the spread of the
        estimates and the power).
    seed
        Seed of randomization and replicate draws (the patients keep the
        population's seeds).
    comparisons
        Published figures to set the results beside.
    """

    name: str
    description: str
    source: str
    source_hash: str
    population: PopulationSpec
    size: int
    arms: tuple[Arm, ...]
    control: str
    blinded: bool
    duration: float
    evaluations: tuple[float, ...]
    replicates: int = 200
    seed: int = 0
    comparisons: tuple[Comparison, ...] = ()

    @property
    def arm_names(self) -> tuple[str, ...]:
        return tuple(arm.name for arm in self.arms)

    @property
    def randomization(self) -> float:
        """The day of randomization in the population's scenario (the end of its baseline)."""
        return self.population.baseline[1]
