"""The teaching commands that make pages: ``report`` (a handout) and ``explore`` (the explorer).

Same conventions as every command (:mod:`lbp_headache.cli.common`): bad input
is one line per problem, exit status 2, nothing written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lbp_headache.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    add_set_option,
    load_batch,
    one_problem,
    replacing_line,
    report_problems,
)
from lbp_headache.core.disclaimer import disclaimer_line
from lbp_headache.engine.compile_notice import COMPILE_NOTICE, FEW_SETS_KERNEL, kernels_to_compile
from lbp_headache.explorer.server import DEFAULT_PORT, start_explorer
from lbp_headache.files.output_folder import OutputFolder
from lbp_headache.report.handout import write_handout
from lbp_headache.report.run_folder import run_scenarios


def cmd_report(args: argparse.Namespace) -> int:
    """``report``: simulate the scenarios and write one self-contained HTML handout."""
    target = Path(args.output)
    batch = load_batch(args.scenarios, args.set)
    problems = list(batch.problems)
    if target.suffix.lower() not in (".html", ".htm"):
        problems.append(one_problem(str(target), "the handout is an HTML file: give a name "
                                    "ending in .html (e.g. -o handout.html)"))
    if target.is_dir():
        problems.append(one_problem(str(target), "is a folder; give a file name"))
    elif not target.parent.exists():
        problems.append(one_problem(str(target), "its folder does not exist"))
    if problems:
        return report_problems(problems)
    with OutputFolder(target.parent) as folder:
        conflicts = folder.conflicts([target.name])
        line = replacing_line(folder, [target.name], "an earlier handout")
        runs = []
        if not conflicts:
            runs = list(run_scenarios(batch.scenarios, batch.overrides, folder, write=False))
    if conflicts:
        return report_problems(conflicts)
    failed = [run.error for run in runs if run.error is not None]
    for error in failed:
        print(error, file=sys.stderr)
    done = [run for run in runs if run.error is None]
    if not done:
        return EXIT_FAILURE
    if line:
        print(line)
    try:
        outcome = write_handout([r.result for r in done], target, [r.observed for r in done],
                                batch.overrides)
    except OSError as error:
        print(f"{target}: cannot write: {error}", file=sys.stderr)
        return EXIT_FAILURE
    if outcome.conflicts:
        return report_problems(outcome.conflicts)
    names = ", ".join(r.result.scenario.name for r in done)
    print(f"handout of {names} -> {target}")
    print(disclaimer_line())
    return EXIT_FAILURE if failed else EXIT_OK


def cmd_explore(args: argparse.Namespace) -> int:
    """``explore``: serve the explorer on 127.0.0.1 and open it in the browser."""
    if not 0 <= args.port <= 65535:
        return report_problems([one_problem("--port", "must be a port number 0-65535 (0: any "
                                            "free port)")])
    try:
        explorer = start_explorer(args.port)
    except OSError as error:
        return report_problems([one_problem("--port", f"cannot listen on port {args.port}: "
                                            f"{error.strerror or error}; try another, or "
                                            "--port 0 for any free port")])
    if kernels_to_compile((FEW_SETS_KERNEL,)):
        print(COMPILE_NOTICE, flush=True)
    explorer.warm_up()
    print(f"lbp-headache explorer at {explorer.url} (Ctrl-C to stop)", flush=True)
    print(disclaimer_line(), flush=True)
    if not args.no_browser and not explorer.open_browser():
        print(f"no browser could be started: open {explorer.url} yourself", flush=True)
    try:
        explorer.serve()
    except KeyboardInterrupt:
        print("explorer stopped")
    return EXIT_OK


def add_parsers(sub) -> None:
    """Add ``report`` (and ``explore``) to the subcommands."""
    p = sub.add_parser("report", help="write a self-contained HTML handout of scenarios")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                   help="scenario files, folders or bundled names (several: a treatment "
                        "comparison too)")
    p.add_argument("-o", "--output", default="handout.html", metavar="FILE.html",
                   help="the handout (default: handout.html)")
    add_set_option(p)
    p.set_defaults(handler=cmd_report)

    p = sub.add_parser("explore", help="explore the model live in your browser (offline)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, metavar="N",
                   help=f"local port to serve on (default: {DEFAULT_PORT}; 0: any free port)")
    p.add_argument("--no-browser", action="store_true",
                   help="do not open a browser; print the address only")
    p.set_defaults(handler=cmd_explore)
