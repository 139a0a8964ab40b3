"""A calibration report rendered from a result alone (no pyabc, nothing run).

:func:`write_report` draws the report's figures (:mod:`.abc_figures`) and writes
``calibration_report.md`` (:func:`~lbp_headache.calibration.abc_outputs.report_markdown`)
into an output folder: ``calibrate`` calls it at the end of a run, and
:func:`render_report` (``lbp-headache calibrate --report-only DIR``, ``make demo``)
on a result folder read back by
:func:`~lbp_headache.calibration.abc_result_reader.read_result`.
"""

from __future__ import annotations

from pathlib import Path

from lbp_headache.calibration.abc_outputs import report_markdown
from lbp_headache.calibration.abc_result import RESULT_FILE, SAMPLES_FILE, CalibrationResult
from lbp_headache.calibration.abc_result_reader import read_result
from lbp_headache.files.json_data import to_json
from lbp_headache.files.output_folder import OutputConflict, OutputFolder, file_sha256
from lbp_headache.files.provenance import now, provenance
from lbp_headache.report.abc_figures import (
    constraint_figure,
    correlation_figure,
    observed_vs_predicted_figure,
    posterior_figure,
)
from lbp_headache.report.figure_style import figure_png

REPORT_FILE = "calibration_report.md"
REPORT_PROVENANCE = "report_provenance.json"
# The report's figures: key (as report_markdown names them) -> file name and drawing function.
FIGURES = {
    "observed_vs_predicted": ("observed_vs_predicted.png", observed_vs_predicted_figure),
    "posterior_vs_prior": ("posterior_vs_prior.png", posterior_figure),
    "correlations": ("posterior_correlations.png", correlation_figure),
    "constraint": ("target_constraint.png", constraint_figure),
}
REPORT_FILES = (REPORT_FILE, *(name for name, _ in FIGURES.values()))


def figure_files(prefix: str = "") -> dict[str, str]:
    """The report's figure files by key, each name preceded by ``prefix``."""
    return {key: prefix + name for key, (name, _) in FIGURES.items()}


def write_report(folder: OutputFolder, result: CalibrationResult, *, prefix: str = "",
                 report: str | None = REPORT_FILE) -> list:
    """Write the report's figures (named ``prefix`` + name) and, unless ``report`` is None,
    the report linking them, into ``folder``; return the paths written."""
    files = [folder.write_bytes(prefix + name, figure_png(draw(result)))
             for name, draw in FIGURES.values()]
    if report is not None:
        files.append(folder.write_text(report, report_markdown(result, figure_files(prefix))))
    return files


def render_report(source: str | Path, out: str | Path | None = None) -> tuple[
        CalibrationResult, list[Path]]:
    """Render the report of the result in ``source`` into ``out`` (default: ``source``)
    without running anything: the report, its figures and ``report_provenance.json``.

    Raises
    ------
    ScenarioError
        ``source`` does not hold a result (:func:`~.abc_result_reader.read_result`).
    OutputConflict
        A file to be replaced was not written by the tool.
    """
    started = now()
    source = Path(source)
    result = read_result(source)
    with OutputFolder(Path(out) if out is not None else source) as folder:
        conflicts = folder.conflicts((*REPORT_FILES, REPORT_PROVENANCE))
        if conflicts:
            raise OutputConflict("\n".join(conflicts))
        files = write_report(folder, result)
        inputs = {str(source / name): file_sha256(source / name)
                  for name in (RESULT_FILE, SAMPLES_FILE)}
        files.append(folder.write_text(REPORT_PROVENANCE, to_json(
            {"report_rendered": provenance(started=started, inputs=inputs),
             "calibration_run": dict(result.provenance)})))
    return result, files


def committed_report_markdown(folder: str | Path, figure_prefix: str, level: int = 3) -> str:
    """The report of the result committed in ``folder`` as a block of another document, its
    figures at ``figure_prefix`` + name (what ``make demo`` copies there); a note saying how
    to commit one when there is none."""
    folder = Path(folder)
    if not (folder / RESULT_FILE).is_file():
        return ("No calibration result is committed yet. To show one here, copy "
                f"`{RESULT_FILE}`, `{SAMPLES_FILE}` and `calibrated_parameters.yaml` of a "
                f"finished run into `{folder.parent.name}/{folder.name}/` and run "
                "`make demo`.\n")
    return report_markdown(read_result(folder), figure_files(figure_prefix), level=level)
