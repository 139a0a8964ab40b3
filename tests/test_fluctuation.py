"""Back pain and headache that fluctuate over weeks, and what emerges from it in trials.

The week-to-week fluctuation of back pain (a factor on each virtual patient's
course, :func:`lbp_headache.population.candidates.weekly_fluctuation`) and the
slow fluctuation of the reported headache (:mod:`lbp_headache.analysis.diary`)
are checked against their closed-form statistics; the trial figures that
should emerge from them (regression to the mean, placebo responders, the
natural share of the improvement, responders on a waitlist) are checked to
depend on them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from lbp_headache import parameter_vector
from lbp_headache.analysis.diary import draw_diaries, patient_noise
from lbp_headache.calibration.abc_model import TargetSimulator
from lbp_headache.calibration.target_reader import load_targets
from lbp_headache.core.parameters import INDEX
from lbp_headache.engine.patient_inputs import PatientInputs
from lbp_headache.files.bundled import BUNDLED_TARGETS
from lbp_headache.population.candidates import weekly_fluctuation
from lbp_headache.scenario.profiles import natural_history
from numpy.testing import assert_allclose


def rows_with(n: int, **values: float) -> np.ndarray:
    rows = np.tile(parameter_vector(), (n, 1))
    for name, value in values.items():
        rows[:, INDEX[name]] = value
    return rows


def test_the_weekly_fluctuation_has_the_law_of_its_parameters():
    # A stationary AR(1) on the log scale: sd s from the first week, lag-k correlation
    # exp(-7 k / tau), and a factor whose mean is 1 (exp(f - s^2 / 2)).
    for sd, tau in ((0.3, 28.0), (0.6, 90.0), (0.1, 7.0)):
        factor = weekly_fluctuation(rows_with(20000, lumbar_fluctuation_sd=sd,
                                              tau_lumbar_fluctuation=tau),
                                    np.random.default_rng(4), weeks=60)
        log = np.log(factor) + 0.5 * sd * sd
        assert log[:, 0].std() == pytest.approx(sd, rel=0.03)
        assert log[:, -1].std() == pytest.approx(sd, rel=0.03)
        assert factor.mean() == pytest.approx(1.0, abs=0.01)
        for lag in (1, 4):
            r = np.corrcoef(log[:, 10].ravel(), log[:, 10 + lag].ravel())[0, 1]
            assert r == pytest.approx(math.exp(-7.0 * lag / tau), abs=0.02)


def test_no_patient_fluctuates_without_a_spread():
    factor = weekly_fluctuation(rows_with(5, lumbar_fluctuation_sd=0.0),
                                np.random.default_rng(1))
    assert factor.shape == (5, 0)


def test_the_fluctuation_multiplies_the_course_and_keeps_it_linear_within_a_week():
    courses = (natural_history("persistent"),)
    factor = np.exp(np.random.default_rng(3).normal(0.0, 0.4, (4, 30)))
    inputs = PatientInputs(courses, np.zeros(4, dtype=np.int64), np.full(4, 1.2), np.ones(4),
                           np.zeros(4), np.zeros(4), np.zeros(4), fluctuation=factor)
    days = np.arange(0.0, 250.0, 0.5)
    week = np.minimum((days // 7).astype(int), 29)
    expected = 1.2 * courses[0](days)[None, :] * np.where(days < 210, factor[:, week], 1.0)
    assert_allclose(inputs.lumbar_at(days), expected, rtol=1e-14)
    # What the engine integrates: value and slope at each segment start, scaled alike.
    starts = np.array([0.0, 7.0, 35.0, 70.0])
    value, slope = inputs.lumbar_linear(starts)
    plain = np.array([courses[0].linear_at(t) for t in starts])
    assert_allclose(value, 1.2 * plain[None, :, 0] * factor[:, [0, 1, 5, 10]], rtol=1e-14)
    assert_allclose(slope, 1.2 * plain[None, :, 1] * factor[:, [0, 1, 5, 10]], rtol=1e-14)
    assert (inputs.lumbar_at(days) >= 0).all()


def test_the_slow_headache_fluctuation_adds_its_variance_and_its_memory():
    # log reported load = e + g - (s^2 + S^2)/2: variance s^2 + S^2; at a lag of 28 days
    # the fast process (r = 0.4 a day) is forgotten and the slow one keeps exp(-28 / tau).
    n, days, tau = 2000, 120, 28.0
    s, big_s = 0.35, 0.4
    rows = rows_with(n, headache_noise_sd=s, headache_fluctuation_sd=big_s,
                     tau_headache_fluctuation=tau)
    diary = draw_diaries(np.full((n, days + 1), 2.0), np.full((n, days + 1), 4.0), rows,
                         patient_noise(8, np.arange(n), days))
    log = np.log(diary.headache / 2.0)
    assert log.std() == pytest.approx(math.hypot(s, big_s), rel=0.02)
    lag = np.corrcoef(log[:, 40].ravel(), log[:, 68].ravel())[0, 1]
    expected = big_s ** 2 * math.exp(-28.0 / tau) / (s ** 2 + big_s ** 2)
    assert lag == pytest.approx(expected, abs=0.04)


@pytest.fixture(scope="module")
def trial_targets():
    wanted = ("placebo_responders_50", "improvement_natural_share", "ctth_waitlist_responders")
    return [t for t in load_targets(BUNDLED_TARGETS).targets if t.id in wanted]


def test_regression_to_the_mean_and_waitlist_responders_come_from_the_fluctuations(
        trial_targets):
    # Without week-to-week fluctuation, the natural course of patients who entered a
    # trial on a bad month is nearly flat: few placebo responders, a small natural share,
    # and (without slow headache spells) almost no CTTH patient halves their headache days
    # on a waitlist. Populations at a quarter of their size keep this test quick.
    simulate = TargetSimulator(trial_targets, share=0.25)
    steady = simulate({"lumbar_fluctuation_sd": 1e-6, "headache_fluctuation_sd": 1e-6})
    fluctuating = simulate({"lumbar_fluctuation_sd": 0.3, "headache_fluctuation_sd": 0.4})
    assert fluctuating["placebo_responders_50"] > steady["placebo_responders_50"] + 10.0
    assert fluctuating["improvement_natural_share"] > steady["improvement_natural_share"] + 15.0
    assert fluctuating["ctth_waitlist_responders"] > steady["ctth_waitlist_responders"] + 2.0
