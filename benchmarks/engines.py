"""The engines measured side by side: libRoadRunner, the batch engine, solve_ivp."""

from __future__ import annotations

import math
import time

import benchlib
import numpy as np
from settings import TIGHT_ATOL, TIGHT_MAX_STEPS, TIGHT_RTOL

# --- engines --------------------------------------------------------------------------------

def load_roadrunner(sbml: str, tight: bool):
    """A RoadRunner for ``sbml`` (default CVODE tolerances, or tight ones) and its load time."""
    import roadrunner

    started = time.perf_counter()
    rr = roadrunner.RoadRunner(sbml)
    seconds = time.perf_counter() - started
    if tight:
        rr.integrator.relative_tolerance = TIGHT_RTOL
        rr.integrator.absolute_tolerance = TIGHT_ATOL
        rr.integrator.maximum_num_steps = TIGHT_MAX_STEPS
    return rr, seconds


def integrator_settings(rr) -> dict:
    """The CVODE settings in effect."""
    integrator = rr.integrator
    return {"name": integrator.getName(), "rtol": integrator.relative_tolerance,
            "atol": integrator.absolute_tolerance,
            "max_steps": integrator.maximum_num_steps}


def rr_headache(rr, names: tuple[str, ...], row: list[float], days: int) -> np.ndarray:
    """One run as docs/sbml.md prescribes: resetAll, set all parameters, reset, simulate."""
    rr.resetAll()
    for name, value in zip(names, row):
        rr[name] = value
    rr.reset()
    return rr.simulate(0, days, days + 1, selections=["time", "headache"])[:, 1]


def rr_loop(rr, rows: np.ndarray, days: int) -> dict:
    """Run every row; headache (NaN for a failed run), time of each run and the loop's wall."""
    from lbp_headache.core.parameters import NAMES

    headache = np.full((rows.shape[0], days + 1), np.nan)
    times = np.empty(rows.shape[0])
    failures = []
    started, cpu = time.perf_counter(), time.process_time()
    for k, row in enumerate(rows.tolist()):
        before = time.perf_counter()
        try:
            headache[k] = rr_headache(rr, NAMES, row, days)
        except RuntimeError as error:  # CVODE failures surface as RuntimeError
            failures.append(f"set {k}: {error}")
        times[k] = time.perf_counter() - before
    return {"headache": headache, "times": times, "wall": time.perf_counter() - started,
            "cpu": time.process_time() - cpu, "failures": failures}


def engine_run(scenario, rows: np.ndarray, *, threads: int = 1, settings=None,
               record: tuple[str, ...] | None = None) -> tuple[object, float, float]:
    """``simulate_batch`` on ``rows`` (headache components only, unless ``record``).

    Returns the result, the wall time and the CPU time of this process (all
    threads) during the call.
    """
    from lbp_headache.core.states import HEADACHE_COMPONENTS
    from lbp_headache.engine.batch import BatchSettings, simulate_batch

    started, cpu = time.perf_counter(), time.process_time()
    result = simulate_batch(scenario, rows, settings=settings or BatchSettings(),
                            threads=threads, record=record or HEADACHE_COMPONENTS)
    return result, time.perf_counter() - started, time.process_time() - cpu


def engine_headache(result, days: int) -> np.ndarray:
    """Daily headache (sum of the four components) of every set; NaN rows for failed sets."""
    from lbp_headache.core.states import HEADACHE_COMPONENTS

    index = [result.names.index(name) for name in HEADACHE_COMPONENTS]
    headache = result.states[:, :days + 1, index].sum(axis=2)
    headache[result.status != 0] = np.nan
    return headache


def solve_ivp_loop(scenario, rows: np.ndarray, settings) -> dict:
    """``lbp_headache.simulate`` for every row (every parameter as an override); daily headache."""
    from lbp_headache import SolverError, simulate
    from lbp_headache.core.parameters import NAMES

    headache = None
    times = np.empty(rows.shape[0])
    failures = []
    started = time.perf_counter()
    for k, row in enumerate(rows):
        before = time.perf_counter()
        try:
            daily = simulate(scenario, overrides=dict(zip(NAMES, row)),
                             settings=settings).daily["headache"]
        except SolverError as error:
            failures.append(f"set {k}: {error}")
            daily = None
        times[k] = time.perf_counter() - before
        if headache is None and daily is not None:
            headache = np.full((rows.shape[0], daily.size), np.nan)
        if daily is not None:
            headache[k] = daily
    return {"headache": headache, "times": times, "wall": time.perf_counter() - started,
            "failures": failures}


def error_summary(headache: np.ndarray, reference: np.ndarray) -> dict:
    """Largest and median relative headache error over the sets that ran."""
    errors = benchlib.relative_errors(headache, reference)
    ran = np.isfinite(errors)
    return {"max": float(np.max(errors[ran])) if ran.any() else math.nan,
            "median": float(np.median(errors[ran])) if ran.any() else math.nan,
            "failed": int((~ran).sum()), "sets": int(errors.size)}


