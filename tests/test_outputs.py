"""Output files: atomic writes (never a partial file or folder) and provenance."""

from __future__ import annotations

import json
import math

import lbp_headache
import numpy as np
import pytest
from lbp_headache import Scenario, simulate
from lbp_headache.core.disclaimer import RED_FLAGS
from lbp_headache.engine.result import COLUMNS
from lbp_headache.files.atomic import atomic_write_bytes, atomic_write_text
from lbp_headache.files.json_data import jsonable, to_json
from lbp_headache.files.output_folder import OutputFolder
from lbp_headache.report.run_folder import (
    column_units,
    run_provenance,
    summary,
    timeseries_csv,
    timeseries_header,
    write_run,
)
from lbp_headache.scenario.profiles import constant


@pytest.fixture(scope="module")
def result():
    scenario = Scenario(name="back", duration=30.0, lumbar_pain=constant(4.0),
                        source="scenarios/back.yaml", source_hash="ab" * 32)
    return simulate(scenario, overrides={"tau_posture": 5.0})


def test_atomic_write_replaces_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "out.txt"
    atomic_write_text(target, "old\n")
    atomic_write_text(target, "new\n")
    assert target.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


class Boom(Exception):
    pass


def test_failed_write_keeps_the_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "out.csv"
    atomic_write_bytes(target, b"complete old contents\n")

    def failing_fsync(fd):  # the data is half on its way when the process "dies"
        raise Boom("killed")

    monkeypatch.setattr("lbp_headache.files.atomic.os.fsync", failing_fsync)
    with pytest.raises(Boom):
        atomic_write_bytes(target, b"new contents that never arrive\n")
    assert target.read_bytes() == b"complete old contents\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_failed_write_of_new_file_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr("lbp_headache.files.atomic.os.replace",
                        lambda *a: (_ for _ in ()).throw(Boom("killed")))
    with pytest.raises(Boom):
        atomic_write_text(tmp_path / "new.txt", "x")
    assert list(tmp_path.iterdir()) == []


def test_write_run_failure_in_a_figure_leaves_no_folder(tmp_path, result, monkeypatch):
    def broken(*args, **kwargs):
        raise Boom("renderer crashed")

    monkeypatch.setattr("lbp_headache.report.run_folder.plot_headache_by_pathway", broken)
    with pytest.raises(Boom), OutputFolder(tmp_path / "out") as out:
        write_run(result, out, "back")
    assert not (tmp_path / "out").exists()


def test_write_run_replaces_its_own_files_and_drops_stale_figures(tmp_path, result):
    with OutputFolder(tmp_path) as out:
        write_run(result, out, "back")
    assert sorted(p.name for p in (tmp_path / "back").iterdir()) == [
        "headache_by_pathway.png", "states.png", "summary.json", "timeseries.csv"]
    with OutputFolder(tmp_path) as out:
        write_run(result, out, "back", figures=False)
    assert sorted(p.name for p in (tmp_path / "back").iterdir()) == [
        "summary.json", "timeseries.csv"]


def test_timeseries_csv_layout(result):
    lines = timeseries_csv(result).splitlines()
    assert lines[0].split(",") == ["day", *COLUMNS] == timeseries_header()
    assert len(lines) == 1 + result.time.size
    table = np.loadtxt(lines[1:], delimiter=",")
    np.testing.assert_allclose(table[:, 0], result.time, rtol=5.1e-9)
    for i, name in enumerate(COLUMNS, start=1):
        np.testing.assert_allclose(table[:, i], result.columns[name], rtol=5.1e-9, atol=1e-300)


def test_units_cover_every_column():
    units = column_units()
    assert list(units) == timeseries_header()
    assert units["day"] == "day" and units["il6"] == "pg/mL"
    assert units["posture_deviation"] == "degree"


def test_provenance_fields(result):
    block = run_provenance(result, {"tau_posture": 5.0})
    for key in ("package", "version", "git", "python", "platform", "dependencies",
                "command_line", "started", "finished", "inputs", "settings"):
        assert key in block
    assert block["package"] == "lbp-headache"
    assert block["version"] == lbp_headache.__version__
    assert block["inputs"] == {"scenarios/back.yaml": "ab" * 32}
    assert block["settings"]["overrides"] == {"tau_posture": 5.0}
    assert block["settings"]["solver"] == result.settings.as_dict()
    assert block["started"].endswith("+00:00") and block["started"] <= block["finished"]
    versions = block["dependencies"]
    for name in ("numpy", "scipy", "pint", "PyYAML", "numba", "llvmlite", "matplotlib"):
        assert versions[name], name
    assert versions["numpy"] == np.__version__


def test_summary_document(result):
    doc = json.loads(to_json(summary(result, {"tau_posture": 5.0})))
    assert list(doc) == ["scenario", "metrics", "monthly", "diary", "units", "columns",
                         "parameters", "provenance", "disclaimer", "red_flags"]
    assert doc["parameters"]["tau_posture"] == {"value": 5.0, "unit": "day"}
    assert doc["red_flags"] == list(RED_FLAGS)
    assert "not medical advice" in doc["disclaimer"]
    assert doc["scenario"]["sha256"] == "ab" * 32


def test_json_never_writes_nan():
    data = {"a": math.nan, "b": [np.float64(math.inf), np.int64(3)], "c": np.bool_(True)}
    assert jsonable(data) == {"a": None, "b": [None, 3], "c": True}
    assert "NaN" not in to_json(data)
