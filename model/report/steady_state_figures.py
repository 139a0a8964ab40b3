"""Figures of ``lbp-headache steady-states``: the bifurcation diagram and the bistability map.

The diagram draws the pain threshold and the headache load at every steady
state against the varied input or parameter: stable states as solid lines,
unstable ones dashed, the folds (where steady states appear or vanish) as
grey verticals. When back pain is varied, the threshold of a slow rise and
fall of back pain is drawn over it: the loop runs along the stable branches
and jumps near the folds. The map colours the plane of two varied quantities
by how many stable steady states it has.
"""

from __future__ import annotations

import numpy as np
from lbp_headache.analysis.steady_states import (
    BISTABLE,
    CLASS_NAMES,
    LUMBAR_PAIN,
    Branches,
)
from lbp_headache.core.parameters import BY_NAME
from lbp_headache.core.states import H_TENSION, THRESHOLD
from lbp_headache.report.figure_style import (
    COLORS,
    HEADACHE_LABEL,
    HEADACHE_LIMITS,
    SLIDE_SIZE,
    slide_style,
)

STABLE_COLOR = "#000000"
UNSTABLE_COLOR = "#882E72"
RAMP_UP_COLOR = "#D55E00"
RAMP_DOWN_COLOR = "#0072B2"
MAP_COLORS = ("#F0F0F0", "#CC79A7", "#E69F00")  # little sensitized, sensitized, bistable


def axis_label(vary: str) -> str:
    """``lumbar pain (0–10)``, or a parameter's name with its unit."""
    if vary == LUMBAR_PAIN:
        return "back pain, held constant (0–10)"
    unit = BY_NAME[vary].unit
    return vary.replace("_", " ") + ("" if unit == "dimensionless" else f" ({unit})")


def _segments(branches: Branches, value_of):
    """Polylines ``(xs, ys, stable)``: the k-th steady state followed across grid steps
    with the same number of steady states and the same stability (a fold breaks it)."""
    pieces = []
    open_lines: dict[int, tuple[list, list, bool]] = {}
    values = branches.values
    for k, points in enumerate(branches.points):
        joins = k > 0 and len(points) == len(branches.points[k - 1])
        following = {}
        for j, point in enumerate(points):
            line = open_lines.get(j) if joins else None
            if line is not None and line[2] != point.stable:
                line[0].append(values[k])  # close it where the stability changes
                line[1].append(value_of(point))
                line = None
            if line is None:
                line = ([], [], point.stable)
                pieces.append(line)
            line[0].append(values[k])
            line[1].append(value_of(point))
            following[j] = line
        open_lines = following
    return [piece for piece in pieces if len(piece[0]) > 1]


def bifurcation_figure(branches: Branches, title: str, ramp=None):
    """The diagram (module docstring); ``ramp`` is ``(lumbar_pain, pain_threshold)`` by day."""
    import matplotlib  # lazy: matplotlib is heavy
    from matplotlib.figure import Figure  # lazy: matplotlib is heavy
    from matplotlib.lines import Line2D  # lazy: matplotlib is heavy

    with matplotlib.rc_context(slide_style(16)):
        fig = Figure(figsize=SLIDE_SIZE, layout="constrained")
        threshold_ax, headache_ax = fig.subplots(1, 2)
        panels = ((threshold_ax, lambda pt: pt.states[THRESHOLD], "pain threshold (1 = healthy)"),
                  (headache_ax, lambda pt: float(pt.states[H_TENSION:H_TENSION + 4].sum()),
                   HEADACHE_LABEL))
        for ax, value_of, label in panels:
            for xs, ys, stable in _segments(branches, value_of):
                ax.plot(xs, ys, color=STABLE_COLOR if stable else UNSTABLE_COLOR,
                        linestyle="-" if stable else (0, (4, 2)),
                        linewidth=3.5 if stable else 2.5)
            for fold in branches.folds():
                ax.axvline(fold, color="#999999", linewidth=1.5, linestyle=":")
            ax.set_xlabel(axis_label(branches.vary))
            ax.set_ylabel(label)
            ax.set_xlim(branches.values[0], branches.values[-1])
        headache_ax.set_ylim(*HEADACHE_LIMITS)
        handles = [Line2D([], [], color=STABLE_COLOR, linewidth=3.5, label="stable steady state"),
                   Line2D([], [], color=UNSTABLE_COLOR, linestyle=(0, (4, 2)), linewidth=2.5,
                          label="unstable (the tipping point)")]
        if ramp is not None:
            lumbar, threshold = (np.asarray(a, dtype=float) for a in ramp)
            top = int(np.argmax(lumbar))
            threshold_ax.plot(lumbar[:top + 1], threshold[:top + 1], color=RAMP_UP_COLOR,
                              linewidth=2.0)
            threshold_ax.plot(lumbar[top:], threshold[top:], color=RAMP_DOWN_COLOR,
                              linewidth=2.0)
            handles += [Line2D([], [], color=RAMP_UP_COLOR, linewidth=2.0,
                               label="slow rise of back pain"),
                        Line2D([], [], color=RAMP_DOWN_COLOR, linewidth=2.0,
                               label="slow fall of back pain")]
        if branches.folds():
            handles.append(Line2D([], [], color="#999999", linestyle=":", linewidth=1.5,
                                  label="fold: a steady state appears or vanishes"))
        threshold_ax.legend(handles=handles, loc="center right", fontsize=13, frameon=False)
        fig.suptitle(title)
    return fig


def bistability_figure(classes: np.ndarray, vary: str, values, vary2: str, values2,
                       title: str):
    """The plane of ``vary`` x ``vary2`` coloured by :func:`bistability_map`'s classes."""
    import matplotlib  # lazy: matplotlib is heavy
    from matplotlib.colors import BoundaryNorm, ListedColormap  # lazy: matplotlib is heavy
    from matplotlib.figure import Figure  # lazy: matplotlib is heavy
    from matplotlib.patches import Patch  # lazy: matplotlib is heavy

    values, values2 = np.asarray(values, float), np.asarray(values2, float)
    with matplotlib.rc_context(slide_style(16)):
        fig = Figure(figsize=SLIDE_SIZE, layout="constrained")
        ax = fig.subplots()
        ax.pcolormesh(values, values2, classes, cmap=ListedColormap(MAP_COLORS),
                      norm=BoundaryNorm([-0.5, 0.5, 1.5, 2.5], 3), shading="nearest")
        ax.set_xlabel(axis_label(vary))
        ax.set_ylabel(axis_label(vary2))
        shares = [np.mean(classes == k) for k in range(3)]
        ax.legend(handles=[Patch(facecolor=MAP_COLORS[k], edgecolor="#666666",
                                 label=f"{CLASS_NAMES[k]} ({shares[k]:.0%} of the plane)")
                           for k in range(3)],
                  loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=1, frameon=False,
                  fontsize=14)
        ax.set_title(title)
        if np.any(classes == BISTABLE):
            ax.contour(values, values2, (classes == BISTABLE).astype(float), levels=[0.5],
                       colors=COLORS["lumbar_pain"], linewidths=2.0)
    return fig
