"""The calibration commands: ``targets`` (figures beside the model) and ``calibrate`` (ABC-SMC).

``calibrate`` runs :mod:`lbp_headache.report.abc_folder`.

Same conventions as every command (:mod:`lbp_headache.cli.common`): a targets
file with mistakes is one line per problem and exit status 2 with nothing
written.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
from pathlib import Path

from lbp_headache.calibration.abc_spec_reader import load_calibration_spec
from lbp_headache.calibration.outputs import run_targets, summary_line
from lbp_headache.calibration.target_reader import load_targets
from lbp_headache.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    RUN_ERRORS,
    add_backend_options,
    align,
    backend_problems,
    one_problem,
    out_dir_problems,
    problem_lines,
    report_problems,
    run_failed,
)
from lbp_headache.core.disclaimer import disclaimer_line
from lbp_headache.core.errors import ModelError, ScenarioError
from lbp_headache.files.bundled import BUNDLED_TARGETS, shown
from lbp_headache.report.abc_report import render_report

DEFAULT_OUT = Path("results") / "calibration"
DEFAULT_CALIBRATE_OUT = Path("results") / "calibrate"
DEFAULT_SPEC = "abc_smc.yaml"


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if math.isinf(value):
        return "-inf" if value < 0 else "inf"
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def published(target, tolerance: float) -> str:
    """``5.2 [4.6, 5.7] 95% CI``, ``≈ 16 (±25 %)``, ``[2, 4] range``, ``82 exact``."""
    kind = target.interval_kind
    if kind == "qualitative":
        return "qualitative"
    if kind == "approximate":
        return f"≈ {_number(target.value)} (±{100 * tolerance:g} %)"
    if kind == "exact":
        return f"{_number(target.value)} exact"
    value = "" if target.value is None else f"{_number(target.value)} "
    return f"{value}[{_number(target.low)}, {_number(target.high)}] {kind}"


def target_table(results, tolerance: float) -> str:
    """The targets beside the model's values, as aligned text."""
    head = ("target", "published", "unit", "model", "inside", "status")
    body = []
    for result in results:
        target = result.target
        inside = {True: "yes", False: "NO", None: "-"}[result.inside]
        model = _number(result.model_value) if result.model_value is not None else (
            "-" if not target.computable else result.note)
        body.append((target.id, published(target, tolerance), target.unit, model, inside,
                     target.status))
    return align([head, *body])


def cmd_targets(args: argparse.Namespace) -> int:
    """``targets``: every published figure beside the model's value, into ``--out``."""
    path = Path(args.targets) if args.targets else shown(BUNDLED_TARGETS)
    problems: list[str] = []
    targets = None
    try:
        targets = load_targets(path)
    except (ModelError, ValueError, OSError) as error:
        problems += problem_lines(error, str(path))
    out = Path(args.out or DEFAULT_OUT)
    problems += backend_problems(args) + out_dir_problems(out)
    if problems:
        return report_problems(problems)
    try:
        results, files = run_targets(targets, out, workers=args.workers,
                                     scheduler=args.scheduler,
                                     progress=lambda line: print(f"  running {line}",
                                                                 file=sys.stderr))
    except RUN_ERRORS as error:
        return run_failed(error, out, str(path))
    print(f"{targets.name}: {len(results)} targets from {path} -> {out}")
    print(target_table(results, targets.approximate_tolerance))
    print(summary_line(results))
    for file in files:
        print(f"  {file}")
    print(disclaimer_line())
    return EXIT_OK


def cmd_report_only(source: Path, out: Path | None, resume: bool = False) -> int:
    """``calibrate --report-only DIR``: the report of a finished result, nothing run."""
    problems = out_dir_problems(out) if out is not None else []
    if resume:
        problems.append(one_problem("--resume", "--report-only runs nothing: drop --resume"))
    if not source.is_dir():
        problems.append(one_problem(str(source), "no such folder (a calibration result: "
                                    "calibration_result.json and posterior_samples.csv)"))
    if problems:
        return report_problems(problems)
    try:
        _, files = render_report(source, out)
    except ScenarioError as error:
        return report_problems(problem_lines(error, str(source)))
    except OSError as error:
        print(f"{out or source}: {error}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"the report of {source} -> {out or source}")
    for file in files:
        print(f"  {file}")
    print(disclaimer_line())
    return EXIT_OK


def cmd_calibrate(args: argparse.Namespace) -> int:
    """``calibrate``: ABC-SMC on the spec's targets, into ``--out`` (resumable); with
    ``--report-only DIR``, only the report of the result in DIR."""
    if args.report_only is not None:
        return cmd_report_only(Path(args.report_only),
                               Path(args.out) if args.out is not None else None, args.resume)
    path = Path(args.targets) if args.targets else shown(BUNDLED_TARGETS)
    spec_path = Path(args.spec) if args.spec else path.parent / DEFAULT_SPEC
    problems: list[str] = []
    targets = spec = None
    try:
        targets = load_targets(path)
    except (ModelError, ValueError, OSError) as error:
        problems += problem_lines(error, str(path))
    if targets is not None:
        try:
            spec = load_calibration_spec(spec_path, targets)
        except (ModelError, ValueError, OSError) as error:
            problems += problem_lines(error, str(spec_path))
    if importlib.util.find_spec("pyabc") is None:
        problems.append(one_problem("calibrate", "needs pyabc: pip install "
                                    "'lbp-headache[calibration]'"))
    out = Path(args.out or DEFAULT_CALIBRATE_OUT)
    problems += backend_problems(args) + out_dir_problems(out)
    if problems:
        return report_problems(problems)
    from lbp_headache.report.abc_folder import calibrate_into  # lazy: loads pyabc (optional)

    constraints = f" and {len(spec.constraints)} constraints" if spec.constraints else ""
    print(f"{spec.name}: {len(spec.parameters)} parameters, {len(spec.targets)} targets"
          f"{constraints}, "
          f"{spec.particles} particles, up to {spec.generations} generations and "
          f"{spec.max_simulations:,} simulations -> {out}", file=sys.stderr)
    try:
        calibration, _, files = calibrate_into(
            spec, targets, out, resume=args.resume, workers=args.workers,
            scheduler=args.scheduler, progress=lambda line: print(f"  {line}", file=sys.stderr))
    except RUN_ERRORS as error:
        return run_failed(error, out, str(out))
    print(f"{calibration.generations_run} generations, {calibration.total_simulations:,} "
          f"simulations, {calibration.seconds:.0f} s -> {out}")
    for file in files:
        print(f"  {file}")
    print(disclaimer_line())
    return EXIT_OK


def add_parsers(sub) -> None:
    """Add ``targets`` and ``calibrate`` to the subcommand parser."""
    p = sub.add_parser("targets", help="published figures beside the model's values "
                       "(calibration/targets.yaml)")
    p.add_argument("targets", nargs="?", default=None, metavar="TARGETS",
                   help="a targets file (default: the bundled calibration/targets.yaml)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help=f"output folder (default: {DEFAULT_OUT})")
    add_backend_options(p)
    p.set_defaults(handler=cmd_targets)

    p = sub.add_parser("calibrate", help="ABC-SMC calibration of parameters to the emergent "
                       "targets (needs the [calibration] extra)")
    p.add_argument("targets", nargs="?", default=None, metavar="TARGETS",
                   help="a targets file (default: the bundled calibration/targets.yaml)")
    p.add_argument("--spec", default=None, metavar="FILE",
                   help=f"the calibration spec (default: {DEFAULT_SPEC} beside TARGETS)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help=f"output folder (default: {DEFAULT_CALIBRATE_OUT})")
    p.add_argument("--resume", action="store_true",
                   help="continue the run whose database is in --out")
    p.add_argument("--report-only", default=None, metavar="DIR",
                   help="run nothing: render the report of the result in DIR "
                   "(calibration_result.json, posterior_samples.csv) into --out "
                   "(default: DIR)")
    add_backend_options(p)
    p.set_defaults(handler=cmd_calibrate)
