"""Sobol' indices: variance-based global sensitivity with Saltelli's 2010 scheme.

The share of the output variance due to each parameter alone (first order)
and including all its interactions (total order), computed by
:func:`scipy.stats.sobol_indices` from Saltelli's sampling scheme, with
bootstrap confidence intervals. Cost: ``n * (d + 2)`` evaluations, ``n`` a
power of two. A pair of verbs in the SALib style: :func:`sobol_sample`, then
:func:`sobol_analyze` of the outputs.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from lbp_headache.analysis.sensitivity.checks import (
    check_confidence,
    check_count,
    check_outputs,
    check_seed,
)
from lbp_headache.analysis.space import ParameterSpace, readonly
from lbp_headache.files.json_data import jsonable

# Relative size below which the output variance counts as zero (constant output).
CONSTANT_TOLERANCE = 1e-13
# Budget of array elements per bootstrap batch (bounds the memory of the BCa jackknife).
BOOTSTRAP_BATCH_ELEMENTS = 2**20

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
    from scipy.stats import qmc  # lazy: scipy.stats takes about 0.3 s to import

    n = _check_power_of_two(n)
    check_seed(seed)
    d = space.d
    unit = qmc.Sobol(2 * d, scramble=True, seed=seed).random_base2(n.bit_length() - 1)
    A = space.from_unit(unit[:, :d])
    B = space.from_unit(unit[:, d:])
    AB = np.repeat(A[np.newaxis], d, axis=0)
    for i in range(d):
        AB[i, :, i] = B[:, i]
    return SobolDesign(space, n, seed, readonly(A), readonly(B), readonly(AB))


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
        return [{"parameter": name, **{k: jsonable(float(c[i])) for k, c in zip(keys, columns)}}
                for i, name in enumerate(self.names)]

    def to_dict(self) -> dict:
        """Plain-JSON form (NaN as ``None``)."""
        return jsonable({
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
    import scipy.stats as stats  # lazy: scipy.stats takes about 0.3 s to import

    if isinstance(design, SobolDesign):
        n, d = design.n, design.d
        names = design.names if names is None else tuple(names)
    else:
        n, d = design
        n = _check_power_of_two(n)
        d = check_count(d, "d", 1)
        names = tuple(f"x{i + 1}" for i in range(d)) if names is None else tuple(names)
    if len(names) != d:
        raise ValueError(f"names must give one name per parameter ({d}); got {len(names)}")
    n_resamples = check_confidence(confidence_level, n_resamples)
    check_seed(seed)
    if ci_method not in ("BCa", "percentile"):
        raise ValueError(f"ci_method must be 'BCa' or 'percentile'; got {ci_method!r}")
    y = check_outputs(outputs, n * (d + 2), f"n*(d+2) = {n}*({d}+2)")
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
        names=names, first_order=readonly(first), total_order=readonly(total),
        first_order_ci=(readonly(low[0]), readonly(high[0])),
        total_order_ci=(readonly(low[1]), readonly(high[1])), n=n,
        confidence_level=float(confidence_level), n_resamples=n_resamples, seed=seed,
        mean=mean, variance=variance, ci_method=ci_method)


