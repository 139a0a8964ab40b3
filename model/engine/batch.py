"""Simulate one scenario for many parameter sets at once: :func:`simulate_batch`.

The scenario fixes the schedule (profiles and treatment windows, hence the
segment boundaries); each parameter set gets its own segment inputs (a
treatment's target may depend on parameters such as a drug's efficacy), its
own initial state and its own adaptive steps in the compiled integrator
(:mod:`lbp_headache.engine.batch_kernel`). Sets never interact, so a set's result does not
depend on which chunk, thread, process or lane computed it.
"""

from __future__ import annotations

import importlib
import math
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

import numpy as np
from lbp_headache.core.equations import steady_state
from lbp_headache.core.parameters import NAMES
from lbp_headache.core.states import STATE_INDEX, STATE_NAMES, STATES
from lbp_headache.engine.patient_inputs import PatientInputs
from lbp_headache.engine.schedule import segment_tables
from lbp_headache.scenario.record import Scenario

_LOWER = np.array([s.low for s in STATES])
_UPPER = np.array([s.high for s in STATES])
FEW_SETS = 16  # up to this many sets run in the narrow kernel (same results, fewer idle lanes)


@dataclass(frozen=True)
class BatchSettings:
    """Settings of the compiled batch integrator (recorded in every sweep's metadata).

    ``rtol``/``atol`` bound each step's estimated local error (the pain
    threshold's tolerance is :data:`lbp_headache.engine.batch_kernel.THRESHOLD_WEIGHT` times
    smaller); ``max_step`` (days) bounds the daily values' interpolation error
    on quiet stretches; ``first_step`` is the first step of the run. The
    defaults keep the largest relative headache error below 1e-5 (measured in
    tests/test_batch.py and benchmarks/).
    """

    rtol: float = 3e-6
    atol: float = 1e-8
    max_step: float = 8.0
    first_step: float = 0.01
    range_tolerance: float = 1e-6

    def __post_init__(self):
        if not (0 < self.rtol < 1 and self.atol > 0):
            raise ValueError("need 0 < rtol < 1 and atol > 0")
        if not (0 < self.first_step <= self.max_step):
            raise ValueError("need 0 < first_step <= max_step")

    def as_dict(self) -> dict:
        from lbp_headache.engine.batch_kernel import (  # lazy: the kernel module loads numba
            LANES,
            THRESHOLD_WEIGHT,
        )

        method = ("exponential Runge-Kutta (Hochbruck-Ostermann, stiff order 4), adaptive per set, "
                  f"{LANES} SIMD lanes")
        return {"method": method, **asdict(self), "threshold_tolerance_weight": THRESHOLD_WEIGHT}


@dataclass(frozen=True)
class BatchResult:
    """Daily states of every set: ``states[set, day, k]`` for the state ``names[k]``.

    ``final[set, k]`` holds the states at the end of the run (which may fall
    between two whole days).

    ``status`` is 0 for a good set (else a code of
    :data:`lbp_headache.engine.status.STATUS_TEXT`); ``steps`` holds accepted and
    rejected steps per set.
    """

    days: np.ndarray
    names: tuple[str, ...]
    states: np.ndarray
    final: np.ndarray
    status: np.ndarray
    steps: np.ndarray
    segment_starts: np.ndarray
    segment_parameters: np.ndarray
    segment_inputs: np.ndarray


# The last two output blocks (of at most OUTPUT_REUSE_BYTES each), kept so that a later
# call can write into one again once every array of its result has been dropped
# (:func:`output_array`).
OUTPUT_REUSE_BYTES = 64 * 2**20
# Smaller blocks are left to the C library's allocator, which reuses freed memory itself.
OUTPUT_MAPPED_BYTES = 32 * 2**20
KEPT_OUTPUTS = 2
_kept_outputs: list[np.ndarray] = []
_kept_outputs_lock = threading.Lock()


def _forget_outputs_after_fork() -> None:
    """A forked process starts with no kept blocks and a fresh lock (another thread may
    have held the parent's at the fork)."""
    global _kept_outputs_lock
    _kept_outputs_lock = threading.Lock()
    _kept_outputs.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_outputs_after_fork)


def output_array(shape: tuple[int, ...]) -> np.ndarray:
    """An uninitialised float array for the daily values, in the last call's memory when
    nothing refers to that memory any more.

    A block above glibc's largest ``mmap`` threshold (:data:`OUTPUT_MAPPED_BYTES`) is
    a fresh memory map on every call, which Linux fills page by page on first write:
    every state of 1,000 sets (41 MB) took 11.8 ms to allocate and write, against
    4.3 ms with huge pages (below) and none for memory already mapped. So the last
    :data:`KEPT_OUTPUTS` such blocks of at most :data:`OUTPUT_REUSE_BYTES` are kept,
    and a call whose output fits one (at least half of it used) writes there, if no
    array refers to it any more: every view of a block (a result's ``states`` and
    ``final`` and whatever was sliced from them) holds a reference to the block
    itself, so its reference count shows whether any is left. Two blocks, so that a
    loop ``result = simulate_batch(...)``, which still holds the previous result during
    the call, alternates between them. Otherwise a new block is allocated and kept in
    place of the oldest. Measured (1,000 uniform sets, every state, one thread, CPU
    time, interleaved processes): 0.116-0.118 s before, 0.107-0.109 s after.
    """
    size = math.prod(shape)
    if 8 * size <= OUTPUT_MAPPED_BYTES:
        return _fresh_output(size).reshape(shape)
    with _kept_outputs_lock:
        unused = [_unused(index) for index in range(len(_kept_outputs))]
        for index, free in enumerate(unused):
            if free and size <= _kept_outputs[index].size <= 2 * size:
                return _kept_outputs[index][:size].reshape(shape)
        # Blocks nothing uses are freed now; the oldest kept one is let go for the new one.
        _kept_outputs[:] = [block for block, free in zip(_kept_outputs, unused) if not free]
        del _kept_outputs[:len(_kept_outputs) + 1 - KEPT_OUTPUTS]
        block = _fresh_output(size)
        if block.nbytes <= OUTPUT_REUSE_BYTES:
            _kept_outputs.append(block)
        return block[:size].reshape(shape)


def _unused(index: int) -> bool:
    """Whether no array refers to the kept block ``index`` (its only references are the
    list's and ``getrefcount``'s argument)."""
    return sys.getrefcount(_kept_outputs[index]) == 2


def _fresh_output(size: int) -> np.ndarray:
    """An uninitialised float array for the daily values, without transparent huge pages.

    NumPy asks Linux for transparent huge pages for arrays of 4 MiB and more
    (``madvise(MADV_HUGEPAGE)``); where the kernel then defragments memory on
    the page fault (``defrag`` at ``madvise``, the common default), the
    threads writing a large output stall in that compaction, most in a
    long-running process whose memory is fragmented. Measured in
    ``benchmarks/run.py``: 10,000 sets on 2 threads took 592 ms (scaling
    1.69-1.88 over three rounds) with huge pages and 541 ms (1.91-1.97)
    without; every state recorded, 162 against 151 us per set. So the array is
    allocated with NumPy's advice switched off (its private switch, found
    under either NumPy 1 or 2; without it, plain ``numpy.empty``). NumPy's
    allocator still reuses freed memory, which a fresh memory map would not
    (measured: a fresh map per call was 6 % slower).
    """
    switch = _huge_page_switch()
    if switch is None:
        return np.empty(size)
    previous = switch(False)
    try:
        return np.empty(size)
    finally:
        switch(previous)


def _huge_page_switch():
    for module in ("numpy._core.multiarray", "numpy.core.multiarray"):
        try:
            return importlib.import_module(module)._set_madvise_hugepage
        except (ImportError, AttributeError):
            continue
    return None


def day_grid(duration: float) -> np.ndarray:
    """Whole days ``0, 1, ..., floor(duration)`` (as :func:`lbp_headache.engine.simulate` uses)."""
    return np.arange(math.floor(duration + 1e-9) + 1, dtype=float)


def initial_states(scenario: Scenario, parameter_sets: np.ndarray) -> np.ndarray:
    """Initial state of every set (healthy steady state plus the scenario's overrides)."""
    y0 = np.ascontiguousarray(steady_state(parameter_sets.T).T)
    for name, value in scenario.initial_state.items():
        y0[:, STATE_INDEX[name]] = value
    return y0


def simulate_batch(scenario: Scenario, parameter_sets: np.ndarray, *,
                   settings: BatchSettings = BatchSettings(), threads: int = 1,
                   record: tuple[str, ...] | None = None,
                   inputs: PatientInputs | None = None) -> BatchResult:
    """Simulate ``scenario`` for every row of ``parameter_sets`` (full parameter arrays).

    Parameters
    ----------
    scenario
        The scenario (its own parameter overrides are *not* applied here: the
        rows are complete parameter arrays, see
        :func:`lbp_headache.analysis.sweep.runner.parameter_sets`).
    parameter_sets
        ``(n_sets, n_parameters)`` in the order of :data:`lbp_headache.core.parameters.NAMES`.
    settings
        Integrator settings.
    threads
        Threads to share the sets among (the result does not depend on it).
    record
        States to keep on the daily grid (default: all of them).
    inputs
        Input profiles of each set (a virtual population's patients:
        :class:`~lbp_headache.engine.patient_inputs.PatientInputs`); default:
        the scenario's, for every set.

    Returns
    -------
    BatchResult
        Daily states ``0 .. floor(duration)``, status and step counts.
    """
    import lbp_headache.engine.batch_kernel as batch_kernel  # lazy: loads numba, compiles once

    parameter_sets = np.ascontiguousarray(parameter_sets, dtype=float)
    if parameter_sets.ndim != 2 or parameter_sets.shape[1] != len(NAMES):
        raise ValueError(f"parameter_sets must have shape (n_sets, {len(NAMES)})")
    n_sets = parameter_sets.shape[0]
    days = day_grid(scenario.duration)
    schedule = scenario if inputs is None else inputs.schedule(scenario)
    starts, ends, segment_inputs, per_segment = segment_tables(schedule, parameter_sets)
    if inputs is not None:
        if inputs.n != n_sets:
            raise ValueError(f"inputs are for {inputs.n} sets; got {n_sets} parameter sets")
        segment_inputs = inputs.segment_inputs(scenario, segment_inputs, starts)
    # One compiled specialization: C-contiguous and writable (a read-only broadcast view, as
    # for a one-segment run, would make numba compile the kernel again, for 10-20 s).
    per_segment = np.require(per_segment, requirements=("C", "W"))
    y0 = initial_states(scenario, parameter_sets)
    names = STATE_NAMES if record is None else tuple(record)
    indices = np.array([STATE_INDEX[name] for name in names], dtype=np.int64)
    # Whole days, plus the end of the run when it is not a whole day.
    grid = days if days[-1] == scenario.duration else np.append(days, scenario.duration)
    out = output_array((n_sets, grid.size, indices.size))
    status = np.zeros(n_sets, dtype=np.int64)
    steps = np.zeros((n_sets, 2), dtype=np.int64)

    kernel = batch_kernel.integrate_few if n_sets <= FEW_SETS else batch_kernel.integrate_block
    # Every thread's lanes take their next set from this one counter, so no thread runs out
    # of sets while another still has some waiting, and lanes drain only at the very end.
    queue = np.zeros(1, dtype=np.int64)

    def run() -> None:
        kernel(y0, starts, ends, segment_inputs, per_segment, grid, _LOWER, _UPPER,
               settings.rtol, settings.atol, settings.max_step, settings.first_step,
               settings.range_tolerance, batch_kernel.TOLERANCE_WEIGHTS,
               batch_kernel.ABSOLUTE_TOLERANCE_SCALE, indices, out, status, steps, queue)

    workers = min(threads, -(-n_sets // batch_kernel.LANES))  # a thread per LANES sets at most
    if workers <= 1 or n_sets <= FEW_SETS:
        run()
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for future in [pool.submit(run) for _ in range(workers)]:
                future.result()
    return BatchResult(days, names, out[:, :days.size], out[:, -1], status, steps, starts,
                       per_segment, segment_inputs)
