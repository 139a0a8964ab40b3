"""The virtual clinic: a bundled trial made small enough to run in seconds, and what it shows.

The explorer's clinic (``lbp-headache explore``, tab "Virtual clinic") runs a
trial in the design of a bundled one (its population, duration, evaluations,
control, blinding, dropout and published figures) on a small virtual
population, about a hundred patients per arm:

:func:`offered_arms`
    The arms a trial may run: its own, and one arm for each other treatment of
    the trial vocabulary (``placebo``, ``usual_care``, physical therapy,
    ergonomics, an NSAID, duloxetine) over the trial's treatment window, with
    no dropout. An offered arm that would repeat one of the trial's own arms
    is left out.
:func:`clinic_spec`
    The small trial: the chosen arms (the control always among them), a
    population of ``virtual_patients`` (candidates scaled from the trial's
    population with a margin, :data:`CANDIDATE_MARGIN`), ``per_arm`` patients
    per arm in each trial, a few replicates, and the published figures of the
    arms kept.
:func:`clinic_view`
    What the clinic shows of a :func:`~lbp_headache.trial.runner.build_trial`
    result: the first replicate trial's patients (a sample of their weekly
    diaries per arm and each arm's mean), its responders per arm with the exact
    Clopper-Pearson 95 % interval, and each published figure beside the
    simulated one. Every number is read from the result (the view computes no
    statistic of its own), so a test can compare it with ``build_trial``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from lbp_headache.core.suggestions import suggest
from lbp_headache.files.bundled import BUNDLED_FOLDER, KINDS, bundled_names
from lbp_headache.population.reader import MAX_CANDIDATES
from lbp_headache.scenario.treatments import Treatment
from lbp_headache.trial.arms import window
from lbp_headache.trial.endpoints import observed
from lbp_headache.trial.reader import MAX_ARMS, load_trial
from lbp_headache.trial.replicates import draw_members
from lbp_headache.trial.runner import TrialResult, endpoint_rows
from lbp_headache.trial.spec import ENDPOINTS, Arm, TrialSpec
from lbp_headache.trial.weekly import BASELINE_WEEKS

VIRTUAL_PATIENTS = (300, 500, 1000)  # the population sizes offered; the first is the default
PER_ARM = 100
REPLICATES = 20
SAMPLE = 25  # patients drawn as lines per arm
CANDIDATE_MARGIN = 1.25  # candidates drawn beyond the trial population's own ratio
# Treatments of the trial vocabulary offered as extra arms: name -> treatment over the window.
EXTRA_ARMS: dict[str, dict] = {
    "placebo": {"type": "placebo"},
    "usual_care": {"type": "usual_care"},
    "physical_therapy": {"type": "physical_therapy"},
    "ergonomics": {"type": "ergonomics"},
    "nsaid": {"type": "nsaid"},
    "duloxetine": {"type": "neuropathic_medication", "drug": "duloxetine", "dose": 60.0},
}


class ClinicError(ValueError):
    """A clinic request that cannot run: one line saying what to change."""


def trial_names() -> list[str]:
    """The bundled trials the clinic offers."""
    return bundled_names("trial")


def load_bundled_trial(name: str) -> TrialSpec:
    """A bundled trial by name (``manual_therapy_ctth``)."""
    names = trial_names()
    if name not in names:
        raise ClinicError(f"clinic: trial: unknown trial {name!r}{suggest(name, names)} "
                          f"(one of: {', '.join(names)})")
    return load_trial(BUNDLED_FOLDER / KINDS["trial"] / f"{name}.yaml")


def _kind(arm: Arm) -> tuple:
    return tuple(sorted((t.type, t.drug or "", t.dose or 0.0) for t in arm.treatments))


def offered_arms(spec: TrialSpec) -> tuple[Arm, ...]:
    """The trial's own arms, then the extra arms of :data:`EXTRA_ARMS` (see the module)."""
    start = min(window(arm, spec.duration)[0] for arm in spec.arms)
    stop = max(window(arm, spec.duration)[1] for arm in spec.arms)
    own = {arm.name for arm in spec.arms}
    kinds = {_kind(arm) for arm in spec.arms}
    extras = []
    for name, fields in EXTRA_ARMS.items():
        arm = Arm(name, (Treatment(start=start, stop=stop, **fields),))
        if name not in own and _kind(arm) not in kinds:
            extras.append(arm)
    return (*spec.arms, *extras)


def treated_arm(spec: TrialSpec) -> str | None:
    """The trial's own arm that a published difference is about (two-arm trials)."""
    treated = [name for name in spec.arm_names if name != spec.control]
    return treated[0] if len(treated) == 1 else None


def clinic_spec(spec: TrialSpec, arms: Sequence[str], *,
                virtual_patients: int = VIRTUAL_PATIENTS[0], per_arm: int = PER_ARM,
                replicates: int = REPLICATES) -> TrialSpec:
    """The small trial of ``arms`` in the design of ``spec`` (see the module docstring).

    Raises
    ------
    ClinicError
        For an arm not offered, a missing control, too few or too many arms, or a
        trial larger than the virtual population.
    """
    offered = {arm.name: arm for arm in offered_arms(spec)}
    chosen = list(dict.fromkeys(arms))
    for name in chosen:
        if name not in offered:
            raise ClinicError(f"clinic: arms: unknown arm {name!r}{suggest(name, list(offered))}"
                              f" (this trial offers: {', '.join(offered)})")
    if spec.control not in chosen:
        raise ClinicError(f"clinic: arms: the control arm {spec.control!r} must be one of the "
                          "arms (every arm is compared with it)")
    if not 2 <= len(chosen) <= MAX_ARMS:
        raise ClinicError(f"clinic: arms: {len(chosen)} arms; a trial has 2 to {MAX_ARMS}")
    if virtual_patients not in VIRTUAL_PATIENTS:
        raise ClinicError(f"clinic: virtual_patients: {virtual_patients!r}; one of "
                          f"{', '.join(map(str, VIRTUAL_PATIENTS))}")
    if not (isinstance(per_arm, int) and 10 <= per_arm <= 500):
        raise ClinicError(f"clinic: per_arm: {per_arm!r}; a whole number from 10 to 500")
    if not (isinstance(replicates, int) and 1 <= replicates <= 200):
        raise ClinicError(f"clinic: replicates: {replicates!r}; a whole number from 1 to 200")
    size = per_arm * len(chosen)
    if size > virtual_patients:
        raise ClinicError(f"clinic: per_arm: {per_arm} patients in each of {len(chosen)} arms "
                          f"is more than the {virtual_patients} virtual patients: choose a "
                          "larger population or fewer patients per arm")
    return replace(spec, population=clinic_population(spec, virtual_patients), size=size,
                   arms=tuple(offered[name] for name in chosen),
                   replicates=replicates, comparisons=_comparisons(spec, chosen))


def clinic_population(spec: TrialSpec, virtual_patients: int):
    """The trial's population with ``virtual_patients`` patients (candidates scaled)."""
    population = spec.population
    candidates = math.ceil(population.candidates * virtual_patients / population.size
                           * CANDIDATE_MARGIN)
    return replace(population, size=virtual_patients,
                   candidates=min(MAX_CANDIDATES, max(candidates, virtual_patients)))


def _comparisons(spec: TrialSpec, chosen: list[str]) -> tuple:
    treated = treated_arm(spec)
    return tuple(c for c in spec.comparisons
                 if (c.arm in chosen) or (c.arm is None and treated in chosen))


def primary(spec: TrialSpec) -> tuple[str, float]:
    """The responder endpoint and evaluation day the clinic shows: the trial's published
    responder figure if it has one, else ``headache_responders_50`` at the first
    published figure's evaluation (or the first evaluation)."""
    responders = [c for c in spec.comparisons if ENDPOINTS[c.endpoint][0] == "responders"]
    if responders:
        return responders[0].endpoint, responders[0].evaluation
    day = spec.comparisons[0].evaluation if spec.comparisons else spec.evaluations[0]
    return "headache_responders_50", day


def first_trial_members(result: TrialResult) -> dict[str, np.ndarray]:
    """The patients (rows of ``result.weekly``) of each arm of the first replicate trial."""
    spec = result.spec
    n = int(result.patients.size)
    return draw_members(n, min(spec.size, n), [arm.allocation for arm in spec.arms], spec.seed,
                        0, spec.arm_names)


def _number(value) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def clinic_view(result: TrialResult, design: TrialSpec, *, sample: int = SAMPLE) -> dict:
    """What the clinic shows of ``result``, a trial of :func:`clinic_spec` of ``design``."""
    spec = result.spec
    endpoint, day = primary(design)
    members = first_trial_members(result)
    key = (endpoint, day)
    first = result.replicates[0]
    weeks = list(range(-BASELINE_WEEKS, result.weekly[spec.control]["headache_days"].shape[1]
                       - BASELINE_WEEKS))
    arms = {}
    for arm in spec.arms:
        series = result.weekly[arm.name]
        rows = members[arm.name]
        raw = series["headache_days"][rows]
        dropout = series["dropout_week"][rows]
        lines = []
        for k in range(min(sample, rows.size)):
            last = BASELINE_WEEKS + int(dropout[k])  # weeks from dropout on are not reported
            lines.append([int(v) if j < last else None for j, v in enumerate(raw[k])])
        itt = observed(series)["headache_days"][rows].astype(float)
        start, stop = window(arm, spec.duration)
        estimate = first[key]["arms"][arm.name]
        change = first[("headache_days_change", day)]["arms"][arm.name]
        arms[arm.name] = {
            "treatments": [t.display_name for t in arm.treatments],
            "window_weeks": [start / 7.0, stop / 7.0],
            "active": not arm.open_label,  # usual care (a waitlist) has no treatment to mark
            "patients": int(rows.size),
            "dropouts": int(np.count_nonzero(dropout < len(weeks) - BASELINE_WEEKS)),
            "lines": lines,
            "mean": np.round(itt.mean(axis=0), 4).tolist(),
            "responders": {"count": int(result.values[arm.name][day][endpoint][rows].sum()),
                           "n": int(rows.size), "value": estimate["value"],
                           "low": estimate["low"], "high": estimate["high"]},
            "headache_days_change": {k: change[k] for k in ("value", "low", "high")},
        }
    return {
        "trial": spec.name, "description": design.description, "control": spec.control,
        "blinded": spec.blinded, "published_size": design.size, "size": spec.size,
        "virtual_patients": result.population.size, "replicates": len(result.replicates),
        "candidates": spec.population.candidates, "evaluation_day": day,
        "endpoint": endpoint, "endpoint_meaning": ENDPOINTS[endpoint][2],
        "weeks": weeks, "arms": arms,
        "published": _published_rows(result, design),
        "seconds": round(result.seconds, 3),
    }


def _published_rows(result: TrialResult, design: TrialSpec) -> list[dict]:
    """Each published figure beside the simulated one: the first trial's estimate with its
    95 % interval, and the range of the replicate trials' estimates."""
    spec = result.spec
    treated = treated_arm(design)
    out = []
    for row in endpoint_rows(result):
        if row["published"] is None:
            continue
        if " - " in row["arm"] and row["arm"] != f"{treated} - {spec.control}":
            continue  # a published difference is about the trial's own treated arm
        out.append({
            "endpoint": row["endpoint"], "unit": row["unit"], "arm": row["arm"],
            "evaluation_day": row["evaluation_day"],
            "simulated": _number(row["first_trial"]),
            "simulated_low": _number(row["first_trial_low"]),
            "simulated_high": _number(row["first_trial_high"]),
            "replicates_p2_5": _number(row["replicates_p2_5"]),
            "replicates_p97_5": _number(row["replicates_p97_5"]),
            "virtual_population": _number(row["virtual_population"]),
            "published": row["published"], "published_low": row["published_low"],
            "published_high": row["published_high"], "citation": row["citation"],
        })
    return out
