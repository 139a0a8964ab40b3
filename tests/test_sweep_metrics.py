"""The sweep's metric reductions against their plain definitions (every day, no shortcuts)."""

from __future__ import annotations

import numpy as np
import pytest
from lbp_headache.analysis.metrics import NEEDED_STATES, compute_metrics
from lbp_headache.analysis.observation import day_means, headache_day_probability
from lbp_headache.core.calendar import METRIC_MONTH, METRIC_MONTH_DAYS
from lbp_headache.core.parameters import INDEX, parameter_vector
from lbp_headache.core.states import HEADACHE_COMPONENTS
from numpy.testing import assert_allclose, assert_array_equal


def random_daily(n_sets: int, n_days: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    # Strided views of one (sets, days, states) array, like the batch engine's output.
    states = rng.uniform(0.0, 3.0, (n_sets, n_days + 1, len(NEEDED_STATES)))
    states[..., 0] = rng.uniform(0.4, 1.0, (n_sets, n_days + 1))  # the pain threshold
    return {name: states[:, :, k] for k, name in enumerate(NEEDED_STATES)}


def plain_days_per_month(probability: np.ndarray, start: int, stop: int) -> np.ndarray:
    return np.sum(probability[:, start:stop], axis=1) * METRIC_MONTH_DAYS / (stop - start)


@pytest.mark.parametrize("treatment_start", [None, 0.5, 1.0, 40.0, 90.25, 200.0])
def test_metrics_equal_their_definitions_over_every_day(treatment_start):
    n_sets, n_days = 7, 365
    daily = random_daily(n_sets, n_days, seed=3)
    rng = np.random.default_rng(4)
    sets = np.tile(parameter_vector({}), (n_sets, 1))
    sets[:, INDEX["headache_day_hill"]] = rng.uniform(2.0, 6.0, n_sets)
    sets[:, INDEX["headache_day_half_load"]] = rng.uniform(1.0, 6.0, n_sets)
    metrics = compute_metrics(daily, sets, first_treatment_start=treatment_start)

    load = sum(daily[name] for name in HEADACHE_COMPONENTS)
    means = day_means(load)
    probability = headache_day_probability(means, sets.T[:, :, None])
    last = n_days - METRIC_MONTH
    evaluation = plain_days_per_month(probability, last, n_days)
    assert_allclose(metrics["headache_days_per_month"], evaluation, rtol=1e-14)
    assert_allclose(metrics["mean_headache"], means[:, last:].mean(axis=1), rtol=1e-14)
    assert_array_equal(metrics["peak_headache"], load.max(axis=1))
    burden = means.sum(axis=1)
    assert_allclose(metrics["headache_burden"], burden, rtol=1e-13)
    mechanical = sum(day_means(daily[n]).sum(axis=1)
                     for n in ("headache_tension_type", "headache_cervicogenic"))
    assert_allclose(metrics["share_mechanical"], mechanical / burden, rtol=1e-13)
    neurological = day_means(daily["headache_sensitization"]).sum(axis=1)
    assert_allclose(metrics["share_neurological"], neurological / burden, rtol=1e-13)
    threshold = daily["pain_threshold"]
    assert_array_equal(metrics["min_pain_threshold"], threshold.min(axis=1))
    assert_array_equal(metrics["final_pain_threshold"], threshold[:, -1])

    if treatment_start is None or treatment_start < 1.0:
        assert np.isnan(metrics["baseline_headache_days_per_month"]).all()
        assert np.isnan(metrics["responder"]).all()
        return
    first_day = int(np.floor(treatment_start))
    baseline = plain_days_per_month(probability, max(0, first_day - METRIC_MONTH), first_day)
    assert_allclose(metrics["baseline_headache_days_per_month"], baseline, rtol=1e-14)
    assert_allclose(metrics["headache_days_reduction"], 1.0 - evaluation / baseline, rtol=1e-12)


def test_zero_headache_has_no_shares():
    daily = random_daily(2, 60, seed=5)
    for name in HEADACHE_COMPONENTS:
        daily[name][0] = 0.0
    metrics = compute_metrics(daily, np.tile(parameter_vector({}), (2, 1)),
                              first_treatment_start=None)
    assert metrics["headache_burden"][0] == 0.0
    assert np.isnan(metrics["share_mechanical"][0])
    assert np.isfinite(metrics["share_mechanical"][1])
