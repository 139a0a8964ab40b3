"""The bundled inputs: scenarios, sweeps (later populations and trials) shipped in the package.

In an installed wheel they live in ``lbp_headache/bundled/``; in a checkout
(and an editable install) they are the checkout's ``scenarios/`` folder, the
one students edit. A command-line argument that is a bare name (no folder, no
suffix) and not a file or folder in the working folder names a bundled input:
``lbp-headache run healthy`` runs ``bundled/healthy.yaml`` from any folder. A
bare name that is *also* a local file or folder is ambiguous and refused with
both readings (:func:`resolve_argument`).
"""

from __future__ import annotations

import os
from pathlib import Path

from lbp_headache.core.errors import Problem
from lbp_headache.core.suggestions import suggest


def _bundled_folder() -> Path:
    package = Path(__file__).resolve().parents[1]  # lbp_headache/ (model/ in a checkout)
    installed = package / "bundled"
    return installed if installed.is_dir() else package.parent / "scenarios"


def _calibration_folder() -> Path:
    package = Path(__file__).resolve().parents[1]
    installed = package / "bundled" / "calibration"
    return installed if installed.is_dir() else package.parent / "calibration"


BUNDLED_FOLDER = _bundled_folder()
# The calibration targets: the checkout's calibration/ (beside scenarios/), or in a wheel
# lbp_headache/bundled/calibration/.
CALIBRATION_FOLDER = _calibration_folder()
BUNDLED_TARGETS = CALIBRATION_FOLDER / "targets.yaml"
# Subfolder of each kind of bundled input.
KINDS = {"scenario": "", "sweep": "sweeps", "population": "populations", "trial": "trials"}


def shown(path: Path) -> Path:
    """``path`` as messages and outputs show it: relative to the working folder when inside it.

    In a checkout ``scenarios/healthy.yaml``; elsewhere the installed file's full path.
    """
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def bundled_names(kind: str = "scenario") -> list[str]:
    """Names of the bundled inputs of ``kind`` (file stems), sorted."""
    folder = BUNDLED_FOLDER / KINDS[kind]
    return sorted(p.stem for p in folder.glob("*.yaml") if p.is_file())


def is_bare_name(text: str) -> bool:
    """A name such as ``healthy``: no folder separator, no suffix, not empty."""
    return bool(text) and os.sep not in text and "/" not in text and "." not in text


def resolve_argument(text: str, kind: str = "scenario") -> tuple[Path | None, Problem | None]:
    """The file a command-line argument names: a path as given, or a bundled name.

    Returns
    -------
    tuple
        ``(path, None)``, or ``(None, problem)`` for a bare name that names
        nothing, or both a local file and a bundled input. A path (with a
        folder or a suffix) is returned as given, existing or not.
    """
    path = Path(text)
    if not is_bare_name(text):
        return path, None  # a path: its reader says what is wrong with it
    bundled = BUNDLED_FOLDER / KINDS[kind] / f"{text}.yaml"
    exists = path.exists() or path.is_symlink()
    if exists and bundled.is_file():
        return None, Problem(text, None, "", (
            f"ambiguous: './{text}' in this folder and the bundled {kind} '{text}' "
            f"({bundled}); write './{text}' for the local one, or run from another folder "
            "for the bundled one"))
    if exists:
        return path, None
    if bundled.is_file():
        return shown(bundled), None
    names = bundled_names(kind)
    hint = suggest(text, names) or (f"; bundled {kind}s: {', '.join(names)}" if names else "")
    return None, Problem(text, None, "", f"no such file or folder, and no bundled {kind} of "
                         f"that name{hint}")
