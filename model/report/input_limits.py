"""Every bound on what an input may cost, in one table (docs/inputs.md is generated from it).

Each bound is checked while a file is read, before any work, and refused with
one line that gives the estimate, the bound and how to split the work. The
constants live next to the code that checks them; this module only lists them.
"""

from __future__ import annotations

from dataclasses import dataclass

from lbp_headache.analysis.sweep import cost as sweep_cost
from lbp_headache.core import units
from lbp_headache.files import input_files, yaml_source
from lbp_headache.files.problem_collector import MAX_DESCRIPTION_CHARS, MAX_TEXT_CHARS
from lbp_headache.population import reader as population_reader
from lbp_headache.scenario import profile_reader, treatment_reader
from lbp_headache.scenario import reader as scenario_reader
from lbp_headache.trial import reader as trial_reader


@dataclass(frozen=True)
class Limit:
    """One bound: what it limits, its value, the constant that holds it and why."""

    what: str
    value: str
    constant: str
    reason: str


def _n(value: float) -> str:
    return f"{value:,.0f}"


def _mib(value: float) -> str:
    return f"{value / 2**20:,.0f} MiB" if value < 2**30 else f"{value / 2**30:,.0f} GiB"


LIMITS: tuple[Limit, ...] = (
    Limit("size of a scenario or sweep file", f"{_n(input_files.MAX_YAML_BYTES)} bytes",
          "input_files.MAX_YAML_BYTES", "a scenario is a page of text"),
    Limit("size of a diary CSV", f"{_n(input_files.MAX_CSV_BYTES)} bytes",
          "input_files.MAX_CSV_BYTES", "55 years of daily values fit easily"),
    Limit("YAML nodes after aliases / aliases / nesting",
          f"{_n(yaml_source.MAX_NODES)} / {yaml_source.MAX_ALIASES} / {yaml_source.MAX_DEPTH}",
          "yaml_source.MAX_NODES, MAX_ALIASES, MAX_DEPTH", "no 'billion laughs'"),
    Limit("digits of a number", str(yaml_source.MAX_DIGITS), "yaml_source.MAX_DIGITS",
          "no model quantity needs more than 17 significant digits"),
    Limit("characters of a quantity ('6 months + 3 weeks')", str(units.MAX_QUANTITY_CHARS),
          "units.MAX_QUANTITY_CHARS", "pint never sees a long expression"),
    Limit("characters of a unit / power of a unit",
          f"{units.MAX_UNIT_CHARS} / {units.MAX_UNIT_EXPONENT}",
          "units.MAX_UNIT_CHARS, MAX_UNIT_EXPONENT", "no unit of the model needs more"),
    Limit("terms of a sum of quantities", str(units.MAX_TERMS), "units.MAX_TERMS", ""),
    Limit("characters of a name or label / a description",
          f"{MAX_TEXT_CHARS} / {_n(MAX_DESCRIPTION_CHARS)}",
          "problem_collector.MAX_TEXT_CHARS, MAX_DESCRIPTION_CHARS", "they go into figures"),
    Limit("levels of 'extends'", str(scenario_reader.MAX_EXTENDS), "scenario_reader.MAX_EXTENDS",
          ""),
    Limit("duration of a run", f"1 day to {scenario_reader.MAX_DURATION_YEARS:g} years",
          "scenario_reader.MIN_DURATION, MAX_DURATION_YEARS",
          "headache days are counted per whole day"),
    Limit("shortest span (treatment, output step, flare, gap between points)", "1 minute",
          "problem_collector.MIN_INTERVAL", "tiny intervals are refused, never integrated"),
    Limit("output times of one run", _n(scenario_reader.MAX_OUTPUT_POINTS),
          "scenario_reader.MAX_OUTPUT_POINTS", "about 50 MB of results; use a longer "
          "output_step or split the run"),
    Limit("integration segments of one run", _n(scenario_reader.MAX_SEGMENTS),
          "scenario_reader.MAX_SEGMENTS", "each is a solver restart; split the run"),
    Limit("treatment courses of one scenario", _n(treatment_reader.MAX_TREATMENTS),
          "treatment_reader.MAX_TREATMENTS", "handling stays near-linear in the courses"),
    Limit("points of a steps or ramp profile", _n(profile_reader.MAX_POINTS),
          "profile_reader.MAX_POINTS", "longer series belong in a diary CSV"),
    Limit("flares of a flares profile", _n(profile_reader.MAX_FLARES), "profile_reader.MAX_FLARES",
          ""),
    Limit("rows of a diary CSV", _n(profile_reader.MAX_DIARY_ROWS),
          "profile_reader.MAX_DIARY_ROWS", "one a day for 55 years"),
    Limit("base scenarios of a sweep", str(sweep_cost.MAX_SCENARIOS),
          "sweep_cost.MAX_SCENARIOS", "split the sweep into several files"),
    Limit("simulations of a sweep, summed over its scenarios (also per analysis)",
          _n(sweep_cost.MAX_SETS), "sweep_cost.MAX_SETS", "10 to 20 minutes on 2 cores"),
    Limit("estimated memory of one chunk (two per worker in flight)",
          _mib(sweep_cost.MAX_CHUNK_BYTES), "sweep_cost.MAX_CHUNK_BYTES",
          "the message names the largest chunk_size that fits"),
    Limit("design matrix (sets x swept parameters)", _mib(sweep_cost.MAX_DESIGN_BYTES),
          "sweep_cost.MAX_DESIGN_BYTES", "it is held whole"),
    Limit("trajectories of a sweep on disk", _mib(sweep_cost.MAX_TRAJECTORY_BYTES),
          "sweep_cost.MAX_TRAJECTORY_BYTES", "record fewer variables, or use states_at"),
    Limit("bootstrap resamples / resamples x rows resampled",
          f"{_n(sweep_cost.MAX_BOOTSTRAP)} / {_n(sweep_cost.MAX_BOOTSTRAP_WORK)}",
          "sweep_cost.MAX_BOOTSTRAP, MAX_BOOTSTRAP_WORK", "about a minute of resampling"),
    Limit("candidates of a population", _n(population_reader.MAX_CANDIDATES),
          "population_reader.MAX_CANDIDATES",
          "each is one engine run (about 7 minutes for the bound on 2 cores)"),
    Limit("patients of a population", _n(population_reader.MAX_SIZE),
          "population_reader.MAX_SIZE", "at most half the candidates in practice"),
    Limit("arms of a trial", f"2 to {trial_reader.MAX_ARMS}", "trial_reader.MAX_ARMS",
          "each arm adds an engine run or a diary per patient"),
    Limit("memory a trial keeps (weekly diaries and endpoints)",
          f"{trial_reader.MAX_KEPT_BYTES // 2**30} GiB", "trial_reader.MAX_KEPT_BYTES",
          "estimated from patients, arms, weeks and evaluations (trial_reader.kept_bytes): "
          "100,000 patients, 4 arms of a year: 1.1 GiB"),
    Limit("replicate trials", _n(trial_reader.MAX_REPLICATES), "trial_reader.MAX_REPLICATES",
          "each is analysed in Python (about 3 ms)"),
    Limit("baseline plus trial duration", f"{trial_reader.MAX_TRIAL_DAYS:g} days",
          "trial_reader.MAX_TRIAL_DAYS", "the patients' back-pain flares are drawn over four "
          "years"),
)


def limits_table() -> str:
    """The bounds as a Markdown table (docs/inputs.md)."""
    lines = ["| what | bound | constant | why, or how to stay within it |",
             "|---|---|---|---|"]
    lines += [f"| {limit.what} | {limit.value} | `{limit.constant}` | {limit.reason} |"
              for limit in LIMITS]
    return "\n".join(lines) + "\n"
