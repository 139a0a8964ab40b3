"""Figures of a sweep: 1-D curves, 2-D maps with the chronification boundary, scatters.

One function per figure, each returning the Axes it drew on (``ax=None``
makes a new figure); :func:`render_sweep_figures` composes them for the
``sweep`` command. matplotlib is imported inside the functions.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from .parameters import BY_NAME
from .plotting import CYCLE, LINE_WIDTH, figure_style, save_figure
from .sweep_metrics import CHRONIFIED_LEVEL, METRICS
from .sweep_spec import SweepSpec
from .units import pretty

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
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax
    return plt.figure(figsize=figsize, layout="constrained").add_subplot()


def _styled(draw):
    """Draw inside the project's figure style (no global rcParams change)."""

    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        import matplotlib as mpl

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


def render_sweep_figures(spec: SweepSpec, design: np.ndarray, folder: Path) -> list[Path]:
    """Render the figures a sweep's design calls for into ``folder/figures``."""
    import matplotlib.pyplot as plt

    from .sweep import read_metric_columns

    target = folder / "figures"
    target.mkdir(parents=True, exist_ok=True)
    names = [m for m in spec.metrics if m in METRICS]
    if not names:
        return []
    columns = set(names) | ({"final_sensitization"} & set(spec.metrics))
    limit = None if spec.design == "grid" else MAX_SCATTER_POINTS
    data = read_metric_columns(folder, spec, sorted(columns), limit=limit)
    files = []
    if spec.design == "grid" and len(spec.parameters) == 1:
        x = spec.parameters[0].grid_axis()
        for metric in names:
            ax = plot_sweep_curve(x, {label: data[label][metric] for label, _ in spec.scenarios},
                                  parameter=spec.parameters[0].name, metric=metric)
            files.append(save_figure(ax.figure, target / f"{metric}.png"))
            plt.close(ax.figure)
    elif spec.design == "grid" and len(spec.parameters) == 2:
        first, second = spec.parameters
        shape = (first.levels, second.levels)
        metric = next((m for m in MAP_METRIC_PREFERENCE if m in names), names[0])
        for label, _ in spec.scenarios:
            boundary = data[label].get("final_sensitization")
            ax = plot_sweep_map(
                first.grid_axis(), second.grid_axis(), data[label][metric].reshape(shape),
                x_name=first.name, y_name=second.name, metric=metric,
                boundary=None if boundary is None else boundary.reshape(shape))
            ax.set_title(f"{metric_label(metric)}: {label.replace('_', ' ')}")
            files.append(save_figure(ax.figure, target / f"{label}__{metric}_map.png"))
            plt.close(ax.figure)
    else:
        metric = next((m for m in MAP_METRIC_PREFERENCE if m in names), names[0])
        for label, _ in spec.scenarios:
            n = data[label][metric].size
            for k, parameter in enumerate(spec.parameter_names):
                ax = plot_sweep_scatter(design[:n, k], data[label][metric],
                                        parameter=parameter, metric=metric)
                ax.set_title(f"{label.replace('_', ' ')}")
                files.append(save_figure(ax.figure,
                                         target / f"{label}__{metric}_vs_{parameter}.png"))
                plt.close(ax.figure)
    return files
