"""The figure of ``lbp-headache calibrate``: each calibrated parameter's posterior and prior.

One panel per parameter: the prior's density (the table's population
distribution, truncated to the range) as a line, the last generation's
weighted particles as a histogram, the posterior median as a vertical line and
the table value as a dotted one.
"""

from __future__ import annotations

import math

import numpy as np
from lbp_headache.calibration.abc_model import prior
from lbp_headache.calibration.abc_run import Calibration, weighted_quantile
from lbp_headache.core.parameters import BY_NAME
from lbp_headache.core.units import pretty
from lbp_headache.report.figure_style import CYCLE, figure_style

COLUMNS = 3


def posterior_figure(calibration: Calibration):
    """A matplotlib Figure: posterior (histogram) against prior (line), one panel each."""
    import matplotlib  # lazy: matplotlib is heavy
    from matplotlib.figure import Figure  # lazy: matplotlib is heavy

    names = calibration.parameters
    columns = min(COLUMNS, len(names))
    rows = math.ceil(len(names) / columns)
    with matplotlib.rc_context(figure_style()):
        fig = Figure(figsize=(4.2 * columns, 3.2 * rows), layout="constrained")
        axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False).ravel())
        for ax, name in zip(axes, names):
            record = BY_NAME[name]
            grid = np.linspace(record.low, record.high, 200)
            ax.plot(grid, prior(name).pdf(grid), color=CYCLE[0], label="prior")
            ax.hist(calibration.samples[name], bins=15, range=(record.low, record.high),
                    weights=calibration.weights, density=True, color=CYCLE[1], alpha=0.6,
                    label="posterior")
            ax.axvline(weighted_quantile(calibration.samples[name], calibration.weights, 0.5),
                       color=CYCLE[2], label="posterior median")
            ax.axvline(record.value, color=CYCLE[0], linestyle=":", label="table value")
            ax.set_xlabel(f"{name} ({pretty(record.unit)})" if record.unit != "dimensionless"
                          else name)
            ax.set_yticks([])
        for ax in axes[len(names):]:
            ax.set_visible(False)
        axes[0].legend(frameon=False, fontsize="small")
    return fig
