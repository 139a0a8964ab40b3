"""Figures of a sweep: 1-D curves, 2-D maps with the chronification boundary, scatters.

One function per figure, each returning the Axes it drew on (``ax=None``
makes a new figure); :func:`render_sweep_figures` composes them for the
``sweep`` command. matplotlib is imported inside the functions.
"""

from __future__ import annotations

import functools

import numpy as np
from lbp_headache.analysis.metrics import CHRONIFIED_LEVEL, METRICS
from lbp_headache.analysis.sweep.spec import SweepSpec
from lbp_headache.core.parameters import BY_NAME
from lbp_headache.core.units import pretty
from lbp_headache.report.figure_style import CYCLE, LINE_WIDTH, figure_png, figure_style

MAX_SCATTER_POINTS = 5000
MAP_METRIC_PREFERENCE = ("headache_days_per_month", "mean_headache", "headache_burden")


def axis_label(name: str) -> str:
    """``posture chain stiffness (dimensionless)`` style label of a parameter."""
    unit = pretty(BY_NAME[name].unit) if name in BY_NAME else ""
    text = name.replace("_", " ")
    return f"{text} ({unit})" if unit and unit not in ("1", "dimensionless") else text


def metric_label(name: str) -> str:
    """Readable label of a metric column."""
    return name.replace("_", " ")


def _new_axes(ax, figsize=(8, 6)):
    import matplotlib.pyplot as plt  # lazy: matplotlib is heavy

    if ax is not None:
        return ax
    return plt.figure(figsize=figsize, layout="constrained").add_subplot()


def _styled(draw):
    """Draw inside the project's figure style (no global rcParams change)."""

    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        import matplotlib as mpl  # lazy: matplotlib is heavy

        with mpl.rc_context(figure_style()):
            return draw(*args, **kwargs)

    return wrapper


@_styled
def plot_sweep_curve(x: np.ndarray, curves: dict[str, np.ndarray], *, parameter: str,
                     metric: str, ax=None):
    """One metric against one swept parameter, a line per base scenario."""
    ax = _new_axes(ax)
    for k, (label, values) in enumerate(curves.items()):
        ax.plot(x, values, color=CYCLE[k % len(CYCLE)], lw=LINE_WIDTH,
                label=label.replace("_", " "))
    ax.set_xlabel(axis_label(parameter))
    ax.set_ylabel(metric_label(metric))
    ax.set_title(f"{metric_label(metric)} across {parameter.replace('_', ' ')}")
    ax.grid(alpha=0.3)
    if BY_NAME.get(parameter) is not None:
        ax.axvline(BY_NAME[parameter].value, color="0.5", ls=":", lw=1.5, label="table value")
    ax.legend(frameon=False)
    return ax


@_styled
def plot_sweep_map(x: np.ndarray, y: np.ndarray, values: np.ndarray, *, x_name: str,
                   y_name: str, metric: str, boundary: np.ndarray | None = None, ax=None):
    """A metric over a 2-D grid (``values[i, j]`` at ``x[i], y[j]``) with the boundary contour.

    ``boundary`` (same shape) is the final sensitization; its 0.5 level, the
    border between recovering and chronifying, is drawn as a white line.
    """
    ax = _new_axes(ax, figsize=(8.5, 6.5))
    mesh = ax.pcolormesh(x, y, values.T, shading="nearest", cmap="viridis")
    colorbar = ax.figure.colorbar(mesh, ax=ax)
    colorbar.set_label(metric_label(metric))
    if boundary is not None and np.nanmin(boundary) < CHRONIFIED_LEVEL < np.nanmax(boundary):
        contour = ax.contour(x, y, boundary.T, levels=[CHRONIFIED_LEVEL], colors="white",
                             linewidths=LINE_WIDTH)
        ax.clabel(contour, fmt={CHRONIFIED_LEVEL: "chronification boundary"}, fontsize=10)
    ax.set_xlabel(axis_label(x_name))
    ax.set_ylabel(axis_label(y_name))
    ax.set_title(f"{metric_label(metric)}")
    return ax


@_styled
def plot_sweep_scatter(x: np.ndarray, values: np.ndarray, *, parameter: str, metric: str,
                       ax=None):
    """A metric against one sampled parameter (a subsample of at most 5,000 sets)."""
    ax = _new_axes(ax)
    ax.scatter(x, values, s=6, alpha=0.4, color=CYCLE[1])
    ax.set_xlabel(axis_label(parameter))
    ax.set_ylabel(metric_label(metric))
    ax.grid(alpha=0.3)
    return ax


FIGURE_METRICS = METRICS  # metrics a sweep may draw


def _figure_plan(spec: SweepSpec) -> list[tuple[str, str, str | None, int | None]]:
    """``(file name, kind, scenario label, parameter column)`` of every figure of ``spec``."""
    names = [m for m in spec.metrics if m in FIGURE_METRICS]
    if not names:
        return []
    if spec.design == "grid" and len(spec.parameters) == 1:
        return [(f"{metric}.png", "curve", metric, None) for metric in names]
    metric = next((m for m in MAP_METRIC_PREFERENCE if m in names), names[0])
    if spec.design == "grid" and len(spec.parameters) == 2:
        return [(f"{label}__{metric}_map.png", "map", label, None) for label, _ in spec.scenarios]
    return [(f"{label}__{metric}_vs_{parameter}.png", "scatter", label, k)
            for label, _ in spec.scenarios for k, parameter in enumerate(spec.parameter_names)]


def sweep_figure_names(spec: SweepSpec) -> list[str]:
    """File names of the figures :func:`render_sweep_figures` draws for ``spec``."""
    return [name for name, *_ in _figure_plan(spec)]


def render_sweep_figures(spec: SweepSpec, design: np.ndarray,
                         data: dict[str, dict[str, np.ndarray]]) -> list[tuple[str, bytes]]:
    """The figures a sweep's design calls for, as ``(file name, PNG bytes)``.

    ``data[label][metric]`` holds the metric columns (all sets of a grid; the
    first sets of a sampling design).
    """
    import matplotlib.pyplot as plt  # lazy: matplotlib is heavy

    names = [m for m in spec.metrics if m in FIGURE_METRICS]
    metric = next((m for m in MAP_METRIC_PREFERENCE if m in names), names[0] if names else None)
    figures = []
    for name, kind, which, column in _figure_plan(spec):
        if kind == "curve":
            ax = plot_sweep_curve(spec.parameters[0].grid_axis(),
                                  {label: data[label][which] for label, _ in spec.scenarios},
                                  parameter=spec.parameters[0].name, metric=which)
        elif kind == "map":
            first, second = spec.parameters
            shape = (first.levels, second.levels)
            boundary = data[which].get("final_sensitization")
            ax = plot_sweep_map(
                first.grid_axis(), second.grid_axis(), data[which][metric].reshape(shape),
                x_name=first.name, y_name=second.name, metric=metric,
                boundary=None if boundary is None else boundary.reshape(shape))
            ax.set_title(f"{metric_label(metric)}: {which.replace('_', ' ')}")
        else:
            values = data[which][metric]
            ax = plot_sweep_scatter(design[:values.size, column], values,
                                    parameter=spec.parameter_names[column], metric=metric)
            ax.set_title(f"{which.replace('_', ' ')}")
        figures.append((name, figure_png(ax.figure)))
        plt.close(ax.figure)
    return figures


class _SweepFigures:
    """The sweep runner's figures (:class:`lbp_headache.analysis.sweep.runner.SweepFigures`)."""

    def names(self, spec: SweepSpec) -> list[str]:
        return sweep_figure_names(spec)

    def draw(self, spec: SweepSpec, design: np.ndarray, read_columns) -> list[tuple[str, bytes]]:
        names = [m for m in spec.metrics if m in FIGURE_METRICS]
        if not names:
            return []
        columns = set(names) | ({"final_sensitization"} & set(spec.metrics))
        limit = None if spec.design == "grid" else MAX_SCATTER_POINTS
        return render_sweep_figures(spec, design, read_columns(sorted(columns), limit))


SWEEP_FIGURES = _SweepFigures()
