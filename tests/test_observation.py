"""Observation model: headache-day probability, expected days, shares, responders, windows."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import synthetic_result
from lbp_headache.analysis.observation import (
    day_means,
    headache_day_probability,
    responder,
    sample_diary,
    summarize,
    window_metrics,
)
from lbp_headache.core.parameters import INDEX, parameter_vector
from lbp_headache.scenario.treatments import Treatment
from numpy.testing import assert_allclose

P = parameter_vector()
HALF = P[INDEX["headache_day_half_load"]]
HILL = P[INDEX["headache_day_hill"]]


def _q(load):
    return load**HILL / (load**HILL + HALF**HILL)


def test_probability_is_one_half_at_the_half_load_monotone_and_bounded():
    assert_allclose(headache_day_probability(HALF, P), 0.5, rtol=1e-14)
    loads = np.linspace(0.0, 10.0, 1001)
    q = headache_day_probability(loads, P)
    assert q[0] == 0.0
    assert np.all((q >= 0.0) & (q <= 1.0))
    assert np.all(np.diff(q) > 0.0)
    assert_allclose(q, _q(loads), rtol=1e-14, atol=0)
    assert headache_day_probability(-1.0, P) == 0.0  # negative load counts as none
    other = parameter_vector({"headache_day_half_load": 2.0, "headache_day_hill": 5.0})
    assert_allclose(headache_day_probability(2.0, other), 0.5, rtol=1e-14)


@pytest.mark.parametrize("load", [0.5, 1.0, 3.0, 6.0])
def test_expected_days_for_a_constant_load_is_28_q(load):
    n = 140
    result = synthetic_result({"headache_tension_type": np.full(n + 1, load)})
    expected = 28.0 * _q(load)
    window = window_metrics(result, 28, 56)
    assert_allclose(window["headache_days_per_month"], expected, rtol=1e-12)
    assert_allclose(window["mean_headache"], load, rtol=1e-12)
    assert_allclose(window["headache_burden"], 28.0 * load, rtol=1e-12)
    summary = summarize(result)
    assert_allclose(summary["metrics"]["headache_days_per_month"], expected, rtol=1e-12)
    for month in summary["monthly"]:
        assert_allclose(month["headache_days_per_month"], expected, rtol=1e-12)
    # A shorter window is scaled to 28 days.
    assert_allclose(window_metrics(result, 0, 10)["headache_days_per_month"], expected, rtol=1e-12)


def test_day_means_are_trapezoid_means():
    assert_allclose(day_means(np.array([0.0, 2.0, 4.0, 1.0])), [1.0, 3.0, 2.5], rtol=1e-15)


def test_pathway_shares_sum_to_one_and_match_hand_integrals():
    n = 100
    d = np.arange(n + 1, dtype=float)
    tension = 0.02 * d  # linear: trapezoid exact, integral 0.01 n^2
    cervicogenic = np.full(n + 1, 0.5)  # integral 0.5 n
    migraine = np.where(d < 50, 0.0, 1.0)  # step at day 50: trapezoid gives 50.5
    sensitization = 0.01 * (n - d)  # integral 0.005 n^2
    result = synthetic_result(
        {
            "headache_tension_type": tension,
            "headache_cervicogenic": cervicogenic,
            "headache_migraine": migraine,
            "headache_sensitization": sensitization,
        }
    )
    mechanical = 0.01 * n**2 + 0.5 * n
    inflammatory = 50.5
    neurological = 0.005 * n**2
    total = mechanical + inflammatory + neurological
    window = window_metrics(result, 0, n)
    assert_allclose(window["headache_burden"], total, rtol=1e-12)
    shares = window["pathway_share"]
    assert_allclose(sum(shares.values()), 1.0, rtol=1e-12)
    assert_allclose(shares["mechanical"], mechanical / total, rtol=1e-12)
    assert_allclose(shares["inflammatory"], inflammatory / total, rtol=1e-12)
    assert_allclose(shares["neurological"], neurological / total, rtol=1e-12)
    assert summarize(result)["metrics"]["pathway_share"] == shares


def test_pathway_shares_are_none_without_burden():
    result = synthetic_result({"headache_tension_type": np.zeros(30)})
    assert all(v is None for v in window_metrics(result, 0, 29)["pathway_share"].values())


def _two_level_result(before: float, after: float, start: int = 56, n: int = 140):
    """Load ``before`` up to day ``start``, ``after`` from the next day on; treated from ``start``.

    (The day grid value at ``start`` belongs to the last baseline day ``[start-1, start]``.)
    """
    load = np.where(np.arange(n + 1) <= start, before, after)
    return synthetic_result(
        {"headache_tension_type": load}, treatments=(Treatment("physical_therapy", float(start)),)
    )


def test_responder_with_at_least_half_fewer_headache_days():
    result = _two_level_result(4.0, 2.0)
    baseline = 28.0 * _q(4.0)
    last = 28.0 * _q(2.0)
    block = summarize(result)["metrics"]["responder"]
    assert_allclose(block["baseline_headache_days_per_month"], baseline, rtol=1e-12)
    assert_allclose(block["reduction"], 1.0 - last / baseline, rtol=1e-12)
    assert block["is_responder"] is True


def test_non_responder_with_a_smaller_reduction():
    result = _two_level_result(4.0, 3.5)
    block = summarize(result)["metrics"]["responder"]
    assert 0.0 < block["reduction"] < 0.5
    assert block["is_responder"] is False


def test_responder_boundary_is_exactly_fifty_percent():
    result = _two_level_result(4.0, 2.0)
    # The baseline as the function computes it (28 q(4) up to the rounding of a 28-day sum),
    # so that half of it is exactly a 50 % reduction.
    baseline = responder(result, {"headache_days_per_month": 0.0})[
        "baseline_headache_days_per_month"]
    assert baseline == pytest.approx(28.0 * _q(4.0), rel=1e-12)
    assert responder(result, {"headache_days_per_month": 0.5 * baseline})["is_responder"] is True
    short = 0.5 * baseline * (1.0 + 1e-12)
    assert responder(result, {"headache_days_per_month": short})["is_responder"] is False


def test_responder_is_undefined_without_treatment_or_baseline():
    untreated = synthetic_result({"headache_tension_type": np.full(60, 3.0)})
    assert summarize(untreated)["metrics"]["responder"] == {
        "baseline_headache_days_per_month": None,
        "reduction": None,
        "is_responder": None,
    }
    no_baseline = _two_level_result(0.0, 2.0)
    block = summarize(no_baseline)["metrics"]["responder"]
    assert block["baseline_headache_days_per_month"] == 0.0
    assert block["is_responder"] is None
    at_day_zero = synthetic_result(
        {"headache_tension_type": np.full(60, 3.0)}, treatments=(Treatment("nsaid", 0.0),)
    )
    assert summarize(at_day_zero)["metrics"]["responder"]["is_responder"] is None


def test_baseline_is_the_28_days_before_the_first_treatment():
    # Load 6 early, 4 in the 28 days before treatment starts at day 70, 1 after.
    n, start = 140, 70
    d = np.arange(n + 1)
    load = np.where(d < start - 28, 6.0, np.where(d <= start, 4.0, 1.0))
    result = synthetic_result(
        {"headache_tension_type": load},
        treatments=(
            Treatment("ergonomics", float(start) + 0.5),
            Treatment("physical_therapy", float(start)),
        ),
    )
    block = summarize(result)["metrics"]["responder"]
    assert_allclose(block["baseline_headache_days_per_month"], 28.0 * _q(4.0), rtol=1e-12)


@pytest.mark.parametrize("n_days", [28, 100, 365, 548])
def test_monthly_windows_cover_the_run(n_days):
    result = synthetic_result({"headache_tension_type": np.linspace(0.0, 5.0, n_days + 1)})
    monthly = summarize(result)["monthly"]
    assert monthly[0]["start_day"] == 0
    assert monthly[-1]["end_day"] == n_days
    for a, b in zip(monthly, monthly[1:]):
        assert a["end_day"] == b["start_day"]
        assert a["end_day"] - a["start_day"] == 28
    assert 0 < monthly[-1]["end_day"] - monthly[-1]["start_day"] <= 28
    assert len(monthly) == -(-n_days // 28)
    burden = sum(m["headache_burden"] for m in monthly)
    assert_allclose(burden, summarize(result)["metrics"]["headache_burden"], rtol=1e-12)


def test_sample_diary_frequency_matches_probability():
    n = 20000
    load = np.full(n + 1, HALF)
    result = synthetic_result({"headache_tension_type": load})
    diary = sample_diary(result, seed=1)
    assert diary.size == n
    assert abs(diary.mean() - 0.5) < 4.0 * np.sqrt(0.25 / n)  # 4 sigma
    none = sample_diary(synthetic_result({"headache_tension_type": np.zeros(100)}), seed=1)
    assert not none.any()
