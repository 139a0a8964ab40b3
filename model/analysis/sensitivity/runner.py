"""Run the ``sensitivity:`` block of a sweep specification (``lbp-headache sensitivity``).

For each base scenario of the spec, the chosen output metric (default
``headache_days_per_month``) is analysed over the swept parameters' ranges:

* **Sobol** first- and total-order indices (Saltelli design of ``sobol_samples``
  base points; bootstrap confidence intervals),
* **Morris** screening (``morris_trajectories`` one-at-a-time trajectories),
* **local** normalized sensitivities (elasticities) at the base point: the
  table values with the scenario's and the spec's ``fixed`` values applied.

Designs come from :mod:`lbp_headache.analysis.sensitivity`; every row is simulated by
the compiled batch engine, chunk by chunk on the sweep backends, so a Sobol
analysis over millions of rows runs like a sweep. Outputs per scenario:
``sobol.csv``, ``morris.csv``, ``local.csv``, ``sensitivity.json`` and the
figures ``sobol_indices.png``, ``morris.png`` and ``tornado.png``.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from lbp_headache.analysis.backends import open_backend
from lbp_headache.analysis.sensitivity.local import local_analyze, local_sample
from lbp_headache.analysis.sensitivity.morris import morris_analyze, morris_sample
from lbp_headache.analysis.sensitivity.sobol import sobol_analyze, sobol_sample
from lbp_headache.analysis.space import ParameterSpace
from lbp_headache.analysis.sweep.design import describe
from lbp_headache.analysis.sweep.design import parameter_space as swept_space
from lbp_headache.analysis.sweep.runner import ChunkJob, parameter_sets, run_chunk
from lbp_headache.analysis.sweep.spec import SweepSpec
from lbp_headache.core.disclaimer import DISCLAIMER, RED_FLAGS
from lbp_headache.core.parameters import INDEX, parameter_vector
from lbp_headache.engine.batch import BatchSettings
from lbp_headache.files.json_data import to_json
from lbp_headache.files.output_folder import OutputConflict, OutputFolder
from lbp_headache.files.provenance import now, provenance

BCA_LIMIT = 1024  # above this many base points the bootstrap uses percentile intervals


@dataclass(frozen=True)
class SensitivityOutcome:
    """Files written and a few console lines."""

    files: tuple[Path, ...]
    summary_lines: tuple[str, ...]


class SensitivityFigures(Protocol):
    """What draws the figures of an analysis (the report layer): the analysis only computes."""

    def names(self, methods: tuple[str, ...]) -> dict[str, str]:
        """``{method: file name}`` of the figure of each method."""

    def draw(self, method: str, result, title: str) -> bytes:
        """The PNG bytes of ``method``'s figure of ``result``."""


def parameter_space(spec: SweepSpec) -> ParameterSpace:
    """The swept parameters as an analysis space (log-uniform where the spec says ``log``)."""
    return swept_space(spec.parameters)


def evaluate(spec: SweepSpec, label: str, rows: np.ndarray, output: str, backend,
             settings: BatchSettings) -> np.ndarray:
    """The metric ``output`` for every row of swept-parameter values (chunked on ``backend``).

    At most two chunks per worker are in flight, so memory does not grow with
    the number of rows.
    """
    scenario = dict(spec.scenarios)[label]
    starts = list(range(0, rows.shape[0], spec.chunk_size))
    values: list[np.ndarray | None] = [None] * len(starts)
    queue = iter(enumerate(starts))
    in_flight: dict = {}

    def submit_next() -> None:
        item = next(queue, None)
        if item is None:
            return
        index, lo = item
        job = ChunkJob(label, index, lo, scenario,
                       parameter_sets(spec, scenario, rows[lo:lo + spec.chunk_size]),
                       (output,), (), (), settings)
        in_flight[backend.submit(run_chunk, job)] = index

    for _ in range(2 * max(1, backend.workers)):
        submit_next()
    while in_flight:
        done, _ = backend.wait_first(set(in_flight))
        for future in done:
            values[in_flight.pop(future)] = future.result()[output]
            submit_next()
    return np.concatenate(values)


def planned_files(spec: SweepSpec, figures: SensitivityFigures | None = None) -> list[str]:
    """Files ``run_sensitivity`` writes, relative to its folder."""
    methods = spec.sensitivity.methods if spec.sensitivity is not None else ()
    names = figures.names(methods) if figures is not None else {}
    return [rel for label, _ in spec.scenarios
            for rel in (*(f"{label}/{m}.csv" for m in methods),
                        *(f"{label}/{names[m]}" for m in methods if m in names),
                        f"{label}/sensitivity.json")]


def run_sensitivity(spec: SweepSpec, folder: str | os.PathLike, *, workers: int | None = None,
                    scheduler: str | None = None,
                    settings: BatchSettings = BatchSettings(),
                    figures: SensitivityFigures | None = None) -> SensitivityOutcome:
    """Run every method of ``spec.sensitivity`` on every base scenario into ``folder``.

    ``figures`` draws each method's figure (the report layer's
    :data:`lbp_headache.report.sensitivity_figures.SENSITIVITY_FIGURES`);
    ``None``: tables and JSON only.

    Raises
    ------
    ValueError
        If simulations failed (non-finite outputs) or the output does not vary.
    """
    started = now()
    sensitivity = spec.sensitivity
    if sensitivity is None:
        raise ValueError("the spec has no 'sensitivity:' block")
    space = parameter_space(spec)
    files: list[Path] = []
    lines: list[str] = []
    backend = open_backend(workers, scheduler)
    try:
        out = OutputFolder(folder)
        out.open()
    except BaseException:
        backend.close()
        raise
    try:
        conflicts = out.conflicts(planned_files(spec, figures))
        if conflicts:
            raise OutputConflict("\n".join(conflicts))
        for label, scenario in spec.scenarios:
            results = {}
            if "sobol" in sensitivity.methods:
                design = sobol_sample(space, sensitivity.sobol_samples, seed=spec.seed)
                outputs = evaluate(spec, label, design.stacked(), sensitivity.output, backend,
                                   settings)
                method = "BCa" if sensitivity.sobol_samples <= BCA_LIMIT else "percentile"
                results["sobol"] = sobol_analyze(
                    design, outputs, confidence_level=sensitivity.confidence_level,
                    n_resamples=sensitivity.bootstrap, seed=spec.seed, ci_method=method)
            if "morris" in sensitivity.methods:
                design = morris_sample(space, sensitivity.morris_trajectories,
                                       sensitivity.morris_levels, seed=spec.seed)
                outputs = evaluate(spec, label, design.stacked(), sensitivity.output, backend,
                                   settings)
                results["morris"] = morris_analyze(
                    design, outputs, confidence_level=sensitivity.confidence_level,
                    n_resamples=sensitivity.bootstrap, seed=spec.seed)
            if "local" in sensitivity.methods:
                base = parameter_vector({**scenario.parameters, **spec.fixed})
                x0 = np.clip([base[INDEX[name]] for name in space.names], space.low,
                             space.high)
                design = local_sample(space, x0)
                outputs = evaluate(spec, label, design.stacked(), sensitivity.output, backend,
                                   settings)
                results["local"] = local_analyze(design, outputs)
            files += _write(out, label, spec, results, settings, figures, started)
            lines += _summary(label, sensitivity.output, results)
    finally:
        backend.close()
        out.close()
    return SensitivityOutcome(tuple(files), tuple(lines))


def _rows_csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()


def _write(out: OutputFolder, label: str, spec: SweepSpec, results: dict,
           settings: BatchSettings, figures: SensitivityFigures | None,
           started) -> list[Path]:
    files = []
    for method, result in results.items():
        files.append(out.write_text(f"{label}/{method}.csv", _rows_csv(result.as_rows())))
    if figures is not None:
        output = spec.sensitivity.output.replace("_", " ")
        where = label.replace("_", " ")
        titles = {"sobol": f"Sobol indices of {output}: {where}",
                  "morris": f"Morris screening of {output}: {where}",
                  "local": f"Local sensitivity of {output}: {where}"}
        names = figures.names(tuple(results))
        for method, result in results.items():
            png = figures.draw(method, result, titles[method])
            files.append(out.write_bytes(f"{label}/{names[method]}", png))
    inputs = {spec.source: spec.source_hash}
    inputs.update({s.source: s.source_hash for _, s in spec.scenarios if s.source})
    record = provenance(started=started, inputs=inputs,
                        settings={"engine": settings.as_dict(), "seed": spec.seed})
    summary = {
        "package": record["package"],
        "version": record["version"],
        "disclaimer": DISCLAIMER,
        "red_flags": list(RED_FLAGS),
        "scenario": label,
        "output": spec.sensitivity.output,
        "spec": describe(spec),
        "engine": settings.as_dict(),
        "results": {method: result.to_dict() for method, result in results.items()},
        "provenance": record,
    }
    files.append(out.write_text(f"{label}/sensitivity.json", to_json(summary)))
    return files


def _summary(label: str, output: str, results: dict) -> list[str]:
    lines = []
    if "sobol" in results:
        sobol = results["sobol"]
        order = np.argsort(-np.nan_to_num(sobol.total_order))[:3]
        top = ", ".join(f"{sobol.names[i]} (S1 {sobol.first_order[i]:.2f}, "
                        f"ST {sobol.total_order[i]:.2f})" for i in order)
        lines.append(f"{label}: {output} is driven most by {top}")
    if "morris" in results:
        morris = results["morris"]
        order = np.argsort(-morris.mu_star)[:3]
        lines.append(f"{label}: Morris mu* ranks " +
                     ", ".join(f"{morris.names[i]} ({morris.mu_star[i]:.3g})" for i in order))
    if "local" in results:
        local = results["local"]
        order = np.argsort(-np.abs(np.nan_to_num(local.normalized)))[:3]
        lines.append(f"{label}: local elasticities " +
                     ", ".join(f"{local.names[i]} {local.normalized[i]:+.2f}" for i in order))
    return lines
