"""docs/tutorial.ipynb runs from top to bottom, as a student runs it, and says what it claims.

Every code cell is executed in order in one namespace, in an empty folder, with
matplotlib's non-interactive backend (no Jupyter needed). The notebook is kept
without outputs, so what a student sees is always made by the installed version.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "tutorial.ipynb"


def code_cells() -> list[str]:
    document = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert document["nbformat"] == 4
    cells = [cell for cell in document["cells"] if cell["cell_type"] == "code"]
    assert all(cell["outputs"] == [] and cell["execution_count"] is None for cell in cells), \
        "the notebook is stored without outputs"
    return ["".join(cell["source"]) for cell in cells]


def test_the_tutorial_runs_and_shows_what_it_says(tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict = {"__name__": "__tutorial__"}
    for number, source in enumerate(code_cells(), start=1):
        exec(compile(source, f"{NOTEBOOK.name} code cell {number}", "exec"), namespace)
    printed = capsys.readouterr().out
    # Step 2's typo gets the one-line message with its suggestion.
    assert "typo.yaml:2: lumbar_pian: unknown key 'lumbar_pian'; did you mean 'lumbar_pain'?" \
        in printed
    # Step 3: a stiffer chain gives more headache (science.md behaviour 3).
    assert (namespace["stiff_metrics"]["headache_days_per_month"]
            > namespace["metrics"]["headache_days_per_month"])
    # Step 4: both treatments beat no treatment, each mostly through its own pathway.
    days = namespace["comparison"]
    total = {name: sum(parts.values()) for name, parts in days.items()}
    assert total["physical therapy"] < total["no treatment"]
    assert total["duloxetine"] < total["no treatment"]
    assert days["physical therapy"]["mechanical"] < days["no treatment"]["mechanical"]
    assert days["duloxetine"]["neurological"] < days["no treatment"]["neurological"]
