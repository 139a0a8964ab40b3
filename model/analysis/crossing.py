"""When a trajectory first reaches a level, linear between output points."""

from __future__ import annotations

import numpy as np


def first_crossing(time: np.ndarray, values: np.ndarray, level, *,
                   falling: bool) -> np.ndarray:
    """The first time each row of ``values`` reaches ``level`` (NaN where it never does).

    ``values`` is (rows, points) on ``time``; ``level`` a number or one per row. A row
    that starts at the level gives ``time[0]``; otherwise the crossing is interpolated
    linearly between the last point short of the level and the first one at it.
    """
    time = np.asarray(time, dtype=float)
    values = np.atleast_2d(np.asarray(values, dtype=float))
    level = np.broadcast_to(np.asarray(level, dtype=float), values.shape[:1])
    reached = values <= level[:, None] if falling else values >= level[:, None]
    hit = reached.any(axis=1)
    k = np.argmax(reached, axis=1)
    rows = np.arange(values.shape[0])
    before = np.maximum(k - 1, 0)
    v0, v1 = values[rows, before], values[rows, k]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(v1 != v0, (level - v0) / (v1 - v0), 1.0)
    crossed = np.where(k == 0, time[0], time[before] + share * (time[k] - time[before]))
    return np.where(hit, crossed, np.nan)
