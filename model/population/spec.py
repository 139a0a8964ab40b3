"""Virtual-population specifications as data: the :class:`PopulationSpec` record and its parts.

A population follows the two-stage method of Allen, Rieger & Musante 2016
(CPT Pharmacometrics Syst Pharmacol 5:140):

1. *Plausible patients*: candidates drawn from the priors (the parameter
   table's population spreads, and the spec's input distributions), simulated
   over the base scenario, kept when every state stays within the
   plausibility bounds; then the *inclusion criteria* (like a trial's entry
   criteria) are applied to the baseline window of each patient's seeded
   diary.
2. *Selection*: a virtual population whose baseline measure matches an
   observed distribution, by prevalence selection against a continuous
   target, or by a mixed-integer program that matches published category
   shares (``scipy.optimize.milp``).

Files are read by :mod:`.reader`; candidates drawn by :mod:`.candidates`; the
whole pipeline run by :mod:`.runner`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from lbp_headache.population.distributions import Distribution
from lbp_headache.scenario.profiles import Profile
from lbp_headache.scenario.record import Scenario

# Measures of a patient's baseline window (diary means per 28 days, the model's states).
MEASURES: dict[str, tuple[str, str]] = {
    "headache_days": ("day", "headache days per 28 days in the seeded diary"),
    "expected_headache_days": ("day", "expected headache days per 28 days (the model, no "
                               "day-to-day noise)"),
    "mean_headache": ("1", "mean reported headache load (0-10)"),
    "back_pain": ("1", "mean reported back pain (0-10)"),
    "pain_threshold": ("1", "pain threshold at the end of the window (1 = healthy)"),
    "sensitization": ("1", "sensitization at the end of the window, (1 - threshold) / depth"),
    "share_mechanical": ("1", "share of the headache burden that is tension-type + "
                         "cervicogenic"),
    "share_cervicogenic": ("1", "share of the headache burden that is cervicogenic"),
    "share_neurological": ("1", "share of the headache burden from central sensitization"),
    "share_inflammatory": ("1", "share of the headache burden that is migraine-like"),
    "coupling": ("1", "peak lagged correlation of daily back pain with headache (0-14 days)"),
    "sensitization_onset": ("time", "day from the scenario's start when sensitization first "
                            "reaches 0.5 (none if it never does by the window's end)"),
}
SELECTION_METHODS = ("prevalence", "category_shares")


@dataclass(frozen=True)
class BackPainInputs:
    """Each patient's back-pain course: one of ``courses`` (by ``shares``), scaled, plus flares.

    Flares: a Poisson number per patient (``flare_rate`` per year of the
    scenario), each starting in a random week and lasting ``flare_weeks``
    whole weeks, of height ``flare_height`` points of pain (0-10).
    """

    courses: tuple[tuple[str, Profile], ...]
    shares: tuple[float, ...]
    scale: Distribution
    flare_rate: float = 0.0
    flare_weeks: int = 1
    flare_height: Distribution = field(default_factory=lambda: Distribution("fixed", 0.0))


@dataclass(frozen=True)
class LevelInputs:
    """Disc degeneration or ergonomic load: ``scale`` x the scenario's profile + ``level``."""

    scale: Distribution = field(default_factory=lambda: Distribution("fixed", 1.0))
    level: Distribution = field(default_factory=lambda: Distribution("fixed", 0.0))


@dataclass(frozen=True)
class Criterion:
    """An inclusion criterion on a baseline measure: ``low <= measure <= high``."""

    measure: str
    low: float = float("-inf")
    high: float = float("inf")
    line: int | None = None

    def describe(self) -> str:
        if self.low > float("-inf") and self.high < float("inf"):
            return f"{self.measure} in [{self.low:g}, {self.high:g}]"
        if self.low > float("-inf"):
            return f"{self.measure} >= {self.low:g}"
        return f"{self.measure} <= {self.high:g}"


@dataclass(frozen=True)
class Selection:
    """Allen's stage 2: which measure to match, how, and to what.

    ``target`` (for ``prevalence``) is a continuous distribution; ``categories``
    (for ``category_shares``) are ``((low, high), share)`` with shares summing to 1
    (a patient falls in the first category whose ``[low, high)`` holds it).
    """

    measure: str
    method: str
    target: Distribution | None = None
    categories: tuple[tuple[tuple[float, float], float], ...] = ()
    tolerance: float = 0.05


@dataclass(frozen=True)
class PopulationSpec:
    """A validated virtual-population specification (canonical units).

    Attributes
    ----------
    name, description, source, source_hash
        As for sweeps: the file as given and the SHA-256 of its bytes.
    scenario
        The base scenario: schedule and duration of the candidates' simulation.
    size
        Patients in the selected population.
    candidates
        Candidates drawn (and simulated) before plausibility, inclusion and selection.
    seed
        Seed of every draw (parameters, inputs, diaries, selection).
    varying
        ``(parameter, distribution)`` of every parameter that varies between
        patients, in table order; the others take the scenario's value.
    back_pain, disc_degeneration, ergonomic_load
        The patients' inputs.
    plausibility
        ``(state, low, high)`` bounds every patient's states must keep.
    baseline
        ``(start, end)`` in days: the window of the baseline measures.
    inclusion
        Criteria on the baseline measures.
    selection
        Allen's stage 2, or ``None`` (every included patient, up to ``size``).
    chunk_size
        Candidates simulated per chunk.
    lines
        The line of each top-level key in the file (for problems found while
        building: a population nobody can enter names the key's line).
    """

    name: str
    description: str
    source: str
    source_hash: str
    scenario: Scenario
    size: int
    candidates: int
    seed: int
    varying: tuple[tuple[str, Distribution], ...]
    back_pain: BackPainInputs
    disc_degeneration: LevelInputs
    ergonomic_load: LevelInputs
    plausibility: tuple[tuple[str, float, float], ...]
    baseline: tuple[float, float]
    inclusion: tuple[Criterion, ...] = ()
    selection: Selection | None = None
    chunk_size: int = 2000
    lines: Mapping[str, int] = field(default_factory=dict)  # where each top key was written

    @property
    def varying_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.varying)
