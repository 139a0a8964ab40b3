"""Checks of the arguments every sensitivity method takes (clear ValueErrors)."""

from __future__ import annotations

import numpy as np


def check_seed(seed) -> None:
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise ValueError(f"seed must be an integer or None; got {seed!r}")


def check_count(value, what: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{what} must be an integer; got {value!r}")
    if value < minimum:
        raise ValueError(f"{what} must be at least {minimum}; got {value}")
    return int(value)


def check_outputs(outputs, expected: int, what: str) -> np.ndarray:
    """``outputs`` as a finite float vector of length ``expected``, else a clear ValueError."""
    y = np.asarray(outputs, dtype=float)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.size != expected:
        raise ValueError(f"outputs must be a vector with one value per row of the design, "
                         f"{what} = {expected} values; got shape {y.shape}")
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size:
        first = ", ".join(str(int(i)) for i in bad[:5]) + (", ..." if bad.size > 5 else "")
        raise ValueError(f"{bad.size} of {y.size} outputs are not finite (NaN or inf), at rows "
                         f"{first}; every row of the design needs a finite output: fix the "
                         f"failing evaluations (or narrow the ranges) and analyze again")
    return y


def check_confidence(confidence_level: float, n_resamples) -> int:
    if not 0.0 < confidence_level < 1.0:
        raise ValueError(f"confidence_level must be in (0, 1); got {confidence_level}")
    return check_count(n_resamples, "n_resamples", 0)


