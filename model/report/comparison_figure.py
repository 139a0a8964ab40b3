"""The comparison figure: the headache load of several runs, and their headache days by pathway.

Left, the curves on the fixed 0-10 headache axis with each treatment's start
(triangle) and, for a course that stops before the end, its end (square).
Right, beside them, each run's expected headache days per month in its last
28 days, split between the three pathways
(:func:`lbp_headache.analysis.attribution.days_by_pathway`), with the ICHD-3
line of chronic headache (15 days a month).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
from lbp_headache.analysis.attribution import days_by_pathway
from lbp_headache.core.states import PATHWAYS
from lbp_headache.engine.result import Result
from lbp_headache.report.figure_style import (
    CYCLE,
    DASHES,
    HEADACHE_LABEL,
    HEADACHE_LIMITS,
    PATHWAY_COLORS,
    SLIDE_SIZE,
    month_ticks,
    slide_style,
    time_axis,
)

CHRONIC_DAYS = 15.0  # ICHD-3: chronic headache on at least 15 days a month
DAYS_LABEL = "headache days per month\n(last 28 days)"
NAME_WIDTH = 26  # characters per line of a scenario name (a variant's name is long)


def _wrapped(name: str) -> str:
    return textwrap.fill(name, NAME_WIDTH, break_on_hyphens=False)


def _style(i: int) -> tuple[str, str]:
    """Colour and dash of the ``i``-th run (solid for the first len(CYCLE), then dashed...)."""
    colour = CYCLE[i % len(CYCLE)]
    dash = DASHES[(i // len(CYCLE)) % len(DASHES)] if i >= len(CYCLE) else "-"
    return colour, dash


def _first_stop(result: Result) -> float | None:
    """End of the first treatment course when it stops before the end of the run."""
    courses = [t for t in result.scenario.treatments if t.type != "parameter_change"]
    if not courses:
        return None
    first = min(courses, key=lambda t: t.start)
    return first.stop if first.stop < result.scenario.duration else None


def plot_comparison(results: Sequence[Result], ax=None, *, days_ax=None):
    """Headache load of several runs overlaid, and beside it their headache days by pathway.

    Parameters
    ----------
    results
        Simulation results (the legend uses each scenario's name).
    ax
        matplotlib Axes for the curves. If ``None``, a new 16:9 figure holds
        the curves and, to their right, the headache days by pathway.
    days_ax
        Axes for the headache days (with a given ``ax``; none are drawn if
        ``None`` then).

    Returns
    -------
    matplotlib.axes.Axes
        The axes of the curves.

    Raises
    ------
    ValueError
        If ``results`` is empty.
    """
    import matplotlib as mpl  # lazy: matplotlib is heavy
    from matplotlib.figure import Figure  # lazy: matplotlib is heavy
    from matplotlib.lines import Line2D  # lazy: matplotlib is heavy

    if not results:
        raise ValueError("plot_comparison needs at least one result")
    with mpl.rc_context(slide_style()):
        if ax is None:
            fig = Figure(figsize=SLIDE_SIZE, layout="constrained")
            ax, days_ax = fig.subplots(1, 2, width_ratios=(1.55, 1.0))
        scale, xlabel = time_axis(max(r.scenario.duration for r in results))
        started = stopped = False
        for i, result in enumerate(results):
            colour, dash = _style(i)
            ax.plot(result.time / scale, result.columns["headache"], color=colour, ls=dash,
                    label=_wrapped(result.scenario.name))
            for when, marker in ((result.scenario.first_treatment_start, "v"),
                                 (_first_stop(result), "s")):
                if when is None:
                    continue
                y = float(np.interp(when, result.time, result.columns["headache"]))
                ax.plot([when / scale], [y], marker=marker, ms=15, color=colour,
                        markeredgecolor="white", markeredgewidth=1.5, ls="none", zorder=5)
                started |= marker == "v"
                stopped |= marker == "s"
        handles, labels = ax.get_legend_handles_labels()
        for flag, marker, text in ((started, "v", "treatment starts"),
                                   (stopped, "s", "treatment stops")):
            if flag:
                handles.append(Line2D([], [], marker=marker, ms=13, color="#555555", ls="none"))
                labels.append(text)
        ax.legend(handles, labels, loc="upper left", ncols=2, frameon=True, framealpha=0.9,
                  edgecolor="none", fontsize=mpl.rcParams["font.size"] - 3,
                  handlelength=1.6, columnspacing=1.0, borderaxespad=0.3)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(HEADACHE_LABEL)
        ax.set_ylim(*HEADACHE_LIMITS)
        ax.set_xlim(left=0.0)
        month_ticks(ax, scale)
        ax.grid(alpha=0.3)
        ax.set_title("headache load")
        if days_ax is not None:
            plot_days_by_pathway(results, days_ax)
    return ax


def plot_days_by_pathway(results: Sequence[Result], ax):
    """Horizontal bars of each run's headache days per month, stacked by pathway.

    The runs are listed top-down in the order given, each name in its curve's
    colour; the total is written at the end of each bar.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``.
    """
    rows = [days_by_pathway(result) for result in results]
    positions = np.arange(len(results))[::-1]
    left = np.zeros(len(results))
    for pathway in PATHWAYS:
        widths = np.array([row[pathway] for row in rows])
        ax.barh(positions, widths, left=left, color=PATHWAY_COLORS[pathway], label=pathway,
                height=0.7)
        left += widths
    for y, total in zip(positions, left):
        ax.text(total + 0.4, y, f"{total:.1f}", va="center", ha="left",
                fontsize=ax.yaxis.get_label().get_fontsize() - 2)
    ax.set_yticks(positions, [_wrapped(r.scenario.name) for r in results])
    for i, tick in enumerate(ax.get_yticklabels()):
        tick.set_color(_style(i)[0])
    ax.tick_params(axis="y", labelsize=ax.yaxis.get_label().get_fontsize() - 4, length=0)
    ax.axvline(CHRONIC_DAYS, color="#444444", ls=":", lw=2)
    ax.text(CHRONIC_DAYS, len(results) - 0.4, " chronic", ha="left", va="bottom",
            color="#444444", fontsize=ax.yaxis.get_label().get_fontsize() - 4)
    ax.set_xlim(0.0, 31.0)
    ax.set_ylim(-0.6, len(results) - 0.1)
    ax.set_xlabel(DAYS_LABEL)
    # The legend stands where a title would, above the bars: it never covers one.
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, frameon=False,
              fontsize=ax.yaxis.get_label().get_fontsize() - 4, handlelength=1.0,
              columnspacing=0.8, handletextpad=0.4, borderaxespad=0.2)
    ax.spines["left"].set_visible(False)
    return ax
