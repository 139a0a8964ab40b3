"""Output folders that never lose what the tool did not write.

Every command writes through an :class:`OutputFolder`:

* **A manifest** (``.lbp-headache-manifest.json`` in the folder) lists each
  file the tool wrote there, with its SHA-256 and size. A file may be
  replaced or deleted only if the manifest lists it and its content still
  matches; anything else (a file of the user's, a file the user edited, a
  symlink, a folder where a file should be) is refused with
  :class:`OutputConflict`, naming it. So ``--out .`` is safe: the tool adds
  its files and touches nothing it did not write. The manifest holds no
  times, so re-rendering identical figures leaves it identical too.
* **A lock** (``.lbp-headache.lock``, an ``flock``) refuses a second
  writer into the same folder while one runs (:class:`FolderBusy`); the
  kernel releases it when the process ends, however it ends.
* **Atomic, exclusive writes**: each file is written to a temporary file
  created with ``O_EXCL`` next to its destination (a planted symlink cannot
  redirect it), fsynced and renamed into place; the temporary file is removed
  on every exit path (an exception, disk full, Ctrl-C). A file being replaced
  is recorded in the manifest before the rename, so a run killed in between
  still recognises both versions as its own.

Files inside a sweep's ``chunks/`` folder are recognised by their own
identity and checksum (:mod:`lbp_headache.analysis.sweep.chunks`) and are not listed here.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from lbp_headache.core.errors import ModelError
from lbp_headache.files.atomic import atomic_write_bytes, exclusive_temporary

try:  # POSIX; elsewhere the folder is not locked
    import fcntl
except ImportError:  # pragma: no cover - not on Linux
    fcntl = None

MANIFEST = ".lbp-headache-manifest.json"
LOCK = ".lbp-headache.lock"
MANIFEST_FORMAT = 1
TOOL = "lbp-headache"


class OutputConflict(ModelError, ValueError):
    """Writing would overwrite or delete something the tool did not write."""


class FolderBusy(ModelError, RuntimeError):
    """Another lbp-headache process is writing into the same folder."""


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class OutputFolder:
    """A folder this tool writes into, with its manifest and lock (see the module docstring).

    Use it as a context manager; paths are given relative to the folder with
    ``/`` separators (``"persistent_back_pain/summary.json"``).

    Parameters
    ----------
    path
        The folder (created, with its parents, when opened).
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.files: dict[str, dict] = {}
        self.pending: dict[str, dict] = {}
        self._lock_fd: int | None = None
        self._created: list[Path] = []  # what open() made, removed again if nothing is written
        self._changed = False

    # --- opening and closing --------------------------------------------------------------

    def __enter__(self) -> OutputFolder:
        self.open()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def open(self) -> None:
        """Create the folder, take its lock and read its manifest.

        Raises
        ------
        OutputConflict
            If the path exists and is not a folder, or the lock file is not a
            regular file.
        FolderBusy
            If another process holds the lock.
        """
        if self.path.exists() and not self.path.is_dir():
            raise OutputConflict(f"{self.path}: exists and is not a folder")
        missing = [self.path, *self.path.parents]
        missing = [folder for folder in missing if not folder.exists()]
        self.path.mkdir(parents=True, exist_ok=True)
        lock_existed = (self.path / LOCK).exists()
        self._created = [*([] if lock_existed else [self.path / LOCK]), *missing]
        self._lock()
        self.files, self.pending = self._read_manifest()
        for rel, entry in self.pending.items():  # a run killed between rename and record
            if self._matches(rel, entry):
                self.files[rel] = entry
        self.pending = {}
        self.files = {rel: entry for rel, entry in self.files.items()
                      if (self.path / rel).exists() or (self.path / rel).is_symlink()}

    def close(self) -> None:
        """Write the manifest and release the lock.

        When nothing was written, what :meth:`open` made (the lock file, the
        folder) is removed again: a refused command leaves no trace.
        """
        try:
            if self._lock_fd is not None and self._changed:
                self._save()
        finally:
            if self._lock_fd is not None:
                if not self._changed:
                    for made in self._created:
                        with contextlib.suppress(OSError):
                            if made.name == LOCK:
                                made.unlink()
                            else:
                                made.rmdir()
                os.close(self._lock_fd)  # releases the flock
                self._lock_fd = None

    def _lock(self) -> None:
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(self.path / LOCK, flags, 0o644)
        except OSError as exc:
            raise OutputConflict(f"{self.path / LOCK}: cannot open the lock file "
                                 f"({exc.strerror or exc}); is it a symlink?") from None
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise FolderBusy(f"{self.path}: another lbp-headache process is writing into "
                                 "this folder; wait for it to finish or choose another "
                                 "output folder") from None
        self._lock_fd = fd

    def _read_manifest(self) -> tuple[dict, dict]:
        target = self.path / MANIFEST
        try:
            info = os.lstat(target)
        except FileNotFoundError:
            return {}, {}
        if not stat.S_ISREG(info.st_mode) or info.st_size > 64 << 20:
            return {}, {}
        try:
            data = json.loads(target.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}, {}  # damaged: nothing is known to be ours, so nothing is replaced
        if not isinstance(data, dict) or data.get("tool") != TOOL:
            return {}, {}

        def entries(key: str) -> dict:
            raw = data.get(key)
            if not isinstance(raw, dict):
                return {}
            return {rel: entry for rel, entry in raw.items()
                    if isinstance(rel, str) and _safe_rel(rel) and isinstance(entry, dict)
                    and isinstance(entry.get("sha256"), str)
                    and isinstance(entry.get("bytes"), int)}

        return entries("files"), entries("pending")

    def _save(self) -> None:
        document = {"tool": TOOL, "format": MANIFEST_FORMAT,
                    "note": "files lbp-headache wrote in this folder; it replaces or deletes "
                            "only these, and only while their content matches",
                    "files": dict(sorted(self.files.items())),
                    "pending": dict(sorted(self.pending.items()))}
        if not document["pending"]:
            del document["pending"]
        text = json.dumps(document, indent=1, sort_keys=False) + "\n"
        self._write_file(MANIFEST, text.encode("utf-8"))

    # --- what is ours -----------------------------------------------------------------------

    def _matches(self, rel: str, entry: dict) -> bool:
        target = self.path / rel
        try:
            info = os.lstat(target)
        except OSError:
            return False
        if not stat.S_ISREG(info.st_mode) or info.st_size != entry["bytes"]:
            return False
        try:
            return file_sha256(target) == entry["sha256"]
        except OSError:
            return False

    def owns(self, rel: str) -> bool:
        """Whether the tool may replace or delete ``rel``: absent, or listed and unchanged."""
        target = self.path / rel
        if not (target.exists() or target.is_symlink()):
            return True
        entry = self.files.get(rel)
        return entry is not None and self._matches(rel, entry)

    def conflicts(self, rels: Iterable[str]) -> list[str]:
        """One line for each of ``rels`` (or a folder on its way) that may not be written."""
        lines = []
        for rel in rels:
            problem = self._conflict(rel)
            if problem:
                lines.append(problem)
        return list(dict.fromkeys(lines))

    def _conflict(self, rel: str) -> str | None:
        if not _safe_rel(rel):
            return f"{self.path / rel}: not a path inside the output folder"
        parts = rel.split("/")
        for depth in range(1, len(parts)):
            folder = self.path.joinpath(*parts[:depth])
            try:
                info = os.lstat(folder)
            except FileNotFoundError:
                return None
            if stat.S_ISLNK(info.st_mode):
                return (f"{folder}: is a symlink; lbp-headache writes only into real folders "
                        "(move the link away or choose another output folder)")
            if not stat.S_ISDIR(info.st_mode):
                return f"{folder}: exists and is not a folder; move it away or choose another " \
                       "output folder"
        if self.owns(rel):
            return None
        target = self.path / rel
        what = "was changed after lbp-headache wrote it" if rel in self.files else \
            "was not written by lbp-headache"
        if target.is_symlink():
            what = "is a symlink"
        elif target.is_dir():
            what = "is a folder"
        return (f"{target}: {what}; it will not be overwritten: move it away or choose "
                "another output folder")

    def _require(self, rel: str) -> None:
        problem = self._conflict(rel)
        if problem:
            raise OutputConflict(problem)

    # --- writing ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def new_file(self, rel: str) -> Iterator[Path]:
        """Yield a fresh temporary path for ``rel``; on success it replaces ``rel`` and is recorded.

        The temporary file is created exclusively in ``rel``'s folder; write to
        it by path or reopen it. On any exception it is removed and ``rel`` is
        left as it was.

        Raises
        ------
        OutputConflict
            If ``rel`` may not be written (see :meth:`conflicts`).
        """
        self._require(rel)
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = exclusive_temporary(target)
        try:
            yield tmp
            entry = {"sha256": file_sha256(tmp), "bytes": os.path.getsize(tmp)}
            self._require(rel)
            self.pending[rel] = entry
            self._changed = True
            self._save()
            os.replace(tmp, target)
            self.files[rel] = entry
            del self.pending[rel]
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            self.pending.pop(rel, None)
            raise

    def write_bytes(self, rel: str, data: bytes) -> Path:
        """Write ``data`` to ``rel`` atomically (see :meth:`new_file`); returns the path."""
        with self.new_file(rel) as tmp:
            with open(tmp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        return self.path / rel

    def write_text(self, rel: str, text: str) -> Path:
        """Write ``text`` as UTF-8 to ``rel`` atomically."""
        return self.write_bytes(rel, text.encode("utf-8"))

    def _write_file(self, rel: str, data: bytes) -> None:
        """Atomic write of a file of the tool's own bookkeeping (not listed in the manifest)."""
        atomic_write_bytes(self.path / rel, data)

    # --- removing ---------------------------------------------------------------------------

    def remove(self, rel: str) -> None:
        """Delete ``rel`` if it is the tool's (listed and unchanged); else raise OutputConflict."""
        self._require(rel)
        target = self.path / rel
        with contextlib.suppress(FileNotFoundError):
            os.unlink(target)
        self.files.pop(rel, None)
        self._changed = True
        if target.parent != self.path:
            with contextlib.suppress(OSError):  # a folder the removal emptied; else kept
                target.parent.rmdir()

    def listed(self, prefix: str = "") -> list[str]:
        """Files of the manifest under ``prefix`` (``"figures/"``), sorted."""
        return sorted(rel for rel in self.files if rel.startswith(prefix))

    def remove_stale(self, prefix: str, keep: Iterable[str]) -> None:
        """Delete the tool's files under ``prefix`` that are not in ``keep``."""
        keep = set(keep)
        for rel in self.listed(prefix):
            if rel not in keep and self.owns(rel):
                self.remove(rel)


def _safe_rel(rel: str) -> bool:
    parts = rel.split("/")
    return bool(rel) and not rel.startswith("/") and all(
        part not in ("", ".", "..") for part in parts) and "\x00" not in rel
