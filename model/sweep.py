"""Run a sweep specification: chunks of parameter sets -> metrics table, metadata, figures.

Layout of the output folder::

    results.csv          one row per (scenario, set): inputs, then metrics
    results.parquet      the same table, when pyarrow is installed
    metadata.json        spec, seed, version, engine settings, backend, timings
    trajectories/        <scenario>__<variable>.npy (sets x days), only when asked
    figures/             1-D curves, 2-D heatmaps with the chronification boundary
    chunks/              one .npz per finished chunk (kept for --resume)

Each chunk is written atomically as soon as it finishes, so a killed sweep
loses at most the chunks in flight; ``resume=True`` reuses the finished ones
(after checking they belong to the same spec and engine settings) and the
final table is identical to an uninterrupted run. Memory is bounded by the
chunks in flight: metrics are reduced inside each chunk, and the final table
is streamed from the chunk files.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .batch import BatchSettings, simulate_batch
from .batch_kernel import STATUS_TEXT
from .equations import effective_lumbar_pain
from .errors import ModelError
from .outputs import DISCLAIMER, RED_FLAGS, atomic_write_bytes, atomic_write_text, to_json
from .parameters import INDEX, parameter_vector
from .scenario import Scenario
from .states import HEADACHE_COMPONENTS, STATE_NAMES
from .sweep_backends import open_backend
from .sweep_metrics import NEEDED_STATES, compute_metrics, state_metric_name
from .sweep_spec import SweepSpec, describe, design_matrix

CHUNK_FORMAT = 1


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
    """A column of :data:`model.result.COLUMNS` on the daily grid for every set."""
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
        A loaded sweep specification (:func:`model.sweep_spec.load_sweep`).
    folder
        Output folder (created if needed).
    workers, scheduler
        Backend: local threads (default, all cores), or a Dask scheduler
        address (``"local"`` starts a local cluster of ``workers`` processes).
    resume
        Reuse the finished chunks of an interrupted run of the same sweep.
    settings
        Integrator settings.
    progress
        Called as ``progress(done_sets, total_sets, elapsed_seconds)``.
    figures
        Render the sweep figures.

    Raises
    ------
    ResumeError
        If ``resume`` finds chunks of a different sweep or engine.
    """
    from . import __version__

    started = time.perf_counter()
    folder = Path(folder)
    chunk_root = folder / "chunks"
    fingerprint = _fingerprint(spec, settings, __version__)
    # The backend first: an unreachable scheduler must not leave a folder behind.
    backend = open_backend(workers, scheduler)
    try:
        _prepare_chunks(chunk_root, fingerprint, resume)
        _remove_outputs(folder)
        design = design_matrix(spec)
        jobs = [(label, index, lo, hi)
                for label, index, lo, hi, _ in _chunk_ranges(spec, design)]
        pending_jobs = [key for key in jobs if not _chunk_path(chunk_root, *key[:2]).exists()]
        reused = len(jobs) - len(pending_jobs)
        total = sum(hi - lo for _, _, lo, hi in jobs)
        done_sets = total - sum(hi - lo for _, _, lo, hi in pending_jobs)
        if progress:
            progress(done_sets, total, 0.0)
        if pending_jobs:
            _run_chunks(spec, design, settings, chunk_root, pending_jobs, backend, done_sets,
                        total, progress, started)
        backend_info = (backend.describe() if pending_jobs
                        else {"backend": "none: every chunk was reused"})
    finally:
        backend.close()
    files, failed = _assemble(spec, design, folder, chunk_root, jobs)
    seconds = time.perf_counter() - started
    metadata = _metadata(spec, settings, fingerprint, backend_info, len(jobs) - reused, reused,
                         failed, seconds, files, folder)
    files.append(atomic_write_text(folder / "metadata.json", to_json(metadata)))
    if figures:
        from .sweep_plots import render_sweep_figures

        files.extend(render_sweep_figures(spec, design, folder))
    return SweepOutcome(folder, design.shape[0] * len(spec.scenarios), failed,
                        len(jobs) - reused, reused, seconds, tuple(files))


def _run_chunks(spec: SweepSpec, design: np.ndarray, settings: BatchSettings, chunk_root: Path,
                pending_jobs: list, backend, done_sets: int, total: int, progress,
                started: float) -> None:
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
            label, index, lo, hi = in_flight.pop(future)
            _write_chunk(_chunk_path(chunk_root, label, index), future.result(), lo)
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


def _prepare_chunks(root: Path, fingerprint: dict, resume: bool) -> None:
    marker = root / "fingerprint.json"
    if resume and marker.exists():
        found = json.loads(marker.read_text())
        if found != json.loads(to_json(fingerprint)):
            differs = sorted(k for k in fingerprint if found.get(k) != json.loads(
                to_json(fingerprint))[k])
            raise ResumeError(
                f"{root}: --resume: the finished chunks belong to a different sweep "
                f"({', '.join(differs)} changed); run without --resume to start over")
        return
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    atomic_write_text(marker, to_json(fingerprint))


OUTPUT_FILES = ("results.csv", "results.parquet", "metadata.json")
OUTPUT_FOLDERS = ("trajectories", "figures")


def _remove_outputs(folder: Path) -> None:
    """Remove a previous run's tables and figures: they are rebuilt from the chunks at the end,
    and must never sit next to chunks of another sweep."""
    for name in OUTPUT_FILES:
        (folder / name).unlink(missing_ok=True)
    for name in OUTPUT_FOLDERS:
        if (folder / name).is_dir():
            shutil.rmtree(folder / name)


def _write_chunk(path: Path, columns: dict[str, np.ndarray], first_set: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.savez(buffer, first_set=np.int64(first_set), **columns)
    atomic_write_bytes(path, buffer.getvalue())


# --- assembling the outputs ---------------------------------------------------------------


def _read_chunk(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        return {key: data[key] for key in data.files}


def table_columns(spec: SweepSpec) -> list[str]:
    """Header of ``results.csv``."""
    return ["scenario", "set", *spec.parameter_names, *spec.metrics, *spec.state_columns,
            "status"]


def _assemble(spec: SweepSpec, design: np.ndarray, folder: Path, chunk_root: Path,
              jobs: list) -> tuple[list[Path], int]:
    header = table_columns(spec)
    failed = 0
    parquet = _parquet_writer(folder, header)
    trajectory_files = {}
    tmp_csv = folder / ".results.csv.tmp"
    with open(tmp_csv, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for label, index, lo, hi in jobs:
            chunk = _read_chunk(_chunk_path(chunk_root, label, index))
            status = chunk["status"]
            failed += int(np.count_nonzero(status))
            values = {name: design[lo:hi, k] for k, name in enumerate(spec.parameter_names)}
            values.update({name: chunk[name] for name in (*spec.metrics, *spec.state_columns)})
            columns = [np.full(hi - lo, label, dtype=object), np.arange(lo, hi),
                       *[values[name] for name in header[2:-1]],
                       np.array([STATUS_TEXT[int(s)] for s in status], dtype=object)]
            lines = map(",".join, zip(*[_cells(column) for column in columns]))
            handle.write("".join(line + "\r\n" for line in lines))  # csv's dialect
            if parquet is not None:
                parquet.write(header, columns)
            for variable in spec.trajectories:
                key = (label, variable)
                block = chunk[f"trajectory:{variable}"]
                if key not in trajectory_files:
                    trajectory_files[key] = _open_trajectory(folder, label, variable,
                                                             design.shape[0], block.shape[1])
                trajectory_files[key][1][lo:hi] = block
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp_csv, folder / "results.csv")
    files = [folder / "results.csv"]
    if parquet is not None:
        files.append(parquet.close())
    for tmp, array in trajectory_files.values():
        array.flush()
        del array
        final = tmp.with_name(tmp.name.removeprefix(".").removesuffix(".tmp"))
        os.replace(tmp, final)
        files.append(final)
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


def _open_trajectory(folder: Path, label: str, variable: str, n_sets: int, n_days: int):
    target = folder / "trajectories"
    target.mkdir(parents=True, exist_ok=True)
    tmp = target / f".{label}__{variable}.npy.tmp"
    array = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float64, shape=(n_sets, n_days))
    return tmp, array


class _ParquetStream:
    def __init__(self, path: Path, header: list[str]):
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._pa = pa
        self.path = path
        self.tmp = path.with_name(f".{path.name}.tmp")
        fields = [pa.field("scenario", pa.string()), pa.field("set", pa.int64())]
        fields += [pa.field(name, pa.float64()) for name in header[2:-1]]
        fields.append(pa.field("status", pa.string()))
        self.schema = pa.schema(fields)
        self.writer = pq.ParquetWriter(self.tmp, self.schema)

    def write(self, header: list[str], columns: list[np.ndarray]) -> None:
        arrays = [self._pa.array(list(columns[0]), self._pa.string()),
                  self._pa.array(columns[1].astype(np.int64))]
        arrays += [self._pa.array(np.asarray(c, dtype=float)) for c in columns[2:-1]]
        arrays.append(self._pa.array(list(columns[-1]), self._pa.string()))
        self.writer.write_table(self._pa.Table.from_arrays(arrays, schema=self.schema))

    def close(self) -> Path:
        self.writer.close()
        os.replace(self.tmp, self.path)
        return self.path


def _parquet_writer(folder: Path, header: list[str]):
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return None
    return _ParquetStream(folder / "results.parquet", header)


def _metadata(spec: SweepSpec, settings: BatchSettings, fingerprint: dict, backend: dict,
              chunks_run: int, chunks_reused: int, failed: int, seconds: float,
              files: list[Path], folder: Path) -> dict:
    import numba

    from . import __version__

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
        "files": [str(f.relative_to(folder)) for f in files],
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



def read_metric_columns(folder: str | os.PathLike, spec: SweepSpec, names: list[str], *,
                        limit: int | None = None) -> dict[str, dict[str, np.ndarray]]:
    """Metric columns per scenario from the chunk files (the first ``limit`` sets if given)."""
    root = Path(folder) / "chunks"
    out: dict[str, dict[str, np.ndarray]] = {}
    for label, _ in spec.scenarios:
        parts: dict[str, list[np.ndarray]] = {name: [] for name in names}
        count = 0
        index = 0
        while (path := _chunk_path(root, label, index)).exists():
            if limit is not None and count >= limit:
                break
            chunk = _read_chunk(path)
            for name in names:
                parts[name].append(chunk[name])
            count += chunk["status"].size
            index += 1
        out[label] = {name: np.concatenate(values)[:limit] if values else np.empty(0)
                      for name, values in parts.items()}
    return out
