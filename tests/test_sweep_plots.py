"""Sweep figures: the chronification boundary is drawn where the final sensitization crosses 0.5."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from lbp_headache.report.sweep_figures import axis_label, plot_sweep_curve, plot_sweep_map  # noqa: E402


def test_map_draws_the_boundary_contour_at_one_half():
    x = np.linspace(0.3, 1.0, 8)
    y = np.linspace(0.0, 1.5, 6)
    boundary = (y[None, :] / 1.5 > x[:, None] - 0.3).astype(float)  # a diagonal border
    ax = plot_sweep_map(x, y, 10 * boundary, x_name="sensitization_half_drive",
                        y_name="sensitization_feedback", metric="headache_days_per_month",
                        boundary=boundary)
    contours = [c for c in ax.collections if hasattr(c, "levels")]
    assert contours and list(contours[0].levels) == [0.5]
    assert ax.get_xlabel() == "sensitization half drive"
    plt.close(ax.figure)


def test_map_without_a_crossing_draws_no_boundary():
    x, y = np.linspace(0, 1, 4), np.linspace(0, 1, 3)
    ax = plot_sweep_map(x, y, np.ones((4, 3)), x_name="sensitization_half_drive",
                        y_name="sensitization_feedback", metric="mean_headache",
                        boundary=np.zeros((4, 3)))
    assert not [c for c in ax.collections if hasattr(c, "levels")]
    plt.close(ax.figure)


def test_curve_has_a_line_per_scenario_and_units_in_labels():
    x = np.linspace(1, 14, 5)
    ax = plot_sweep_curve(x, {"a": x, "b": 2 * x}, parameter="tau_posture",
                          metric="mean_headache")
    lines = [line for line in ax.get_lines() if line.get_label() in ("a", "b")]
    assert len(lines) == 2
    assert np.array_equal(lines[1].get_ydata(), 2 * x)
    assert ax.get_xlabel() == axis_label("tau_posture") and "d" in ax.get_xlabel()
    plt.close(ax.figure)
