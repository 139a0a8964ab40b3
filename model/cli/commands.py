"""The ``lbp-headache`` command line (also ``python -m lbp_headache``).

Subcommands: ``run``, ``compare``, ``validate``, ``params`` and ``demo``; the research
commands ``sweep``, ``sensitivity`` and ``export-sbml`` live in :mod:`lbp_headache.cli.research`.

Exit codes: 0 success; 2 bad input (usage errors, invalid scenario files or
``--set`` values, an output file the tool did not write, an output folder
another run is writing into; nothing is written then, not even the output
folder); 1 a run-time failure (a simulation or a write failed); 130
interrupted (Ctrl-C). Problems are printed to stderr one per line as
``FILE:LINE: key: message``; never a traceback for bad input.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lbp_headache.analysis.observation import summarize
from lbp_headache.core.errors import ModelError, Problem, ScenarioError, SolverError
from lbp_headache.core.parameters import (
    BY_NAME,
    PARAMETERS,
    markdown_table,
    parameter_vector,
    suggest,
)
from lbp_headache.core.units import pretty
from lbp_headache.engine.result import Result
from lbp_headache.files.output_folder import FolderBusy, OutputConflict, OutputFolder
from lbp_headache.report.run_folder import (
    comparison_csv,
    comparison_row,
    disclaimer_line,
    run_files,
    write_run,
)
from lbp_headache.scenario.record import Scenario

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
SCENARIO_DIR = "scenarios"
TREATMENT_SET: tuple[str, ...] = (
    "untreated_control", "physical_therapy", "physical_therapy_stopped_early",
    "ergonomics", "nsaid", "duloxetine", "multimodal_care",
)


@dataclass
class Batch:
    """Scenarios loaded from the command line, with every problem found on the way."""

    scenarios: list[tuple[Path, Scenario]] = field(default_factory=list)
    overrides: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    ok: list[Path] = field(default_factory=list)


def _problem_lines(error: Exception, where: str) -> list[str]:
    if isinstance(error, ScenarioError) and error.problems:
        return [str(p) for p in error.problems]
    return [str(Problem(where, None, "", str(error) or type(error).__name__))]


def load_batch(paths: Sequence[str], sets: Sequence[str] = ()) -> Batch:
    """Load and check every scenario and ``--set`` value, collecting all problems.

    Parameters
    ----------
    paths
        Scenario files or folders (a folder stands for its ``*.yaml`` files).
    sets
        ``NAME=VALUE`` parameter overrides (the ``--set`` options).

    Returns
    -------
    Batch
        The scenarios that loaded, the overrides and the problem lines; the
        batch is usable only when ``problems`` is empty.
    """
    from lbp_headache.scenario.reader import expand_paths, load_scenario, parse_override

    batch = Batch()
    for text in sets:
        try:
            name, value = parse_override(text)
            parameter_vector({name: value})
        except (ModelError, ValueError) as error:
            batch.problems.extend(_problem_lines(error, "--set"))
            continue
        batch.overrides[name] = value
    files: list[Path] = []
    for path in paths:
        try:
            files.extend(expand_paths([path]))
        except (ModelError, ValueError, OSError) as error:
            batch.problems.extend(_problem_lines(error, str(path)))
    stems: dict[str, Path] = {}
    for path in files:
        try:
            scenario = load_scenario(path)
            parameter_vector({**scenario.parameters, **batch.overrides})
        except (ModelError, ValueError, OSError) as error:
            batch.problems.extend(_problem_lines(error, str(path)))
            continue
        if path.stem in stems and stems[path.stem] != path:
            batch.problems.append(str(Problem(
                str(path), None, "", f"same file name as {stems[path.stem]}; "
                "their output folders would collide")))
            continue
        stems[path.stem] = path
        batch.scenarios.append((path, scenario))
        batch.ok.append(path)
    return batch


def _report_problems(problems: Sequence[str]) -> int:
    for line in problems:
        print(line, file=sys.stderr)
    return EXIT_BAD_INPUT


def _check_out_dir(out: Path) -> list[str]:
    if out.exists() and not out.is_dir():
        return [str(Problem(str(out), None, "", "exists and is not a folder"))]
    return []


def _percent(share: float | None) -> str:
    return "n/a" if share is None else f"{100.0 * share:.0f}%"


def run_line(stem: str, observed: dict, folder: Path) -> str:
    """The one-line console report of a run."""
    m = observed["metrics"]
    share = m["pathway_share"]
    return (
        f"{stem}: {m['headache_days_per_month']:.1f} headache days/month, "
        f"mean {m['mean_headache']:.1f}/10, threshold min {m['min_pain_threshold']:.2f}, "
        f"pathways mech {_percent(share['mechanical'])} / "
        f"neuro {_percent(share['neurological'])} / "
        f"inflam {_percent(share['inflammatory'])} -> {folder}"
    )


def _simulate(path: Path, scenario: Scenario, overrides: dict[str, float]) -> Result | None:
    from lbp_headache.engine.simulate import simulate

    try:
        return simulate(scenario, overrides=overrides)
    except (SolverError, ModelError, ValueError) as error:
        print(f"{path}: simulation failed: {error}", file=sys.stderr)
        return None


def run_batch(batch: Batch, out: OutputFolder, *,
              figures: bool = True) -> tuple[int, dict[Path, tuple[Result, dict]]]:
    """Simulate and write every scenario of a checked batch into ``out/<stem>/``.

    Returns
    -------
    tuple
        Exit code (0, or 1 if any simulation or write failed) and, by scenario
        path, the result with its :func:`~lbp_headache.analysis.observation.summarize` output.
    """
    status, results = EXIT_OK, {}
    for path, scenario in batch.scenarios:
        result = _simulate(path, scenario, batch.overrides)
        if result is None:
            status = EXIT_FAILURE
            continue
        observed = summarize(result)
        try:
            folder = write_run(result, out, path.stem, batch.overrides, observed,
                               figures=figures)
        except OSError as error:
            print(f"{out.path / path.stem}: cannot write: {error}", file=sys.stderr)
            status = EXIT_FAILURE
            continue
        results[path] = (result, observed)
        print(run_line(path.stem, observed, folder))
    return status, results


def _run_conflicts(batch: Batch, out: OutputFolder, figures: bool) -> list[str]:
    return out.conflicts([rel for path, _ in batch.scenarios
                          for rel in run_files(path.stem, figures=figures)])


COMPARISON_FILES = ("comparison.csv", "comparison.png")


def compare_results(results: Sequence[Result], out: OutputFolder, prefix: str = "",
                    observed: Sequence[dict] | None = None) -> list[dict]:
    """Write ``comparison.csv`` and ``comparison.png`` into ``out`` (under ``prefix``);
    return the ranked rows.

    Rows are ranked by expected headache days per month, fewest first.
    ``observed`` holds each result's summary when already computed.
    """
    from lbp_headache.report.run_figures import figure_png, plot_comparison

    observed = observed if observed is not None else [None] * len(results)
    rows = [comparison_row(r, o) for r, o in zip(results, observed, strict=True)]
    rank = sorted(range(len(rows)), key=lambda i: rows[i]["headache_days_per_month"])
    ranked = [rows[i] for i in rank]
    out.write_text(f"{prefix}comparison.csv", comparison_csv(ranked))
    out.write_bytes(f"{prefix}comparison.png",
                    figure_png(plot_comparison([results[i] for i in rank])))
    return ranked


def comparison_table(rows: Sequence[dict]) -> str:
    """Aligned console table of ranked comparison rows."""
    head = ("rank", "scenario", "days/month", "mean", "peak", "mech", "neuro", "inflam",
            "threshold min", "reduction", "responder")
    body = []
    for i, row in enumerate(rows, start=1):
        reduction = row["responder_reduction"]
        body.append((
            str(i), str(row["name"]), f"{row['headache_days_per_month']:.1f}",
            f"{row['mean_headache']:.2f}", f"{row['peak_headache']:.2f}",
            _percent(row["share_mechanical"]), _percent(row["share_neurological"]),
            _percent(row["share_inflammatory"]), f"{row['min_pain_threshold']:.2f}",
            "n/a" if reduction is None else f"{100 * reduction:.0f}%", str(row["responder"]),
        ))
    return _align([head, *body])


def _align(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
                     for row in rows)


# --- subcommands ------------------------------------------------------------------

def cmd_run(args: argparse.Namespace) -> int:
    """``run``: simulate each scenario and write its folder under ``--out``."""
    out = Path(args.out)
    batch = load_batch(args.scenarios, args.set)
    problems = batch.problems + _check_out_dir(out)
    if problems:
        return _report_problems(problems)
    figures = not args.no_figures
    with OutputFolder(out) as folder:
        conflicts = _run_conflicts(batch, folder, figures)
        if conflicts:
            return _report_problems(conflicts)
        status, _ = run_batch(batch, folder, figures=figures)
    print(disclaimer_line())
    return status


def cmd_compare(args: argparse.Namespace) -> int:
    """``compare``: simulate all scenarios, write the comparison table and figure."""
    out = Path(args.out)
    batch = load_batch(args.scenarios, args.set)
    problems = batch.problems + _check_out_dir(out)
    if problems:
        return _report_problems(problems)
    with OutputFolder(out) as folder:
        conflicts = folder.conflicts(COMPARISON_FILES)
        if conflicts:
            return _report_problems(conflicts)
        status, results = EXIT_OK, []
        for path, scenario in batch.scenarios:
            result = _simulate(path, scenario, batch.overrides)
            if result is None:
                status = EXIT_FAILURE
            else:
                results.append(result)
        if results:
            try:
                rows = compare_results(results, folder)
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
    from lbp_headache.scenario.explain import explain_lines

    batch = load_batch(args.scenarios, args.set)
    for path, scenario in batch.scenarios:
        print(f"{path}: ok")
        if args.explain:
            print("\n".join(explain_lines(scenario)[1:]))
    if args.explain and batch.overrides:
        for name, value in batch.overrides.items():
            print(f"--set {name}: {value:g} {pretty(BY_NAME[name].unit)}".rstrip())
    if batch.problems:
        return _report_problems(batch.problems)
    return EXIT_OK


def params_text() -> str:
    """The parameter table as plain aligned text (name, value, unit, range, group, meaning)."""
    rows = [("name", "value", "unit", "range", "group", "meaning")]
    for p in PARAMETERS:
        rows.append((p.name, f"{p.value:.4g}", pretty(p.unit), f"{p.low:.4g} – {p.high:.4g}",
                     p.group, p.meaning))
    return _align(rows) + "\n"


def cmd_params(args: argparse.Namespace) -> int:
    """``params``: print the parameter table."""
    sys.stdout.write(markdown_table() if args.markdown else params_text())
    return EXIT_OK


def demo_figure_names(stems: Sequence[str], comparison: bool) -> list[str]:
    """Files ``demo`` writes into the figures folder."""
    names = [f"{stem}_{name}.png" for stem in stems for name in ("headache_by_pathway", "states")]
    return names + (["treatment_comparison.png"] if comparison else []) + ["pathway_diagram.png"]


def cmd_demo(args: argparse.Namespace) -> int:
    """``demo``: run every bundled scenario, compare the treatments, collect the figures."""
    from lbp_headache.report.run_figures import figure_png, plot_pathway_diagram

    folder = Path(SCENARIO_DIR)
    if not folder.is_dir():
        print(f"{folder}/: not found; run `lbp-headache demo` from the project folder "
              "(the one that holds scenarios/)", file=sys.stderr)
        return EXIT_BAD_INPUT
    out, figures = Path(args.out), Path(args.figures)
    batch = load_batch([str(folder)])
    problems = batch.problems + _check_out_dir(out) + _check_out_dir(figures)
    if problems:
        return _report_problems(problems)
    stems = [path.stem for path, _ in batch.scenarios]
    compared = [stem for stem in TREATMENT_SET if stem in stems]
    with contextlib.ExitStack() as stack:
        results_folder = stack.enter_context(OutputFolder(out))
        same = figures.resolve() == out.resolve()
        figure_folder = results_folder if same else stack.enter_context(OutputFolder(figures))
        conflicts = _run_conflicts(batch, results_folder, True)
        conflicts += results_folder.conflicts(f"comparison/{name}" for name in COMPARISON_FILES)
        conflicts += figure_folder.conflicts(demo_figure_names(stems, bool(compared)))
        if conflicts:
            return _report_problems(conflicts)
        status, results = run_batch(batch, results_folder)
        chosen = {path.stem: pair for path, pair in results.items()}
        treatment = [chosen[stem] for stem in compared if stem in chosen]
        try:
            for path in results:
                for name in ("headache_by_pathway", "states"):
                    data = (out / path.stem / f"{name}.png").read_bytes()
                    figure_folder.write_bytes(f"{path.stem}_{name}.png", data)
            if treatment:
                rows = compare_results([r for r, _ in treatment], results_folder,
                                       "comparison/", [o for _, o in treatment])
                print(comparison_table(rows))
                figure_folder.write_bytes("treatment_comparison.png",
                                          (out / "comparison" / "comparison.png").read_bytes())
            figure_folder.write_bytes("pathway_diagram.png", figure_png(plot_pathway_diagram()))
        except OSError as error:
            print(f"{figures}: cannot write: {error}", file=sys.stderr)
            status = EXIT_FAILURE
    print(f"figures -> {figures}")
    print(disclaimer_line())
    return status


# --- parser -----------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    """The argument parser with its subcommands (research ones: :mod:`.research`)."""
    from lbp_headache.core.version import __version__

    parser = argparse.ArgumentParser(
        prog="lbp-headache",
        description="Mechanistic model of how chronic lower back pain can lead to headache "
                    "(educational and research use; not a diagnostic tool).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add_set(p):
        p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                       help="override a parameter for every scenario, e.g. "
                            "'tau_posture=5 days' (repeatable)")

    p = sub.add_parser("run", help="simulate scenarios and write their result folders")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO_OR_FOLDER")
    p.add_argument("--out", default="results", metavar="DIR",
                   help="output folder (default: results)")
    p.add_argument("--no-figures", action="store_true",
                   help="write the tables only (much faster for many scenarios)")
    add_set(p)
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser("compare", help="simulate scenarios and compare their headache")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO_OR_FOLDER")
    p.add_argument("--out", default="results/comparison", metavar="DIR",
                   help="output folder (default: results/comparison)")
    add_set(p)
    p.set_defaults(handler=cmd_compare)

    p = sub.add_parser("validate", help="check scenario files without running them")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO_OR_FOLDER")
    p.add_argument("--explain", action="store_true",
                   help="show how each file was read: times in days and calendar units, "
                        "profile points, treatment windows, doses, overrides")
    add_set(p)
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

    from lbp_headache.cli.research import add_research_parsers

    add_research_parsers(sub, add_set)
    parser.set_defaults(command_names=tuple(sub.choices))
    return parser


def _unknown_command(parser: argparse.ArgumentParser, argv: list[str]) -> str | None:
    """One line for a first argument that is not a command (with a close one), else None."""
    if not argv or argv[0].startswith("-"):
        return None
    commands = parser.get_default("command_names")
    if argv[0] in commands:
        return None
    hint = suggest(argv[0], commands) or f"; commands: {', '.join(commands)}"
    return f"lbp-headache: unknown command '{argv[0]}'{hint}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit code: 0 ok, 1 run-time failure, 2 bad input.
    """
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    unknown = _unknown_command(parser, argv)
    if unknown:
        print(unknown, file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # argparse: --help/--version (0) or a usage error (2)
        return int(stop.code) if isinstance(stop.code, int) else EXIT_BAD_INPUT
    try:
        return args.handler(args)
    except (OutputConflict, FolderBusy) as error:
        return _report_problems(str(error).splitlines())
    except KeyboardInterrupt:
        print(f"lbp-headache {args.command}: interrupted; files already finished are kept, "
              "no file was left half-written", file=sys.stderr)
        return EXIT_INTERRUPTED
