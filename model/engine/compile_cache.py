"""numba's on-disk cache for compiled loops, keyed by every source file they compile.

numba's own cache notices a change to the file that holds a compiled function,
but not to the files whose functions it inlines (the equations, ``fast_math``).
Compiled loops are therefore decorated inside :func:`numba_cache_for`, which
points numba at a folder named after a hash of all those files and numba's
version, under :func:`lbp_headache.core.cache.cache_root`, and of the two
modules whose constants compiled code freezes in (the parameter and state
indices): an edit anywhere compiles afresh; nothing stale is ever loaded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numba
from lbp_headache.core import calibrated, parameters, states
from lbp_headache.core.cache import cache_root

# Compiled code freezes the module-level constants it reads (every parameter's and state's
# index) into the machine code: a change to the modules that define them must compile
# afresh even when no compiled source changed, or the engine would read a parameter at its
# old index. Every cache folder is therefore keyed by these files as well (the calibrated
# defaults too: cheap insurance should a kernel ever read a default value as a constant).
FROZEN_CONSTANTS = (Path(parameters.__file__), Path(states.__file__),
                    Path(calibrated.__file__))


def cache_folder(paths: tuple[Path, ...]) -> Path:
    """The cache folder of code compiled from ``paths`` (and :data:`FROZEN_CONSTANTS`)."""
    digest = hashlib.sha256()
    for path in (*paths, *FROZEN_CONSTANTS):
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
