"""What every command shares: exit codes, problem lines, and reading the scenario arguments.

Exit codes: 0 success; 2 bad input (usage errors, invalid files or ``--set``
values, an output file the tool did not write, an output folder another run
is writing into; nothing is written then, not even the output folder); 1 a
run-time failure (a simulation or a write failed); 130 interrupted (Ctrl-C).
Problems are printed to stderr one per line as ``FILE:LINE: key: message``;
never a traceback for bad input.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lbp_headache.analysis.backends import SchedulerError, scheduler_problems
from lbp_headache.core.errors import ModelError, Problem, ScenarioError
from lbp_headache.core.parameters import parameter_vector
from lbp_headache.scenario.reader import expand_paths, load_scenario, parse_override
from lbp_headache.scenario.record import Scenario

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


def problem_lines(error: Exception, where: str) -> list[str]:
    """The ``FILE:LINE: key: message`` lines of an input error (``where``: the file)."""
    if isinstance(error, ScenarioError) and error.problems:
        return [str(p) for p in error.problems]
    return [str(Problem(where, None, "", str(error) or type(error).__name__))]


def one_problem(where: str, message: str, key: str = "") -> str:
    """A single problem line about ``where`` (a file or an option)."""
    return str(Problem(where, None, key, message))


def report_problems(lines: Sequence[str]) -> int:
    """Print each problem line to stderr; return the bad-input exit code."""
    for line in lines:
        print(line, file=sys.stderr)
    return EXIT_BAD_INPUT


#: What a command that runs a spec into a folder turns into an exit status (:func:`run_failed`).
RUN_ERRORS = (ScenarioError, SchedulerError, OSError)


def run_failed(error: Exception, out: Path, source: str) -> int:
    """The exit status for one of :data:`RUN_ERRORS` raised while running ``source`` into
    ``out``: its problem lines and 2 for bad input found only while running; the
    scheduler's message, or the folder and the error of a failed write, and 1."""
    if isinstance(error, ScenarioError):
        return report_problems(problem_lines(error, source))
    print(error if isinstance(error, SchedulerError) else f"{out}: {error}", file=sys.stderr)
    return EXIT_FAILURE


def out_dir_problems(out: Path) -> list[str]:
    """A line if ``out`` exists and is not a folder."""
    if out.exists() and not out.is_dir():
        return [one_problem(str(out), "exists and is not a folder")]
    return []


def percent(share: float | None) -> str:
    """``42%``, or ``n/a``."""
    return "n/a" if share is None else f"{100.0 * share:.0f}%"


def align(rows: Sequence[Sequence[str]]) -> str:
    """Rows of text cells as left-aligned columns."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
                     for row in rows)


def replacing_line(folder, rels: Sequence[str], what: str = "an earlier run") -> str | None:
    """``"results/healthy: replacing an earlier run (summary.json, ...)"``, or ``None``.

    ``rels`` are the files (relative to the open output ``folder``) about to be
    written; the line names those that a previous run of the tool left there.
    """
    earlier = [rel for rel in rels if rel in folder.listed() and (folder.path / rel).exists()]
    if not earlier:
        return None
    if len(earlier) == 1:
        return f"{folder.path / earlier[0]}: replacing {what}"
    parents = sorted({rel.rpartition("/")[0] for rel in earlier})
    where = folder.path / parents[0] if len(parents) == 1 and parents[0] else folder.path
    names = [rel.removeprefix(f"{parents[0]}/") if len(parents) == 1 and parents[0] else rel
             for rel in earlier]
    shown = ", ".join(names) if len(names) <= 6 else f"{len(names)} files"
    return f"{where}: replacing {what} ({shown})"


@dataclass
class Batch:
    """Scenarios loaded from the command line, with every problem found on the way."""

    scenarios: list[tuple[Path, Scenario]] = field(default_factory=list)
    overrides: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def load_batch(paths: Sequence[str], sets: Sequence[str] = ()) -> Batch:
    """Load and check every scenario and ``--set`` value, collecting all problems.

    Parameters
    ----------
    paths
        Scenario files, folders (a folder stands for its ``*.yaml`` files) or
        bundled scenario names (``healthy``).
    sets
        ``NAME=VALUE`` parameter overrides (the ``--set`` options).

    Returns
    -------
    Batch
        The scenarios that loaded, the overrides and the problem lines; the
        batch is usable only when ``problems`` is empty.
    """
    batch = Batch()
    for text in sets:
        try:
            name, value = parse_override(text)
            parameter_vector({name: value})
        except (ModelError, ValueError) as error:
            batch.problems.extend(problem_lines(error, "--set"))
            continue
        batch.overrides[name] = value
    files: list[Path] = []
    for path in paths:
        try:
            files.extend(expand_paths([path]))
        except (ModelError, ValueError, OSError) as error:
            batch.problems.extend(problem_lines(error, str(path)))
    stems: dict[str, Path] = {}
    for path in files:
        try:
            scenario = load_scenario(path)
            parameter_vector({**scenario.parameters, **batch.overrides})
        except (ModelError, ValueError, OSError) as error:
            batch.problems.extend(problem_lines(error, str(path)))
            continue
        if path.stem in stems and stems[path.stem] != path:
            batch.problems.append(one_problem(
                str(path), f"same file name as {stems[path.stem]}; their output folders "
                "would collide"))
            continue
        stems[path.stem] = path
        batch.scenarios.append((path, scenario))
    return batch


def add_set_option(parser: argparse.ArgumentParser) -> None:
    """The repeatable ``--set NAME=VALUE`` option."""
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a parameter for every scenario, e.g. "
                             "'tau_posture=5 days' (repeatable)")


def add_backend_options(parser: argparse.ArgumentParser) -> None:
    """``--workers`` and ``--scheduler`` (local threads or a Dask cluster)."""
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="local workers (default: every core); with --scheduler local, "
                             "the number of Dask worker processes")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run on a Dask cluster: tcp://HOST:PORT, or 'local' to start one "
                             "on this machine")


def backend_problems(args: argparse.Namespace) -> list[str]:
    """Lines for a bad ``--workers`` or ``--scheduler`` (or Dask missing for ``--scheduler``)."""
    problems = []
    if args.workers is not None and args.workers < 1:
        problems.append(one_problem("--workers", "must be a whole number >= 1"))
    if args.scheduler:
        if importlib.util.find_spec("distributed") is None:
            problems.append(one_problem("--scheduler", "needs Dask: pip install "
                                        "'lbp-headache[distributed]'"))
        else:
            problems += scheduler_problems(args.scheduler)
    return problems
