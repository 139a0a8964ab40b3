"""Research subcommands of ``lbp-headache``: ``sweep``, ``sensitivity`` and ``export-sbml``.

Same conventions as :mod:`lbp_headache.cli.commands`: bad input is reported one problem per
line (``FILE:LINE: key: message``) with exit status 2 and nothing written;
run-time failures exit with 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lbp_headache.analysis.backends import SchedulerError, scheduler_problems
from lbp_headache.core.errors import ModelError, Problem, ScenarioError
from lbp_headache.files.output_folder import OutputFolder

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


def _problems(error: Exception, where: str) -> list[str]:
    if isinstance(error, ScenarioError) and error.problems:
        return [str(p) for p in error.problems]
    return [str(Problem(where, None, "", str(error) or type(error).__name__))]


def _report(lines: list[str]) -> int:
    for line in lines:
        print(line, file=sys.stderr)
    return EXIT_BAD_INPUT


def _load_spec(path: str):
    from lbp_headache.analysis.sweep.spec import load_sweep

    try:
        return load_sweep(path), []
    except (ModelError, ValueError, OSError) as error:
        return None, _problems(error, path)


def _backend_problems(args: argparse.Namespace) -> list[str]:
    problems = []
    if args.workers is not None and args.workers < 1:
        problems.append(str(Problem("--workers", None, "", "must be a whole number >= 1")))
    if args.scheduler:
        try:
            import distributed  # noqa: F401
        except ImportError:
            problems.append(str(Problem("--scheduler", None, "", "needs Dask: pip install "
                                        "'lbp-headache[distributed]'")))
        else:
            problems += scheduler_problems(args.scheduler)
    return problems


def _out_problems(out: Path) -> list[str]:
    if out.exists() and not out.is_dir():
        return [str(Problem(str(out), None, "", "exists and is not a folder"))]
    return []


def cmd_sweep(args: argparse.Namespace) -> int:
    """``sweep``: run a sweep specification into ``--out`` (``--check``: only check it)."""
    from lbp_headache.analysis.sweep.chunks import ChunkError
    from lbp_headache.analysis.sweep.runner import ResumeError, run_sweep, terminal_progress
    from lbp_headache.report.run_folder import disclaimer_line

    spec, problems = _load_spec(args.spec)
    out = Path(args.out or Path("results") / "sweeps" / Path(args.spec).stem)
    problems += _backend_problems(args) + _out_problems(out)
    if problems:
        return _report(problems)
    if args.check:
        for line in sweep_cost_lines(spec):
            print(line)
        return EXIT_OK
    try:
        outcome = run_sweep(spec, out, workers=args.workers, scheduler=args.scheduler,
                            resume=args.resume, progress=terminal_progress())
    except ResumeError as error:
        return _report([str(error)])
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
    from lbp_headache.analysis.sweep.spec import sweep_cost

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
    from lbp_headache.analysis.sensitivity.runner import run_sensitivity
    from lbp_headache.report.run_folder import disclaimer_line

    spec, problems = _load_spec(args.spec)
    out = Path(args.out or Path("results") / "sensitivity" / Path(args.spec).stem)
    problems += _backend_problems(args) + _out_problems(out)
    if spec is not None and spec.sensitivity is None:
        problems.append(str(Problem(args.spec, None, "sensitivity",
                                    "the spec has no 'sensitivity:' block; add one "
                                    "(e.g. 'sensitivity: {methods: [sobol, morris, local]}')")))
    if problems:
        return _report(problems)
    try:
        outcome = run_sensitivity(spec, out, workers=args.workers, scheduler=args.scheduler)
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
    from lbp_headache.cli.commands import load_batch

    batch = load_batch([args.scenario], args.set)
    problems = list(batch.problems)
    if len(batch.scenarios) > 1:
        problems.append(str(Problem(args.scenario, None, "", "give one scenario file")))
    target = Path(args.output)
    if target.exists() and target.is_dir():
        problems.append(str(Problem(str(target), None, "", "is a folder; give a file name")))
    elif not target.parent.exists():
        problems.append(str(Problem(str(target), None, "", "its folder does not exist")))
    try:
        import libsbml  # noqa: F401
        from lbp_headache.report.sbml_export import scenario_to_sbml
    except ImportError:
        problems.append(str(Problem("export-sbml", None, "", "needs python-libsbml: "
                                    "pip install 'lbp-headache[sbml]'")))
    if problems:
        return _report(problems)
    _, scenario = batch.scenarios[0]
    with OutputFolder(target.parent) as folder:
        conflicts = folder.conflicts([target.name])
        if conflicts:
            return _report(conflicts)
        try:
            folder.write_text(target.name, scenario_to_sbml(scenario, batch.overrides))
        except OSError as error:
            print(f"{target}: cannot write: {error}", file=sys.stderr)
            return EXIT_FAILURE
    print(f"{scenario.name} -> {target}")
    return EXIT_OK


def add_research_parsers(sub, add_set) -> None:
    """Add ``sweep``, ``sensitivity`` and ``export-sbml`` to the subcommand parser."""

    def add_backend(p):
        p.add_argument("--workers", type=int, default=None, metavar="N",
                       help="local workers (default: every core); with --scheduler local, "
                            "the number of Dask worker processes")
        p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run on a Dask cluster: tcp://HOST:PORT, or 'local' to start one "
                            "on this machine")

    p = sub.add_parser("sweep", help="run a parameter sweep (scenarios/sweeps/*.yaml)")
    p.add_argument("spec", metavar="SPEC")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="output folder (default: results/sweeps/<spec name>)")
    add_backend(p)
    p.add_argument("--resume", action="store_true",
                   help="reuse the finished chunks of an interrupted run")
    p.add_argument("--check", action="store_true",
                   help="check the file and print what the sweep would cost, run nothing")
    p.set_defaults(handler=cmd_sweep)

    p = sub.add_parser("sensitivity", help="global and local sensitivity analysis of a spec")
    p.add_argument("spec", metavar="SPEC")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="output folder (default: results/sensitivity/<spec name>)")
    add_backend(p)
    p.set_defaults(handler=cmd_sensitivity)

    p = sub.add_parser("export-sbml", help="write a scenario as an SBML model")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("-o", "--output", required=True, metavar="FILE.xml")
    add_set(p)
    p.set_defaults(handler=cmd_export_sbml)
