"""Input profiles (lumbar pain, disc degeneration, ergonomic load) as data.

Every profile is a sequence of linear *pieces* ``(start, end, value_start,
value_end)`` that tile ``[0, inf)``; the last piece is constant and open-ended.
Values are right-continuous: at a jump the new value holds from the jump time
on. The piece boundaries are *breakpoints*: the solver restarts there, so
within one integration segment every input is exactly linear in time.

Constructors: :func:`constant`, :func:`from_points` (ramps with ``linear``,
steps with ``step``), :func:`flares` and :func:`natural_history`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Piece = tuple[float, float, float, float]

# Menezes Costa et al. 2012, CMAJ 184:E613: mean pain (0-100) at baseline,
# 6, 26 and 52 weeks, converted to the 0-10 scale. Between the published time
# points the course is interpolated linearly; after 52 weeks it stays level.
NATURAL_HISTORY: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "acute_recovering": ((0.0, 42.0, 182.0, 364.0), (5.2, 2.3, 1.2, 0.6)),
    "persistent": ((0.0, 42.0, 182.0, 364.0), (5.1, 3.3, 2.6, 2.3)),
}


@dataclass(frozen=True)
class Profile:
    """A piecewise-linear input on ``[0, inf)`` (see the module docstring)."""

    pieces: tuple[Piece, ...]

    def __post_init__(self):
        if not self.pieces:
            raise ValueError("a profile needs at least one piece")
        if self.pieces[0][0] != 0.0 or not math.isinf(self.pieces[-1][1]):
            raise ValueError("profile pieces must tile [0, inf)")
        for (a0, a1, _, _), (b0, _, _, _) in zip(self.pieces, self.pieces[1:]):
            if a1 != b0 or not a0 < a1:
                raise ValueError("profile pieces must be contiguous and increasing")

    @property
    def breakpoints(self) -> tuple[float, ...]:
        """Start times of the pieces after the first (where value or slope may change)."""
        return tuple(piece[0] for piece in self.pieces[1:])

    def _piece_at(self, t: float) -> Piece:
        starts = [piece[0] for piece in self.pieces]
        return self.pieces[int(np.searchsorted(starts, t, side="right")) - 1]

    def linear_at(self, t: float) -> tuple[float, float]:
        """Value (right limit) and slope at ``t``, for the segment starting at ``t``."""
        start, end, v0, v1 = self._piece_at(t)
        slope = 0.0 if math.isinf(end) else (v1 - v0) / (end - start)
        return v0 + slope * (t - start), slope

    def __call__(self, times) -> np.ndarray:
        """Evaluate the profile at ``times`` (right-continuous).

        The same arithmetic as :meth:`linear_at`, for all times at once (the
        explorer evaluates three profiles on every day of a run for each slider
        move: a loop over days took 20 ms of it).
        """
        times = np.asarray(times, dtype=float)
        table = np.array(self.pieces, dtype=float)
        start, end, v0, v1 = table.T
        which = np.searchsorted(start, times, side="right") - 1
        open_ended = np.isinf(end)
        with np.errstate(invalid="ignore"):
            slope = np.where(open_ended, 0.0, (v1 - v0) / np.where(open_ended, 1.0, end - start))
        return v0[which] + slope[which] * (times - start[which])

    @property
    def max_value(self) -> float:
        return max(max(piece[2], piece[3]) for piece in self.pieces)

    @property
    def min_value(self) -> float:
        return min(min(piece[2], piece[3]) for piece in self.pieces)


def constant(value: float) -> Profile:
    """A constant profile."""
    return Profile(((0.0, math.inf, float(value), float(value)),))


def from_points(times, values, kind: str = "linear") -> Profile:
    """Profile through ``(time, value)`` points.

    ``kind="linear"`` interpolates linearly (a ramp); a repeated time makes a
    jump. ``kind="step"`` holds each value until the next time. Before the
    first point the first value holds; after the last point the last value.

    Raises
    ------
    ValueError
        If times are negative or decrease, or lengths differ.
    """
    times = [float(t) for t in times]
    values = [float(v) for v in values]
    if len(times) != len(values) or not times:
        raise ValueError("times and values must be non-empty and of equal length")
    if any(t < 0 for t in times) or any(b < a for a, b in zip(times, times[1:])):
        raise ValueError("times must be non-negative and non-decreasing")
    if kind not in ("linear", "step"):
        raise ValueError(f"unknown interpolation kind {kind!r}")
    pieces: list[Piece] = []
    if times[0] > 0.0:
        pieces.append((0.0, times[0], values[0], values[0]))
    for i in range(len(times) - 1):
        a, b = times[i], times[i + 1]
        if b == a:
            continue  # a jump: the next piece starts at the same time with the new value
        end_value = values[i + 1] if kind == "linear" else values[i]
        pieces.append((a, b, values[i], end_value))
    pieces.append((times[-1], math.inf, values[-1], values[-1]))
    return Profile(_merge(tuple(pieces)))


def _merge(pieces: tuple[Piece, ...]) -> tuple[Piece, ...]:
    """Join adjacent pieces that continue the same line (fewer solver restarts)."""
    merged: list[Piece] = [pieces[0]]
    for piece in pieces[1:]:
        a0, a1, av0, av1 = merged[-1]
        b0, b1, bv0, bv1 = piece
        same_constant = av0 == av1 == bv0 == bv1
        if same_constant:
            merged[-1] = (a0, b1, av0, bv1)
        else:
            merged.append(piece)
    return tuple(merged)


def flares(baseline: float, peak: float, *, first: float, every: float, length: float,
           until: float) -> Profile:
    """Recurring flares: ``peak`` for ``length`` days every ``every`` days from ``first``.

    Between flares the value is ``baseline``; no flare starts at or after ``until``.

    Raises
    ------
    ValueError
        If ``length`` is not shorter than ``every`` or any time is negative.
    """
    if not (0 < length < every) or first < 0 or until <= first:
        raise ValueError("need 0 < length < every, first >= 0 and until > first")
    times: list[float] = []
    values: list[float] = []
    start = first
    while start < until:
        times += [start, start + length]
        values += [peak, baseline]
        start += every
    pieces: list[Piece] = []
    previous = 0.0
    current = baseline
    for t, v in zip(times, values):
        if t > previous:
            pieces.append((previous, t, current, current))
        previous, current = t, v
    pieces.append((previous, math.inf, current, current))
    return Profile(tuple(pieces))


def natural_history(course: str, scale: float = 1.0) -> Profile:
    """Published natural-history course of LBP (Menezes Costa et al. 2012), times ``scale``.

    Raises
    ------
    ValueError
        For an unknown course (see :data:`NATURAL_HISTORY`).
    """
    try:
        times, values = NATURAL_HISTORY[course]
    except KeyError:
        raise ValueError(f"unknown natural-history course {course!r}") from None
    return from_points(times, [scale * v for v in values], kind="linear")
