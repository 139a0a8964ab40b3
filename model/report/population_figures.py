"""Figures of a virtual population: baseline distributions against targets, marginals against
priors.

One function per figure, each returning its matplotlib Figure (the house
style of :mod:`.figure_style`); :data:`POPULATION_FIGURES` composes them for
``lbp-headache population``.
"""

from __future__ import annotations

import numpy as np
from lbp_headache.analysis.statistics import ks_distance
from lbp_headache.core.parameters import BY_NAME, INDEX
from lbp_headache.core.units import pretty
from lbp_headache.population.runner import Population, patient_parameters
from lbp_headache.population.spec import MEASURES
from lbp_headache.report.figure_style import CYCLE, FONT_SIZE, figure_png, figure_style

BASELINE_PANELS = ("headache_days", "back_pain", "sensitization", "coupling")
MARGINAL_PANELS = 12
CANDIDATE_COLOR, SELECTED_COLOR, TARGET_COLOR = "#BBBBBB", CYCLE[1], CYCLE[2]


def _label(measure: str) -> str:
    unit, meaning = MEASURES[measure]
    return meaning[0].upper() + meaning[1:]


def plot_baseline_distributions(population: Population):
    """Histograms of baseline measures: eligible candidates (grey) and the population (blue),
    with the selection target (orange) on the measure selected on."""
    import matplotlib as mpl  # lazy: matplotlib is heavy
    from matplotlib.figure import Figure  # lazy: matplotlib is heavy

    spec = population.spec
    selected_on = spec.selection.measure if spec.selection else None
    panels = list(dict.fromkeys([*([selected_on] if selected_on else []), *BASELINE_PANELS]))[:4]
    with mpl.rc_context(figure_style()):
        fig = Figure(figsize=(16, 9), layout="constrained")
        axes = fig.subplots(2, 2).ravel()
        for ax, measure in zip(axes, panels):
            values = population.measures[measure]
            pool = values[population.eligible & np.isfinite(values)]
            chosen = values[population.chosen]
            chosen = chosen[np.isfinite(chosen)]
            if pool.size == 0:
                ax.set_axis_off()
                continue
            bins = np.histogram_bin_edges(pool, bins=30)
            ax.hist(pool, bins=bins, density=True, color=CANDIDATE_COLOR,
                    label=f"eligible candidates ({pool.size:,})")
            ax.hist(chosen, bins=bins, density=True, histtype="step", lw=2.5,
                    color=SELECTED_COLOR, label=f"population ({chosen.size:,})")
            if measure == selected_on and spec.selection.target is not None:
                grid = np.linspace(bins[0], bins[-1], 400)
                ax.plot(grid, spec.selection.target.pdf(grid), color=TARGET_COLOR, lw=2.5,
                        ls="--", label="target")
            elif measure == selected_on:
                for k, ((low, high), share) in enumerate(spec.selection.categories):
                    width = min(high, bins[-1]) - max(low, bins[0])
                    if width > 0:
                        ax.hlines(share / width, max(low, bins[0]), min(high, bins[-1]),
                                  color=TARGET_COLOR, lw=3, ls="--",
                                  label="target share" if k == 0 else None)
            ax.set_xlabel(_label(measure))
            ax.set_ylabel("density")
            ax.legend(frameon=False, fontsize=FONT_SIZE - 2)
            ax.grid(alpha=0.3)
        for ax in axes[len(panels):]:
            ax.set_axis_off()
        fig.suptitle(f"{spec.name}: baseline ({spec.baseline[0]:g}-{spec.baseline[1]:g} days)",
                     fontsize=FONT_SIZE + 3)
    return fig


def moved_most(population: Population, rows: np.ndarray, limit: int) -> list[str]:
    """The varying parameters whose population distribution moved furthest from the prior
    (Kolmogorov-Smirnov distance), most first."""
    moved = []
    for j, (name, distribution) in enumerate(population.spec.varying):
        if distribution.is_point:
            continue
        values = rows[:, j]
        moved.append((ks_distance(values, distribution.cdf), name))
    return [name for _, name in sorted(moved, reverse=True)[:limit]]


def plot_parameter_marginals(population: Population):
    """The population's parameter distributions (histograms) against their priors (lines):
    the parameters selection moved most."""
    import matplotlib as mpl  # lazy: matplotlib is heavy
    from matplotlib.figure import Figure  # lazy: matplotlib is heavy

    spec = population.spec
    full = patient_parameters(population)
    index = {name: j for j, (name, _) in enumerate(spec.varying)}
    columns = full[:, [INDEX[name] for name in index]] if index else np.zeros((full.shape[0], 0))
    names = moved_most(population, columns, MARGINAL_PANELS)
    with mpl.rc_context(figure_style()):
        fig = Figure(figsize=(18, 10), layout="constrained")
        axes = fig.subplots(3, 4).ravel()
        priors = dict(spec.varying)
        for ax, name in zip(axes, names):
            values = columns[:, index[name]]
            prior = priors[name]
            ax.hist(values, bins=25, density=True, color=SELECTED_COLOR, alpha=0.7,
                    label="population")
            grid = np.linspace(max(prior.low, values.min()), min(prior.high, values.max()), 300)
            ax.plot(grid, prior.pdf(grid), color="black", lw=2, label="prior")
            unit = pretty(BY_NAME[name].unit)
            ax.set_title(name.replace("_", " "), fontsize=FONT_SIZE - 1)
            ax.set_xlabel(unit if unit != "1" else "")
            ax.tick_params(labelsize=FONT_SIZE - 3)
        for ax in axes[len(names):]:
            ax.set_axis_off()
        if names:
            axes[0].legend(frameon=False, fontsize=FONT_SIZE - 3)
        fig.suptitle(f"{spec.name}: the {len(names)} parameters the population moved most "
                     "from their priors", fontsize=FONT_SIZE + 3)
    return fig


class _PopulationFigures:
    """The figures of ``run_population`` (the runner's ``PopulationFigures``)."""

    FILES = ("baseline_distributions.png", "parameter_marginals.png")

    def names(self, spec) -> list[str]:
        return list(self.FILES)

    def draw(self, population: Population) -> list[tuple[str, bytes]]:
        return [("baseline_distributions.png",
                 figure_png(plot_baseline_distributions(population))),
                ("parameter_marginals.png", figure_png(plot_parameter_marginals(population)))]


POPULATION_FIGURES = _PopulationFigures()
