"""The research commands: ``sweep``, ``sensitivity`` and ``export-sbml``.

Same conventions as every command (:mod:`lbp_headache.cli.common`): bad input
is reported one problem per line (``FILE:LINE: key: message``) with exit
status 2 and nothing written; run-time failures exit with 1.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from lbp_headache.analysis.backends import SchedulerError
from lbp_headache.analysis.sensitivity.runner import run_sensitivity
from lbp_headache.analysis.sweep.chunks import ChunkError
from lbp_headache.analysis.sweep.cost import sweep_cost
from lbp_headache.analysis.sweep.reader import load_sweep
from lbp_headache.analysis.sweep.runner import ResumeError, run_sweep
from lbp_headache.cli.common import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    add_backend_options,
    add_set_option,
    backend_problems,
    load_batch,
    one_problem,
    out_dir_problems,
    problem_lines,
    report_problems,
)
from lbp_headache.cli.progress import terminal_progress
from lbp_headache.core.disclaimer import disclaimer_line
from lbp_headache.core.errors import ModelError
from lbp_headache.engine.compile_notice import COMPILE_NOTICE, kernels_to_compile
from lbp_headache.files.bundled import resolve_argument
from lbp_headache.report.sbml_export import export_sbml
from lbp_headache.report.sensitivity_figures import SENSITIVITY_FIGURES
from lbp_headache.report.sweep_figures import SWEEP_FIGURES


def announce_compiling() -> None:
    """Say so on stderr when the batch engine is about to be compiled (else it looks hung)."""
    if kernels_to_compile():
        print(COMPILE_NOTICE, file=sys.stderr, flush=True)


def load_spec(text: str):
    """A sweep file (a path, or a bundled sweep's name) and its problem lines."""
    path, problem = resolve_argument(text, "sweep")
    if problem is not None:
        return None, [str(problem)]
    try:
        return load_sweep(path), []
    except (ModelError, ValueError, OSError) as error:
        return None, problem_lines(error, str(path))


def cmd_sweep(args: argparse.Namespace) -> int:
    """``sweep``: run a sweep specification into ``--out`` (``--check``: only check it)."""
    spec, problems = load_spec(args.spec)
    out = Path(args.out or Path("results") / "sweeps" / Path(args.spec).stem)
    problems += backend_problems(args) + out_dir_problems(out)
    if problems:
        return report_problems(problems)
    if args.check:
        for line in sweep_cost_lines(spec):
            print(line)
        return EXIT_OK
    announce_compiling()
    try:
        outcome = run_sweep(spec, out, workers=args.workers, scheduler=args.scheduler,
                            resume=args.resume, progress=terminal_progress(),
                            figures=SWEEP_FIGURES)
    except ResumeError as error:
        return report_problems([str(error)])
    except (SchedulerError, ChunkError) as error:
        print(error, file=sys.stderr)
        return EXIT_FAILURE
    except OSError as error:
        print(f"{out}: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        finished = sum(1 for _ in (out / "chunks").glob("*/chunk_*.npz"))
        print(f"\n{args.spec}: interrupted; {finished} finished chunks are kept in "
              f"{out / 'chunks'}: run the same command with --resume to continue",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    reused = f", {outcome.chunks_reused} chunks reused" if outcome.chunks_reused else ""
    print(f"{spec.name}: {outcome.n_sets:,} sets in {outcome.seconds:.1f} s{reused}"
          f"{f', {outcome.failed_sets} failed' if outcome.failed_sets else ''} -> {out}")
    for path in outcome.files:
        print(f"  {path}")
    print(disclaimer_line())
    return EXIT_FAILURE if outcome.failed_sets else EXIT_OK


def sweep_cost_lines(spec) -> list[str]:
    """What ``sweep --check`` prints: the spec is valid, and what running it costs."""
    cost = sweep_cost(spec)
    return [f"{spec.source}: ok",
            f"  {cost.sets:,} simulations ({spec.n_sets:,} sets x {len(spec.scenarios)} "
            f"scenario{'s' if len(spec.scenarios) != 1 else ''}) in {cost.chunks:,} chunks",
            f"  about {cost.chunk_bytes / 2**20:,.0f} MiB per chunk in memory; "
            f"results.csv about {cost.table_bytes / 2**20:,.0f} MiB"
            + (f"; trajectories {cost.trajectory_bytes / 2**20:,.0f} MiB"
               if cost.trajectory_bytes else "")]


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """``sensitivity``: Sobol, Morris and local sensitivities of a sweep specification."""
    spec, problems = load_spec(args.spec)
    out = Path(args.out or Path("results") / "sensitivity" / Path(args.spec).stem)
    problems += backend_problems(args) + out_dir_problems(out)
    if spec is not None and spec.sensitivity is None:
        problems.append(one_problem(args.spec, "the spec has no 'sensitivity:' block; add one "
                                    "(e.g. 'sensitivity: {methods: [sobol, morris, local]}')",
                                    key="sensitivity"))
    if problems:
        return report_problems(problems)
    announce_compiling()
    try:
        outcome = run_sensitivity(spec, out, workers=args.workers, scheduler=args.scheduler,
                                  figures=SENSITIVITY_FIGURES)
    except SchedulerError as error:
        print(error, file=sys.stderr)
        return EXIT_FAILURE
    except OSError as error:
        print(f"{out}: {error}", file=sys.stderr)
        return EXIT_FAILURE
    for line in outcome.summary_lines:
        print(line)
    for path in outcome.files:
        print(f"  {path}")
    print(disclaimer_line())
    return EXIT_OK


def cmd_export_sbml(args: argparse.Namespace) -> int:
    """``export-sbml``: write a scenario as SBML (for COPASI, tellurium, libRoadRunner)."""
    batch = load_batch([args.scenario], args.set)
    problems = list(batch.problems)
    if len(batch.scenarios) > 1:
        problems.append(one_problem(args.scenario, "give one scenario file"))
    target = Path(args.output)
    if target.exists() and target.is_dir():
        problems.append(one_problem(str(target), "is a folder; give a file name"))
    elif not target.parent.exists():
        problems.append(one_problem(str(target), "its folder does not exist"))
    if importlib.util.find_spec("libsbml") is None:
        problems.append(one_problem("export-sbml", "needs python-libsbml: "
                                    "pip install 'lbp-headache[sbml]'"))
    if problems:
        return report_problems(problems)
    _, scenario = batch.scenarios[0]
    try:
        conflicts = export_sbml(scenario, target, batch.overrides)
    except OSError as error:
        print(f"{target}: cannot write: {error}", file=sys.stderr)
        return EXIT_FAILURE
    if conflicts:
        return report_problems(conflicts)
    print(f"{scenario.name} -> {target}")
    return EXIT_OK


def add_parsers(sub) -> None:
    """Add ``sweep``, ``sensitivity`` and ``export-sbml`` to the subcommand parser."""
    p = sub.add_parser("sweep", help="run a parameter sweep (scenarios/sweeps/*.yaml)")
    p.add_argument("spec", metavar="SPEC", help="a sweep file, or a bundled sweep's name")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="output folder (default: results/sweeps/<spec name>)")
    add_backend_options(p)
    p.add_argument("--resume", action="store_true",
                   help="reuse the finished chunks of an interrupted run")
    p.add_argument("--check", action="store_true",
                   help="check the file and print what the sweep would cost, run nothing")
    p.set_defaults(handler=cmd_sweep)

    p = sub.add_parser("sensitivity", help="global and local sensitivity analysis of a spec")
    p.add_argument("spec", metavar="SPEC", help="a sweep file, or a bundled sweep's name")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="output folder (default: results/sensitivity/<spec name>)")
    add_backend_options(p)
    p.set_defaults(handler=cmd_sensitivity)

    p = sub.add_parser("export-sbml", help="write a scenario as an SBML model")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("-o", "--output", required=True, metavar="FILE.xml")
    add_set_option(p)
    p.set_defaults(handler=cmd_export_sbml)
