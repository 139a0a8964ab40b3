"""The :class:`Scenario`: everything a run needs besides the model itself.

A scenario is plain data in canonical units (days, mg/day, ...). It is built
from YAML by :func:`lbp_headache.scenario.reader.load_scenario` or directly in Python.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType

from lbp_headache.scenario.profiles import Profile, constant
from lbp_headache.scenario.treatments import Treatment


def _frozen(mapping: Mapping[str, float] | None) -> Mapping[str, float]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Scenario:
    """A simulation scenario.

    Attributes
    ----------
    name, description
        Shown in figures and reports.
    duration
        Simulated time in days (> 0).
    output_step
        Spacing of the output time grid in days (> 0).
    lumbar_pain
        Raw lumbar nociceptive drive (0-10) before treatment.
    disc_degeneration
        Inflammatory disc activity (0-1).
    ergonomic_load
        Ergonomic neck load (0-1).
    parameters
        Parameter overrides in canonical units (validated against the table).
    initial_state
        Overrides of the initial state (default: healthy steady state).
    treatments
        Treatment courses (see :mod:`lbp_headache.scenario.treatments`).
    seed
        Seed of the random headache-diary draws.
    source, source_hash
        File the scenario came from and the SHA-256 of its resolved text
        (including the files it extends), for provenance.
    """

    name: str
    duration: float
    description: str = ""
    output_step: float = 1.0
    lumbar_pain: Profile = field(default_factory=lambda: constant(0.0))
    disc_degeneration: Profile = field(default_factory=lambda: constant(0.0))
    ergonomic_load: Profile = field(default_factory=lambda: constant(0.0))
    parameters: Mapping[str, float] = field(default_factory=dict)
    initial_state: Mapping[str, float] = field(default_factory=dict)
    treatments: tuple[Treatment, ...] = ()
    seed: int = 0
    source: str | None = None
    source_hash: str | None = None

    def __post_init__(self):
        if not (self.duration > 0 and math.isfinite(self.duration)):
            raise ValueError("duration must be positive and finite")
        if not (self.output_step > 0 and math.isfinite(self.output_step)):
            raise ValueError("output_step must be positive and finite")
        object.__setattr__(self, "parameters", _frozen(self.parameters))
        object.__setattr__(self, "initial_state", _frozen(self.initial_state))
        object.__setattr__(self, "treatments", tuple(self.treatments))

    def with_parameters(self, overrides: Mapping[str, float]) -> Scenario:
        """A copy with ``overrides`` added to the parameter overrides."""
        return replace(self, parameters={**self.parameters, **overrides})

    def __reduce__(self):
        # The read-only mappings do not pickle; rebuild from plain dicts (for process
        # pools and Dask workers).
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["parameters"] = dict(self.parameters)
        values["initial_state"] = dict(self.initial_state)
        return (_rebuild, (values,))

    @property
    def first_treatment_start(self) -> float | None:
        """Start of the earliest treatment other than ``parameter_change``, if any."""
        starts = [t.start for t in self.treatments if t.type != "parameter_change"]
        return min(starts) if starts else None


def change_times(scenario: Scenario) -> list[float]:
    """Sorted times in ``[0, duration]`` where an input or a treatment may change, both ends
    included: the boundaries of the integration segments."""
    times = {0.0, scenario.duration}
    for profile in (scenario.lumbar_pain, scenario.disc_degeneration, scenario.ergonomic_load):
        times.update(profile.breakpoints)
    for treatment in scenario.treatments:
        times.update((treatment.start, treatment.stop))
    return sorted(t for t in times if 0.0 <= t <= scenario.duration)


def _rebuild(values: dict) -> Scenario:
    return Scenario(**values)
