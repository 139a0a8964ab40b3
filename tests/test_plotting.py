"""Figures: each plot function returns labelled axes with units; stacked areas add up."""

from __future__ import annotations

import numpy as np
import pytest
from lbp_headache import Scenario, simulate
from lbp_headache.core.states import HEADACHE_COMPONENTS
from lbp_headache.report.comparison_figure import plot_comparison
from lbp_headache.report.figure_style import save_figure
from lbp_headache.report.pathway_diagram import plot_pathway_diagram
from lbp_headache.report.run_figures import COLORS, plot_headache_by_pathway, plot_states
from lbp_headache.scenario.profiles import constant
from lbp_headache.scenario.treatments import Treatment
from numpy.testing import assert_allclose

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def treated():
    scenario = Scenario(
        name="treated_back_pain", duration=60.0, lumbar_pain=constant(5.0),
        disc_degeneration=constant(0.3), ergonomic_load=constant(0.4),
        treatments=(Treatment("physical_therapy", 20.0, 45.0), Treatment("nsaid", 30.0, 40.0)),
    )
    return simulate(scenario)


@pytest.fixture(scope="module")
def untreated():
    return simulate(Scenario(name="untreated", duration=60.0, lumbar_pain=constant(5.0)))


def test_headache_by_pathway_labels_and_twin_axis(treated):
    ax = plot_headache_by_pathway(treated)
    assert "(days)" in ax.get_xlabel()
    assert "headache load (0–10)" == ax.get_ylabel()
    assert "treated_back_pain" in ax.get_title()
    twin = ax.figure.axes[-1]
    assert twin is not ax and "lumbar pain (0–10)" == twin.get_ylabel()
    assert_allclose(twin.lines[0].get_ydata(), treated.columns["lumbar_pain"])
    labels = [t.get_text() for t in ax.texts]
    assert "physical therapy" in labels and "nsaid" in labels


def test_stacked_areas_sum_to_headache(treated):
    ax = plot_headache_by_pathway(treated)
    areas = ax.collections[: len(HEADACHE_COMPONENTS)]
    # The top edge of the last (uppermost) stacked polygon is the total headache load.
    vertices = areas[-1].get_paths()[0].vertices
    top = {}
    for x, y in vertices:
        top[x] = max(y, top.get(x, -np.inf))
    assert_allclose(sorted(top), treated.time, rtol=0, atol=1e-12)
    assert_allclose([top[x] for x in sorted(top)], treated.columns["headache"],
                    rtol=1e-12, atol=1e-12)
    # Each band's thickness is its component.
    for area, name in zip(areas, HEADACHE_COMPONENTS):
        low, high = {}, {}
        for x, y in area.get_paths()[0].vertices:
            low[x] = min(y, low.get(x, np.inf))
            high[x] = max(y, high.get(x, -np.inf))
        thickness = [high[x] - low[x] for x in sorted(high)]
        assert_allclose(thickness, treated.columns[name], rtol=0, atol=1e-12)
    colours = [tuple(np.round(a.get_facecolor()[0][:3], 3)) for a in areas]
    from matplotlib.colors import to_rgb

    expected = [tuple(np.round(to_rgb(COLORS[n]), 3)) for n in HEADACHE_COMPONENTS]
    assert colours == expected


def test_plot_states_has_units_on_every_panel(treated):
    fig = plot_states(treated)
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert len(labels) == 10
    for expected in ("posture deviation (deg)", "IL-6 (pg/mL)", "headache load (0–10)",
                     "lumbar pain (0–10)"):
        assert expected in labels
    assert all("(" in label for label in labels)
    assert "treated_back_pain" in fig.get_suptitle()
    assert fig.axes[-1].get_xlabel() == "time (days)"


def test_long_runs_use_months():
    result = simulate(Scenario(name="long", duration=400.0, lumbar_pain=constant(3.0)))
    ax = plot_headache_by_pathway(result)
    assert ax.get_xlabel() == "time (months)"


def test_plot_comparison_legend_and_markers(treated, untreated):
    ax = plot_comparison([treated, untreated])
    assert ax.get_ylabel() == "headache load (0–10)"
    assert ax.get_xlabel() == "time (days)"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:2] == ["treated_back_pain", "untreated"]
    assert "treatment starts" in legend
    markers = [line for line in ax.lines if line.get_marker() == "v"]
    assert len(markers) == 1
    assert markers[0].get_xdata()[0] == pytest.approx(20.0)
    with pytest.raises(ValueError, match="at least one result"):
        plot_comparison([])


def test_pathway_diagram_names_every_pathway_and_treatment():
    ax = plot_pathway_diagram()
    text = " ".join(t.get_text() for t in ax.texts).replace("\n", " ")
    for word in ("lumbar pain", "posture", "neck", "tension-type", "cervicogenic",
                 "central sensitization", "IL-6 / TNF-α", "neuro- inflammation", "migraine-like",
                 "physical therapy", "ergonomics", "NSAIDs", "neuropathic medication"):
        assert word in text


def test_given_axes_are_used(treated):
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.subplots()
    assert plot_headache_by_pathway(treated, ax=ax) is ax
    assert plot_comparison([treated], ax=ax) is ax


def test_save_figure_writes_png(tmp_path, untreated):
    path = save_figure(plot_headache_by_pathway(untreated), tmp_path / "fig.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig.png"]
