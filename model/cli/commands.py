"""The teaching commands: ``run``, ``compare``, ``validate``, ``params`` and ``demo``.

(``report`` and ``explore`` are in :mod:`lbp_headache.cli.teaching`.)

Each command parses its arguments, calls the layer that does the work and
prints what happened (conventions: :mod:`lbp_headache.cli.common`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lbp_headache.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_FAILURE,
    EXIT_OK,
    add_set_option,
    align,
    load_batch,
    one_problem,
    out_dir_problems,
    percent,
    problem_lines,
    replacing_line,
    report_problems,
)
from lbp_headache.core.disclaimer import disclaimer_line
from lbp_headache.core.errors import ModelError
from lbp_headache.core.parameters import BY_NAME, PARAMETERS, markdown_table
from lbp_headache.core.units import pretty
from lbp_headache.files.bundled import BUNDLED_FOLDER, shown
from lbp_headache.files.output_folder import OutputFolder
from lbp_headache.report.comparison import COMPARISON_FILES, compare_results
from lbp_headache.report.demo import run_demo
from lbp_headache.report.run_folder import RunOutcome, run_files, run_scenarios
from lbp_headache.scenario.explain import explain_lines
from lbp_headache.scenario.variants import make_variant, parse_variant, variant_label


def run_line(outcome: RunOutcome) -> str:
    """The one-line console report of a run."""
    m = outcome.observed["metrics"]
    share = m["pathway_share"]
    return (
        f"{outcome.path.stem}: {m['headache_days_per_month']:.1f} headache days/month, "
        f"mean {m['mean_headache']:.1f}/10, threshold min {m['min_pain_threshold']:.2f}, "
        f"pathways mech {percent(share['mechanical'])} / "
        f"neuro {percent(share['neurological'])} / "
        f"inflam {percent(share['inflammatory'])} -> {outcome.folder}"
    )


def print_run(outcome: RunOutcome) -> None:
    """A run's line on stdout, or its failure on stderr."""
    if outcome.error is not None:
        print(outcome.error, file=sys.stderr)
    else:
        print(run_line(outcome))


def comparison_table(rows: list[dict]) -> str:
    """Aligned console table of ranked comparison rows."""
    head = ("rank", "scenario", "days/month", "mean", "peak", "mech", "neuro", "inflam",
            "threshold min", "reduction", "responder")
    body = []
    for i, row in enumerate(rows, start=1):
        reduction = row["responder_reduction"]
        body.append((
            str(i), str(row["name"]), f"{row['headache_days_per_month']:.1f}",
            f"{row['mean_headache']:.2f}", f"{row['peak_headache']:.2f}",
            percent(row["share_mechanical"]), percent(row["share_neurological"]),
            percent(row["share_inflammatory"]), f"{row['min_pain_threshold']:.2f}",
            "n/a" if reduction is None else f"{100 * reduction:.0f}%", str(row["responder"]),
        ))
    return align([head, *body])


def cmd_run(args: argparse.Namespace) -> int:
    """``run``: simulate each scenario and write its folder under ``--out``."""
    out = Path(args.out)
    batch = load_batch(args.scenarios, args.set)
    problems = batch.problems + out_dir_problems(out)
    if problems:
        return report_problems(problems)
    figures = not args.no_figures
    status = EXIT_OK
    with OutputFolder(out) as folder:
        conflicts = folder.conflicts([rel for path, _ in batch.scenarios
                                      for rel in run_files(path.stem, figures=figures)])
        if conflicts:
            return report_problems(conflicts)
        for path, _ in batch.scenarios:
            line = replacing_line(folder, run_files(path.stem, figures=True))
            if line:
                print(line)
        for outcome in run_scenarios(batch.scenarios, batch.overrides, folder, figures=figures):
            print_run(outcome)
            status = EXIT_FAILURE if outcome.error is not None else status
    print(disclaimer_line())
    return status


def variant_runs(batch, texts: list[str]) -> tuple[list[tuple[Path, object]], list[str]]:
    """The ``--variant`` runs of the first scenario of ``batch``, and the problem lines."""
    runs, problems = [], []
    if not texts or not batch.scenarios:
        return runs, problems
    path, base = batch.scenarios[0]
    for text in texts:
        try:
            changes = parse_variant(text)
            clash = sorted(set(changes) & set(batch.overrides))
            if clash:
                problems.append(one_problem("--variant", "also set by --set, which applies to "
                                            "every run; give it in one place", key=clash[0]))
                continue
            runs.append((path, make_variant(base, changes, variant_label(text))))
        except (ModelError, ValueError) as error:
            problems.extend(problem_lines(error, "--variant"))
    return runs, problems


def cmd_compare(args: argparse.Namespace) -> int:
    """``compare``: simulate all scenarios (and variants), write the comparison table and figure."""
    out = Path(args.out)
    batch = load_batch(args.scenarios, args.set)
    variants, problems = variant_runs(batch, args.variant)
    problems = batch.problems + problems + out_dir_problems(out)
    if problems:
        return report_problems(problems)
    status = EXIT_OK
    with OutputFolder(out) as folder:
        conflicts = folder.conflicts(COMPARISON_FILES)
        if conflicts:
            return report_problems(conflicts)
        line = replacing_line(folder, COMPARISON_FILES, "an earlier comparison")
        if line:
            print(line)
        results = []
        runs = batch.scenarios + variants
        for outcome in run_scenarios(runs, batch.overrides, folder, write=False):
            if outcome.error is not None:
                print(outcome.error, file=sys.stderr)
                status = EXIT_FAILURE
            else:
                results.append(outcome)
        if results:
            try:
                rows = compare_results([r.result for r in results], folder,
                                       observed=[r.observed for r in results])
            except OSError as error:
                print(f"{out}: cannot write: {error}", file=sys.stderr)
                return EXIT_FAILURE
            print(comparison_table(rows))
            print(f"-> {out / 'comparison.csv'}, {out / 'comparison.png'}")
    print(disclaimer_line())
    return status


def cmd_validate(args: argparse.Namespace) -> int:
    """``validate``: check scenario files (and ``--set`` values) without writing anything.

    With ``--explain``, print how each file was read: every time in days and
    in calendar units, profile points, treatment windows, doses, overrides.
    """
    batch = load_batch(args.scenarios, args.set)
    for path, scenario in batch.scenarios:
        print(f"{path}: ok")
        if args.explain:
            print("\n".join(explain_lines(scenario)[1:]))
    if args.explain and batch.overrides:
        for name, value in batch.overrides.items():
            print(f"--set {name}: {value:g} {pretty(BY_NAME[name].unit)}".rstrip())
    if batch.problems:
        return report_problems(batch.problems)
    return EXIT_OK


def params_text() -> str:
    """The parameter table as plain aligned text (name, value, unit, range, group, meaning)."""
    rows = [("name", "value", "unit", "range", "group", "meaning")]
    for p in PARAMETERS:
        rows.append((p.name, f"{p.value:.4g}", pretty(p.unit), f"{p.low:.4g} – {p.high:.4g}",
                     p.group, p.meaning))
    return align(rows) + "\n"


def cmd_params(args: argparse.Namespace) -> int:
    """``params``: print the parameter table."""
    sys.stdout.write(markdown_table() if args.markdown else params_text())
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    """``demo``: run every bundled scenario, compare the treatments, collect the figures."""
    if not BUNDLED_FOLDER.is_dir():
        print(f"{BUNDLED_FOLDER}: the bundled scenarios are missing; reinstall lbp-headache",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    out, figures = Path(args.out), Path(args.figures)
    batch = load_batch([str(shown(BUNDLED_FOLDER))])
    problems = batch.problems + out_dir_problems(out) + out_dir_problems(figures)
    if problems:
        return report_problems(problems)
    def replacing(count: int) -> None:
        print(f"{out}, {figures}: replacing {count} files of an earlier demo")

    outcome = run_demo(batch.scenarios, out, figures, on_run=print_run, on_replace=replacing)
    if outcome.conflicts:
        return report_problems(outcome.conflicts)
    if outcome.comparison:
        print(comparison_table(outcome.comparison))
    for line in outcome.errors:
        print(line, file=sys.stderr)
    print(f"figures -> {figures}")
    if outcome.handout is not None:
        print(f"handout of the treatment comparison -> {outcome.handout}")
    print(disclaimer_line())
    failed = outcome.errors or any(run.error is not None for run in outcome.runs)
    return EXIT_FAILURE if failed else EXIT_OK


def add_parsers(sub) -> None:
    """Add ``run``, ``compare``, ``validate``, ``params`` and ``demo`` to the subcommands."""
    p = sub.add_parser("run", help="simulate scenarios and write their result folders")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                   help="a scenario file, a folder of them, or a bundled name (e.g. healthy)")
    p.add_argument("--out", default="results", metavar="DIR",
                   help="output folder (default: results)")
    p.add_argument("--no-figures", action="store_true",
                   help="write the tables only (much faster for many scenarios)")
    add_set_option(p)
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser("compare", help="simulate scenarios and compare their headache")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                   help="scenario files, folders or bundled names")
    p.add_argument("--out", default="results/comparison", metavar="DIR",
                   help="output folder (default: results/comparison)")
    p.add_argument("--variant", action="append", default=[], metavar="NAME=VALUE[,...]",
                   help="also run the first scenario with these parameters changed, e.g. "
                        "posture_chain_stiffness=2 or 'tau_neck_tension=2 days' (repeatable: "
                        "one run per --variant)")
    add_set_option(p)
    p.set_defaults(handler=cmd_compare)

    p = sub.add_parser("validate", help="check scenario files without running them")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                   help="scenario files, folders or bundled names")
    p.add_argument("--explain", action="store_true",
                   help="show how each file was read: times in days and calendar units, "
                        "profile points, treatment windows, doses, overrides")
    add_set_option(p)
    p.set_defaults(handler=cmd_validate)

    p = sub.add_parser("params", help="print the parameter table")
    p.add_argument("--markdown", action="store_true", help="print it as Markdown")
    p.set_defaults(handler=cmd_params)

    p = sub.add_parser("demo", help="run the bundled scenarios and draw every figure")
    p.add_argument("--out", default="results", metavar="DIR",
                   help="results folder (default: results)")
    p.add_argument("--figures", default="figures", metavar="DIR",
                   help="figures folder (default: figures)")
    p.set_defaults(handler=cmd_demo)
