"""The comparison of several runs: a ranked table (``comparison.csv``) and figure."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence

from lbp_headache.analysis.observation import summarize
from lbp_headache.engine.result import Result
from lbp_headache.files.output_folder import OutputFolder
from lbp_headache.report.comparison_figure import plot_comparison
from lbp_headache.report.figure_style import figure_png
from lbp_headache.report.run_folder import FLOAT_FORMAT

COMPARISON_FILES = ("comparison.csv", "comparison.png")
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


def compare_results(results: Sequence[Result], out: OutputFolder, prefix: str = "",
                    observed: Sequence[dict | None] | None = None) -> list[dict]:
    """Write ``comparison.csv`` and ``comparison.png`` into ``out`` (under ``prefix``);
    return the ranked rows.

    Rows are ranked by expected headache days per month, fewest first.
    ``observed`` holds each result's summary when already computed.
    """
    observed = observed if observed is not None else [None] * len(results)
    rows = [comparison_row(r, o) for r, o in zip(results, observed, strict=True)]
    rank = sorted(range(len(rows)), key=lambda i: rows[i]["headache_days_per_month"])
    ranked = [rows[i] for i in rank]
    out.write_text(f"{prefix}comparison.csv", comparison_csv(ranked))
    out.write_bytes(f"{prefix}comparison.png",
                    figure_png(plot_comparison([results[i] for i in rank])))
    return ranked
