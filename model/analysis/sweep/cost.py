"""What a sweep costs, estimated before any work, and the bounds it must stay within.

Every bound is documented (docs/inputs.md, generated from
:mod:`lbp_headache.report.input_limits`); a sweep beyond one is refused with a
line giving the estimate, the bound and how to split the work.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lbp_headache.analysis.sweep.spec import SweepSpec, table_columns
from lbp_headache.core.parameters import NAMES
from lbp_headache.core.states import N_SEGMENT_INPUTS
from lbp_headache.scenario.record import change_times

MAX_SETS = 10_000_000  # simulations per sweep, summed over its scenarios
MAX_SCENARIOS = 100  # base scenarios of one sweep
MAX_CHUNK_BYTES = 256 * 2**20  # estimated memory of one chunk (two per worker are in flight)
MAX_TRAJECTORY_BYTES = 16 * 2**30  # trajectories/ on disk
MAX_DESIGN_BYTES = 2**30  # the design matrix (sets x swept parameters), held whole
MAX_BOOTSTRAP = 100_000  # bootstrap resamples
MAX_BOOTSTRAP_WORK = 2_000_000_000  # resamples x rows resampled (about a minute)
# Memory of one chunk per set, fitted to tracemalloc peaks of run_chunk (persistent back
# pain, multimodal care, 1,130 segments of flares and treatments; estimate / measured
# 1.0-1.3, tests/test_sweep_spec.py::test_chunk_memory_estimate_bounds_the_measured_peak):
CHUNK_DAY_ARRAYS = 8  # daily arrays per set: recorded states, metric temporaries
CHUNK_DAY_ARRAYS_PER_TRAJECTORY = 2
# Effective lumbar pain needs every parameter on every day (and a few temporaries).
CHUNK_DAY_ARRAYS_LUMBAR = len(NAMES) + 4
# Segment inputs and parameters per segment (and a little slack).
CHUNK_SEGMENT_FLOATS = N_SEGMENT_INPUTS + len(NAMES) + 3
CHUNK_BYTES_PER_SET = 2048


@dataclass(frozen=True)
class SweepCost:
    """What running a sweep costs, estimated before any work (see :func:`sweep_cost`)."""

    sets: int
    chunks: int
    chunk_bytes: int
    table_bytes: int
    trajectory_bytes: int
    sensitivity_sets: int


def sweep_cost(spec: SweepSpec) -> SweepCost:
    """Simulations, chunks, memory per chunk and output sizes of ``spec``.

    A chunk holds, per set, daily arrays (recorded states, metric
    temporaries, trajectories: :data:`CHUNK_DAY_ARRAYS` and the constants
    after it) and the segment inputs and parameters of the schedule
    (:data:`CHUNK_SEGMENT_FLOATS` per segment).
    """
    n_scenarios = len(spec.scenarios)
    days = max((math.floor(s.duration + 1e-9) + 2 for _, s in spec.scenarios), default=0)
    segments = max((len(change_times(s)) - 1 for _, s in spec.scenarios), default=0)
    variables = {*spec.trajectories, *(name for name, _ in spec.states_at)}
    day_arrays = (CHUNK_DAY_ARRAYS + CHUNK_DAY_ARRAYS_PER_TRAJECTORY * len(spec.trajectories)
                  + len(spec.states_at)
                  + (CHUNK_DAY_ARRAYS_LUMBAR if "lumbar_pain" in variables else 0))
    per_set = CHUNK_BYTES_PER_SET + 8 * (days * day_arrays + segments * CHUNK_SEGMENT_FLOATS)
    columns = len(table_columns(spec))
    sets = spec.n_sets * n_scenarios
    sensitivity_sets = 0
    if spec.sensitivity is not None:
        d = len(spec.parameters)
        block = spec.sensitivity
        rows = {"sobol": block.sobol_samples * (d + 2),
                "morris": block.morris_trajectories * (d + 1), "local": 2 * d + 1}
        sensitivity_sets = n_scenarios * sum(rows[m] for m in block.methods)
    return SweepCost(
        sets=sets, chunks=n_scenarios * -(-spec.n_sets // spec.chunk_size),
        chunk_bytes=min(spec.chunk_size, max(spec.n_sets, 1)) * per_set,
        table_bytes=sets * columns * 20,
        trajectory_bytes=sets * days * 8 * len(spec.trajectories),
        sensitivity_sets=sensitivity_sets)


