"""Figures of one run: the headache by pathway, and every state over time.

One function per figure (the SALib/Myokit ``plot_x(..., ax=None)`` pattern), in
the lecture-hall style of :mod:`lbp_headache.report.figure_style`: 16:9, large
text, the headache on its fixed 0-10 axis, treatment windows bracketed
(:mod:`lbp_headache.report.treatment_marks`).
"""

from __future__ import annotations

import numpy as np
from lbp_headache.core.states import HEADACHE_COMPONENTS
from lbp_headache.engine.result import Result
from lbp_headache.report.figure_style import (
    COLORS,
    COMPONENT_LABELS,
    HEADACHE_LABEL,
    HEADACHE_LIMITS,
    SLIDE_LINE_WIDTH,
    SLIDE_SIZE,
    month_ticks,
    new_axes,
    slide_style,
    time_axis,
)
from lbp_headache.report.treatment_marks import mark_treatments

STATES_FONT_SIZE = 15  # ten panels on one slide


def plot_headache_by_pathway(result: Result, ax=None):
    """Stacked areas of the four headache components, lumbar pain on a second axis.

    The headache axis is always 0-10 (:data:`HEADACHE_LIMITS`), so figures of
    different runs compare on a slide; treatments are shaded and bracketed
    from start to end along the top.

    Parameters
    ----------
    result
        A simulation result.
    ax
        matplotlib Axes to draw on (a new 16:9 figure if ``None``).

    Returns
    -------
    matplotlib.axes.Axes
        The headache axes (the lumbar-pain twin axis is ``ax.figure.axes[-1]``).
    """
    import matplotlib as mpl  # lazy: matplotlib is heavy

    with mpl.rc_context(slide_style()):
        ax = new_axes(ax, figsize=SLIDE_SIZE)
        scale, xlabel = time_axis(result.scenario.duration)
        t = result.time / scale
        parts = [result.columns[name] for name in HEADACHE_COMPONENTS]
        ax.stackplot(t, *parts, labels=[COMPONENT_LABELS[n] for n in HEADACHE_COMPONENTS],
                     colors=[COLORS[n] for n in HEADACHE_COMPONENTS], alpha=0.9, lw=0)
        ax.plot(t, result.columns["headache"], color="#333333", lw=1.2)
        mark_treatments(ax, result, scale)
        ax.set_xlim(t[0], t[-1])
        month_ticks(ax, scale)
        ax.set_ylim(*HEADACHE_LIMITS)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(HEADACHE_LABEL)
        ax.set_title(f"{result.scenario.name}: headache load by pathway")
        ax.spines["right"].set_visible(True)
        twin = ax.twinx()
        twin.plot(t, result.columns["lumbar_pain"], color=COLORS["lumbar_pain"],
                  lw=SLIDE_LINE_WIDTH, ls="--", label="lumbar pain\n(right axis)")
        twin.set_ylim(0.0, 10.0)
        twin.set_ylabel("lumbar pain (0–10)")
        handles, labels = ax.get_legend_handles_labels()
        more, more_labels = twin.get_legend_handles_labels()
        ax.legend(handles[::-1] + more, labels[::-1] + more_labels, loc="upper left",
                  bbox_to_anchor=(1.1, 1.0), frameon=False, title="headache component")
    return ax


def _state_panels(result: Result) -> list[tuple[str, str, list[tuple[str, str, str]]]]:
    """(title, unit, [(column, legend label, colour)]) for every panel of :func:`plot_states`.

    Top row: from lumbar pain through the mechanical and neurological pathways
    to the headache; bottom row: the inflammatory pathway and the treatments.
    """
    effects = [
        ("physical_therapy_effect", "physical therapy", "#0072B2"),
        ("ergonomics_effect", "ergonomics", "#56B4E9"),
        ("nsaid_effect", "NSAID", "#D55E00"),
        ("neuropathic_effect", "neuropathic med.", "#882E72"),
    ]
    return [
        ("lumbar pain", "0–10, after treatment", [("lumbar_pain", "", COLORS["lumbar_pain"])]),
        ("posture", "deviation (degrees)", [("posture_deviation", "", "#0072B2")]),
        ("neck tension", "fraction of maximum", [("neck_tension", "", "#56B4E9")]),
        ("pain threshold", "1 = healthy", [("pain_threshold", "", "#882E72")]),
        ("headache", "load (0–10)",
         [("headache", "total", "#333333"),
          *[(n, COMPONENT_LABELS[n], COLORS[n]) for n in HEADACHE_COMPONENTS]]),
        ("disc and desk", "input (0–1)",
         [("disc_degeneration", "disc degeneration", "#D55E00"),
          ("ergonomic_load", "ergonomic load", "#0072B2")]),
        ("IL-6", "pg/mL", [("il6", "", COLORS["il6"])]),
        ("TNF-α", "× healthy level", [("tnf_alpha", "", COLORS["tnf_alpha"])]),
        ("neuroinflammation", "fraction of maximum", [("neuroinflammation", "", "#D55E00")]),
        ("treatments", "fraction of full effect",
         [(name, label, colour) for name, label, colour in effects]),
    ]


def _fixed_limits(column: str) -> tuple[float, float] | None:
    """Y limits of a panel whose scale is bounded (0-1 or 0-10), else ``None``."""
    if column in ("lumbar_pain", "headache"):
        return HEADACHE_LIMITS
    if column == "physical_therapy_effect":
        return (0.0, 1.75)  # room above full effect for the legend of the four treatments
    if column in ("disc_degeneration", "neck_tension", "pain_threshold", "neuroinflammation"):
        return (0.0, 1.05)
    return None


def plot_states(result: Result):
    """Every state and input over time, one small panel each (units in the panel titles).

    Landscape for a 16:9 slide: two rows of five panels, treatments shaded
    with their start (solid) and end (dashed) marked in every panel.

    Parameters
    ----------
    result
        A simulation result.

    Returns
    -------
    matplotlib.figure.Figure
        A 2 x 5 grid of panels titled with the scenario name.
    """
    import matplotlib as mpl  # lazy: matplotlib is heavy
    from matplotlib.figure import Figure  # lazy: matplotlib is heavy

    panels = _state_panels(result)
    with mpl.rc_context(slide_style(STATES_FONT_SIZE)):
        fig = Figure(figsize=SLIDE_SIZE, layout="constrained")
        axes = fig.subplots(2, len(panels) // 2, sharex=True).ravel()
        scale, xlabel = time_axis(result.scenario.duration)
        t = result.time / scale
        for ax, (title, ylabel, lines) in zip(axes, panels):
            for name, label, colour in lines:
                ax.plot(t, result.columns[name], color=colour, label=label or None,
                        lw=SLIDE_LINE_WIDTH - 1)
            mark_treatments(ax, result, scale, labels=False)
            ax.set_title(title, fontsize=STATES_FONT_SIZE + 1, fontweight="bold")
            ax.set_ylabel(ylabel)
            ax.set_xlim(t[0], t[-1])
            month_ticks(ax, scale, most=4)
            limits = _fixed_limits(lines[0][0])
            if limits is not None:
                ax.set_ylim(*limits)
                if limits[1] < 2.0:
                    ax.set_yticks([0.0, 0.25, 0.5, 0.75, 1.0])
            else:
                top = max(float(np.max(result.columns[name])) for name, _, _ in lines)
                ax.set_ylim(0.0, 1.15 * top if top > 0.0 else 1.0)
            ax.grid(alpha=0.3)
            if any(label for _, label, _ in lines):
                if limits is None:
                    # Headroom above the curves keeps the legend off them.
                    low, high = ax.get_ylim()
                    ax.set_ylim(low, low + 1.6 * (high - low))
                ax.legend(fontsize=STATES_FONT_SIZE - 4, ncols=1, loc="upper left",
                          framealpha=0.85, edgecolor="none", borderpad=0.2,
                          labelspacing=0.2, handlelength=1.2)
        for ax in axes[len(axes) // 2:]:
            ax.set_xlabel(xlabel)
        fig.suptitle(f"{result.scenario.name}: all states (green: treatment)",
                     fontsize=STATES_FONT_SIZE + 5)
    return fig
