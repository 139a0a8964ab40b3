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
from lbp_headache.analysis.steady_states import LUMBAR_PAIN, vary_range
from lbp_headache.analysis.sweep.chunks import ChunkError
from lbp_headache.analysis.sweep.cost import sweep_cost
from lbp_headache.analysis.sweep.reader import load_sweep
from lbp_headache.analysis.sweep.runner import ResumeError, run_sweep
from lbp_headache.cli.common import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    RUN_ERRORS,
    add_backend_options,
    add_set_option,
    backend_problems,
    load_batch,
    one_problem,
    out_dir_problems,
    problem_lines,
    report_problems,
    run_failed,
)
from lbp_headache.cli.progress import terminal_progress
from lbp_headache.core.disclaimer import disclaimer_line
from lbp_headache.core.errors import ModelError
from lbp_headache.core.parameters import BY_NAME
from lbp_headache.core.suggestions import suggest
from lbp_headache.engine.compile_notice import COMPILE_NOTICE, kernels_to_compile
from lbp_headache.files.bundled import resolve_argument
from lbp_headache.report.sbml_export import export_sbml
from lbp_headache.report.sensitivity_figures import SENSITIVITY_FIGURES
from lbp_headache.report.steady_state_folder import SteadyStateRequest, run_steady_states
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
    except RUN_ERRORS as error:
        return run_failed(error, out, args.spec)
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


#: Grid sizes ``steady-states`` accepts (cost: about 1 ms per value, 20 ms per row of a plane).
MAX_POINTS, MAX_POINTS2 = 2001, 401


def _vary_problems(option: str, name: str | None, bounds, points: int, most: int):
    """Lines for a ``--vary``/``--vary2`` that is not lumbar pain or a parameter, a range
    outside the allowed one, or a grid size out of bounds; else the range to use."""
    if name is None:
        return [], None
    choices = [LUMBAR_PAIN, *BY_NAME] if option == "--vary" else list(BY_NAME)
    if option == "--vary2" and name == LUMBAR_PAIN:
        return [one_problem(option, f"{LUMBAR_PAIN} goes on the first axis: give it as --vary "
                            "(the default) and a parameter as --vary2")], None
    if name not in choices:
        hint = suggest(name, choices) or (f"; allowed: {LUMBAR_PAIN} or a parameter name "
                                          "(lbp-headache params)" if option == "--vary" else
                                          "; allowed: a parameter name (lbp-headache params)")
        return [one_problem(option, f"unknown quantity '{name}'{hint}")], None
    low, high = vary_range(name)
    problems = []
    if bounds is not None:
        if not (low <= bounds[0] < bounds[1] <= high):
            problems.append(one_problem(
                option.replace("vary", "range"), f"{bounds[0]:g} {bounds[1]:g} for {name}: give "
                f"LOW < HIGH within {low:g} - {high:g} (the allowed range)"))
        low, high = bounds
    if not 3 <= points <= most:
        problems.append(one_problem(option.replace("vary", "points"),
                                    f"{points}: give 3 to {most:,} points"))
    return problems, (low, high)


def cmd_steady_states(args: argparse.Namespace) -> int:
    """``steady-states``: fixed points against one quantity, bistability against two."""
    batch = load_batch([args.scenario], args.set)
    problems = list(batch.problems)
    if len(batch.scenarios) > 1:
        problems.append(one_problem(args.scenario, "give one scenario file"))
    first, span = _vary_problems("--vary", args.vary, args.range, args.points, MAX_POINTS)
    second, span2 = _vary_problems("--vary2", args.vary2, args.range2, args.points2,
                                   MAX_POINTS2)
    problems += first + second
    if args.vary2 is not None and args.vary2 == args.vary and not second:
        problems.append(one_problem("--vary2", f"'{args.vary2}' is already --vary"))
    if args.range2 is not None and args.vary2 is None:
        problems.append(one_problem("--range2", "needs --vary2"))
    stem = Path(args.scenario).stem
    out = Path(args.out or Path("results") / "steady_states" / stem)
    problems += out_dir_problems(out)
    if batch.scenarios and args.day is not None:
        duration = batch.scenarios[0][1].duration
        if not 0.0 <= args.day <= duration:
            problems.append(one_problem("--day", f"{args.day:g}: give a day within the "
                                        f"scenario, 0 - {duration:g}"))
    if problems:
        return report_problems(problems)
    _, scenario = batch.scenarios[0]
    request = SteadyStateRequest(
        vary=args.vary, low=span[0], high=span[1], points=args.points,
        vary2=args.vary2, low2=span2[0] if span2 else 0.0, high2=span2[1] if span2 else 1.0,
        points2=args.points2, day=args.day)
    try:
        outcome = run_steady_states(scenario, request, out, batch.overrides,
                                    figures=not args.no_figures)
    except ModelError as error:
        print(f"{args.scenario}: {error}", file=sys.stderr)
        return EXIT_FAILURE
    result = outcome.branches
    counts = [len(points) for points in result.points]
    bistable = result.bistable_values()
    where = (f"two stable steady states for {result.vary} {bistable.min():g} - "
             f"{bistable.max():g}" if bistable.size else "one stable steady state everywhere")
    print(f"{scenario.name}: {min(counts)}-{max(counts)} steady states over {result.vary} "
          f"{span[0]:g} - {span[1]:g}; {where}; folds at "
          f"{', '.join(f'{x:.3g}' for x in result.folds()) or 'none'} -> {out}")
    for name in outcome.files:
        print(f"  {out / name}")
    print(disclaimer_line())
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

    p = sub.add_parser("steady-states", help="steady states against back pain or a parameter "
                       "(a bifurcation diagram), and where the model is bistable")
    p.add_argument("scenario", metavar="SCENARIO",
                   help="a scenario file or a bundled name: its parameters, and its inputs "
                        "and treatments on --day held constant")
    p.add_argument("--vary", default=LUMBAR_PAIN, metavar="QUANTITY",
                   help="lumbar_pain (default) or a parameter name")
    p.add_argument("--range", type=float, nargs=2, default=None, metavar=("LOW", "HIGH"),
                   help="range of --vary (default: 0-10, or the parameter's range)")
    p.add_argument("--points", type=int, default=201, metavar="N",
                   help="values of --vary (default: 201)")
    p.add_argument("--vary2", default=None, metavar="PARAMETER",
                   help="a second parameter: map where the model is bistable")
    p.add_argument("--range2", type=float, nargs=2, default=None, metavar=("LOW", "HIGH"),
                   help="range of --vary2 (default: the parameter's range)")
    p.add_argument("--points2", type=int, default=61, metavar="N",
                   help="values of --vary2 (default: 61)")
    p.add_argument("--day", type=float, default=None, metavar="DAY",
                   help="the day whose inputs and treatments are held (default: the last)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="output folder (default: results/steady_states/<scenario name>)")
    p.add_argument("--no-figures", action="store_true", help="write the tables only")
    add_set_option(p)
    p.set_defaults(handler=cmd_steady_states)

    p = sub.add_parser("export-sbml", help="write a scenario as an SBML model")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("-o", "--output", required=True, metavar="FILE.xml")
    add_set_option(p)
    p.set_defaults(handler=cmd_export_sbml)
