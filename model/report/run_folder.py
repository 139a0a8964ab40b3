"""Output files: atomic writers, provenance, and the contents of a run's folder.

Every file is written to a temporary file in its destination folder and moved
into place with :func:`os.replace`, so a reader (or a killed run) never sees a
half-written file. Commands write through a
:class:`~lbp_headache.files.output_folder.OutputFolder`, which replaces only files the tool
wrote itself.

Contents of a run folder (:func:`write_run`)

``timeseries.csv``
    ``day`` then every column of :data:`~lbp_headache.engine.result.COLUMNS`, one row per
    output time, floats as ``%.9g`` (the same result gives the same bytes).
``summary.json``
    Scenario (with the resolved schedule: every time in days, doses, overrides),
    metrics and monthly windows (:func:`lbp_headache.analysis.observation.summarize`), units,
    parameters, provenance, disclaimer and red flags (:func:`summary`).
``states.png``, ``headache_by_pathway.png``
    The figures of :mod:`lbp_headache.report.run_figures`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import platform
import tempfile
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from lbp_headache.analysis.observation import summarize
from lbp_headache.core.parameters import PARAMETERS
from lbp_headache.engine.result import COLUMN_INFO, COLUMNS, Result
from lbp_headache.files.output_folder import OutputFolder
from lbp_headache.scenario.explain import resolved_scenario

PACKAGE = "lbp-headache"
FLOAT_FORMAT = "%.9g"
TIME_UNIT = "day"

RED_FLAGS: tuple[str, ...] = (
    "sudden loss of bowel or bladder control",
    "sudden severe leg weakness or numbness",
    "high fever or chills",
    "unrelenting pain not relieved by rest",
    "unexplained weight loss",
    "back pain worse when lying down",
    "new severe pain with a history of cancer",
)
DISCLAIMER = (
    "lbp-headache is an educational and research model, not a diagnostic tool and "
    "not medical advice."
)


def disclaimer_line() -> str:
    """The one-line disclaimer printed at the end of every report."""
    return f"{DISCLAIMER} See a doctor the same day for: {'; '.join(RED_FLAGS)}."


# --- atomic writers ---------------------------------------------------------------

def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file + :func:`os.replace`).

    Parameters
    ----------
    path
        Destination file; its folder must exist.
    data
        The complete file contents.

    Returns
    -------
    Path
        The destination path.

    Raises
    ------
    OSError
        If the file cannot be written; no temporary file is left behind.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp creates 0600 files; give the result the usual permissions.
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically (see :func:`atomic_write_bytes`)."""
    return atomic_write_bytes(path, text.encode("utf-8"))


# --- contents ---------------------------------------------------------------------

def jsonable(value: object) -> object:
    """Convert ``value`` to plain JSON types: numpy scalars to Python, NaN/inf to ``None``."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


def to_json(data: Mapping) -> str:
    """Serialise ``data`` as indented JSON in insertion order (no NaN, newline at the end)."""
    return json.dumps(jsonable(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


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


def parameter_table(result: Result) -> dict[str, dict[str, object]]:
    """Parameters used by ``result``: ``{name: {"value", "unit"}}`` in table order."""
    values = result.parameter_values()
    return {p.name: {"value": values[p.name], "unit": p.unit} for p in PARAMETERS}


def provenance(result: Result, overrides: Mapping[str, float] | None = None) -> dict:
    """What produced ``result``: package, versions, scenario file, overrides, solver, time.

    Parameters
    ----------
    result
        The simulation result.
    overrides
        Command-line parameter overrides (canonical units) applied to the run.

    Returns
    -------
    dict
        The ``provenance`` block of ``summary.json``.
    """
    import scipy
    from lbp_headache.core.version import __version__

    return {
        "package": PACKAGE,
        "version": __version__,
        "scenario_file": result.scenario.source,
        "scenario_sha256": result.scenario.source_hash,
        "overrides": dict(overrides or {}),
        "solver": result.settings.as_dict(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def summary(result: Result, overrides: Mapping[str, float] | None = None,
            observed: Mapping | None = None) -> dict:
    """The ``summary.json`` document of one run (keys in a fixed order).

    Parameters
    ----------
    result
        The simulation result.
    overrides
        Command-line parameter overrides, recorded in the provenance.
    observed
        The output of :func:`lbp_headache.analysis.observation.summarize` if already computed.

    Returns
    -------
    dict
        ``scenario``, ``metrics``, ``monthly``, ``units``, ``parameters``,
        ``provenance``, ``disclaimer`` and ``red_flags``.
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
        "units": column_units(),
        "parameters": parameter_table(result),
        "provenance": provenance(result, overrides),
        "disclaimer": DISCLAIMER,
        "red_flags": list(RED_FLAGS),
    }


RUN_TABLES = ("timeseries.csv", "summary.json")
RUN_FIGURES = ("states.png", "headache_by_pathway.png")


def run_files(name: str, *, figures: bool = True) -> list[str]:
    """Files of one run's folder ``name/`` (relative to the output folder)."""
    return [f"{name}/{file}" for file in (*RUN_TABLES, *(RUN_FIGURES if figures else ()))]


def write_run(result: Result, out: OutputFolder, name: str,
              overrides: Mapping[str, float] | None = None,
              observed: Mapping | None = None, *, figures: bool = True) -> Path:
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
    from lbp_headache.report.run_figures import figure_png, plot_headache_by_pathway, plot_states

    # Everything is rendered before anything is written: a failure leaves the old folder.
    contents = {"timeseries.csv": timeseries_csv(result).encode("utf-8"),
                "summary.json": to_json(summary(result, overrides, observed)).encode("utf-8")}
    if figures:
        contents["states.png"] = figure_png(plot_states(result))
        contents["headache_by_pathway.png"] = figure_png(plot_headache_by_pathway(result))
    for file, data in contents.items():
        out.write_bytes(f"{name}/{file}", data)
    out.remove_stale(f"{name}/", run_files(name, figures=figures))
    return out.path / name


# --- comparison table -------------------------------------------------------------

COMPARISON_FIELDS: tuple[str, ...] = (
    "name", "file", "headache_days_per_month", "mean_headache", "peak_headache",
    "headache_burden", "share_mechanical", "share_neurological", "share_inflammatory",
    "min_pain_threshold", "responder_reduction", "responder",
)


def comparison_row(result: Result, observed: Mapping | None = None) -> dict[str, object]:
    """One row of ``comparison.csv`` (fields of :data:`COMPARISON_FIELDS`)."""
    metrics = (observed if observed is not None else summarize(result))["metrics"]
    shares = metrics["pathway_share"]
    responder = metrics["responder"]
    status = responder["is_responder"]
    return {
        "name": result.scenario.name,
        "file": result.scenario.source,
        "headache_days_per_month": metrics["headache_days_per_month"],
        "mean_headache": metrics["mean_headache"],
        "peak_headache": metrics["peak_headache"],
        "headache_burden": metrics["headache_burden"],
        "share_mechanical": shares["mechanical"],
        "share_neurological": shares["neurological"],
        "share_inflammatory": shares["inflammatory"],
        "min_pain_threshold": metrics["min_pain_threshold"],
        "responder_reduction": responder["reduction"],
        "responder": "n/a" if status is None else ("yes" if status else "no"),
    }


def comparison_csv(rows: Sequence[Mapping[str, object]]) -> str:
    """``comparison.csv`` text; floats as ``%.9g``, missing values empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COMPARISON_FIELDS)
    for row in rows:
        writer.writerow([_cell(row[field]) for field in COMPARISON_FIELDS])
    return buffer.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return FLOAT_FORMAT % value if math.isfinite(value) else ""
    return str(value)
