"""The README's Python example runs as written (outputs redirected to a temporary folder)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_python_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks, "the README has a Python example"
    code = blocks[0].replace('"results/sweeps/stiffness"', repr(str(tmp_path / "stiffness")))
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["batch"].states.shape == (1000, 366, 14)
    assert (tmp_path / "stiffness" / "results.csv").exists()
