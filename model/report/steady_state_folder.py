"""The output folder of ``lbp-headache steady-states``: tables, summary and figures.

``fixed_points.csv``: one row per steady state and value of the varied
quantity (``index`` counts the steady states by rising threshold), with every
state and ``stable``. ``bistability.csv`` (with a second varied parameter):
one row per point of the plane and its class. ``summary.json``: the constant
inputs, the folds, the values with two stable states, the classes' shares,
provenance, the disclaimer and the red flags. ``steady_states.png`` and
``bistability.png``: :mod:`.steady_state_figures`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
from lbp_headache.analysis.steady_states import (
    CLASS_NAMES,
    LUMBAR_PAIN,
    THRESHOLD_GRID,
    THRESHOLD_XTOL,
    Branches,
    ConstantInputs,
    bistability_map,
    branches,
    scenario_inputs,
    slow_ramp,
)
from lbp_headache.core.disclaimer import DISCLAIMER, RED_FLAGS
from lbp_headache.core.parameters import parameter_vector
from lbp_headache.core.states import STATE_NAMES, THRESHOLD
from lbp_headache.files.json_data import to_json
from lbp_headache.files.output_folder import OutputFolder
from lbp_headache.files.provenance import now, provenance
from lbp_headache.report.figure_style import figure_png
from lbp_headache.report.run_folder import FLOAT_FORMAT
from lbp_headache.report.steady_state_figures import bifurcation_figure, bistability_figure
from lbp_headache.scenario.record import Scenario

OPTIONAL_FILES = ("bistability.csv", "steady_states.png", "bistability.png")


@dataclass(frozen=True)
class SteadyStateRequest:
    """What to compute: the varied quantities, their ranges and grid sizes, the day."""

    vary: str = LUMBAR_PAIN
    low: float = 0.0
    high: float = 10.0
    points: int = 201
    vary2: str | None = None
    low2: float = 0.0
    high2: float = 1.0
    points2: int = 61
    day: float | None = None  # default: the scenario's last day
    ramp: bool = True


@dataclass(frozen=True)
class SteadyStateOutcome:
    branches: Branches
    inputs: ConstantInputs
    classes: np.ndarray | None
    files: tuple[str, ...]


def fixed_points_csv(result: Branches) -> str:
    """``fixed_points.csv`` (module docstring)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([result.vary, "index", "stable", *STATE_NAMES, "sensitization", "headache"])
    for value, points in zip(result.values, result.points):
        for index, point in enumerate(points):
            writer.writerow([FLOAT_FORMAT % value, index, int(point.stable),
                             *(FLOAT_FORMAT % x for x in point.states),
                             FLOAT_FORMAT % (1.0 - point.states[THRESHOLD]),
                             FLOAT_FORMAT % point.headache])
    return out.getvalue()


def bistability_csv(classes: np.ndarray, vary: str, values, vary2: str, values2) -> str:
    """``bistability.csv``: ``vary``, ``vary2``, ``class`` and its name, one row per point."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([vary, vary2, "class", "meaning"])
    for row, value2 in enumerate(values2):
        for column, value in enumerate(values):
            k = int(classes[row, column])
            writer.writerow([FLOAT_FORMAT % value, FLOAT_FORMAT % value2, k,
                             CLASS_NAMES[k]])
    return out.getvalue()


def run_steady_states(scenario: Scenario, request: SteadyStateRequest, out,
                      overrides: Mapping[str, float] | None = None, *,
                      figures: bool = True) -> SteadyStateOutcome:
    """Compute the steady states of ``scenario`` as ``request`` asks and write ``out``."""
    started = now()
    p = parameter_vector({**scenario.parameters, **dict(overrides or {})})
    day = scenario.duration if request.day is None else request.day
    inputs = scenario_inputs(scenario, day, p)
    values = np.linspace(request.low, request.high, request.points)
    result = branches(p, inputs, request.vary, values)
    classes = values2 = None
    if request.vary2 is not None:
        values2 = np.linspace(request.low2, request.high2, request.points2)
        classes = bistability_map(p, inputs, request.vary, values, request.vary2, values2)
    ramp = None
    if figures and request.ramp and request.vary == LUMBAR_PAIN:
        ramp = slow_ramp(scenario, peak=request.high, overrides=overrides)
    bistable = result.bistable_values()
    summary = {
        "scenario": scenario.name,
        "day": day,
        "constant_inputs": asdict(inputs),
        "vary": request.vary, "range": [request.low, request.high], "points": request.points,
        "folds": result.folds(),
        "bistable": ({"from": float(bistable.min()), "to": float(bistable.max()),
                      "values": int(bistable.size)} if bistable.size else None),
        "steady_states_per_value": [len(points) for points in result.points],
        "provenance": provenance(
            started=started,
            inputs={scenario.source: scenario.source_hash} if scenario.source else {},
            settings={"overrides": dict(overrides or {}), "threshold_grid": THRESHOLD_GRID,
                      "threshold_xtol": THRESHOLD_XTOL, "request": asdict(request)}),
        "disclaimer": DISCLAIMER, "red_flags": list(RED_FLAGS),
    }
    if classes is not None:
        summary["plane"] = {"vary2": request.vary2, "range2": [request.low2, request.high2],
                            "points2": request.points2,
                            "shares": {CLASS_NAMES[k]: float(np.mean(classes == k))
                                       for k in range(len(CLASS_NAMES))}}
    written = []
    with OutputFolder(out) as folder:
        folder.write_text("fixed_points.csv", fixed_points_csv(result))
        written.append("fixed_points.csv")
        if classes is not None:
            folder.write_text("bistability.csv", bistability_csv(
                classes, request.vary, values, request.vary2, values2))
            written.append("bistability.csv")
        if figures:
            title = f"{scenario.name}: steady states, inputs held at day {day:g}"
            folder.write_bytes("steady_states.png",
                               figure_png(bifurcation_figure(result, title, ramp)))
            written.append("steady_states.png")
            if classes is not None:
                folder.write_bytes("bistability.png", figure_png(bistability_figure(
                    classes, request.vary, values, request.vary2, values2,
                    f"{scenario.name}: where the pain threshold is bistable")))
                written.append("bistability.png")
        folder.write_text("summary.json", to_json(summary))
        written.append("summary.json")
        for name in OPTIONAL_FILES:  # an earlier run's plane or figures, not this run's
            if name not in written and folder.owns(name):
                folder.remove(name)
    return SteadyStateOutcome(result, inputs, classes, tuple(written))
