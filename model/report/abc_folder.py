"""The folder of ``lbp-headache calibrate``: run ABC-SMC into it and write its outputs.

``abc.db``
    pyabc's database (SQLite), written by pyabc as the run goes: every
    generation's particles, weights, distances and summary statistics. It is
    what ``--resume`` continues.
``calibration_settings.json``
    What the database was made with (the targets file's SHA-256 and the spec's
    settings but the budget): ``--resume`` refuses a database made otherwise.
``calibrated_parameters.yaml``, ``posterior_samples.csv``, ``calibration_report.md``
    See :mod:`lbp_headache.calibration.abc_outputs`.
``calibration_result.json``
    What the report needs besides the samples (:mod:`lbp_headache.calibration.abc_result`):
    with ``posterior_samples.csv`` it is all a committed result needs for the
    report to be rendered again (:func:`.abc_report.render_report`,
    ``calibrate --report-only``).
``observed_vs_predicted.png``, ``posterior_vs_prior.png``, ``posterior_correlations.png``,
``target_constraint.png``
    The figures of :mod:`.abc_figures`.

Every file but the database is written atomically through an
:class:`~lbp_headache.files.output_folder.OutputFolder`, which also locks the
folder for the whole run.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from lbp_headache.calibration.abc_model import spec_priors
from lbp_headache.calibration.abc_outputs import (
    parameters_yaml,
    posterior_medians,
    samples_csv,
)
from lbp_headache.calibration.abc_result import (
    RESULT_FILE,
    SAMPLES_FILE,
    CalibrationResult,
    result_json,
)
from lbp_headache.calibration.abc_run import DATABASE, make_simulator, run_calibration
from lbp_headache.calibration.abc_spec import CalibrationSpec
from lbp_headache.calibration.posterior import Calibration
from lbp_headache.calibration.targets import TargetSet
from lbp_headache.core.errors import Problem, ScenarioError
from lbp_headache.core.parameters import BY_NAME
from lbp_headache.files.json_data import to_json
from lbp_headache.files.output_folder import OutputConflict, OutputFolder
from lbp_headache.files.provenance import now, provenance
from lbp_headache.report.abc_report import REPORT_FILES, write_report

SETTINGS_FILE = "calibration_settings.json"
OUTPUT_FILES = (SETTINGS_FILE, "calibrated_parameters.yaml", SAMPLES_FILE, RESULT_FILE,
                *REPORT_FILES)
BUDGET_KEYS = ("generations", "max_simulations")  # may change between a run and its resume


def run_identity(spec: CalibrationSpec, targets: TargetSet) -> dict:
    """What a database depends on: the targets file and the spec's settings but the budget."""
    settings = {k: v for k, v in spec.settings().items() if k not in BUDGET_KEYS}
    return {"targets_sha256": targets.source_hash, "settings": settings}


def calibrate_into(spec: CalibrationSpec, targets: TargetSet, out: str | Path, *,
                   resume: bool = False, workers: int | None = None,
                   scheduler: str | None = None,
                   progress: Callable[[str], None] | None = None
                   ) -> tuple[Calibration, dict[str, float], list[Path]]:
    """Run (or resume) the calibration into ``out`` and write every output.

    Returns
    -------
    (Calibration, model values at the posterior median, files written)

    Raises
    ------
    ScenarioError
        ``--resume`` without a database or with one made otherwise, or a
        database already there without ``--resume`` (nothing is run).
    OutputConflict
        A file to be replaced was not written by the tool.
    """
    report = progress or (lambda _line: None)
    started = now()
    out = Path(out)
    with OutputFolder(out) as folder:
        conflicts = folder.conflicts(OUTPUT_FILES)
        if conflicts:
            raise OutputConflict("\n".join(conflicts))
        database = out / DATABASE
        identity = run_identity(spec, targets)
        if resume:
            _check_resumable(out, identity)
        else:
            if database.exists():
                raise ScenarioError([Problem(str(database), None, "", (
                    "a database of an earlier run is here: add --resume to continue it, or "
                    "choose another --out"))])
            folder.write_text(SETTINGS_FILE, to_json(identity))
        calibration = run_calibration(spec, targets, out, resume=resume, workers=workers,
                                      scheduler=scheduler, progress=report)
        report("the model at the posterior median")
        at_median = make_simulator(spec, targets)(posterior_medians(calibration))
        record = provenance(
            started=started,
            inputs={targets.source: targets.source_hash, spec.source: spec.source_hash},
            settings={**spec.settings(), "workers": workers, "scheduler": scheduler,
                      "sampler": "single core" if not scheduler and (workers or 1) == 1
                      else ("dask" if scheduler else "multicore")},
            simulations=calibration.total_simulations,
            sampling_seconds=round(calibration.seconds, 3))
        names = calibration.parameters
        result = CalibrationResult(calibration, spec_priors(names, spec.uniform_priors),
                                   {n: BY_NAME[n].unit for n in names},
                                   {n: BY_NAME[n].uncalibrated_value for n in names},
                                   at_median, record)
        files = [
            folder.write_text("calibrated_parameters.yaml", parameters_yaml(result)),
            folder.write_text(SAMPLES_FILE, samples_csv(calibration)),
            folder.write_text(RESULT_FILE, result_json(result)),
            *write_report(folder, result),
        ]
    return calibration, at_median, [database, *files]


def _check_resumable(out: Path, identity: dict) -> None:
    database, settings = out / DATABASE, out / SETTINGS_FILE
    if not database.exists() or not settings.exists():
        raise ScenarioError([Problem(str(out), None, "--resume", (
            f"nothing to resume here (no {DATABASE} and {SETTINGS_FILE}); run without "
            "--resume"))])
    stored = json.loads(settings.read_text(encoding="utf-8"))
    if stored != identity:
        changed = sorted(key for key in set(identity["settings"]) | set(stored.get("settings", {}))
                         if identity["settings"].get(key) != stored.get("settings", {}).get(key))
        if identity["targets_sha256"] != stored.get("targets_sha256"):
            changed.insert(0, "the targets file")
        raise ScenarioError([Problem(str(settings), None, "--resume", (
            f"the database was made with other settings ({', '.join(changed)} changed; only "
            "generations and max_simulations may); run without --resume into another --out"))])
