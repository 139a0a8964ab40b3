"""The house rules (CONTRIBUTING.md), checked: layers, no import circles, lazy imports, packaging.

1. Imports run only down the layers, analyses never draw, and the command line
   only parses, calls and prints: the import-linter contracts in pyproject.toml.
2. No import circles between modules (grimp's import graph, strongly connected
   components).
3. No import inside a function except a lazy import of a heavy or optional
   dependency, each marked with a ``# lazy`` comment on its line.
4. Every subpackage of ``model/`` and every folder of bundled inputs is listed
   in pyproject.toml's ``packages`` (a missing one would be left out of the wheel).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "model"
PACKAGE = "lbp_headache"
# Dependencies that may be imported inside a function (heavy, or optional extras).
LAZY_ALLOWED = {"matplotlib", "numba", "dask", "distributed", "libsbml", "pyarrow",
                "lbp_headache.engine.batch_kernel",  # the numba kernel (compiled once)
                "lbp_headache.analysis.philox_kernel",  # the numba random-number loop
                "lbp_headache.analysis.diary_kernel",  # the numba diary loop
                "lbp_headache.trial.weekly_kernel",  # the numba loop of trial diaries
                "lbp_headache.report.abc_folder",  # loads pyabc (the optional [calibration])
                "scipy.stats", "fcntl", "importlib", "roadrunner", "pyabc", "bokeh",
                "playwright"}


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE).with_suffix("").parts
    return ".".join([PACKAGE, *[p for p in parts if p != "__init__"]])


def test_the_import_contracts_hold():
    importlinter_cli = pytest.importorskip("importlinter.cli")
    code = importlinter_cli.lint_imports(config_filename=str(ROOT / "pyproject.toml"),
                                         no_cache=True)
    assert code == importlinter_cli.EXIT_STATUS_SUCCESS, "run `lint-imports` to see which"


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the components of more than one module (import circles)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return circles


def test_strongly_connected_finds_a_circle():
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        ["a", "b", "c"]]
    assert strongly_connected({"a": {"b"}, "b": set()}) == []


def test_no_import_circles():
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph(PACKAGE, cache_dir=None)
    # A package's __init__ may import its own modules (re-exports); that is not a circle.
    edges = {m: {o for o in graph.find_modules_directly_imported_by(m)
                 if o.startswith(PACKAGE) and not m.startswith(o + ".")}
             for m in graph.modules if m.startswith(PACKAGE)}
    assert strongly_connected(edges) == []


def in_function_imports(path: Path) -> list[tuple[int, str, str]]:
    """``(line, imported module, source line)`` of every import inside a function."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    found = []
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Import):
                names = [alias.name for alias in inner.names]
            elif isinstance(inner, ast.ImportFrom):
                names = [("." * inner.level) + (inner.module or "")]
            else:
                continue
            for name in names:
                found.append((inner.lineno, name, lines[inner.lineno - 1]))
    return sorted(set(found))


def lazy_import_problems(path: Path) -> list[str]:
    problems = []
    for line, name, source in in_function_imports(path):
        allowed = any(name == lazy or name.startswith(lazy + ".") for lazy in LAZY_ALLOWED)
        where = f"{path.relative_to(ROOT)}:{line}: {source.strip()}"
        if not allowed:
            problems.append(f"{where}: import inside a function of a module that is not a "
                            "heavy or optional dependency; import it at the top")
        elif "# lazy" not in source:
            problems.append(f"{where}: a lazy import needs a '# lazy: why' comment")
    return problems


def test_lazy_import_rule_catches_offenders(tmp_path):
    sample = ROOT / "tests" / "_sample_lazy.py"
    sample.write_text("def f():\n    import json\n    import numba\n"
                      "    import matplotlib  # lazy: heavy\n", encoding="utf-8")
    try:
        problems = lazy_import_problems(sample)
    finally:
        sample.unlink()
    assert len(problems) == 2
    assert "json" in problems[0] and "not a heavy" in problems[0]
    assert "numba" in problems[1] and "needs a '# lazy" in problems[1]


def test_imports_inside_functions_are_commented_lazy_imports_only():
    problems = [p for path in sorted(SOURCE.rglob("*.py")) for p in lazy_import_problems(path)]
    assert problems == [], "\n".join(problems)


def test_every_package_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    mapping = config["tool"]["setuptools"]["package-dir"]
    # The calibration targets ship beside the scenarios, from the top-level calibration/.
    assert mapping == {PACKAGE: "model", f"{PACKAGE}.bundled": "scenarios",
                       f"{PACKAGE}.bundled.calibration": "calibration"}
    code = {module_name(init) for init in SOURCE.rglob("__init__.py")}
    bundled = {f"{PACKAGE}.bundled", f"{PACKAGE}.bundled.calibration"} | {
        f"{PACKAGE}.bundled.{folder.name}" for folder in (ROOT / "scenarios").iterdir()
        if folder.is_dir() and not folder.name.startswith((".", "__"))}
    assert listed == code | bundled


def test_generated_docs_are_current():
    """docs/model.md, inputs.md and architecture.md match the code they are generated from."""
    from lbp_headache.report import docs

    assert docs.main(["--check"]) == 0, "run `python -m lbp_headache.report.docs`"
    assert "`lbp_headache.core.equations`" in docs.module_map()
