"""The comparison figure: the headache load of several runs overlaid."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from lbp_headache.engine.result import Result
from lbp_headache.report.figure_style import (
    CYCLE,
    DASHES,
    HEADACHE_LABEL,
    figure_style,
    new_axes,
    time_axis,
)


def plot_comparison(results: Sequence[Result], ax=None):
    """Headache load of several runs overlaid, with a marker where treatment starts.

    Parameters
    ----------
    results
        Simulation results (the legend uses each scenario's name).
    ax
        matplotlib Axes to draw on (a new figure if ``None``).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Raises
    ------
    ValueError
        If ``results`` is empty.
    """
    import matplotlib as mpl  # lazy: matplotlib is heavy
    from matplotlib.lines import Line2D  # lazy: matplotlib is heavy

    if not results:
        raise ValueError("plot_comparison needs at least one result")
    with mpl.rc_context(figure_style()):
        ax = new_axes(ax, figsize=(13, 7))
        scale, xlabel = time_axis(max(r.scenario.duration for r in results))
        marked = False
        for i, result in enumerate(results):
            colour = CYCLE[i % len(CYCLE)]
            dash = DASHES[(i // len(CYCLE)) % len(DASHES)] if i >= len(CYCLE) else "-"
            t = result.time / scale
            ax.plot(t, result.columns["headache"], color=colour, ls=dash,
                    label=result.scenario.name)
            start = result.scenario.first_treatment_start
            if start is not None:
                y = float(np.interp(start, result.time, result.columns["headache"]))
                ax.plot([start / scale], [y], marker="v", ms=13, color=colour,
                        markeredgecolor="white", markeredgewidth=1.5, ls="none", zorder=5)
                marked = True
        handles, labels = ax.get_legend_handles_labels()
        if marked:
            handles.append(Line2D([], [], marker="v", ms=12, color="#555555", ls="none"))
            labels.append("treatment starts")
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
                  title="scenario")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(HEADACHE_LABEL)
        ax.set_ylim(bottom=0.0)
        ax.set_xlim(left=0.0)
        ax.grid(alpha=0.3)
        ax.set_title("headache load by scenario")
    return ax


