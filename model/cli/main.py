"""The ``lbp-headache`` command line (also ``python -m lbp_headache``): the parser and ``main``.

Teaching commands in :mod:`.commands` and :mod:`.teaching` (``report``, ``explore``),
research commands in :mod:`.research`, virtual patients and trials in :mod:`.virtual`;
exit codes and problem lines in :mod:`.common`.

A command loads only its own module (:data:`COMMAND_MODULES`): ``run`` does not
import the explorer's server, the sweeps or the trials, about a quarter of a
second of a one-scenario run. ``--help`` and a mistyped command load them all.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from lbp_headache.cli.common import EXIT_BAD_INPUT, EXIT_INTERRUPTED, report_problems
from lbp_headache.core.suggestions import suggest
from lbp_headache.core.version import __version__
from lbp_headache.files.output_folder import FolderBusy, OutputConflict

#: Each command and the module of :mod:`lbp_headache.cli` that defines it, in help order
#: (tests/test_cli.py checks it against the modules' parsers).
COMMAND_MODULES: dict[str, str] = {
    "run": "commands", "compare": "commands", "validate": "commands", "params": "commands",
    "demo": "commands",
    "sweep": "research", "sensitivity": "research", "steady-states": "research",
    "export-sbml": "research",
    "population": "virtual", "trial": "virtual",
    "report": "teaching", "explore": "teaching",
    "targets": "calibration", "calibrate": "calibration",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser: with every subcommand, or only ``command``'s module's ones."""
    parser = argparse.ArgumentParser(
        prog="lbp-headache",
        description="Mechanistic model of how chronic lower back pain can lead to headache "
                    "(educational and research use; not a diagnostic tool).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    modules = dict.fromkeys(COMMAND_MODULES.values())
    if command in COMMAND_MODULES:
        modules = {COMMAND_MODULES[command]: None}
    for name in modules:
        importlib.import_module(f"lbp_headache.cli.{name}").add_parsers(sub)
    parser.set_defaults(command_names=tuple(COMMAND_MODULES))
    return parser


def _unknown_command(parser: argparse.ArgumentParser, argv: list[str]) -> str | None:
    """One line for a first argument that is not a command (with a close one), else None."""
    if not argv or argv[0].startswith("-"):
        return None
    names = parser.get_default("command_names")
    if argv[0] in names:
        return None
    hint = suggest(argv[0], names) or f"; commands: {', '.join(names)}"
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
        Exit code: 0 ok, 1 run-time failure, 2 bad input, 130 interrupted.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv[0] if argv else None)
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
        return report_problems(str(error).splitlines())
    except KeyboardInterrupt:
        print(f"lbp-headache {args.command}: interrupted; files already finished are kept, "
              "no file was left half-written", file=sys.stderr)
        return EXIT_INTERRUPTED
