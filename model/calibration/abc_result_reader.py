"""Read a calibration's result folder back (``calibration_result.json`` and
``posterior_samples.csv``, :mod:`.abc_result`) into a :class:`~.abc_result.CalibrationResult`."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
from lbp_headache.calibration.abc_result import (
    RESULT_FILE,
    RESULT_FORMAT,
    SAMPLES_FILE,
    CalibrationResult,
)
from lbp_headache.calibration.posterior import Calibration
from lbp_headache.calibration.targets import Target
from lbp_headache.core.errors import Problem, ScenarioError
from lbp_headache.population.distributions import Distribution


def _float(value) -> float | None:
    if value is None:
        return None
    return float(value)  # "inf", "-inf" and numbers alike


def _target(record: dict) -> Target:
    return Target(record["id"], record.get("quantity", ""), record.get("figure", ""),
                  _float(record.get("value")), _float(record.get("low")),
                  _float(record.get("high")), record.get("interval_kind", ""),
                  record.get("unit", ""), tuple(record.get("sources", ())), None,
                  record.get("status", ""), record.get("reason", ""))


def _problem(path: Path, message: str) -> ScenarioError:
    return ScenarioError([Problem(str(path), None, "", message)])


def read_result(folder: str | Path) -> CalibrationResult:
    """The result in ``folder``.

    Raises
    ------
    ScenarioError
        A file is missing, of another format, or the samples do not have the
        columns the result names.
    """
    folder = Path(folder)
    path, samples_path = folder / RESULT_FILE, folder / SAMPLES_FILE
    for needed in (path, samples_path):
        if not needed.is_file():
            raise _problem(needed, "missing: a calibration result folder holds "
                           f"{RESULT_FILE} and {SAMPLES_FILE} (written by lbp-headache calibrate)")
    document = json.loads(path.read_text(encoding="utf-8"))
    if document.get("format") != RESULT_FORMAT:
        raise _problem(path, f"format {document.get('format')!r}; this version reads "
                       f"format {RESULT_FORMAT}")
    parameters = tuple(document["parameters"])
    targets = tuple(_target(r) for r in document["targets"])
    with samples_path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    needed = ["weight", *parameters, *(t.id for t in targets)]
    missing = [c for c in needed if c not in header]
    if missing:
        raise _problem(samples_path, f"lacks the columns {', '.join(missing)}")
    table = np.array([[float(v) for v in row] for row in body], dtype=float).reshape(
        len(body), len(header))
    column = {name: table[:, header.index(name)] for name in needed}
    weights = column["weight"]
    run = document["run"]
    seconds = run.get("sampling_seconds")
    calibration = Calibration(
        parameters, targets, {p: column[p] for p in parameters}, weights / weights.sum(),
        {t.id: column[t.id] for t in targets}, tuple(float(e) for e in run["epsilons"]),
        int(run["simulations"]), int(run["generations"]),
        math.nan if seconds is None else float(seconds))
    info = document["parameters"]
    at_median = {k: math.nan if v is None else float(v)
                 for k, v in document["model_at_posterior_median"].items()}
    return CalibrationResult(
        calibration,
        {p: Distribution(**{k: _float(v) if k != "family" else v
                            for k, v in info[p]["prior"].items()}) for p in parameters},
        {p: info[p]["unit"] for p in parameters},
        {p: float(info[p]["table_value"]) for p in parameters},
        at_median, document.get("provenance", {}))
