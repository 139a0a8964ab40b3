"""Morris elementary effects: global screening by one-at-a-time steps along random trajectories.

``mu_star`` ranks influence and ``sigma`` flags non-linearity or
interactions. Cost: ``trajectories * (d + 1)`` evaluations. Verbs:
:func:`morris_sample`, then :func:`morris_analyze`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from lbp_headache.analysis.sensitivity.checks import (
    check_confidence,
    check_count,
    check_outputs,
    check_seed,
)
from lbp_headache.analysis.sensitivity.sobol import BOOTSTRAP_BATCH_ELEMENTS
from lbp_headache.analysis.space import ParameterSpace, readonly
from lbp_headache.files.json_data import jsonable

# --- Morris elementary effects -------------------------------------------------------


@dataclass(frozen=True, eq=False)
class MorrisDesign:
    """One-at-a-time trajectories on a ``levels``-point grid of the unit cube.

    Attributes
    ----------
    space
        The parameter space sampled.
    trajectories, levels, seed
        Design settings.
    delta
        Step in unit coordinates, ``levels / (2 (levels - 1))``.
    unit
        Shape ``(trajectories * (d + 1), d)``: the points in the unit cube;
        trajectory ``t`` is rows ``t (d + 1)`` to ``t (d + 1) + d``.
    X
        The same points in parameter units (what to evaluate).
    changed
        Shape ``(trajectories, d)``: the factor changed between point ``k``
        and point ``k + 1`` of each trajectory (a permutation of ``0 .. d-1``).
    step
        Shape ``(trajectories, d)``: that signed step in unit coordinates
        (``+delta`` or ``-delta``).
    """

    space: ParameterSpace
    trajectories: int
    levels: int
    seed: int | None
    delta: float
    unit: np.ndarray
    X: np.ndarray
    changed: np.ndarray
    step: np.ndarray

    @property
    def names(self) -> tuple[str, ...]:
        """Parameter names (the columns)."""
        return self.space.names

    @property
    def d(self) -> int:
        """Number of parameters."""
        return self.space.d

    @property
    def n_rows(self) -> int:
        """Number of evaluations, ``trajectories * (d + 1)``."""
        return self.trajectories * (self.d + 1)

    def stacked(self) -> np.ndarray:
        """All rows to evaluate, trajectory after trajectory (same as ``X``)."""
        return self.X


def morris_sample(space: ParameterSpace, trajectories: int, levels: int = 4,
                  seed: int | None = 0) -> MorrisDesign:
    """Morris design: ``trajectories`` random one-at-a-time paths of ``d + 1`` points.

    Each trajectory starts at a random grid point ``x*`` of the ``levels``-point
    grid ``{0, 1/(p-1), ..., 1}^d`` (with ``x* + delta`` still on the grid),
    then changes the factors one at a time, in a random order, each by
    ``+delta`` or ``-delta`` (a random direction per factor), with
    ``delta = p / (2 (p - 1))`` (Morris 1991; the ``B*`` construction of
    Campolongo et al. 2007 without the optimized selection of trajectories).

    Parameters
    ----------
    space
        Parameters and their ranges (log-scale parameters are stepped in log space).
    trajectories
        Number of trajectories ``r`` (at least 2; 10 to 50 is typical).
    levels
        Grid levels ``p``, even (4 is the classic choice).
    seed
        Seed of ``numpy.random.default_rng`` (``None`` for fresh entropy).

    Returns
    -------
    MorrisDesign
        Evaluate :meth:`MorrisDesign.stacked` (``trajectories * (d + 1)`` rows).

    References
    ----------
    Morris, M. D. (1991). Factorial sampling plans for preliminary
    computational experiments. Technometrics 33(2), 161-174.
    Campolongo, F., Cariboni, J. and Saltelli, A. (2007). An effective
    screening design for sensitivity analysis of large models. Environmental
    Modelling & Software 22(10), 1509-1518.
    """
    trajectories = check_count(trajectories, "trajectories", 2)
    levels = check_count(levels, "levels", 2)
    if levels % 2:
        raise ValueError(f"levels must be even so that delta = p/(2(p-1)) lands on the grid; "
                         f"got {levels}: use {levels - 1 if levels > 3 else 4} or {levels + 1}")
    check_seed(seed)
    d = space.d
    rng = np.random.default_rng(seed)
    delta = levels / (2.0 * (levels - 1))
    base = rng.integers(0, levels // 2, size=(trajectories, d)) / (levels - 1)
    signs = rng.choice(np.array([-1.0, 1.0]), size=(trajectories, d))
    changed = np.argsort(rng.random((trajectories, d)), axis=1)
    rows = np.arange(trajectories)
    step = signs[rows[:, np.newaxis], changed] * delta
    points = np.empty((trajectories, d + 1, d))
    points[:, 0] = base + (signs < 0) * delta
    for k in range(d):
        points[:, k + 1] = points[:, k]
        points[rows, k + 1, changed[:, k]] += step[:, k]
    unit = np.clip(points.reshape(-1, d), 0.0, 1.0)
    return MorrisDesign(space, trajectories, levels, seed, delta, readonly(unit),
                        readonly(space.from_unit(unit)), readonly(changed), readonly(step))


@dataclass(frozen=True, eq=False)
class MorrisResult:
    """Morris screening measures per parameter.

    Attributes
    ----------
    names
        Parameter names.
    mu
        Mean elementary effect (signed; effects of opposite sign cancel).
    mu_star
        Mean absolute elementary effect: overall influence (Campolongo 2007).
    sigma
        Standard deviation of the elementary effects (``ddof=1``): non-linearity
        or interactions with other parameters.
    mu_star_ci
        ``(low, high)`` percentile bootstrap interval of ``mu_star``
        (resampling trajectories; NaN when ``n_resamples`` is 0).
    elementary_effects
        Shape ``(trajectories, d)``: ``(f(x + step e_i) - f(x)) / step``, step
        in unit coordinates, i.e. the output change per full range of the
        parameter.
    trajectories, levels, delta
        Design settings.
    confidence_level, n_resamples, seed
        Bootstrap settings.
    """

    names: tuple[str, ...]
    mu: np.ndarray
    mu_star: np.ndarray
    sigma: np.ndarray
    mu_star_ci: tuple[np.ndarray, np.ndarray]
    elementary_effects: np.ndarray
    trajectories: int
    levels: int
    delta: float
    confidence_level: float
    n_resamples: int
    seed: int | None

    def as_rows(self) -> list[dict]:
        """One dict per parameter (columns of a CSV file; NaN as ``None``)."""
        return [{"parameter": name, "mu": jsonable(float(self.mu[i])),
                 "mu_star": jsonable(float(self.mu_star[i])),
                 "mu_star_low": jsonable(float(self.mu_star_ci[0][i])),
                 "mu_star_high": jsonable(float(self.mu_star_ci[1][i])),
                 "sigma": jsonable(float(self.sigma[i]))}
                for i, name in enumerate(self.names)]

    def to_dict(self) -> dict:
        """Plain-JSON form (NaN as ``None``)."""
        return jsonable({
            "method": "morris", "names": list(self.names), "trajectories": self.trajectories,
            "levels": self.levels, "delta": self.delta,
            "evaluations": self.trajectories * (len(self.names) + 1),
            "confidence_level": self.confidence_level, "n_resamples": self.n_resamples,
            "seed": self.seed, "mu": self.mu, "mu_star": self.mu_star,
            "mu_star_low": self.mu_star_ci[0], "mu_star_high": self.mu_star_ci[1],
            "sigma": self.sigma,
        })


def morris_analyze(design: MorrisDesign, outputs, *, confidence_level: float = 0.95,
                   n_resamples: int = 1000, seed: int | None = 0) -> MorrisResult:
    """Elementary effects and their summaries ``mu``, ``mu_star`` and ``sigma``.

    Parameters
    ----------
    design
        The :class:`MorrisDesign` evaluated.
    outputs
        One output per row of :meth:`MorrisDesign.stacked`, in that order.
    confidence_level
        Level of the bootstrap interval of ``mu_star``.
    n_resamples
        Bootstrap resamples of the trajectories (0 skips the interval).
    seed
        Seed of the bootstrap (``None`` for fresh entropy).

    Returns
    -------
    MorrisResult
        Elementary effects in unit-cube coordinates: for a linear output
        ``sum c_i x_i`` (linear scales) ``mu_star_i = |c_i| (high_i - low_i)``
        and ``sigma_i = 0``.

    Raises
    ------
    ValueError
        If the outputs have the wrong length or are not all finite.

    References
    ----------
    Morris (1991), Technometrics 33(2), 161-174 (elementary effects, mu, sigma).
    Campolongo et al. (2007), Environmental Modelling & Software 22(10),
    1509-1518 (mu_star).
    """
    n_resamples = check_confidence(confidence_level, n_resamples)
    check_seed(seed)
    r, d = design.trajectories, design.d
    y = check_outputs(outputs, r * (d + 1), f"trajectories*(d+1) = {r}*({d}+1)")
    differences = np.diff(y.reshape(r, d + 1), axis=1) / design.step
    effects = np.empty((r, d))
    effects[np.arange(r)[:, np.newaxis], design.changed] = differences
    magnitude = np.abs(effects)
    low = np.full(d, np.nan)
    high = np.full(d, np.nan)
    if n_resamples > 0:
        rng = np.random.default_rng(seed)
        # Resamples in batches of bounded size (the same draws, in order, as one big draw).
        batch = max(1, BOOTSTRAP_BATCH_ELEMENTS // (r * d))
        boot = np.empty((n_resamples, d))
        for lo in range(0, n_resamples, batch):
            hi = min(lo + batch, n_resamples)
            picks = rng.integers(0, r, size=(hi - lo, r))
            boot[lo:hi] = magnitude[picks].mean(axis=1)
        alpha = (1.0 - confidence_level) / 2.0
        low, high = np.quantile(boot, [alpha, 1.0 - alpha], axis=0)
    return MorrisResult(
        names=design.names, mu=readonly(effects.mean(axis=0)),
        mu_star=readonly(magnitude.mean(axis=0)), sigma=readonly(effects.std(axis=0, ddof=1)),
        mu_star_ci=(readonly(low), readonly(high)), elementary_effects=readonly(effects),
        trajectories=r, levels=design.levels, delta=design.delta,
        confidence_level=float(confidence_level), n_resamples=n_resamples, seed=seed)


