"""One test per behaviour of science.md §2, checked against the model (no stored numbers).

Each test's docstring quotes the claim it checks. Thresholds such as "within
~10 days" or "clearly lower" are made concrete in the test and explained there.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import (
    TREATMENT_START,
    constant_inputs,
    crossing_time,
    lagged_coupling,
    treated_base,
)
from lbp_headache.analysis.observation import summarize
from lbp_headache.core.equations import (
    headache_targets,
    neck_tension_target,
    posture_target,
    rhs,
    steady_state,
)
from lbp_headache.core.parameters import INDEX, parameter_vector
from lbp_headache.core.states import STATE_INDEX
from lbp_headache.engine.simulate import simulate
from lbp_headache.scenario import profiles
from lbp_headache.scenario.record import Scenario
from lbp_headache.scenario.treatments import Treatment
from numpy.testing import assert_allclose

P = parameter_vector()
MECHANICAL = ("headache_tension_type", "headache_cervicogenic")
# A person whose sensitization sustains itself without pain: feedback above the
# bistability bound at zero pain (about 1.67 at the default half drive and Hill exponent),
# as about one person in six of the population spread is (docs/model.md, "Chronification").
# A susceptible patient: stronger feedback and a lower half drive than the median patient
# (0.85 is 0.9 SDs of the population spread below the calibrated 0.93): above the
# bistability bound, so sensitization sustains itself without pain.
SUSCEPTIBLE = {"sensitization_feedback": 1.8, "sensitization_half_drive": 0.85}
MONTH = 365.25 / 12
ROOT = Path(__file__).resolve().parents[1]


def _run(scenario: Scenario, **kwargs):
    return simulate(scenario, **kwargs).daily


# --- 1 -------------------------------------------------------------------------


def test_1_no_pain_no_disc_gives_steady_low_headache():
    """§2.1: "No lumbar pain and no disc degeneration: a steady, low (near zero) headache load."."""
    y = steady_state(P)
    assert_allclose(rhs(0.0, y, P, constant_inputs()), 0.0, rtol=0, atol=1e-12)
    assert y[STATE_INDEX["pain_threshold"]] == 1.0  # healthy threshold
    daily = _run(Scenario("healthy", duration=365))
    headache = daily["headache"]
    assert headache.max() < 0.1
    assert_allclose(headache, headache[0], rtol=0, atol=1e-9)  # flat over a year
    assert_allclose(daily["pain_threshold"], 1.0, rtol=0, atol=1e-12)


# --- 2 -------------------------------------------------------------------------


def test_2_sustained_pain_posture_fast_threshold_slow_headache_delayed():
    """§2.2: "Sustained lumbar pain: posture and neck tension respond within days; the pain
    threshold falls over weeks to months; headache load rises with a delay."

    Concretely, for a constant lumbar pain of 5: posture and the rise of neck
    tension reach 90% of their new steady level by day 10; the threshold is
    still above 0.9 at day 14 (under a quarter of its eventual fall) and makes
    half of its fall between day 60 and day 180 (Marcuzzi et al. 2018: months
    2-4 of persisting pain); headache at day 120 exceeds headache at day 14.
    """
    pain = 5.0
    daily = _run(Scenario("sustained", duration=365, lumbar_pain=profiles.constant(pain)))
    posture_new = posture_target(pain, 0.0, 0.0, 0.0, P)
    tone = P[INDEX["neck_resting_tone"]]
    neck_new = neck_tension_target(posture_new, 0.0, P)
    assert posture_new > 0.0
    assert daily["posture_deviation"][10] >= 0.9 * posture_new
    assert daily["neck_tension"][10] - tone >= 0.9 * (neck_new - tone)

    threshold = daily["pain_threshold"]
    final_fall = 1.0 - threshold[-1]
    assert final_fall > 0.1, "sustained pain 5 should sensitize"
    assert threshold[14] > 0.9
    assert 1.0 - threshold[14] < 0.25 * final_fall
    assert 1.0 - threshold[60] < 0.5 * final_fall < 1.0 - threshold[180]
    assert threshold[180] < threshold[14] - 0.1
    assert np.all(np.diff(threshold) <= 1e-12)  # monotone fall under constant drive

    headache = daily["headache"]
    assert headache[120] > headache[14] > headache[1]


# --- 3 -------------------------------------------------------------------------


def test_3_posture_chain_stiffness_monotone_neck_tension_and_mechanical_headache():
    """§2.3: "More posture-chain stiffness → more neck tension → more tension-type and
    cervicogenic headache (monotone)."

    Sweep 7 stiffness values over the table range under persistent LBP; at
    every observed day neck tension and tension-type + cervicogenic headache
    increase strictly with stiffness.
    """
    low, high = 0.2, 3.0
    stiffness = np.linspace(low, high, 7)
    days = [7, 30, 90, 182, 364]
    neck, mechanical = [], []
    for k in stiffness:
        daily = _run(
            Scenario(
                "persistent", duration=365, lumbar_pain=profiles.natural_history("persistent")
            ),
            overrides={"posture_chain_stiffness": float(k)},
        )
        neck.append(daily["neck_tension"][days])
        mechanical.append(sum(daily[name][days] for name in MECHANICAL))
    neck = np.array(neck)
    mechanical = np.array(mechanical)
    assert np.all(np.diff(neck, axis=0) > 0.0), neck
    assert np.all(np.diff(mechanical, axis=0) > 0.0), mechanical


# --- 4 -------------------------------------------------------------------------


def _short_episode_resolves():
    # Pain 7 (about the default patient's in its first months) for 4 weeks, then none: the
    # threshold dips and comes back fully.
    scenario = Scenario(
        "short",
        duration=28 + 365 + 1,
        lumbar_pain=profiles.from_points([0, 28], [7.0, 0.0], kind="step"),
    )
    daily = _run(scenario)
    threshold = daily["pain_threshold"]
    # Four weeks is early in the months-long onset: a dip of a few percent.
    assert threshold[:29].min() < 0.98, "the episode should sensitize transiently"
    assert threshold[28 + 365] > 0.99
    assert daily["headache"][28 + 365] < 0.1


def _long_exposure(parameters=None):
    # Pain 7 for 6 months, then none, followed for three years.
    scenario = Scenario(
        "long",
        duration=182 + 3 * 365 + 1,
        lumbar_pain=profiles.from_points([0, 182], [7.0, 0.0], kind="step"),
        parameters=parameters or {},
    )
    return _run(scenario)


def _long_exposure_outlasts_pain_then_recovers():
    # The default patient: sensitized at the end of the pain, still sensitized three months
    # later (headache elevated, mostly the sensitization component), then back to normal
    # over the months Kosek & Ordeberg 2000 report (6-14 months after the cause is removed).
    daily = _long_exposure()
    threshold = daily["pain_threshold"]
    healthy_headache = _run(Scenario("healthy", duration=2))["headache"][0]
    fall = 1.0 - threshold[182]
    assert fall > 0.1
    later = 182 + 91
    assert 1.0 - threshold[later] > 0.5 * fall
    assert daily["headache"][later] > 4.0 * healthy_headache
    assert daily["headache_sensitization"][later] > 0.5 * daily["headache"][later]
    regained = np.nonzero(1.0 - threshold[182:] <= 0.05 * fall)[0]
    assert regained.size, "the default patient's threshold should recover"
    assert 6.0 < regained[0] / MONTH < 14.0


def _long_exposure_sticks_in_a_susceptible_patient():
    # A patient above the bistability bound stays sensitized years after the pain stops.
    daily = _long_exposure(SUSCEPTIBLE)
    threshold = daily["pain_threshold"]
    healthy_headache = _run(Scenario("healthy", duration=2))["headache"][0]
    assert threshold[-1] < 0.85
    assert daily["headache"][-1] > 10.0 * healthy_headache
    assert daily["headache_sensitization"][-1] > 0.5 * daily["headache"][-1]


def _hysteresis_loop():
    # Ramp pain 0 -> 8 over 500 days and back: threshold lower on the way down.
    half = 500
    scenario = Scenario(
        "ramp",
        duration=2 * half,
        lumbar_pain=profiles.from_points([0, half, 2 * half], [0.0, 8.0, 0.0]),
    )
    daily = _run(scenario)
    pain = daily["lumbar_pain"]
    threshold = daily["pain_threshold"]
    up_pain, up_threshold = pain[: half + 1], threshold[: half + 1]
    down_pain, down_threshold = pain[half:][::-1], threshold[half:][::-1]
    assert_allclose(up_pain, down_pain, rtol=0, atol=1e-9)  # same pain at mirrored days
    gap = up_threshold - down_threshold
    assert gap.min() > -1e-9, "threshold on the way down must not exceed the way up"
    area = float(np.sum(0.5 * (gap[1:] + gap[:-1]) * np.diff(up_pain)))
    assert area > 0.5, f"loop area {area:.3g} (threshold x pain) is too small"
    middle = (up_pain > 2.0) & (up_pain < 5.0)
    assert gap[middle].min() > 0.05


@pytest.mark.parametrize(
    "claim",
    [_short_episode_resolves, _long_exposure_outlasts_pain_then_recovers,
     _long_exposure_sticks_in_a_susceptible_patient, _hysteresis_loop],
    ids=["short_episode_resolves", "long_exposure_outlasts_pain_then_recovers",
         "long_exposure_sticks_in_a_susceptible_patient", "hysteresis_loop"],
)
def test_4_chronification_short_resolves_long_persists_hysteresis(claim):
    """§2.4: "Chronification: a short episode of back pain resolves completely; long or
    intense exposure leaves a sensitized state that outlasts the back pain (a
    hysteresis loop when lumbar pain is raised and then lowered slowly)."

    "Outlasts" is read with Kosek & Ordeberg 2000: for the default patient by
    months (thresholds normal 6-14 months after the cause is removed); for a
    susceptible patient (feedback above the bistability bound) for good.
    """
    claim()


# --- 5 -------------------------------------------------------------------------


def test_5_low_threshold_amplifies_same_neck_tension():
    """§2.5: "Sensitization amplifies: the same neck tension gives more headache when the
    threshold is low."
    """
    posture, neck, inflammation = 5.0, 0.45, 0.1
    healthy = np.array(headache_targets(posture, neck, 1.0, inflammation, P))
    assert healthy[3] == 0.0  # no sensitization component at the healthy threshold
    totals = []
    for threshold in (1.0, 0.9, 0.8, 0.7):
        parts = np.array(headache_targets(posture, neck, threshold, inflammation, P))
        # The pathway parts are those of the healthy threshold; only the extra differs.
        assert_allclose(parts[:3], healthy[:3], rtol=1e-12, atol=0)
        totals.append(parts.sum())
    assert np.all(np.diff(totals) > 0.0), totals
    # Amplification without any central drive too (feedback term off).
    no_central = parameter_vector({"gain_central": 0.0})
    low = sum(headache_targets(posture, neck, 0.7, inflammation, no_central))
    high = sum(headache_targets(posture, neck, 1.0, inflammation, no_central))
    assert low > high


# --- 6 -------------------------------------------------------------------------


def test_6_disc_degeneration_raises_cytokines_and_migraine_cytokines_clear_fast():
    """§2.6: "Disc degeneration raises IL-6 and TNF-α and, through slow neuroinflammation,
    the migraine component, even with little mechanical load. Cytokines clear in
    minutes to hours, so lasting inflammation needs lasting production."
    """
    disc = 0.8
    # Production for 90 days, no lumbar pain, no ergonomic load.
    on = 90.0
    scenario = Scenario(
        "disc",
        duration=on + 60.0,
        disc_degeneration=profiles.from_points([0, on], [disc, 0.0], kind="step"),
    )
    daily = _run(scenario)
    assert daily["il6"][30] > 1.3 * P[INDEX["il6_healthy"]]
    assert daily["tnf_alpha"][30] > 1.3
    migraine = daily["headache_migraine"][int(on)]
    mechanical = sum(daily[name][int(on)] for name in MECHANICAL)
    healthy_headache = daily["headache"][0]
    assert migraine > 10.0 * healthy_headache  # clearly raised from (near) zero
    assert migraine > 2.0 * mechanical  # with little mechanical load
    assert daily["neck_tension"][int(on)] == pytest.approx(P[INDEX["neck_resting_tone"]])
    # Neuroinflammation is slow: far from its plateau after one day of production.
    assert daily["neuroinflammation"][1] < 0.1 * daily["neuroinflammation"][int(on)]

    # Clearance after production stops: measure the half-lives on a fine grid.
    y0 = steady_state(P, disc_degeneration=disc)
    fine = Scenario(
        "clearance",
        duration=0.5,
        output_step=1.0 / 2880.0,
        initial_state={
            name: y0[STATE_INDEX[name]] for name in ("il6", "tnf_alpha", "neuroinflammation")
        },
    )
    result = simulate(fine)
    t = result.time
    il6_excess = result.columns["il6"] - P[INDEX["il6_healthy"]]
    tnf_excess = result.columns["tnf_alpha"] - 1.0
    il6_half = crossing_time(t, il6_excess, 0.5 * il6_excess[0])
    tnf_half = crossing_time(t, tnf_excess, 0.5 * tnf_excess[0])
    assert_allclose(il6_half, P[INDEX["il6_half_life"]], rtol=0.02)
    assert_allclose(tnf_half, P[INDEX["tnf_half_life"]], rtol=0.02)
    assert il6_half < 6.0 / 24.0 and tnf_half < 1.0 / 24.0  # hours and minutes

    # Neuroinflammation outlasts the cytokines by far.
    after = daily["neuroinflammation"][int(on) :]
    il6_excess_daily = daily["il6"] - P[INDEX["il6_healthy"]]
    assert il6_excess_daily[int(on) + 1] < 0.01 * il6_excess_daily[int(on)]  # gone in a day
    assert after[7] > 0.5 * after[0]
    assert after[59] < 0.2 * after[0]  # but it does clear without production


# --- 7 -------------------------------------------------------------------------


def _last_month(daily, name):
    return float(np.mean(daily[name][-28:]))


def _pt_lowers_mechanical_and_lumbar_then_fades():
    untreated = _run(treated_base())
    stop = TREATMENT_START + 84.0
    treated = _run(treated_base((Treatment("physical_therapy", TREATMENT_START, stop),)))
    start = int(TREATMENT_START)
    # Over weeks: some effect after 1 week, most of it by 8 weeks.
    drop = {
        d: untreated["lumbar_pain"][start + d] - treated["lumbar_pain"][start + d] for d in (7, 56)
    }
    assert 0.0 < drop[7] < 0.5 * drop[56]
    assert treated["lumbar_pain"][start + 56] < 0.85 * untreated["lumbar_pain"][start + 56]
    for name in ("posture_deviation", "neck_tension", *MECHANICAL):
        assert treated[name][start + 56] < 0.8 * untreated[name][start + 56], name
    # Gains fade over months after stopping.
    effect = treated["physical_therapy_effect"]
    at_stop = effect[int(stop)]
    assert effect[int(stop) + 30] > 0.6 * at_stop
    assert effect[-1] < 0.15 * at_stop


def _ergonomics_fast_but_partial():
    untreated = _run(treated_base())
    treated = _run(treated_base((Treatment("ergonomics", TREATMENT_START),)))
    no_load = _run(treated_base(ergonomic_load=profiles.constant(0.0)))
    start = int(TREATMENT_START)
    final = untreated["neck_tension"][-1] - treated["neck_tension"][-1]
    assert final > 0.0
    within_two_weeks = untreated["neck_tension"][start + 14] - treated["neck_tension"][start + 14]
    assert within_two_weeks > 0.8 * final
    # Partly: never below the level without any ergonomic load.
    days = slice(start, None)
    assert np.all(treated["neck_tension"][days] > no_load["neck_tension"][days])
    assert np.all(treated["posture_deviation"][days] > no_load["posture_deviation"][days])


def _nsaid_cytokines_not_lumbar_or_sensitization():
    # A susceptible patient, so that the sensitization is established by the treatment start.
    untreated = _run(treated_base(parameters=SUSCEPTIBLE))
    treated = _run(treated_base((Treatment("nsaid", TREATMENT_START),), parameters=SUSCEPTIBLE))
    for name in ("il6", "tnf_alpha", "neuroinflammation", "headache_migraine"):
        assert _last_month(treated, name) < _last_month(untreated, name), name
    assert _last_month(treated, "headache_migraine") < 0.7 * _last_month(
        untreated, "headache_migraine"
    )
    lumbar_change = 1.0 - _last_month(treated, "lumbar_pain") / _last_month(
        untreated, "lumbar_pain"
    )
    assert 0.0 < lumbar_change < 0.10
    start = int(TREATMENT_START)
    assert untreated["pain_threshold"][start] < 0.9, "the patient should be sensitizing"
    assert (
        abs(_last_month(treated, "pain_threshold") - _last_month(untreated, "pain_threshold"))
        < 0.01
    )


def _neuropathic_raises_threshold_over_weeks():
    untreated = _run(treated_base(parameters=SUSCEPTIBLE))
    treated = _run(
        treated_base((Treatment("neuropathic_medication", TREATMENT_START, drug="duloxetine"),),
                     parameters=SUSCEPTIBLE)
    )
    start = int(TREATMENT_START)
    rise = treated["pain_threshold"] - untreated["pain_threshold"]
    assert rise[start + 7] < 0.02  # not within days
    assert rise[start + 84] > 0.05  # but over weeks
    assert _last_month(treated, "pain_threshold") > _last_month(untreated, "pain_threshold") + 0.1


def _multimodal_beats_each_single():
    singles = {
        "physical_therapy": Treatment("physical_therapy", TREATMENT_START),
        "ergonomics": Treatment("ergonomics", TREATMENT_START),
        "nsaid": Treatment("nsaid", TREATMENT_START),
        "neuropathic_medication": Treatment(
            "neuropathic_medication", TREATMENT_START, drug="duloxetine"
        ),
    }
    days = {
        name: summarize(simulate(treated_base((t,))))["metrics"]["headache_days_per_month"]
        for name, t in singles.items()
    }
    combined = summarize(simulate(treated_base(tuple(singles.values()))))
    multimodal = combined["metrics"]["headache_days_per_month"]
    assert multimodal < min(days.values()), (multimodal, days)


def _stopping_pt_early_relapses():
    untreated = _run(treated_base())
    continued = _run(treated_base((Treatment("physical_therapy", TREATMENT_START),)))
    stop = TREATMENT_START + 84.0
    early = _run(treated_base((Treatment("physical_therapy", TREATMENT_START, stop),)))
    at_stop = int(stop)
    assert untreated["lumbar_pain"][-1] > 2.0, "root cause persists"
    assert early["headache"][at_stop] < 0.85 * untreated["headache"][at_stop]
    # Headache rises back toward the untreated level ...
    assert early["headache"][-1] > early["headache"][at_stop] + 0.5 * (
        untreated["headache"][at_stop] - early["headache"][at_stop]
    )
    # ... and ends well above continued treatment.
    assert early["headache"][-1] > 1.2 * continued["headache"][-1]


@pytest.mark.parametrize(
    "claim",
    [
        _pt_lowers_mechanical_and_lumbar_then_fades,
        _ergonomics_fast_but_partial,
        _nsaid_cytokines_not_lumbar_or_sensitization,
        _neuropathic_raises_threshold_over_weeks,
        _multimodal_beats_each_single,
        _stopping_pt_early_relapses,
    ],
    ids=["physical_therapy", "ergonomics", "nsaid", "neuropathic", "multimodal", "early_stop"],
)
def test_7_treatments_act_on_their_own_mechanisms(claim):
    """§2.7: "Treatments act on their own mechanisms: physical therapy lowers the mechanical
    pathway and, through core strength, the lumbar drive, over weeks, and its gains
    fade over months once it stops; ergonomics lowers neck load quickly but partly;
    NSAIDs lower cytokines and the migraine component but barely touch lumbar pain
    or an established sensitization; neuropathic medication raises the threshold
    back over weeks. Multi-modal care beats any single treatment. Stopping a
    treatment early can bring a relapse when the root cause remains."

    Base: persistent LBP, disc degeneration 0.2, ergonomic load 0.3; treatments
    from day 182; 548 days.
    """
    claim()


# --- 8 -------------------------------------------------------------------------

FLARES = dict(first=14.0, every=42.0, length=14.0)
WARM_UP = 98  # two flare cycles before measuring


def _flare_run(parameters=SUSCEPTIBLE, initial_state=None, duration=365):
    scenario = Scenario(
        "flares",
        duration=duration,
        lumbar_pain=profiles.flares(1.0, 5.0, until=float(duration), **FLARES),
        parameters=parameters,
        initial_state=initial_state or {},
    )
    daily = _run(scenario)
    return daily["lumbar_pain"], daily["headache"], daily["pain_threshold"]


def _sensitized_threshold() -> float:
    """Threshold on the chronified branch (persistent pain 5 for two years)."""
    daily = _run(Scenario("chronify", duration=730, lumbar_pain=profiles.constant(5.0),
                          parameters=SUSCEPTIBLE))
    return float(daily["pain_threshold"][-1])


def test_8_mechanical_patients_coupled_sensitized_patients_decoupled():
    """§2.8: "Mechanically driven patients show headache tightly coupled in time to back
    pain; sensitized patients show weak coupling." (§1: "A sensitized patient breaks
    that coupling: headache persists when the back improves.")

    Recurring flares (pain 1 -> 5 for 14 of every 42 days). Coupling is the
    largest correlation of daily headache with daily lumbar pain delayed by
    0-7 days: the mechanical chain (posture, neck, headache) responds within
    days, so same-day correlation understates a tight but delayed coupling.

    For a patient already on the stable sensitized branch, correlation is the
    wrong yardstick: the flares are a two-level input and the sensitized
    response is the mechanical one scaled and offset, which leaves a
    correlation unchanged (0.93 in both). There the clinical sign is the one
    of §1, headache that persists when the back improves, measured as the
    trough-to-peak ratio of headache between and during flares.
    """
    # Non-sensitizing patient: no self-sustaining feedback.
    pain, headache, threshold = _flare_run({"sensitization_feedback": 0.0})
    mechanical_coupling = lagged_coupling(pain, headache)
    assert threshold.min() > 0.9
    assert mechanical_coupling > 0.9

    # A susceptible patient (feedback above the bistability bound) chronifies during the flares.
    # Sensitization takes months to build (Marcuzzi et al. 2018), so two years of flares.
    pain, headache, threshold = _flare_run(duration=730)
    assert threshold[-1] < 0.8
    assert lagged_coupling(pain, headache) < mechanical_coupling - 0.15

    # Established sensitization: headache persists between flares when the back improves.
    mech_pain, mech_headache, _ = _flare_run({"sensitization_feedback": 0.0})
    sens_pain, sens_headache, _ = _flare_run(
        initial_state={"pain_threshold": _sensitized_threshold()}
    )
    w = slice(WARM_UP, None)
    mech_ratio = mech_headache[w].min() / mech_headache[w].max()
    sens_ratio = sens_headache[w].min() / sens_headache[w].max()
    assert sens_ratio > 2.0 * mech_ratio
    assert sens_headache[w].min() > 3.0 * mech_headache[w].min()


def _steady_headache(p, lumbar: float, sensitized: bool) -> float:
    """Headache load at a stable steady state for constant back pain (disc 0.2, desk 0.3):
    the most sensitized stable state, or the least."""
    from lbp_headache.analysis import steady_states as ss

    stable = [q for q in ss.fixed_points(p, ss.ConstantInputs(lumbar, 0.2, 0.3)) if q.stable]
    point = stable[0] if sensitized else stable[-1]
    return float(point.states[STATE_INDEX["headache_tension_type"]:
                              STATE_INDEX["headache_sensitization"] + 1].sum())


@pytest.mark.parametrize("lumbar", [3.0, 5.0])
def test_8_in_steady_state_a_sensitized_headache_follows_back_pain_less(lumbar):
    """§2.8 in steady state, not only while a patient chronifies: the elasticity of the
    steady headache load to constant back pain (d ln H / d ln L, by +-10 %) of an
    established sensitized patient (a susceptible person on the sensitized branch) is at
    most 0.6 times a mechanical patient's (no feedback). Measured: 0.38 against 0.78 at
    back pain 3, 0.42 against 1.03 at 5; the sensitization component does not follow the
    back pain. With gain_central = 0 the two are the same and this fails."""
    def elasticity(p, sensitized):
        low = _steady_headache(p, 0.9 * lumbar, sensitized)
        high = _steady_headache(p, 1.1 * lumbar, sensitized)
        return (np.log(high) - np.log(low)) / (np.log(1.1) - np.log(0.9))

    mechanical = elasticity(parameter_vector({"sensitization_feedback": 0.0}), False)
    sensitized = elasticity(parameter_vector(SUSCEPTIBLE), True)
    assert mechanical > 0.5
    assert sensitized < 0.6 * mechanical, (sensitized, mechanical)


def test_8_on_diaries_an_established_sensitized_patient_reports_weaker_coupling():
    """§2.8 on what patients report: seeded diaries (day-to-day noise on both series,
    analysis/diary.py) over the second year of recurring flares, for an established
    sensitized patient and a mechanical one. The peak lagged correlation of reported
    headache with reported back pain, averaged over 20 diaries, is lower for the
    sensitized patient by at least 0.08 (measured 0.36 against 0.52 at the calibrated
    values, where the slow headache spells are larger; 0.49 against 0.65 before). The
    noiseless model series correlate alike: the sensitized headache is larger and
    steadier, so the back pain's share of its day-to-day variation is smaller."""
    from lbp_headache.analysis.diary import coupling, run_diary

    def mean_coupling(parameters, initial_state):
        scenario = Scenario("flares", duration=730,
                            lumbar_pain=profiles.flares(1.0, 5.0, until=730.0, **FLARES),
                            parameters=parameters, initial_state=initial_state)
        result = simulate(scenario)
        second_year = slice(365, None)
        values = []
        for seed in range(20):
            diary = run_diary(result, seed)
            values.append(coupling(diary.lumbar_pain[0, second_year],
                                   diary.headache[0, second_year])["peak_correlation"])
        return float(np.mean(values))

    mechanical = mean_coupling({"sensitization_feedback": 0.0}, {})
    sensitized = mean_coupling(SUSCEPTIBLE, {"pain_threshold": _sensitized_threshold()})
    assert mechanical > 0.45
    assert sensitized < mechanical - 0.08, (sensitized, mechanical)


def test_6_the_inflammatory_pathway_carries_weight_across_people_with_a_herniation():
    """Issue 14: the inflammatory pathway must matter where the literature gives it weight
    (disc herniation with inflammation), not only in a corner of parameter space. 500
    people drawn from the table's population spreads, the disc_herniation scenario
    (disc activity 0.9 for six months): the migraine-like share of the headache load in
    months 1-6 has a median of at least 25 % and reaches 15 % in at least 90 % of people
    (measured on 2,000: median 34.5 %, 10th-90th percentile 21-51 %, 98 % at 15 %), and
    it is larger than with the mild disc degeneration (0.2) of persistent back pain
    (median 19 %)."""
    from lbp_headache.core.parameters import PARAMETERS
    from lbp_headache.core.states import HEADACHE_COMPONENTS
    from lbp_headache.engine.batch import simulate_batch
    from lbp_headache.population.distributions import from_table
    from lbp_headache.scenario.reader import load_scenario

    rng = np.random.default_rng(6)
    rows = np.column_stack([from_table(p).draw(rng.random(500)) for p in PARAMETERS])
    migraine = HEADACHE_COMPONENTS.index("headache_migraine")
    shares = {}
    for name in ("disc_herniation", "persistent_back_pain"):
        scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        result = simulate_batch(scenario, rows, record=HEADACHE_COMPONENTS)
        assert np.all(result.status == 0)
        load = result.states[:, 30:183, :].mean(axis=1)
        shares[name] = load[:, migraine] / load.sum(axis=1)
    herniation = shares["disc_herniation"]
    assert np.median(herniation) >= 0.25
    assert np.mean(herniation >= 0.15) >= 0.9
    assert np.median(herniation) > np.median(shares["persistent_back_pain"]) + 0.1
