"""Figures: one function per figure (the SALib/Myokit ``plot_x(..., ax=None)`` pattern).

matplotlib is imported inside the functions, so importing :mod:`model` does not
need it; nothing here calls ``plt.show()``. Figures are made for a projector:
font size at least 12, lines at least 2 px, and colour-blind-safe colours
(Okabe-Ito / Paul Tol), with one fixed colour per pathway used everywhere:
mechanical parts in blues, migraine-like / inflammatory in orange-red,
sensitization in purple.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from lbp_headache.core.states import HEADACHE_COMPONENTS
from lbp_headache.engine.result import Result

FONT_SIZE = 13
LINE_WIDTH = 2.5
DPI = 150

COLORS = {
    "headache_tension_type": "#0072B2",    # blue
    "headache_cervicogenic": "#56B4E9",    # sky blue
    "headache_migraine": "#D55E00",        # vermillion
    "headache_sensitization": "#882E72",   # purple
    "lumbar_pain": "#000000",
    "il6": "#E69F00",                      # orange (inflammatory)
    "tnf_alpha": "#D55E00",
    "treatment": "#009E73",                # bluish green
}
COMPONENT_LABELS = {
    "headache_tension_type": "tension-type",
    "headache_cervicogenic": "cervicogenic",
    "headache_migraine": "migraine-like",
    "headache_sensitization": "sensitization",
}
# Qualitative colour-blind-safe cycle for comparisons (Okabe-Ito without yellow).
CYCLE = ("#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
         "#882E72")
DASHES = ("-", "--", "-.", ":")
HEADACHE_LABEL = "headache load (0–10)"
DAYS_PER_MONTH = 365.25 / 12


def figure_style() -> dict:
    return {
        "font.size": FONT_SIZE, "axes.titlesize": FONT_SIZE + 2, "axes.labelsize": FONT_SIZE,
        "xtick.labelsize": FONT_SIZE - 1, "ytick.labelsize": FONT_SIZE - 1,
        "legend.fontsize": FONT_SIZE - 1, "lines.linewidth": LINE_WIDTH,
        "axes.spines.top": False, "axes.spines.right": False,
        # Titles and legends quote names from scenario files: '$' is a dollar sign, never
        # mathtext (a name such as "$^^$" would otherwise fail to draw).
        "text.parse_math": False,
    }


def time_axis(duration: float) -> tuple[float, str]:
    """Divisor and axis label for a run of ``duration`` days (days up to 180, else months)."""
    if duration <= 180.0:
        return 1.0, "time (days)"
    return DAYS_PER_MONTH, "time (months)"


def _new_axes(ax, figsize=(11, 6)):
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained").subplots()


def treatment_windows(result: Result) -> list[tuple[float, float]]:
    """Union of the treatment windows (days, clipped to the run), so overlaps shade once."""
    end = result.scenario.duration
    spans = sorted((t.start, min(t.stop, end)) for t in result.scenario.treatments
                   if t.type != "parameter_change" and t.start < end)
    merged: list[tuple[float, float]] = []
    for start, stop in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged


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
    import matplotlib as mpl

    with mpl.rc_context(figure_style()):
        ax = _new_axes(ax)
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
    import matplotlib as mpl
    from matplotlib.figure import Figure

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
    import matplotlib as mpl
    from matplotlib.lines import Line2D

    if not results:
        raise ValueError("plot_comparison needs at least one result")
    with mpl.rc_context(figure_style()):
        ax = _new_axes(ax, figsize=(13, 7))
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


def _box(ax, xy, text, colour, width=2.3, height=0.9):
    from matplotlib.patches import FancyBboxPatch

    x, y = xy
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                boxstyle="round,pad=0.08", fc=colour, ec="#222222",
                                lw=1.5, alpha=0.95, zorder=2))
    ax.text(x, y, text, ha="center", va="center", fontsize=FONT_SIZE, zorder=3,
            color="white" if colour in DARK_FILLS else "black")


DARK_FILLS = {"#0072B2", "#882E72", "#D55E00"}


def _arrow(ax, start, end, colour="#222222", style="-|>", ls="-", label=None, rad=0.0,
           label_offset=(0.0, 0.15), zorder=1, shrink=4):
    ax.annotate("", xy=end, xytext=start,
                arrowprops={"arrowstyle": style, "color": colour, "lw": LINE_WIDTH, "ls": ls,
                            "shrinkA": 4, "shrinkB": shrink, "mutation_scale": 20,
                            "connectionstyle": f"arc3,rad={rad}"}, zorder=zorder)
    if label:
        mx = (start[0] + end[0]) / 2 + label_offset[0]
        my = (start[1] + end[1]) / 2 + label_offset[1]
        ax.text(mx, my, label, ha="center", va="bottom", fontsize=FONT_SIZE - 1,
                color=colour, zorder=3)


def plot_pathway_diagram(ax=None):
    """Schematic of the three pathways and where each treatment acts.

    Mechanical: lumbar pain -> posture -> neck tension -> tension-type and
    cervicogenic headache. Neurological: lumbar pain -> central sensitization
    (lower threshold) -> amplifies all headache. Inflammatory: disc
    degeneration -> IL-6 / TNF-α -> neuroinflammation -> migraine-like headache.
    Treatments (green) point to the states they act on.

    Parameters
    ----------
    ax
        matplotlib Axes to draw on (a new figure if ``None``).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on (axis lines hidden).
    """
    import matplotlib as mpl

    with mpl.rc_context(figure_style()):
        ax = _new_axes(ax, figsize=(15, 9))
        ax.set_xlim(0, 15)
        ax.set_ylim(0, 9.6)
        ax.set_axis_off()
        mech, neuro, infl = "#BFE3F7", "#882E72", "#F8C9A8"
        treat = COLORS["treatment"]
        boxes = {
            "lumbar": ((1.5, 6.6), "lumbar pain", "#FFFFFF"),
            "ergo_load": ((5.0, 8.7), "ergonomic load\n(desk, sitting)", "#E0E0E0"),
            "disc": ((1.5, 1.6), "disc degeneration\n/ herniation", "#FFFFFF"),
            "posture": ((5.0, 6.6), "posture shift\n(forward head)", mech),
            "neck": ((8.6, 6.6), "neck muscle\ntension", mech),
            "sens": ((6.8, 3.6), "central sensitization\n(pain threshold ↓)", neuro),
            "cyto": ((5.0, 1.6), "IL-6 / TNF-α", infl),
            "neuroinfl": ((8.6, 1.6), "neuro-\ninflammation", infl),
            "tth": ((12.8, 7.4), "tension-type\nheadache", "#0072B2"),
            "cgh": ((12.8, 5.8), "cervicogenic\nheadache", "#56B4E9"),
            "mig": ((12.8, 1.6), "migraine-like\nheadache", "#D55E00"),
        }
        for xy, text, colour in boxes.values():
            _box(ax, xy, text, colour)
        at = {key: value[0] for key, value in boxes.items()}

        def edge(key, dx=0.0, dy=0.0):
            x, y = at[key]
            return (x + dx, y + dy)

        w, h = 1.25, 0.55
        _arrow(ax, edge("lumbar", w), edge("posture", -w))
        _arrow(ax, edge("ergo_load", 0, -h), edge("posture", 0, h))
        _arrow(ax, edge("posture", w), edge("neck", -w), label="head-levelling\nreflex",
               label_offset=(0, 0.55))
        _arrow(ax, edge("neck", w, 0.25), edge("tth", -w))
        _arrow(ax, edge("neck", w, -0.25), edge("cgh", -w))
        _arrow(ax, edge("lumbar", 0.5, -h), edge("sens", -1.55, 0.2),
               label="nociceptive\ndrive", label_offset=(-0.9, -0.35))
        _arrow(ax, edge("disc", w), edge("cyto", -w))
        _arrow(ax, edge("cyto", w), edge("neuroinfl", -w))
        _arrow(ax, edge("neuroinfl", w), edge("mig", -w))
        amp = {"colour": neuro, "ls": "--"}
        _arrow(ax, edge("sens", 1.55, 0.2), edge("cgh", -w, -0.3), **amp)
        _arrow(ax, edge("sens", 1.55, 0.35), edge("tth", -w, -0.3), rad=0.1, **amp)
        _arrow(ax, edge("sens", 1.55, -0.2), edge("mig", -w, 0.3), **amp)
        ax.text(11.0, 3.3, "amplifies\nall headache", color=neuro, ha="center",
                va="center", fontsize=FONT_SIZE, style="italic")

        def treatment(xy, text, targets):
            ax.text(*xy, text, ha="center", va="center", fontsize=FONT_SIZE, color="white",
                    fontweight="bold", zorder=5,
                    bbox={"boxstyle": "round,pad=0.35", "fc": treat, "ec": treat})
            for target in targets:
                _arrow(ax, xy, target, colour=treat, style="-[,widthB=0.7,lengthB=0.25",
                       zorder=4, shrink=1)

        treatment((6.8, 5.0), "physical therapy",
                  [edge("lumbar", 0.6, -h - 0.05), edge("posture", 0.4, -h - 0.05),
                   edge("neck", -0.4, -h - 0.05)])
        treatment((8.9, 8.7), "ergonomics", [edge("ergo_load", w + 0.1, 0)])
        treatment((3.0, 3.2), "neuropathic\nmedication", [edge("sens", -1.6, -0.15)])
        treatment((5.0, 0.2), "NSAIDs", [edge("cyto", 0, -h - 0.05)])
        ax.text(14.9, 0.2, "green bar = where a treatment acts (it inhibits)\n"
                "purple dashes = sensitization amplifies",
                ha="right", va="bottom", fontsize=FONT_SIZE - 1, color="#333333")
        ax.set_title("How lower back pain can lead to headache: pathways and treatments",
                     fontsize=FONT_SIZE + 3)
    return ax


def figure_png(fig, *, dpi: int = DPI) -> bytes:
    """``fig`` (or an Axes' figure) as PNG bytes (Agg renderer, no creation-time metadata,
    so the same figure gives the same bytes)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = getattr(fig, "figure", fig)
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def save_figure(fig, path: str | os.PathLike, *, dpi: int = DPI) -> Path:
    """Save ``fig`` as PNG to ``path`` atomically (Agg renderer, ``dpi`` 150 by default).

    Parameters
    ----------
    fig
        A matplotlib Figure (an Axes is accepted and its figure saved).
    path
        Destination file.
    dpi
        Resolution.

    Returns
    -------
    Path
        The destination path.

    Raises
    ------
    OSError
        If the file cannot be written (no partial file is left).
    """
    from lbp_headache.report.run_folder import atomic_write_bytes

    return atomic_write_bytes(path, figure_png(fig, dpi=dpi))
