"""The demo: every bundled scenario run, the treatments compared, every figure collected.

It also writes the handout of the treatment comparison (``handout.html`` in the
results folder: :mod:`lbp_headache.report.handout`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lbp_headache.files.output_folder import OutputFolder
from lbp_headache.report.comparison import COMPARISON_FILES, compare_results
from lbp_headache.report.figure_style import figure_png
from lbp_headache.report.handout import render_handout
from lbp_headache.report.pathway_diagram import plot_pathway_diagram
from lbp_headache.report.run_folder import RunOutcome, run_files, run_scenarios
from lbp_headache.scenario.record import Scenario

# The bundled scenarios of the treatment comparison, in the order of the legend.
TREATMENT_SET: tuple[str, ...] = (
    "untreated_control", "physical_therapy", "physical_therapy_stopped_early",
    "ergonomics", "nsaid", "duloxetine", "multimodal_care",
)
RUN_FIGURE_NAMES = ("headache_by_pathway", "states")
HANDOUT = "handout.html"


def demo_figure_names(stems: Sequence[str], comparison: bool) -> list[str]:
    """Files ``demo`` writes into the figures folder."""
    names = [f"{stem}_{name}.png" for stem in stems for name in RUN_FIGURE_NAMES]
    return names + (["treatment_comparison.png"] if comparison else []) + ["pathway_diagram.png"]


@dataclass
class DemoOutcome:
    """What :func:`run_demo` did: each run, the ranked comparison, and any failure."""

    runs: list[RunOutcome] = field(default_factory=list)
    comparison: list[dict] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    replaced: int = 0  # files of an earlier run of the tool that this one replaces
    handout: Path | None = None


def run_demo(scenarios: Sequence[tuple[Path, Scenario]], out: str | Path,
             figures: str | Path, *,
             on_run: Callable[[RunOutcome], None] | None = None,
             on_replace: Callable[[int], None] | None = None) -> DemoOutcome:
    """Run ``scenarios`` into ``out``, compare the treatment set, copy every figure to ``figures``.

    Nothing is written when a file to be replaced was not written by the tool
    (``conflicts`` lists them). ``on_run`` is called as each scenario finishes;
    ``on_replace`` first, with the number of files of an earlier run that will be
    replaced, when there are any.
    """
    out, figures = Path(out), Path(figures)
    outcome = DemoOutcome()
    stems = [path.stem for path, _ in scenarios]
    compared = [stem for stem in TREATMENT_SET if stem in stems]
    with contextlib.ExitStack() as stack:
        results_folder = stack.enter_context(OutputFolder(out))
        same = figures.resolve() == out.resolve()
        figure_folder = results_folder if same else stack.enter_context(OutputFolder(figures))
        conflicts = results_folder.conflicts(
            [rel for stem in stems for rel in run_files(stem, figures=True)])
        conflicts += results_folder.conflicts(f"comparison/{name}" for name in COMPARISON_FILES)
        conflicts += results_folder.conflicts([HANDOUT] if compared else [])
        conflicts += figure_folder.conflicts(demo_figure_names(stems, bool(compared)))
        if conflicts:
            outcome.conflicts = conflicts
            return outcome
        outcome.replaced = sum(1 for folder in {id(results_folder): results_folder,
                                                id(figure_folder): figure_folder}.values()
                               for rel in folder.listed() if (folder.path / rel).exists())
        if on_replace is not None and outcome.replaced:
            on_replace(outcome.replaced)
        for run in run_scenarios(scenarios, {}, results_folder, figures=True):
            outcome.runs.append(run)
            if on_run is not None:
                on_run(run)
        done = {run.path.stem: run for run in outcome.runs if run.error is None}
        treatment = [done[stem] for stem in compared if stem in done]
        try:
            for stem in done:
                for name in RUN_FIGURE_NAMES:
                    data = (out / stem / f"{name}.png").read_bytes()
                    figure_folder.write_bytes(f"{stem}_{name}.png", data)
            if treatment:
                outcome.comparison = compare_results(
                    [run.result for run in treatment], results_folder, "comparison/",
                    [run.observed for run in treatment])
                figure_folder.write_bytes("treatment_comparison.png",
                                          (out / "comparison" / "comparison.png").read_bytes())
                results_folder.write_text(HANDOUT, render_handout(
                    [run.result for run in treatment], [run.observed for run in treatment]))
                outcome.handout = out / HANDOUT
            figure_folder.write_bytes("pathway_diagram.png", figure_png(plot_pathway_diagram()))
        except OSError as error:
            outcome.errors.append(f"{figures}: cannot write: {error}")
    return outcome
