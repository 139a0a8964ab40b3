"""The targets' table and folder: ``targets.csv`` and ``targets.json`` (``lbp-headache targets``).

``targets.csv``
    One row per target: id, status, published value and interval, unit,
    the model's value, inside or not, what produced it, the citation.
``targets.json``
    The same rows, the counts (:func:`counts`), the file's tolerance for
    "≈ x", provenance (the targets file and every bundled input read, with
    their SHA-256), disclaimer and red flags.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Callable
from pathlib import Path

from lbp_headache.calibration.evaluate import (
    TargetResult,
    bundled_path,
    check_trial_options,
    evaluate_targets,
)
from lbp_headache.calibration.targets import TargetSet
from lbp_headache.core.disclaimer import DISCLAIMER, RED_FLAGS
from lbp_headache.engine.batch import BatchSettings
from lbp_headache.files.bundled import shown
from lbp_headache.files.json_data import to_json
from lbp_headache.files.output_folder import OutputConflict, OutputFolder
from lbp_headache.files.provenance import now, provenance

OUTPUT_FILES = ("targets.csv", "targets.json")
COLUMNS = ("id", "status", "quantity", "value", "low", "high", "interval_kind", "unit",
           "model_value", "inside", "reproduced", "note", "produced_by", "source", "reason")


def result_row(result: TargetResult) -> dict:
    """One target and the model's value as a flat row (``None`` where there is nothing)."""
    target = result.target
    return {
        "id": target.id, "status": target.status, "quantity": target.quantity,
        "value": target.value, "low": target.low, "high": target.high,
        "interval_kind": target.interval_kind, "unit": target.unit,
        "model_value": result.model_value, "inside": result.inside,
        "reproduced": result.reproduced, "note": result.note,
        "produced_by": "" if target.produced_by is None else target.produced_by.describe(),
        "source": "; ".join(target.sources), "reason": target.reason,
    }


def counts(results: list[TargetResult]) -> dict[str, int]:
    """How many targets of each kind, computed, and inside their interval."""
    emergent = [r for r in results if r.target.counts and r.target.computable]
    built = [r for r in results if r.target.status == "by_construction"]
    return {
        "targets": len(results),
        "emergent_computable": len(emergent),
        "emergent_inside": sum(r.reproduced for r in emergent),
        "by_construction": len(built),
        "by_construction_inside": sum(r.inside is True for r in built),
        "not_computable": sum(r.target.status == "not_computable" for r in results),
    }


def summary_line(results: list[TargetResult]) -> str:
    """``N emergent targets computable, K inside their interval`` (and the checks)."""
    n = counts(results)
    return (f"{n['emergent_computable']} emergent targets computable, {n['emergent_inside']} "
            f"inside their interval ({n['by_construction_inside']} of {n['by_construction']} "
            f"by-construction checks inside, not counted; {n['not_computable']} not "
            "computable)")


def _csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(["" if row[key] is None else
                         (repr(row[key]) if isinstance(row[key], float) else row[key])
                         for key in COLUMNS])
    return buffer.getvalue()


def _inputs(targets: TargetSet) -> dict[str, str]:
    files = {targets.source: targets.source_hash}
    for target in targets.targets:
        produced = target.produced_by
        if produced is None or produced.kind == "parameter":
            continue
        for kind, name in ((produced.kind, produced.name), ("scenario", produced.compared_with)):
            if name is not None:
                path = bundled_path(kind, name)
                files[str(shown(path))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def run_targets(targets: TargetSet, folder: str | os.PathLike, *, workers: int | None = None,
                scheduler: str | None = None, settings: BatchSettings = BatchSettings(),
                progress: Callable[[str], None] | None = None
                ) -> tuple[list[TargetResult], list[Path]]:
    """Evaluate every target (:func:`.evaluate.evaluate_targets`) and write the folder.

    Raises
    ------
    ScenarioError
        A target the bundled inputs cannot answer (nothing is written).
    OutputConflict
        A file to be replaced was not written by the tool.
    """
    started = now()
    check_trial_options(targets.targets, targets.source)  # before the folder is made
    with OutputFolder(folder) as out:
        conflicts = out.conflicts(OUTPUT_FILES)
        if conflicts:
            raise OutputConflict("\n".join(conflicts))
        results = evaluate_targets(targets, workers=workers, scheduler=scheduler,
                                   settings=settings, progress=progress)
        rows = [result_row(r) for r in results]
        document = {
            "name": targets.name, "source": targets.source,
            "approximate_tolerance": targets.approximate_tolerance,
            "counts": counts(results), "summary": summary_line(results), "targets": rows,
            "provenance": provenance(started=started, inputs=_inputs(targets),
                                     settings={"engine": settings.as_dict(),
                                               "trial_replicates": 1}),
            "disclaimer": DISCLAIMER, "red_flags": list(RED_FLAGS),
        }
        files = [out.write_text("targets.csv", _csv(rows)),
                 out.write_text("targets.json", to_json(document))]
    return results, files
