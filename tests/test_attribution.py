"""Headache days split between the pathways: the parts add up, and each goes where its load is."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import synthetic_result
from lbp_headache.analysis.attribution import days_by_pathway, difference_by_pathway
from lbp_headache.analysis.observation import summarize
from lbp_headache.core.parameters import INDEX, parameter_vector
from lbp_headache.core.states import PATHWAYS
from numpy.testing import assert_allclose


def _result(tension=0.0, sensitization=0.0, migraine=0.0, days=60):
    return synthetic_result({
        "headache_tension_type": np.full(days + 1, tension),
        "headache_sensitization": np.full(days + 1, sensitization),
        "headache_migraine": np.full(days + 1, migraine),
    })


def test_parts_add_up_to_the_headache_days_of_the_last_month():
    rng = np.random.default_rng(3)
    n = 91
    result = synthetic_result({name: rng.uniform(0, 2.5, n) for name in (
        "headache_tension_type", "headache_cervicogenic", "headache_migraine",
        "headache_sensitization")})
    parts = days_by_pathway(result)
    assert set(parts) == set(PATHWAYS)
    total = summarize(result)["metrics"]["headache_days_per_month"]
    assert_allclose(sum(parts.values()), total, rtol=1e-12)


def test_each_pathway_gets_the_days_of_its_own_load():
    only_mechanical = days_by_pathway(_result(tension=4.0))
    # q(4) = 4^h / (4^h + 3^h) with the default observation model (half load 3), every day.
    hill = parameter_vector()[INDEX["headache_day_hill"]]
    assert_allclose(only_mechanical["mechanical"], 28 * 4**hill / (4**hill + 3**hill), rtol=1e-12)
    assert only_mechanical["neurological"] == 0.0
    # Equal loads of two pathways: equal halves of the same days.
    half = days_by_pathway(_result(tension=2.0, migraine=2.0))
    assert_allclose(half["mechanical"], half["inflammatory"], rtol=1e-12)
    assert half["neurological"] == 0.0
    # A known answer: load 3 = headache_day_half_load, so every day has q = 1/2:
    # 14 days per 28, one third to each pathway.
    third = days_by_pathway(_result(tension=1.0, sensitization=1.0, migraine=1.0))
    assert_allclose(list(third.values()), [14 / 3] * 3, rtol=1e-12)


def test_no_load_counts_for_no_pathway():
    assert days_by_pathway(_result()) == {name: 0.0 for name in PATHWAYS}


def test_the_difference_splits_by_pathway_and_adds_up():
    baseline = days_by_pathway(_result(tension=2.0, sensitization=2.0))
    variant = days_by_pathway(_result(tension=1.0, sensitization=2.0))
    change = difference_by_pathway(baseline, variant)
    assert change["mechanical"] < 0 and change["inflammatory"] == 0.0
    assert_allclose(sum(change.values()), sum(variant.values()) - sum(baseline.values()),
                    rtol=1e-12)


def test_a_window_can_be_chosen_and_must_not_be_empty():
    result = synthetic_result({"headache_tension_type": np.r_[np.zeros(30), np.full(31, 3.0)]})
    assert days_by_pathway(result, 0, 28)["mechanical"] == 0.0
    assert days_by_pathway(result, 32, 60)["mechanical"] == pytest.approx(14.0)
    with pytest.raises(ValueError, match="empty"):
        days_by_pathway(result, 10, 10)
