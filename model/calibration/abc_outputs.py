"""What a calibration writes, as text: the parameter set, the samples and the report.

``calibrated_parameters.yaml``
    The posterior median of each calibrated parameter with its unit, its 95 %
    posterior interval and its prior, then provenance (version, commit,
    dependency versions, the SHA-256 of the targets file and of the spec,
    settings, seed) and the disclaimer.
``posterior_samples.csv``
    One row per particle of the last generation: its normalised weight, the
    calibrated values and the model's value of each target.
``calibration_report.md``
    The targets table (published interval, the model's value at the posterior
    median, the 95 % posterior interval of the model's value, inside or not),
    the parameters table, the run's epsilons, simulations and wall time.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import yaml
from lbp_headache.calibration.abc_model import prior
from lbp_headache.calibration.abc_run import Calibration, weighted_quantile
from lbp_headache.core.disclaimer import DISCLAIMER
from lbp_headache.core.parameters import BY_NAME

LOW_Q, HIGH_Q = 0.025, 0.975


def posterior_medians(calibration: Calibration) -> dict[str, float]:
    """The weighted posterior median of each calibrated parameter."""
    return {name: weighted_quantile(calibration.samples[name], calibration.weights, 0.5)
            for name in calibration.parameters}


def parameter_rows(calibration: Calibration) -> list[dict]:
    """One row per parameter: median, 95 % interval, unit, prior, table value."""
    rows = []
    for name in calibration.parameters:
        values = calibration.samples[name]
        record = BY_NAME[name]
        rows.append({
            "name": name, "unit": record.unit, "table_value": record.value,
            "median": weighted_quantile(values, calibration.weights, 0.5),
            "low": weighted_quantile(values, calibration.weights, LOW_Q),
            "high": weighted_quantile(values, calibration.weights, HIGH_Q),
            "prior": prior(name).describe(),
        })
    return rows


def target_rows(calibration: Calibration, at_median: dict[str, float]) -> list[dict]:
    """One row per target: interval, the model at the median, the posterior interval."""
    rows = []
    for target in calibration.targets:
        values = calibration.statistics[target.id]
        value = at_median.get(target.id)
        value = None if value is None or not math.isfinite(value) else float(value)
        rows.append({
            "id": target.id, "unit": target.unit, "low": target.low, "high": target.high,
            "model_at_median": value,
            "posterior_low": weighted_quantile(values, calibration.weights, LOW_Q),
            "posterior_high": weighted_quantile(values, calibration.weights, HIGH_Q),
            "inside": target.inside(value),
        })
    return rows


def parameters_yaml(calibration: Calibration, provenance: dict) -> str:
    """``calibrated_parameters.yaml`` (see the module docstring)."""
    parameters = {row["name"]: {"value": _plain(row["median"]), "unit": row["unit"],
                                "interval_95": [_plain(row["low"]), _plain(row["high"])],
                                "prior": row["prior"], "table_value": row["table_value"]}
                  for row in parameter_rows(calibration)}
    document = {"parameters": parameters,
                "posterior": {"statistic": "weighted median of the last generation",
                              "particles": int(calibration.weights.size),
                              "generations": calibration.generations_run,
                              "simulations": calibration.total_simulations,
                              "epsilons": [_plain(e) for e in calibration.epsilons]},
                "provenance": provenance, "disclaimer": DISCLAIMER}
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def samples_csv(calibration: Calibration) -> str:
    """``posterior_samples.csv`` (see the module docstring)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    ids = [t.id for t in calibration.targets]
    writer.writerow(["weight", *calibration.parameters, *ids])
    for k in range(calibration.weights.size):
        writer.writerow([repr(float(calibration.weights[k]))]
                        + [repr(float(calibration.samples[n][k])) for n in calibration.parameters]
                        + [repr(float(calibration.statistics[i][k])) for i in ids])
    return buffer.getvalue()


def report_markdown(calibration: Calibration, at_median: dict[str, float],
                    figure: str | None = None) -> str:
    """``calibration_report.md`` (see the module docstring)."""
    lines = ["# Calibration report (ABC-SMC)", "",
             f"{calibration.generations_run} generations, {calibration.weights.size} particles, "
             f"{calibration.total_simulations:,} simulations"
             + ("" if not math.isfinite(calibration.seconds) else
                f", {calibration.seconds:.0f} s of wall time in this session") + ".",
             "", "epsilon per generation: " + ", ".join(f"{e:.4g}" for e in
                                                         calibration.epsilons), "",
             "## Targets", "",
             "| target | published interval | unit | model at the posterior median | "
             "95 % posterior interval | inside |", "|---|---|---|---|---|---|"]
    rows = target_rows(calibration, at_median)
    for row in rows:
        inside = {True: "yes", False: "NO", None: "-"}[row["inside"]]
        lines.append(f"| {row['id']} | [{_g(row['low'])}, {_g(row['high'])}] | {row['unit']} | "
                     f"{_g(row['model_at_median'])} | [{_g(row['posterior_low'])}, "
                     f"{_g(row['posterior_high'])}] | {inside} |")
    lines += ["", f"{sum(r['inside'] is True for r in rows)} of {len(rows)} targets inside "
              "their interval at the posterior median.", "", "## Parameters", "",
              "| parameter | unit | table value | posterior median | 95 % interval | prior |",
              "|---|---|---|---|---|---|"]
    for row in parameter_rows(calibration):
        lines.append(f"| `{row['name']}` | {row['unit']} | {_g(row['table_value'])} | "
                     f"{_g(row['median'])} | [{_g(row['low'])}, {_g(row['high'])}] | "
                     f"{row['prior']} |")
    if figure:
        lines += ["", f"![posterior against prior]({figure})"]
    lines += ["", f"*{DISCLAIMER}*", ""]
    return "\n".join(lines)


def _g(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.4g}"


def _plain(value: float) -> float | None:
    value = float(np.asarray(value))
    return value if math.isfinite(value) else None
