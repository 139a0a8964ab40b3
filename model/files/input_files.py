"""Reading input files safely: regular files of bounded size, at paths that stay in bounds.

Every file the tool reads as input (a scenario, a sweep file, a file named by
``extends:``, a diary CSV) goes through :func:`read_input`: it is opened
without blocking and must be a *regular* file (a folder, FIFO, device or
socket is refused with one line, so a named pipe never hangs a run), at most
``max_bytes`` long, and UTF-8 text.

Paths written *inside* a file (``extends:``, a diary's ``file:``, a sweep's
``scenario:``) follow :class:`PathPolicy` (the rules are listed in
docs/security.md):

* relative only (no absolute path, no ``~``), resolved against the folder of
  the file that names them;
* the expected suffix (``.yaml``/``.yml`` for scenarios, ``.csv`` for diaries);
* after following symlinks, inside the *input root*: the working folder when
  the file named on the command line lies inside it, else that file's folder;
* scenario text from someone else (:meth:`PathPolicy.bundled`) names no path
  at all except a bundled scenario by its file name, and no data file.

Messages name the file and say what is wrong; they never quote the contents
of the file they refer to.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from lbp_headache.files.bundled import BUNDLED_FOLDER

MAX_YAML_BYTES = 1_000_000
MAX_CSV_BYTES = 5_000_000
MAX_PATH_CHARS = 1024
YAML_SUFFIXES = (".yaml", ".yml")
CSV_SUFFIXES = (".csv",)
UNTRUSTED_SOURCE = "<scenario text>"


class InputFileError(Exception):
    """A file cannot be read as an input; ``message`` says why in words for the user."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


_FILE_KINDS = (
    (stat.S_ISDIR, "is a folder"),
    (stat.S_ISFIFO, "is a FIFO (named pipe)"),
    (stat.S_ISCHR, "is a character device"),
    (stat.S_ISBLK, "is a block device"),
    (stat.S_ISSOCK, "is a socket"),
)


def read_input(path: str | os.PathLike, *, what: str, max_bytes: int) -> tuple[str, bytes]:
    """Read a regular UTF-8 file of at most ``max_bytes`` bytes without ever blocking.

    Parameters
    ----------
    path
        The file.
    what
        What it is, for messages (``"scenario file"``, ``"diary file"``).
    max_bytes
        Size limit.

    Returns
    -------
    tuple of (str, bytes)
        The text (a leading byte-order mark removed) and the raw bytes.

    Raises
    ------
    InputFileError
        Missing, unreadable, not a regular file, a symlink loop, too large, or
        not UTF-8 (with the line of the first bad byte).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise InputFileError(_open_failure(exc, what)) from None
    try:
        info = os.fstat(fd)
        for test, kind in _FILE_KINDS:
            if test(info.st_mode):
                raise InputFileError(f"{kind}, not a regular file; expected a {what}")
        if info.st_size > max_bytes:
            raise InputFileError(f"{what} is {info.st_size:,} bytes; the limit is "
                                 f"{max_bytes:,} bytes")
        chunks, size = [], 0
        while size <= max_bytes:
            block = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not block:
                break
            chunks.append(block)
            size += len(block)
    except OSError as exc:
        raise InputFileError(f"cannot read {what}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > max_bytes:
        raise InputFileError(f"{what} is larger than the limit of {max_bytes:,} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputFileError(f"{what} is not UTF-8 text (byte {exc.start}); save it as UTF-8",
                             line) from None
    return text.removeprefix("\ufeff"), data


def _open_failure(exc: OSError, what: str) -> str:
    if exc.errno == errno.ENOENT:
        return f"{what} not found"
    if exc.errno == errno.EACCES:
        return f"cannot read {what}: permission denied"
    if exc.errno == errno.ELOOP:
        return f"cannot read {what}: a symlink loop (a link that points back to itself)"
    if exc.errno == errno.EISDIR:
        return f"is a folder, not a regular file; expected a {what}"
    if exc.errno == errno.ENAMETOOLONG:
        return f"cannot read {what}: the path is too long"
    return f"cannot read {what}: {exc.strerror or exc}"


@dataclass(frozen=True)
class PathPolicy:
    """Which files a scenario or sweep may name (see the module docstring).

    Attributes
    ----------
    root
        Real path of the folder every referenced file must lie in.
    untrusted_source
        Display name of text from someone else, whose references must be
        bundled scenario names (``None``: every file is the user's own).
    """

    root: Path
    untrusted_source: str | None = None

    @classmethod
    def for_file(cls, path: str | os.PathLike) -> PathPolicy:
        """The policy of a file named by the user: root = the working folder if it holds the
        file, the bundled folder for a bundled file, else the file's own folder."""
        here = Path.cwd().resolve()
        try:
            folder = Path(os.path.realpath(os.path.dirname(os.path.abspath(path))))
        except (OSError, ValueError):
            folder = here
        inside = folder == here or here in folder.parents
        if not inside:
            # A bundled input may name any bundled file (a sweep's '../scenario.yaml').
            bundled = BUNDLED_FOLDER.resolve()
            if folder == bundled or bundled in folder.parents:
                return cls(bundled)
        return cls(here if inside else folder)

    @classmethod
    def bundled(cls) -> PathPolicy:
        """The policy of text from someone else: bundled scenario names only."""
        return cls(BUNDLED_FOLDER.resolve(), untrusted_source=UNTRUSTED_SOURCE)

    def resolve(self, value: object, naming_file: str, *, suffixes: tuple[str, ...],
                what: str) -> str:
        """The path of a file named by ``value`` inside ``naming_file``.

        Raises
        ------
        InputFileError
            With a message saying which rule the path breaks.
        """
        if not isinstance(value, str) or not value.strip():
            raise InputFileError(f"expected the path of a {what}, relative to this file")
        text = value.strip()
        if len(text) > MAX_PATH_CHARS or "\x00" in text:
            raise InputFileError(f"not a usable path (longer than {MAX_PATH_CHARS} characters "
                                 "or holding a NUL character)")
        if naming_file == self.untrusted_source:
            if os.path.basename(text) != text or text.startswith("."):
                raise InputFileError("scenario text from outside may name only a bundled "
                                     "scenario by its file name (e.g. "
                                     "'persistent_back_pain.yaml'), no folders")
            target = str(self.root / text)
        else:
            if os.path.isabs(text) or text.startswith("~"):
                raise InputFileError("absolute paths are not allowed; write the path relative "
                                     "to the folder of this file")
            target = os.path.normpath(os.path.join(os.path.dirname(naming_file), text))
        if not text.lower().endswith(suffixes):
            raise InputFileError(f"a {what} must end in {' or '.join(suffixes)}")
        real = Path(os.path.realpath(target))
        if real != self.root and self.root not in real.parents:
            raise InputFileError(f"'{target}' lies outside the input root {self.root} "
                                 "(the working folder, or the folder of the file you named "
                                 "when it is outside the working folder); run from a folder "
                                 "that holds both files")
        return target

    def allows_data_files(self, naming_file: str) -> bool:
        """Whether ``naming_file`` may name a data file (not text from someone else)."""
        return naming_file != self.untrusted_source
