"""The batch engine's headache error on 10,000 uniform parameter sets, against CVODE.

Usage::

    python benchmarks/accuracy.py                     # both scenarios, 10,000 sets each
    python benchmarks/accuracy.py --sets 2000 --radau 0
    python benchmarks/accuracy.py --rtol 2e-6         # the engine at another tolerance

For each of ``persistent_back_pain`` and ``multimodal_care``: ``--sets`` rows
drawn uniformly over every range of the parameter table (seed ``--seed``),
the engine's daily headache (``simulate_batch``, headache components,
2 threads), and the reference: libRoadRunner's CVODE at rtol 1e-10, atol
1e-12 on the project's SBML export (the recipe of docs/sbml.md). The error of
a set is the largest over days 0..365 of ``|h - h_ref| / max(|h_ref|, 0.1)``.
The ``--radau`` worst sets are checked again against the Radau reference
(``lbp_headache.simulate`` with ``REFERENCE_SETTINGS``), engine and CVODE
both. The CVODE references are cached under ``benchmarks/.cache`` (keyed by
scenario, seed, count and a hash of the SBML), since they take a minute or
two per scenario. Prints a Markdown table; ``--json PATH`` writes the numbers.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from pathlib import Path

import benchlib
import engines
import numpy as np
from settings import HERE, PROJECT_ERROR_BOUND, TIGHT_RTOL, log

SCENARIOS = ("persistent_back_pain", "multimodal_care")
CACHE = HERE / ".cache"


def cvode_reference(scenario, sets: np.ndarray, key: str) -> np.ndarray:
    """Daily headache of every row from CVODE at rtol 1e-10 (cached on disk)."""
    from lbp_headache.report.sbml_export import scenario_to_sbml

    sbml = scenario_to_sbml(scenario)
    digest = hashlib.sha256((sbml + key).encode()).hexdigest()[:16]
    path = CACHE / f"cvode-{key}-{digest}.npy"
    if path.exists():
        return np.load(path)
    rr, _ = engines.load_roadrunner(sbml, tight=True)
    start = time.perf_counter()
    headache = engines.rr_loop(rr, sets, math.floor(scenario.duration + 1e-9))["headache"]
    log(f"CVODE {key}: {sets.shape[0]} runs in {time.perf_counter() - start:.1f} s")
    CACHE.mkdir(exist_ok=True)
    temporary = path.with_suffix(".tmp.npy")
    np.save(temporary, headache)
    temporary.replace(path)
    return headache


def measure(name: str, n_sets: int, seed: int, settings, radau: int, threads: int) -> dict:
    from lbp_headache import load_scenario, simulate
    from lbp_headache.core.parameters import NAMES
    from lbp_headache.core.states import HEADACHE_COMPONENTS
    from lbp_headache.engine.batch import simulate_batch
    from lbp_headache.engine.solver import REFERENCE_SETTINGS

    scenario = load_scenario(HERE.parent / "scenarios" / f"{name}.yaml")
    sets = benchlib.uniform_sets(n_sets, seed)
    reference = cvode_reference(scenario, sets, f"{name}-{seed}-{n_sets}")
    simulate_batch(scenario, sets[:64], settings=settings, record=HEADACHE_COMPONENTS)  # warm
    start = time.perf_counter()
    result = simulate_batch(scenario, sets, settings=settings, record=HEADACHE_COMPONENTS,
                            threads=threads)
    wall = time.perf_counter() - start
    headache = result.states.sum(axis=2)
    errors = benchlib.relative_errors(headache, reference)
    failed = int(np.count_nonzero(result.status != 0))
    cvode_failed = int(np.count_nonzero(~np.isfinite(reference).all(axis=1)))
    finite = np.where(np.isfinite(errors), errors, -1.0)
    worst = [int(k) for k in np.argsort(finite)[::-1][:max(radau, 5)]]
    checked = []
    for k in worst[:radau]:
        exact = simulate(scenario, overrides=dict(zip(NAMES, sets[k])),
                         settings=REFERENCE_SETTINGS).daily["headache"]
        scale = np.maximum(np.abs(exact), benchlib.RELATIVE_FLOOR)
        checked.append({"set": k, "engine_vs_cvode": float(errors[k]),
                        "engine_vs_radau": float(np.max(np.abs(headache[k] - exact) / scale)),
                        "cvode_vs_radau": float(np.max(np.abs(reference[k] - exact) / scale))})
    return {"scenario": name, "sets": n_sets, "seed": seed, "wall_s": wall, "threads": threads,
            "failed": failed, "cvode_failed": cvode_failed,
            "max_error": float(np.nanmax(errors)),
            "over_bound": int(np.count_nonzero(errors > PROJECT_ERROR_BOUND)),
            "p99_error": float(np.nanpercentile(errors, 99)),
            "steps_accepted": float(result.steps[:, 0].mean()),
            "steps_rejected": float(result.steps[:, 1].mean()),
            "worst": [(k, float(errors[k])) for k in worst[:5]], "radau": checked}


def main(argv: list[str] | None = None) -> int:
    from lbp_headache.engine.batch import BatchSettings

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20240602)
    parser.add_argument("--radau", type=int, default=3, help="worst sets checked against Radau")
    parser.add_argument("--rtol", type=float, default=None, help="engine rtol (default: its own)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--scenario", choices=SCENARIOS, action="append")
    parser.add_argument("--json", type=Path)
    arguments = parser.parse_args(argv)
    settings = BatchSettings() if arguments.rtol is None else BatchSettings(rtol=arguments.rtol)
    rows = [measure(name, arguments.sets, arguments.seed, settings, arguments.radau,
                    arguments.threads) for name in (arguments.scenario or SCENARIOS)]
    print(f"engine rtol {settings.rtol:g}; reference CVODE rtol {TIGHT_RTOL:g}\n")
    print("| scenario | sets | largest error | sets > 1e-5 | 99th percentile | worst set |"
          " steps (acc. + rej.) | engine wall | Radau check of the worst |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        radau = "; ".join(f"#{c['set']}: {c['engine_vs_radau']:.1e} "
                          f"(CVODE {c['cvode_vs_radau']:.0e})" for c in row["radau"]) or "-"
        print(f"| {row['scenario']} | {row['sets']} (seed {row['seed']}) | {row['max_error']:.2e} |"
              f" {row['over_bound']} | {row['p99_error']:.1e} | #{row['worst'][0][0]} |"
              f" {row['steps_accepted']:.1f} + {row['steps_rejected']:.1f} |"
              f" {row['wall_s']:.2f} s ({row['threads']} threads) | {radau} |")
        if row["failed"] or row["cvode_failed"]:
            print(f"\n{row['scenario']}: {row['failed']} engine failures, "
                  f"{row['cvode_failed']} CVODE failures")
    if arguments.json:
        benchlib.atomic_write_text(arguments.json, json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
