"""The contents of a run's folder, and running scenarios into an output folder.

Contents of a run folder (:func:`write_run`)

``timeseries.csv``
    ``day`` then every column of :data:`lbp_headache.engine.result.COLUMNS`,
    one row per output time, floats as ``%.9g`` (the same result gives the
    same bytes).
``summary.json``
    Scenario (with the resolved schedule: every time in days, doses,
    overrides), metrics and monthly windows
    (:func:`lbp_headache.analysis.observation.summarize`), the unit and
    meaning of every column, parameters, provenance
    (:func:`lbp_headache.files.provenance.provenance`), disclaimer and red
    flags (:func:`summary`).
``states.png``, ``headache_by_pathway.png``
    The figures of :mod:`lbp_headache.report.run_figures`.

Every file is written atomically through an
:class:`~lbp_headache.files.output_folder.OutputFolder`, which replaces only
files the tool wrote itself.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from lbp_headache.analysis.diary import diary_summary
from lbp_headache.analysis.observation import summarize
from lbp_headache.core.disclaimer import DISCLAIMER, RED_FLAGS
from lbp_headache.core.errors import ModelError
from lbp_headache.core.parameters import PARAMETERS
from lbp_headache.engine.result import COLUMN_INFO, COLUMNS, Result
from lbp_headache.engine.simulate import simulate
from lbp_headache.files.json_data import to_json
from lbp_headache.files.output_folder import OutputFolder
from lbp_headache.files.provenance import now, provenance
from lbp_headache.report.figure_style import figure_png
from lbp_headache.report.run_figures import plot_headache_by_pathway, plot_states
from lbp_headache.scenario.explain import resolved_scenario
from lbp_headache.scenario.record import Scenario

FLOAT_FORMAT = "%.9g"
TIME_UNIT = "day"
RUN_TABLES = ("timeseries.csv", "summary.json")
RUN_FIGURES = ("states.png", "headache_by_pathway.png")


def timeseries_header() -> list[str]:
    """Column names of ``timeseries.csv``: ``day`` then the result's ``COLUMNS``."""
    return ["day", *COLUMNS]


def timeseries_csv(result: Result) -> str:
    """``timeseries.csv`` text: a header of names, then one row per output time."""
    table = np.column_stack([result.time, *(result.columns[name] for name in COLUMNS)])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(timeseries_header())
    for row in table:
        writer.writerow([FLOAT_FORMAT % value for value in row])
    return buffer.getvalue()


def column_units() -> dict[str, str]:
    """Unit (pint syntax) of every ``timeseries.csv`` column, ``day`` first."""
    return {"day": TIME_UNIT, **{name: COLUMN_INFO[name].unit for name in COLUMNS}}


def column_table() -> dict[str, dict[str, str]]:
    """Unit and meaning of every ``timeseries.csv`` column, ``day`` first."""
    return {"day": {"unit": TIME_UNIT, "description": "time since the start of the run"},
            **{name: {"unit": COLUMN_INFO[name].unit, "description": COLUMN_INFO[name].meaning}
               for name in COLUMNS}}


def parameter_table(result: Result) -> dict[str, dict[str, object]]:
    """Parameters used by ``result``: ``{name: {"value", "unit"}}`` in table order."""
    values = result.parameter_values()
    return {p.name: {"value": values[p.name], "unit": p.unit} for p in PARAMETERS}


def run_provenance(result: Result, overrides: Mapping[str, float] | None = None, *,
                   started: datetime | None = None) -> dict:
    """The ``provenance`` block of ``summary.json`` (:func:`.provenance.provenance`).

    Parameters
    ----------
    result
        The simulation result.
    overrides
        Command-line parameter overrides (canonical units) applied to the run.
    started
        When the run started (default: now).
    """
    scenario = result.scenario
    return provenance(
        started=started or now(),
        inputs={scenario.source: scenario.source_hash} if scenario.source else {},
        settings={"solver": result.settings.as_dict(), "overrides": dict(overrides or {}),
                  "seed": scenario.seed},
    )


def summary(result: Result, overrides: Mapping[str, float] | None = None,
            observed: Mapping | None = None, *, started: datetime | None = None) -> dict:
    """The ``summary.json`` document of one run (keys in a fixed order).

    Parameters
    ----------
    result
        The simulation result.
    overrides
        Command-line parameter overrides, recorded in the provenance.
    observed
        The output of :func:`lbp_headache.analysis.observation.summarize` if already computed.
    started
        When the run started, for the provenance (default: now).

    Returns
    -------
    dict
        ``scenario``, ``metrics``, ``monthly``, ``diary`` (the seeded diary:
        :func:`lbp_headache.analysis.diary.diary_summary`), ``units``, ``columns``,
        ``parameters``, ``provenance``, ``disclaimer`` and ``red_flags``.
    """
    observed = observed if observed is not None else summarize(result)
    scenario = result.scenario
    return {
        "scenario": {
            "name": scenario.name,
            "description": scenario.description,
            "file": scenario.source,
            "sha256": scenario.source_hash,
            "resolved": resolved_scenario(scenario),
        },
        "metrics": observed["metrics"],
        "monthly": observed["monthly"],
        "diary": diary_summary(result),
        "units": column_units(),
        "columns": column_table(),
        "parameters": parameter_table(result),
        "provenance": run_provenance(result, overrides, started=started),
        "disclaimer": DISCLAIMER,
        "red_flags": list(RED_FLAGS),
    }


def run_files(name: str, *, figures: bool = True) -> list[str]:
    """Files of one run's folder ``name/`` (relative to the output folder)."""
    return [f"{name}/{file}" for file in (*RUN_TABLES, *(RUN_FIGURES if figures else ()))]


def write_run(result: Result, out: OutputFolder, name: str,
              overrides: Mapping[str, float] | None = None,
              observed: Mapping | None = None, *, figures: bool = True,
              started: datetime | None = None) -> Path:
    """Write one run's folder ``name/`` (CSV, JSON, two figures) into ``out``.

    Every file is rendered first, then each is written atomically; files of
    an earlier run of the tool in ``name/`` that this run does not write
    (figures, after ``--no-figures``) are removed, so the folder never mixes
    two runs.

    Parameters
    ----------
    result
        The simulation result.
    out
        The open output folder.
    name
        The run's subfolder (the scenario file's stem).
    overrides
        Command-line parameter overrides, recorded in the provenance.
    observed
        The output of :func:`lbp_headache.analysis.observation.summarize` if already computed.
    figures
        Draw ``states.png`` and ``headache_by_pathway.png`` (the slow part).
    started
        When the run started, for the provenance (default: now).

    Returns
    -------
    Path
        The run's folder.

    Raises
    ------
    OSError
        If writing fails.
    OutputConflict
        If a file to be replaced was not written by the tool.
    """
    # Everything is rendered before anything is written: a failure leaves the old folder.
    document = summary(result, overrides, observed, started=started)
    contents = {"timeseries.csv": timeseries_csv(result).encode("utf-8"),
                "summary.json": to_json(document).encode("utf-8")}
    if figures:
        contents["states.png"] = figure_png(plot_states(result))
        contents["headache_by_pathway.png"] = figure_png(plot_headache_by_pathway(result))
    for file, data in contents.items():
        out.write_bytes(f"{name}/{file}", data)
    out.remove_stale(f"{name}/", run_files(name, figures=figures))
    return out.path / name


@dataclass(frozen=True)
class RunOutcome:
    """One scenario of :func:`run_scenarios`: its result and folder, or why it failed."""

    path: Path
    result: Result | None = None
    observed: dict | None = None
    folder: Path | None = None
    error: str | None = None


def run_scenarios(scenarios: Sequence[tuple[Path, Scenario]], overrides: Mapping[str, float],
                  out: OutputFolder, *, figures: bool = True,
                  write: bool = True) -> Iterator[RunOutcome]:
    """Simulate each scenario and write its folder ``out/<file stem>/``, one at a time.

    With ``write=False`` the scenarios are only simulated and summarized.

    Yields
    ------
    RunOutcome
        As each scenario finishes; ``error`` is a one-line message when the
        simulation failed (a state left its range) or the folder could not
        be written.
    """
    for path, scenario in scenarios:
        started = now()
        try:
            result = simulate(scenario, overrides=overrides)
        except (ModelError, ValueError) as error:
            yield RunOutcome(path, error=f"{path}: simulation failed: {error}")
            continue
        observed = summarize(result)
        if not write:
            yield RunOutcome(path, result, observed)
            continue
        try:
            folder = write_run(result, out, path.stem, overrides, observed, figures=figures,
                               started=started)
        except OSError as error:
            yield RunOutcome(path, result, observed,
                             error=f"{out.path / path.stem}: cannot write: {error}")
            continue
        yield RunOutcome(path, result, observed, folder)
