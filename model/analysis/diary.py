"""Day-to-day variability: seeded diaries of what a patient would report, day by day.

The ODE gives a smooth, deterministic headache load and lumbar pain. Real
diaries fluctuate, and trials see regression to the mean and apparent
placebo responses because of it. This stochastic layer draws, for each
patient and calendar day ``d``:

* the **reported headache load**: the day's mean load times the expectation
  relief (:mod:`.expectation`) times ``exp(e_d - s^2 / 2)``, where ``e`` is a
  stationary AR(1) process on the log scale with standard deviation
  ``s = headache_noise_sd`` and lag-one autocorrelation ``r =
  headache_noise_autocorrelation``: ``e_0 = s z_0``, ``e_d = r e_{d-1} + s
  sqrt(1 - r^2) z_d``, plus a slow process ``g`` of the same form over weeks
  (standard deviation ``S = headache_fluctuation_sd``, daily coefficient
  ``exp(-1 / tau_headache_fluctuation)``), and ``s^2`` is then ``s^2 + S^2``.
  The factor has mean 1, so the load's mean is kept; capped at 10.
* a **headache day**: ``u_d < q(reported load)`` with the observation model's
  probability ``q`` (:func:`.observation.headache_day_probability`);
* the **reported back pain** (0-10): the day's mean effective lumbar pain times
  the expectation relief plus an AR(1) process in points
  (``lumbar_noise_sd``, ``lumbar_noise_autocorrelation``), clipped to 0-10.

Every random number of a patient comes from a counter-based generator
(:mod:`.philox`) keyed by the seed and counted by patient, day and stream, so
a patient's diary does not depend on the arm, the chunk, the worker or the
length of the run: the same patient in two arms of a trial meets the same
noise (common random numbers), a baseline window reads the same days in a
population and in its trial, and a longer diary begins with the shorter one.
Normals are the inverse normal CDF of the uniforms.

:func:`coupling` measures the pattern the source article tells clinicians to
look for: the correlation between daily back pain and the headache ``lag``
days later, and the lag at which it peaks. Both series are first taken
relative to their own centred 4-week moving average, so the measure follows
how headache moves with *changes* in back pain (a flare, a good week), not
the slow trends of a chronifying patient, whose back pain falls while the
headache rises.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from lbp_headache.analysis import philox
from lbp_headache.analysis.expectation import expectation_effect, reported_relief
from lbp_headache.analysis.observation import day_means, headache_day_probability
from lbp_headache.core.parameters import INDEX
from lbp_headache.core.states import HEADACHE_MAX
from scipy.special import ndtri

STREAM = 0x5EED0  # the diary's streams: STREAM + 0, 1, 2 (apart from other uses of a seed)
MAX_LAG_DAYS = 14
TREND_DAYS = 28  # the centred moving average the coupling is measured around


def detrended(series: np.ndarray, days: int = TREND_DAYS) -> np.ndarray:
    """``series`` (last axis: days) minus its centred moving average over ``days`` days
    (shorter at the ends)."""
    x = np.asarray(series, dtype=float)
    half = days // 2
    padded = np.concatenate([np.zeros(x.shape[:-1] + (1,)), np.cumsum(x, axis=-1)], axis=-1)
    n = x.shape[-1]
    index = np.arange(n)
    lo = np.clip(index - half, 0, n)
    hi = np.clip(index + half + 1, 0, n)
    mean = (padded[..., hi] - padded[..., lo]) / (hi - lo)
    return x - mean


@dataclass(frozen=True)
class PatientNoise:
    """The random numbers of a set of patients' diaries (``(n_patients, days)`` each)."""

    headache: np.ndarray   # standard normals of the headache fluctuation
    lumbar: np.ndarray     # standard normals of the back-pain fluctuation
    day: np.ndarray        # uniforms deciding headache days
    dropout: np.ndarray    # one uniform per patient (time to dropout in trials)
    headache_slow: np.ndarray  # standard normals of the slow headache fluctuation


def patient_noise(seed: int, patients: np.ndarray, days: int) -> PatientNoise:
    """Every patient's random numbers for days ``0 .. days - 1`` (see the module docstring).

    Stream ``STREAM`` gives the two normals of a day (headache, back pain),
    ``STREAM + 1`` the uniform that decides a headache day and the normal of the
    slow headache fluctuation, ``STREAM + 2`` (day 0) the patient's dropout uniform.
    """
    patients = np.asarray(patients, dtype=np.int64)
    pair = philox.uniforms(seed, STREAM, patients, days)
    day_pair = philox.uniforms(seed, STREAM + 1, patients, days)
    dropout = philox.uniforms(seed, STREAM + 2, patients, 1)[0, :, 0]
    return PatientNoise(ndtri(pair[0]), ndtri(pair[1]), day_pair[0], dropout,
                        ndtri(day_pair[1]))


def ar1(normals: np.ndarray, sd: np.ndarray, autocorrelation: np.ndarray) -> np.ndarray:
    """A stationary AR(1) process per row from standard normals ``(n, days)``.

    ``x_0 = sd z_0`` and ``x_d = r x_{d-1} + sd sqrt(1 - r^2) z_d``: every day
    has standard deviation ``sd`` and neighbouring days correlate by ``r``.
    """
    normals = np.asarray(normals, dtype=float)
    sd = np.broadcast_to(np.asarray(sd, dtype=float), normals.shape[:1])
    r = np.broadcast_to(np.asarray(autocorrelation, dtype=float), normals.shape[:1])
    innovation = sd * np.sqrt(1.0 - r * r)
    out = np.empty_like(normals)
    out[:, 0] = sd * normals[:, 0]
    for d in range(1, normals.shape[1]):
        out[:, d] = r * out[:, d - 1] + innovation * normals[:, d]
    return out


@dataclass(frozen=True)
class Diary:
    """Seeded diaries of ``n`` patients over ``days`` calendar days."""

    headache: np.ndarray       # reported headache load per day, 0-10
    headache_day: np.ndarray   # bool: a headache day
    lumbar_pain: np.ndarray    # reported back pain per day, 0-10
    mechanistic_headache: np.ndarray  # the model's day mean, no noise, no expectation
    mechanistic_lumbar: np.ndarray    # the model's day mean effective lumbar pain


def draw_diaries(headache_daily: np.ndarray, lumbar_daily: np.ndarray,
                 parameter_sets: np.ndarray, noise: PatientNoise,
                 expectation: np.ndarray | None = None, *, compiled: bool = False) -> Diary:
    """Diaries from the whole-day model values (``(n, days + 1)``) and the patients' noise.

    ``expectation`` is the expectation effect on the whole days (``(n, days + 1)``;
    ``None``: no placebo). Day ``d`` uses the mean of whole days ``d`` and ``d + 1``.
    ``compiled`` takes the compiled loop (:mod:`.diary_kernel`: populations and
    trials) instead of numpy (single runs, with no compiler to load).
    """
    rows = np.atleast_2d(parameter_sets)
    head = day_means(headache_daily)
    lumbar = day_means(lumbar_daily)
    n_days = head.shape[1]
    if n_days > noise.headache.shape[1]:
        raise ValueError(f"the patients' noise covers {noise.headache.shape[1]} days; "
                         f"the diary needs {n_days}")
    factor = None if expectation is None else day_means(reported_relief(expectation, rows))
    if compiled:
        return _draw_compiled(head, lumbar, factor, rows, noise, n_days)
    if factor is None:
        factor = np.ones_like(head)
    sd = rows[:, INDEX["headache_noise_sd"]]
    slow_sd = rows[:, INDEX["headache_fluctuation_sd"]]
    fluctuation = ar1(noise.headache[:, :n_days], sd,
                      rows[:, INDEX["headache_noise_autocorrelation"]])
    fluctuation += ar1(noise.headache_slow[:, :n_days], slow_sd,
                       np.exp(-1.0 / rows[:, INDEX["tau_headache_fluctuation"]]))
    shift = 0.5 * (sd ** 2 + slow_sd ** 2)
    reported = np.minimum(head * factor * np.exp(fluctuation - shift[:, None]), HEADACHE_MAX)
    probability = headache_day_probability(reported, rows.T[:, :, None])
    is_day = noise.day[:, :n_days] < probability
    back = ar1(noise.lumbar[:, :n_days], rows[:, INDEX["lumbar_noise_sd"]],
               rows[:, INDEX["lumbar_noise_autocorrelation"]])
    back_pain = np.clip(lumbar * factor + back, 0.0, 10.0)
    return Diary(reported, is_day, back_pain, head, lumbar)


DIARY_PARAMETERS = ("headache_noise_sd", "headache_noise_autocorrelation", "lumbar_noise_sd",
                    "lumbar_noise_autocorrelation", "headache_day_hill", "headache_day_half_load",
                    "headache_fluctuation_sd", "tau_headache_fluctuation")


def _draw_compiled(head, lumbar, factor, rows, noise, n_days) -> Diary:
    """:func:`draw_diaries` through the compiled loop."""
    from lbp_headache.analysis.diary_kernel import diary_into  # lazy: loads numba

    n = head.shape[0]
    parameters = np.ascontiguousarray(rows[:, [INDEX[name] for name in DIARY_PARAMETERS]])
    reported = np.empty((n, n_days))
    is_day = np.empty((n, n_days), dtype=np.bool_)
    back_pain = np.empty((n, n_days))
    use_factor = factor is not None
    diary_into(np.ascontiguousarray(head), np.ascontiguousarray(lumbar),
               np.ascontiguousarray(factor) if use_factor else np.empty((1, 1)), use_factor,
               parameters, np.ascontiguousarray(noise.headache[:, :n_days]),
               np.ascontiguousarray(noise.lumbar[:, :n_days]),
               np.ascontiguousarray(noise.day[:, :n_days]),
               np.ascontiguousarray(noise.headache_slow[:, :n_days]), reported, is_day,
               back_pain, float(HEADACHE_MAX))
    return Diary(reported, is_day, back_pain, head, lumbar)


def coupling(back_pain: np.ndarray, headache: np.ndarray,
             max_lag: int = MAX_LAG_DAYS) -> dict[str, object]:
    """Lagged correlation of daily back pain with the headache ``lag`` days later.

    Parameters
    ----------
    back_pain, headache
        Daily series of one patient (the same length, at least ``max_lag + 3`` days).
    max_lag
        The largest lag (days) examined.

    Returns
    -------
    dict
        ``lags`` (0..max_lag), ``correlation`` (Pearson, of the detrended
        series; ``None`` where a series is constant), ``peak_lag_days`` and
        ``peak_correlation`` (the largest correlation; ``None`` if none is
        defined).
    """
    x = np.asarray(back_pain, dtype=float)
    y = np.asarray(headache, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError("back pain and headache must be daily series of one length")
    if x.size < max_lag + 3:
        raise ValueError(f"coupling needs at least {max_lag + 3} days; got {x.size}")
    x, y = detrended(x), detrended(y)
    values: list[float | None] = []
    for lag in range(max_lag + 1):
        a, b = x[:x.size - lag], y[lag:]
        if np.ptp(a) == 0.0 or np.ptp(b) == 0.0:
            values.append(None)
        else:
            values.append(float(np.corrcoef(a, b)[0, 1]))
    defined = [(v, lag) for lag, v in enumerate(values) if v is not None]
    peak = max(defined) if defined else (None, None)
    return {"lags": list(range(max_lag + 1)), "correlation": values,
            "peak_lag_days": peak[1], "peak_correlation": peak[0]}


def coupling_many(back_pain: np.ndarray, headache: np.ndarray,
                  max_lag: int = MAX_LAG_DAYS) -> tuple[np.ndarray, np.ndarray]:
    """:func:`coupling` for many patients at once: the peak correlation and its lag per row
    (``nan`` and -1 where undefined)."""
    x = detrended(back_pain)
    y = detrended(headache)
    n, days = x.shape
    table = np.full((n, max_lag + 1), np.nan)
    for lag in range(max_lag + 1):
        a = x[:, :days - lag]
        b = y[:, lag:]
        a = a - a.mean(axis=1, keepdims=True)
        b = b - b.mean(axis=1, keepdims=True)
        denominator = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
        with np.errstate(invalid="ignore", divide="ignore"):
            table[:, lag] = np.where(denominator > 0, (a * b).sum(axis=1) / denominator, np.nan)
    defined = ~np.all(np.isnan(table), axis=1)
    lag = np.full(n, -1, dtype=np.int64)
    peak = np.full(n, np.nan)
    if np.any(defined):
        best = np.nanargmax(np.where(np.isnan(table[defined]), -np.inf, table[defined]), axis=1)
        lag[defined] = best
        peak[defined] = table[defined][np.arange(best.size), best]
    return peak, lag


def run_diary(result, seed: int | None = None) -> Diary:
    """The seeded diary of one run (a :class:`~lbp_headache.engine.result.Result`): patient 0
    of the run's seed (the scenario's ``seed`` unless given)."""
    rows = np.asarray(result.parameters, dtype=float)[None, :]
    noise = patient_noise(result.scenario.seed if seed is None else seed, np.array([0]),
                          result.daily["headache"].shape[-1] - 1)
    effect = expectation_effect(result.scenario.treatments, result.days, rows)
    return draw_diaries(result.daily["headache"][None, :], result.daily["lumbar_pain"][None, :],
                        rows, noise, effect)


def diary_summary(result, seed: int | None = None) -> dict:
    """What the run's seeded diary reports (``summary.json``'s ``diary`` block).

    Headache days and mean reported headache and back pain over the last 28
    days (fewer in a shorter run), and the coupling of headache to back pain
    over the whole run and over its last 12 weeks.
    """
    diary = run_diary(result, seed)
    n_days = diary.headache.shape[1]
    last = slice(max(0, n_days - 28), n_days)
    window = min(28, n_days)
    out = {
        "seed": result.scenario.seed if seed is None else seed,
        "headache_days_last_28": int(diary.headache_day[0, last].sum()) if window == 28 else
        float(diary.headache_day[0, last].sum() * 28.0 / max(window, 1)),
        "mean_reported_headache_last_28": float(diary.headache[0, last].mean()),
        "mean_reported_back_pain_last_28": float(diary.lumbar_pain[0, last].mean()),
    }
    for key, days in (("coupling", slice(0, n_days)),
                      ("coupling_last_12_weeks", slice(max(0, n_days - 84), n_days))):
        span = days.stop - days.start
        out[key] = coupling(diary.lumbar_pain[0, days], diary.headache[0, days],
                            max_lag=min(MAX_LAG_DAYS, span - 3)) if span >= 10 else None
    return out
