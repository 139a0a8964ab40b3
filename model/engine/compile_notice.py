"""Whether the batch engine must be compiled before its first use, and what to say then.

The compiled kernels (:mod:`lbp_headache.engine.batch_kernel`) are cached on
disk; the first use after installing or updating lbp-headache compiles them
(measured: about 20 s per kernel on the development machine), which would
otherwise look like a hang. Commands print :data:`COMPILE_NOTICE` first when
:func:`kernels_to_compile` finds one missing from the cache.
"""

from __future__ import annotations

from pathlib import Path

COMPILE_NOTICE = ("compiling the engine once, about 20 s per kernel (later runs load it "
                  "from the cache) ...")
# The kernel for a handful of sets (single runs, the explorer), and for blocks (sweeps).
FEW_SETS_KERNEL = "integrate_few"
BLOCK_KERNEL = "integrate_block"


def kernels_to_compile(names: tuple[str, ...] = (FEW_SETS_KERNEL, BLOCK_KERNEL)) -> list[str]:
    """The kernels among ``names`` that have no compiled code in the cache yet.

    Uses numba's own reading of its cache index (which also rejects an index
    written for another version of the source); if that is unavailable, the
    presence of an index file.
    """
    import lbp_headache.engine.batch_kernel as batch_kernel  # lazy: loads numba

    missing = []
    for name in names:
        dispatcher = getattr(batch_kernel, name)
        try:
            cached = bool(dispatcher._cache._cache_file._load_index())
        except (AttributeError, OSError):  # numba's private API moved: look at the files
            cached = any(Path(batch_kernel.cache_folder()).rglob(f"*.{name}-*.nbi"))
        if not cached:
            missing.append(name)
    return missing
