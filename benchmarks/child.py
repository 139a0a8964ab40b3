"""Measurements that need a fresh process; run by ``run.py``, one JSON object on stdout.

``python benchmarks/child.py first-call``
    Time the imports, the first ``simulate_batch`` call with one set (the
    narrow kernel) and the first with a block of sets (the wide kernel). With
    ``LBP_HEADACHE_CACHE`` pointing at an empty folder these are the compile
    times; pointing at a filled one, the cache-hit load times.

``python benchmarks/child.py sweep N_SETS WORKERS``
    Run a metrics-only latin-hypercube sweep of ``N_SETS`` sets through
    ``run_sweep`` in a temporary folder; report wall time and peak RSS.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import benchlib


def first_call() -> dict:
    """Import times, first and second call of ``simulate_batch`` and memory, in this process."""
    started = time.perf_counter()
    import numpy  # noqa: F401
    from lbp_headache import load_scenario
    imported_model = time.perf_counter()
    rss_model = benchlib.current_rss_mib()
    from lbp_headache.engine import batch_kernel
    from lbp_headache.engine.batch import simulate_batch
    imported_kernel = time.perf_counter()
    rss_kernel = benchlib.current_rss_mib()
    scenario = load_scenario(benchlib.SCENARIO)
    rows = benchlib.uniform_sets(1, benchlib.ACCURACY_SEED)
    before = time.perf_counter()
    simulate_batch(scenario, rows)
    first = time.perf_counter()
    simulate_batch(scenario, rows)
    second = time.perf_counter()
    block = benchlib.uniform_sets(batch_kernel.LANES, benchlib.ACCURACY_SEED)
    simulate_batch(scenario, block)
    first_block = time.perf_counter()
    cache = batch_kernel.cache_folder()
    return {
        "import_model_s": imported_model - started,
        "import_kernel_s": imported_kernel - imported_model,
        "first_call_s": first - before,
        "second_call_s": second - first,
        "first_block_call_s": first_block - second,
        "rss_after_model_mib": rss_model,
        "rss_after_kernel_mib": rss_kernel,
        "peak_rss_mib": benchlib.peak_rss_mib(),
        "cache_files": sum(1 for p in cache.rglob("*") if p.is_file()) if cache.exists() else 0,
    }


def sweep(n_sets: int, workers: int) -> dict:
    """Run the benchmark sweep of ``n_sets`` sets; wall time, peak RSS and output sizes."""
    from lbp_headache.analysis.sweep.reader import load_sweep
    from lbp_headache.analysis.sweep.runner import run_sweep
    from lbp_headache.engine.batch import simulate_batch
    from lbp_headache.scenario.reader import load_scenario

    started = time.perf_counter()
    scenario = load_scenario(benchlib.SCENARIO)
    for n in (1, 64):  # load both compiled kernels (narrow and wide) from the cache
        simulate_batch(scenario, benchlib.uniform_sets(n, 0))
    warm_up = time.perf_counter() - started
    rss_ready = benchlib.current_rss_mib()
    with tempfile.TemporaryDirectory(prefix="lbp-bench-sweep-") as folder:
        spec = load_sweep(benchlib.write_sweep_spec(Path(folder), n_sets))
        before = time.perf_counter()
        outcome = run_sweep(spec, Path(folder) / "out", workers=workers, figures=False)
        wall = time.perf_counter() - before
        sizes = {path.name: path.stat().st_size for path in outcome.files if path.exists()}
    return {
        "n_sets": outcome.n_sets,
        "failed_sets": outcome.failed_sets,
        "chunks": outcome.chunks_run,
        "chunk_size": spec.chunk_size,
        "workers": workers,
        "wall_s": wall,
        "warm_up_s": warm_up,
        "rss_ready_mib": rss_ready,
        "peak_rss_mib": benchlib.peak_rss_mib(),
        "output_bytes": sizes,
    }


def main(argv: list[str]) -> int:
    if argv[:1] == ["first-call"]:
        report = first_call()
    elif argv[:1] == ["sweep"] and len(argv) == 3:
        report = sweep(int(argv[1]), int(argv[2]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
