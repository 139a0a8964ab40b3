"""Integrate the model over its segments (the only module that imports scipy.integrate).

The cytokines clear in minutes to hours while sensitization takes months
(stiffness ratio of several thousand), so an implicit or automatically
switching method is used. The solver restarts at every segment boundary,
so treatment starts and stops and steps in a profile are resolved exactly.

A segment shorter than :data:`SHORT_SEGMENT` times ``max(1, end)`` days
(boundaries of different inputs that coincide up to rounding) is crossed by
one explicit Euler step instead: LSODA stalls on a segment of 1e-170 days and
fails ("illegal input") on one of a few rounding units (3e-14 days at day
100). The Euler step's error is about ``(length rate)^2 / 2`` of a state's
range, ``rate`` being the fastest relaxation rate (about 100/day at the
shortest TNF half-life): below 5e-9 of the range for runs up to 1000 days,
where the threshold is 1e-6 days (under 0.1 s). (The batch kernel takes one
ordinary exponential step across such a segment, and stretches a step that
would leave a remainder shorter than this to the segment end.)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from lbp_headache.core.equations import rhs, rhs_at
from lbp_headache.core.errors import SolverError
from lbp_headache.core.states import N_STATES, STATES
from lbp_headache.engine.schedule import Segment
from scipy.integrate import solve_ivp

METHODS = ("LSODA", "BDF", "Radau")
SHORT_SEGMENT = 1e-9  # relative length (of max(1, end) days) crossed by one Euler step


@dataclass(frozen=True)
class SolverSettings:
    """Integrator settings (recorded in every output's provenance).

    ``range_tolerance`` is how far (absolute, scaled by the bound where it
    exceeds 1) a state may stray outside its physical range through
    integration error before the run fails; smaller excursions are clipped.
    A looser ``rtol`` widens it to ``10 * rtol``: the integrator's own error
    at that tolerance overshoots a bound by about ``rtol`` (measured: 1.16e-6
    for an effect state relaxing onto its bound of 1 at rtol 1e-6).
    """

    method: str = "LSODA"
    rtol: float = 1e-8
    atol: float = 1e-10
    range_tolerance: float = 1e-6

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}")
        if not (0 < self.rtol < 1 and 0 < self.atol):
            raise ValueError("need 0 < rtol < 1 and atol > 0")

    def as_dict(self) -> dict:
        return asdict(self)


REFERENCE_SETTINGS = SolverSettings(method="Radau", rtol=1e-10, atol=1e-12)

_LOWER = np.array([s.low for s in STATES])
_UPPER = np.array([s.high for s in STATES])


def integrate(segments: list[Segment], y0: np.ndarray, times: np.ndarray,
              settings: SolverSettings = SolverSettings()) -> np.ndarray:
    """States at ``times`` (sorted, within the simulated span), shape ``(len(times), n_states)``.

    A segment shorter than :data:`SHORT_SEGMENT` ``* max(1, end)`` days takes
    one explicit Euler step (module docstring), also for the times inside it.

    Raises
    ------
    SolverError
        If the integrator fails, or a state leaves its physical range by more
        than ``settings.range_tolerance``; the error names the time and state.
    """
    times = np.asarray(times, dtype=float)
    out = np.empty((times.size, y0.size))
    y = np.array(y0, dtype=float)
    _check_range(y[None, :], np.array([segments[0].start]), settings)
    last = len(segments) - 1
    for k, segment in enumerate(segments):
        upper = "right" if k == last else "left"
        lo = np.searchsorted(times, segment.start, side="left")
        hi = np.searchsorted(times, segment.end, side=upper)
        wanted = times[lo:hi]
        # Always evaluate at the segment end too: it is the next segment's start.
        needs_end = not (wanted.size and wanted[-1] == segment.end)
        t_eval = np.append(wanted, segment.end) if needs_end else wanted
        if segment.end - segment.start < SHORT_SEGMENT * max(1.0, abs(segment.end)):
            slope = rhs(segment.start, y, segment.parameters, segment.inputs)
            values = y + (t_eval - segment.start)[:, None] * slope
        else:
            solution = solve_ivp(
                _float_rhs(segment.parameters, segment.inputs), (segment.start, segment.end),
                y, method=settings.method, t_eval=t_eval, rtol=settings.rtol,
                atol=settings.atol,
            )
            if not solution.success:
                # solution.t is an empty list when the solver failed before any output.
                t_fail = float(solution.t[-1]) if len(solution.t) else segment.start
                raise SolverError(f"integration failed: {solution.message}", time=t_fail)
            values = solution.y.T
        _check_range(values, t_eval, settings)
        out[lo:hi] = values[: wanted.size]
        y = np.clip(values[-1], _LOWER, _UPPER)
    return np.clip(out, _LOWER, _UPPER)


def _float_rhs(parameters: np.ndarray, inputs: np.ndarray):
    """:func:`rhs` of one segment on Python floats: the same IEEE arithmetic, so the same
    numbers bit for bit (tested), without indexing numpy arrays one scalar at a time. The
    integrator calls it about 2,000 times per simulated year; over the bundled scenarios
    a single run takes 23 % less time (1.79 s -> 1.38 s for all 17)."""
    p = parameters.tolist()
    u = inputs.tolist()
    out = [0.0] * N_STATES

    def fun(t: float, y: np.ndarray) -> np.ndarray:
        rhs_at(float(t), y.tolist(), 0, p, 0, u, 0, out, 0, 1)
        return np.array(out)

    return fun


def _check_range(values: np.ndarray, times: np.ndarray, settings: SolverSettings) -> None:
    """Raise :class:`SolverError` at the first row of ``values`` outside the physical ranges."""
    tol = max(settings.range_tolerance, 10.0 * settings.rtol)
    bad = ~np.isfinite(values)
    bad |= values < _LOWER - tol * np.maximum(1.0, np.abs(_LOWER))
    bad |= values > _UPPER + tol * np.maximum(1.0, np.abs(_UPPER))
    if not bad.any():
        return
    row, column = np.argwhere(bad)[0]
    state = STATES[column]
    value = values[row, column]
    message = (
        "state is not finite" if not np.isfinite(value)
        else f"state left its physical range [{state.low:g}, {state.high:g}] with value {value:.6g}"
    )
    raise SolverError(message, time=float(times[row]), state=state.name)
