"""Shared builders for the test suite: scenarios, input vectors and synthetic results.

Plain functions (not fixtures) so every test states which scenario it runs.
"""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import numpy as np
from lbp_headache.core.parameters import parameter_vector
from lbp_headache.core.states import N_SEGMENT_INPUTS, U_DISC, U_ERGO, U_LUMBAR
from lbp_headache.engine.result import COLUMNS, Result
from lbp_headache.engine.solver import SolverSettings
from lbp_headache.scenario import profiles
from lbp_headache.scenario.record import Scenario
from lbp_headache.scenario.treatments import Treatment

TREATMENT_START = 182.0
TREATED_DURATION = 548.0


def constant_inputs(lumbar: float = 0.0, disc: float = 0.0, ergonomic: float = 0.0) -> np.ndarray:
    """Segment-input vector for constant inputs and no treatment (segment starting at 0)."""
    u = np.zeros(N_SEGMENT_INPUTS)
    u[U_LUMBAR] = lumbar
    u[U_DISC] = disc
    u[U_ERGO] = ergonomic
    return u


def treated_base(treatments: tuple[Treatment, ...] = (), **kwargs) -> Scenario:
    """The treatment-comparison base: persistent LBP, disc 0.2, ergonomic load 0.3, 548 days."""
    fields = {
        "duration": TREATED_DURATION,
        "lumbar_pain": profiles.natural_history("persistent"),
        "disc_degeneration": profiles.constant(0.2),
        "ergonomic_load": profiles.constant(0.3),
        "treatments": treatments,
    }
    return Scenario("treated-base", **{**fields, **kwargs})


def all_treatments() -> tuple[Treatment, ...]:
    """Every treatment type in overlapping windows inside one year."""
    return (
        Treatment("physical_therapy", 60.0, 240.0),
        Treatment("ergonomics", 90.0, 300.0),
        Treatment("nsaid", 120.0, 150.5),
        Treatment("neuropathic_medication", 150.0, 330.0, drug="duloxetine"),
    )


def demanding_scenario(duration: float = 365.0) -> Scenario:
    """Persistent pain, disc 0.8, ergonomic load 1 and every treatment in windows."""
    return Scenario(
        "demanding",
        duration=duration,
        lumbar_pain=profiles.natural_history("persistent"),
        disc_degeneration=profiles.constant(0.8),
        ergonomic_load=profiles.constant(1.0),
        treatments=all_treatments(),
    )


def max_relative_error(values: np.ndarray, reference: np.ndarray, floor: float = 0.1) -> float:
    """``max |values - reference| / max(|reference|, floor)``."""
    scale = np.maximum(np.abs(reference), floor)
    return float(np.max(np.abs(values - reference) / scale))


def cvode_headache(scenario: Scenario, parameter_sets: np.ndarray, *, rtol: float = 1e-10,
                   atol: float = 1e-12) -> np.ndarray:
    """Daily headache of every full parameter row from libRoadRunner's CVODE on the SBML export.

    One model, loaded once; each run follows docs/sbml.md (``resetAll``, every
    parameter set by name, ``reset``, ``simulate`` on days ``0 .. floor(duration)``).
    A run CVODE cannot finish gives a row of NaN. Needs libroadrunner and python-libsbml.
    """
    import roadrunner  # lazy: an optional test dependency (the sbml and roadrunner extras)
    from lbp_headache.core.parameters import NAMES
    from lbp_headache.report.sbml_export import scenario_to_sbml

    rr = roadrunner.RoadRunner(scenario_to_sbml(scenario))
    rr.integrator.relative_tolerance = rtol
    rr.integrator.absolute_tolerance = atol
    rr.integrator.maximum_num_steps = 100_000
    last = math.floor(scenario.duration + 1e-9)
    headache = np.full((parameter_sets.shape[0], last + 1), np.nan)
    for k, row in enumerate(parameter_sets.tolist()):
        rr.resetAll()
        for name, value in zip(NAMES, row):
            rr[name] = value
        rr.reset()
        try:
            headache[k] = rr.simulate(0, last, last + 1, selections=["headache"])[:, 0]
        except RuntimeError:  # CVODE failures surface as RuntimeError
            pass
    return headache


def synthetic_result(
    daily: dict[str, np.ndarray],
    *,
    treatments: tuple[Treatment, ...] = (),
    overrides: dict[str, float] | None = None,
) -> Result:
    """A :class:`Result` built by hand from whole-day arrays (missing columns are zero).

    ``headache`` is set to the sum of the four components unless given.
    """
    n = len(next(iter(daily.values())))
    table = {name: np.zeros(n) for name in COLUMNS}
    table.update({name: np.asarray(v, dtype=float) for name, v in daily.items()})
    if "headache" not in daily:
        table["headache"] = (
            table["headache_tension_type"]
            + table["headache_cervicogenic"]
            + table["headache_migraine"]
            + table["headache_sensitization"]
        )
    if "pain_threshold" not in daily:
        table["pain_threshold"] = np.ones(n)
    scenario = Scenario("synthetic", duration=float(n - 1), treatments=treatments)
    return Result(
        scenario=scenario,
        parameters=parameter_vector(overrides),
        settings=SolverSettings(),
        time=np.arange(n, dtype=float),
        columns=dict(table),
        daily=dict(table),
    )


def crossing_time(t: np.ndarray, values: np.ndarray, level: float) -> float:
    """First time a monotone series crosses ``level`` (linear interpolation)."""
    above = (values - level) * np.sign(values[0] - level)
    k = int(np.argmax(above <= 0.0))
    if k == 0:
        raise ValueError("series never crosses the level")
    t0, t1, v0, v1 = t[k - 1], t[k], values[k - 1], values[k]
    return float(t0 + (level - v0) * (t1 - t0) / (v1 - v0))


def lagged_coupling(cause: np.ndarray, effect: np.ndarray, max_lag: int = 7) -> float:
    """Largest Pearson correlation of ``effect`` with ``cause`` delayed by 0..max_lag days."""
    best = -math.inf
    for lag in range(max_lag + 1):
        c = cause[: cause.size - lag]
        e = effect[lag:]
        best = max(best, float(np.corrcoef(c, e)[0, 1]))
    return best


_ABSOLUTE_SCENARIO = re.compile(r"(?m)^(\s*(?:-\s+|scenario:\s+))(/\S+\.yaml)\s*$")


def localize_scenarios(text: str, folder: Path) -> str:
    """Copy each scenario file a sweep text names by absolute path into ``folder`` and name
    it by file name instead (files may name only relative paths inside the input root)."""

    def local(match: re.Match) -> str:
        source = Path(match.group(2))
        target = folder / source.name
        if source.resolve() != target.resolve():
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        return f"{match.group(1)}{source.name}"

    return _ABSOLUTE_SCENARIO.sub(local, text)


def listing(folder: Path) -> list[str]:
    """Names in ``folder``, sorted, without the tool's manifest and lock file."""
    from lbp_headache.files.output_folder import LOCK, MANIFEST

    return sorted(p.name for p in folder.iterdir() if p.name not in (MANIFEST, LOCK))


def saturated_posture(compensation):
    """The posture target for a compensation ``C`` (deg), written out independently of the
    model: ``C / (1 + (C / 60)^4)^(1/4)`` (docs/model.md §1)."""
    return compensation / (1.0 + (compensation / 60.0) ** 4) ** 0.25
