"""The package a researcher can pip install: sdist -> wheel -> a fresh virtual environment.

``test_wheel_in_a_fresh_environment`` (slow) builds the sdist and, from it, the
wheel (so the sdist is checked to be complete), installs the wheel into a new
virtual environment, and from an empty folder runs a bundled scenario by name
and the demo. The fast tests check what the installed package must hold.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import lbp_headache
import pytest
from lbp_headache.core.calendar import CALENDAR_MONTH_DAYS, METRIC_MONTH_DAYS
from lbp_headache.core.units import to_canonical
from lbp_headache.files.bundled import BUNDLED_FOLDER, bundled_names, resolve_argument

ROOT = Path(__file__).resolve().parent.parent


def test_the_calendar_month_is_pints_month():
    assert to_canonical("1 month", "day") == pytest.approx(CALENDAR_MONTH_DAYS, rel=1e-15)
    assert to_canonical("12 months", "day") == pytest.approx(365.25, rel=1e-15)
    assert METRIC_MONTH_DAYS == 28.0


def test_bundled_inputs_are_found_by_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert "healthy" in bundled_names() and "chronification_map" in bundled_names("sweep")
    path, problem = resolve_argument("healthy")
    assert problem is None and path.resolve() == (BUNDLED_FOLDER / "healthy.yaml").resolve()
    path, problem = resolve_argument("chronification_map", "sweep")
    assert problem is None and path.name == "chronification_map.yaml"
    _, problem = resolve_argument("helthy")
    assert "no bundled scenario of that name; did you mean 'healthy'?" in str(problem)
    (tmp_path / "healthy").mkdir()
    _, problem = resolve_argument("healthy")
    assert "ambiguous: './healthy' in this folder and the bundled scenario" in str(problem)
    path, problem = resolve_argument("./healthy")
    assert problem is None and path == Path("./healthy")


def test_a_model_py_in_the_working_folder_does_not_hijack_the_package(tmp_path):
    (tmp_path / "model.py").write_text("raise SystemExit('hijacked')\n")
    done = subprocess.run([sys.executable, "-m", "lbp_headache", "--version"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert lbp_headache.__version__ in done.stdout


def _run(command: list[str], cwd: Path, env: dict | None = None,
         timeout: float = 900) -> subprocess.CompletedProcess:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=env)
    assert done.returncode == 0, f"{' '.join(map(str, command))}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.mark.slow
def test_wheel_in_a_fresh_environment(tmp_path):
    pytest.importorskip("build")
    dist = tmp_path / "dist"
    built = _run([sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)], ROOT)
    # setuptools' own warnings (a deprecated license table, a package left out, ...).
    warnings = [line for line in (built.stdout + built.stderr).splitlines()
                if any(word in line for word in ("DeprecationWarning", "BuildBackendWarning",
                                                 "SetuptoolsWarning", "deprecated"))]
    assert warnings == [], "\n".join(warnings)
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    names = zipfile.ZipFile(wheel).namelist()
    for expected in ("lbp_headache/__init__.py", "lbp_headache/py.typed",
                     "lbp_headache/bundled/healthy.yaml",
                     "lbp_headache/bundled/sweeps/chronification_map.yaml",
                     "lbp_headache/bundled/data/example_diary.csv",
                     "lbp_headache/bundled/calibration/targets.yaml",
                     "lbp_headache/explorer/static/index.html",
                     "lbp_headache/explorer/static/explorer.js",
                     "lbp_headache/explorer/static/vendor/uPlot.iife.min.js",
                     "lbp_headache/explorer/static/vendor/uPlot.LICENSE"):
        assert expected in names, expected
    assert not any(name.startswith("model/") for name in names)
    assert any(name.endswith("licenses/LICENSE") for name in names)

    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["LBP_HEADACHE_CACHE"] = str(tmp_path / "cache")
    where = _run([str(python), "-c", "import lbp_headache; print(lbp_headache.__file__)"],
                 empty, env).stdout.strip()
    assert where.startswith(str(environment)), where
    cli = str(environment / "bin" / "lbp-headache")
    _run([cli, "run", "healthy", "--out", "out"], empty, env)
    assert (empty / "out" / "healthy" / "summary.json").is_file()
    assert (empty / "out" / "healthy" / "headache_by_pathway.png").is_file()
    _run([cli, "demo", "--out", "demo", "--figures", "figures"], empty, env)
    assert (empty / "figures" / "treatment_comparison.png").is_file()
    assert (empty / "demo" / "comparison" / "comparison.csv").is_file()
    assert (empty / "demo" / "handout.html").is_file()
    _run([cli, "report", "healthy", "-o", "handout.html"], empty, env)
    assert "red-flags" in (empty / "handout.html").read_text()
    # The explorer's page and its files come from the installed package.
    probe = ("from lbp_headache.explorer.server import Clinic, static_files, meta; "
             "files = static_files(); assert '/static/index.html' in files, files; "
             "assert '/static/vendor/uPlot.iife.min.js' in files; "
             "assert len(meta(Clinic())['presets']) > 10")
    _run([str(python), "-c", probe], empty, env)
    assert sdist.name.startswith("lbp_headache-")
