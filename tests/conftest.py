"""Generic fixtures shared by the test suite."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import localize_scenarios


@pytest.fixture
def write_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], str]:
    """Write dedented text to a file under ``tmp_path`` and return its *relative* name.

    The working directory is changed to ``tmp_path``, so the returned name is
    exactly the path "as given" that error messages must quote.
    """
    monkeypatch.chdir(tmp_path)

    def write(name: str, text: str) -> str:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = localize_scenarios(textwrap.dedent(text).lstrip("\n"), path.parent)
        path.write_text(text, encoding="utf-8")
        return name

    return write
