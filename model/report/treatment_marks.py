"""Treatment windows drawn for a projector: strong shading, a bracket from start to end, a label.

Courses with the same window share one bracket (multi-modal care starts four
treatments at once). A bracket spans ``[start, stop)`` with a bar at each end;
a course that lasts to the end of the run says so ("from month 6 on") and
ends in an arrow. Solid lines across the plot mark every start, dashed ones every end.
"""

from __future__ import annotations

import textwrap

from lbp_headache.engine.result import Result
from lbp_headache.report.figure_style import COLORS, treatment_windows

SHADE_ALPHA = 0.18
# Windows drawn as lines of their own; more go into one collection (a scenario may list
# thousands of courses, and a line each took over 20 s to draw: docs/fuzzing.md).
MARKED_ONE_BY_ONE = 12
# Labelled brackets stacked from the top; beyond, one line says how many more there are.
MAX_BRACKETS = 6


def treatment_groups(result: Result) -> list[tuple[float, float, list[str]]]:
    """``(start, stop, names)`` of every distinct treatment window, in order of start.

    ``stop`` is clipped to the end of the run; ``parameter_change`` is not a treatment.
    """
    end = result.scenario.duration
    groups: dict[tuple[float, float], list[str]] = {}
    for course in result.scenario.treatments:
        if course.type == "parameter_change" or course.start >= end:
            continue
        key = (course.start, min(course.stop, end))
        if course.display_name not in groups.setdefault(key, []):
            groups[key].append(course.display_name)
    return [(start, stop, names) for (start, stop), names in sorted(groups.items())]


def window_label(names: list[str], start: float, stop: float, end: float, scale: float,
                 unit: str) -> str:
    """``physical therapy: months 6–7.4``, or ``... from month 6 on`` for a course to the end."""
    def number(t: float) -> str:
        return f"{round(t / scale, 1):g}"

    what = " + ".join(names)
    if stop >= end:
        return f"{what}: from {unit} {number(start)} on"
    return f"{what}: {unit}s {number(start)}–{number(stop)}"


def mark_treatments(ax, result: Result, scale: float, *, labels: bool = True) -> int:
    """Shade the treatment windows of ``result`` on ``ax`` and, with ``labels``, bracket them.

    Parameters
    ----------
    ax
        The axes (time on x in units of ``scale`` days).
    result
        The run whose scenario's treatments are drawn.
    scale
        Days per x unit (1 for days, a calendar month for months).
    labels
        Draw the labelled brackets along the top (the main figure), or only
        shading and lines (small panels).

    Returns
    -------
    int
        The number of bracket rows drawn.
    """
    edge = COLORS["treatment_edge"]
    end = result.scenario.duration
    unit = "day" if scale == 1.0 else "month"
    for start, stop in treatment_windows(result):
        ax.axvspan(start / scale, stop / scale, color=COLORS["treatment"], alpha=SHADE_ALPHA,
                   lw=0, zorder=0)
    groups = treatment_groups(result)
    for start, stop, _ in groups[:MARKED_ONE_BY_ONE]:
        ax.axvline(start / scale, color=edge, lw=2.5, ls="-", zorder=1)
        if stop < end:
            ax.axvline(stop / scale, color=edge, lw=2.5, ls="--", zorder=1)
    rest = groups[MARKED_ONE_BY_ONE:]
    if rest:  # hundreds of courses: one collection per line style, not a line each
        across = ax.get_xaxis_transform()
        ax.vlines([start / scale for start, _, _ in rest], 0, 1, transform=across,
                  colors=edge, lw=2.5, linestyles="-", zorder=1)
        ax.vlines([stop / scale for _, stop, _ in rest if stop < end], 0, 1,
                  transform=across, colors=edge, lw=2.5, linestyles="--", zorder=1)
    if not labels:
        return 0
    # Rows from the top down; a label wraps to the room right of its start (or left of its
    # end, for a late start) and the bracket sits under its text.
    width_in, height_in = ax.figure.get_size_inches()
    font = mpl_font_size()
    axes_width_in, axes_height_in = 0.62 * width_in, 0.75 * height_in
    line = 1.3 * font / 72.0 / axes_height_in  # one text line, in axes fraction
    top = 0.985
    for drawn, (start, stop, names) in enumerate(groups):
        if drawn == MAX_BRACKETS and len(groups) > MAX_BRACKETS:
            # More windows than a slide can label: say how many, do not stack them.
            ax.annotate(f"+ {len(groups) - drawn:,} more treatment windows (see the run's "
                        "summary)", xy=(0.01, top), xycoords="axes fraction", va="top",
                        ha="left", color=edge, fontsize=font, fontweight="bold", zorder=7,
                        bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none",
                              "alpha": 0.85})
            return drawn + 1
        late = start > 0.55 * end
        room = (stop if late else end - start) / end * axes_width_in
        chars = max(16, int(room / (0.55 * font / 72.0)))
        text = textwrap.fill(window_label(names, start, stop, end, scale, unit), chars)
        lines = text.count("\n") + 1
        x0, x1 = start / scale, stop / scale
        ax.annotate(text, xy=(x1 if late else x0, top), xycoords=("data", "axes fraction"),
                    xytext=(-8 if late else 8, 0), textcoords="offset points", va="top",
                    ha="right" if late else "left", color=edge, fontsize=font,
                    fontweight="bold", zorder=7, annotation_clip=False,
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none",
                          "alpha": 0.85})
        y = top - lines * line - 0.02
        # A bar at each end; a course that lasts to the end of the run ends in an arrow.
        style = "|-|,widthA=0.4,widthB=0.4" if stop < end else "]->,widthA=0.4,lengthA=0"
        ax.annotate("", xy=(x1, y), xytext=(x0, y), xycoords=("data", "axes fraction"),
                    arrowprops={"arrowstyle": style, "color": edge, "mutation_scale": 25,
                                "lw": 3, "shrinkA": 0, "shrinkB": 0}, zorder=6)
        top = y - 0.035
    return len(groups)


def mpl_font_size() -> float:
    """The label size: the current text size, less two points (labels are many and long)."""
    import matplotlib as mpl  # lazy: matplotlib is heavy

    return float(mpl.rcParams["font.size"]) - 2.0
