"""Allen's stage 2: select a virtual population whose baseline matches observed data.

Two methods (Allen, Rieger & Musante 2016, CPT Pharmacometrics Syst Pharmacol 5:140):

* **prevalence selection** against a continuous target distribution ``g``
  (refused when the result is further from ``g`` than the tolerance plus the
  95 % Kolmogorov-Smirnov sampling bound ``1.358 / sqrt(size)``):
  candidate ``i`` (measure ``x_i``) is accepted with probability
  ``c g(x_i) / f(x_i)``, where ``f`` is a kernel density estimate of the
  candidates' own distribution (Scott's bandwidth) and ``c`` makes the
  largest probability 1; the first ``size`` accepted candidates (in candidate
  order) form the population. Accepted draws are distributed as ``g`` where
  ``f > 0``.
* **category shares** by a mixed-integer program (``scipy.optimize.milp``):
  choose exactly ``size`` candidates, minimizing the sum over categories of
  ``|count_c - size * share_c|``; within each category the candidates with
  the lowest seeded random rank are taken, so the choice is random but
  reproducible.

Both report the distance to the target before selection (all candidates)
and after it: the Kolmogorov-Smirnov distance for a continuous target, the
largest share difference for categories.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from lbp_headache.analysis.statistics import ks_distance
from lbp_headache.population.spec import Selection
from scipy import optimize, sparse

STREAM = 0x5E1E
KS_CRITICAL = 1.358  # the 95 % point of the Kolmogorov distribution (times 1/sqrt(n))


@dataclass(frozen=True)
class SelectionOutcome:
    """The chosen candidates (indices into the eligible ones) and how well they match."""

    chosen: np.ndarray
    accepted: int
    distance_before: float
    distance_after: float
    rows: tuple[dict, ...]  # per category (or one row for a continuous target)
    message: str | None = None  # why the target cannot be matched, if it cannot


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), STREAM])


KDE_POINTS = 5000  # candidates the density estimate is fitted on (a seeded subsample)
KDE_GRID = 512  # points the estimate is evaluated on, then interpolated


def candidate_density(x: np.ndarray, seed: int) -> np.ndarray:
    """A Gaussian kernel density estimate of ``x`` at every ``x``: Scott's bandwidth, fitted on
    at most :data:`KDE_POINTS` of them, with reflection at the smallest and largest value (so
    a sharp edge, such as an inclusion bound, is not smoothed away), evaluated on a grid:
    O(n), not O(n^2)."""
    sample = x if x.size <= KDE_POINTS else np.sort(
        _rng(seed).choice(x, KDE_POINTS, replace=False))
    low, high = float(x.min()), float(x.max())
    bandwidth = float(np.std(sample, ddof=1)) * sample.size ** (-0.2)  # Scott, one dimension
    if not bandwidth > 0:
        return np.ones_like(x)
    grid = np.linspace(low, high, KDE_GRID)
    mirrored = np.concatenate([sample, 2 * low - sample, 2 * high - sample])
    density = np.zeros(KDE_GRID)
    for start in range(0, mirrored.size, 2048):
        z = (grid[:, None] - mirrored[None, start:start + 2048]) / bandwidth
        density += np.exp(-0.5 * z * z).sum(axis=1)
    density /= sample.size * bandwidth * np.sqrt(2 * np.pi)
    return np.interp(x, grid, density)


def prevalence(values: np.ndarray, selection: Selection, size: int, seed: int) -> SelectionOutcome:
    """Prevalence selection of ``size`` of ``values`` against ``selection.target``."""
    target = selection.target
    finite = np.isfinite(values)
    x = values[finite]
    index = np.flatnonzero(finite)
    before = ks_distance(x, target.cdf)
    if x.size < 2 or np.ptp(x) == 0.0:
        return SelectionOutcome(np.zeros(0, dtype=np.int64), 0, before, np.nan, (),
                                "the candidates' measure does not vary; no distribution "
                                "can be matched")
    density = candidate_density(x, seed)
    ratio = target.pdf(x) / np.maximum(density, 1e-300)
    if not np.any(ratio > 0):
        return SelectionOutcome(np.zeros(0, dtype=np.int64), 0, before, np.nan, (),
                                "no candidate lies where the target distribution has "
                                "probability")
    probability = ratio / ratio.max()
    accept = _rng(seed).random(x.size) < probability
    accepted = np.flatnonzero(accept)
    chosen = index[accepted[:size]]
    after = ks_distance(values[chosen], target.cdf) if chosen.size else np.nan
    row = {"target": target.describe(), "candidates": int(x.size),
           "accepted": int(accepted.size), "ks_before": before, "ks_after": after}
    message = None
    allowed = selection.tolerance + KS_CRITICAL / math.sqrt(max(chosen.size, 1))
    if chosen.size and after > allowed:
        message = (f"the selected patients' {selection.measure} is {after:.3f} from the target "
                   f"(Kolmogorov-Smirnov), more than the tolerance {selection.tolerance:g} plus "
                   f"the 95 % sampling bound {KS_CRITICAL / math.sqrt(chosen.size):.3f}: the "
                   "candidates do not reach part of the target; widen the priors or change "
                   "the target")
    if accepted.size < size:
        message = (f"prevalence selection accepts {accepted.size:,} of {x.size:,} eligible "
                   f"candidates ({100 * accepted.size / max(x.size, 1):.1f} %), fewer than the "
                   f"{size:,} patients asked for")
    return SelectionOutcome(chosen, int(accepted.size), before, after, (row,), message)


def category(values: np.ndarray, categories) -> np.ndarray:
    """Category index of each value (``-1`` outside every ``[low, high)``)."""
    found = np.full(values.size, -1, dtype=np.int64)
    for k, ((low, high), _) in enumerate(categories):
        found[(found < 0) & (values >= low) & (values < high)] = k
    return found


def category_shares(values: np.ndarray, selection: Selection, size: int,
                    seed: int) -> SelectionOutcome:
    """Choose ``size`` of ``values`` whose category shares match ``selection.categories``."""
    categories = selection.categories
    which = category(values, categories)
    k = len(categories)
    n = values.size
    shares = np.array([share for _, share in categories])
    counts = np.array([(which == c).sum() for c in range(k)], dtype=float)
    inside = counts.sum()
    before = float(np.max(np.abs(counts / max(inside, 1) - shares))) if inside else np.nan
    if inside < size:
        return SelectionOutcome(np.zeros(0, dtype=np.int64), int(inside), before, np.nan, (),
                                f"only {int(inside):,} eligible candidates fall in the "
                                f"categories, fewer than the {size:,} patients asked for")
    # Variables: x_i (candidates, binary), then d_c (slack per category, continuous).
    rank = _rng(seed).random(n)
    cost = np.concatenate([np.zeros(n), np.ones(k)])
    integrality = np.concatenate([np.ones(n), np.zeros(k)])
    bounds = optimize.Bounds(np.zeros(n + k), np.concatenate([np.where(which >= 0, 1.0, 0.0),
                                                              np.full(k, np.inf)]))
    member = sparse.csr_matrix((np.ones((which >= 0).sum()),
                                (which[which >= 0], np.flatnonzero(which >= 0))), shape=(k, n))
    eye = sparse.identity(k, format="csr")
    total = sparse.csr_matrix(np.concatenate([np.ones(n), np.zeros(k)])[None, :])
    targets = size * shares
    constraints = [
        optimize.LinearConstraint(total, size, size),
        # d_c >= count_c - target_c  and  d_c >= target_c - count_c
        optimize.LinearConstraint(sparse.hstack([member, -eye]), -np.inf, targets),
        optimize.LinearConstraint(sparse.hstack([member, eye]), targets, np.inf),
    ]
    result = optimize.milp(cost, integrality=integrality, bounds=bounds,
                           constraints=constraints)
    if result.status != 0 or result.x is None:
        return SelectionOutcome(np.zeros(0, dtype=np.int64), 0, before, np.nan, (),
                                f"the category program found no solution ({result.message})")
    # The program fixes how many patients each category gets; which ones, the random ranks
    # decide (the solver's own choice among equals need not be random).
    counts_chosen = [int(np.sum((result.x[:n] > 0.5) & (which == c))) for c in range(k)]
    chosen = np.sort(np.concatenate([
        np.flatnonzero(which == c)[np.argsort(rank[which == c], kind="stable")[:count]]
        for c, count in enumerate(counts_chosen)]))
    got = np.array([(which[chosen] == c).sum() for c in range(k)], dtype=float) / size
    after = float(np.max(np.abs(got - shares)))
    rows = tuple({"low": low, "high": high, "target_share": share,
                  "share_before": float(counts[c] / max(inside, 1)), "share_after": float(got[c])}
                 for c, ((low, high), share) in enumerate(categories))
    message = None
    if after > selection.tolerance:
        worst = int(np.argmax(np.abs(got - shares)))
        (low, high), share = categories[worst]
        message = (f"category shares cannot be matched within {selection.tolerance:g}: "
                   f"[{low:g}, {high:g}) reaches {got[worst]:.3f} against {share:.3f} "
                   f"({int(counts[worst]):,} eligible candidates there): draw more candidates "
                   "or widen the categories")
    return SelectionOutcome(chosen, int(inside), before, after, rows, message)


def select(values: np.ndarray, selection: Selection, size: int, seed: int) -> SelectionOutcome:
    """Run ``selection`` on the eligible candidates' measure ``values``."""
    if selection.method == "prevalence":
        return prevalence(values, selection, size, seed)
    return category_shares(values, selection, size, seed)
