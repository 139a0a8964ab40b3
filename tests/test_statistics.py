"""Trial statistics against published and tabulated answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from lbp_headache.analysis.statistics import (
    clopper_pearson,
    ks_distance,
    mean_difference,
    mean_interval,
    risk_difference,
    risk_ratio,
    wilson,
)
from numpy.testing import assert_allclose
from scipy import stats


@pytest.mark.parametrize(("x", "n", "low", "high"), [
    # Exact binomial intervals as tabulated (e.g. Geigy Scientific Tables; R binom.test).
    (7, 20, 0.1539092, 0.5921885),
    (0, 10, 0.0, 0.3084971),
    (10, 10, 0.6915029, 1.0),
    (1, 30, 0.0008435709, 0.1721694),
    (50, 100, 0.3983211, 0.6016789),
])
def test_clopper_pearson_matches_tabulated_intervals(x, n, low, high):
    estimate = clopper_pearson(x, n)
    assert estimate.value == pytest.approx(x / n)
    assert_allclose([estimate.low, estimate.high], [low, high], rtol=1e-6, atol=1e-9)


def test_clopper_pearson_matches_scipy_and_covers_at_least_its_level():
    for x, n in [(3, 17), (12, 40), (99, 100)]:
        ci = stats.binomtest(x, n).proportion_ci(method="exact")
        estimate = clopper_pearson(x, n)
        assert_allclose([estimate.low, estimate.high], [ci.low, ci.high], rtol=1e-10)
    # Exact coverage for n = 25 at p = 0.3: the sum of the binomial probabilities of the
    # counts whose interval covers p is at least 95 % (the interval is conservative).
    n, p = 25, 0.3
    covered = sum(stats.binom.pmf(x, n, p) for x in range(n + 1)
                  if clopper_pearson(x, n).contains(p))
    assert covered >= 0.95


def test_newcombe_hybrid_score_matches_the_published_examples():
    # Newcombe 1998, Stat Med 17:873, table II (method 10).
    estimate = risk_difference(56, 70, 48, 80)
    assert_allclose([estimate.low, estimate.high], [0.0524, 0.3339], atol=5e-5)
    estimate = risk_difference(9, 10, 3, 10)
    assert_allclose([estimate.low, estimate.high], [0.1705, 0.8090], atol=5e-5)
    assert_allclose(wilson(81, 263).low, 0.2553, atol=5e-5)


def test_risk_ratio_log_interval():
    estimate = risk_ratio(30, 100, 15, 100)
    assert estimate.value == pytest.approx(2.0)
    se = math.sqrt(1 / 30 - 1 / 100 + 1 / 15 - 1 / 100)
    assert_allclose([estimate.low, estimate.high],
                    [2.0 * math.exp(-1.959964 * se), 2.0 * math.exp(1.959964 * se)], rtol=1e-6)
    assert math.isnan(risk_ratio(0, 10, 0, 10).value)
    assert math.isfinite(risk_ratio(0, 10, 3, 10).high)


def test_welch_interval_matches_scipy():
    rng = np.random.default_rng(2)
    x, y = rng.normal(1.0, 2.0, 37), rng.normal(0.0, 1.0, 52)
    ci = stats.ttest_ind(x, y, equal_var=False).confidence_interval()
    estimate = mean_difference(x, y)
    assert_allclose([estimate.low, estimate.high], [ci.low, ci.high], rtol=1e-12)
    one = mean_interval(x)
    ci = stats.ttest_1samp(x, 0.0).confidence_interval()
    assert_allclose([one.low, one.high], [ci.low, ci.high], rtol=1e-12)


def test_intervals_reject_bad_counts():
    with pytest.raises(ValueError, match="0 <= successes <= trials"):
        clopper_pearson(11, 10)
    with pytest.raises(ValueError, match="at least two values"):
        mean_difference(np.array([1.0]), np.array([1.0, 2.0]))


def test_ks_distance_matches_scipy():
    sample = np.random.default_rng(4).normal(size=500)
    assert ks_distance(sample, stats.norm.cdf) == pytest.approx(
        stats.kstest(sample, "norm").statistic, rel=1e-12)
