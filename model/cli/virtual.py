"""The virtual-patient commands: ``population`` and ``trial``.

Same conventions as every command (:mod:`lbp_headache.cli.common`): a file
with mistakes, or a population nobody can enter, is one line per problem and
exit status 2 with nothing written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lbp_headache.cli.common import (
    EXIT_OK,
    RUN_ERRORS,
    add_backend_options,
    align,
    backend_problems,
    out_dir_problems,
    problem_lines,
    report_problems,
    run_failed,
)
from lbp_headache.cli.progress import terminal_progress
from lbp_headache.core.disclaimer import disclaimer_line
from lbp_headache.core.errors import ModelError
from lbp_headache.files.bundled import resolve_argument
from lbp_headache.population.reader import load_population
from lbp_headache.population.runner import run_population
from lbp_headache.report.population_figures import POPULATION_FIGURES
from lbp_headache.report.trial_figures import TRIAL_FIGURES
from lbp_headache.trial.reader import MAX_REPLICATES, load_trial
from lbp_headache.trial.runner import endpoint_rows, run_trial


def _load(text: str, kind: str, loader):
    path, problem = resolve_argument(text, kind)
    if problem is not None:
        return None, [str(problem)]
    try:
        return loader(path), []
    except (ModelError, ValueError, OSError) as error:
        return None, problem_lines(error, str(path))


def _number(value) -> str:
    if value is None:
        return "-"
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def _interval(low, high) -> str:
    return "" if low is None or high is None else f" [{_number(low)}, {_number(high)}]"


def cmd_population(args: argparse.Namespace) -> int:
    """``population``: build a virtual population (Allen's two stages) into ``--out``."""
    spec, problems = _load(args.spec, "population", load_population)
    out = Path(args.out or Path("results") / "populations" / Path(args.spec).stem)
    problems += backend_problems(args) + out_dir_problems(out)
    if problems:
        return report_problems(problems)
    try:
        population, files = run_population(spec, out, workers=args.workers,
                                           scheduler=args.scheduler,
                                           progress=terminal_progress(),
                                           figures=POPULATION_FIGURES)
    except RUN_ERRORS as error:
        return run_failed(error, out, spec.source)
    n = spec.candidates
    print(f"{spec.name}: {population.size:,} patients from {n:,} candidates "
          f"({int(population.plausible.sum()):,} plausible, {int(population.eligible.sum()):,} "
          f"included) in {population.seconds:.1f} s -> {out}")
    for criterion, rejected in population.rejected_by.items():
        print(f"  inclusion {criterion}: rejects {rejected:,} plausible candidates")
    if population.selection is not None:
        print(f"  selection on {spec.selection.measure} ({spec.selection.method}): distance "
              f"to the target {population.selection.distance_before:.3f} before, "
              f"{population.selection.distance_after:.3f} after")
    for path in files:
        print(f"  {path}")
    print(disclaimer_line())
    return EXIT_OK


def endpoint_table(rows: list[dict]) -> str:
    """The trial's endpoints beside their published comparisons, as aligned text."""
    head = ("endpoint", "day", "arm", "virtual population", "trials: median [95 %]",
            "first trial [95 % CI]", "power", "published [CI]")
    body = []
    for row in rows:
        published = "" if row["published"] is None else (
            _number(row["published"]) + _interval(row["published_low"], row["published_high"]))
        body.append((row["endpoint"], f"{row['evaluation_day']:g}", row["arm"],
                     _number(row["virtual_population"]),
                     _number(row["replicates_median"]) +
                     _interval(row["replicates_p2_5"], row["replicates_p97_5"]),
                     _number(row["first_trial"]) +
                     _interval(row["first_trial_low"], row["first_trial_high"]),
                     "" if row["power"] is None else f"{100 * row['power']:.0f}%", published))
    return align([head, *body])


def cmd_trial(args: argparse.Namespace) -> int:
    """``trial``: run a virtual trial (paired arms, replicate trials) into ``--out``."""
    spec, problems = _load(args.spec, "trial", load_trial)
    out = Path(args.out or Path("results") / "trials" / Path(args.spec).stem)
    problems += backend_problems(args) + out_dir_problems(out)
    if args.replicates is not None and not 1 <= args.replicates <= MAX_REPLICATES:
        problems.append(f"--replicates: {args.replicates} is outside 1 to {MAX_REPLICATES:,}")
    if problems:
        return report_problems(problems)
    try:
        result, files = run_trial(spec, out, workers=args.workers, scheduler=args.scheduler,
                                  replicates=args.replicates, progress=terminal_progress(),
                                  figures=TRIAL_FIGURES)
    except RUN_ERRORS as error:
        return run_failed(error, out, spec.source)
    rows = endpoint_rows(result)
    shown = [row for row in rows if row["published"] is not None] or rows
    print(f"{spec.name}: {len(result.replicates):,} trials of {spec.size:,} patients drawn "
          f"from {result.patients.size:,} virtual patients in {result.seconds:.1f} s -> {out}")
    print(endpoint_table(shown))
    if len(shown) < len(rows):
        print(f"  ({len(rows) - len(shown)} more endpoint rows in {out / 'endpoints.csv'})")
    for path in files:
        print(f"  {path}")
    print(disclaimer_line())
    return EXIT_OK


def add_parsers(sub) -> None:
    """Add ``population`` and ``trial`` to the subcommand parser."""
    p = sub.add_parser("population", help="build a virtual population "
                       "(scenarios/populations/*.yaml)")
    p.add_argument("spec", metavar="SPEC", help="a population file, or a bundled one's name")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="output folder (default: results/populations/<spec name>)")
    add_backend_options(p)
    p.set_defaults(handler=cmd_population)

    p = sub.add_parser("trial", help="run a virtual clinical trial (scenarios/trials/*.yaml)")
    p.add_argument("spec", metavar="SPEC", help="a trial file, or a bundled one's name")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="output folder (default: results/trials/<spec name>)")
    p.add_argument("--replicates", type=int, default=None, metavar="N",
                   help="trials of the trial's size drawn from the virtual population "
                        "(default: the file's 'replicates')")
    add_backend_options(p)
    p.set_defaults(handler=cmd_trial)
