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
    :func:`report_markdown`: the targets table with the posterior predictive
    interval, the parameters, the pairwise posterior correlations, how much
    each target constrains each parameter, the sensitivity to the prior widths,
    the run's epsilons and counts, the disclaimer and the red flags.

Posterior predictive. The model's value of each target at each particle of
the last generation is stored with the particle (pyabc's summary statistics),
and the simulator is deterministic in the calibrated values (common random
numbers, :mod:`.abc_model`): those values *are* the targets evaluated at the
posterior sample, at the spec's ``population_share``. The predictive median
and interval are their weighted quantiles over every particle, which is more
than evaluating again at a resampled subset would give, and costs nothing.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping

import numpy as np
import yaml
from lbp_headache.calibration.abc_model import deviation
from lbp_headache.calibration.abc_result import CalibrationResult
from lbp_headache.calibration.identifiability import (
    constraint_matrix,
    correlation_matrix,
    linear_share,
)
from lbp_headache.calibration.posterior import (
    Calibration,
    effective_sample_size,
    weighted_quantile,
)
from lbp_headache.calibration.prior_width import FACTORS, prior_width_shifts
from lbp_headache.core.disclaimer import DISCLAIMER, RED_FLAGS

LOW_Q, HIGH_Q = 0.025, 0.975
STRONG_CORRELATION = 0.7  # |r| at or above: named in the report as a ridge


def posterior_medians(calibration: Calibration) -> dict[str, float]:
    """The weighted posterior median of each calibrated parameter."""
    return {name: weighted_quantile(calibration.samples[name], calibration.weights, 0.5)
            for name in calibration.parameters}


def parameter_rows(result: CalibrationResult) -> list[dict]:
    """One row per parameter: median, 95 % interval, unit, prior, table value."""
    calibration = result.calibration
    rows = []
    for name in calibration.parameters:
        values = calibration.samples[name]
        rows.append({
            "name": name, "unit": result.units[name], "table_value": result.table_values[name],
            "median": weighted_quantile(values, calibration.weights, 0.5),
            "low": weighted_quantile(values, calibration.weights, LOW_Q),
            "high": weighted_quantile(values, calibration.weights, HIGH_Q),
            "prior": result.priors[name].describe(),
        })
    return rows


def target_rows(result: CalibrationResult) -> list[dict]:
    """One row per target: its interval, the model at the posterior median, the posterior
    predictive median and 95 % interval, and the posterior probability of being inside."""
    calibration = result.calibration
    rows = []
    for target in calibration.targets:
        values = np.asarray(calibration.statistics[target.id], dtype=float)
        value = result.at_median.get(target.id)
        value = None if value is None or not math.isfinite(value) else float(value)
        inside = np.array([bool(target.inside(float(v))) for v in values])
        rows.append({
            "id": target.id, "unit": target.unit, "low": target.low, "high": target.high,
            "model_at_median": value,
            "predictive_median": weighted_quantile(values, calibration.weights, 0.5),
            "posterior_low": weighted_quantile(values, calibration.weights, LOW_Q),
            "posterior_high": weighted_quantile(values, calibration.weights, HIGH_Q),
            "share_inside": float(np.sum(calibration.weights * inside)),
            "inside": target.inside(value),
            "constraint": target.status == "by_construction",
        })
    return rows


def predictive_deviations(result: CalibrationResult) -> list[dict]:
    """Per target, in half-widths of its interval (:func:`.abc_model.deviation`): the
    predictive median and 95 % interval and the model at the posterior median; ``value``,
    the predictive median in the target's unit."""
    calibration = result.calibration
    rows = []
    for target in calibration.targets:
        values = np.asarray(calibration.statistics[target.id], dtype=float)
        # a particle without a value is left out (not counted ten half-widths away)
        d = np.array([deviation(target, float(v)) if math.isfinite(v) else math.nan
                      for v in values])
        at = result.at_median.get(target.id)
        at = math.nan if at is None or not math.isfinite(at) else deviation(target, at)
        rows.append({"id": target.id, "target": target,
                     "value": weighted_quantile(values, calibration.weights, 0.5),
                     "median": weighted_quantile(d, calibration.weights, 0.5),
                     "low": weighted_quantile(d, calibration.weights, LOW_Q),
                     "high": weighted_quantile(d, calibration.weights, HIGH_Q),
                     "at_median": at})
    return rows


def parameters_yaml(result: CalibrationResult) -> str:
    """``calibrated_parameters.yaml`` (see the module docstring)."""
    calibration = result.calibration
    parameters = {row["name"]: {"value": _plain(row["median"]), "unit": row["unit"],
                                "interval_95": [_plain(row["low"]), _plain(row["high"])],
                                "prior": row["prior"], "table_value": row["table_value"]}
                  for row in parameter_rows(result)}
    document = {"parameters": parameters,
                "posterior": {"statistic": "weighted median of the last generation",
                              "particles": int(calibration.weights.size),
                              "generations": calibration.generations_run,
                              "simulations": calibration.total_simulations,
                              "epsilons": [_plain(e) for e in calibration.epsilons]},
                "provenance": dict(result.provenance), "disclaimer": DISCLAIMER}
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


def report_markdown(result: CalibrationResult, figures: Mapping[str, str] | None = None,
                    level: int = 1) -> str:
    """``calibration_report.md`` (see the module docstring).

    ``figures`` maps ``observed_vs_predicted``, ``posterior_vs_prior``,
    ``correlations`` and ``constraint`` to the figures' paths as the report
    links them; ``level`` is the level of its top heading (2 or 3 inside
    another document).
    """
    figures = dict(figures or {})
    calibration = result.calibration
    h1, h2 = "#" * level, "#" * (level + 1)
    ess = effective_sample_size(calibration.weights)
    lines = [f"{h1} Calibration report (ABC-SMC)", "", f"*{DISCLAIMER}*", "",
             f"{calibration.generations_run} generations, {calibration.weights.size} particles "
             f"({ess:.0f} effective), {calibration.total_simulations:,} simulations"
             + ("" if not math.isfinite(calibration.seconds) else
                f", {calibration.seconds:,.0f} s of sampling (pyabc's wall time per generation, "
                "summed over every session)") + ".",
             "", "epsilon per generation: " + ", ".join(f"{e:.4g}" for e in
                                                         calibration.epsilons), ""]
    lines += _targets_section(result, figures, h2)
    lines += _parameters_section(result, figures, h2)
    lines += _correlation_section(result, figures, h2)
    lines += _constraint_section(result, figures, h2)
    lines += _prior_width_section(result, h2)
    lines += _provenance_section(result.provenance, h2)
    lines += [f"{h2} Red flags", "", "See a doctor promptly, whatever any model says, for:", ""]
    lines += [f"- {flag}" for flag in RED_FLAGS]
    lines += ["", f"*{DISCLAIMER}*", ""]
    return "\n".join(lines)


def _targets_section(result: CalibrationResult, figures: dict, h2: str) -> list[str]:
    lines = [f"{h2} Targets", "",
             "The model's value at every particle of the last generation is the posterior "
             "predictive sample (the simulator is deterministic in the calibrated values); "
             "its weighted median and 95 % interval are shown beside the model at the "
             "posterior median. *inside*: the model at the posterior median is inside the "
             "published interval; *P(inside)*: the posterior probability that it is.", "",
             "| target | published interval | unit | model at the posterior median | "
             "posterior predictive median [95 % interval] | inside | P(inside) |",
             "|---|---|---|---|---|---|---|"]
    rows = target_rows(result)
    for row in rows:
        inside = {True: "yes", False: "NO", None: "-"}[row["inside"]]
        label = row["id"] + (" (constraint)" if row["constraint"] else "")
        lines.append(f"| {label} | [{_g(row['low'])}, {_g(row['high'])}] | {row['unit']} | "
                     f"{_g(row['model_at_median'])} | {_g(row['predictive_median'])} "
                     f"[{_g(row['posterior_low'])}, {_g(row['posterior_high'])}] | {inside} | "
                     f"{row['share_inside']:.0%} |")
    emergent = [r for r in rows if not r["constraint"]]
    constraints = [r for r in rows if r["constraint"]]
    lines += ["", f"{sum(r['inside'] is True for r in emergent)} of {len(emergent)} targets inside "
              "their interval at the posterior median."]
    if constraints:
        lines[-1] += (f" Constraints (by-construction figures kept in the distance, never "
                      f"counted as reproduced): {sum(r['inside'] is True for r in constraints)} "
                      f"of {len(constraints)} inside.")
    lines.append("")
    if "observed_vs_predicted" in figures:
        lines += [f"![published against predicted]({figures['observed_vs_predicted']})", "",
                  "Each target in half-widths of its published interval (the grey band, "
                  "-1 to 1): the posterior predictive median (dot) and 95 % interval (bar), "
                  "and the model at the posterior median (cross).", ""]
    return lines


def _parameters_section(result: CalibrationResult, figures: dict, h2: str) -> list[str]:
    lines = [f"{h2} Parameters", "",
             "| parameter | unit | table value | posterior median | 95 % interval | prior |",
             "|---|---|---|---|---|---|"]
    for row in parameter_rows(result):
        lines.append(f"| `{row['name']}` | {row['unit']} | {_g(row['table_value'])} | "
                     f"{_g(row['median'])} | [{_g(row['low'])}, {_g(row['high'])}] | "
                     f"{row['prior']} |")
    if "posterior_vs_prior" in figures:
        lines += ["", f"![posterior against prior]({figures['posterior_vs_prior']})"]
    return [*lines, ""]


def _correlation_section(result: CalibrationResult, figures: dict, h2: str) -> list[str]:
    names = result.calibration.parameters
    matrix = correlation_matrix(result.calibration)
    lines = [f"{h2} Pairwise posterior correlations", "",
             "Weighted Pearson correlations of the last generation's particles. |r| near 1: "
             "the targets fix a combination of the two parameters (a ridge), not each one.", "",
             "| | " + " | ".join(f"`{n}`" for n in names) + " |",
             "|---|" + "---|" * len(names)]
    for i, name in enumerate(names):
        lines.append(f"| `{name}` | " + " | ".join(_signed(matrix[i, j]) for j in range(len(names)))
                     + " |")
    ridges = [f"`{names[i]}` and `{names[j]}` (r = {matrix[i, j]:+.2f})"
              for i in range(len(names)) for j in range(i + 1, len(names))
              if abs(matrix[i, j]) >= STRONG_CORRELATION]
    lines += ["", ("Strongly correlated (|r| >= "
                   f"{STRONG_CORRELATION:g}): " + "; ".join(ridges) + ".") if ridges else
              f"No pair has |r| >= {STRONG_CORRELATION:g}."]
    if "correlations" in figures:
        lines += ["", f"![posterior correlations]({figures['correlations']})"]
    return [*lines, ""]


def _constraint_section(result: CalibrationResult, figures: dict, h2: str) -> list[str]:
    calibration = result.calibration
    names = calibration.parameters
    ids = tuple(t.id for t in calibration.targets)
    matrix = constraint_matrix(calibration, ids)
    ess = effective_sample_size(calibration.weights)
    lines = [f"{h2} How much each target constrains each parameter", "",
             "Weighted r² of each target's model value with each parameter across the "
             "posterior particles: the share of the target's posterior variation a straight "
             "line in that parameter explains; the last column, R² of the linear fit on all "
             "parameters together. Limits: measured inside the posterior (a parameter already "
             "pinned down varies little there and may show a small r² although it is well "
             "constrained: compare its posterior with its prior); linear (a threshold or "
             "U-shaped dependence is missed); marginal (correlated parameters share credit, so "
             f"a row can add up to more than 1). With {ess:.0f} effective particles an r² "
             f"below about {min(1.0, 4 / max(ess, 1)):.2f} cannot be told from 0.", "",
             "| target | " + " | ".join(f"`{n}`" for n in names) + " | all (R²) |",
             "|---|" + "---|" * (len(names) + 1)]
    for i, target_id in enumerate(ids):
        lines.append(f"| {target_id} | " + " | ".join(_share(v) for v in matrix[i])
                     + f" | {_share(linear_share(calibration, target_id))} |")
    if "constraint" in figures:
        lines += ["", f"![target constraint]({figures['constraint']})"]
    return [*lines, ""]


def _prior_width_section(result: CalibrationResult, h2: str) -> list[str]:
    calibration = result.calibration
    shifts = prior_width_shifts(calibration, result.priors, FACTORS)
    n = calibration.weights.size
    lines = [f"{h2} Sensitivity to the prior widths", "",
             "The last generation reweighted to priors whose widths (SD, SD of log or of "
             "logit; a uniform prior's width about its middle, within the range) are "
             + " and ".join(f"x{f:g}" for f in FACTORS) + ": importance weight = new prior "
             "density / old prior density. Valid only inside the region the particles cover: "
             "a wider prior that would open regions the run never sampled is not seen, and "
             "the answer rests on the effective particles shown (of "
             f"{n}; below about {n // 5} it is a rough indication only). Shift: change of the "
             "median in widths of the run's 90 % interval.", "",
             "| parameter | width | effective particles | median | 90 % interval | "
             "reweighted median | reweighted 90 % interval | shift |",
             "|---|---|---|---|---|---|---|---|"]
    for row in shifts:
        lines.append(f"| `{row.name}` | x{row.factor:g} | {row.effective_particles:.0f} | "
                     f"{_g(row.median)} | [{_g(row.low)}, {_g(row.high)}] | "
                     f"{_g(row.new_median)} | [{_g(row.new_low)}, {_g(row.new_high)}] | "
                     f"{_signed(row.median_shift)} |")
    return [*lines, ""]


def _provenance_section(record: Mapping, h2: str) -> list[str]:
    if not record:
        return []
    git = record.get("git") or {}
    commit = git.get("commit") if isinstance(git, Mapping) else None
    settings = record.get("settings") or {}
    lines = [f"{h2} Provenance", "",
             f"- run with lbp-headache {record.get('version', '?')}"
             + (f", commit `{str(commit)[:12]}`" if commit else "")
             + (" (uncommitted changes)" if isinstance(git, Mapping) and git.get("dirty")
                else "")
             + f", finished {record.get('finished', '?')}"]
    for path, digest in (record.get("inputs") or {}).items():
        lines.append(f"- input `{path}`: SHA-256 `{str(digest)[:16]}...`")
    if settings:
        shown = ", ".join(f"{k} {v}" for k, v in settings.items()
                          if k in ("seed", "particles", "generations", "max_simulations",
                                   "population_share", "sampler", "workers"))
        lines.append(f"- settings: {shown}")
    return [*lines, ""]


def _g(value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-" if value is None or math.isnan(value) else ("inf" if value > 0 else "-inf")
    return f"{value:.4g}"


def _share(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{value:.2f}"


def _signed(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{value:+.2f}"


def _plain(value: float) -> float | None:
    value = float(np.asarray(value))
    return value if math.isfinite(value) else None
