"""Sweep chunk files: each carries its identity and a checksum, verified before use.

A chunk file is ``MAGIC``, one line of JSON, then an ``.npz`` payload (numpy
arrays only; read with ``allow_pickle=False``)::

    LBPCHUNK2
    {"identity": {...}, "sha256": "<of the payload>", "bytes": <payload size>}
    <npz bytes>

The identity names the sweep (the SHA-256 of its fingerprint: spec, base
scenarios, engine settings, versions), the scenario label, the chunk index,
its first set and its number of sets. :func:`read_chunk` returns the columns
only when the magic, the checksum and the identity all match, so a chunk that
is truncated, damaged, swapped for another or left by another sweep is never
used: ``--resume`` recomputes it and assembly refuses it.

The ``chunks/`` folder of a sweep belongs to the tool when its
``fingerprint.json`` is in the folder's manifest; inside it only files named
like chunks (and their temporary files) are the tool's (:func:`foreign_files`).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from pathlib import Path

import numpy as np
from lbp_headache.core.errors import ModelError

MAGIC = b"LBPCHUNK2\n"
MAX_HEADER_BYTES = 4096
CHUNK_NAME = re.compile(r"chunk_[0-9]{6}\.npz")
TEMP_NAME = re.compile(r"\.(chunk_[0-9]{6}\.npz|fingerprint\.json)\..*\.tmp")
FINGERPRINT = "fingerprint.json"


class ChunkError(ModelError, ValueError):
    """A chunk file is damaged, or belongs to another chunk or sweep."""


def fingerprint_sha256(fingerprint: dict) -> str:
    """SHA-256 of a sweep fingerprint in canonical JSON (sorted keys, no spaces)."""
    text = json.dumps(fingerprint, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chunk_identity(sweep: str, label: str, index: int, first_set: int, n_sets: int) -> dict:
    """What a chunk file must say it is to be used."""
    return {"sweep": sweep, "label": label, "index": int(index), "first_set": int(first_set),
            "n_sets": int(n_sets)}


def encode_chunk(identity: dict, columns: dict[str, np.ndarray]) -> bytes:
    """The bytes of a chunk file holding ``columns`` (arrays of ``n_sets`` rows)."""
    buffer = io.BytesIO()
    np.savez(buffer, **columns)
    payload = buffer.getvalue()
    header = {"identity": identity, "sha256": hashlib.sha256(payload).hexdigest(),
              "bytes": len(payload)}
    return MAGIC + json.dumps(header, sort_keys=True).encode("utf-8") + b"\n" + payload


def decode_chunk(data: bytes, identity: dict) -> dict[str, np.ndarray]:
    """The columns of a chunk file, after checking its magic, checksum and ``identity``.

    Raises
    ------
    ChunkError
        Saying what does not match.
    """
    found, columns = parse_chunk(data)
    if found != identity:
        differs = sorted(k for k in identity if not isinstance(found, dict)
                         or found.get(k) != identity[k])
        raise ChunkError(f"it belongs to another chunk or sweep ({', '.join(differs)} differ)")
    if any(column.shape[:1] != (identity["n_sets"],) for column in columns.values()):
        raise ChunkError("its columns do not have one row per set")
    return columns


def parse_chunk(data: bytes) -> tuple[object, dict[str, np.ndarray]]:
    """``(identity, columns)`` of a chunk file whose magic and checksum are right.

    Raises
    ------
    ChunkError
        If the file is not a chunk file, is truncated or damaged.
    """
    if not data.startswith(MAGIC):
        raise ChunkError("not a chunk file of this version of lbp-headache")
    end = data.find(b"\n", len(MAGIC), len(MAGIC) + MAX_HEADER_BYTES)
    if end < 0:
        raise ChunkError("its header is damaged")
    try:
        header = json.loads(data[len(MAGIC):end].decode("utf-8"))
        expected_sha, expected_bytes = str(header["sha256"]), int(header["bytes"])
        found = header["identity"]
    except (ValueError, KeyError, TypeError):
        raise ChunkError("its header is damaged") from None
    payload = data[end + 1:]
    if len(payload) != expected_bytes:
        raise ChunkError(f"it is truncated or padded ({len(payload):,} bytes of data, "
                         f"{expected_bytes:,} expected)")
    if hashlib.sha256(payload).hexdigest() != expected_sha:
        raise ChunkError("its checksum does not match its data (the file is damaged)")
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as arrays:
            columns = {key: arrays[key] for key in arrays.files}
    except (ValueError, OSError, EOFError) as exc:
        raise ChunkError(f"its data cannot be read ({exc})") from None
    if "status" not in columns:
        raise ChunkError("it has no status column")
    return found, columns


def read_chunk(path: Path, identity: dict) -> dict[str, np.ndarray]:
    """Read and verify the chunk file at ``path`` (see :func:`decode_chunk`).

    Raises
    ------
    ChunkError
        If it cannot be read or does not verify.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ChunkError(f"it cannot be read ({exc.strerror or exc})") from None
    return decode_chunk(data, identity)


def is_valid_chunk(path: Path, identity: dict) -> bool:
    """Whether ``path`` holds the chunk ``identity`` names, undamaged."""
    try:
        read_chunk(path, identity)
    except ChunkError:
        return False
    return True


def foreign_files(root: Path) -> list[Path]:
    """Entries of a chunks folder that are not the tool's (not chunk-named, nor its temp files).

    ``root/fingerprint.json`` is checked by the folder's manifest, not here.
    Label folders may hold only chunk files and their temporary files.
    """
    foreign: list[Path] = []
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except FileNotFoundError:
        return []
    for entry in entries:
        if entry.name == FINGERPRINT or TEMP_NAME.fullmatch(entry.name):
            if entry.is_symlink() or not entry.is_file(follow_symlinks=False):
                foreign.append(Path(entry.path))
            continue
        if not entry.is_dir(follow_symlinks=False):
            foreign.append(Path(entry.path))
            continue
        for item in sorted(os.scandir(entry.path), key=lambda e: e.name):
            named = CHUNK_NAME.fullmatch(item.name) or TEMP_NAME.fullmatch(item.name)
            if not named or not item.is_file(follow_symlinks=False):
                foreign.append(Path(item.path))
    return foreign


def clear(root: Path) -> None:
    """Delete a chunks folder of the tool's own (call :func:`foreign_files` first)."""
    if not root.exists():
        return
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if entry.is_dir(follow_symlinks=False):
            for item in os.scandir(entry.path):
                os.unlink(item.path)
            os.rmdir(entry.path)
        else:
            os.unlink(entry.path)
    os.rmdir(root)


# --- where chunks are, and which -------------------------------------------------------------

FOLDER = "chunks"  # a sweep's chunk folder, relative to its output folder


def chunk_ranges(labels, n_sets: int, chunk_size: int):
    """``(label, index, first set, end set)`` of every chunk: each label's sets in order."""
    for label in labels:
        for index, lo in enumerate(range(0, n_sets, chunk_size)):
            yield label, index, lo, min(lo + chunk_size, n_sets)


def chunk_path(root: Path, label: str, index: int) -> Path:
    """The file of chunk ``index`` of ``label`` in the chunks folder ``root``."""
    return root / label / f"chunk_{index:06d}.npz"


def verified_chunk(root: Path, sweep_id: str, label: str, index: int, lo: int,
                   hi: int) -> dict[str, np.ndarray]:
    """The columns of a finished chunk, verified against its identity.

    Raises
    ------
    ChunkError
        Naming the file and saying how to recompute it.
    """
    path = chunk_path(root, label, index)
    try:
        return read_chunk(path, chunk_identity(sweep_id, label, index, lo, hi - lo))
    except ChunkError as exc:
        raise ChunkError(f"{path}: {exc}; it is not used: run the sweep again with --resume "
                         "to recompute it") from None
