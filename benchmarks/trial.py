"""Benchmark: a 100,000-patient virtual trial of 4 one-year arms against the plain engine.

Usage::

    python benchmarks/trial.py                    # 100,000 patients, 2 rounds
    python benchmarks/trial.py --patients 20000   # smaller, for a quick look

The baseline is the batch engine alone doing exactly the trial's simulations
(the population's candidates through the base scenario, then every patient
through each arm's engine run), chunk by chunk on two threads, with no
diaries, inclusion, selection, endpoints or replicates. The trial is
``build_trial`` on the same specification. Rounds alternate (engine, trial,
engine, trial), so background load hits both alike; the ratio of the medians
is the share of the engine's throughput the population and trial layers keep
(the target is >= 80 %). Peak memory is read for each in a fresh subprocess.
Results go to stdout and ``benchmarks/trial_results.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchlib

HERE = Path(__file__).resolve().parent
SCENARIO = benchlib.SCENARIO
WORKERS = 2
POPULATION = """\
name: benchmark population
scenario: {scenario}
size: {patients}
candidates: {patients}
seed: 11
chunk_size: 2000
inputs:
  back_pain:
    courses: {{persistent: 0.8, acute_recovering: 0.2}}
    scale: {{distribution: lognormal, median: 1.0, sd_log: 0.3, low: 0.3, high: 2.5}}
baseline: {{start: 5 months, end: 6 months}}
"""
TRIAL = """\
name: benchmark trial
population: population.yaml
size: 400
duration: 52 weeks
evaluations: [12 weeks, 52 weeks]
control: usual_care
seed: 5
replicates: 200
arms:
  physical_therapy: {{treatments: [{{type: physical_therapy, duration: 12 weeks}}]}}
  duloxetine:
    treatments: [{{type: neuropathic_medication, drug: duloxetine, duration: 52 weeks}}]
  placebo: {{treatments: [{{type: placebo, duration: 52 weeks}}]}}
  usual_care: {{treatments: [{{type: usual_care, duration: 52 weeks}}]}}
"""


def write_files(folder: Path, patients: int) -> Path:
    (folder / SCENARIO.name).write_bytes(SCENARIO.read_bytes())
    (folder / "population.yaml").write_text(POPULATION.format(scenario=SCENARIO.name,
                                                              patients=patients))
    (folder / "trial.yaml").write_text(TRIAL.format())
    return folder / "trial.yaml"


def engine_only(spec) -> tuple[float, int]:
    """Every simulation of the trial on the engine alone; returns (seconds, simulations)."""
    from concurrent.futures import ThreadPoolExecutor

    from lbp_headache.engine.batch import simulate_batch
    from lbp_headache.population.candidates import candidates
    from lbp_headache.population.patients import DIARY_STATES
    from lbp_headache.trial.arms import mechanism_groups

    population = spec.population
    size = population.chunk_size
    spans = [(lo, min(lo + size, population.candidates))
             for lo in range(0, population.candidates, size)]
    groups = mechanism_groups(spec)

    def chunk(args):
        scenario, lo, hi = args
        rows, inputs = candidates(population, lo, hi)
        batch = simulate_batch(scenario, rows, record=DIARY_STATES, inputs=inputs)
        return int(batch.status.size)

    jobs = [(population.scenario, lo, hi) for lo, hi in spans]
    jobs += [(scenario, lo, hi) for scenario, _ in groups for lo, hi in spans]
    start = time.perf_counter()
    with ThreadPoolExecutor(WORKERS) as pool:
        count = sum(pool.map(chunk, jobs))
    return time.perf_counter() - start, count


def trial_run(spec) -> float:
    from lbp_headache.trial.runner import build_trial

    start = time.perf_counter()
    build_trial(spec, workers=WORKERS)
    return time.perf_counter() - start


def child(mode: str, path: str) -> None:
    """One measurement in this (fresh) process: wall time and peak RSS, as JSON."""
    from lbp_headache.trial.reader import load_trial

    spec = load_trial(path)
    if mode == "engine":
        seconds, count = engine_only(spec)
    else:
        seconds, count = trial_run(spec), None
    print(json.dumps({"mode": mode, "seconds": seconds, "simulations": count,
                      "peak_rss_mib": benchlib.peak_rss_mib()}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2, choices=range(1, 100),
                        metavar="ROUNDS")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    with tempfile.TemporaryDirectory(prefix="lbp-bench-trial-") as folder:
        path = write_files(Path(folder), args.patients)
        # Compile (or load from cache) the engine and the diary loops once, on a small trial
        # in its own folder, so neither side pays for the compile.
        small = Path(folder) / "warm-up"
        small.mkdir()
        warm = write_files(small, 1000)
        for mode in ("engine", "trial"):
            subprocess.run([sys.executable, __file__, "--child", mode, str(warm)],
                           check=True, capture_output=True)
        results = {"engine": [], "trial": []}
        for r in range(args.rounds):
            for mode in ("engine", "trial"):
                print(f"round {r + 1}/{args.rounds}: {mode}", file=sys.stderr)
                done = subprocess.run([sys.executable, __file__, "--child", mode, str(path)],
                                      capture_output=True, text=True, check=True)
                results[mode].append(json.loads(done.stdout.strip().splitlines()[-1]))
        engine = sorted(r["seconds"] for r in results["engine"])[len(results["engine"]) // 2]
        trial = sorted(r["seconds"] for r in results["trial"])[len(results["trial"]) // 2]
        simulations = results["engine"][0]["simulations"]
        engine_rounds = ", ".join(f"{r['seconds']:.1f}" for r in results["engine"])
        trial_rounds = ", ".join(f"{r['seconds']:.1f}" for r in results["trial"])
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        lines = [
            "# Virtual-trial benchmark",
            "",
            f"`python benchmarks/trial.py --patients {args.patients}` on "
            f"{os.cpu_count()} cores (load after: {load}); "
            f"{args.patients:,} virtual patients (no inclusion or selection), 4 arms of "
            f"52 weeks after a 6-month baseline (3 engine runs per patient: physical therapy, "
            f"duloxetine, and one shared by placebo, usual care and the two counterfactuals), "
            f"200 replicate trials of 400; {simulations:,} simulations in all.",
            "",
            "| run | wall time (median of rounds) | simulations/s | peak RSS |",
            "|---|---|---|---|",
            f"| engine alone (same simulations, 2 threads) | {engine:.1f} s | "
            f"{simulations / engine:,.0f} | "
            f"{max(r['peak_rss_mib'] for r in results['engine']):,.0f} MiB |",
            f"| `build_trial` (population, diaries, endpoints, replicates) | {trial:.1f} s | "
            f"{simulations / trial:,.0f} | "
            f"{max(r['peak_rss_mib'] for r in results['trial']):,.0f} MiB |",
            "",
            f"**Share of the engine's throughput kept: {engine / trial:.0%}** (target >= 80 %).",
            f"Rounds: engine {engine_rounds} s; trial {trial_rounds} s.",
        ]
        text = "\n".join(lines) + "\n"
        print(text)
        benchlib.atomic_write_text(HERE / "trial_results.md", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
