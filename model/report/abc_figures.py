"""The figures of a calibration report (``lbp-headache calibrate``), one function each.

``posterior_figure``
    One panel per parameter: the prior's density (truncated to the range) as a
    line, the last generation's weighted particles as a histogram (about the
    square root of the effective particles in bins, between the smallest and
    the largest particle), the
    posterior median as a vertical line and the table value as a dotted one.
``observed_vs_predicted_figure``
    One row per target, every target on one axis in half-widths of its
    published interval (the grey band from -1 to 1): the posterior predictive
    median and 95 % interval, and the model at the posterior median; the
    published interval and unit written beside each row.
``correlation_figure``
    The pairwise weighted posterior correlations as a heatmap (-1 to 1).
``constraint_figure``
    The targets x parameters matrix of weighted r²
    (:func:`~lbp_headache.calibration.identifiability.constraint_matrix`).

Every function takes a :class:`~lbp_headache.calibration.abc_result.CalibrationResult`
and returns a matplotlib Figure (nothing is shown).
"""

from __future__ import annotations

import math

import numpy as np
from lbp_headache.calibration.abc_outputs import predictive_deviations
from lbp_headache.calibration.abc_result import CalibrationResult
from lbp_headache.calibration.identifiability import constraint_matrix, correlation_matrix
from lbp_headache.calibration.posterior import effective_sample_size, weighted_quantile
from lbp_headache.core.units import pretty
from lbp_headache.report.figure_style import CYCLE, figure_style

COLUMNS = 3
DEVIATION_LIMIT = 6.0  # the observed-vs-predicted axis: at most this many half-widths


def posterior_figure(result: CalibrationResult):
    """A matplotlib Figure: posterior (histogram) against prior (line), one panel each."""
    import matplotlib  # lazy: matplotlib is heavy
    from matplotlib.figure import Figure  # lazy: matplotlib is heavy

    calibration = result.calibration
    names = calibration.parameters
    # about the square root of the effective particles, 5 to 20
    bins = int(np.clip(round(math.sqrt(effective_sample_size(calibration.weights))), 5, 20))
    columns = min(COLUMNS, len(names))
    rows = math.ceil(len(names) / columns)
    with matplotlib.rc_context(figure_style()):
        fig = Figure(figsize=(4.2 * columns, 3.2 * rows), layout="constrained")
        axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False).ravel())
        for ax, name in zip(axes, names):
            prior = result.priors[name]
            low, high = _plot_range(prior, calibration.samples[name])
            grid = np.linspace(low, high, 200)
            ax.plot(grid, prior.pdf(grid), color=CYCLE[0], label="prior")
            values = np.asarray(calibration.samples[name], dtype=float)
            finite = values[np.isfinite(values)]
            # bins over the particles (not the whole range): a narrow posterior keeps detail
            span = (float(finite.min()), float(finite.max())) if finite.size else (low, high)
            if span[1] <= span[0]:
                span = (low, high)
            ax.hist(values, bins=bins, range=span,
                    weights=calibration.weights, density=True, color=CYCLE[1], alpha=0.6,
                    label="posterior")
            ax.axvline(weighted_quantile(calibration.samples[name], calibration.weights, 0.5),
                       color=CYCLE[2], label="posterior median")
            ax.axvline(result.table_values[name], color=CYCLE[0], linestyle=":",
                       label="table value")
            unit = result.units[name]
            ax.set_xlabel(f"{name} ({pretty(unit)})" if unit not in ("dimensionless", "1")
                          else name)
            ax.set_yticks([])
        for ax in axes[len(names):]:
            ax.set_visible(False)
        axes[0].legend(frameon=False, fontsize="small")
    return fig


def observed_vs_predicted_figure(result: CalibrationResult):
    """Published interval against the posterior predictive, in half-widths (module docstring)."""
    import matplotlib  # lazy: matplotlib is heavy
    from matplotlib.figure import Figure  # lazy: matplotlib is heavy

    rows = predictive_deviations(result)
    n = len(rows)
    with matplotlib.rc_context(figure_style()):
        fig = Figure(figsize=(13, 1.6 + 0.55 * n), layout="constrained")
        ax = fig.subplots()
        reach = [abs(row[key]) for row in rows for key in ("low", "high", "at_median")
                 if math.isfinite(row[key])]
        limit = float(np.clip(math.ceil(max(reach, default=0.0)) + 0.5, 2.5, DEVIATION_LIMIT))
        ax.axvspan(-1, 1, color="0.85", label="published interval")
        ax.axvline(0, color="0.6", linewidth=1)
        y = np.arange(n)[::-1]
        for k, row in zip(y, rows):
            low, median, high = (float(np.clip(row[key], -limit, limit))
                                 for key in ("low", "median", "high"))
            inside = abs(row["median"]) <= 1
            color = CYCLE[1] if inside else CYCLE[2]
            ax.plot([low, high], [k, k], color=color, linewidth=3, solid_capstyle="butt")
            ax.plot(median, k, "o", color=color, markersize=8)
            at = row["at_median"]
            if math.isfinite(at):
                ax.plot(float(np.clip(at, -limit, limit)), k, "x", color=CYCLE[0],
                        markersize=8, markeredgewidth=2)
            for side in {float(np.sign(v)) for v in (row["low"], row["high"])
                         if abs(v) > limit}:  # off the axis: an arrow at that edge says so
                ax.annotate("", (side * limit, k), (side * (limit - 0.8), k),
                            arrowprops={"arrowstyle": "->", "color": color, "lw": 2})
            target = row["target"]
            value = row["value"]
            unit = "" if target.unit in ("1", "dimensionless") else f" {target.unit}"
            ax.text(1.01, k, f"published [{_g(target.low)}, {_g(target.high)}], "
                    f"model {_g(value)}{unit}",
                    transform=ax.get_yaxis_transform(), va="center", fontsize="small")
        ax.plot([], [], "o-", color=CYCLE[1],
                label="model, posterior predictive: median, 95 % interval")
        ax.plot([], [], "o-", color=CYCLE[2], label="... median outside the published interval")
        ax.plot([], [], "x", color=CYCLE[0], markeredgewidth=2,
                label="model at the posterior median")
        ax.set_yticks(y, [row["id"] for row in rows])
        ax.set_ylim(-0.7, n - 0.3)
        ax.set_xlim(-limit, limit)
        ax.set_xlabel("(model - middle of the published interval) / half its width "
                      "(inside: -1 to 1)")
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False,
                  fontsize="small")
    return fig


def correlation_figure(result: CalibrationResult):
    """Heatmap of the pairwise weighted posterior correlations of the parameters."""
    import matplotlib  # lazy: matplotlib is heavy
    from matplotlib.figure import Figure  # lazy: matplotlib is heavy

    names = result.calibration.parameters
    matrix = correlation_matrix(result.calibration)
    with matplotlib.rc_context(figure_style()):
        size = 2.5 + 0.9 * len(names)
        fig = Figure(figsize=(size + 1.5, size), layout="constrained")
        ax = fig.subplots()
        image = ax.imshow(np.ma.masked_invalid(matrix), cmap="RdBu_r", vmin=-1, vmax=1)
        _annotate(ax, matrix, "{:+.2f}", lambda v: abs(v) > 0.6)
        ax.set_xticks(range(len(names)), names, rotation=40, ha="right")
        ax.set_yticks(range(len(names)), names)
        ax.spines[:].set_visible(False)
        fig.colorbar(image, ax=ax, label="weighted posterior correlation r", shrink=0.8)
        ax.set_title("Pairwise posterior correlations")
    return fig


def constraint_figure(result: CalibrationResult):
    """Targets x parameters matrix of weighted r² (how much each target constrains each)."""
    import matplotlib  # lazy: matplotlib is heavy
    from matplotlib.figure import Figure  # lazy: matplotlib is heavy

    calibration = result.calibration
    names = calibration.parameters
    ids = tuple(t.id for t in calibration.targets)
    matrix = constraint_matrix(calibration, ids)
    with matplotlib.rc_context(figure_style()):
        fig = Figure(figsize=(6.0 + 1.2 * len(names), 2.2 + 0.5 * len(ids)),
                     layout="constrained")
        ax = fig.subplots()
        image = ax.imshow(np.ma.masked_invalid(matrix), cmap="Blues", vmin=0, vmax=1,
                          aspect="auto")
        _annotate(ax, matrix, "{:.2f}", lambda v: v > 0.55)
        ax.set_xticks(range(len(names)), names, rotation=40, ha="right")
        ax.set_yticks(range(len(ids)), ids)
        ax.spines[:].set_visible(False)
        fig.colorbar(image, ax=ax, label="weighted r²")
        ax.set_title("How much each target constrains each parameter\n"
                     "(r² across the posterior; - : the target does not vary)",
                     fontsize="medium")
    return fig


def _plot_range(prior, samples: np.ndarray) -> tuple[float, float]:
    """The prior's range; an unbounded side: where the prior leaves 0.1 %, or the farthest
    particle if beyond."""
    values = np.asarray(samples, dtype=float)
    values = values[np.isfinite(values)]
    low, high = prior.low, prior.high
    if not math.isfinite(low):
        low = float(np.min([prior.draw(np.array([0.001]))[0], *values]))
    if not math.isfinite(high):
        high = float(np.max([prior.draw(np.array([0.999]))[0], *values]))
    return low, high


def _annotate(ax, matrix: np.ndarray, form: str, dark) -> None:
    for (i, j), value in np.ndenumerate(matrix):
        text = "-" if not math.isfinite(value) else form.format(value)
        ax.text(j, i, text, ha="center", va="center", fontsize="small",
                color="white" if math.isfinite(value) and dark(value) else "black")


def _g(value) -> str:
    if value is None:
        return "-"
    if not math.isfinite(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.3g}"
