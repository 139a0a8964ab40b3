"""Run a sweep specification: chunks of parameter sets -> metrics table, metadata, figures.

Layout of the output folder::

    results.csv          one row per (scenario, set): inputs, then metrics
    results.parquet      the same table, when pyarrow is installed
    metadata.json        spec, seed, version, engine settings, backend, timings
    trajectories/        <scenario>__<variable>.npy (sets x days), only when asked
    figures/             1-D curves, 2-D heatmaps with the chronification boundary
    chunks/              one file per finished chunk (kept for --resume)

Each chunk is written atomically as soon as it finishes, so a killed sweep
loses at most the chunks in flight; ``resume=True`` reuses the finished ones
(after checking they belong to the same spec and engine settings, and each
chunk's own identity and checksum: :mod:`lbp_headache.analysis.sweep.chunks`) and the final
table is identical to an uninterrupted run. The folder is an
:class:`~lbp_headache.files.output_folder.OutputFolder`: locked while the sweep runs, and
nothing in it that the tool did not write is replaced or deleted. Memory is bounded by the
chunks in flight: metrics are reduced inside each chunk, and the final table
is streamed from the chunk files.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from lbp_headache.analysis.backends import open_backend
from lbp_headache.analysis.metrics import NEEDED_STATES, compute_metrics, state_metric_name
from lbp_headache.analysis.sweep import chunks as sweep_chunks
from lbp_headache.analysis.sweep.chunks import ChunkError, fingerprint_sha256
from lbp_headache.analysis.sweep.spec import SweepSpec, describe, design_matrix
from lbp_headache.analysis.sweep.spec import table_columns_of as table_columns
from lbp_headache.core.equations import effective_lumbar_pain
from lbp_headache.core.errors import ModelError
from lbp_headache.core.parameters import INDEX, parameter_vector
from lbp_headache.core.states import HEADACHE_COMPONENTS, STATE_NAMES
from lbp_headache.engine.batch import BatchSettings, simulate_batch
from lbp_headache.engine.batch_kernel import STATUS_TEXT
from lbp_headache.files.output_folder import OutputConflict, OutputFolder
from lbp_headache.report.run_folder import DISCLAIMER, RED_FLAGS, atomic_write_bytes, to_json
from lbp_headache.report.sweep_figures import (
    FIGURE_METRICS,
    MAX_SCATTER_POINTS,
    render_sweep_figures,
    sweep_figure_names,
)
from lbp_headache.scenario.record import Scenario

CHUNK_FORMAT = 2  # 2: chunks carry their identity and checksum


class ResumeError(ModelError, ValueError):
    """``--resume`` on a folder whose chunks belong to another sweep or engine."""


@dataclass(frozen=True)
class ChunkJob:
    """One chunk: a slice of the design run on one base scenario (picklable)."""

    label: str
    index: int
    first_set: int
    scenario: Scenario
    parameter_sets: np.ndarray
    metrics: tuple[str, ...]
    states_at: tuple[tuple[str, float], ...]
    trajectories: tuple[str, ...]
    settings: BatchSettings
    threads: int = 1


@dataclass(frozen=True)
class SweepOutcome:
    """What :func:`run_sweep` produced."""

    folder: Path
    n_sets: int
    failed_sets: int
    chunks_run: int
    chunks_reused: int
    seconds: float
    files: tuple[Path, ...]


def parameter_sets(spec: SweepSpec, scenario: Scenario, design: np.ndarray) -> np.ndarray:
    """Full parameter rows: table, scenario values, ``fixed``, then the design columns."""
    base = parameter_vector({**scenario.parameters, **spec.fixed})
    rows = np.tile(base, (design.shape[0], 1))
    for column, name in enumerate(spec.parameter_names):
        rows[:, INDEX[name]] = design[:, column]
    return rows


def run_chunk(job: ChunkJob) -> dict[str, np.ndarray]:
    """Simulate one chunk and reduce it to its metric columns (runs on a worker)."""
    wanted = {name for name, _ in job.states_at} | set(job.trajectories)
    record = tuple(dict.fromkeys(
        (*NEEDED_STATES, *(n for n in STATE_NAMES if n in wanted or _needs_effects(wanted, n)))))
    batch = simulate_batch(job.scenario, job.parameter_sets, settings=job.settings,
                           record=record, threads=job.threads)
    daily = {name: batch.states[:, :, k] for k, name in enumerate(batch.names)}
    ok = batch.status == 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        # A failed set's values may be anything; its metrics are masked to NaN below.
        metrics = compute_metrics(
            daily, job.parameter_sets, first_treatment_start=job.scenario.first_treatment_start,
            final_threshold=batch.final[:, batch.names.index("pain_threshold")])
    columns = {"status": batch.status.astype(np.int64)}
    for name in job.metrics:
        columns[name] = np.where(ok, metrics[name], np.nan)
    for variable, day in job.states_at:
        values = _daily_variable(variable, daily, batch, job.scenario)[:, int(day)]
        columns[state_metric_name(variable, day)] = np.where(ok, values, np.nan)
    for variable in job.trajectories:
        values = _daily_variable(variable, daily, batch, job.scenario)
        columns[f"trajectory:{variable}"] = np.where(ok[:, None], values, np.nan)
    return columns


def _needs_effects(wanted: set[str], state: str) -> bool:
    # Effective lumbar pain is computed from the physical therapy and NSAID effects.
    return "lumbar_pain" in wanted and state in ("physical_therapy_effect", "nsaid_effect")


def _daily_variable(name: str, daily: dict, batch, scenario: Scenario) -> np.ndarray:
    """A column of :data:`lbp_headache.engine.result.COLUMNS` on the daily grid for every set."""
    if name in daily:
        return daily[name]
    days = batch.days
    n_sets = batch.states.shape[0]
    if name == "headache":
        return sum(daily[c] for c in HEADACHE_COMPONENTS)
    if name in ("disc_degeneration", "ergonomic_load"):
        return np.tile(getattr(scenario, name)(days), (n_sets, 1))
    if name == "lumbar_pain":
        raw = scenario.lumbar_pain(days)
        segment = np.clip(np.searchsorted(batch.segment_starts, days, side="right") - 1, 0,
                          batch.segment_starts.size - 1)
        p = batch.segment_parameters[:, segment, :].transpose(2, 0, 1)
        return effective_lumbar_pain(raw[None, :], daily["physical_therapy_effect"],
                                     daily["nsaid_effect"], p)
    raise KeyError(name)


# --- the driver ---------------------------------------------------------------------------


def run_sweep(spec: SweepSpec, folder: str | os.PathLike, *, workers: int | None = None,
              scheduler: str | None = None, resume: bool = False,
              settings: BatchSettings = BatchSettings(),
              progress: Callable[[int, int, float], None] | None = None,
              figures: bool = True) -> SweepOutcome:
    """Run ``spec`` into ``folder`` (see the module docstring for the layout).

    Parameters
    ----------
    spec
        A loaded sweep specification (:func:`lbp_headache.analysis.sweep.spec.load_sweep`).
    folder
        Output folder (created if needed). It is locked while the sweep runs,
        and only files the tool wrote there are replaced
        (:class:`~lbp_headache.files.output_folder.OutputFolder`).
    workers, scheduler
        Backend: local threads (default, all cores), or a Dask scheduler
        address (``"local"`` starts a local cluster of ``workers`` processes).
    resume
        Reuse the finished chunks of an interrupted run of the same sweep;
        a chunk that does not verify (damaged, or another chunk's) is
        recomputed.
    settings
        Integrator settings.
    progress
        Called as ``progress(done_sets, total_sets, elapsed_seconds)``.
    figures
        Render the sweep figures.

    Raises
    ------
    ResumeError
        If ``resume`` finds chunks of a different sweep or engine, or a
        damaged fingerprint (nothing is deleted then).
    OutputConflict
        If a file the sweep would replace or delete was not written by the
        tool (one line per file; nothing is deleted then).
    FolderBusy
        If another process is writing into ``folder``.
    ChunkError
        If a finished chunk changes or is damaged before it is assembled.
    """
    from lbp_headache.core.version import __version__

    started = time.perf_counter()
    fingerprint = _fingerprint(spec, settings, __version__)
    sweep_id = fingerprint_sha256(fingerprint)
    # The backend first: an unreachable scheduler must not leave a folder behind.
    backend = open_backend(workers, scheduler)
    try:
        out = OutputFolder(folder)
        out.open()
    except BaseException:
        backend.close()
        raise
    with contextlib.closing(out):
        try:
            _claim(spec, out, fingerprint, resume)
            design = design_matrix(spec)
            jobs = [(label, index, lo, hi)
                    for label, index, lo, hi, _ in _chunk_ranges(spec, design)]
            root = out.path / CHUNKS
            pending_jobs = [key for key in jobs if not sweep_chunks.is_valid_chunk(
                _chunk_path(root, *key[:2]), _identity(sweep_id, *key))]
            reused = len(jobs) - len(pending_jobs)
            total = sum(hi - lo for _, _, lo, hi in jobs)
            done_sets = total - sum(hi - lo for _, _, lo, hi in pending_jobs)
            if progress:
                progress(done_sets, total, 0.0)
            if pending_jobs:
                _run_chunks(spec, design, settings, root, sweep_id, pending_jobs, backend,
                            done_sets, total, progress, started)
            backend_info = (backend.describe() if pending_jobs
                            else {"backend": "none: every chunk was reused"})
        finally:
            backend.close()
        files, failed = _assemble(spec, design, out, sweep_id, jobs)
        seconds = time.perf_counter() - started
        metadata = _metadata(spec, settings, fingerprint, backend_info, len(jobs) - reused,
                             reused, failed, seconds, files)
        files.append(out.write_text("metadata.json", to_json(metadata)))
        if figures:
            files.extend(_write_figures(spec, design, out, sweep_id))
    return SweepOutcome(out.path, design.shape[0] * len(spec.scenarios), failed,
                        len(jobs) - reused, reused, seconds, tuple(files))


CHUNKS = "chunks"
FINGERPRINT_FILE = f"{CHUNKS}/{sweep_chunks.FINGERPRINT}"
OUTPUT_FILES = ("results.csv", "results.parquet", "metadata.json")
OUTPUT_FOLDERS = ("trajectories/", "figures/")


def planned_outputs(spec: SweepSpec) -> list[str]:
    """Files a run of ``spec`` writes (relative to its folder), chunks aside."""
    files = list(OUTPUT_FILES)
    files += [f"trajectories/{label}__{variable}.npy"
              for label, _ in spec.scenarios for variable in spec.trajectories]
    files += [f"figures/{name}" for name in sweep_figure_names(spec)]
    return files


def _claim(spec: SweepSpec, out: OutputFolder, fingerprint: dict, resume: bool) -> None:
    """Check that the sweep may write where it will, then clear a previous run's outputs.

    Everything is checked before anything is deleted.
    """
    root = out.path / CHUNKS
    lines = out.conflicts([*planned_outputs(spec), FINGERPRINT_FILE])
    if root.exists() or root.is_symlink():
        if root.is_symlink() or not root.is_dir():
            lines.append(f"{root}: exists and is not a folder the tool made; move it away "
                         "or choose another output folder")
        elif not (root / sweep_chunks.FINGERPRINT).exists() or \
                FINGERPRINT_FILE not in out.files:
            lines.append(f"{root}: a folder lbp-headache did not make (no fingerprint.json of "
                         "its own); move it away or choose another output folder")
        else:
            lines += [f"{path}: was not written by lbp-headache; it will not be deleted: "
                      "move it away" for path in sweep_chunks.foreign_files(root)]
    previous = [rel for prefix in OUTPUT_FOLDERS for rel in out.listed(prefix)]
    lines += out.conflicts(previous)
    if lines:
        raise OutputConflict("\n".join(dict.fromkeys(lines)))
    kept = False
    if resume and FINGERPRINT_FILE in out.files:
        try:
            found = json.loads((root / sweep_chunks.FINGERPRINT).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise ResumeError(f"{root / sweep_chunks.FINGERPRINT}: --resume: the file is "
                              "damaged; run without --resume to start over") from None
        expected = json.loads(to_json(fingerprint))
        if found != expected:
            differs = sorted(k for k in expected
                             if not isinstance(found, dict) or found.get(k) != expected[k])
            raise ResumeError(
                f"{root}: --resume: the finished chunks belong to a different sweep "
                f"({', '.join(differs)} changed); run without --resume to start over")
        kept = True
    for rel in [name for name in OUTPUT_FILES if name in out.files] + previous:
        out.remove(rel)
    if not kept:
        if FINGERPRINT_FILE in out.files:
            out.remove(FINGERPRINT_FILE)
        sweep_chunks.clear(root)
        root.mkdir(parents=True)
        out.write_text(FINGERPRINT_FILE, to_json(fingerprint))


def _run_chunks(spec: SweepSpec, design: np.ndarray, settings: BatchSettings, root: Path,
                sweep_id: str, pending_jobs: list, backend, done_sets: int, total: int,
                progress, started: float) -> None:
    """Run the pending chunks on ``backend``, a bounded number in flight, writing each as it
    finishes."""
    in_flight: dict = {}
    limit = 2 * max(1, backend.workers)
    # Fewer chunks than local workers: share each chunk's sets among threads.
    threads = 1
    if backend.name == "threads" and len(pending_jobs) < backend.workers:
        threads = backend.workers // len(pending_jobs)
    queue = iter(pending_jobs)
    for job_key in queue:
        job = _make_job(spec, design, settings, *job_key, threads=threads)
        in_flight[backend.submit(run_chunk, job)] = job_key
        if len(in_flight) >= limit:
            break
    while in_flight:
        done, _ = backend.wait_first(set(in_flight))
        for future in done:
            key = in_flight.pop(future)
            label, index, lo, hi = key
            path = _chunk_path(root, label, index)
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, sweep_chunks.encode_chunk(_identity(sweep_id, *key),
                                                               future.result()))
            done_sets += hi - lo
            if progress:
                progress(done_sets, total, time.perf_counter() - started)
            next_key = next(queue, None)
            if next_key is not None:
                job = _make_job(spec, design, settings, *next_key, threads=threads)
                in_flight[backend.submit(run_chunk, job)] = next_key


def _chunk_ranges(spec: SweepSpec, design: np.ndarray):
    n = design.shape[0]
    for label, _ in spec.scenarios:
        for index, lo in enumerate(range(0, n, spec.chunk_size)):
            hi = min(lo + spec.chunk_size, n)
            yield label, index, lo, hi, hi - lo


def _identity(sweep_id: str, label: str, index: int, lo: int, hi: int) -> dict:
    return sweep_chunks.chunk_identity(sweep_id, label, index, lo, hi - lo)


def _make_job(spec: SweepSpec, design: np.ndarray, settings: BatchSettings, label: str,
              index: int, lo: int, hi: int, *, threads: int = 1) -> ChunkJob:
    scenario = dict(spec.scenarios)[label]
    return ChunkJob(label, index, lo, scenario, parameter_sets(spec, scenario, design[lo:hi]),
                    spec.metrics, spec.states_at, spec.trajectories, settings, threads)


def _chunk_path(root: Path, label: str, index: int) -> Path:
    return root / label / f"chunk_{index:06d}.npz"


def _fingerprint(spec: SweepSpec, settings: BatchSettings, version: str) -> dict:
    """What must match for finished chunks to be reused."""
    import scipy

    return {
        "format": CHUNK_FORMAT,
        "version": version,
        "numpy": np.__version__,  # the design is drawn again on --resume
        "scipy": scipy.__version__,
        "spec_sha256": spec.source_hash,
        "scenario_sha256": {label: s.source_hash for label, s in spec.scenarios},
        "engine": settings.as_dict(),
    }


# --- assembling the outputs ---------------------------------------------------------------


def _verified_chunk(out: OutputFolder, sweep_id: str, label: str, index: int, lo: int,
                    hi: int) -> dict[str, np.ndarray]:
    path = _chunk_path(out.path / CHUNKS, label, index)
    try:
        return sweep_chunks.read_chunk(path, _identity(sweep_id, label, index, lo, hi))
    except ChunkError as exc:
        raise ChunkError(f"{path}: {exc}; it is not used: run the sweep again with --resume "
                         "to recompute it") from None


def _assemble(spec: SweepSpec, design: np.ndarray, out: OutputFolder, sweep_id: str,
              jobs: list) -> tuple[list[Path], int]:
    """Write ``results.csv``, ``results.parquet`` and trajectories from the verified chunks.

    Every table is built in a temporary file; on any failure (a damaged
    chunk, a full disk, Ctrl-C) every temporary file is removed and the
    folder keeps no partial table.
    """
    header = table_columns(spec)
    failed = 0
    with contextlib.ExitStack() as stack:
        tmp_csv = stack.enter_context(out.new_file("results.csv"))
        parquet = _parquet_writer(stack, out, header)
        trajectories: dict[tuple[str, str], np.memmap] = {}
        with open(tmp_csv, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for label, index, lo, hi in jobs:
                chunk = _verified_chunk(out, sweep_id, label, index, lo, hi)
                status = chunk["status"]
                failed += int(np.count_nonzero(status))
                values = {name: design[lo:hi, k] for k, name in enumerate(spec.parameter_names)}
                values.update({name: chunk[name] for name in (*spec.metrics,
                                                               *spec.state_columns)})
                columns = [np.full(hi - lo, label, dtype=object), np.arange(lo, hi),
                           *[values[name] for name in header[2:-1]],
                           np.array([STATUS_TEXT[int(s)] for s in status], dtype=object)]
                lines = map(",".join, zip(*[_cells(column) for column in columns]))
                handle.write("".join(line + "\r\n" for line in lines))  # csv's dialect
                if parquet is not None:
                    parquet.write(columns)
                for variable in spec.trajectories:
                    key = (label, variable)
                    block = chunk[f"trajectory:{variable}"]
                    if key not in trajectories:
                        trajectories[key] = _open_trajectory(
                            stack, out, f"trajectories/{label}__{variable}.npy",
                            design.shape[0], block.shape[1])
                    trajectories[key][lo:hi] = block
            handle.flush()
            os.fsync(handle.fileno())
        if parquet is not None:
            parquet.close()
        for array in trajectories.values():
            array.flush()
        trajectories.clear()
    files = [out.path / "results.csv"]
    if parquet is not None:
        files.append(out.path / "results.parquet")
    files += [out.path / f"trajectories/{label}__{variable}.npy"
              for label, _ in spec.scenarios for variable in spec.trajectories]
    return files, failed


def _cells(column: np.ndarray) -> list[str]:
    """A column as CSV fields: floats in their shortest exact form (``repr``), NaN empty,
    text quoted as the ``csv`` module would."""
    values = column.tolist()  # Python numbers: formatting numpy scalars is several times slower
    if column.dtype.kind == "O":
        quoted = {v: _quote(str(v)) for v in set(values)}  # a few distinct labels
        return [quoted[v] for v in values]
    if column.dtype.kind != "f":
        return list(map(str, values))
    cells = list(map(repr, values))
    for k in np.flatnonzero(np.isnan(column)).tolist():
        cells[k] = ""
    return cells


def _quote(text: str) -> str:
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _open_trajectory(stack: contextlib.ExitStack, out: OutputFolder, rel: str, n_sets: int,
                     n_days: int) -> np.memmap:
    """A ``.npy`` memory map in a temporary file of ``rel``, its disk space reserved.

    Space is reserved up front (``posix_fallocate``): a full disk is then an
    ``OSError`` here, not a crash (SIGBUS) while the map is written.
    """
    tmp = stack.enter_context(out.new_file(rel))
    array = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float64, shape=(n_sets, n_days))
    if hasattr(os, "posix_fallocate"):
        with open(tmp, "r+b") as handle:
            os.posix_fallocate(handle.fileno(), 0, os.path.getsize(tmp))
    return array


class _ParquetStream:
    """``results.parquet`` written chunk by chunk into a temporary file."""

    def __init__(self, path: Path, header: list[str]):
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._pa = pa
        fields = [pa.field("scenario", pa.string()), pa.field("set", pa.int64())]
        fields += [pa.field(name, pa.float64()) for name in header[2:-1]]
        fields.append(pa.field("status", pa.string()))
        self.schema = pa.schema(fields)
        self.writer = pq.ParquetWriter(path, self.schema)

    def write(self, columns: list[np.ndarray]) -> None:
        arrays = [self._pa.array(list(columns[0]), self._pa.string()),
                  self._pa.array(columns[1].astype(np.int64))]
        arrays += [self._pa.array(np.asarray(c, dtype=float)) for c in columns[2:-1]]
        arrays.append(self._pa.array(list(columns[-1]), self._pa.string()))
        self.writer.write_table(self._pa.Table.from_arrays(arrays, schema=self.schema))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def _parquet_writer(stack: contextlib.ExitStack, out: OutputFolder, header: list[str]):
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return None
    stream = _ParquetStream(stack.enter_context(out.new_file("results.parquet")), header)
    stack.callback(stream.close)  # closed before its temporary file is moved or removed
    return stream


def _write_figures(spec: SweepSpec, design: np.ndarray, out: OutputFolder,
                   sweep_id: str) -> list[Path]:
    names = [m for m in spec.metrics if m in FIGURE_METRICS]
    columns = set(names) | ({"final_sensitization"} & set(spec.metrics))
    limit = None if spec.design == "grid" else MAX_SCATTER_POINTS
    data = read_metric_columns(out, spec, sweep_id, sorted(columns), limit=limit)
    return [out.write_bytes(f"figures/{name}", png)
            for name, png in render_sweep_figures(spec, design, data)]


def _metadata(spec: SweepSpec, settings: BatchSettings, fingerprint: dict, backend: dict,
              chunks_run: int, chunks_reused: int, failed: int, seconds: float,
              files: list[Path]) -> dict:
    import numba
    from lbp_headache.core.version import __version__

    return {
        "package": "lbp-headache",
        "version": __version__,
        "disclaimer": DISCLAIMER,
        "red_flags": list(RED_FLAGS),
        "spec": describe(spec),
        "seed": spec.seed,
        "engine": settings.as_dict(),
        "backend": backend,
        "fingerprint": fingerprint,
        "n_sets_per_scenario": int(spec.n_sets),
        "failed_sets": failed,
        "chunks_run": chunks_run,
        "chunks_reused": chunks_reused,
        "seconds": round(seconds, 3),
        "columns": table_columns(spec),
        "files": [f.name if f.parent.name != "trajectories" else f"trajectories/{f.name}"
                  for f in files],
        "numpy": np.__version__,
        "numba": numba.__version__,
        "python": sys.version.split()[0],
    }


def terminal_progress(stream=None) -> Callable[[int, int, float], None] | None:
    """A progress bar with the time left, on a terminal; ``None`` (quiet) otherwise."""
    stream = stream or sys.stderr
    if not (hasattr(stream, "isatty") and stream.isatty()):
        return None

    baseline: list[int] = []  # sets already done at the first call (reused by --resume)

    def show(done: int, total: int, elapsed: float) -> None:
        if not baseline:
            baseline.append(done)
        fraction = done / total if total else 1.0
        width = 30
        bar = "#" * int(fraction * width) + "-" * (width - int(fraction * width))
        new = done - baseline[0]
        eta = ""
        if 0 < fraction < 1 and elapsed > 0 and new > 0:
            eta = f", about {_duration(elapsed / new * (total - done))} left"
        stream.write(f"\r[{bar}] {done:,}/{total:,} sets{eta}   ")
        if done >= total:
            stream.write("\n")
        stream.flush()

    return show


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"



def read_metric_columns(out: OutputFolder, spec: SweepSpec, sweep_id: str, names: list[str], *,
                        limit: int | None = None) -> dict[str, dict[str, np.ndarray]]:
    """Metric columns per scenario from the verified chunk files (the first ``limit`` sets)."""
    columns: dict[str, dict[str, np.ndarray]] = {}
    design_sets = spec.n_sets
    for label, _ in spec.scenarios:
        parts: dict[str, list[np.ndarray]] = {name: [] for name in names}
        count = 0
        for index, lo in enumerate(range(0, design_sets, spec.chunk_size)):
            if limit is not None and count >= limit:
                break
            hi = min(lo + spec.chunk_size, design_sets)
            chunk = _verified_chunk(out, sweep_id, label, index, lo, hi)
            for name in names:
                parts[name].append(chunk[name])
            count += hi - lo
        columns[label] = {name: np.concatenate(values)[:limit] if values else np.empty(0)
                          for name, values in parts.items()}
    return columns
