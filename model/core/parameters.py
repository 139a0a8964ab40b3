"""The parameter table: one record per parameter, the single source of truth.

Each :class:`Parameter` holds a value in canonical units, its unit, a plausible
range, its meaning and its source (a publication listed in docs/model.md or
"assumption: <reasoning>"). The documentation table, the validation of
scenario overrides and the default bounds of sweeps are generated from it.

The right-hand side reads parameters from a plain float array in the order of
:data:`PARAMETERS`; :data:`INDEX` maps a name to its position.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
from lbp_headache.core.calibrated import CALIBRATED
from lbp_headache.core.errors import ParameterError
from lbp_headache.core.suggestions import suggest
from lbp_headache.core.units import DIMENSIONLESS, pretty

ASSUMPTION = "assumption"
DISTRIBUTIONS = ("lognormal", "logitnormal", "uniform")


@dataclass(frozen=True)
class Spread:
    """How a parameter varies between people (virtual populations draw from it).

    ``lognormal``: ``log x ~ N(log value, scale)`` (``scale`` ~ the coefficient of
    variation when small); ``logitnormal`` for quantities in (0, 1):
    ``logit x ~ N(logit value, scale)``; ``uniform`` over the plausible range
    (``scale`` unused, 0). Draws are truncated to the plausible range ``[low,
    high]`` (by inverse-CDF sampling, so no draw is ever rejected).
    """

    distribution: str
    scale: float
    source: str

    def __post_init__(self):
        if self.distribution not in DISTRIBUTIONS:
            raise ValueError(f"unknown distribution {self.distribution!r}")
        if not (self.scale >= 0.0 and math.isfinite(self.scale)):
            raise ValueError("a spread's scale must be finite and >= 0")

    def describe(self) -> str:
        """``lognormal (SD of log 0.3)``, ``logitnormal (SD of logit 0.4)``, ``uniform``."""
        if self.distribution == "lognormal":
            return f"lognormal (SD of log {self.scale:g})"
        if self.distribution == "logitnormal":
            return f"logitnormal (SD of logit {self.scale:g})"
        return "uniform over the range"


@dataclass(frozen=True)
class Parameter:
    """One model parameter.

    Attributes
    ----------
    name
        Public name (used in YAML overrides, ``--set`` and outputs).
    value
        Default value in ``unit``.
    unit
        Canonical unit (pint syntax); ``"dimensionless"`` for pure numbers.
    low, high
        Plausible range (inclusive); overrides outside it are rejected and
        sweeps default to it.
    meaning
        What the parameter does in the model, in one sentence.
    source
        A citation, or ``"assumption: <reasoning>"``.
    group
        The pathway or part of the model it belongs to (for the docs).
    spread
        How it varies between people (:class:`Spread`), or ``None`` for a
        parameter that is the same for everybody (a structural constant, a
        unit convention, a dose definition).
    prior_value, calibrated_interval
        For a calibrated parameter (:mod:`.calibrated`): its value before
        calibration (publication or assumption, the centre of the calibration's
        prior) and the 95 % posterior interval of ``value``, the posterior
        median; ``None`` for the others.
    """

    name: str
    value: float
    unit: str
    low: float
    high: float
    meaning: str
    source: str
    group: str
    spread: Spread | None = None
    prior_value: float | None = None
    calibrated_interval: tuple[float, float] | None = None

    @property
    def is_assumption(self) -> bool:
        return self.source.startswith(ASSUMPTION)

    @property
    def uncalibrated_value(self) -> float:
        """The value before calibration (the table's value for a parameter not calibrated)."""
        return self.value if self.prior_value is None else self.prior_value


def _p(name, value, unit, low, high, group, meaning, source) -> Parameter:
    return Parameter(name, float(value), unit, float(low), float(high), meaning, source, group)


_LN2 = math.log(2.0)
DAY_MINUTES = 24 * 60

PARAMETERS: tuple[Parameter, ...] = (
    # --- mechanical pathway -------------------------------------------------
    _p("posture_chain_stiffness", 1.0, DIMENSIONLESS, 0.2, 3.0, "mechanical",
       "How much of the lumbar compensation is transmitted up the deep muscle chains "
       "(erector spinae) to the head position; 1 = typical.",
       "assumption: dimensionless gain normalised to 1 for a typical adult; the range "
       "spans a loose to a very stiff chain (5-fold either way is not identifiable from "
       "published data)"),
    _p("gain_posture_lumbar", 1.2, "degree", 0.3, 3.0, "mechanical",
       "Loss of craniovertebral angle per point of lumbar pain (0-10) at chain stiffness 1.",
       "Fernandez-de-las-Penas et al. 2006, Cephalalgia 26:314 (healthy CVA about 54 deg, "
       "smaller in headache); assumption that pain 5 costs about 6 deg, within the "
       "observed healthy-to-headache difference"),
    _p("gain_posture_ergonomic", 6.0, "degree", 1.0, 12.0, "mechanical",
       "Loss of craniovertebral angle from sustained forward-head desk work at "
       "ergonomic load 1.",
       "Fernandez-de-las-Penas et al. 2006, Cephalalgia 26:314; assumption that a full "
       "working day at a poor desk set-up shifts the CVA by a similar amount as "
       "moderate back pain"),
    _p("tau_posture", 3.0, "day", 0.5, 14.0, "mechanical",
       "Time constant of the compensatory posture shift.",
       "assumption: science.md behaviour 2 says posture responds within days"),
    _p("posture_deviation_half", 8.0, "degree", 3.0, 20.0, "mechanical",
       "Posture deviation at which the extra neck-muscle tension reaches half its maximum.",
       "assumption: forward-head posture of about 8-10 deg separates headache patients "
       "from controls (Fernandez-de-las-Penas et al. 2006)"),
    _p("neck_resting_tone", 0.1, DIMENSIONLESS, 0.02, 0.3, "mechanical",
       "Neck-muscle tension at a neutral posture (fraction of maximal sustained tension).",
       "assumption: low resting activity of a few to 10% of maximum in healthy trapezius"),
    _p("tau_neck_tension", 2.0, "day", 0.25, 10.0, "mechanical",
       "Time constant of cervical muscle guarding.",
       "assumption: muscle guarding builds and relaxes over days (science.md behaviour 2)"),
    _p("reference_posture_deviation", 10.0, "degree", 5.0, 20.0, "mechanical",
       "Posture deviation at which upper-cervical facet strain equals the tension stimulus "
       "(scales the cervicogenic stimulus).",
       "assumption: about 10 deg of CVA loss marks clear forward-head posture"),
    # --- neurological pathway ----------------------------------------------
    _p("sensitization_depth", 0.30, DIMENSIONLESS, 0.15, 0.6, "neurological",
       "Largest fractional fall of the pain threshold in full central sensitization.",
       "Giesbrecht & Battie 2005, Phys Ther 85:1085 (pressure-pain threshold 16% lower "
       "remote and 26% lower at lumbar sites, averaged over sensitized and non-sensitized "
       "patients); the sensitized subgroup falls further"),
    _p("sensitization_half_drive", 0.85, DIMENSIONLESS, 0.3, 1.0, "neurological",
       "Central drive (lumbar pain/10 plus feedback) giving half of full sensitization.",
       "assumption: chosen with sensitization_hill and sensitization_feedback (docs/model.md, "
       "'Chronification: the structure chosen and why') so that the default persistent LBP "
       "course (Menezes Costa et al. 2012) makes half its threshold fall in months 2-4 "
       "(Marcuzzi et al. 2018) and the chronic-LBP population's mean remote threshold drop "
       "is near 16% (Giesbrecht & Battie 2005)"),
    _p("sensitization_hill", 2.5, DIMENSIONLESS, 2.0, 8.0, "neurological",
       "Steepness (Hill exponent) of the sensitization response to central drive.",
       "assumption: a moderately cooperative response; with 6 (the earlier value) every "
       "person's fall was a knife-edge switch and the default patient sensitized before "
       "month 2, against Marcuzzi et al. 2018 (docs/model.md, 'Chronification')"),
    _p("sensitization_feedback", 1.35, DIMENSIONLESS, 0.0, 2.0, "neurological",
       "Self-sustaining drive of a sensitized system (central drive per unit "
       "sensitization); above about 1.83 (at the calibrated half drive 0.93; 1.67 at 0.85) "
       "the sensitized state persists without input.",
       "assumption: represents the 'stuck' hypersensitive state of the source article; "
       "the default person lies below the bistability bound at zero pain, so the threshold "
       "recovers once the pain stops (Kosek & Ordeberg 2000), slowly because the feedback "
       "is near the bound; the population spread puts about one person in eight above it "
       "(docs/model.md, 'Chronification'); 0 removes chronification"),
    _p("tau_sensitization", 75.0, "day", 20.0, 90.0, "neurological",
       "Time constant of the fall of the pain threshold while drive persists.",
       "Marcuzzi et al. 2018, PAIN Reports 3:e641 (thresholds fall between months 2 and 4 "
       "of persisting LBP); with the feedback the half-fall time of the default persistent "
       "course is about 2.9 months, not tau ln 2"),
    _p("tau_desensitization", 60.0, "day", 40.0, 150.0, "neurological",
       "Time constant of threshold recovery once drive is removed.",
       "Kosek & Ordeberg 2000, Eur J Pain 4:229 (thresholds normal 6-14 months after the "
       "painful cause is removed: 3 time constants of 60-140 days); the feedback slows the "
       "recovery, so 60 days (the low end) gives 95% recovery 8-12 months after the pain "
       "stops for the default patient"),
    # --- inflammatory pathway -----------------------------------------------
    _p("il6_healthy", 5.2, "pg/mL", 4.6, 5.7, "inflammatory",
       "Plasma IL-6 of a healthy adult.",
       "Said et al. 2020, meta-analysis of 57 studies (5.2 pg/mL, 95% CI 4.6-5.7)"),
    _p("il6_half_life", 3.0 / 24.0, "day", 1.0 / 24.0, 5.0 / 24.0, "inflammatory",
       "Plasma half-life of IL-6.",
       "Banks et al. 2000, Cytokine 12:388 (about 1-5 h)"),
    _p("tnf_half_life", 20.0 / DAY_MINUTES, "day", 10.0 / DAY_MINUTES, 40.0 / DAY_MINUTES,
       "inflammatory",
       "Plasma half-life of TNF-alpha.",
       "Chapman et al. 1987 (rhTNF in cancer patients: about 20 min)"),
    _p("gain_il6_disc", 1.0, DIMENSIONLESS, 0.2, 3.0, "inflammatory",
       "Fractional rise of IL-6 production at disc degeneration 1.",
       "assumption: disc herniation roughly doubles serum IL-6; IL-6 stays higher at 12 "
       "months with persisting pain (Pedersen, Schistad et al.)"),
    _p("gain_tnf_disc", 1.5, DIMENSIONLESS, 0.2, 4.0, "inflammatory",
       "Fractional rise of TNF-alpha production at disc degeneration 1 (TNF relative to "
       "a healthy reference).",
       "assumption: TNF is expressed relative to a healthy reference because absolute "
       "levels are assay-dependent; serum TNF falls over 1-12 months after surgery "
       "(Asian Spine J 2016)"),
    _p("weight_il6", 1.0, DIMENSIONLESS, 0.0, 2.0, "inflammatory",
       "Weight of relative IL-6 excess in the neuroinflammatory drive.",
       "assumption: IL-6 and TNF-alpha weighted equally without data to separate them"),
    _p("weight_tnf", 1.0, DIMENSIONLESS, 0.0, 2.0, "inflammatory",
       "Weight of relative TNF-alpha excess in the neuroinflammatory drive.",
       "assumption: IL-6 and TNF-alpha weighted equally without data to separate them"),
    _p("neuroinflammation_half_drive", 1.0, DIMENSIONLESS, 0.2, 3.0, "inflammatory",
       "Cytokine excess giving half-maximal neuroinflammation.",
       "assumption: a doubling of both cytokines gives about two thirds of maximum"),
    _p("tau_neuroinflammation", 21.0, "day", 5.0, 90.0, "inflammatory",
       "Time constant of neuroinflammation (glial activation) following cytokines.",
       "assumption: slow compared with cytokine clearance (science.md behaviour 6); weeks "
       "of glial activation"),
    # --- headache generation -----------------------------------------------
    _p("gain_tension_type", 1.0, DIMENSIONLESS, 0.3, 3.0, "headache",
       "Tension-type stimulus per unit neck tension.",
       "assumption: reference scale of the headache stimuli (=1)"),
    _p("gain_cervicogenic", 0.6, DIMENSIONLESS, 0.1, 2.0, "headache",
       "Cervicogenic stimulus per unit neck tension at the reference posture deviation.",
       "Nilsson 1995, Spine 20:1884 (cervicogenic share about 18% of frequent headache); "
       "assumption that it is smaller than the tension-type stimulus"),
    _p("gain_migraine", 0.6, DIMENSIONLESS, 0.1, 2.0, "headache",
       "Migraine-like stimulus at full neuroinflammation.",
       "assumption: full neuroinflammation provokes about as much as moderate neck tension; "
       "mild disc degeneration (0.1) alone then gives under one headache day a month"),
    _p("gain_central", 0.35, DIMENSIONLESS, 0.0, 1.0, "headache",
       "Spontaneous central stimulus of a fully sensitized system (everyday input "
       "perceived as pain).",
       "assumption: lets headache persist after the back improves, as the source article "
       "describes for central sensitization"),
    _p("sensitization_amplification", 1.0, DIMENSIONLESS, 0.0, 3.0, "headache",
       "Exponent by which a lowered threshold amplifies every stimulus "
       "(stimulus / threshold^exponent).",
       "assumption: threshold as a divisor of the perceived stimulus (exponent 1)"),
    _p("headache_stimulus_half", 2.0, DIMENSIONLESS, 0.8, 4.0, "headache",
       "Perceived stimulus giving half the maximal headache load.",
       "assumption: tuned so that the healthy steady state is near zero (< 0.1/10) and "
       "12 months of persistent LBP with mild disc degeneration and office work reach "
       "the chronic-headache range (about 15-20 headache days/month, ICHD-3) with the "
       "earlier, always-chronifying sensitization; since the chronification revision "
       "(docs/model.md) that patient has about 4 headache days a month"),
    _p("headache_hill", 2.0, DIMENSIONLESS, 1.0, 4.0, "headache",
       "Steepness (Hill exponent) of headache load versus perceived stimulus.",
       "assumption: sigmoidal so that small stimuli give almost no headache"),
    _p("tau_headache", 1.0, "day", 0.25, 5.0, "headache",
       "Time constant of the headache load.",
       "assumption: daily load follows its stimuli within a day or two"),
    # --- observation model ---------------------------------------------------
    _p("headache_day_half_load", 3.0, DIMENSIONLESS, 1.5, 5.0, "observation",
       "Headache load (0-10) at which half of days are headache days.",
       "assumption: observation model linking the smooth load to ICHD-3 headache days "
       "(headache of at least 30 min); a 3/10 load is a headache on every other day"),
    _p("headache_day_hill", 3.0, DIMENSIONLESS, 1.0, 6.0, "observation",
       "Steepness of the probability of a headache day versus load.",
       "assumption: chosen so that a load below 1/10 gives under one headache day a month"),
    # --- day-to-day variability (the stochastic layer of diaries) --------------
    _p("headache_noise_sd", 0.35, DIMENSIONLESS, 0.05, 1.0, "variability",
       "Day-to-day fluctuation of the reported headache load around the model's value "
       "(standard deviation of an AR(1) process on the log scale).",
       "assumption: headache also follows triggers the model leaves out (sleep, stress); "
       "a 35% day-to-day variation keeps a 3/10 day within about 2-4/10, wider than the "
       "rating error alone (Williams et al. 2025, J Pain: NRS smallest detectable change "
       "1.6-2.8/10); a calibration target"),
    _p("headache_noise_autocorrelation", 0.4, DIMENSIONLESS, 0.0, 0.95, "variability",
       "Day-to-day autocorrelation of that fluctuation (AR(1) coefficient).",
       "assumption: bad days cluster for a day or two"),
    _p("headache_fluctuation_sd", 0.4, DIMENSIONLESS, 0.0, 1.0, "variability",
       "Slow fluctuation of the reported headache load over weeks (standard deviation of a "
       "second AR(1) process on the log scale, added to the day-to-day one).",
       "assumption: the triggers the model leaves out come in spells (a stressful month, a "
       "bad sleep period), so headache frequency varies from month to month as well as "
       "from day to day; a calibration parameter"),
    _p("tau_headache_fluctuation", 28.0, "day", 3.0, 180.0, "variability",
       "Correlation time of the slow headache fluctuation (daily AR(1) coefficient "
       "exp(-1 day / tau)).",
       "assumption: such a spell lasts about a month; a calibration parameter"),
    _p("lumbar_noise_sd", 0.8, DIMENSIONLESS, 0.2, 2.0, "variability",
       "Day-to-day fluctuation of the reported back pain (0-10 points; AR(1) standard "
       "deviation).",
       "Williams et al. 2025, J Pain (NRS test-retest ICC 0.75-0.94, smallest detectable "
       "change 1.6-2.8/10, hence a standard error of measurement of 0.6-1.0 points)"),
    _p("lumbar_noise_autocorrelation", 0.5, DIMENSIONLESS, 0.0, 0.95, "variability",
       "Day-to-day autocorrelation of the back-pain fluctuation (AR(1) coefficient).",
       "assumption: back pain carries over from one day to the next"),
    _p("lumbar_fluctuation_sd", 0.3, DIMENSIONLESS, 0.0, 1.0, "variability",
       "Week-to-week fluctuation of a virtual patient's back pain itself, as a factor on "
       "the patient's course (standard deviation of a weekly AR(1) process on the log "
       "scale; the factor's mean is 1). Unlike the daily rating noise it drives the "
       "model: posture, sensitization and headache follow it. Virtual populations only: "
       "a single scenario's back pain is its profile.",
       "assumption: chronic LBP is episodic, with good and bad spells lasting weeks, not a "
       "steady level (the Menezes Costa et al. 2012 course is a cohort mean); a 30% spell "
       "moves 5/10 back pain between about 3.7 and 6.8 (2 SD); a calibration parameter"),
    _p("tau_lumbar_fluctuation", 28.0, "day", 7.0, 180.0, "variability",
       "Correlation time of that week-to-week fluctuation (weekly AR(1) coefficient "
       "exp(-7 days / tau)).",
       "assumption: a good or bad spell of back pain lasts about a month; a calibration "
       "parameter"),
    # --- expectation (placebo) ----------------------------------------------
    _p("placebo_relief", 0.15, DIMENSIONLESS, 0.0, 0.5, "placebo",
       "Fractional relief of reported back pain and headache at full expectation "
       "(a placebo, or the expectation that comes with any blinded treatment).",
       "Strijkers et al. 2021, Pain 162:2792 (placebo versus no treatment SMD -0.37 on "
       "pain: about 7/100 with a between-patient SD of about 20/100, 15% of a typical "
       "50/100); Pedersen et al. 2024, Pain (18% of short-term improvement is placebo)"),
    _p("tau_placebo_onset", 3.0, "day", 0.5, 14.0, "placebo",
       "Time constant with which the expectation effect builds up.",
       "assumption: expectation acts within days of the first dose"),
    _p("tau_placebo_offset", 14.0, "day", 2.0, 60.0, "placebo",
       "Time constant with which the expectation effect fades after the treatment stops.",
       "assumption: conditioned expectation fades over weeks"),
    # --- treatments: physical therapy ---------------------------------------
    _p("tau_physical_therapy_onset", 21.0, "day", 7.0, 56.0, "physical_therapy",
       "Time constant with which physical-therapy gains build up.",
       "Castien et al. 2011, Cephalalgia 31:133 (clear effect at 8 weeks); Hayden et al. "
       "2021 (effect at about 3 months)"),
    _p("tau_physical_therapy_fade", 120.0, "day", 30.0, 365.0, "physical_therapy",
       "Time constant with which physical-therapy gains fade after it stops.",
       "Castien et al. 2011 (still better at 26 weeks); assumption of a fade over months"),
    _p("physical_therapy_lumbar_relief", 0.3, DIMENSIONLESS, 0.1, 0.5, "physical_therapy",
       "Fractional reduction of lumbar pain at full physical-therapy effect (core strength).",
       "Hayden et al. 2021, Cochrane CD009790 (-15 on 0-100 versus usual care, about 30% "
       "of a typical 50/100)"),
    _p("physical_therapy_posture_correction", 0.35, DIMENSIONLESS, 0.1, 0.9, "physical_therapy",
       "Fractional correction of the posture deviation at full effect.",
       "assumption: posture training restores about a third of the CVA loss; tuned with "
       "physical_therapy_neck_relief to Castien et al. 2011 (-6.4 headache days/month "
       "versus usual care at 8 weeks)"),
    _p("physical_therapy_neck_relief", 0.25, DIMENSIONLESS, 0.1, 0.9, "physical_therapy",
       "Fractional reduction of the extra neck tension at full effect (neck mobility "
       "and muscle work).",
       "Castien et al. 2011, Cephalalgia 31:133 (-6.4 headache days/month versus usual "
       "care at 8 weeks, 95% CI -8.3 to -4.5): tuned until the physical_therapy scenario "
       "gave -6.8 against the untreated control in weeks 6-10; since the chronification "
       "revision (docs/model.md) that control has about 5 headache days a month and the "
       "scenario gives -3.5, while the virtual CTTH trial gives -6.6 (calibration target "
       "physical_therapy_ctth_8_weeks)"),
    # --- treatments: ergonomics ---------------------------------------------
    _p("tau_ergonomics_onset", 3.0, "day", 1.0, 14.0, "ergonomics",
       "Time constant with which ergonomic changes take effect.",
       "assumption: a new desk set-up changes neck load within days (science.md "
       "behaviour 7: 'quickly')"),
    _p("tau_ergonomics_fade", 7.0, "day", 1.0, 30.0, "ergonomics",
       "Time constant with which old habits return after ergonomic measures stop.",
       "assumption: habits revert within one to two weeks"),
    _p("ergonomics_efficacy", 0.5, DIMENSIONLESS, 0.2, 0.8, "ergonomics",
       "Fraction of the ergonomic neck load removed at full adherence.",
       "assumption: science.md behaviour 7 says ergonomics lowers neck load 'partly'"),
    # --- treatments: NSAIDs --------------------------------------------------
    _p("tau_nsaid", 0.25, "day", 0.05, 1.0, "nsaid",
       "Time constant of onset and offset of the NSAID effect.",
       "assumption: oral NSAIDs act within hours"),
    _p("nsaid_standard_dose", 1200.0, "mg/day", 400.0, 2400.0, "nsaid",
       "Ibuprofen-equivalent daily dose giving the full NSAID effect (higher doses add "
       "nothing).",
       "assumption: 1200 mg/day ibuprofen is the usual over-the-counter maximum"),
    _p("nsaid_cytokine_inhibition", 0.6, DIMENSIONLESS, 0.2, 0.9, "nsaid",
       "Fractional reduction of disc-driven cytokine production at full NSAID effect.",
       "assumption: NSAIDs reduce inflammatory signalling substantially but not fully"),
    _p("nsaid_lumbar_relief", 0.066, DIMENSIONLESS, 0.02, 0.11, "nsaid",
       "Fractional reduction of lumbar pain at full NSAID effect.",
       "Enthoven et al. 2016, Cochrane CD012087 (-3.3 on 0-100 versus placebo, about "
       "6.6% of 50/100; CI -1.3 to -5.3)"),
    # --- treatments: neuropathic medication ---------------------------------
    _p("tau_neuropathic_onset", 10.0, "day", 3.0, 28.0, "neuropathic_medication",
       "Time constant with which neuropathic medication takes effect.",
       "Skljarevski et al. 2009; J Pain Res 2017;10:1723 (duloxetine separates from "
       "placebo by week 2-3)"),
    _p("tau_neuropathic_offset", 7.0, "day", 2.0, 28.0, "neuropathic_medication",
       "Time constant with which the effect wears off after the drug stops.",
       "assumption: tapering over one to two weeks"),
    _p("neuropathic_restoration_rate", 0.03, "1/day", 0.0, 0.1, "neuropathic_medication",
       "Rate at which full neuropathic-medication effect pulls the threshold back to normal.",
       "assumption: science.md behaviour 7 says the threshold rises back 'over weeks'; "
       "tuned with duloxetine_efficacy so that duloxetine alone on an established "
       "sensitization halves headache days (a partial responder), on the earlier, "
       "always-chronifying default patient"),
    _p("neuropathic_lumbar_relief", 0.75, DIMENSIONLESS, 0.0, 1.5, "neuropathic_medication",
       "Fractional reduction of lumbar pain per unit of neuropathic-medication effect "
       "(the drugs' analgesia on back pain itself: at duloxetine's default effect 0.2, "
       "15% less back pain).",
       "Alev et al. 2017, J Pain Res 10:1723 (pooled 4 RCTs of duloxetine 60 mg in "
       "CLBP: >= 50% less back pain in 48.6% vs 35.1% on placebo, i.e. the trials "
       "measured an effect on back pain); the size is an assumption (a modest "
       "analgesic effect of about 15%), to be calibrated on those responder shares"),
    _p("duloxetine_efficacy", 0.2, DIMENSIONLESS, 0.1, 0.6, "neuropathic_medication",
       "Fraction of central gain removed by duloxetine at its standard dose.",
       "J Pain Res 2017;10:1723 pooled RCTs (>=50% pain reduction in 48.6% vs 35.1% on "
       "placebo at 12-14 weeks: a modest effect); tuned to a partial response of the "
       "default sensitized patient"),
    _p("duloxetine_standard_dose", 60.0, "mg/day", 30.0, 120.0, "neuropathic_medication",
       "Duloxetine dose giving its full effect.",
       "Skljarevski et al. 2009 (60 mg/day)"),
    _p("pregabalin_efficacy", 0.05, DIMENSIONLESS, 0.0, 0.2, "neuropathic_medication",
       "Fraction of central gain removed by pregabalin at its standard dose.",
       "Shanthanna et al. 2017, PLoS Med 14:e1002369 (little to no benefit in axial "
       "chronic LBP)"),
    _p("pregabalin_standard_dose", 300.0, "mg/day", 150.0, 600.0, "neuropathic_medication",
       "Pregabalin dose giving its full effect.",
       "Shanthanna et al. 2017 (trial doses 150-600 mg/day)"),
    _p("gabapentin_efficacy", 0.05, DIMENSIONLESS, 0.0, 0.2, "neuropathic_medication",
       "Fraction of central gain removed by gabapentin at its standard dose.",
       "Shanthanna et al. 2017, PLoS Med 14:e1002369 (little to no benefit)"),
    _p("gabapentin_standard_dose", 1800.0, "mg/day", 900.0, 3600.0, "neuropathic_medication",
       "Gabapentin dose giving its full effect.",
       "Shanthanna et al. 2017 (trial doses 900-3600 mg/day)"),
    _p("amitriptyline_efficacy", 0.15, DIMENSIONLESS, 0.05, 0.35, "neuropathic_medication",
       "Fraction of central gain removed by amitriptyline at its standard dose.",
       "assumption: tricyclics act on descending inhibition like SNRIs but with weaker "
       "evidence in LBP; set between duloxetine and gabapentinoids"),
    _p("amitriptyline_standard_dose", 25.0, "mg/day", 10.0, 75.0, "neuropathic_medication",
       "Amitriptyline dose giving its full effect.",
       "assumption: 25 mg/day, a usual low analgesic dose"),
)

_VARIES = ("assumption: people differ in this; no published spread, so a moderate one "
           "(a calibration target)")
_TREATMENT_VARIES = ("assumption: treatment responses differ widely between patients "
                     "(responders and non-responders in every trial); a calibration target")
_KINETICS_VARY = "assumption: time courses differ between people by about a third"
_ROBUST = ("assumption: about a third between people, in line with the spread of "
           "physiological gains")

# Population spread of every parameter that varies between people (None: the same for all).
POPULATION_SPREADS: Mapping[str, Spread] = {
    "posture_chain_stiffness": Spread("lognormal", 0.35, "assumption: a loose to a stiff "
                                      "posture chain, about 2-fold between people"),
    "gain_posture_lumbar": Spread("lognormal", 0.3, _ROBUST),
    "gain_posture_ergonomic": Spread("lognormal", 0.3, _ROBUST),
    "tau_posture": Spread("lognormal", 0.3, _KINETICS_VARY),
    "posture_deviation_half": Spread("lognormal", 0.25, _ROBUST),
    "neck_resting_tone": Spread("logitnormal", 0.4, _VARIES),
    "tau_neck_tension": Spread("lognormal", 0.3, _KINETICS_VARY),
    "sensitization_depth": Spread("logitnormal", 0.3, "Giesbrecht & Battie 2005 (pressure-"
                                  "pain thresholds vary widely within chronic LBP); spread "
                                  "an assumption"),
    "sensitization_half_drive": Spread("lognormal", 0.1, "assumption: who sensitizes at a "
                                       "given pain differs; the spread is carried mostly by "
                                       "sensitization_feedback (docs/model.md, "
                                       "'Chronification')"),
    "sensitization_feedback": Spread("lognormal", 0.45, "assumption: whether sensitization "
                                     "sustains itself differs between people; 0.45 puts "
                                     "about 12% of people above the bistability bound at "
                                     "zero pain (16% before the half drive was "
                                     "calibrated), so the share who stay sensitized grows "
                                     "smoothly with the dose of back pain (Kosek & Ordeberg "
                                     "2000: most recover; Aoyagi et al. 2019: about half of "
                                     "chronic LBP patients are sensitized)"),
    "tau_sensitization": Spread("lognormal", 0.3, "Marcuzzi et al. 2018 (thresholds fall "
                                "anywhere between months 2 and 4)"),
    "tau_desensitization": Spread("lognormal", 0.3, "Kosek & Ordeberg 2000 (thresholds "
                                  "normal 6 to 14 months after the cause is removed)"),
    "il6_healthy": Spread("lognormal", 0.1, "Said et al. 2020 (healthy IL-6 varies; the "
                          "table range is the CI of the mean, so the spread is truncated)"),
    "il6_half_life": Spread("lognormal", 0.3, "Banks et al. 2000 (1-5 h)"),
    "tnf_half_life": Spread("lognormal", 0.3, _KINETICS_VARY),
    "gain_il6_disc": Spread("lognormal", 0.4, "Pedersen, Schistad et al. (IL-6 after disc "
                            "herniation differs between patients); spread an assumption"),
    "gain_tnf_disc": Spread("lognormal", 0.4, _VARIES),
    "neuroinflammation_half_drive": Spread("lognormal", 0.3, _VARIES),
    "tau_neuroinflammation": Spread("lognormal", 0.3, _KINETICS_VARY),
    "gain_tension_type": Spread("lognormal", 0.3, _VARIES),
    "gain_cervicogenic": Spread("lognormal", 0.4, _VARIES),
    "gain_migraine": Spread("lognormal", 0.4, "assumption: migraine susceptibility differs "
                            "widely between people"),
    "gain_central": Spread("lognormal", 0.3, _VARIES),
    "headache_stimulus_half": Spread("lognormal", 0.2, _VARIES),
    "tau_headache": Spread("lognormal", 0.3, _KINETICS_VARY),
    "headache_noise_sd": Spread("lognormal", 0.3, _VARIES),
    "headache_fluctuation_sd": Spread("lognormal", 0.3, _VARIES),
    "tau_headache_fluctuation": Spread("lognormal", 0.3, _KINETICS_VARY),
    "lumbar_fluctuation_sd": Spread("lognormal", 0.3, _VARIES),
    "tau_lumbar_fluctuation": Spread("lognormal", 0.3, _KINETICS_VARY),
    "lumbar_noise_sd": Spread("lognormal", 0.3, "Williams et al. 2025 (the smallest "
                              "detectable change ranges 1.6-2.8/10 between studies)"),
    "placebo_relief": Spread("logitnormal", 0.8, "assumption: placebo responses range from "
                             "none to large (Pedersen et al. 2024)"),
    "tau_placebo_onset": Spread("lognormal", 0.3, _KINETICS_VARY),
    "tau_placebo_offset": Spread("lognormal", 0.3, _KINETICS_VARY),
    "tau_physical_therapy_onset": Spread("lognormal", 0.3, _KINETICS_VARY),
    "tau_physical_therapy_fade": Spread("lognormal", 0.4, _KINETICS_VARY),
    "physical_therapy_lumbar_relief": Spread("logitnormal", 0.4, _TREATMENT_VARIES),
    "physical_therapy_posture_correction": Spread("logitnormal", 0.4, _TREATMENT_VARIES),
    "physical_therapy_neck_relief": Spread("logitnormal", 0.4, _TREATMENT_VARIES),
    "tau_ergonomics_onset": Spread("lognormal", 0.3, _KINETICS_VARY),
    "tau_ergonomics_fade": Spread("lognormal", 0.3, _KINETICS_VARY),
    "ergonomics_efficacy": Spread("logitnormal", 0.4, _TREATMENT_VARIES),
    "nsaid_cytokine_inhibition": Spread("logitnormal", 0.3, _TREATMENT_VARIES),
    "nsaid_lumbar_relief": Spread("logitnormal", 0.3, _TREATMENT_VARIES),
    "tau_neuropathic_onset": Spread("lognormal", 0.3, _KINETICS_VARY),
    "tau_neuropathic_offset": Spread("lognormal", 0.3, _KINETICS_VARY),
    "neuropathic_restoration_rate": Spread("lognormal", 0.4, _TREATMENT_VARIES),
    "neuropathic_lumbar_relief": Spread("lognormal", 0.3, _TREATMENT_VARIES),
    "duloxetine_efficacy": Spread("logitnormal", 0.5, "J Pain Res 2017;10:1723 (responders "
                                  "and non-responders: 48.6% reach a 50% reduction); "
                                  "spread an assumption"),
    "pregabalin_efficacy": Spread("logitnormal", 0.5, _TREATMENT_VARIES),
    "gabapentin_efficacy": Spread("logitnormal", 0.5, _TREATMENT_VARIES),
    "amitriptyline_efficacy": Spread("logitnormal", 0.5, _TREATMENT_VARIES),
}
PARAMETERS = tuple(replace(p, spread=POPULATION_SPREADS.get(p.name)) for p in PARAMETERS)


def calibrated(parameter: Parameter) -> Parameter:
    """``parameter`` with the committed calibration's posterior median as its value, if it was
    calibrated (:mod:`.calibrated`); itself otherwise."""
    if parameter.name not in CALIBRATED:
        return parameter
    median, low, high = CALIBRATED[parameter.name]
    if not parameter.low <= low <= median <= high <= parameter.high:
        raise ValueError(f"calibrated '{parameter.name}' {median} [{low}, {high}] is outside "
                         f"its range [{parameter.low}, {parameter.high}]")
    source = (f"calibration: posterior median, 95 % interval {low:.3g}-{high:.3g} "
              f"(ABC-SMC on the emergent targets, docs/calibration.md); before calibration "
              f"{parameter.value:.4g}, {parameter.source}")
    return replace(parameter, value=median, prior_value=parameter.value,
                   calibrated_interval=(low, high), source=source)


PARAMETERS = tuple(calibrated(p) for p in PARAMETERS)

NAMES: tuple[str, ...] = tuple(p.name for p in PARAMETERS)
INDEX: Mapping[str, int] = {name: i for i, name in enumerate(NAMES)}
BY_NAME: Mapping[str, Parameter] = {p.name: p for p in PARAMETERS}

DRUGS: tuple[str, ...] = ("duloxetine", "pregabalin", "gabapentin", "amitriptyline")


def default_vector() -> np.ndarray:
    """Return the default parameter values as a fresh float array (canonical units)."""
    return np.array([p.value for p in PARAMETERS], dtype=float)


def unknown_parameter(name: str) -> str:
    """The message for a parameter name not in the table: a close name, or where to look."""
    hint = suggest(name, NAMES) or f"; 'lbp-headache params' lists all {len(NAMES)} parameters"
    return f"unknown parameter '{name}'{hint}"


def lookup(name: str) -> Parameter:
    """Return the record of parameter ``name``.

    Raises
    ------
    ParameterError
        If no parameter has that name (with the closest name suggested).
    """
    try:
        return BY_NAME[name]
    except KeyError:
        raise ParameterError(unknown_parameter(name)) from None


def check_value(name: str, value: float) -> None:
    """Raise :class:`ParameterError` if ``value`` is outside the plausible range of ``name``."""
    record = lookup(name)
    if not (record.low <= value <= record.high):
        unit = "" if record.unit == DIMENSIONLESS else f" {pretty(record.unit)}"
        raise ParameterError(
            f"{value:.6g}{unit} is outside the plausible range "
            f"[{record.low:.6g}, {record.high:.6g}]{unit} of '{name}'"
        )


def parameter_vector(overrides: Mapping[str, float] | None = None) -> np.ndarray:
    """Return a parameter array with ``overrides`` (canonical units) applied.

    Raises
    ------
    ParameterError
        For an unknown name or a value outside the plausible range.
    """
    values = default_vector()
    for name, value in (overrides or {}).items():
        check_value(name, float(value))
        values[INDEX[name]] = float(value)
    return values


def markdown_table() -> str:
    """Render the parameter table as Markdown (for docs/model.md and ``params --markdown``)."""
    lines = [
        "| name | value | unit | range | population spread | group | meaning | source |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for p in PARAMETERS:
        unit = pretty(p.unit)
        spread = "same for all" if p.spread is None else (
            f"{p.spread.describe()}; {p.spread.source}")
        lines.append(
            f"| `{p.name}` | {p.value:.4g} | {unit} | {p.low:.4g} – {p.high:.4g} | {spread} "
            f"| {p.group} | {p.meaning} | {p.source} |"
        )
    return "\n".join(lines) + "\n"
