"""The ``lbp-headache`` command line (also ``python -m lbp_headache``): the parser and ``main``.

Teaching commands in :mod:`.commands` and :mod:`.teaching` (``report``, ``explore``),
research commands in :mod:`.research`;
exit codes and problem lines in :mod:`.common`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from lbp_headache.cli import commands, research, teaching, virtual
from lbp_headache.cli.common import EXIT_BAD_INPUT, EXIT_INTERRUPTED, report_problems
from lbp_headache.core.suggestions import suggest
from lbp_headache.core.version import __version__
from lbp_headache.files.output_folder import FolderBusy, OutputConflict


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="lbp-headache",
        description="Mechanistic model of how chronic lower back pain can lead to headache "
                    "(educational and research use; not a diagnostic tool).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parsers(sub)
    research.add_parsers(sub)
    virtual.add_parsers(sub)
    teaching.add_parsers(sub)
    parser.set_defaults(command_names=tuple(sub.choices))
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
        return report_problems(str(error).splitlines())
    except KeyboardInterrupt:
        print(f"lbp-headache {args.command}: interrupted; files already finished are kept, "
              "no file was left half-written", file=sys.stderr)
        return EXIT_INTERRUPTED
