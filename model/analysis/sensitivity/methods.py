"""Global and local sensitivity analysis of any function of a parameter matrix.

Nothing here knows the ODE model: every method is a pair of verbs in the
style of SALib, without depending on it.

1. ``*_sample`` builds a design, a matrix of parameter sets (one row per set,
   one column per parameter, in parameter units);
2. the caller evaluates its output for every row (in one batch if it likes);
3. ``*_analyze`` turns the design and the vector of outputs into indices.

Three methods, from the most to the least expensive:

- **Sobol'** (variance based, global): the share of the output variance due to
  each parameter alone (first order) and including all its interactions (total
  order), with Saltelli's 2010 sampling scheme and estimators, computed by
  :func:`scipy.stats.sobol_indices`, and bootstrap confidence intervals.
  Cost: ``n * (d + 2)`` evaluations, ``n`` a power of two.
- **Morris** elementary effects (screening, global): one-at-a-time steps along
  random trajectories on a grid; ``mu_star`` ranks influence and ``sigma``
  flags non-linearity or interactions. Cost: ``trajectories * (d + 1)``.
- **Local** normalized sensitivities (elasticities) at one parameter set: the %
  change of the output per % change of each parameter. Cost: ``2 d + 1``.

Every design has ``stacked()`` (the matrix to evaluate, rows in the order the
analysis expects); every result has ``names``, ``as_rows()`` (one dict per
parameter, for CSV) and ``to_dict()`` (plain JSON types, NaN as ``None``).
The same seed gives the same design and the same confidence intervals, bit for
bit (for the same numpy and scipy versions).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "LocalDesign", "LocalResult", "MorrisDesign", "MorrisResult", "ParameterSpace",
    "SobolDesign", "SobolResult", "local_analyze", "local_sample", "morris_analyze",
    "morris_sample", "sobol_analyze", "sobol_sample",
]

# Relative size below which the output variance counts as zero (constant output).
CONSTANT_TOLERANCE = 1e-13
# Budget of array elements per bootstrap batch (bounds the memory of the BCa jackknife).
BOOTSTRAP_BATCH_ELEMENTS = 2**20


# --- helpers -------------------------------------------------------------------------


def _readonly(values: np.ndarray) -> np.ndarray:
    values = np.array(values, dtype=values.dtype)
    values.setflags(write=False)
    return values


def _vector(values, d: int, what: str, dtype=float) -> np.ndarray:
    array = np.asarray(values, dtype=dtype)
    if array.shape != (d,):
        raise ValueError(f"{what} must have one value per parameter, shape ({d},); "
                         f"got shape {array.shape}")
    return array


def _plain(value):
    """``value`` as plain JSON types: arrays to lists, numpy scalars to Python, NaN to None."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _check_seed(seed) -> None:
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise ValueError(f"seed must be an integer or None; got {seed!r}")


def _check_count(value, what: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{what} must be an integer; got {value!r}")
    if value < minimum:
        raise ValueError(f"{what} must be at least {minimum}; got {value}")
    return int(value)


def _check_outputs(outputs, expected: int, what: str) -> np.ndarray:
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


def _check_confidence(confidence_level: float, n_resamples) -> int:
    if not 0.0 < confidence_level < 1.0:
        raise ValueError(f"confidence_level must be in (0, 1); got {confidence_level}")
    return _check_count(n_resamples, "n_resamples", 0)


# --- the parameter space -------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ParameterSpace:
    """Independent uniform (or log-uniform) ranges of ``d`` named parameters.

    Attributes
    ----------
    names
        Parameter names, one per column of every design.
    low, high
        Bounds, shape ``(d,)``, ``low < high`` and finite.
    log_scale
        Boolean per parameter, shape ``(d,)``: sample log-uniformly (needs
        ``low > 0``). ``None`` means linear everywhere.
    """

    names: tuple[str, ...]
    low: np.ndarray
    high: np.ndarray
    log_scale: np.ndarray | None = None

    def __post_init__(self) -> None:
        names = tuple(str(name) for name in self.names)
        d = len(names)
        if d == 0:
            raise ValueError("a parameter space needs at least one parameter")
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"parameter names must be unique; repeated: {', '.join(repeated)}")
        low = _vector(self.low, d, "low")
        high = _vector(self.high, d, "high")
        log = np.zeros(d, dtype=bool) if self.log_scale is None else _vector(
            self.log_scale, d, "log_scale", dtype=bool)
        problems = []
        for i, name in enumerate(names):
            if not (math.isfinite(low[i]) and math.isfinite(high[i])):
                problems.append(f"{name}: bounds must be finite, got [{low[i]}, {high[i]}]")
            elif not low[i] < high[i]:
                problems.append(f"{name}: low must be below high, got [{low[i]}, {high[i]}]")
            elif log[i] and low[i] <= 0.0:
                problems.append(f"{name}: a log scale needs low > 0, got low = {low[i]}")
        if problems:
            raise ValueError("invalid parameter space: " + "; ".join(problems))
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "low", _readonly(low))
        object.__setattr__(self, "high", _readonly(high))
        object.__setattr__(self, "log_scale", _readonly(log))

    @classmethod
    def from_bounds(cls, bounds: Mapping[str, tuple[float, float]],
                    log_scale: Iterable[str] = ()) -> ParameterSpace:
        """Space from ``{name: (low, high)}``; ``log_scale`` names the log-uniform ones."""
        log_names = set(log_scale)
        unknown = sorted(log_names - set(bounds))
        if unknown:
            raise ValueError(f"log_scale names parameters without bounds: {', '.join(unknown)}")
        names = tuple(bounds)
        return cls(names, np.array([bounds[n][0] for n in names], dtype=float),
                   np.array([bounds[n][1] for n in names], dtype=float),
                   np.array([n in log_names for n in names], dtype=bool))

    @property
    def d(self) -> int:
        """Number of parameters."""
        return len(self.names)

    def _check_matrix(self, values, what: str) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        if values.ndim not in (1, 2) or values.shape[-1] != self.d:
            raise ValueError(f"{what} must have shape (n, {self.d}) (one column per parameter); "
                             f"got shape {values.shape}")
        return values

    def from_unit(self, unit) -> np.ndarray:
        """Map points of the unit cube, shape ``(n, d)``, to parameter values.

        Column ``i`` goes linearly to ``[low_i, high_i]``, or log-uniformly
        (``low * (high / low) ** u``) where ``log_scale``; results are clipped to
        the bounds so rounding never leaves them.
        """
        unit = self._check_matrix(unit, "unit samples")
        log_low, log_high = self._log_bounds()
        linear = self.low + unit * (self.high - self.low)
        logarithmic = np.exp(log_low + unit * (log_high - log_low))
        return np.clip(np.where(self.log_scale, logarithmic, linear), self.low, self.high)

    def to_unit(self, values) -> np.ndarray:
        """Inverse of :meth:`from_unit`: parameter values ``(n, d)`` to unit-cube coordinates."""
        values = self._check_matrix(values, "parameter values")
        log_low, log_high = self._log_bounds()
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.log(np.where(self.log_scale, values, 1.0))
        logarithmic = (logs - log_low) / (log_high - log_low)
        linear = (values - self.low) / (self.high - self.low)
        return np.where(self.log_scale, logarithmic, linear)

    def _log_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """``log(low)``, ``log(high)`` of the log-scale columns (0 and 1 elsewhere)."""
        log_low = np.where(self.log_scale, np.log(np.where(self.log_scale, self.low, 1.0)), 0.0)
        log_high = np.where(self.log_scale, np.log(np.where(self.log_scale, self.high, 1.0)), 1.0)
        return log_low, log_high

    def to_dict(self) -> dict:
        """Plain-JSON description: names, bounds and scales."""
        return {"names": list(self.names), "low": _plain(self.low), "high": _plain(self.high),
                "scale": ["log" if log else "linear" for log in self.log_scale]}


# --- Sobol' indices (Saltelli scheme) ------------------------------------------------


def _check_power_of_two(n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise ValueError(f"n must be an integer power of two (e.g. 256, 1024); got {n!r}")
    n = int(n)
    if n < 2:
        raise ValueError(f"n must be a power of two of at least 2 (e.g. 256, 1024); got {n}")
    if n & (n - 1):
        below = 1 << (n.bit_length() - 1)
        raise ValueError(f"n must be a power of two for the balance properties of Sobol' "
                         f"points; got {n}: use {below} or {2 * below}")
    return n


@dataclass(frozen=True, eq=False)
class SobolDesign:
    """Saltelli's sampling scheme: matrices A, B and the d mixed matrices AB.

    Attributes
    ----------
    space
        The parameter space sampled.
    n
        Base sample size (a power of two).
    seed
        Seed of the scrambled Sobol' sequence.
    A, B
        Two independent samples, shape ``(n, d)``, parameter units.
    AB
        Shape ``(d, n, d)``: ``AB[i]`` is ``A`` with column ``i`` taken from ``B``.
    """

    space: ParameterSpace
    n: int
    seed: int | None
    A: np.ndarray
    B: np.ndarray
    AB: np.ndarray

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
        """Number of evaluations, ``n * (d + 2)``."""
        return self.n * (self.d + 2)

    def stacked(self) -> np.ndarray:
        """All rows to evaluate, shape ``(n * (d + 2), d)``: A, B, AB[0], ..., AB[d-1].

        Row ``k * n + j`` is row ``j`` of block ``k`` (block 0 = A, 1 = B,
        ``2 + i`` = AB[i]); :func:`sobol_analyze` expects the outputs in this order.
        """
        return np.concatenate([self.A, self.B, *self.AB], axis=0)

    def split(self, outputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Outputs in stacked order back to ``f_A (n,)``, ``f_B (n,)`` and ``f_AB (d, n)``."""
        y = np.asarray(outputs, dtype=float).reshape(self.d + 2, self.n)
        return y[0], y[1], y[2:]


def sobol_sample(space: ParameterSpace, n: int, seed: int | None = 0) -> SobolDesign:
    """Saltelli design of ``n * (d + 2)`` parameter sets for Sobol' indices.

    Parameters
    ----------
    space
        Parameters and their ranges.
    n
        Base sample size, a power of two (the balance properties of Sobol'
        points need it); 2**8 to 2**12 is typical.
    seed
        Seed of the scrambled Sobol' sequence (``None`` for fresh entropy).

    Returns
    -------
    SobolDesign
        A and B are the first and last ``d`` columns of one scrambled
        ``scipy.stats.qmc.Sobol(2 d)`` sample (Saltelli et al. 2010, section 5),
        mapped with :meth:`ParameterSpace.from_unit`; evaluate
        :meth:`SobolDesign.stacked`.

    Raises
    ------
    ValueError
        If ``n`` is not a power of two (the message suggests the nearest ones).

    References
    ----------
    Saltelli, A., Annoni, P., Azzini, I., Campolongo, F., Ratto, M. and
    Tarantola, S. (2010). Variance based sensitivity analysis of model output.
    Design and estimator for the total sensitivity index. Computer Physics
    Communications 181(2), 259-270. doi:10.1016/j.cpc.2009.09.018
    """
    from scipy.stats import qmc

    n = _check_power_of_two(n)
    _check_seed(seed)
    d = space.d
    unit = qmc.Sobol(2 * d, scramble=True, seed=seed).random_base2(n.bit_length() - 1)
    A = space.from_unit(unit[:, :d])
    B = space.from_unit(unit[:, d:])
    AB = np.repeat(A[np.newaxis], d, axis=0)
    for i in range(d):
        AB[i, :, i] = B[:, i]
    return SobolDesign(space, n, seed, _readonly(A), _readonly(B), _readonly(AB))


@dataclass(frozen=True, eq=False)
class SobolResult:
    """First- and total-order Sobol' indices with bootstrap confidence intervals.

    Attributes
    ----------
    names
        Parameter names.
    first_order, total_order
        Indices, shape ``(d,)``: share of the output variance explained by the
        parameter alone / by the parameter and all its interactions.
    first_order_ci, total_order_ci
        ``(low, high)`` arrays of the bootstrap confidence intervals (NaN
        when ``n_resamples`` is 0).
    n
        Base sample size.
    confidence_level, n_resamples, seed, ci_method
        Bootstrap settings.
    mean, variance
        Mean and variance of the output over the A and B samples.
    """

    names: tuple[str, ...]
    first_order: np.ndarray
    total_order: np.ndarray
    first_order_ci: tuple[np.ndarray, np.ndarray]
    total_order_ci: tuple[np.ndarray, np.ndarray]
    n: int
    confidence_level: float
    n_resamples: int
    seed: int | None
    mean: float
    variance: float
    ci_method: str = "BCa"

    def as_rows(self) -> list[dict]:
        """One dict per parameter (columns of a CSV file; NaN as ``None``)."""
        keys = ("first_order", "first_order_low", "first_order_high",
                "total_order", "total_order_low", "total_order_high")
        columns = (self.first_order, *self.first_order_ci, self.total_order, *self.total_order_ci)
        return [{"parameter": name, **{k: _plain(float(c[i])) for k, c in zip(keys, columns)}}
                for i, name in enumerate(self.names)]

    def to_dict(self) -> dict:
        """Plain-JSON form (NaN as ``None``)."""
        return _plain({
            "method": "sobol", "estimator": "saltelli_2010", "names": list(self.names),
            "n": self.n, "evaluations": self.n * (len(self.names) + 2),
            "confidence_level": self.confidence_level, "n_resamples": self.n_resamples,
            "seed": self.seed, "ci_method": self.ci_method, "output_mean": self.mean,
            "output_variance": self.variance,
            "first_order": self.first_order, "first_order_low": self.first_order_ci[0],
            "first_order_high": self.first_order_ci[1], "total_order": self.total_order,
            "total_order_low": self.total_order_ci[0], "total_order_high": self.total_order_ci[1],
        })


def _saltelli_core(f_A, f_B, f_AB):
    """Saltelli 2010 estimators on centred outputs; returns first, total of shape ``(d, ...)``.

    ``f_A``, ``f_B`` have shape ``(..., n)`` and ``f_AB`` shape ``(d, ..., n)``:
    ``S_i = mean(f_B (f_AB_i - f_A)) / V`` (Table 2 (b)) and
    ``ST_i = mean((f_A - f_AB_i)^2) / (2 V)`` (Table 2 (f), Jansen), ``V`` the
    variance of the A and B outputs together.
    """
    variance = np.var(np.concatenate([f_A, f_B], axis=-1), axis=-1)
    first = np.mean(f_B * (f_AB - f_A), axis=-1) / variance
    total = 0.5 * np.mean((f_A - f_AB) ** 2, axis=-1) / variance
    return first, total


def _saltelli_2010(f_A, f_B, f_AB):
    """The estimator in the form :func:`scipy.stats.sobol_indices` takes as ``method``."""
    first, total = _saltelli_core(f_A, f_B, f_AB)
    return first.T, total.T


def sobol_analyze(design: SobolDesign | tuple[int, int], outputs, *,
                  names: Sequence[str] | None = None, confidence_level: float = 0.95,
                  n_resamples: int = 1000, seed: int | None = 0,
                  ci_method: str = "BCa") -> SobolResult:
    """First- and total-order Sobol' indices from the outputs of a Saltelli design.

    Parameters
    ----------
    design
        The :class:`SobolDesign` evaluated, or its ``(n, d)``.
    outputs
        One output per row of :meth:`SobolDesign.stacked`, shape ``(n * (d + 2),)``,
        in that order (A, B, AB[0], ..., AB[d-1]).
    names
        Parameter names when ``design`` is ``(n, d)`` (default ``x1 ... xd``).
    confidence_level
        Level of the bootstrap confidence intervals.
    n_resamples
        Bootstrap resamples (0 skips the intervals, which are then NaN).
    seed
        Seed of the bootstrap (``None`` for fresh entropy).
    ci_method
        ``"BCa"`` (default, as scipy's own ``SobolResult.bootstrap``) or
        ``"percentile"``. BCa needs a jackknife of ``n`` estimates, so its cost
        grows as ``n**2`` (about 2.5 s for ``n = 2**12``, ``d = 3``); the
        percentile interval costs only the resamples.

    Returns
    -------
    SobolResult
        Point estimates from :func:`scipy.stats.sobol_indices` (Saltelli 2010
        estimators, outputs centred by their mean); intervals from
        :func:`scipy.stats.bootstrap` (resampling the ``n`` base rows
        with the same estimator, as ``SobolResult.bootstrap`` of scipy does,
        but seeded). A parameter whose bootstrap distribution is a single value
        (no effect at all) gets that value as both bounds.

    Raises
    ------
    ValueError
        If the outputs have the wrong length, are not all finite, or are
        constant (zero variance: the indices are undefined).

    References
    ----------
    Saltelli et al. (2010), Computer Physics Communications 181(2), 259-270,
    doi:10.1016/j.cpc.2009.09.018 (design and estimators).
    Efron, B. (1987). Better bootstrap confidence intervals. Journal of the
    American Statistical Association 82(397), 171-185 (BCa intervals).
    """
    from scipy import stats

    if isinstance(design, SobolDesign):
        n, d = design.n, design.d
        names = design.names if names is None else tuple(names)
    else:
        n, d = design
        n = _check_power_of_two(n)
        d = _check_count(d, "d", 1)
        names = tuple(f"x{i + 1}" for i in range(d)) if names is None else tuple(names)
    if len(names) != d:
        raise ValueError(f"names must give one name per parameter ({d}); got {len(names)}")
    n_resamples = _check_confidence(confidence_level, n_resamples)
    _check_seed(seed)
    if ci_method not in ("BCa", "percentile"):
        raise ValueError(f"ci_method must be 'BCa' or 'percentile'; got {ci_method!r}")
    y = _check_outputs(outputs, n * (d + 2), f"n*(d+2) = {n}*({d}+2)")
    blocks = y.reshape(d + 2, n)
    mean = float(np.mean(blocks[:2]))
    variance = float(np.var(blocks[:2]))
    scale = float(np.max(np.abs(blocks[:2])))
    if np.ptp(blocks[:2]) == 0.0 or variance <= (CONSTANT_TOLERANCE * scale) ** 2:
        raise ValueError(f"the output is constant over the A and B samples (value {mean:.6g}, "
                         f"variance {variance:.3g}): Sobol' indices are undefined. The output "
                         f"does not respond to these parameters over these ranges; check the "
                         f"output and widen the ranges")
    centred = blocks - mean
    f_A, f_B, f_AB = centred[0], centred[1], centred[2:]
    # The output is passed twice (s = 2 outputs): scipy squeezes the (s, d) indices, and with
    # s = d = 1 the 0-d result breaks its own post-processing.
    twice = np.stack([f_A, f_A]), np.stack([f_B, f_B]), np.stack([f_AB, f_AB], axis=1)
    estimate = stats.sobol_indices(func=dict(zip(("f_A", "f_B", "f_AB"), twice)), n=n,
                                   method=_saltelli_2010)
    first = np.asarray(estimate.first_order, dtype=float).reshape(2, d)[0]
    total = np.asarray(estimate.total_order, dtype=float).reshape(2, d)[0]
    low = np.full((2, d), np.nan)
    high = np.full((2, d), np.nan)
    if n_resamples > 0:

        def statistic(index, axis=-1):
            # index: (..., n) resampled base rows; returns (2, d, ...).
            return np.stack(_saltelli_core(f_A[index], f_B[index], f_AB[:, index]))

        batch = max(1, min(n_resamples, BOOTSTRAP_BATCH_ELEMENTS // (n * (d + 2))))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", stats.DegenerateDataWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            boot = stats.bootstrap((np.arange(n),), statistic, n_resamples=n_resamples,
                                   batch=batch, confidence_level=confidence_level,
                                   method=ci_method, rng=np.random.default_rng(seed))
        low = np.array(boot.confidence_interval.low, dtype=float)
        high = np.array(boot.confidence_interval.high, dtype=float)
        distribution = boot.bootstrap_distribution
        single = np.ptp(distribution, axis=-1) == 0.0
        low[single] = distribution[..., 0][single]
        high[single] = distribution[..., 0][single]
    return SobolResult(
        names=names, first_order=_readonly(first), total_order=_readonly(total),
        first_order_ci=(_readonly(low[0]), _readonly(high[0])),
        total_order_ci=(_readonly(low[1]), _readonly(high[1])), n=n,
        confidence_level=float(confidence_level), n_resamples=n_resamples, seed=seed,
        mean=mean, variance=variance, ci_method=ci_method)


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
    trajectories = _check_count(trajectories, "trajectories", 2)
    levels = _check_count(levels, "levels", 2)
    if levels % 2:
        raise ValueError(f"levels must be even so that delta = p/(2(p-1)) lands on the grid; "
                         f"got {levels}: use {levels - 1 if levels > 3 else 4} or {levels + 1}")
    _check_seed(seed)
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
    return MorrisDesign(space, trajectories, levels, seed, delta, _readonly(unit),
                        _readonly(space.from_unit(unit)), _readonly(changed), _readonly(step))


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
        return [{"parameter": name, "mu": _plain(float(self.mu[i])),
                 "mu_star": _plain(float(self.mu_star[i])),
                 "mu_star_low": _plain(float(self.mu_star_ci[0][i])),
                 "mu_star_high": _plain(float(self.mu_star_ci[1][i])),
                 "sigma": _plain(float(self.sigma[i]))}
                for i, name in enumerate(self.names)]

    def to_dict(self) -> dict:
        """Plain-JSON form (NaN as ``None``)."""
        return _plain({
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
    n_resamples = _check_confidence(confidence_level, n_resamples)
    _check_seed(seed)
    r, d = design.trajectories, design.d
    y = _check_outputs(outputs, r * (d + 1), f"trajectories*(d+1) = {r}*({d}+1)")
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
        names=design.names, mu=_readonly(effects.mean(axis=0)),
        mu_star=_readonly(magnitude.mean(axis=0)), sigma=_readonly(effects.std(axis=0, ddof=1)),
        mu_star_ci=(_readonly(low), _readonly(high)), elementary_effects=_readonly(effects),
        trajectories=r, levels=design.levels, delta=design.delta,
        confidence_level=float(confidence_level), n_resamples=n_resamples, seed=seed)


# --- local normalized sensitivities --------------------------------------------------


@dataclass(frozen=True, eq=False)
class LocalDesign:
    """Finite-difference design around one parameter set ``x0``.

    Attributes
    ----------
    names
        Parameter names.
    x0
        The reference parameter set, shape ``(d,)``.
    rel_step
        Requested relative step ``h``.
    step
        Absolute step per parameter (``h |x0_i|``, or ``h (high - low)`` where
        ``x0_i = 0``; smaller where the bounds leave less room).
    scheme
        Per parameter ``"central"`` (rows ``x0 + step``, ``x0 - step``),
        ``"forward"`` (``x0 + step``, ``x0 + 2 step``; at a lower bound) or
        ``"backward"`` (``x0 - step``, ``x0 - 2 step``; at an upper bound).
    weights
        Shape ``(d, 3)``: the derivative is ``w0 y(x0) + w1 y(row 1 + 2i) +
        w2 y(row 2 + 2i)`` (second-order accurate three-point formulas, from
        the actual row values).
    X
        Shape ``(2 d + 1, d)``: ``x0``, then the two perturbed rows of each
        parameter in turn (what to evaluate).
    low, high
        Bounds respected by every row (infinite without a parameter space).
    """

    names: tuple[str, ...]
    x0: np.ndarray
    rel_step: float
    step: np.ndarray
    scheme: tuple[str, ...]
    weights: np.ndarray
    X: np.ndarray
    low: np.ndarray
    high: np.ndarray

    @property
    def d(self) -> int:
        """Number of parameters."""
        return len(self.names)

    @property
    def n_rows(self) -> int:
        """Number of evaluations, ``2 d + 1``."""
        return 2 * self.d + 1

    def stacked(self) -> np.ndarray:
        """All rows to evaluate (same as ``X``): x0, then two rows per parameter."""
        return self.X


def _three_point_weights(a: float, b: float) -> tuple[float, float, float]:
    """Weights of ``f(0), f(a), f(b)`` in the second-order estimate of ``f'(0)``."""
    return -(a + b) / (a * b), b / (a * (b - a)), -a / (b * (b - a))


def local_sample(space_or_names: ParameterSpace | Sequence[str], x0,
                 rel_step: float = 1e-3) -> LocalDesign:
    """Finite-difference design for derivatives and elasticities at ``x0``.

    Parameters
    ----------
    space_or_names
        A :class:`ParameterSpace` (rows stay within its bounds) or just the
        parameter names (unbounded).
    x0
        Reference values, shape ``(d,)``, within the bounds.
    rel_step
        Relative step ``h`` in (0, 0.5): rows ``x0_i (1 + h)`` and
        ``x0_i (1 - h)`` (central differences). Where ``x0_i = 0`` the step
        is ``h (high - low)`` (``h`` without bounds). Where a bound is closer
        than the step, the difference is one-sided (two steps inward).

    Returns
    -------
    LocalDesign
        Evaluate :meth:`LocalDesign.stacked` (``2 d + 1`` rows).
    """
    if isinstance(space_or_names, ParameterSpace):
        names, low, high = space_or_names.names, space_or_names.low, space_or_names.high
    else:
        names = tuple(str(name) for name in space_or_names)
        if not names or len(set(names)) != len(names):
            raise ValueError("names must be a non-empty sequence of unique parameter names")
        low, high = np.full(len(names), -np.inf), np.full(len(names), np.inf)
    d = len(names)
    x0 = _vector(x0, d, "x0")
    if not 0.0 < rel_step < 0.5:
        raise ValueError(f"rel_step must be in (0, 0.5); got {rel_step}")
    outside = [f"{names[i]} = {x0[i]:g} not in [{low[i]:g}, {high[i]:g}]" for i in range(d)
               if not (np.isfinite(x0[i]) and low[i] <= x0[i] <= high[i])]
    if outside:
        raise ValueError("x0 must be finite and within the bounds: " + "; ".join(outside))
    span = high - low
    step = np.where(x0 != 0.0, rel_step * np.abs(x0),
                    np.where(np.isfinite(span), rel_step * span, rel_step))
    X = np.repeat(x0[np.newaxis], 2 * d + 1, axis=0)
    weights = np.empty((d, 3))
    schemes = []
    for i in range(d):
        h = step[i]
        if x0[i] - h >= low[i] and x0[i] + h <= high[i]:
            scheme, offsets = "central", (h, -h)
        elif x0[i] + 2 * h <= high[i]:
            scheme, offsets = "forward", (h, 2 * h)
        elif x0[i] - 2 * h >= low[i]:
            scheme, offsets = "backward", (-h, -2 * h)
        elif high[i] - x0[i] >= x0[i] - low[i]:  # range narrower than the step: shrink it
            h = step[i] = (high[i] - x0[i]) / 2.0
            scheme, offsets = "forward", (h, 2 * h)
        else:
            h = step[i] = (x0[i] - low[i]) / 2.0
            scheme, offsets = "backward", (-h, -2 * h)
        for j, offset in enumerate(offsets):
            X[1 + 2 * i + j, i] = min(max(x0[i] + offset, low[i]), high[i])
        actual = X[1 + 2 * i: 3 + 2 * i, i] - x0[i]
        weights[i] = _three_point_weights(actual[0], actual[1])
        schemes.append(scheme)
    return LocalDesign(names, _readonly(x0), float(rel_step), _readonly(step), tuple(schemes),
                       _readonly(weights), _readonly(X), _readonly(np.asarray(low, float)),
                       _readonly(np.asarray(high, float)))


@dataclass(frozen=True, eq=False)
class LocalResult:
    """Derivatives and normalized sensitivities (elasticities) at ``x0``.

    Attributes
    ----------
    names
        Parameter names.
    x0, y0
        Reference parameter set and the output there.
    derivative
        ``dy/dp_i`` (output units per parameter unit).
    normalized
        ``S_i = (dy/dp_i) p_i / y``: % change of the output per % change of the
        parameter (NaN where ``y0 = 0``).
    step, scheme
        Finite-difference step and scheme per parameter (see :class:`LocalDesign`).
    notes
        Caveats in words (e.g. why a value is NaN).
    """

    names: tuple[str, ...]
    x0: np.ndarray
    y0: float
    derivative: np.ndarray
    normalized: np.ndarray
    step: np.ndarray
    scheme: tuple[str, ...]
    notes: tuple[str, ...] = ()

    def as_rows(self) -> list[dict]:
        """One dict per parameter (columns of a CSV file; NaN as ``None``)."""
        return [{"parameter": name, "value": _plain(float(self.x0[i])),
                 "derivative": _plain(float(self.derivative[i])),
                 "normalized_sensitivity": _plain(float(self.normalized[i])),
                 "step": _plain(float(self.step[i])), "scheme": self.scheme[i]}
                for i, name in enumerate(self.names)]

    def to_dict(self) -> dict:
        """Plain-JSON form (NaN as ``None``)."""
        return _plain({
            "method": "local", "names": list(self.names), "x0": self.x0, "output": self.y0,
            "derivative": self.derivative, "normalized_sensitivity": self.normalized,
            "step": self.step, "scheme": list(self.scheme), "notes": list(self.notes),
        })


def local_analyze(design: LocalDesign, outputs) -> LocalResult:
    """Derivatives and normalized sensitivities ``S_i = (dy/dp_i) p_i / y`` at ``x0``.

    Parameters
    ----------
    design
        The :class:`LocalDesign` evaluated.
    outputs
        One output per row of :meth:`LocalDesign.stacked` (``2 d + 1``), in that order.

    Returns
    -------
    LocalResult
        ``S_i`` is the elasticity: ``S_i = 2`` means +1% in ``p_i`` gives about
        +2% in the output. It is NaN (with a note) where the output is 0 and 0
        where ``p_i = 0``; the raw derivative is always given.

    Raises
    ------
    ValueError
        If the outputs have the wrong length or are not all finite.
    """
    d = design.d
    y = _check_outputs(outputs, 2 * d + 1, f"2*d+1 = 2*{d}+1")
    y0 = float(y[0])
    pairs = y[1:].reshape(d, 2)
    derivative = design.weights[:, 0] * y0 + np.sum(design.weights[:, 1:] * pairs, axis=1)
    notes = []
    if y0 == 0.0:
        normalized = np.full(d, np.nan)
        notes.append("the output is 0 at x0, so normalized sensitivities (relative changes) "
                     "are undefined (NaN); use the raw derivative")
    else:
        normalized = derivative * design.x0 / y0
    zero = [design.names[i] for i in range(d) if design.x0[i] == 0.0]
    if zero and y0 != 0.0:
        notes.append(f"parameters at 0 have normalized sensitivity 0 by definition: "
                     f"{', '.join(zero)}; see the raw derivative")
    one_sided = [design.names[i] for i in range(d) if design.scheme[i] != "central"]
    if one_sided:
        notes.append(f"one-sided differences at a bound: {', '.join(one_sided)}")
    return LocalResult(design.names, design.x0, y0, _readonly(derivative),
                       _readonly(normalized), design.step, design.scheme, tuple(notes))
