"""Figures of a sensitivity analysis: Sobol' bars, tornado chart, Morris screening plane.

One function per figure (the SALib ``plot_x(result, ax=None)`` pattern), each
returning the Axes it drew on; ``ax=None`` makes a new figure that is not
registered with pyplot, so the functions are safe with the Agg backend and
never open a window (nothing here calls ``plt.show()``). matplotlib is
imported inside the functions. Parameters are labelled with their names,
underscores replaced by spaces, and drawn in order of importance, the most
important at the top.
"""

from __future__ import annotations

import numpy as np
from lbp_headache.analysis.sensitivity.local import LocalResult
from lbp_headache.analysis.sensitivity.morris import MorrisResult
from lbp_headache.analysis.sensitivity.sobol import SobolResult
from lbp_headache.report.figure_style import FONT_SIZE, figure_png, figure_style

FIRST_ORDER_COLOR = "#56B4E9"   # sky blue
TOTAL_ORDER_COLOR = "#0072B2"   # blue
POSITIVE_COLOR = "#0072B2"      # blue: the output rises with the parameter
NEGATIVE_COLOR = "#D55E00"      # vermillion: the output falls
POINT_COLOR = "#882E72"         # purple
TORNADO_LABELS = {
    "local": "normalized sensitivity (% change in output per % change in parameter)",
    "morris": "mean elementary effect μ (output change across the full parameter range)",
}


def label(name: str) -> str:
    """Readable label of a parameter name (underscores to spaces)."""
    return name.replace("_", " ")


def _new_axes(ax, n_rows: int, width: float = 9.0):
    if ax is not None:
        return ax
    from matplotlib.figure import Figure  # lazy: matplotlib is heavy

    height = min(max(3.5, 0.5 * n_rows + 1.8), 14.0)
    return Figure(figsize=(width, height), layout="constrained").subplots()


def _importance_order(values: np.ndarray, top: int | None) -> np.ndarray:
    """Indices by decreasing ``values`` (NaN last), the first ``top`` of them."""
    values = np.asarray(values, dtype=float)
    key = np.where(np.isnan(values), -np.inf, values)
    order = np.argsort(-key, kind="stable")
    if top is not None:
        if top < 1:
            raise ValueError(f"top must be at least 1; got {top}")
        order = order[:top]
    return order


def _error(estimate: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Asymmetric error-bar lengths ``(2, k)`` (0 where the interval is missing)."""
    below = np.nan_to_num(estimate - low, nan=0.0)
    above = np.nan_to_num(high - estimate, nan=0.0)
    return np.maximum(np.vstack([below, above]), 0.0)


def plot_sobol_indices(result: SobolResult, ax=None, *, top: int | None = None,
                       title: str | None = None):
    """Grouped horizontal bars of first- and total-order Sobol' indices with their CIs.

    Parameters
    ----------
    result
        A :class:`~lbp_headache.analysis.sensitivity.SobolResult`.
    ax
        matplotlib Axes to draw on (a new figure if ``None``).
    top
        Show only the ``top`` parameters with the largest total-order index.
    title
        Axes title (a default explains the chart).

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.patches``: the first-order bars, then the total-order bars, each
        in the order of the y labels (decreasing total order, top to bottom).
    """
    import matplotlib as mpl  # lazy: matplotlib is heavy

    order = _importance_order(result.total_order, top)
    y = np.arange(order.size)
    with mpl.rc_context(figure_style()):
        ax = _new_axes(ax, order.size)
        height = 0.38
        error_style = {"ecolor": "#333333", "capsize": 3, "elinewidth": 1.2}
        percent = f"{100 * result.confidence_level:g}%"
        ax.barh(y - height / 2, result.first_order[order], height=height,
                color=FIRST_ORDER_COLOR, label="first order (parameter alone)",
                xerr=_error(result.first_order[order], result.first_order_ci[0][order],
                            result.first_order_ci[1][order]), error_kw=error_style)
        ax.barh(y + height / 2, result.total_order[order], height=height,
                color=TOTAL_ORDER_COLOR, label="total order (with interactions)",
                xerr=_error(result.total_order[order], result.total_order_ci[0][order],
                            result.total_order_ci[1][order]), error_kw=error_style)
        ax.set_yticks(y, [label(result.names[i]) for i in order])
        ax.invert_yaxis()
        ax.axvline(0.0, color="0.3", lw=1.0)
        ax.set_xlim(left=min(0.0, ax.get_xlim()[0]))
        ax.set_xlabel("Sobol' index (share of output variance)")
        ax.grid(axis="x", alpha=0.3)
        note = f"whiskers: {percent} bootstrap CI" if result.n_resamples else "no CI"
        ax.set_title(title or f"What drives the output variance? Sobol' indices\n"
                              f"(N = {result.n} base samples; {note})", fontsize=FONT_SIZE + 1)
        ax.legend(loc="best", frameon=False)
    return ax


def plot_tornado(result: LocalResult | MorrisResult, ax=None, *, top: int | None = None,
                 title: str | None = None):
    """Tornado chart: one bar per parameter left (negative) or right (positive) of zero.

    Parameters
    ----------
    result
        A :class:`~lbp_headache.analysis.sensitivity.LocalResult` (bars are the
        normalized sensitivities) or a
        :class:`~lbp_headache.analysis.sensitivity.MorrisResult` (bars are ``mu``).
    ax
        matplotlib Axes to draw on (a new figure if ``None``).
    top
        Show only the ``top`` parameters of largest absolute value.
    title
        Axes title (a default explains the chart).

    Returns
    -------
    matplotlib.axes.Axes
        One bar per parameter in ``ax.patches``, largest absolute value at the top;
        blue where the output rises with the parameter, vermillion where it
        falls. Undefined values (NaN) are drawn as empty bars labelled "n/a".
    """
    import matplotlib as mpl  # lazy: matplotlib is heavy
    from matplotlib.patches import Patch  # lazy: matplotlib is heavy

    if isinstance(result, LocalResult):
        values, kind = np.asarray(result.normalized, dtype=float), "local"
        default_title = "Local sensitivity: % change in output per 1% change in parameter"
    elif isinstance(result, MorrisResult):
        values, kind = np.asarray(result.mu, dtype=float), "morris"
        default_title = f"Morris screening: mean effect ({result.trajectories} trajectories)"
    else:
        raise TypeError(f"plot_tornado needs a LocalResult or MorrisResult, "
                        f"not {type(result).__name__}")
    order = _importance_order(np.abs(values), top)
    shown = values[order]
    y = np.arange(order.size)
    with mpl.rc_context(figure_style()):
        ax = _new_axes(ax, order.size)
        colors = [NEGATIVE_COLOR if v < 0 else POSITIVE_COLOR for v in np.nan_to_num(shown)]
        bars = ax.barh(y, np.nan_to_num(shown), height=0.65, color=colors)
        ax.set_yticks(y, [label(result.names[i]) for i in order])
        ax.invert_yaxis()
        ax.axvline(0.0, color="0.2", lw=1.5)
        reach = float(np.nanmax(np.abs(shown))) if np.any(np.isfinite(shown)) else 1.0
        reach = reach if reach > 0 else 1.0
        ax.set_xlim(-1.3 * reach, 1.3 * reach)
        for bar, value in zip(bars, shown):
            width = bar.get_width()
            if not np.isfinite(value):
                text = "n/a"
            elif abs(value) <= 1e-12 * reach:  # rounding noise around an exact zero
                text = "0"
            else:
                text = f"{value:+.3g}"
            ax.annotate(text, xy=(width, bar.get_y() + bar.get_height() / 2),
                        xytext=(4 if width >= 0 else -4, 0), textcoords="offset points",
                        ha="left" if width >= 0 else "right", va="center",
                        fontsize=FONT_SIZE - 2)
        ax.set_xlabel(TORNADO_LABELS[kind])
        ax.grid(axis="x", alpha=0.3)
        ax.set_title(title or default_title, fontsize=FONT_SIZE + 1)
        ax.legend(handles=[Patch(color=POSITIVE_COLOR, label="output rises with parameter"),
                           Patch(color=NEGATIVE_COLOR, label="output falls with parameter")],
                  loc="best", frameon=False)
    return ax


def plot_morris(result: MorrisResult, ax=None, *, title: str | None = None):
    """Morris screening plane: ``mu_star`` (influence) against ``sigma`` (non-linearity).

    Parameters
    ----------
    result
        A :class:`~lbp_headache.analysis.sensitivity.MorrisResult`.
    ax
        matplotlib Axes to draw on (a new figure if ``None``).
    title
        Axes title (a default explains the chart).

    Returns
    -------
    matplotlib.axes.Axes
        One point per parameter in ``ax.collections[0]`` (offsets
        ``(mu_star, sigma)`` in the order of ``result.names``), each labelled
        with its name; horizontal bars give the bootstrap CI of ``mu_star``.
        Points above the dashed line ``sigma = mu_star`` act mostly through
        non-linearity or interactions.
    """
    import matplotlib as mpl  # lazy: matplotlib is heavy

    mu_star = np.asarray(result.mu_star, dtype=float)
    sigma = np.asarray(result.sigma, dtype=float)
    with mpl.rc_context(figure_style()):
        ax = _new_axes(ax, 8, width=8.5)
        ax.scatter(mu_star, sigma, s=60, color=POINT_COLOR, zorder=3)
        if result.n_resamples:
            ax.errorbar(mu_star, sigma, xerr=_error(mu_star, *result.mu_star_ci), fmt="none",
                        ecolor="0.5", elinewidth=1.2, capsize=3, zorder=2)
        for name, x, y in zip(result.names, mu_star, sigma):
            ax.annotate(label(name), xy=(x, y), xytext=(5, 4), textcoords="offset points",
                        fontsize=FONT_SIZE - 2)
        finite = np.isfinite(mu_star) & np.isfinite(sigma)
        reach = float(max(np.max(mu_star[finite], initial=0.0),
                          np.max(sigma[finite], initial=0.0)))
        reach = 1.15 * reach if reach > 0 else 1.0
        ax.plot([0.0, reach], [0.0, reach], color="0.5", ls="--", lw=1.5,
                label="σ = μ* (above: non-linear or interacting)")
        ax.set_xlim(-0.02 * reach, reach)
        ax.set_ylim(-0.02 * reach, reach)
        ax.set_xlabel("μ*: mean |elementary effect| (overall influence)")
        ax.set_ylabel("σ: spread of elementary effects\n(non-linearity or interactions)")
        ax.grid(alpha=0.3)
        ax.set_title(title or f"Morris screening ({result.trajectories} trajectories, "
                              f"{result.levels} levels)", fontsize=FONT_SIZE + 1)
        ax.legend(loc="upper left", frameon=False)
    return ax


class _SensitivityFigures:
    """The figures of ``run_sensitivity``
    (:class:`lbp_headache.analysis.sensitivity.runner.SensitivityFigures`)."""

    FILES = {"sobol": "sobol_indices.png", "morris": "morris.png", "local": "tornado.png"}
    DRAW = {"sobol": plot_sobol_indices, "morris": plot_morris, "local": plot_tornado}

    def names(self, methods: tuple[str, ...]) -> dict[str, str]:
        return {method: self.FILES[method] for method in methods}

    def draw(self, method: str, result, title: str) -> bytes:
        ax = self.DRAW[method](result, title=title)
        return figure_png(ax.figure)


SENSITIVITY_FIGURES = _SensitivityFigures()
