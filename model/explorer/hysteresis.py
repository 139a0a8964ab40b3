"""The hysteresis view: raise the back pain slowly, lower it again, and watch the threshold.

Central sensitization may be bistable (science.md behaviour 4; in part of the
population, docs/model.md "Chronification"): on the way up the pain threshold
falls, abruptly or gradually, and on the way down it recovers at a lower back
pain, gradually, or not at all (the system is "stuck" sensitized). With the
current parameters, the lumbar pain rises linearly from 0 to ``peak`` over
``ramp`` days, falls back to 0 over the same time, and stays at 0 for half
that time; the page draws the threshold against the lumbar pain (a loop) and
marks where it jumps, if it does: the steepest fall on the way up and the
steepest recovery on the way down.

Why late treatment is harder: the same treatments started early (month 2)
and late (month 8) in the current scenario; a late start meets a threshold
already on the sensitized branch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from lbp_headache.core.calendar import CALENDAR_MONTH_DAYS
from lbp_headache.explorer.live import Runner
from lbp_headache.explorer.settings import COURSE_TYPES

DEFAULT_PEAK = 7.0
DEFAULT_RAMP = 365.25  # days up, and as many down
EARLY, LATE = 2 * CALENDAR_MONTH_DAYS, 8 * CALENDAR_MONTH_DAYS
EXAMPLE_TREATMENT = {"type": "neuropathic_medication", "drug": "duloxetine", "dose": 60.0,
                     "start": EARLY, "stop": None, "adherence": 1.0}
RECOVERED = 0.95  # a threshold above this at the end counts as recovered
JUMP_RATIO = 3.0  # a jump: the steepest change this many times the average (see _jump)


def loop_settings(settings: Mapping, peak: float, ramp: float) -> dict:
    """The current parameters under a slow rise and fall of back pain, no treatment."""
    return {
        "name": "hysteresis loop", "duration": 2.5 * ramp,
        "lumbar_pain": {"kind": "points", "points": [[0.0, 0.0], [ramp, peak],
                                                     [2.0 * ramp, 0.0]]},
        "disc_degeneration": {"kind": "constant", "value": 0.0},
        "ergonomic_load": {"kind": "constant", "value": 0.0},
        "parameters": dict(settings.get("parameters") or {}),
        "treatments": [],
    }


def _jump(days: np.ndarray, lumbar: np.ndarray, threshold: np.ndarray, part: slice,
          sign: float) -> dict | None:
    """The day of the steepest change of sign ``sign`` in ``part``, if it is a jump.

    A jump is a change of at least 0.1 % per day that is at least
    :data:`JUMP_RATIO` times steeper than the threshold's average change over
    the part: a switch concentrated in weeks, not a fall spread over the ramp
    (measured on a 12-month ramp to 7: 4.3 times for the earlier knife-edge
    structure, 2.3 for today's default and susceptible patients).
    """
    rate = np.gradient(threshold[part], days[part]) * sign
    if rate.size < 2 or float(np.max(rate)) < 1e-3:  # less than 0.1 % per day: no jump
        return None
    span = float(days[part][-1] - days[part][0])
    average = float(np.ptp(threshold[part])) / span
    if float(np.max(rate)) < JUMP_RATIO * average:
        return None
    k = int(np.argmax(rate)) + (part.start or 0)
    return {"day": float(days[k]), "lumbar_pain": float(lumbar[k]),
            "pain_threshold": float(threshold[k])}


def hysteresis(runner: Runner, settings: Mapping, *, peak: float = DEFAULT_PEAK,
               ramp: float = DEFAULT_RAMP) -> dict:
    """The loop, its jumps, and early against late treatment (see the module docstring)."""
    if not (0.0 < peak <= 10.0) or not (30.0 <= ramp <= 3 * 365.25) or math.isnan(ramp):
        raise ValueError("peak must be in (0, 10] and ramp between 30 days and 3 years")
    run = runner.run(loop_settings(settings, peak, ramp))["run"]
    days = np.array(run["days"])
    lumbar = np.array(run["columns"]["lumbar_pain"])
    threshold = np.array(run["columns"]["pain_threshold"])
    top = int(np.searchsorted(days, ramp))
    return {
        "lumbar_pain": run["columns"]["lumbar_pain"],
        "pain_threshold": run["columns"]["pain_threshold"],
        "rising_until": top,
        "falls_at": _jump(days, lumbar, threshold, slice(0, top + 1), -1.0),
        "recovers_at": _jump(days, lumbar, threshold, slice(top, None), 1.0),
        "final_threshold": float(threshold[-1]),
        "stuck": bool(threshold[-1] < RECOVERED and np.min(threshold) < RECOVERED),
        "timing": treatment_timing(runner, settings),
    }


def treatment_timing(runner: Runner, settings: Mapping) -> dict:
    """The current treatments (or duloxetine, without any) started at month 2 and month 8."""
    courses = [dict(c) for c in settings.get("treatments") or [] if c.get("type") in COURSE_TYPES]
    example = not courses
    courses = courses or [dict(EXAMPLE_TREATMENT)]
    first = min(float(c.get("start", 0.0)) for c in courses)
    duration = max(float(settings.get("duration", 0.0)), LATE + 10 * CALENDAR_MONTH_DAYS)
    answer = {"example": example, "treatments": [c["type"] for c in courses]}
    for label, start in (("early", EARLY), ("late", LATE)):
        shifted = []
        for course in courses:
            moved = dict(course, start=float(course.get("start", 0.0)) - first + start)
            if course.get("stop") is not None:
                moved["stop"] = float(course["stop"]) - first + start
            shifted.append(moved)
        variant = {**settings, "duration": duration, "treatments": shifted,
                   "other_treatments": [],
                   "name": f"treatment from month {start / CALENDAR_MONTH_DAYS:g}"}
        run = runner.run(variant)["run"]
        threshold = run["columns"]["pain_threshold"]
        k = int(np.searchsorted(np.array(run["days"]), start))
        answer[label] = {"start_month": start / CALENDAR_MONTH_DAYS,
                         "threshold_at_start": threshold[min(k, len(threshold) - 1)],
                         "final_threshold": threshold[-1],
                         "headache_days_per_month": run["metrics"]["headache_days_per_month"]}
    return answer
