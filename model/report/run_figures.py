"""Figures of one run: the headache by pathway, and every state over time.

One function per figure (the SALib/Myokit ``plot_x(..., ax=None)`` pattern), in
the house style of :mod:`lbp_headache.report.figure_style`.
"""

from __future__ import annotations

import numpy as np
from lbp_headache.core.states import HEADACHE_COMPONENTS
from lbp_headache.engine.result import Result
from lbp_headache.report.figure_style import (
    COLORS,
    COMPONENT_LABELS,
    FONT_SIZE,
    HEADACHE_LABEL,
    LINE_WIDTH,
    figure_style,
    new_axes,
    time_axis,
    treatment_windows,
)


def _shade_treatments(ax, result: Result, scale: float) -> None:
    """Shade each treatment window and label it (stacked labels where windows overlap)."""
    courses = [t for t in result.scenario.treatments if t.type != "parameter_change"]
    for start, stop in treatment_windows(result):
        ax.axvspan(start / scale, stop / scale, color=COLORS["treatment"], alpha=0.10, lw=0,
                   zorder=0)
    for row, treatment in enumerate(courses):
        start = treatment.start / scale
        ax.axvline(start, color=COLORS["treatment"], lw=1.5, ls="--", zorder=1)
        ax.annotate(
            treatment.display_name, xy=(start, 1.0), xycoords=("data", "axes fraction"),
            xytext=(4, -4 - 17 * row), textcoords="offset points", va="top", ha="left",
            fontsize=FONT_SIZE - 1, color="#00583F", zorder=6,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
        )


def plot_headache_by_pathway(result: Result, ax=None):
    """Stacked areas of the four headache components, lumbar pain on a second axis.

    Parameters
    ----------
    result
        A simulation result.
    ax
        matplotlib Axes to draw on (a new figure if ``None``).

    Returns
    -------
    matplotlib.axes.Axes
        The headache axes (the lumbar-pain twin axis is ``ax.figure.axes[-1]``).
    """
    import matplotlib as mpl  # lazy: matplotlib is heavy

    with mpl.rc_context(figure_style()):
        ax = new_axes(ax)
        scale, xlabel = time_axis(result.scenario.duration)
        t = result.time / scale
        parts = [result.columns[name] for name in HEADACHE_COMPONENTS]
        ax.stackplot(t, *parts, labels=[COMPONENT_LABELS[n] for n in HEADACHE_COMPONENTS],
                     colors=[COLORS[n] for n in HEADACHE_COMPONENTS], alpha=0.85, lw=0)
        total = result.columns["headache"]
        ax.plot(t, total, color="#333333", lw=1.0)
        _shade_treatments(ax, result, scale)
        ax.set_xlim(t[0], t[-1])
        top = max(float(np.max(total)), 2.5)  # do not blow a near-zero load up to full height
        n_labels = sum(1 for tr in result.scenario.treatments if tr.type != "parameter_change")
        ax.set_ylim(0.0, top * (1.25 + 0.12 * n_labels))
        ax.set_xlabel(xlabel)
        ax.set_ylabel(HEADACHE_LABEL)
        ax.set_title(f"{result.scenario.name}: headache load by pathway")
        ax.spines["right"].set_visible(True)
        twin = ax.twinx()
        twin.plot(t, result.columns["lumbar_pain"], color=COLORS["lumbar_pain"], lw=LINE_WIDTH,
                  ls="--", label="lumbar pain (right axis)")
        twin.set_ylim(0.0, 10.0)
        twin.set_ylabel("lumbar pain (0–10)")
        handles, labels = ax.get_legend_handles_labels()
        more, more_labels = twin.get_legend_handles_labels()
        ax.legend(handles[::-1] + more, labels[::-1] + more_labels, loc="upper left",
                  bbox_to_anchor=(1.08, 1.0), frameon=False, title="headache component")
    return ax


def _state_panels(result: Result) -> list[tuple[str, str, list[tuple[str, str, str]]]]:
    """(title, y label, [(column, legend label, colour)]) for every panel of :func:`plot_states`."""
    effects = [
        ("physical_therapy_effect", "physical therapy", "#0072B2"),
        ("ergonomics_effect", "ergonomics", "#56B4E9"),
        ("nsaid_effect", "NSAID", "#D55E00"),
        ("neuropathic_effect", "neuropathic medication", "#882E72"),
    ]
    return [
        ("lumbar pain (after treatment)", "lumbar pain (0–10)",
         [("lumbar_pain", "", COLORS["lumbar_pain"])]),
        ("disc and ergonomic inputs", "input level (0–1)",
         [("disc_degeneration", "disc degeneration", "#D55E00"),
          ("ergonomic_load", "ergonomic load", "#0072B2")]),
        ("posture", "posture deviation (deg)", [("posture_deviation", "", "#0072B2")]),
        ("neck tension", "neck tension (fraction of max)",
         [("neck_tension", "", "#56B4E9")]),
        ("central pain threshold", "pain threshold (1 = healthy)",
         [("pain_threshold", "", "#882E72")]),
        ("neuroinflammation", "neuroinflammation (fraction)",
         [("neuroinflammation", "", "#D55E00")]),
        ("interleukin-6", "IL-6 (pg/mL)", [("il6", "", COLORS["il6"])]),
        ("TNF-α", "TNF-α (× healthy level)", [("tnf_alpha", "", COLORS["tnf_alpha"])]),
        ("headache by component", HEADACHE_LABEL,
         [("headache", "total", "#333333"),
          *[(n, COMPONENT_LABELS[n], COLORS[n]) for n in HEADACHE_COMPONENTS]]),
        ("treatment effects", "effect (fraction of full)",
         [(name, label, colour) for name, label, colour in effects]),
    ]


def _fixed_limits(column: str) -> tuple[float, float] | None:
    """Y limits of a panel whose scale is bounded (0-1 or 0-10), else ``None``."""
    if column in ("lumbar_pain",):
        return (0.0, 10.0)
    if column in ("disc_degeneration", "neck_tension", "pain_threshold", "neuroinflammation",
                  "physical_therapy_effect"):
        return (0.0, 1.05)
    return None


def plot_states(result: Result):
    """Every state and input over time, one small panel each (units on the y axes).

    Parameters
    ----------
    result
        A simulation result.

    Returns
    -------
    matplotlib.figure.Figure
        A 5 x 2 grid of panels titled with the scenario name.
    """
    import matplotlib as mpl  # lazy: matplotlib is heavy
    from matplotlib.figure import Figure  # lazy: matplotlib is heavy

    panels = _state_panels(result)
    with mpl.rc_context(figure_style()):
        fig = Figure(figsize=(14, 17), layout="constrained")
        axes = fig.subplots(len(panels) // 2, 2, sharex=True).ravel()
        scale, xlabel = time_axis(result.scenario.duration)
        t = result.time / scale
        for ax, (title, ylabel, lines) in zip(axes, panels):
            for name, label, colour in lines:
                ax.plot(t, result.columns[name], color=colour, label=label or None)
            for start, stop in treatment_windows(result):
                ax.axvspan(start / scale, stop / scale, color=COLORS["treatment"],
                           alpha=0.07, lw=0, zorder=0)
            ax.set_title(title, loc="left")
            ax.set_ylabel(ylabel)
            ax.set_xlim(t[0], t[-1])
            limits = _fixed_limits(lines[0][0])
            if limits is not None:
                ax.set_ylim(*limits)
            else:
                ax.set_ylim(bottom=0.0)
            ax.grid(alpha=0.3)
            if any(label for _, label, _ in lines):
                if limits is None:
                    # Headroom above the curves keeps the legend off them.
                    low, high = ax.get_ylim()
                    ax.set_ylim(low, low + 1.4 * (high - low))
                    where = "upper left"
                else:
                    # A fixed physical range (0-1) is kept; the legend finds a free spot.
                    where = "best"
                ax.legend(fontsize=FONT_SIZE - 2, ncols=3, loc=where, framealpha=0.85,
                          edgecolor="none", columnspacing=1.0, handlelength=1.5)
        for ax in axes[-2:]:
            ax.set_xlabel(xlabel)
        fig.suptitle(f"{result.scenario.name}: all states", fontsize=FONT_SIZE + 4)
    return fig


