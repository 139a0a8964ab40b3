"""Inputs that differ between patients: each follows its own back-pain course.

A scenario gives every parameter set the same input profiles. A virtual
population varies them too: patient ``i`` follows one of a few lumbar-pain
*courses* (for example the persistent and the recovering natural histories),
scaled by ``lumbar_scale[i]`` and by an optional week-to-week *fluctuation*
factor, plus optional back-pain *flares* on a weekly grid; its disc
degeneration and ergonomic load are the scenario's profiles times a scale plus
a level. All patients share one schedule: the segment boundaries of the
scenario, of every course and (with flares or a fluctuation) of every week, so
every patient's inputs are exactly linear within every segment and the batch
engine runs them side by side.

With ``lumbar_scale = 1``, course = the scenario's own profile, disc and
ergonomic scale 1 and level 0, no fluctuation and no flares, the inputs are the
scenario's, bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from lbp_headache.core.states import (
    U_DISC,
    U_DISC_SLOPE,
    U_ERGO,
    U_ERGO_SLOPE,
    U_LUMBAR,
    U_LUMBAR_SLOPE,
)
from lbp_headache.scenario.profiles import Profile, from_points
from lbp_headache.scenario.record import Scenario

WEEK_DAYS = 7.0
LUMBAR_MAX = 10.0


@dataclass(frozen=True)
class PatientInputs:
    """Per-patient input profiles (see the module docstring).

    Attributes
    ----------
    courses
        Candidate raw lumbar-pain profiles (0-10).
    course
        ``(n,)`` index into ``courses`` for each patient.
    lumbar_scale
        ``(n,)`` factor on the patient's course.
    disc_scale, disc_level
        ``(n,)``: disc degeneration = scale x the scenario's profile + level.
    ergonomic_scale, ergonomic_level
        ``(n,)``: ergonomic load likewise.
    flares
        ``(n, n_weeks)`` extra lumbar pain during each week (0 = none), or an
        empty ``(n, 0)`` array for no flares.
    fluctuation
        ``(n, n_weeks)`` factor on the patient's course during each week (1 = none),
        or an empty ``(n, 0)`` array for none. It multiplies the course's value and
        slope, so the pain stays linear within each segment and never negative.
    """

    courses: tuple[Profile, ...]
    course: np.ndarray
    lumbar_scale: np.ndarray
    disc_scale: np.ndarray
    disc_level: np.ndarray
    ergonomic_scale: np.ndarray
    ergonomic_level: np.ndarray
    flares: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    fluctuation: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    @property
    def n(self) -> int:
        return int(np.asarray(self.course).size)

    def rows(self, lo: int, hi: int) -> PatientInputs:
        """The inputs of patients ``lo .. hi - 1`` (for chunks)."""
        flares = self.flares[lo:hi] if self.flares.size else np.zeros((hi - lo, 0))
        fluctuation = (self.fluctuation[lo:hi] if self.fluctuation.size
                       else np.zeros((hi - lo, 0)))
        return replace(self, course=self.course[lo:hi], lumbar_scale=self.lumbar_scale[lo:hi],
                       disc_scale=self.disc_scale[lo:hi], disc_level=self.disc_level[lo:hi],
                       ergonomic_scale=self.ergonomic_scale[lo:hi],
                       ergonomic_level=self.ergonomic_level[lo:hi], flares=flares,
                       fluctuation=fluctuation)

    def schedule(self, scenario: Scenario) -> Scenario:
        """``scenario`` with a lumbar profile whose breakpoints are every course's (and, with
        flares or a fluctuation, every week's): the shared schedule. Its values are replaced
        per patient."""
        times = {0.0}
        for course in self.courses:
            times.update(course.breakpoints)
        times.update(scenario.lumbar_pain.breakpoints)
        weeks = max(self.flares.shape[1] if self.flares.size else 0,
                    self.fluctuation.shape[1] if self.fluctuation.size else 0)
        times.update(WEEK_DAYS * w for w in range(1, weeks + 1))
        times = sorted(t for t in times if t < scenario.duration)
        # Distinct values, so that no breakpoint is merged away (the values are replaced).
        marker = from_points(times, list(range(len(times))), kind="step") if len(times) > 1 \
            else scenario.lumbar_pain
        return replace(scenario, lumbar_pain=marker)

    def lumbar_linear(self, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Raw lumbar pain and its slope at each segment start, per patient ``(n, segments)``."""
        table = np.array([[course.linear_at(float(t)) for t in starts]
                          for course in self.courses]).reshape(len(self.courses), starts.size, 2)
        chosen = table[np.asarray(self.course, dtype=np.int64)]
        value = chosen[:, :, 0] * self.lumbar_scale[:, None]
        slope = chosen[:, :, 1] * self.lumbar_scale[:, None]
        if self.fluctuation.size:
            factor = self._weekly(self.fluctuation, starts, 1.0)
            value = value * factor
            slope = slope * factor
        if self.flares.size:
            value = value + self._weekly(self.flares, starts, 0.0)
        return value, slope

    def segment_inputs(self, scenario: Scenario, inputs: np.ndarray,
                       starts: np.ndarray) -> np.ndarray:
        """``inputs`` (``(n, segments, n_inputs)`` from the shared schedule) with each
        patient's own profile values and slopes."""
        inputs = np.array(inputs, dtype=float)
        value, slope = self.lumbar_linear(starts)
        inputs[:, :, U_LUMBAR] = value
        inputs[:, :, U_LUMBAR_SLOPE] = slope
        for profile, scale, level, at, at_slope in (
                (scenario.disc_degeneration, self.disc_scale, self.disc_level, U_DISC,
                 U_DISC_SLOPE),
                (scenario.ergonomic_load, self.ergonomic_scale, self.ergonomic_level, U_ERGO,
                 U_ERGO_SLOPE)):
            linear = np.array([profile.linear_at(float(t)) for t in starts]).reshape(-1, 2)
            inputs[:, :, at] = scale[:, None] * linear[None, :, 0] + level[:, None]
            inputs[:, :, at_slope] = scale[:, None] * linear[None, :, 1]
        return inputs

    def lumbar_at(self, days: np.ndarray) -> np.ndarray:
        """Raw lumbar pain of every patient on ``days`` ``(n, days)``."""
        days = np.asarray(days, dtype=float)
        table = np.array([course(days) for course in self.courses])
        value = table[np.asarray(self.course, dtype=np.int64)] * self.lumbar_scale[:, None]
        if self.fluctuation.size:
            value = value * self._weekly(self.fluctuation, days, 1.0)
        if self.flares.size:
            value = value + self._weekly(self.flares, days, 0.0)
        return value

    @staticmethod
    def _weekly(grid: np.ndarray, days: np.ndarray, outside: float) -> np.ndarray:
        """``grid[:, week of day]`` for every day (``outside`` after the grid's last week)."""
        week = np.minimum((days // WEEK_DAYS).astype(np.int64), grid.shape[1] - 1)
        inside = days < WEEK_DAYS * grid.shape[1]
        return np.where(inside[None, :], grid[:, week], outside)

    def disc_at(self, scenario: Scenario, days: np.ndarray) -> np.ndarray:
        return (self.disc_scale[:, None] * scenario.disc_degeneration(days)[None, :]
                + self.disc_level[:, None])

    def ergonomic_at(self, scenario: Scenario, days: np.ndarray) -> np.ndarray:
        return (self.ergonomic_scale[:, None] * scenario.ergonomic_load(days)[None, :]
                + self.ergonomic_level[:, None])


def scenario_inputs(scenario: Scenario, n: int, courses: Sequence[Profile] = ()) -> PatientInputs:
    """Inputs that reproduce ``scenario`` for ``n`` patients (the identity)."""
    ones, zeros = np.ones(n), np.zeros(n)
    return PatientInputs((scenario.lumbar_pain, *courses), np.zeros(n, dtype=np.int64), ones,
                         ones, zeros, ones, zeros, np.zeros((n, 0)))
