"""Figures of a virtual trial: arms over time, a waterfall, responders, replicate estimates.

One function per figure, each returning its matplotlib Figure (the house
style of :mod:`.figure_style`); :data:`TRIAL_FIGURES` composes them for
``lbp-headache trial``.
"""

from __future__ import annotations

import numpy as np
from lbp_headache.report.figure_style import CYCLE, FONT_SIZE, figure_png, figure_style
from lbp_headache.trial.arms import weeks as trial_weeks
from lbp_headache.trial.replicates import draw_members
from lbp_headache.trial.runner import TrialResult, endpoint_rows
from lbp_headache.trial.spec import ENDPOINTS
from lbp_headache.trial.weekly import BASELINE_WEEKS

PUBLISHED_COLOR = "#000000"


def _arm_colors(result: TrialResult) -> dict[str, str]:
    return {arm: CYCLE[(k + 1) % len(CYCLE)] for k, arm in enumerate(result.spec.arm_names)}


def plot_over_time(result: TrialResult):
    """Mean headache days per 28 days and back pain per arm, week by week, with the range a
    trial of this size sees (2.5-97.5 % of the replicates' means)."""
    import matplotlib as mpl  # lazy: matplotlib is heavy
    from matplotlib.figure import Figure  # lazy: matplotlib is heavy

    colors = _arm_colors(result)
    n_weeks = trial_weeks(result.spec)
    weeks = np.arange(1 - BASELINE_WEEKS, n_weeks + 1)  # week 0 ends at randomization
    with mpl.rc_context(figure_style()):
        fig = Figure(figsize=(16, 6.5), layout="constrained")
        axes = fig.subplots(1, 2)
        for ax, series, label in ((axes[0], "headache_days", "headache days per 28 days"),
                                  (axes[1], "back_pain", "reported back pain (0-10)")):
            for arm in result.spec.arm_names:
                band = result.weekly_bands[arm][series]
                ax.fill_between(weeks, band[0], band[2], color=colors[arm], alpha=0.18, lw=0)
                ax.plot(weeks, band[1], color=colors[arm], label=arm.replace("_", " "))
            for day in result.spec.evaluations:
                ax.axvline(day / 7.0, color="0.4", ls=":", lw=1.5)
            ax.axvspan(weeks[0] - 0.5, 0.5, color="0.9", lw=0, zorder=0)
            ax.text(1 - BASELINE_WEEKS, 0.02, "baseline", transform=ax.get_xaxis_transform(),
                    fontsize=FONT_SIZE - 1, color="0.35")
            ax.set_xlabel("weeks since randomization")
            ax.set_ylabel(label)
            ax.set_ylim(bottom=0)
            ax.grid(alpha=0.3)
        axes[0].legend(frameon=False, title="arm (band: 95 % of trials)")
        fig.suptitle(f"{result.spec.name}: arms over time", fontsize=FONT_SIZE + 3)
    return fig


def _first_trial(result: TrialResult) -> dict[str, np.ndarray]:
    spec = result.spec
    return draw_members(result.patients.size, min(spec.size, result.patients.size),
                        [arm.allocation for arm in spec.arms], spec.seed, 0, spec.arm_names)


def plot_waterfall(result: TrialResult):
    """Per-patient percent change in headache days at the last evaluation, sorted, one panel
    per arm (the first replicate trial's patients)."""
    import matplotlib as mpl  # lazy: matplotlib is heavy
    from matplotlib.figure import Figure  # lazy: matplotlib is heavy

    day = result.spec.evaluations[-1]
    members = _first_trial(result)
    colors = _arm_colors(result)
    arms = result.spec.arm_names
    with mpl.rc_context(figure_style()):
        fig = Figure(figsize=(16, 6), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, len(arms), sharey=True))
        for ax, arm in zip(axes, arms):
            values = result.values[arm][day]
            base = values["baseline_headache_days"][members[arm]]
            change = values["headache_days_change"][members[arm]]
            with np.errstate(invalid="ignore", divide="ignore"):
                percent = np.where(base > 0, 100.0 * change / base, np.nan)
            percent = np.sort(np.clip(percent[np.isfinite(percent)], -100, 100))[::-1]
            ax.bar(np.arange(percent.size), percent, width=1.0, color=colors[arm])
            ax.axhline(-50, color="black", ls="--", lw=1.5)
            ax.set_title(f"{arm.replace('_', ' ')} (n = {percent.size})")
            ax.set_xlabel("patients, sorted")
            ax.set_xticks([])
        axes[0].set_ylabel(f"change in headache days at day {day:g} (%)")
        fig.suptitle(f"{result.spec.name}: change per patient (dashed: 50 % fewer)",
                     fontsize=FONT_SIZE + 3)
    return fig


def plot_responders(result: TrialResult):
    """Responder shares per arm with 95 % exact intervals (first replicate trial), published
    values marked, at the last evaluation."""
    import matplotlib as mpl  # lazy: matplotlib is heavy
    from matplotlib.figure import Figure  # lazy: matplotlib is heavy

    day = result.spec.evaluations[-1]
    endpoints = [e for e, (kind, _, _) in ENDPOINTS.items() if kind == "responders"]
    rows = {(r["endpoint"], r["arm"]): r for r in endpoint_rows(result)
            if r["evaluation_day"] == day}
    colors = _arm_colors(result)
    arms = result.spec.arm_names
    with mpl.rc_context(figure_style()):
        fig = Figure(figsize=(14, 6.5), layout="constrained")
        ax = fig.subplots()
        width = 0.8 / len(arms)
        for k, arm in enumerate(arms):
            x = np.arange(len(endpoints)) + (k - (len(arms) - 1) / 2) * width
            values = [rows[(e, arm)]["first_trial"] for e in endpoints]
            low = [rows[(e, arm)]["first_trial_low"] for e in endpoints]
            high = [rows[(e, arm)]["first_trial_high"] for e in endpoints]
            values = np.array([np.nan if v is None else v for v in values])
            errors = np.array([[v - lo if lo is not None else 0 for v, lo in zip(values, low)],
                               [hi - v if hi is not None else 0 for v, hi in zip(values, high)]])
            ax.bar(x, 100 * values, width, color=colors[arm], label=arm.replace("_", " "),
                   yerr=100 * np.nan_to_num(errors), capsize=5)
            for xi, e in zip(x, endpoints):
                published = rows[(e, arm)]["published"]
                if published is not None:
                    ax.plot(xi, 100 * published, marker="D", ms=11, color=PUBLISHED_COLOR,
                            markeredgecolor="white", ls="none", zorder=5)
        ax.plot([], [], marker="D", ms=11, color=PUBLISHED_COLOR, ls="none", label="published")
        ax.set_xticks(np.arange(len(endpoints)),
                      [e.replace("_", " ").replace("responders", "responders ≥") + " %"
                       for e in endpoints])
        ax.set_ylabel("responders (% of the arm)")
        ax.set_ylim(0, 100)
        ax.grid(alpha=0.3, axis="y")
        ax.legend(frameon=False)
        ax.set_title(f"{result.spec.name}: responders at day {day:g} (a trial of "
                     f"{result.spec.size:,}; bars: 95 % intervals)")
    return fig


def plot_replicates(result: TrialResult):
    """The spread of the difference a trial of this size estimates (histogram over the
    replicates), for every endpoint with a published difference (else headache days), the
    published value and interval marked."""
    import matplotlib as mpl  # lazy: matplotlib is heavy
    from matplotlib.figure import Figure  # lazy: matplotlib is heavy

    spec = result.spec
    wanted = [(c.endpoint, c.evaluation) for c in spec.comparisons if c.arm is None]
    if not wanted:
        wanted = [("headache_days_change", spec.evaluations[-1])]
    others = [a for a in spec.arm_names if a != spec.control]
    with mpl.rc_context(figure_style()):
        fig = Figure(figsize=(8 * min(len(wanted), 2), 6), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, min(len(wanted), 2)))
        for ax, (endpoint, day) in zip(axes, wanted):
            for k, arm in enumerate(others):
                values = [r[(endpoint, day)]["differences"][arm]["value"]
                          for r in result.replicates if arm in r[(endpoint, day)]["differences"]]
                scale = 100.0 if ENDPOINTS[endpoint][0] == "responders" else 1.0
                ax.hist(scale * np.array(values), bins=30, color=CYCLE[(k + 1) % len(CYCLE)],
                        alpha=0.6, label=f"{arm} - {spec.control}")
            for comparison in spec.comparisons:
                if comparison.endpoint == endpoint and comparison.evaluation == day and \
                        comparison.arm is None:
                    scale = 100.0 if ENDPOINTS[endpoint][0] == "responders" else 1.0
                    ax.axvline(scale * comparison.value, color=PUBLISHED_COLOR, lw=3,
                               label="published")
                    if comparison.low is not None:
                        ax.axvspan(scale * comparison.low, scale * comparison.high,
                                   color=PUBLISHED_COLOR, alpha=0.15, lw=0,
                                   label="published 95 % interval")
            ax.axvline(0, color="black", lw=1)
            unit = "percentage points" if ENDPOINTS[endpoint][0] == "responders" else \
                ("days per 28 days" if endpoint.startswith("headache_days") else "points")
            ax.set_xlabel(f"{endpoint.replace('_', ' ')} at day {day:g}: difference ({unit})")
            ax.set_ylabel("replicate trials")
            ax.legend(frameon=False)
        # Two lines: the trial's name can be long, and the figure may be one panel wide.
        fig.suptitle(f"{spec.name}\nwhat {len(result.replicates):,} trials of "
                     f"{spec.size:,} patients estimate", fontsize=FONT_SIZE + 3)
    return fig


class _TrialFigures:
    """The figures of ``run_trial`` (the runner's ``TrialFigures``)."""

    DRAW = {"over_time.png": plot_over_time, "waterfall.png": plot_waterfall,
            "responders.png": plot_responders, "replicates.png": plot_replicates}

    def names(self, spec) -> list[str]:
        return list(self.DRAW)

    def draw(self, result: TrialResult) -> list[tuple[str, bytes]]:
        return [(name, figure_png(draw(result))) for name, draw in self.DRAW.items()]


TRIAL_FIGURES = _TrialFigures()
