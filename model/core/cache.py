"""Where lbp-headache keeps caches: ``$LBP_HEADACHE_CACHE``, else ``$XDG_CACHE_HOME/lbp-headache``.

Two caches live there: numba's compiled batch engine (``numba/``, see
:mod:`lbp_headache.engine.batch_kernel`) and pint's parsed unit definitions
(``pint/``, :func:`lbp_headache.core.units.registry`). Both are loaded with
pickle, so the folder must be writable only by the user (docs/security.md).
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """The root folder of every cache (not created here)."""
    root = os.environ.get("LBP_HEADACHE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "lbp-headache")
    return Path(root)
