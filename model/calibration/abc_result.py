"""Everything a calibration report is drawn from, and ``calibration_result.json``.

A report (:mod:`.abc_outputs`, the figures of :mod:`lbp_headache.report`) is
rendered from a :class:`CalibrationResult` alone, never from the database: so
a committed result folder holding ``posterior_samples.csv`` (the weighted
particles and their model values) and ``calibration_result.json`` (what the
samples file does not hold: the targets' intervals, the priors, units and table
values as they were at run time, the model at the posterior median, the run's
epsilons and counts, provenance) is re-rendered without pyabc and without
re-running anything, even after the parameter table or the targets file has
changed. :mod:`.abc_result_reader` reads the two files back.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from lbp_headache.calibration.posterior import Calibration
from lbp_headache.calibration.targets import Target
from lbp_headache.files.json_data import to_json
from lbp_headache.population.distributions import Distribution

RESULT_FILE = "calibration_result.json"
SAMPLES_FILE = "posterior_samples.csv"
RESULT_FORMAT = 1


@dataclass(frozen=True)
class CalibrationResult:
    """A calibration's posterior with what its report needs beside it (module docstring).

    ``at_median`` maps each target id to the model's value at the posterior
    median (nan where it gives none).
    """

    calibration: Calibration
    priors: Mapping[str, Distribution]
    units: Mapping[str, str]
    table_values: Mapping[str, float]
    at_median: Mapping[str, float]
    provenance: Mapping = field(default_factory=dict)


def _bound(value: float | None) -> float | str | None:
    if value is None or math.isfinite(value):
        return value
    return "inf" if value > 0 else "-inf"


def _prior_record(prior: Distribution) -> dict:
    record = asdict(prior)
    return {**record, "low": _bound(prior.low), "high": _bound(prior.high)}


def target_record(target: Target) -> dict:
    """A target as plain data (the interval's infinite bounds as ``"inf"``/``"-inf"``)."""
    produced = target.produced_by
    return {"id": target.id, "quantity": target.quantity, "figure": target.figure,
            "value": target.value, "low": _bound(target.low), "high": _bound(target.high),
            "interval_kind": target.interval_kind, "unit": target.unit,
            "sources": list(target.sources), "status": target.status, "reason": target.reason,
            "produced_by": None if produced is None else produced.describe()}


def result_json(result: CalibrationResult) -> str:
    """``calibration_result.json`` (see the module docstring)."""
    calibration = result.calibration
    document = {
        "format": RESULT_FORMAT,
        "samples": SAMPLES_FILE,
        "parameters": {name: {"unit": result.units[name],
                              "table_value": result.table_values[name],
                              "prior": _prior_record(result.priors[name])}
                       for name in calibration.parameters},
        "targets": [target_record(t) for t in calibration.targets],
        "model_at_posterior_median": {t.id: result.at_median.get(t.id)
                                      for t in calibration.targets},
        "run": {"particles": int(calibration.weights.size),
                "generations": calibration.generations_run,
                "simulations": calibration.total_simulations,
                "sampling_seconds": calibration.seconds,
                "epsilons": list(calibration.epsilons)},
        "provenance": dict(result.provenance),
    }
    return to_json(document)
