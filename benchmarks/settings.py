"""Counts, constants and progress logging shared by the benchmark modules."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

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
    bound_sets: int         # sets per scenario of the accuracy check against CVODE (accuracy.py)


FULL = Counts(accuracy_sets=32, rr_sets=150, batch_sets=1000, rounds=15, lsoda_sets=20,
              single_repeats=300, breakdown_repeats=100, sweep_sets=10_000, sweep_rounds=3,
              warm_repeats=3, diagnostic_sets=1000, memory_sweeps=(10_000, 100_000),
              bound_sets=10_000)
QUICK = Counts(accuracy_sets=6, rr_sets=60, batch_sets=300, rounds=5, lsoda_sets=5,
               single_repeats=50, breakdown_repeats=20, sweep_sets=2000, sweep_rounds=1,
               warm_repeats=1, diagnostic_sets=200, memory_sweeps=(2000, 10_000),
               bound_sets=1000)


def log(message: str) -> None:
    """Progress on stderr with the time of day."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


