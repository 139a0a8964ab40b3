"""numba's on-disk cache for compiled loops, keyed by every source file they compile.

numba's own cache notices a change to the file that holds a compiled function,
but not to the files whose functions it inlines (the equations, ``fast_math``).
Compiled loops are therefore decorated inside :func:`numba_cache_for`, which
points numba at a folder named after a hash of all those files and numba's
version, under :func:`lbp_headache.core.cache.cache_root`: an edit anywhere
compiles afresh; nothing stale is ever loaded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numba
from lbp_headache.core.cache import cache_root


def cache_folder(paths: tuple[Path, ...]) -> Path:
    """The cache folder of code compiled from ``paths``."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).read_bytes())
    digest.update(numba.__version__.encode())
    return cache_root() / "numba" / digest.hexdigest()[:16]


@contextmanager
def numba_cache_for(*paths: Path) -> Iterator[Path]:
    """Decorate compiled functions in this block with their cache in :func:`cache_folder`."""
    folder = cache_folder(tuple(paths))
    previous = numba.config.CACHE_DIR
    numba.config.CACHE_DIR = str(folder)
    try:
        yield folder
    finally:
        numba.config.CACHE_DIR = previous
