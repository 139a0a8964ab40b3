"""A progress bar with the time left, for long commands on a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable


def terminal_progress(stream=None) -> Callable[[int, int, float], None] | None:
    """A progress bar with the time left, on a terminal; ``None`` (quiet) otherwise."""
    stream = stream or sys.stderr
    if not (hasattr(stream, "isatty") and stream.isatty()):
        return None

    baseline: list[int] = []  # sets already done at the first call (reused by --resume)

    def show(done: int, total: int, elapsed: float) -> None:
        if not baseline:
            baseline.append(done)
        fraction = done / total if total else 1.0
        width = 30
        bar = "#" * int(fraction * width) + "-" * (width - int(fraction * width))
        new = done - baseline[0]
        eta = ""
        if 0 < fraction < 1 and elapsed > 0 and new > 0:
            eta = f", about {_duration(elapsed / new * (total - done))} left"
        stream.write(f"\r[{bar}] {done:,}/{total:,} sets{eta}   ")
        if done >= total:
            stream.write("\n")
        stream.flush()

    return show


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"




