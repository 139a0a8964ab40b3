"""Run a sweep specification: chunks of parameter sets -> metrics table and metadata.

Layout of the output folder::

    results.csv          one row per (scenario, set): inputs, then metrics
    results.parquet      the same table, when pyarrow is installed
    metadata.json        spec, seed, engine settings, backend, timings, provenance, columns
    trajectories/        <scenario>__<variable>.npy (sets x days), only when asked
    figures/             what the caller's ``figures`` draws (the report layer's
                         :mod:`lbp_headache.report.sweep_figures`; the analysis never draws)
    chunks/              one file per finished chunk (kept for --resume)

Each chunk is written atomically as soon as it finishes, so a killed sweep
loses at most the chunks in flight; ``resume=True`` reuses the finished ones
(after checking they belong to the same spec and engine settings, and each
chunk's own identity and checksum: :mod:`lbp_headache.analysis.sweep.chunks`)
and the final table is identical to an uninterrupted run. The folder is an
:class:`~lbp_headache.files.output_folder.OutputFolder`: locked while the
sweep runs, and nothing in it that the tool did not write is replaced or
deleted. Memory is bounded by the chunks in flight: metrics are reduced inside
each chunk, and the final table is streamed from the chunk files
(:mod:`lbp_headache.analysis.sweep.tables`).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from lbp_headache.analysis.backends import open_backend
from lbp_headache.analysis.metrics import NEEDED_STATES, compute_metrics, state_metric_name
from lbp_headache.analysis.sweep.chunks import (
    FINGERPRINT,
    FOLDER,
    chunk_identity,
    chunk_path,
    chunk_ranges,
    clear,
    encode_chunk,
    fingerprint_sha256,
    foreign_files,
    is_valid_chunk,
)
from lbp_headache.analysis.sweep.design import describe, design_matrix
from lbp_headache.analysis.sweep.spec import SweepSpec, column_info, table_columns
from lbp_headache.analysis.sweep.tables import assemble, read_metric_columns
from lbp_headache.core.disclaimer import DISCLAIMER, RED_FLAGS
from lbp_headache.core.equations import effective_lumbar_pain
from lbp_headache.core.errors import ModelError
from lbp_headache.core.parameters import INDEX, parameter_vector
from lbp_headache.core.states import HEADACHE_COMPONENTS, STATE_NAMES
from lbp_headache.core.version import __version__
from lbp_headache.engine.batch import BatchSettings, simulate_batch
from lbp_headache.files.atomic import atomic_write_bytes
from lbp_headache.files.json_data import to_json
from lbp_headache.files.output_folder import OutputConflict, OutputFolder
from lbp_headache.files.provenance import dependency_versions, now, provenance
from lbp_headache.scenario.record import Scenario

CHUNK_FORMAT = 2  # 2: chunks carry their identity and checksum
FINGERPRINT_FILE = f"{FOLDER}/{FINGERPRINT}"
OUTPUT_FILES = ("results.csv", "results.parquet", "metadata.json")
OUTPUT_FOLDERS = ("trajectories/", "figures/")


class ColumnReader(Protocol):
    def __call__(self, names: list[str], limit: int | None) -> dict[str, dict[str, np.ndarray]]:
        """Metric columns per scenario label, the first ``limit`` sets (all when ``None``)."""


class SweepFigures(Protocol):
    """What draws a sweep's figures (the report layer): the analysis only hands it data."""

    def names(self, spec: SweepSpec) -> list[str]:
        """File names (under ``figures/``) the figures of ``spec`` will have."""

    def draw(self, spec: SweepSpec, design: np.ndarray,
             read_columns: ColumnReader) -> list[tuple[str, bytes]]:
        """``(file name, PNG bytes)`` of every figure."""


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
    # Effective lumbar pain is computed from the physical therapy, NSAID and neuropathic
    # effects.
    return "lumbar_pain" in wanted and state in ("physical_therapy_effect", "nsaid_effect",
                                                 "neuropathic_effect")


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
                                     daily["nsaid_effect"], daily["neuropathic_effect"], p)
    raise KeyError(name)


# --- the driver ---------------------------------------------------------------------------


def run_sweep(spec: SweepSpec, folder: str | os.PathLike, *, workers: int | None = None,
              scheduler: str | None = None, resume: bool = False,
              settings: BatchSettings = BatchSettings(),
              progress: Callable[[int, int, float], None] | None = None,
              figures: SweepFigures | None = None) -> SweepOutcome:
    """Run ``spec`` into ``folder`` (see the module docstring for the layout).

    Parameters
    ----------
    spec
        A loaded sweep specification (:func:`lbp_headache.analysis.sweep.reader.load_sweep`).
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
        Draws the sweep's figures into ``figures/`` (e.g.
        :data:`lbp_headache.report.sweep_figures.SWEEP_FIGURES`); ``None``: no figures.

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
    started, clock = now(), time.perf_counter()
    fingerprint = _fingerprint(spec, settings)
    sweep_id = fingerprint_sha256(fingerprint)
    figure_names = figures.names(spec) if figures is not None else []
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
            _claim(spec, out, fingerprint, resume, figure_names)
            design = design_matrix(spec)
            jobs = list(chunk_ranges([label for label, _ in spec.scenarios], design.shape[0],
                                     spec.chunk_size))
            root = out.path / FOLDER
            pending_jobs = [key for key in jobs if not is_valid_chunk(
                chunk_path(root, *key[:2]), _identity(sweep_id, *key))]
            reused = len(jobs) - len(pending_jobs)
            total = sum(hi - lo for _, _, lo, hi in jobs)
            done_sets = total - sum(hi - lo for _, _, lo, hi in pending_jobs)
            if progress:
                progress(done_sets, total, 0.0)
            if pending_jobs:
                _run_chunks(spec, design, settings, root, sweep_id, pending_jobs, backend,
                            done_sets, total, progress, clock)
            backend_info = (backend.describe() if pending_jobs
                            else {"backend": "none: every chunk was reused"})
        finally:
            backend.close()
        record = _provenance(spec, settings, started)
        files, failed = assemble(spec, design, out, sweep_id, jobs, provenance=record)
        seconds = time.perf_counter() - clock
        metadata = _metadata(spec, settings, fingerprint, backend_info, len(jobs) - reused,
                             reused, failed, seconds, files, _provenance(spec, settings, started))
        files.append(out.write_text("metadata.json", to_json(metadata)))
        if figures is not None:

            def read_columns(names: list[str], limit: int | None):
                return read_metric_columns(out, spec, sweep_id, names, limit=limit)

            for name, png in figures.draw(spec, design, read_columns):
                files.append(out.write_bytes(f"figures/{name}", png))
    return SweepOutcome(out.path, design.shape[0] * len(spec.scenarios), failed,
                        len(jobs) - reused, reused, seconds, tuple(files))


def planned_outputs(spec: SweepSpec, figure_names: Sequence[str] = ()) -> list[str]:
    """Files a run of ``spec`` writes (relative to its folder), chunks aside."""
    files = list(OUTPUT_FILES)
    files += [f"trajectories/{label}__{variable}.npy"
              for label, _ in spec.scenarios for variable in spec.trajectories]
    files += [f"figures/{name}" for name in figure_names]
    return files


def _claim(spec: SweepSpec, out: OutputFolder, fingerprint: dict, resume: bool,
           figure_names: list[str]) -> None:
    """Check that the sweep may write where it will, then clear a previous run's outputs.

    Everything is checked before anything is deleted.
    """
    root = out.path / FOLDER
    lines = out.conflicts([*planned_outputs(spec, figure_names), FINGERPRINT_FILE])
    if root.exists() or root.is_symlink():
        if root.is_symlink() or not root.is_dir():
            lines.append(f"{root}: exists and is not a folder the tool made; move it away "
                         "or choose another output folder")
        elif not (root / FINGERPRINT).exists() or \
                FINGERPRINT_FILE not in out.files:
            lines.append(f"{root}: a folder lbp-headache did not make (no fingerprint.json of "
                         "its own); move it away or choose another output folder")
        else:
            lines += [f"{path}: was not written by lbp-headache; it will not be deleted: "
                      "move it away" for path in foreign_files(root)]
    previous = [rel for prefix in OUTPUT_FOLDERS for rel in out.listed(prefix)]
    lines += out.conflicts(previous)
    if lines:
        raise OutputConflict("\n".join(dict.fromkeys(lines)))
    kept = False
    if resume and FINGERPRINT_FILE in out.files:
        try:
            found = json.loads((root / FINGERPRINT).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise ResumeError(f"{root / FINGERPRINT}: --resume: the file is "
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
        clear(root)
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
        # Finished chunks first, in chunk order: a chunk that failed (or was interrupted) is
        # raised only after every chunk that finished beside it is safely written.
        failed = [f for f in done if f.exception() is not None]
        for future in sorted((f for f in done if f not in failed), key=lambda f: in_flight[f]):
            key = in_flight.pop(future)
            label, index, lo, hi = key
            path = chunk_path(root, label, index)
            path.parent.mkdir(parents=True, exist_ok=True)
            identity = chunk_identity(sweep_id, label, index, lo, hi - lo)
            atomic_write_bytes(path, encode_chunk(identity, future.result()))
            done_sets += hi - lo
            if progress:
                progress(done_sets, total, time.perf_counter() - started)
            next_key = next(queue, None)
            if next_key is not None:
                job = _make_job(spec, design, settings, *next_key, threads=threads)
                in_flight[backend.submit(run_chunk, job)] = next_key
        if failed:
            failed[0].result()  # raises the chunk's exception


def _identity(sweep_id: str, label: str, index: int, lo: int, hi: int) -> dict:
    return chunk_identity(sweep_id, label, index, lo, hi - lo)


def _make_job(spec: SweepSpec, design: np.ndarray, settings: BatchSettings, label: str,
              index: int, lo: int, hi: int, *, threads: int = 1) -> ChunkJob:
    scenario = dict(spec.scenarios)[label]
    return ChunkJob(label, index, lo, scenario, parameter_sets(spec, scenario, design[lo:hi]),
                    spec.metrics, spec.states_at, spec.trajectories, settings, threads)


def _fingerprint(spec: SweepSpec, settings: BatchSettings) -> dict:
    """What must match for finished chunks to be reused."""
    versions = dependency_versions()
    return {
        "format": CHUNK_FORMAT,
        "version": __version__,
        "numpy": versions["numpy"],  # the design is drawn again on --resume
        "scipy": versions["scipy"],
        "spec_sha256": spec.source_hash,
        "scenario_sha256": {label: s.source_hash for label, s in spec.scenarios},
        "engine": settings.as_dict(),
    }


def _provenance(spec: SweepSpec, settings: BatchSettings, started) -> dict:
    inputs = {spec.source: spec.source_hash}
    inputs.update({s.source: s.source_hash for _, s in spec.scenarios if s.source})
    return provenance(started=started, inputs=inputs,
                      settings={"engine": settings.as_dict(), "seed": spec.seed})


def _metadata(spec: SweepSpec, settings: BatchSettings, fingerprint: dict, backend: dict,
              chunks_run: int, chunks_reused: int, failed: int, seconds: float,
              files: list[Path], record: dict) -> dict:
    return {
        "package": record["package"],
        "version": record["version"],
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
        "column_info": column_info(spec),
        "files": [f.name if f.parent.name != "trajectories" else f"trajectories/{f.name}"
                  for f in files],
        "provenance": record,
    }
