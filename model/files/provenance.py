"""Provenance: what produced an output, recorded in the output itself.

Every output (a run's ``summary.json``, a sweep's and a sensitivity
analysis's metadata, the Parquet schema) carries the block built by
:func:`provenance`: the package version and, when run from a git checkout, the
commit (and whether the work tree had uncommitted changes); the versions of
Python, the platform and the numerical dependencies; the command line; the
start and end times; the SHA-256 of every input file; and the settings the
caller passes. Results never depend on it: the same inputs give the same
result values whatever the provenance says.
"""

from __future__ import annotations

import functools
import importlib.metadata
import platform
import subprocess
import sys
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

from lbp_headache.core.calibrated import CALIBRATION
from lbp_headache.core.version import __version__

PACKAGE = "lbp-headache"
# Distributions whose versions can change a number or a figure (None when not installed).
DEPENDENCIES = ("numpy", "scipy", "pint", "PyYAML", "numba", "llvmlite", "matplotlib",
                "pyarrow", "dask", "distributed", "python-libsbml", "pyabc")
GIT_SECONDS = 5.0


def now() -> datetime:
    """The current time in UTC (the clock provenance uses)."""
    return datetime.now(timezone.utc)


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC to the millisecond."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


@functools.lru_cache(maxsize=1)
def dependency_versions() -> dict[str, str | None]:
    """Installed versions of :data:`DEPENDENCIES` (read from metadata: nothing is imported)."""
    versions: dict[str, str | None] = {}
    for name in DEPENDENCIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


@functools.lru_cache(maxsize=1)
def git_commit() -> dict[str, object] | None:
    """``{"commit": sha, "dirty": bool}`` when the package runs from a git checkout, else None.

    ``dirty`` is true when tracked files differ from the commit, so the commit
    alone does not say what ran.
    """
    root = Path(__file__).resolve().parents[2]  # model/files/provenance.py -> the checkout
    if not (root / ".git").exists() or not (root / "pyproject.toml").is_file():
        return None
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"],
                                capture_output=True, text=True, timeout=GIT_SECONDS)
        status = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                 "--untracked-files=no"],
                                capture_output=True, text=True, timeout=GIT_SECONDS)
    except (OSError, subprocess.SubprocessError):
        return None
    if commit.returncode != 0:
        return None
    return {"commit": commit.stdout.strip(),
            "dirty": status.returncode != 0 or bool(status.stdout.strip())}


def provenance(*, started: datetime, inputs: Mapping[str, str | None] | None = None,
               settings: Mapping[str, object] | None = None,
               **details: object) -> dict[str, object]:
    """The provenance block of an output.

    Parameters
    ----------
    started
        When the work that produced the output started (:func:`now`).
    inputs
        ``{input file: SHA-256}`` of every file read.
    settings
        Solver or engine settings, seeds, overrides: whatever the caller ran with.
    details
        Further entries specific to the output (kept in the given order).

    Returns
    -------
    dict
        ``package``, ``version``, ``git``, ``python``, ``platform``,
        ``dependencies``, ``command_line``, ``started``, ``finished``,
        ``inputs``, ``settings``, ``calibration`` (the adopted calibration
        whose posterior medians are the default parameter values:
        :mod:`lbp_headache.core.calibrated`) and the ``details``.
    """
    return {
        "package": PACKAGE,
        "version": __version__,
        "git": git_commit(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "dependencies": dependency_versions(),
        "command_line": list(sys.argv),
        "started": timestamp(started),
        "finished": timestamp(now()),
        "inputs": dict(inputs or {}),
        "settings": dict(settings or {}),
        "calibration": dict(CALIBRATION) if CALIBRATION else None,
        **details,
    }
