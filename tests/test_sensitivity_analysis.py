"""Sensitivity analysis: Sobol' on Ishigami, Morris on known structure, local elasticities."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from lbp_headache.analysis.sensitivity import (
    LocalDesign,
    ParameterSpace,
    local_analyze,
    local_sample,
    morris_analyze,
    morris_sample,
    sobol_analyze,
    sobol_sample,
)
from numpy.testing import assert_allclose, assert_array_equal

ISHIGAMI_A = 7.0
ISHIGAMI_B = 0.1
ISHIGAMI = ParameterSpace(("x1", "x2", "x3"), np.full(3, -np.pi), np.full(3, np.pi))


def ishigami(X: np.ndarray) -> np.ndarray:
    a, b = ISHIGAMI_A, ISHIGAMI_B
    return np.sin(X[:, 0]) + a * np.sin(X[:, 1]) ** 2 + b * X[:, 2] ** 4 * np.sin(X[:, 0])


def ishigami_indices() -> tuple[np.ndarray, np.ndarray]:
    """Analytic first- and total-order indices of the Ishigami function (x_i ~ U(-pi, pi))."""
    a, b, pi = ISHIGAMI_A, ISHIGAMI_B, math.pi
    variance = a**2 / 8 + b * pi**4 / 5 + b**2 * pi**8 / 18 + 0.5
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    first = np.array([v1, v2, 0.0]) / variance
    total = np.array([v1 + v13, v2, v13]) / variance
    return first, total


@pytest.fixture(scope="module")
def ishigami_sobol():
    design = sobol_sample(ISHIGAMI, 2**12, seed=12345)
    return sobol_analyze(design, ishigami(design.stacked()), seed=2024)


# --- parameter space -------------------------------------------------------------------


def test_analytic_ishigami_indices_match_the_literature():
    first, total = ishigami_indices()
    assert_allclose(first, [0.3139, 0.4424, 0.0], atol=1e-4)
    assert_allclose(total, [0.5576, 0.4424, 0.2437], atol=1e-4)


def test_space_maps_unit_cube_linearly_and_log_uniformly_and_back():
    space = ParameterSpace.from_bounds({"rate": (0.1, 10.0), "gain": (-2.0, 2.0)},
                                       log_scale=["rate"])
    unit = np.array([[0.0, 0.0], [0.5, 0.5], [1.0, 1.0], [0.25, 0.75]])
    values = space.from_unit(unit)
    assert_allclose(values[:, 0], [0.1, 1.0, 10.0, 10 ** -0.5], rtol=1e-12)
    assert_allclose(values[:, 1], [-2.0, 0.0, 2.0, 1.0], rtol=1e-12)
    assert_allclose(space.to_unit(values), unit, atol=1e-12)
    assert space.to_dict()["scale"] == ["log", "linear"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"low": [0.0, 1.0], "high": [1.0, 1.0]}, "b: low must be below high"),
    ({"low": [0.0, 0.0], "high": [1.0, 1.0], "log_scale": [True, False]}, "a: a log scale"),
    ({"low": [0.0, -np.inf], "high": [1.0, 1.0]}, "b: bounds must be finite"),
    ({"low": [0.0], "high": [1.0, 1.0]}, "low must have one value per parameter"),
])
def test_space_rejects_bad_bounds(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ParameterSpace(("a", "b"), **kwargs)


# --- Sobol' ----------------------------------------------------------------------------


def test_sobol_design_layout_and_stacked_order():
    space = ParameterSpace(("a", "b", "c"), np.zeros(3), np.array([1.0, 2.0, 3.0]))
    design = sobol_sample(space, 8, seed=1)
    assert design.A.shape == design.B.shape == (8, 3) and design.AB.shape == (3, 8, 3)
    for i in range(3):
        expected = design.A.copy()
        expected[:, i] = design.B[:, i]
        assert_array_equal(design.AB[i], expected)
    stacked = design.stacked()
    assert stacked.shape == (8 * 5, 3) == (design.n_rows, 3)
    assert_array_equal(stacked[:8], design.A)
    assert_array_equal(stacked[8:16], design.B)
    assert_array_equal(stacked[16 + 8 * 2: 16 + 8 * 3], design.AB[2])
    assert np.all((stacked >= space.low) & (stacked <= space.high))
    f_A, f_B, f_AB = design.split(stacked[:, 0])
    assert_array_equal(f_A, design.A[:, 0]) and assert_array_equal(f_AB[1], design.AB[1][:, 0])


def test_sobol_recovers_the_ishigami_indices(ishigami_sobol):
    first, total = ishigami_indices()
    result = ishigami_sobol
    assert result.names == ("x1", "x2", "x3")
    assert_allclose(result.first_order, first, atol=0.02)
    assert_allclose(result.total_order, total, atol=0.02)
    for estimate, (low, high), exact in ((result.first_order, result.first_order_ci, first),
                                         (result.total_order, result.total_order_ci, total)):
        assert np.all(low <= estimate) and np.all(estimate <= high)
        assert np.all(high - low < 0.1)
        nondegenerate = exact > 0
        assert np.all((low <= exact) & (exact <= high) | ~nondegenerate)


def test_sobol_rows_and_json_are_plain(ishigami_sobol):
    rows = ishigami_sobol.as_rows()
    assert [row["parameter"] for row in rows] == ["x1", "x2", "x3"]
    assert set(rows[0]) == {"parameter", "first_order", "first_order_low", "first_order_high",
                            "total_order", "total_order_low", "total_order_high"}
    data = json.loads(json.dumps(ishigami_sobol.to_dict(), allow_nan=False))
    assert data["method"] == "sobol" and data["n"] == 2**12 and len(data["total_order"]) == 3


def _small_sobol(sample_seed: int, bootstrap_seed: int):
    design = sobol_sample(ISHIGAMI, 256, seed=sample_seed)
    return design, sobol_analyze(design, ishigami(design.stacked()), n_resamples=200,
                                 ci_method="percentile", seed=bootstrap_seed)


def test_sobol_same_seed_same_bits_other_seed_different():
    design, result = _small_sobol(7, 3)
    again_design, again = _small_sobol(7, 3)
    assert_array_equal(design.stacked(), again_design.stacked())
    for name in ("first_order", "total_order"):
        assert_array_equal(getattr(result, name), getattr(again, name))
    assert_array_equal(result.first_order_ci[0], again.first_order_ci[0])
    assert_array_equal(result.total_order_ci[1], again.total_order_ci[1])
    other_design, other = _small_sobol(8, 3)
    assert not np.array_equal(design.stacked(), other_design.stacked())
    assert not np.array_equal(result.total_order, other.total_order)
    _, other_bootstrap = _small_sobol(7, 4)
    assert_array_equal(result.total_order, other_bootstrap.total_order)
    assert not np.array_equal(result.total_order_ci[0], other_bootstrap.total_order_ci[0])


def test_sobol_parameter_without_effect_gets_zero_and_a_point_interval():
    space = ParameterSpace(("used", "unused"), np.zeros(2), np.ones(2))
    design = sobol_sample(space, 64, seed=0)
    X = design.stacked()
    result = sobol_analyze(design, 3.0 * X[:, 0], n_resamples=100)
    assert_allclose(result.total_order, [1.0, 0.0], atol=0.05)
    assert result.first_order[1] == 0.0 and result.total_order[1] == 0.0
    assert result.total_order_ci[0][1] == result.total_order_ci[1][1] == 0.0


def test_sobol_analyze_accepts_n_d_and_skips_bootstrap():
    design = sobol_sample(ISHIGAMI, 64, seed=0)
    y = ishigami(design.stacked())
    from_design = sobol_analyze(design, y, n_resamples=0)
    from_shape = sobol_analyze((64, 3), y, names=["p", "q", "r"], n_resamples=0)
    assert from_shape.names == ("p", "q", "r")
    assert_array_equal(from_design.total_order, from_shape.total_order)
    assert np.all(np.isnan(from_shape.first_order_ci[0]))


def test_sobol_with_a_single_parameter():
    space = ParameterSpace(("only",), np.array([0.0]), np.array([1.0]))
    design = sobol_sample(space, 64, seed=0)
    result = sobol_analyze(design, design.stacked()[:, 0] ** 2, n_resamples=50)
    assert result.first_order.shape == result.total_order.shape == (1,)
    assert_allclose([result.first_order[0], result.total_order[0]], 1.0, atol=0.05)


@pytest.mark.parametrize(("n", "message"), [
    (1000, "power of two.*got 1000: use 512 or 1024"),
    (3, "use 2 or 4"),
    (1, "at least 2"),
    (256.0, "integer"),
])
def test_sobol_sample_needs_a_power_of_two(n, message):
    with pytest.raises(ValueError, match=message):
        sobol_sample(ISHIGAMI, n)


def test_sobol_analyze_rejects_bad_outputs():
    design = sobol_sample(ISHIGAMI, 16, seed=0)
    y = ishigami(design.stacked())
    with pytest.raises(ValueError, match=r"n\*\(d\+2\) = 16\*\(3\+2\) = 80 values; got shape"):
        sobol_analyze(design, y[:-1])
    bad = y.copy()
    bad[[3, 40, 77]] = [np.nan, np.inf, np.nan]
    with pytest.raises(ValueError, match="3 of 80 outputs are not finite.*rows 3, 40, 77"):
        sobol_analyze(design, bad)
    with pytest.raises(ValueError, match="constant.*Sobol' indices are undefined"):
        sobol_analyze(design, np.full(80, 2.5))
    with pytest.raises(ValueError, match="ci_method"):
        sobol_analyze(design, y, ci_method="normal")
    with pytest.raises(ValueError, match="confidence_level"):
        sobol_analyze(design, y, confidence_level=95)


# --- Morris ----------------------------------------------------------------------------


def test_morris_design_is_one_at_a_time_on_the_grid():
    space = ParameterSpace(("a", "b", "c", "d"), np.zeros(4), np.full(4, 10.0))
    design = morris_sample(space, 12, levels=6, seed=3)
    assert design.X.shape == (12 * 5, 4) == (design.n_rows, 4)
    assert design.delta == pytest.approx(6 / 10)
    grid = design.unit * 5  # levels 0, 1/5, ..., 1
    assert_allclose(grid, np.round(grid), atol=1e-12)
    assert np.all((design.unit >= 0) & (design.unit <= 1))
    unit = design.unit.reshape(12, 5, 4)
    for t in range(12):
        assert sorted(design.changed[t]) == [0, 1, 2, 3]
        for k in range(4):
            jump = unit[t, k + 1] - unit[t, k]
            i = design.changed[t, k]
            assert_allclose(jump[i], design.step[t, k], atol=1e-12)
            assert np.count_nonzero(np.abs(jump) > 1e-12) == 1
    assert_allclose(np.abs(design.step), design.delta)
    assert_allclose(design.X, space.from_unit(design.unit))
    same = morris_sample(space, 12, levels=6, seed=3)
    assert_array_equal(same.X, design.X)
    assert not np.array_equal(morris_sample(space, 12, levels=6, seed=4).X, design.X)


def test_morris_on_a_function_of_known_structure():
    space = ParameterSpace.from_bounds({"x1": (1.0, 3.0), "x2": (0.0, 10.0), "x3": (-1.0, 1.0)})
    design = morris_sample(space, 20, seed=5)
    X = design.stacked()
    result = morris_analyze(design, 2.0 * X[:, 0] + 0.0 * X[:, 1] + X[:, 2] ** 2)
    # Linear in x1: every elementary effect is 2 * (3 - 1) = 4, so sigma is 0.
    assert_allclose(result.mu[0], 4.0, rtol=1e-12)
    assert_allclose(result.mu_star[0], 4.0, rtol=1e-12)
    assert result.sigma[0] < 1e-12
    assert result.mu_star[1] == 0.0 and result.sigma[1] == 0.0
    # x3**2 on the grid {-1, -1/3, 1/3, 1} with a step of 2 levels: |EE| = (1 - 1/9) / (2/3).
    assert_allclose(result.mu_star[2], 4.0 / 3.0, rtol=1e-12)
    assert result.sigma[2] > 0.5 and abs(result.mu[2]) < result.mu_star[2]
    low, high = result.mu_star_ci
    assert_allclose([low[0], high[0]], 4.0, rtol=1e-12)


def test_morris_mu_star_is_c_times_the_range_for_a_linear_function():
    c = np.array([1.5, -2.0, 0.25])
    space = ParameterSpace(("a", "b", "c"), np.array([0.0, -1.0, 2.0]),
                           np.array([2.0, 4.0, 10.0]))
    design = morris_sample(space, 8, levels=4, seed=0)
    result = morris_analyze(design, design.stacked() @ c, n_resamples=0)
    span = space.high - space.low
    assert_allclose(result.mu, c * span, rtol=1e-10)
    assert_allclose(result.mu_star, np.abs(c) * span, rtol=1e-10)
    assert_allclose(result.sigma, 0.0, atol=1e-9)
    assert np.all(np.isnan(result.mu_star_ci[0]))


def test_morris_ishigami_x3_acts_only_through_the_interaction():
    design = morris_sample(ISHIGAMI, 50, seed=11)
    result = morris_analyze(design, ishigami(design.stacked()), seed=1)
    assert result.mu_star[2] > 1.0 and result.sigma[2] > 1.0
    assert abs(result.mu[2]) < 0.25 * result.mu_star[2]
    low, high = result.mu_star_ci
    assert np.all((low <= result.mu_star) & (result.mu_star <= high))
    again = morris_analyze(design, ishigami(design.stacked()), seed=1)
    assert_array_equal(again.mu_star_ci[0], low)
    rows = result.as_rows()
    assert rows[2]["parameter"] == "x3" and set(rows[2]) >= {"mu", "mu_star", "sigma"}
    json.dumps(result.to_dict(), allow_nan=False)


def test_morris_rejects_bad_settings_and_outputs():
    with pytest.raises(ValueError, match="levels must be even.*use 4 or 6"):
        morris_sample(ISHIGAMI, 10, levels=5)
    with pytest.raises(ValueError, match="trajectories must be at least 2"):
        morris_sample(ISHIGAMI, 1)
    design = morris_sample(ISHIGAMI, 4)
    with pytest.raises(ValueError, match=r"trajectories\*\(d\+1\) = 4\*\(3\+1\) = 16 values"):
        morris_analyze(design, np.zeros(15))
    with pytest.raises(ValueError, match="1 of 16 outputs are not finite"):
        morris_analyze(design, np.r_[np.zeros(15), np.nan])


# --- local -----------------------------------------------------------------------------


POWER_SPACE = ParameterSpace(("p1", "p2"), np.array([0.5, 0.5]), np.array([5.0, 5.0]))


def power_law(X: np.ndarray) -> np.ndarray:
    return X[:, 0] ** 2 * X[:, 1] ** -1


def test_local_elasticities_of_a_power_law():
    design = local_sample(POWER_SPACE, [2.0, 3.0], rel_step=1e-4)
    assert design.scheme == ("central", "central")
    X = design.stacked()
    assert X.shape == (5, 2)
    assert_array_equal(X[0], [2.0, 3.0])
    assert_allclose(X[1:, 0], [2.0002, 1.9998, 2.0, 2.0], rtol=1e-14)
    result = local_analyze(design, power_law(X))
    assert_allclose(result.normalized, [2.0, -1.0], atol=1e-6)
    assert_allclose(result.derivative, [2 * 2.0 / 3.0, -4.0 / 9.0], rtol=1e-6)
    assert result.y0 == pytest.approx(4.0 / 3.0)
    default = local_analyze(local_sample(POWER_SPACE, [2.0, 3.0]),
                            power_law(local_sample(POWER_SPACE, [2.0, 3.0]).stacked()))
    assert_allclose(default.normalized, [2.0, -1.0], atol=1e-5)


def test_local_design_stays_within_bounds_with_one_sided_differences():
    design = local_sample(POWER_SPACE, [5.0, 0.5], rel_step=1e-4)
    assert design.scheme == ("backward", "forward")
    X = design.stacked()
    assert np.all((X >= POWER_SPACE.low) & (X <= POWER_SPACE.high))
    assert_array_equal(X[0], [5.0, 0.5])
    result = local_analyze(design, power_law(X))
    assert_allclose(result.normalized, [2.0, -1.0], atol=1e-6)
    assert any("one-sided" in note for note in result.notes)
    narrow = ParameterSpace(("p1", "p2"), np.array([1.99, 0.5]), np.array([2.0, 5.0]))
    tight = local_sample(narrow, [1.995, 3.0], rel_step=0.1)  # range narrower than the step
    assert np.all((tight.X >= narrow.low) & (tight.X <= narrow.high))
    assert tight.scheme[0] in ("forward", "backward") and tight.step[0] == pytest.approx(0.0025)
    # Three-point formulas are exact for the quadratic p1; 1/p2 has the central error h**2.
    assert_allclose(local_analyze(tight, power_law(tight.X)).normalized,
                    [2.0, -1.0 / (1.0 - 0.1**2)], rtol=1e-9)


def test_local_zero_parameter_and_zero_output():
    design = local_sample(["offset", "slope"], [0.0, 2.0])
    assert isinstance(design, LocalDesign)
    assert_allclose(design.step, [1e-3, 2e-3])
    X = design.stacked()
    result = local_analyze(design, 3.0 + 5.0 * X[:, 0] + X[:, 1])
    assert_allclose(result.derivative, [5.0, 1.0], rtol=1e-9)
    assert_allclose(result.normalized, [0.0, 2.0 / 5.0], atol=1e-12)
    ranged = local_sample(ParameterSpace(("a",), np.array([-1.0]), np.array([3.0])), [0.0])
    assert_allclose(ranged.step, [4e-3])
    zero = local_analyze(design, X[:, 1] - 2.0)  # y(x0) = 0
    assert np.all(np.isnan(zero.normalized))
    assert_allclose(zero.derivative, [0.0, 1.0], atol=1e-9)
    assert any("undefined" in note for note in zero.notes)
    data = json.loads(json.dumps(zero.to_dict(), allow_nan=False))
    assert data["normalized_sensitivity"] == [None, None]
    assert zero.as_rows()[1]["normalized_sensitivity"] is None


def test_local_rejects_bad_inputs():
    with pytest.raises(ValueError, match=r"p1 = 6 not in \[0.5, 5\]"):
        local_sample(POWER_SPACE, [6.0, 1.0])
    with pytest.raises(ValueError, match="x0 must have one value per parameter"):
        local_sample(POWER_SPACE, [1.0])
    with pytest.raises(ValueError, match="rel_step"):
        local_sample(POWER_SPACE, [1.0, 1.0], rel_step=0.0)
    design = local_sample(POWER_SPACE, [1.0, 1.0])
    with pytest.raises(ValueError, match=r"2\*d\+1 = 2\*2\+1 = 5 values"):
        local_analyze(design, np.ones(4))
    with pytest.raises(ValueError, match="2 of 5 outputs are not finite"):
        local_analyze(design, [1.0, np.nan, 1.0, np.inf, 1.0])


# --- plots -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plt():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    return pyplot


def _tick_labels(ax) -> list[str]:
    return [tick.get_text() for tick in ax.get_yticklabels()]


def test_plot_sobol_indices_orders_bars_by_total_order(plt, ishigami_sobol):
    from lbp_headache.report.sensitivity_figures import plot_sobol_indices

    space = ParameterSpace(("first_param", "second_param", "third_param"), ISHIGAMI.low,
                           ISHIGAMI.high)
    design = sobol_sample(space, 64, seed=0)
    result = sobol_analyze(design, ishigami(design.stacked()), n_resamples=50,
                           ci_method="percentile")
    ax = plot_sobol_indices(result)
    order = np.argsort(-result.total_order)
    assert _tick_labels(ax) == [result.names[i].replace("_", " ") for i in order]
    assert len(ax.patches) == 6
    widths = [patch.get_width() for patch in ax.patches]
    assert_allclose(widths[:3], result.first_order[order])
    assert_allclose(widths[3:], result.total_order[order])
    assert "Sobol" in ax.get_xlabel() and ax.get_title()
    plt.close(ax.figure)
    top = plot_sobol_indices(ishigami_sobol, top=2, title="two")
    assert len(top.patches) == 4 and top.get_title() == "two"
    assert _tick_labels(top) == ["x1", "x2"]
    plt.close(top.figure)


def test_plot_tornado_sorts_by_absolute_value_and_colours_by_sign(plt):
    from lbp_headache.report.sensitivity_figures import NEGATIVE_COLOR, POSITIVE_COLOR, plot_tornado
    from matplotlib.colors import to_hex

    space = ParameterSpace(("p_one", "p_two", "p_three"), np.full(3, 0.1), np.full(3, 10.0))
    design = local_sample(space, [2.0, 3.0, 1.0])
    X = design.stacked()
    result = local_analyze(design, X[:, 0] ** 0.5 * X[:, 1] ** -3 * X[:, 2] ** 1.5)
    ax = plot_tornado(result)
    assert _tick_labels(ax) == ["p two", "p three", "p one"]
    assert_allclose([p.get_width() for p in ax.patches], [-3.0, 1.5, 0.5], atol=1e-5)
    assert [to_hex(p.get_facecolor()) for p in ax.patches] == [
        NEGATIVE_COLOR.lower(), POSITIVE_COLOR.lower(), POSITIVE_COLOR.lower()]
    assert ax.get_xlabel() == ("normalized sensitivity (% change in output per % change in "
                               "parameter)")
    plt.close(ax.figure)
    design = morris_sample(ISHIGAMI, 10)
    morris = morris_analyze(design, ishigami(design.stacked()), n_resamples=0)
    ax = plot_tornado(morris)
    assert len(ax.patches) == 3 and "elementary effect" in ax.get_xlabel()
    plt.close(ax.figure)
    with pytest.raises(TypeError, match="LocalResult or MorrisResult"):
        plot_tornado(object())


def test_plot_morris_places_one_labelled_point_per_parameter(plt):
    from lbp_headache.report.sensitivity_figures import plot_morris

    design = morris_sample(ISHIGAMI, 10, seed=2)
    result = morris_analyze(design, ishigami(design.stacked()), n_resamples=100)
    ax = plot_morris(result)
    assert_allclose(ax.collections[0].get_offsets(), np.column_stack([result.mu_star,
                                                                      result.sigma]))
    assert [text.get_text() for text in ax.texts] == ["x1", "x2", "x3"]
    assert "μ*" in ax.get_xlabel() and "σ" in ax.get_ylabel()
    plt.close(ax.figure)
