"""Benchmark the compiled batch engine against libRoadRunner and scipy, side by side.

Usage::

    python benchmarks/run.py            # full run (a few minutes on 2 cores)
    python benchmarks/run.py --quick    # smaller counts, about a minute
    python benchmarks/run.py --million  # full run plus a 1,000,000-set sweep (several minutes more)

Every measurement runs in this one invocation on the bundled scenario
``scenarios/persistent_back_pain.yaml`` (12 months; daily output on days
0..365), with the same seeded parameter sets for every engine: uniform draws
over the full range of every one of the 56 table parameters. Speed is measured
in interleaved rounds (libRoadRunner, then the batch engine, then again ...)
and the medians are compared, so background load hits both alike.

The Markdown report goes to stdout and, atomically, to ``benchmarks/results.md``
(``--quick``: ``benchmarks/results-quick.md``; ``--output`` overrides), with the
raw numbers next to it as ``.json``. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import benchlib
import numpy as np

HERE = Path(__file__).resolve().parent
MILLION = 1_000_000
SWEEP_TARGET_SETS = 10_000  # the size the 1-second sweep target is stated for
SWEEP_WORKERS = 2
TIGHT_RTOL, TIGHT_ATOL, TIGHT_MAX_STEPS = 1e-10, 1e-12, 100_000
PROJECT_ERROR_BOUND = 1e-5  # TOLERANCE of tests/test_batch.py


@dataclass(frozen=True)
class Counts:
    """How many sets and repetitions each measurement uses."""

    accuracy_sets: int      # sets compared with the Radau reference (every engine)
    rr_sets: int            # libRoadRunner loop, per round
    batch_sets: int         # batch engine on one core, per round
    rounds: int             # interleaved rounds of the two above
    lsoda_sets: int         # solve_ivp LSODA loop
    single_repeats: int     # one-set simulate_batch calls
    breakdown_repeats: int  # libRoadRunner per-call cost breakdown
    sweep_sets: int         # the "10,000-set sweep on 2 cores"
    sweep_rounds: int
    warm_repeats: int       # cache-hit subprocesses
    diagnostic_sets: int    # engine settings variations (one round each)
    memory_sweeps: tuple[int, ...]  # run_sweep in a subprocess: sets per run


FULL = Counts(accuracy_sets=32, rr_sets=150, batch_sets=1000, rounds=15, lsoda_sets=20,
              single_repeats=300, breakdown_repeats=100, sweep_sets=10_000, sweep_rounds=3,
              warm_repeats=3, diagnostic_sets=1000, memory_sweeps=(10_000, 100_000))
QUICK = Counts(accuracy_sets=6, rr_sets=60, batch_sets=300, rounds=5, lsoda_sets=5,
               single_repeats=50, breakdown_repeats=20, sweep_sets=2000, sweep_rounds=1,
               warm_repeats=1, diagnostic_sets=200, memory_sweeps=(2000, 10_000))


def log(message: str) -> None:
    """Progress on stderr with the time of day."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- machine ------------------------------------------------------------------------------

def machine_info() -> dict:
    """CPU model, cores, memory, load and the versions of the numerical packages."""
    import lbp_headache
    import numba
    import roadrunner
    import scipy

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    try:
        libsbml_version = __import__("libsbml").getLibSBMLDottedVersion()
    except ImportError:
        libsbml_version = "not installed"
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory": memory,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "numba": numba.__version__,
        "libroadrunner": roadrunner.__version__,
        "libsbml": libsbml_version,
        "lbp-headache": lbp_headache.__version__,
        "load_before": os.getloadavg(),
    }


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
    """``lbp_headache.simulate`` for every row (all 56 parameters as overrides); daily headache."""
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


# --- the measurements -----------------------------------------------------------------------

def run_child(arguments: list[str], env: dict | None = None) -> dict:
    """Run ``child.py`` with ``arguments``; its JSON report plus the process wall time."""
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, str(HERE / "child.py"), *arguments], capture_output=True, text=True,
        env={**os.environ, **(env or {})}, cwd=benchlib.ROOT, check=False)
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        return {"error": f"exit {completed.returncode}: {completed.stderr.strip()[-2000:]}",
                "process_s": wall}
    return {**json.loads(completed.stdout.strip().splitlines()[-1]), "process_s": wall}


def measure_compile(counts: Counts) -> dict:
    """First call with an empty compile cache, then with the cache it left (subprocesses)."""
    with tempfile.TemporaryDirectory(prefix="lbp-bench-cache-") as cache:
        env = {"LBP_HEADACHE_CACHE": cache}
        log("compile: first call with an empty cache (subprocess)")
        cold = run_child(["first-call"], env)
        log("compile: first call with the filled cache (subprocess)")
        warm = [run_child(["first-call"], env) for _ in range(counts.warm_repeats)]
    return {"cold": cold, "warm": warm}


def measure_roadrunner_load(sbml: str, repeats: int = 3) -> dict:
    """Median time to build a RoadRunner from the exported SBML text."""
    seconds = [load_roadrunner(sbml, tight=False)[1] for _ in range(repeats)]
    return {"load_s": float(np.median(seconds)), "all_s": seconds}


def measure_accuracy(scenario, rows: np.ndarray, rr_default, rr_tight) -> dict:
    """Every engine against the Radau reference on the same accuracy sets."""
    from lbp_headache import REFERENCE_SETTINGS
    from lbp_headache.engine.solver import SolverSettings

    days = len(scenario_days(scenario)) - 1
    log(f"accuracy: Radau rtol 1e-10 reference on {rows.shape[0]} sets")
    reference = solve_ivp_loop(scenario, rows, REFERENCE_SETTINGS)
    log("accuracy: LSODA, libRoadRunner (default and tight), batch engine")
    lsoda = solve_ivp_loop(scenario, rows, SolverSettings())
    rr_d = rr_loop(rr_default, rows, days)
    rr_t = rr_loop(rr_tight, rows, days)
    result, _, _ = engine_run(scenario, rows)
    ref = reference["headache"]
    return {
        "reference": ref,
        "reference_time_s": float(np.median(reference["times"])),
        "reference_failures": reference["failures"],
        "lsoda": error_summary(lsoda["headache"], ref),
        "rr_default": error_summary(rr_d["headache"], ref),
        "rr_tight": error_summary(rr_t["headache"], ref),
        "batch": error_summary(engine_headache(result, days), ref),
        "failures": {"lsoda": lsoda["failures"], "rr_default": rr_d["failures"],
                     "rr_tight": rr_t["failures"]},
    }


def scenario_days(scenario) -> np.ndarray:
    """The daily grid 0..floor(duration) that every engine is compared on."""
    from lbp_headache.engine.batch import day_grid

    return day_grid(scenario.duration)


def measure_throughput(scenario, rows: np.ndarray, counts: Counts, rr_default, rr_tight) -> dict:
    """Interleaved rounds: libRoadRunner loops (both tolerances), batch engine on one core.

    Rates are per wall second (the headline) and per CPU second of this
    process (less sensitive to other processes taking the core). The headline
    ratio is the median over rounds of each round's ratio: within a round the
    libRoadRunner loop and the engine run back to back, so a slow spell of the
    machine (seen here: the same code at 0.4-1x its usual speed for seconds)
    affects both sides of a ratio rather than one.
    """
    days = len(scenario_days(scenario)) - 1
    rr_rows = rows[:counts.rr_sets]
    batch_rows = rows[:counts.batch_sets]
    rounds = []
    rr_times = {"default": [], "tight": []}
    result = None
    for r in range(counts.rounds):
        log(f"throughput round {r + 1}/{counts.rounds}")
        loop_tight = rr_loop(rr_tight, rr_rows, days)
        loop_default = rr_loop(rr_default, rr_rows, days)  # next to the engine it is compared to
        result, wall, cpu = engine_run(scenario, batch_rows, threads=1)
        rr_times["default"].extend(loop_default["times"])
        rr_times["tight"].extend(loop_tight["times"])
        rounds.append({
            "rr_default_rate": rr_rows.shape[0] / loop_default["wall"],
            "rr_tight_rate": rr_rows.shape[0] / loop_tight["wall"],
            "batch_rate": batch_rows.shape[0] / wall,
            "rr_default_cpu_rate": rr_rows.shape[0] / loop_default["cpu"],
            "rr_tight_cpu_rate": rr_rows.shape[0] / loop_tight["cpu"],
            "batch_cpu_rate": batch_rows.shape[0] / cpu,
            "rr_cpu_share": loop_default["cpu"] / loop_default["wall"],
            "batch_cpu_share": cpu / wall,
            "rr_failures": len(loop_default["failures"]) + len(loop_tight["failures"]),
        })
    for entry in rounds:
        entry["ratio"] = entry["batch_rate"] / entry["rr_default_rate"]
        entry["ratio_cpu"] = entry["batch_cpu_rate"] / entry["rr_default_cpu_rate"]
    accepted = result.steps[:, 0]
    rejected = result.steps[:, 1]
    keys = ("rr_default_rate", "rr_tight_rate", "batch_rate", "rr_default_cpu_rate",
            "rr_tight_cpu_rate", "batch_cpu_rate")
    median = {key: float(np.median([entry[key] for entry in rounds])) for key in keys}
    return {
        "rounds": rounds,
        **median,
        "rr_default_run_s": float(np.median(rr_times["default"])),
        "rr_tight_run_s": float(np.median(rr_times["tight"])),
        "ratio": float(np.median([entry["ratio"] for entry in rounds])),
        "ratio_of_medians": median["batch_rate"] / median["rr_default_rate"],
        "ratio_tight": median["batch_rate"] / median["rr_tight_rate"],
        "ratio_cpu": float(np.median([entry["ratio_cpu"] for entry in rounds])),
        "ratio_range": [float(min(e["ratio"] for e in rounds)),
                        float(max(e["ratio"] for e in rounds))],
        "batch_failed": int((result.status != 0).sum()),
        "rr_failures": sum(entry["rr_failures"] for entry in rounds),
        "steps": {"accepted_median": float(np.median(accepted)),
                  "accepted_mean": float(np.mean(accepted)),
                  "accepted_min": int(accepted.min()), "accepted_max": int(accepted.max()),
                  "rejected_mean": float(np.mean(rejected)),
                  "rejected_max": int(rejected.max())},
        "segments": int(result.segment_starts.size),
    }


def measure_rr_breakdown(rr, rows: np.ndarray, repeats: int, days: int) -> dict:
    """Median cost of each part of one libRoadRunner run, and of the output points."""
    from lbp_headache.core.parameters import NAMES

    def median_us(action) -> float:
        times = []
        for k in range(repeats):
            before = time.perf_counter()
            action(k)
            times.append(time.perf_counter() - before)
        return float(np.median(times)) * 1e6

    values = rows.tolist()

    def set_all(k: int) -> None:
        for name, value in zip(NAMES, values[k % len(values)]):
            rr[name] = value

    def simulate(points: int):
        def action(_k: int) -> None:
            rr.simulate(0, days, points, selections=["time", "headache"])
        return action

    parts = {"resetAll": median_us(lambda k: rr.resetAll()),
             "set_56_parameters": median_us(set_all),
             "reset": median_us(lambda k: rr.reset())}
    for points in (2, days + 1, 10 * days + 1):
        # Each simulate after a resetAll (outside the timing), as in the loop.
        times = []
        for _ in range(repeats):
            rr.resetAll()
            before = time.perf_counter()
            simulate(points)(0)
            times.append(time.perf_counter() - before)
        parts[f"simulate_{points}_points"] = float(np.median(times)) * 1e6
    many, daily = parts[f"simulate_{10 * days + 1}_points"], parts[f"simulate_{days + 1}_points"]
    parts["per_output_point"] = (many - daily) / (9 * days)
    return parts


def measure_single(scenario, rows: np.ndarray, repeats: int) -> dict:
    """Median time of ``simulate_batch`` on one row (after warm-up), cycling through rows."""
    times = []
    for k in range(repeats):
        _, wall, _ = engine_run(scenario, rows[k % rows.shape[0]][None, :])
        times.append(wall)
    return {"median_s": float(np.median(times)), "min_s": float(np.min(times))}


def measure_lsoda(scenario, rows: np.ndarray) -> dict:
    """``lbp_headache.simulate`` (solve_ivp LSODA rtol 1e-8) in a loop: time per run, runs/s."""
    from lbp_headache.engine.solver import SolverSettings

    loop = solve_ivp_loop(scenario, rows, SolverSettings())
    return {"median_s": float(np.median(loop["times"])), "rate": rows.shape[0] / loop["wall"],
            "failures": loop["failures"]}


def measure_sweep(scenario, rows: np.ndarray, counts: Counts) -> dict:
    """The 10,000-set sweep on 2 cores: simulate_batch(threads=2) and run_sweep (in process).

    Also times the sweep's computation alone: its own chunks (the spec's latin
    hypercube) through :func:`lbp_headache.analysis.sweep.runner.run_chunk` on two threads, as
    ``run_sweep`` runs them (engine and metrics), without writing chunk files
    or tables, so the computation can be told from the file writing.
    """
    from concurrent.futures import ThreadPoolExecutor

    from lbp_headache.analysis.metrics import NEEDED_STATES
    from lbp_headache.analysis.sweep.chunks import chunk_ranges
    from lbp_headache.analysis.sweep.design import design_matrix
    from lbp_headache.analysis.sweep.reader import load_sweep
    from lbp_headache.analysis.sweep.runner import _make_job, parameter_sets, run_chunk, run_sweep
    from lbp_headache.engine.batch import BatchSettings

    n_sets = counts.sweep_sets
    walls = {"batch": [], "sweep": [], "compute": []}
    cores = {"batch": [], "sweep": [], "compute": []}
    with tempfile.TemporaryDirectory(prefix="lbp-bench-sweep-") as folder:
        spec = load_sweep(benchlib.write_sweep_spec(Path(folder), n_sets))
        design = design_matrix(spec)
        labels = [label for label, _ in spec.scenarios]
        jobs = [_make_job(spec, design, BatchSettings(), label, index, lo, hi)
                for label, index, lo, hi in chunk_ranges(labels, design.shape[0],
                                                         spec.chunk_size)]
        for r in range(counts.sweep_rounds):
            log(f"{n_sets}-set sweep round {r + 1}/{counts.sweep_rounds}")
            result, wall, cpu = engine_run(scenario, rows[:n_sets], threads=SWEEP_WORKERS)
            walls["batch"].append(wall)
            cores["batch"].append(cpu / wall)
            batch_failed = int((result.status != 0).sum())
            del result
            before, cpu = time.perf_counter(), time.process_time()
            outcome = run_sweep(spec, Path(folder) / f"out{r}", workers=SWEEP_WORKERS)
            walls["sweep"].append(time.perf_counter() - before)
            cores["sweep"].append((time.process_time() - cpu) / walls["sweep"][-1])
            before, cpu = time.perf_counter(), time.process_time()
            with ThreadPoolExecutor(max_workers=SWEEP_WORKERS) as pool:
                chunks = list(pool.map(run_chunk, jobs))
            walls["compute"].append(time.perf_counter() - before)
            cores["compute"].append((time.process_time() - cpu) / walls["compute"][-1])
            compute_failed = sum(int(np.count_nonzero(c["status"])) for c in chunks)
        sweep_rows = parameter_sets(spec, spec.scenarios[0][1], design)
        engine, _, _ = engine_run(scenario, sweep_rows, threads=SWEEP_WORKERS,
                                  record=NEEDED_STATES)
    return {
        "n_sets": n_sets,
        "batch_wall_s": float(np.median(walls["batch"])),
        "sweep_wall_s": float(np.median(walls["sweep"])),
        "compute_wall_s": float(np.median(walls["compute"])),
        "cores_used": {key: float(np.median(value)) for key, value in cores.items()},
        "all_wall_s": walls,
        "sweep_rows_steps_median": float(np.median(engine.steps[:, 0])),
        "batch_failed": batch_failed,
        "sweep_failed": outcome.failed_sets,
        "compute_failed": compute_failed,
        "chunk_size": spec.chunk_size,
    }


def measure_memory(sizes: tuple[int, ...]) -> list[dict]:
    """``run_sweep`` of each size in a fresh subprocess: wall time and peak RSS."""
    reports = []
    for n_sets in sizes:
        log(f"memory: {n_sets}-set sweep in a subprocess")
        reports.append({"n_sets_requested": n_sets,
                        **run_child(["sweep", str(n_sets), str(SWEEP_WORKERS)])})
    return reports


def measure_settings(scenario, rows: np.ndarray, accuracy_rows: np.ndarray,
                     reference: np.ndarray, rounds: int) -> list[dict]:
    """Engine speed, steps and accuracy under a few integrator settings (interleaved rounds)."""
    from lbp_headache.engine.batch import BatchSettings

    days = reference.shape[1] - 1
    variants = [
        ("default", BatchSettings()),
        ("max_step 4", BatchSettings(max_step=4.0)),
        ("max_step 16", BatchSettings(max_step=16.0)),
        ("rtol 1e-5", BatchSettings(rtol=1e-5)),
        ("rtol 1e-6", BatchSettings(rtol=1e-6)),
    ]
    walls: dict[str, list[float]] = {label: [] for label, _ in variants}
    results = {}
    for r in range(rounds):
        log(f"engine settings round {r + 1}/{rounds}")
        for label, settings in variants:
            results[label], wall, _ = engine_run(scenario, rows, settings=settings)
            walls[label].append(wall)
    reports = []
    for label, settings in variants:
        checked, _, _ = engine_run(scenario, accuracy_rows, settings=settings)
        steps = results[label].steps
        reports.append({
            "label": label, "settings": settings.as_dict(),
            "rate": rows.shape[0] / float(np.median(walls[label])),
            "accepted_median": float(np.median(steps[:, 0])),
            "rejected_mean": float(np.mean(steps[:, 1])),
            "failed": int((results[label].status != 0).sum()),
            "error": error_summary(engine_headache(checked, days), reference)["max"],
        })
    return reports


def cpu_accounting() -> dict:
    """Machine-wide busy and total CPU seconds (/proc/stat) and this process tree's CPU seconds."""
    import resource

    ticks = os.sysconf("SC_CLK_TCK")
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    own = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        own += usage.ru_utime + usage.ru_stime
    return {"busy_s": (sum(fields[:8]) - idle) / ticks, "total_s": sum(fields[:8]) / ticks,
            "own_s": own}


def source_hashes() -> dict[str, str]:
    """SHA-256 of every file of the package under test (to see whether it changed mid-run)."""
    import hashlib

    folder = benchlib.ROOT / "model"
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.glob("*.py"))}


def combined_hash(hashes: dict[str, str]) -> str:
    """One short hash over all files."""
    import hashlib

    text = "".join(f"{name}:{digest}\n" for name, digest in sorted(hashes.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def other_load(before: dict, after: dict) -> dict:
    """Share of the machine's CPU time used by other processes between two accountings."""
    total = after["total_s"] - before["total_s"]
    busy = after["busy_s"] - before["busy_s"]
    own = after["own_s"] - before["own_s"]
    return {"total_s": total, "busy_s": busy, "own_s": own,
            "other_share": max(busy - own, 0.0) / total if total > 0 else math.nan}


# --- the report -------------------------------------------------------------------------------

def fmt_time(seconds: float) -> str:
    """``845 µs``, ``2.21 ms``, ``3.41 s``."""
    if not math.isfinite(seconds):
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1.0:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s"


def fmt_rate(rate: float) -> str:
    """Runs per second with thousands separators."""
    return f"{rate:,.0f}" if rate >= 100 else f"{rate:.3g}"


def fmt_ratio(ratio: float) -> str:
    return f"{ratio:.2f}×" if ratio < 10 else f"{ratio:.1f}×"


def fmt_error(summary: dict) -> str:
    text = f"{summary['max']:.1e}"
    if summary.get("failed"):
        text += f" ({summary['failed']} of {summary['sets']} failed)"
    return text


def met(flag: bool | str | None) -> str:
    if isinstance(flag, str):
        return flag
    return "—" if flag is None else ("**met**" if flag else "**NOT met**")


def table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def targets(report: dict) -> list[tuple[str, str, str, bool | str | None]]:
    """(target, goal, measured, met) for each target of the brief, and the whole sweep.

    The brief asks for a 10,000-set sweep in 1 s *of compute* on 2 cores: the
    computation (row 3c). The whole ``run_sweep`` (row 3b) also writes the
    chunk files, ``results.csv`` and ``results.parquet``; it is listed next to
    it, against the same second, for what a user of the command sees.
    """
    throughput, sweep, single = report["throughput"], report["sweep"], report["single"]
    full_sweep = sweep["n_sets"] == SWEEP_TARGET_SETS
    million = [m for m in report["memory"] if m["n_sets_requested"] == MILLION]
    if million and "error" not in million[0]:
        rss = million[0]["peak_rss_mib"]
        memory = (f"{rss:,.0f} MiB peak RSS, 1,000,000 sets", rss < 1024)
    elif million:
        memory = (f"failed: {million[0]['error'][:200]}", False)
    else:
        memory = ("not run (needs --million)", None)
    return [
        ("batch engine, 1 core, vs libRoadRunner loop (median of the rounds' ratios)", "≥ 20×",
         f"{fmt_ratio(throughput['ratio'])} (rounds {fmt_ratio(throughput['ratio_range'][0])}"
         f"–{fmt_ratio(throughput['ratio_range'][1])}; per CPU second: "
         f"{fmt_ratio(throughput['ratio_cpu'])})", throughput["ratio"] >= 20),
        ("10,000-set sweep, its computation (row 3c: chunks through run_chunk, engine and "
         "metrics), 2 cores", "≤ 1 s", sweep_time(sweep, "compute_wall_s"),
         sweep["compute_wall_s"] <= 1.0 if full_sweep else None),
        ("the same sweep through all of run_sweep (row 3b: compute, then chunk files, CSV, "
         "Parquet), 2 cores: not the brief's target, shown for users of the command",
         "(1 s)", sweep_time(sweep, "sweep_wall_s"),
         (("within 1 s" if sweep["sweep_wall_s"] <= 1.0 else "over 1 s")
          if full_sweep else None)),
        ("single run, simulate_batch(one row), warm", "≤ 2 ms",
         fmt_time(single["median_s"]), single["median_s"] <= 2e-3),
        ("1,000,000-set sweep, peak RSS", "< 1 GiB", *memory),
        ("batch engine max rel. headache error (tests/test_batch.py bound)",
         f"≤ {PROJECT_ERROR_BOUND:.0e}", fmt_error(report["accuracy"]["batch"]),
         report["accuracy"]["batch"]["max"] <= PROJECT_ERROR_BOUND),
    ]


def sweep_time(sweep: dict, key: str) -> str:
    """A sweep time, flagged when the sweep was not the target's 10,000 sets (--quick)."""
    if sweep["n_sets"] == SWEEP_TARGET_SETS:
        return fmt_time(sweep[key])
    return f"{fmt_time(sweep[key])} for {sweep['n_sets']:,} sets (not the target size)"


def render(report: dict) -> str:
    """The whole report as Markdown."""
    m, c = report["machine"], report["counts"]
    acc, thr, sweep = report["accuracy"], report["throughput"], report["sweep"]
    single, lsoda = report["single"], report["lsoda"]
    rr_d, rr_t = report["rr_settings"]["default"], report["rr_settings"]["tight"]
    rr_rate = thr["rr_default_rate"]
    n_acc = c["accuracy_sets"]
    parts = [
        f"# Benchmark results ({report['mode']})",
        "",
        f"`{report['command']}` — {m['date']}; scenario `scenarios/persistent_back_pain.yaml` "
        f"(duration {report['duration']:g} days; headache compared on days 0..{report['days']}). "
        f"Parameter sets drawn uniformly over all 56 table ranges (seeds "
        f"{benchlib.ACCURACY_SEED} for the {n_acc} accuracy sets, {benchlib.THROUGHPUT_SEED} "
        "for the speed sample; every engine takes a prefix of the same sample). "
        f"Speeds are medians of {c['rounds']} interleaved rounds; errors are the largest over "
        f"the {n_acc} sets of max over days |h − h_ref| / max(|h_ref|, 0.1), reference "
        "`solve_ivp` Radau rtol 1e-10, atol 1e-12. Batch engine settings: "
        + ", ".join(f"{k} {v:g}" for k, v in report["engine_settings"].items()
                    if isinstance(v, float)) + ".",
        "",
    ]
    if report["source"]["changed"]:
        parts += [f"**Warning:** files of `model/` changed while this ran "
                  f"({', '.join(report['source']['changed'])}); the measurements may mix "
                  "versions of the code. Run again.", ""]
    parts += [
        "## Main table",
        "",
    ]
    rows = [
        ["1a", f"libRoadRunner loop, CVODE default (rtol {rr_d['rtol']:g}, atol "
         f"{rr_d['atol']:g})", f"{c['rr_sets']}", "1", fmt_time(thr["rr_default_run_s"]),
         fmt_rate(rr_rate), "1×", fmt_error(acc["rr_default"])],
        ["1b", f"libRoadRunner loop, CVODE tight (rtol {rr_t['rtol']:g}, atol {rr_t['atol']:g})",
         f"{c['rr_sets']}", "1", fmt_time(thr["rr_tight_run_s"]), fmt_rate(thr["rr_tight_rate"]),
         fmt_ratio(thr["rr_tight_rate"] / rr_rate), fmt_error(acc["rr_tight"])],
        ["2", "batch engine, `simulate_batch(threads=1)`", f"{c['batch_sets']:,}", "1",
         fmt_time(1 / thr["batch_rate"]) + " per set", fmt_rate(thr["batch_rate"]),
         fmt_ratio(thr["ratio"]), fmt_error(acc["batch"])],
        ["3a", "batch engine, `simulate_batch(threads=2)`, same uniform sets as row 2",
         f"{sweep['n_sets']:,}", "2",
         fmt_time(sweep["batch_wall_s"]) + " wall", fmt_rate(sweep["n_sets"] /
                                                               sweep["batch_wall_s"]),
         fmt_ratio(sweep["n_sets"] / sweep["batch_wall_s"] / rr_rate), "as row 2"],
        ["3b", "`run_sweep` (threads backend, LHS over 6 parameters, 9 metrics)",
         f"{sweep['n_sets']:,}", "2", fmt_time(sweep["sweep_wall_s"]) + " wall",
         fmt_rate(sweep["n_sets"] / sweep["sweep_wall_s"]),
         fmt_ratio(sweep["n_sets"] / sweep["sweep_wall_s"] / rr_rate), "as row 2"],
        ["3c", "the sweep's computation alone: its chunks through `run_chunk` on 2 threads "
         "(engine + metrics, no files)",
         f"{sweep['n_sets']:,}", "2", fmt_time(sweep["compute_wall_s"]) + " wall",
         fmt_rate(sweep["n_sets"] / sweep["compute_wall_s"]),
         fmt_ratio(sweep["n_sets"] / sweep["compute_wall_s"] / rr_rate), "as row 2"],
        ["4a", "single run `simulate_batch(one row)`, warm", "1", "1",
         fmt_time(single["median_s"]), fmt_rate(1 / single["median_s"]),
         fmt_ratio(thr["rr_default_run_s"] / single["median_s"]) + " (per-run time)",
         "as row 2"],
        ["4b", "`lbp_headache.simulate` (solve_ivp LSODA rtol 1e-8) loop",
         f"{c['lsoda_sets']}", "1",
         fmt_time(lsoda["median_s"]), fmt_rate(lsoda["rate"]),
         fmt_ratio(lsoda["rate"] / rr_rate), fmt_error(acc["lsoda"])],
        ["4c", "reference: `lbp_headache.simulate` Radau rtol 1e-10", f"{n_acc}", "1",
         fmt_time(acc["reference_time_s"]), fmt_rate(1 / acc["reference_time_s"]),
         fmt_ratio(1 / acc["reference_time_s"] / rr_rate), "0 (reference)"],
    ]
    parts += [table(["#", "engine", "sets", "cores", "time per run", "runs/s",
                     "vs libRoadRunner loop", f"max rel. error ({n_acc} sets)"], rows), ""]

    parts += ["## Targets", ""]
    parts += [table(["target", "goal", "measured", "met?"],
                    [[name, goal, measured, met(flag)]
                     for name, goal, measured, flag in targets(report)]), ""]

    parts += ["## Rounds (side by side, one core)", ""]
    round_rows = [[str(k + 1), fmt_rate(r["rr_default_rate"]), fmt_rate(r["rr_tight_rate"]),
                   fmt_rate(r["batch_rate"]), fmt_ratio(r["ratio"]),
                   f"{r['rr_cpu_share']:.2f} / {r['batch_cpu_share']:.2f}",
                   fmt_ratio(r["batch_cpu_rate"] / r["rr_default_cpu_rate"])]
                  for k, r in enumerate(thr["rounds"])]
    round_rows.append(["median", fmt_rate(thr["rr_default_rate"]), fmt_rate(thr["rr_tight_rate"]),
                       fmt_rate(thr["batch_rate"]), fmt_ratio(thr["ratio"]), "",
                       fmt_ratio(thr["ratio_cpu"])])
    parts += [table(
        ["round", "libRoadRunner default runs/s", "libRoadRunner tight runs/s",
         "batch engine sets/s", "ratio (wall)", "CPU s per wall s (rr / batch)",
         "ratio (CPU time)"], round_rows), "",
        "Each round runs the libRoadRunner loops and then the batch engine on the same sets; "
        "a CPU share below 1 means other processes took part of the core. The ratio per CPU "
        "second of this process is less sensitive to that. The median row gives the median "
        "of each column; the headline ratio is the median of the rounds' own ratios (each "
        "from back-to-back measurements), "
        f"{fmt_ratio(thr['ratio'])}; the ratio of the median rates is "
        f"{fmt_ratio(thr['ratio_of_medians'])}.", ""]

    parts += render_compile(report)
    parts += render_memory(report)
    parts += render_engine(report)
    parts += render_roadrunner(report)
    parts += render_machine(report)
    return "\n".join(parts)


def render_compile(report: dict) -> list[str]:
    compile_, load = report["compile"], report["rr_load"]
    rows = []
    for label, entry in [("empty cache (compile)", compile_["cold"]),
                         *[(f"cache hit #{k + 1}", w) for k, w in enumerate(compile_["warm"])]]:
        if "error" in entry:
            rows.append([label, entry["error"][:300], "", "", "", "", "", ""])
            continue
        rows.append([label, fmt_time(entry["import_model_s"]), fmt_time(entry["import_kernel_s"]),
                     fmt_time(entry["first_call_s"]), fmt_time(entry["second_call_s"]),
                     fmt_time(entry["first_block_call_s"]),
                     f"{entry['rss_after_model_mib']:.0f} → {entry['rss_after_kernel_mib']:.0f}"
                     f" / {entry['peak_rss_mib']:.0f}", fmt_time(entry["process_s"])])
    return [
        "## Compile and warm-up (fresh subprocesses)", "",
        table(["cache", "import lbp_headache", "import numba kernel",
               "first simulate_batch (1 set)", "second call", "first call with 64 sets",
               "RSS after model → kernel / peak (MiB)",
               "whole process"], rows),
        "",
        "The engine has two compiled kernels with the same arithmetic: 4 lanes for up to 16 "
        "sets (single runs) and 64 lanes for larger batches; the first call of each compiles "
        "it (empty cache) or loads it from the cache.",
        "",
        f"In this process: first `simulate_batch` call {fmt_time(report['first_call_here_s'])}"
        f" (cache already filled). libRoadRunner: SBML export "
        f"{fmt_time(report['sbml_export_s'])}, `RoadRunner(sbml)` load "
        f"{fmt_time(load['load_s'])} (median of {len(load['all_s'])}).", "",
    ]


def render_memory(report: dict) -> list[str]:
    rows = []
    for entry in report["memory"]:
        n = entry["n_sets_requested"]
        if "error" in entry:
            rows.append([f"{n:,}", entry["error"][:300], "", "", "", "", ""])
            continue
        csv = entry["output_bytes"].get("results.csv", 0)
        rows.append([f"{n:,}", fmt_time(entry["wall_s"]), fmt_rate(n / entry["wall_s"]),
                     f"{entry['rss_ready_mib']:.0f}", f"{entry['peak_rss_mib']:.0f}",
                     f"{csv / 2**20:.1f}", str(entry["failed_sets"])])
    return [
        "## Sweeps through `run_sweep` in a subprocess (wall time and peak RSS)", "",
        table(["sets", "run_sweep wall", "sets/s", "RSS before sweep (MiB)",
               "peak RSS of the process (MiB)", "results.csv (MiB)", "failed sets"], rows),
        "",
        f"Latin hypercube over 6 parameters, metrics only, {SWEEP_WORKERS} thread workers, "
        "default chunk size. Peak RSS is the child's `VmHWM` (/proc/self/status), imports "
        "and compile-cache load included; not `ru_maxrss`, which Linux carries over from the "
        "parent through fork and exec.", "",
    ]


def render_engine(report: dict) -> list[str]:
    thr, steps, sweep = report["throughput"], report["throughput"]["steps"], report["sweep"]
    per_set = 1 / thr["batch_rate"]
    per_step = per_set / (steps["accepted_mean"] + steps["rejected_mean"])
    speed_up = sweep["n_sets"] / sweep["batch_wall_s"] / thr["batch_rate"]
    lines = [
        "## Where the engine spends its time", "",
        f"Steps per set for the year ({thr['segments']} segments; `result.steps` over the "
        f"{report['counts']['batch_sets']:,} speed sets): accepted median "
        f"{steps['accepted_median']:.0f}, mean {steps['accepted_mean']:.0f}, range "
        f"{steps['accepted_min']}–{steps['accepted_max']}; rejected mean "
        f"{steps['rejected_mean']:.2f}, max {steps['rejected_max']}. "
        f"One set takes {fmt_time(per_set)} on one core, so one step costs about "
        f"{per_step * 1e6:.2f} µs (accepted and rejected steps alike: 6 right-hand-side "
        "evaluations, the φ-function coefficients when the step size changes, the error "
        "estimate and the daily values). "
        f"Two threads (row 3a) vs one (row 2): speed-up {speed_up:.2f}× (CPU seconds per "
        f"wall second with threads=2: {sweep['cores_used']['batch']:.2f}). "
        f"The sweep's latin-hypercube rows (six parameters varied, the other 50 at their "
        f"defaults) need more steps than the uniform draws: median "
        f"{sweep['sweep_rows_steps_median']:.0f} accepted steps per set. "
        + single_overhead(report["single"]["median_s"], per_set), "",
    ]
    probe = report["probe"]
    if "error" in probe:
        lines += [f"Kernel probe failed: {probe['error']}", ""]
    else:
        evaluations = 6 * probe["rhs_lane_ns"] * 1e-9
        lines += [
            f"Kernel probe (`benchmarks/kernel_probe.py`, compiled loops): one right-hand-side "
            f"evaluation costs {probe['rhs_ns']:.0f} ns for one set on its own and "
            f"{probe['rhs_lane_ns']:.0f} ns per set in a block of {probe['lanes']} sets (one "
            f"vectorized loop, as the engine calls it); one `phi_functions` call costs "
            f"{probe['phi_ns']:.0f} ns. The six evaluations of a step are then "
            f"{evaluations * 1e6:.2f} µs per set, {evaluations / per_step:.0%} of the "
            f"{per_step * 1e6:.2f} µs a step costs; the rest is the step's own arithmetic "
            "(stages, coefficients when the step changes, error estimate, daily values).", ""]
    lines += [
        f"Engine settings (diagnostic, median of {report['counts']['rounds']} interleaved "
        f"rounds, {report['counts']['diagnostic_sets']:,} sets on one core; not used for the "
        "targets):", "",
    ]
    rows = [[d["label"], f"rtol {d['settings']['rtol']:g}, max_step {d['settings']['max_step']:g}",
             f"{d['accepted_median']:.0f}", f"{d['rejected_mean']:.2f}", fmt_rate(d["rate"]),
             f"{d['error']:.1e}", str(d["failed"])] for d in report["settings"]]
    lines += [table(["variant", "settings", "accepted steps (median)", "rejected (mean)",
                     "sets/s", "max rel. error", "failed"], rows), ""]
    return lines


def single_overhead(single: float, per_set: float) -> str:
    """One sentence comparing a one-set call with the per-set time inside a batch."""
    text = (f"A single run costs {fmt_time(single)} against {fmt_time(per_set)} per set "
            "inside a batch")
    if single > per_set:
        return (text + f", so about {fmt_time(single - per_set)} is per-call Python overhead "
                "(segment tables, steady state, allocation).")
    return text + " (per-call overhead lost in the noise of this run)."


def render_roadrunner(report: dict) -> list[str]:
    b = report["rr_breakdown"]
    days = report["days"]
    rows = [[name.replace("_", " "), f"{value:.1f} µs" if name == "per_output_point"
             else f"{value:.0f} µs"] for name, value in b.items()]
    return [
        "## libRoadRunner: cost of one run (default tolerances, medians)", "",
        table(["part", "time"], rows), "",
        f"`simulate` after `resetAll`, from 0 to {days} days with 2, {days + 1} and "
        f"{10 * days + 1} output points; the per-point cost is the difference of the last two "
        f"divided by the extra points.", "",
    ]


def render_machine(report: dict) -> list[str]:
    m = report["machine"]
    return [
        "## Machine", "",
        table(["item", "value"], [
            ["CPU", m["cpu"]], ["cores (usable)", f"{m['cores']} ({m['cores_usable']})"],
            ["memory", m["memory"]], ["system", m["system"]], ["Python", m["python"]],
            ["numpy / scipy", f"{m['numpy']} / {m['scipy']}"], ["numba", m["numba"]],
            ["libroadrunner / libsbml", f"{m['libroadrunner']} / {m['libsbml']}"],
            ["lbp-headache", m["lbp-headache"]],
            ["load average before / after (1, 5, 15 min)",
             f"{', '.join(f'{x:.2f}' for x in m['load_before'])} / "
             f"{', '.join(f'{x:.2f}' for x in report['load_after'])}"],
            ["CPU time of other processes during the run",
             f"{report['cpu_use']['other_share']:.0%} of the machine "
             f"({report['cpu_use']['busy_s'] - report['cpu_use']['own_s']:.0f} of "
             f"{report['cpu_use']['total_s']:.0f} core-seconds)"],
            ["model/*.py fingerprint (before / after the run)",
             f"{report['source']['before']} / {report['source']['after']}"],
            ["model files changed during the run",
             ", ".join(report["source"]["changed"]) or "none"],
            ["benchmark wall time", fmt_time(report["total_s"])],
        ]), "",
    ]


def to_jsonable(value):
    """Drop arrays (the reference trajectories) and make tuples lists, for results.json."""
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items() if not isinstance(v, np.ndarray)}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


# --- main ---------------------------------------------------------------------------------------

def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts (about a minute)")
    parser.add_argument("--million", action="store_true",
                        help="also run a 1,000,000-set sweep in a subprocess")
    parser.add_argument("--output", type=Path, default=None,
                        help="Markdown file (default benchmarks/results.md, "
                             "or results-quick.md with --quick)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    started = time.perf_counter()
    accounting = cpu_accounting()
    sources = source_hashes()
    counts = QUICK if args.quick else FULL
    output = args.output or HERE / ("results-quick.md" if args.quick else "results.md")

    from lbp_headache import load_scenario
    from lbp_headache.report.sbml_export import scenario_to_sbml

    report: dict = {
        "mode": "quick" if args.quick else "full",
        "command": "python benchmarks/run.py" + (" --quick" if args.quick else "")
                   + (" --million" if args.million else ""),
        "counts": asdict(counts),
        "machine": machine_info(),
    }
    scenario = load_scenario(benchlib.SCENARIO)
    days = len(scenario_days(scenario)) - 1
    report.update(duration=scenario.duration, days=days)
    accuracy_rows = benchlib.uniform_sets(counts.accuracy_sets, benchlib.ACCURACY_SEED)
    speed_rows = benchlib.uniform_sets(
        max(counts.rr_sets, counts.batch_sets, counts.sweep_sets, counts.lsoda_sets,
            counts.diagnostic_sets), benchlib.THROUGHPUT_SEED)

    report["compile"] = measure_compile(counts)

    log("libRoadRunner: export and load")
    before = time.perf_counter()
    sbml = scenario_to_sbml(scenario)
    report["sbml_export_s"] = time.perf_counter() - before
    report["rr_load"] = measure_roadrunner_load(sbml)
    rr_default, _ = load_roadrunner(sbml, tight=False)
    rr_tight, _ = load_roadrunner(sbml, tight=True)
    from lbp_headache.engine.batch import BatchSettings

    report["engine_settings"] = BatchSettings().as_dict()
    report["rr_settings"] = {"default": integrator_settings(rr_default),
                             "tight": integrator_settings(rr_tight)}

    log("batch engine: first call in this process (warm-up)")
    before = time.perf_counter()
    engine_run(scenario, speed_rows[:1])
    report["first_call_here_s"] = time.perf_counter() - before
    engine_run(scenario, speed_rows[:256], threads=SWEEP_WORKERS)  # warm the thread path too

    report["accuracy"] = measure_accuracy(scenario, accuracy_rows, rr_default, rr_tight)
    report["throughput"] = measure_throughput(scenario, speed_rows, counts, rr_default, rr_tight)
    log("libRoadRunner: per-call breakdown")
    report["rr_breakdown"] = measure_rr_breakdown(rr_default, speed_rows, counts.breakdown_repeats,
                                                  days)
    log("single runs")
    report["single"] = measure_single(scenario, speed_rows, counts.single_repeats)
    log("solve_ivp LSODA loop")
    report["lsoda"] = measure_lsoda(scenario, speed_rows[:counts.lsoda_sets])
    report["sweep"] = measure_sweep(scenario, speed_rows, counts)
    report["settings"] = measure_settings(scenario, speed_rows[:counts.diagnostic_sets],
                                          accuracy_rows, report["accuracy"]["reference"],
                                          counts.rounds)
    log("kernel probe")
    try:
        import kernel_probe

        report["probe"] = kernel_probe.measure(scenario, speed_rows[:64])
    except Exception as error:  # a diagnostic: report, do not abort the benchmark
        report["probe"] = {"error": f"{type(error).__name__}: {error}"}
    sizes = counts.memory_sweeps + ((MILLION,) if args.million else ())
    report["memory"] = measure_memory(sizes)
    report["load_after"] = os.getloadavg()
    report["cpu_use"] = other_load(accounting, cpu_accounting())
    sources_after = source_hashes()
    report["source"] = {
        "before": combined_hash(sources), "after": combined_hash(sources_after),
        "changed": sorted(name for name in sources.keys() | sources_after.keys()
                          if sources.get(name) != sources_after.get(name)),
    }
    report["total_s"] = time.perf_counter() - started

    text = render(report) + "\n"
    print(text)
    benchlib.atomic_write_text(output, text)
    benchlib.atomic_write_text(output.with_suffix(".json"),
                               json.dumps(to_jsonable(report), indent=1, default=str) + "\n")
    log(f"wrote {output} and {output.with_suffix('.json').name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
