"""Exception types raised by lbp-headache.

Every error derives from :class:`ModelError` and also from the matching
built-in exception, so callers may catch either (the pint pattern).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

MAX_KEY_CHARS = 120
MAX_MESSAGE_CHARS = 600


def escaped(text: str, limit: int | None = None) -> str:
    """``text`` on one line: control, format and line-separator characters as escapes
    (``\\n``, ``\\x00``, ``\\u202e``), cut to ``limit`` characters with ``...``."""
    if text.isprintable():  # none of the characters below (the common case, 20x faster)
        return text if limit is None or len(text) <= limit else text[: limit - 3] + "..."
    out = []
    for char in text:
        if char in "\t\n\r" or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(char.encode("unicode_escape").decode("ascii"))
        else:
            out.append(char)
    line = "".join(out)
    if limit is not None and len(line) > limit:
        line = line[: limit - 3] + "..."
    return line


class ModelError(Exception):
    """Base class of every error raised by this package."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file.

    Rendered as ``FILE:LINE: key.path: message`` (the line is omitted when
    unknown), which editors and CI logs turn into clickable locations. The
    rendering is always one line: newlines and other invisible characters in
    a key or value are shown as escapes, and very long parts are cut.
    """

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        file = escaped(self.file, MAX_KEY_CHARS * 2)
        where = file if self.line is None else f"{file}:{self.line}"
        key = f" {escaped(self.key, MAX_KEY_CHARS)}:" if self.key else ""
        return f"{where}:{key} {escaped(self.message, MAX_MESSAGE_CHARS)}"


class ScenarioError(ModelError, ValueError):
    """A scenario (or other input file) is invalid.

    Holds every problem found, not just the first, so a student fixes a file
    in one pass. ``str(error)`` is one line per problem.
    """

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ParameterError(ModelError, ValueError):
    """A parameter name or value is invalid (unknown name, out of range)."""


class UnitError(ModelError, ValueError):
    """A quantity has a unit that cannot be converted to the one required."""


class SolverError(ModelError, RuntimeError):
    """The integrator failed or a state left its physical range.

    Attributes name the simulated time (days) and, where known, the state.
    """

    def __init__(self, message: str, *, time: float, state: str | None = None):
        self.time = time
        self.state = state
        where = f"day {time:.6g}" + (f", state '{state}'" if state else "")
        super().__init__(f"{message} (at {where})")
