"""Atomic file writes: a temporary file in the destination folder, fsynced, then renamed.

A reader (or a killed run) never sees a half-written file. The temporary file
is created exclusively (``tempfile.mkstemp``: ``O_CREAT | O_EXCL``), so a
symlink planted at its name cannot redirect the write, and it is removed on
every exit path (an exception, a full disk, Ctrl-C).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def umask() -> int:
    """The process's file-creation mask (read without changing it for long)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def exclusive_temporary(target: Path) -> Path:
    """A new, empty temporary file next to ``target``, with the usual permissions."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        # mkstemp creates 0600 files; give the result the permissions a plain open() would.
        os.chmod(tmp, 0o666 & ~umask())
    except BaseException:
        os.unlink(tmp)
        raise
    return Path(tmp)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file + :func:`os.replace`).

    Parameters
    ----------
    path
        Destination file; its folder must exist.
    data
        The complete file contents.

    Returns
    -------
    Path
        The destination path.

    Raises
    ------
    OSError
        If the file cannot be written; no temporary file is left behind.
    """
    path = Path(path)
    tmp = exclusive_temporary(path)
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically (see :func:`atomic_write_bytes`)."""
    return atomic_write_bytes(path, text.encode("utf-8"))
