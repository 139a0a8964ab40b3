"""The stochastic layer, the expectation effect, population distributions and patient inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from lbp_headache import load_scenario, parameter_vector, simulate_batch
from lbp_headache.analysis.diary import (
    STREAM,
    ar1,
    coupling,
    detrended,
    draw_diaries,
    patient_noise,
)
from lbp_headache.analysis.expectation import expectation_effect
from lbp_headache.core.parameters import INDEX, PARAMETERS
from lbp_headache.core.states import HEADACHE_MAX
from lbp_headache.engine.patient_inputs import PatientInputs, scenario_inputs
from lbp_headache.files.bundled import BUNDLED_FOLDER
from lbp_headache.population.distributions import Distribution, from_table
from lbp_headache.scenario.profiles import natural_history
from lbp_headache.scenario.treatments import Treatment
from numpy.testing import assert_allclose, assert_array_equal
from scipy import integrate, stats


def test_ar1_has_the_stationary_sd_and_autocorrelation_of_its_parameters():
    noise = patient_noise(11, np.arange(400), 1000)
    for sd, r in ((0.35, 0.4), (0.8, 0.7), (0.2, 0.0)):
        x = ar1(noise.headache[:, :1000], sd, r)
        assert x.std() == pytest.approx(sd, rel=0.02)
        assert abs(x.mean()) < 0.01
        lag1 = np.corrcoef(x[:, :-1].ravel(), x[:, 1:].ravel())[0, 1]
        lag2 = np.corrcoef(x[:, :-2].ravel(), x[:, 2:].ravel())[0, 1]
        assert lag1 == pytest.approx(r, abs=0.01)
        assert lag2 == pytest.approx(r * r, abs=0.01)
        assert x[:, 0].std() == pytest.approx(sd, rel=0.08)  # stationary from day 0


def test_diary_noise_keeps_the_mean_load_and_days_follow_the_observation_model():
    # 12,000 patients: with the slow headache process (SD 0.6 on the log scale, 28-day
    # spells) the mean reported load varies by 0.33 % (relative SD over 12 seeds); the test
    # allows 1 %.
    n, days = 12000, 60
    rows = np.tile(parameter_vector(), (n, 1))
    load = np.full((n, days + 1), 3.0)  # the half load: q = 1/2 without noise
    diary = draw_diaries(load, np.full((n, days + 1), 4.0), rows,
                         patient_noise(5, np.arange(n), days))
    # log(reported) is normal, mean log 3 - s^2 / 2 (so that E[exp(e - s^2/2)] = 1), with the
    # day-to-day and the slow process adding on the log scale, and capped at 10: the mean
    # and the log SD of a normal censored at log 10 (4 % of days at s = 0.7).
    s = math.hypot(parameter_vector()[INDEX["headache_noise_sd"]],
                   parameter_vector()[INDEX["headache_fluctuation_sd"]])
    z = np.linspace(-10.0, 10.0, 200001)
    density = np.exp(-0.5 * z**2)
    density /= density.sum()
    log_reported = np.minimum(np.log(3.0) - 0.5 * s**2 + s * z, np.log(HEADACHE_MAX))
    mean = float(np.sum(density * np.exp(log_reported)))
    log_sd = math.sqrt(float(np.sum(density * log_reported**2))
                       - float(np.sum(density * log_reported)) ** 2)
    assert diary.headache.mean() == pytest.approx(mean, rel=0.01)
    assert np.log(diary.headache).std() == pytest.approx(log_sd, rel=0.03)
    hill = parameter_vector()[INDEX["headache_day_hill"]]
    q = diary.headache ** hill / (diary.headache ** hill + 3.0 ** hill)
    assert diary.headache_day.mean() == pytest.approx(q.mean(), abs=0.01)
    assert diary.lumbar_pain.mean() == pytest.approx(4.0, abs=0.02)
    assert diary.lumbar_pain.std() == pytest.approx(
        parameter_vector()[INDEX["lumbar_noise_sd"]], rel=0.03)


def test_a_patients_numbers_do_not_depend_on_the_company_or_the_horizon():
    alone = patient_noise(3, np.array([17]), 100)
    together = patient_noise(3, np.array([5, 17, 2]), 100)
    assert_array_equal(alone.headache[0], together.headache[1])
    assert_array_equal(alone.dropout[0], together.dropout[1])
    assert not np.array_equal(patient_noise(4, np.array([17]), 100).headache, alone.headache)
    rows = parameter_vector()[None, :]
    load = np.linspace(1, 5, 101)[None, :]
    short = draw_diaries(load[:, :51], load[:, :51], rows, alone)
    long = draw_diaries(load, load, rows, alone)
    assert_array_equal(short.headache, long.headache[:, :50])
    with pytest.raises(ValueError, match="covers 100 days"):
        draw_diaries(np.ones((1, 103)), np.ones((1, 103)), rows, alone)


def test_long_diaries_continue_the_short_ones():
    """A 50-year run (the scenario limit) begins with the numbers of a short one, and its
    later days are as random as its first."""
    short = patient_noise(3, np.array([17, 4]), 400)
    long = patient_noise(3, np.array([17, 4]), 50 * 366)
    for name in ("headache", "lumbar", "day"):
        assert_array_equal(getattr(long, name)[:, :400], getattr(short, name))
    assert_array_equal(long.dropout, short.dropout)
    late = long.headache[:, -5000:]
    assert abs(late.mean()) < 0.05 and abs(late.std() - 1.0) < 0.03


def test_philox_matches_the_random123_known_answers_compiled_or_not():
    """Philox4x32-10 known-answer vectors (Random123's kat_vectors), and the compiled loop
    giving the numpy path's bits."""
    from lbp_headache.analysis.philox import philox_numpy, uniforms

    vectors = [((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
               ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2,
                (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
               ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
                (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1))]
    for counter, key, expected in vectors:
        assert [int(w) for w in philox_numpy(*counter, *key)] == list(expected)
    patients = np.array([0, 1, 7, 2**32 - 1, 123456])
    slow = uniforms(2**63 + 5, STREAM, patients, 300, compiled=False)
    fast = uniforms(2**63 + 5, STREAM, patients, 300, compiled=True)
    assert_array_equal(slow, fast)
    assert 0.0 < fast.min() and fast.max() < 1.0


def test_diary_uniforms_are_uniform_and_independent():
    """Kolmogorov-Smirnov against U(0, 1) for each stream, and no correlation between
    neighbouring days, neighbouring patients or the two numbers of a pair."""
    from lbp_headache.analysis.philox import uniforms

    u = uniforms(1, STREAM, np.arange(200), 500)
    for values in (u[0].ravel(), u[1].ravel(), uniforms(1, STREAM + 1, np.arange(200), 500)[0]
                   .ravel()):
        assert stats.kstest(values, "uniform").pvalue > 1e-3
    limit = 4.0 / math.sqrt(u[0].size)  # four standard errors of a zero correlation
    assert abs(np.corrcoef(u[0][:, 1:].ravel(), u[0][:, :-1].ravel())[0, 1]) < limit
    assert abs(np.corrcoef(u[0][1:].ravel(), u[0][:-1].ravel())[0, 1]) < limit
    assert abs(np.corrcoef(u[0].ravel(), u[1].ravel())[0, 1]) < limit


def test_coupling_finds_the_lag_of_a_known_delay():
    rng = np.random.default_rng(0)
    back = np.repeat(rng.uniform(2, 6, 40), 7) + rng.normal(0, 0.1, 280)
    headache = np.roll(back, 3) + rng.normal(0, 0.1, 280)
    found = coupling(back, headache)
    assert found["peak_lag_days"] == 3 and found["peak_correlation"] > 0.9
    flat = coupling(np.full(60, 2.0), headache[:60])
    assert flat["peak_correlation"] is None
    trend = np.linspace(0, 5, 200)
    assert_allclose(detrended(trend)[20:-20], 0.0, atol=1e-12)  # a line has no wiggle


def test_expectation_effect_is_the_exact_solution_of_its_relaxation():
    p = parameter_vector({"tau_placebo_onset": 4.0, "tau_placebo_offset": 10.0})
    treatments = (Treatment("placebo", 5.0, 30.0, adherence=0.8),
                  Treatment("placebo", 20.0, 40.0, adherence=0.5))
    days = np.arange(0.0, 80.0)
    effect = expectation_effect(treatments, days, p)

    def rhs(t, e):
        target = 1.0 - np.prod([1.0 - x.adherence for x in treatments if x.active(t)])
        return (target - e) / (4.0 if target > e[0] else 10.0)

    edges = [0.0, 5.0, 20.0, 30.0, 40.0, 80.0]
    value, reference = [0.0], []
    for a, b in zip(edges[:-1], edges[1:]):
        inside = days[(days >= a) & (days < b)]
        solved = integrate.solve_ivp(rhs, (a, b), value, t_eval=inside, rtol=1e-11, atol=1e-13)
        reference.extend(solved.y[0])
        value = integrate.solve_ivp(rhs, (a, b), value, rtol=1e-11, atol=1e-13).y[:, -1]
    assert_allclose(effect, reference, atol=1e-8)
    assert effect[0] == 0.0 and effect[4] == 0.0  # nothing before the first placebo
    assert expectation_effect((Treatment("usual_care", 0.0),), days, p).max() == 0.0


def test_distributions_draw_their_truncated_law():
    u = np.random.default_rng(9).random(100_000)
    for dist, reference in (
            (Distribution("lognormal", 2.0, 0.3, 1.0, 3.0),
             stats.truncnorm((math.log(1) - math.log(2)) / 0.3, (math.log(3) - math.log(2)) / 0.3,
                             math.log(2), 0.3)),
            (Distribution("normal", 5.0, 2.0, 0.0, 10.0),
             stats.truncnorm(-2.5, 2.5, 5.0, 2.0))):
        x = dist.draw(u)
        assert x.min() >= dist.low and x.max() <= dist.high
        transformed = np.log(x) if dist.family == "lognormal" else x
        assert stats.kstest(transformed, reference.cdf).statistic < 0.006
        assert integrate.quad(lambda t, d=dist: float(d.pdf(np.array([t]))[0]),
                              dist.low, dist.high)[0] == pytest.approx(1.0, abs=1e-6)
    for record in PARAMETERS:  # every table spread lies in its range, centred on its value
        dist = from_table(record)
        draws = dist.draw(u[:2000])
        assert draws.min() >= record.low and draws.max() <= record.high, record.name
        if record.spread is not None and record.spread.distribution != "uniform":
            inside = record.low < record.value < record.high
            assert not inside or abs(np.median(draws) / record.value - 1) < 0.25, record.name
    with pytest.raises(ValueError, match="median in \\(0, 1\\)"):
        Distribution("logitnormal", 1.5, 0.2)
    with pytest.raises(ValueError, match="unknown distribution"):
        Distribution("gamma", 1.0, 1.0)


def test_patient_inputs_reproduce_the_scenario_and_carry_their_own_courses():
    scenario = load_scenario(BUNDLED_FOLDER / "multimodal_care.yaml")
    rows = np.tile(parameter_vector(scenario.parameters), (12, 1))
    rows[:, 0] = np.linspace(0.5, 2.0, 12)
    plain = simulate_batch(scenario, rows)
    same = simulate_batch(scenario, rows, inputs=scenario_inputs(scenario, 12))
    assert_array_equal(plain.states, same.states)
    courses = (natural_history("persistent"), natural_history("acute_recovering"))
    flares = np.zeros((12, 60))
    flares[:, 10] = 2.0  # a flare of 2 points in week 10
    inputs = PatientInputs(courses, np.arange(12) % 2, np.linspace(0.5, 1.5, 12), np.ones(12),
                           np.zeros(12), np.zeros(12), np.full(12, 0.4), flares)
    days = np.arange(0.0, 100.0)
    lumbar = inputs.lumbar_at(days)
    assert_allclose(lumbar[0], 0.5 * courses[0](days) + np.where(
        (days >= 70) & (days < 77), 2.0, 0.0), rtol=1e-14)
    assert_allclose(inputs.ergonomic_at(scenario, days), 0.4)
    result = simulate_batch(scenario, rows, inputs=inputs)
    assert np.all(result.status == 0)
    starts = result.segment_starts
    assert 70.0 in starts and 77.0 in starts  # flare weeks are segment boundaries


def test_the_compiled_diary_agrees_with_numpy():
    """The compiled loop (populations, trials) and the numpy path (single runs) draw the same
    diary: values to rounding, headache days identical on 200 patients x 400 days, with and
    without an expectation effect."""
    n, days = 200, 400
    rng = np.random.default_rng(2)
    rows = np.tile(parameter_vector(), (n, 1))
    rows[:, INDEX["headache_noise_sd"]] = rng.uniform(0.1, 0.8, n)
    rows[:, INDEX["lumbar_noise_autocorrelation"]] = rng.uniform(0.0, 0.9, n)
    rows[:, INDEX["headache_fluctuation_sd"]] = rng.uniform(0.0, 0.9, n)
    rows[:, INDEX["tau_headache_fluctuation"]] = rng.uniform(3.0, 180.0, n)
    load = np.cumsum(rng.normal(0, 0.2, (n, days + 1)), axis=1) % 8.0
    lumbar = rng.uniform(0, 9, (n, days + 1))
    noise = patient_noise(9, np.arange(n), days)
    effect = expectation_effect([Treatment("placebo", 30.0, 230.0, adherence=0.8)],
                                np.arange(days + 1.0), rows)
    for expectation in (None, effect):
        slow = draw_diaries(load, lumbar, rows, noise, expectation)
        fast = draw_diaries(load, lumbar, rows, noise, expectation, compiled=True)
        assert_allclose(fast.headache, slow.headache, rtol=1e-13, atol=1e-14)
        assert_allclose(fast.lumbar_pain, slow.lumbar_pain, rtol=1e-13, atol=1e-14)
        assert_array_equal(fast.headache_day, slow.headache_day)
