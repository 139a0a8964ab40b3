"""The explorer's virtual clinic: requests in, small trials run, views out.

The computing is :mod:`lbp_headache.trial.clinic` (the small trial and what it
shows) and :func:`lbp_headache.trial.runner.build_trial`; this module reads the
page's request, keeps each built population (the arms do not change it, so a
second run with other arms on the same population takes a fraction of a
second) and the last few views, and lets one trial run at a time, so a class
pressing "Run" twice does not run two trials side by side on a laptop.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import replace
from threading import Lock

from lbp_headache.population.runner import build_population
from lbp_headache.trial import clinic
from lbp_headache.trial.runner import build_trial
from lbp_headache.trial.spec import TrialSpec

WORKERS = 2
CACHE_SIZE = 16
# A question for the class per bundled trial (the presets' habit); a test checks none is missing.
QUESTIONS: dict[str, str] = {
    "manual_therapy_ctth": "Both arms improve after randomization, even usual care: how much of "
                           "that is regression to the mean, and does the simulated difference "
                           "fall inside the published interval?",
    "placebo_vs_waitlist_ctth": "The published trial saw 44 % responders with an attention "
                                "placebo and 20 % on the waitlist. What does the model's "
                                "expectation effect give, and what might it be missing?",
    "duloxetine_chronic_low_back_pain": "Duloxetine against placebo for back pain: add a "
                                        "physical-therapy arm. Which treatment moves the back "
                                        "pain, and which the headache days?",
    "placebo_chronic_migraine": "Many of these patients halve their headache days on "
                                "placebo, and many on no treatment at all. How much of it is "
                                "regression to the mean, and why might the published trial "
                                "see fewer responders (34 %)?",
}


class ClinicRequestError(ValueError):
    """A request the clinic cannot read (a wrong type): one line."""


def _integer(body: Mapping, key: str, default: int) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ClinicRequestError(f"request: {key}: expected a whole number")
    return value


class Clinic:
    """The bundled trials, their built populations and the last few views."""

    def __init__(self, size: int = CACHE_SIZE):
        self.designs: dict[str, TrialSpec] = {name: clinic.load_bundled_trial(name)
                                              for name in clinic.trial_names()}
        self._populations: dict[tuple, object] = {}
        self._views: OrderedDict[tuple, dict] = OrderedDict()
        self._size = size
        self._run_lock = Lock()

    def meta(self) -> dict:
        """What the page needs to offer the trials and their arms (part of ``/api/meta``)."""
        trials = []
        for name, design in self.designs.items():
            arms = [{"name": arm.name, "treatments": [t.display_name for t in arm.treatments],
                     "own": arm.name in design.arm_names}
                    for arm in clinic.offered_arms(design)]
            endpoint, day = clinic.primary(design)
            trials.append({"id": name, "title": design.name, "description": design.description,
                           "question": QUESTIONS.get(name, ""), "control": design.control,
                           "arms": arms, "default_arms": list(design.arm_names),
                           "published_size": design.size, "duration_days": design.duration,
                           "blinded": design.blinded, "endpoint": endpoint,
                           "evaluation_day": day})
        return {"trials": trials, "virtual_patients": list(clinic.VIRTUAL_PATIENTS),
                "per_arm": clinic.PER_ARM, "replicates": clinic.REPLICATES,
                "sample": clinic.SAMPLE}

    def request(self, body: Mapping) -> tuple[TrialSpec, TrialSpec]:
        """The design and the small trial a request asks for.

        Raises
        ------
        ValueError
            One line saying what to change (:class:`ClinicRequestError` for a
            wrong type, :class:`~lbp_headache.trial.clinic.ClinicError` otherwise).
        """
        name = body.get("trial")
        if not isinstance(name, str):
            raise ClinicRequestError("request: trial: expected the name of a bundled trial")
        arms = body.get("arms")
        if not isinstance(arms, list) or not all(isinstance(a, str) for a in arms):
            raise ClinicRequestError("request: arms: expected a list of arm names")
        design = self.designs.get(name) or clinic.load_bundled_trial(name)
        spec = clinic.clinic_spec(
            design, arms,
            virtual_patients=_integer(body, "virtual_patients", clinic.VIRTUAL_PATIENTS[0]),
            per_arm=_integer(body, "per_arm", clinic.PER_ARM),
            replicates=_integer(body, "replicates", clinic.REPLICATES))
        return design, spec

    def run(self, body: Mapping) -> dict:
        """The view of the small trial ``body`` asks for (built once, then remembered)."""
        design, spec = self.request(body)
        key = (body["trial"], spec.arm_names, spec.population.size, spec.size, spec.replicates)
        with self._run_lock:
            if key in self._views:
                self._views.move_to_end(key)
                return self._views[key]
            population_key = (body["trial"], spec.population.size, spec.population.candidates)
            population = self._populations.get(population_key)
            if population is None:
                population = build_population(spec.population, workers=WORKERS)
                self._populations[population_key] = population
            # The population's own spec (equal to the request's; build_trial checks identity).
            spec = replace(spec, population=population.spec)
            result = build_trial(spec, workers=WORKERS, population=population)
            view = clinic.clinic_view(result, design)
            view["population_seconds"] = round(population.seconds, 3)
            self._views[key] = view
            while len(self._views) > self._size:
                self._views.popitem(last=False)
        return view

