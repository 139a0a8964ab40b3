"""Benchmark the compiled batch engine against libRoadRunner and scipy, side by side.

Usage::

    python benchmarks/run.py            # full run (a few minutes on 2 cores)
    python benchmarks/run.py --quick    # smaller counts, about a minute
    python benchmarks/run.py --million  # full run plus a 1,000,000-set sweep (several minutes more)

Every measurement runs in this one invocation on the bundled scenario
``scenarios/persistent_back_pain.yaml`` (12 months; daily output on days
0..365), with the same seeded parameter sets for every engine: uniform draws
over the full range of every parameter of the table. Speed is measured
in interleaved rounds (libRoadRunner, then the batch engine, then again ...)
and the medians are compared, so background load hits both alike.

The Markdown report goes to stdout and, atomically, to ``benchmarks/results.md``
(``--quick``: ``benchmarks/results-quick.md``; ``--output`` overrides), with the
raw numbers next to it as ``.json``. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

import benchlib
from engines import engine_run, integrator_settings, load_roadrunner
from measure import (
    combined_hash,
    cpu_accounting,
    machine_info,
    measure_accuracy,
    measure_compile,
    measure_lsoda,
    measure_memory,
    measure_roadrunner_load,
    measure_rr_breakdown,
    measure_settings,
    measure_single,
    measure_sweep,
    measure_throughput,
    other_load,
    scenario_days,
    source_hashes,
)
from render import render, to_jsonable
from settings import FULL, HERE, MILLION, QUICK, SWEEP_WORKERS, log

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
    log(f"accuracy over {counts.bound_sets:,} sets per scenario against CVODE")
    import accuracy

    report["bound"] = [accuracy.measure(name, counts.bound_sets, benchlib.THROUGHPUT_SEED,
                                        BatchSettings(), radau=3, threads=SWEEP_WORKERS)
                       for name in accuracy.SCENARIOS]
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
