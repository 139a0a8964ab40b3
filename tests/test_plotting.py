"""Figures: each plot function returns labelled axes with units; stacked areas add up."""

from __future__ import annotations

import numpy as np
import pytest
from lbp_headache import Scenario, simulate, summarize
from lbp_headache.analysis.attribution import days_by_pathway
from lbp_headache.core.states import HEADACHE_COMPONENTS, PATHWAYS
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
    assert "physical therapy: days 20–45" in labels and "nsaid: days 30–40" in labels


def test_every_headache_axis_is_zero_to_ten(treated, untreated):
    """One fixed axis, so that two slides compare: a low load is not blown up."""
    quiet = simulate(Scenario(name="quiet", duration=60.0, lumbar_pain=constant(0.5)))
    assert float(np.max(quiet.columns["headache"])) < 1.0
    for result in (treated, untreated, quiet):
        assert plot_headache_by_pathway(result).get_ylim() == (0.0, 10.0)
    assert plot_comparison([quiet, treated]).get_ylim() == (0.0, 10.0)
    headache_panel = [ax for ax in plot_states(quiet).axes if ax.get_title() == "headache"]
    assert headache_panel[0].get_ylim() == (0.0, 10.0)


def test_treatment_windows_mark_their_start_and_end(treated):
    ax = plot_headache_by_pathway(treated)
    verticals = sorted((line.get_xdata()[0], line.get_linestyle()) for line in ax.lines
                       if len(set(line.get_xdata())) == 1)
    assert verticals == [(20.0, "-"), (30.0, "-"), (40.0, "--"), (45.0, "--")]
    brackets = [a for a in ax.texts if a.get_text() == "" and a.arrow_patch is not None]
    spans = sorted((a.xyann[0], a.xy[0]) for a in brackets)
    assert spans == [(20.0, 45.0), (30.0, 40.0)]
    shading = [p for p in ax.patches if p.get_alpha() and p.get_alpha() >= 0.15]
    assert shading, "treatment windows shaded strongly enough for a projector"


def test_hundreds_of_courses_are_drawn_in_bounded_work():
    """A scenario may list hundreds of courses (the fuzzer's had 3,000 and drew for 50 s):
    at most MARKED_ONE_BY_ONE windows get lines of their own, the rest one collection per
    line style, and at most MAX_BRACKETS labelled brackets are stacked, then one line
    says how many more there are. Every start still gets its line."""
    from lbp_headache.report.treatment_marks import MARKED_ONE_BY_ONE, MAX_BRACKETS

    courses = tuple(Treatment("nsaid", float(day), float(day) + 1.0, dose=1200.0)
                    for day in range(10, 310, 2))
    result = simulate(Scenario(name="many", duration=400.0, lumbar_pain=constant(4.0),
                               treatments=courses))
    ax = plot_headache_by_pathway(result)
    own_lines = [line for line in ax.lines if len(set(line.get_xdata())) == 1]
    assert len(own_lines) == 2 * MARKED_ONE_BY_ONE
    collected = sum(len(c.get_segments()) for c in ax.collections
                    if type(c).__name__ == "LineCollection")
    assert len(own_lines) + collected == 2 * len(courses)
    labels = [t.get_text() for t in ax.texts if t.get_text()]
    assert len(labels) == MAX_BRACKETS + 1
    assert labels[-1].startswith(f"+ {len(courses) - MAX_BRACKETS:,} more treatment windows")


def test_a_course_to_the_end_says_so():
    result = simulate(Scenario(name="on", duration=60.0, lumbar_pain=constant(4.0),
                               treatments=(Treatment("ergonomics", 10.0),)))
    labels = [t.get_text() for t in plot_headache_by_pathway(result).texts]
    assert "ergonomics: from day 10 on" in labels


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


def test_plot_states_is_a_landscape_slide_with_units_on_every_panel(treated):
    fig = plot_states(treated)
    width, height = fig.get_size_inches()
    assert width / height == pytest.approx(16 / 9, rel=1e-3)
    assert len(fig.axes) == 10
    rows = sorted({round(ax.get_position().y0, 3) for ax in fig.axes})
    assert len(rows) == 2
    units = [ax.get_ylabel() for ax in fig.axes]
    for expected in ("deviation (degrees)", "pg/mL", "load (0–10)", "0–10, after treatment"):
        assert expected in units
    assert all(units)
    assert "treated_back_pain" in fig.get_suptitle()
    assert fig.axes[-1].get_xlabel() == "time (days)"


def test_text_is_legible_from_the_back_of_a_room(treated, untreated):
    """Axis labels and ticks of the teaching figures are at least 15 pt on a 13.3-inch-wide
    slide, and every other text (legends of the small state panels) at least 11 pt."""
    figures = [plot_headache_by_pathway(treated).figure, plot_states(treated),
               plot_comparison([treated, untreated]).figure, plot_pathway_diagram().figure]
    for fig in figures:
        assert fig.get_size_inches()[0] == pytest.approx(40 / 3)
        sizes = [t.get_fontsize() for t in fig.findobj(lambda a: hasattr(a, "get_fontsize"))
                 if getattr(t, "get_text", lambda: "")()]
        assert min(sizes) >= 11, fig
        labels = [t.get_fontsize() for ax in fig.axes for t in
                  (ax.xaxis.label, ax.yaxis.label, *ax.get_xticklabels())]
        assert min(labels) >= 15


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
    assert "treatment starts" in legend and "treatment stops" in legend
    starts = [line for line in ax.lines if line.get_marker() == "v"]
    assert len(starts) == 1
    assert starts[0].get_xdata()[0] == pytest.approx(20.0)
    stops = [line for line in ax.lines if line.get_marker() == "s"]
    assert len(stops) == 1 and stops[0].get_xdata()[0] == pytest.approx(45.0)
    with pytest.raises(ValueError, match="at least one result"):
        plot_comparison([])


def test_comparison_shows_headache_days_by_pathway_beside_the_curves(treated, untreated):
    ax = plot_comparison([treated, untreated])
    days_ax = [other for other in ax.figure.axes if other is not ax][0]
    assert days_ax.get_position().x0 > ax.get_position().x1
    assert [t.get_text() for t in days_ax.get_yticklabels()] == ["treated_back_pain",
                                                                 "untreated"]
    for result, y in ((treated, 1), (untreated, 0)):
        parts = days_by_pathway(result)
        bars = [b for b in days_ax.patches if b.get_y() + b.get_height() / 2 == y]
        assert_allclose([b.get_width() for b in bars], [parts[p] for p in PATHWAYS],
                        rtol=1e-12)
        total = summarize(result)["metrics"]["headache_days_per_month"]
        assert f"{total:.1f}" in [t.get_text() for t in days_ax.texts]
    assert [t.get_text() for t in days_ax.get_legend().get_texts()] == list(PATHWAYS)


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
