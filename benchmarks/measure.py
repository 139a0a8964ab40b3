"""The measurements: each returns plain numbers (rendered by ``render.py``)."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import benchlib
import numpy as np
from engines import (
    engine_headache,
    engine_run,
    error_summary,
    load_roadrunner,
    rr_loop,
    solve_ivp_loop,
)
from settings import HERE, SWEEP_WORKERS, Counts, log

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
    from lbp_headache.core.states import STATE_NAMES

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
        # Every state recorded (record=None, the API's default), right after.
        every, wall_all, cpu_all = engine_run(scenario, batch_rows, threads=1,
                                              record=STATE_NAMES)
        del every
        rr_times["default"].extend(loop_default["times"])
        rr_times["tight"].extend(loop_tight["times"])
        rounds.append({
            "rr_default_rate": rr_rows.shape[0] / loop_default["wall"],
            "rr_tight_rate": rr_rows.shape[0] / loop_tight["wall"],
            "batch_rate": batch_rows.shape[0] / wall,
            "rr_default_cpu_rate": rr_rows.shape[0] / loop_default["cpu"],
            "rr_tight_cpu_rate": rr_rows.shape[0] / loop_tight["cpu"],
            "batch_cpu_rate": batch_rows.shape[0] / cpu,
            "batch_all_rate": batch_rows.shape[0] / wall_all,
            "batch_all_cpu_rate": batch_rows.shape[0] / cpu_all,
            "rr_cpu_share": loop_default["cpu"] / loop_default["wall"],
            "batch_cpu_share": cpu / wall,
            "rr_failures": len(loop_default["failures"]) + len(loop_tight["failures"]),
        })
    for entry in rounds:
        entry["ratio"] = entry["batch_rate"] / entry["rr_default_rate"]
        entry["ratio_cpu"] = entry["batch_cpu_rate"] / entry["rr_default_cpu_rate"]
        entry["ratio_all"] = entry["batch_all_rate"] / entry["rr_default_rate"]
        entry["ratio_all_cpu"] = entry["batch_all_cpu_rate"] / entry["rr_default_cpu_rate"]
    accepted = result.steps[:, 0]
    rejected = result.steps[:, 1]
    keys = ("rr_default_rate", "rr_tight_rate", "batch_rate", "rr_default_cpu_rate",
            "rr_tight_cpu_rate", "batch_cpu_rate", "batch_all_rate", "batch_all_cpu_rate")
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
        "ratio_all": float(np.median([entry["ratio_all"] for entry in rounds])),
        "ratio_all_cpu": float(np.median([entry["ratio_all_cpu"] for entry in rounds])),
        "ratio_all_range": [float(min(e["ratio_all"] for e in rounds)),
                            float(max(e["ratio_all"] for e in rounds))],
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
    walls = {"batch": [], "batch_one_thread": [], "sweep": [], "compute": []}
    cores = {"batch": [], "batch_one_thread": [], "sweep": [], "compute": []}
    with tempfile.TemporaryDirectory(prefix="lbp-bench-sweep-") as folder:
        spec = load_sweep(benchlib.write_sweep_spec(Path(folder), n_sets))
        design = design_matrix(spec)
        labels = [label for label, _ in spec.scenarios]
        jobs = [_make_job(spec, design, BatchSettings(), label, index, lo, hi)
                for label, index, lo, hi in chunk_ranges(labels, design.shape[0],
                                                         spec.chunk_size)]
        for r in range(counts.sweep_rounds):
            log(f"{n_sets}-set sweep round {r + 1}/{counts.sweep_rounds}")
            # Two threads, then one right after: the scaling of this round.
            result, wall, cpu = engine_run(scenario, rows[:n_sets], threads=SWEEP_WORKERS)
            walls["batch"].append(wall)
            cores["batch"].append(cpu / wall)
            batch_failed = int((result.status != 0).sum())
            del result
            result, wall, cpu = engine_run(scenario, rows[:n_sets], threads=1)
            walls["batch_one_thread"].append(wall)
            cores["batch_one_thread"].append(cpu / wall)
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
        "batch_one_thread_wall_s": float(np.median(walls["batch_one_thread"])),
        "scaling": [one / two for one, two in zip(walls["batch_one_thread"], walls["batch"])],
        "load_during": os.getloadavg(),
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


