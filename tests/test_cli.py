"""The command line end to end (``main([...])`` in a temporary folder)."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys

import numpy as np
import pytest
from helpers import listing
from lbp_headache import __version__
from lbp_headache.cli import commands
from lbp_headache.cli.main import COMMAND_MODULES, build_parser, main
from lbp_headache.core.parameters import PARAMETERS
from lbp_headache.engine.result import COLUMNS

BACK = "name: back_pain\ndescription: short test\nduration: 60 days\nlumbar_pain: 5\n"
HEALTHY = "name: healthy\nduration: 60 days\nlumbar_pain: 0\n"
TREATED = BACK.replace("back_pain", "treated") + (
    "treatments:\n  - type: physical_therapy\n    start: 20 days\n    stop: 50 days\n"
)
PROBLEM_LINE = re.compile(r"^\S+?(:\d+)?: ")


@pytest.fixture
def files(tmp_path):
    paths = {}
    for stem, text in (("back", BACK), ("healthy", HEALTHY), ("treated", TREATED)):
        paths[stem] = tmp_path / f"{stem}.yaml"
        paths[stem].write_text(text)
    return paths


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_run_writes_every_file(tmp_path, files, capsys):
    out = tmp_path / "results"
    code, stdout, stderr = run(capsys, "run", files["back"], "--out", out)
    assert code == 0, stderr
    folder = out / "back"
    assert listing(folder) == [
        "headache_by_pathway.png", "states.png", "summary.json", "timeseries.csv"]
    assert listing(out) == ["back"]  # no temp folders left
    with open(folder / "timeseries.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["day", *COLUMNS]
    assert float(rows[1][0]) == 0.0 and float(rows[-1][0]) == 60.0
    assert re.match(r"back: \d+\.\d headache days/month, mean \d+\.\d/10, threshold min "
                    r"\d\.\d\d, pathways mech \d+% / neuro \d+% / inflam \d+% -> ", stdout)
    assert "not a diagnostic tool" in stdout and "bowel or bladder" in stdout


def test_summary_json_contents(tmp_path, files, capsys):
    out = tmp_path / "results"
    assert run(capsys, "run", files["back"], "--out", out)[0] == 0
    doc = json.loads((out / "back" / "summary.json").read_text())
    assert list(doc) == ["scenario", "metrics", "monthly", "diary", "units", "columns",
                         "parameters", "provenance", "disclaimer", "red_flags"]
    assert doc["scenario"]["name"] == "back_pain"
    assert doc["scenario"]["description"] == "short test"
    assert doc["scenario"]["file"] and len(doc["scenario"]["sha256"]) == 64
    assert sum(doc["metrics"]["pathway_share"].values()) == pytest.approx(1.0, abs=1e-12)
    for window in doc["monthly"]:
        assert sum(window["pathway_share"].values()) == pytest.approx(1.0, abs=1e-12)
    assert list(doc["units"]) == ["day", *COLUMNS]
    assert list(doc["columns"]) == ["day", *COLUMNS]
    assert all(info["description"] and "unit" in info for info in doc["columns"].values())
    assert set(doc["parameters"]) == {p.name for p in PARAMETERS}
    prov = doc["provenance"]
    assert prov["package"] == "lbp-headache" and prov["version"] == __version__
    assert prov["inputs"] == {doc["scenario"]["file"]: doc["scenario"]["sha256"]}
    assert prov["settings"]["overrides"] == {}
    assert prov["settings"]["solver"]["method"] == "LSODA"
    assert set(prov["dependencies"]) >= {"numpy", "scipy", "pint", "PyYAML", "numba", "llvmlite",
                                         "matplotlib", "pyarrow"}
    assert prov["dependencies"]["numpy"] == np.__version__
    assert prov["started"] <= prov["finished"]
    for key in ("git", "python", "platform", "command_line"):
        assert key in prov
    assert "not medical advice" in doc["disclaimer"]
    assert len(doc["red_flags"]) == 7
    assert "NaN" not in (out / "back" / "summary.json").read_text()


def test_set_changes_parameter_and_result(tmp_path, files, capsys):
    base, stiff = tmp_path / "base", tmp_path / "stiff"
    assert run(capsys, "run", files["back"], "--out", base)[0] == 0
    code, _, err = run(capsys, "run", files["back"], "--out", stiff,
                       "--set", "posture_chain_stiffness=1.5", "--set", "tau_posture=5 days")
    assert code == 0, err
    before = json.loads((base / "back" / "summary.json").read_text())
    after = json.loads((stiff / "back" / "summary.json").read_text())
    assert after["parameters"]["posture_chain_stiffness"]["value"] == 1.5
    assert after["parameters"]["tau_posture"] == {"value": 5.0, "unit": "day"}
    assert after["provenance"]["settings"]["overrides"] == {"posture_chain_stiffness": 1.5,
                                                            "tau_posture": 5.0}
    assert after["metrics"]["mean_headache"] > before["metrics"]["mean_headache"]


def test_same_inputs_give_identical_outputs(tmp_path, files, capsys):
    first, second = tmp_path / "a", tmp_path / "b"
    assert run(capsys, "run", files["treated"], "--out", first)[0] == 0
    assert run(capsys, "run", files["treated"], "--out", second)[0] == 0
    csv_a = (first / "treated" / "timeseries.csv").read_bytes()
    assert csv_a == (second / "treated" / "timeseries.csv").read_bytes()
    metrics = [json.loads((d / "treated" / "summary.json").read_text())["metrics"]
               for d in (first, second)]
    assert metrics[0] == metrics[1]


def test_run_twice_replaces_its_files_and_keeps_the_users(tmp_path, files, capsys):
    out = tmp_path / "results"
    assert run(capsys, "run", files["back"], "--out", out)[0] == 0
    (out / "back" / "notes.txt").write_text("the user's own notes")
    assert run(capsys, "run", files["back"], "--out", out, "--no-figures")[0] == 0
    assert (out / "back" / "notes.txt").read_text() == "the user's own notes"
    assert listing(out / "back") == ["notes.txt", "summary.json", "timeseries.csv"]
    assert listing(out) == ["back"]


BAD_FILES = {
    "unknown_key": BACK + "lumbar_pian: 3\n",
    "wrong_unit": BACK.replace("60 days", "60 kg"),
    "negative_duration": BACK.replace("60 days", "-5 days"),
    "malformed": "name: [unclosed\nduration: 60 days\n",
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_scenario_exits_2_and_writes_nothing(tmp_path, files, capsys, case):
    bad = tmp_path / f"{case}.yaml"
    bad.write_text(BAD_FILES[case])
    out = tmp_path / "results"
    code, stdout, stderr = run(capsys, "run", files["back"], bad, "--out", out)
    assert code == 2
    assert not out.exists()
    assert "Traceback" not in stdout + stderr
    lines = stderr.strip().splitlines()
    assert lines and all(line.startswith(str(bad)) for line in lines)
    if case != "malformed":
        # FILE:LINE: key: message
        assert all(re.match(rf"^{re.escape(str(bad))}:\d+: [\w.\[\]]+: \S", line)
                   for line in lines), lines
    assert all(PROBLEM_LINE.match(line) for line in lines)


def test_problems_from_all_inputs_are_collected(tmp_path, files, capsys):
    bad1, bad2 = tmp_path / "bad1.yaml", tmp_path / "bad2.yaml"
    bad1.write_text(BAD_FILES["unknown_key"])
    bad2.write_text(BAD_FILES["negative_duration"])
    out = tmp_path / "results"
    code, stdout, stderr = run(capsys, "run", bad1, bad2, tmp_path / "missing.yaml", "--out",
                               out, "--set", "no_such_parameter=1")
    assert code == 2 and not out.exists()
    assert "Traceback" not in stdout + stderr
    for needle in ("bad1.yaml", "bad2.yaml", "missing.yaml", "no_such_parameter"):
        assert needle in stderr


@pytest.mark.parametrize("value", ["no_such_parameter=1", "tau_posture=5 kg",
                                   "posture_chain_stiffness=1000", "tau_posture"])
def test_bad_set_exits_2(tmp_path, files, capsys, value):
    out = tmp_path / "results"
    code, stdout, stderr = run(capsys, "run", files["back"], "--out", out, "--set", value)
    assert code == 2 and not out.exists()
    assert stderr.strip() and "Traceback" not in stdout + stderr
    assert all(PROBLEM_LINE.match(line) for line in stderr.strip().splitlines())


def test_missing_file_exits_2(tmp_path, capsys):
    code, stdout, stderr = run(capsys, "run", tmp_path / "nope.yaml", "--out", tmp_path / "r")
    assert code == 2 and not (tmp_path / "r").exists()
    assert "nope.yaml" in stderr and "Traceback" not in stdout + stderr


def test_usage_errors_exit_2(capsys):
    assert main([]) == 2
    assert main(["run"]) == 2
    assert main(["frobnicate"]) == 2
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize(("command", "expected"), [
    ("swep", "lbp-headache: unknown command 'swep'; did you mean 'sweep'?"),
    ("export_sbml", "lbp-headache: unknown command 'export_sbml'; did you mean 'export-sbml'?"),
    ("frobnicate", "lbp-headache: unknown command 'frobnicate'; commands: run, compare, "
                   "validate, params, demo, sweep, sensitivity, steady-states, export-sbml, "
                   "population, trial, report, explore, targets, calibrate"),
])
def test_unknown_command_names_the_close_one(capsys, command, expected):
    assert main([command, "x.yaml"]) == 2
    assert capsys.readouterr().err.strip() == expected


def test_every_command_is_listed_with_its_module():
    # main() loads only the named command's module: the table must name every command
    # of every module, in help order, and nothing else.
    everything = build_parser()
    commands_seen = everything._subparsers._group_actions[0].choices
    assert list(commands_seen) == list(COMMAND_MODULES)
    for command, module in COMMAND_MODULES.items():
        alone = build_parser(command)._subparsers._group_actions[0].choices
        assert command in alone
        assert {COMMAND_MODULES[name] for name in alone} == {module}


def test_run_loads_neither_the_explorer_nor_the_research_commands(tmp_path):
    # A one-scenario run imports only what it uses (issue 15: run in about a second).
    probe = ("import sys; from lbp_headache.cli.main import main; "
             "code = main(['run', 'healthy', '--no-figures', '--out', sys.argv[1]]); "
             "print(code, sorted(m for m in sys.modules if m.startswith(('lbp_headache.cli', "
             "'lbp_headache.explorer', 'lbp_headache.analysis.sweep', 'lbp_headache.trial', "
             "'matplotlib', 'dask'))))")
    done = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "out")],
                          capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == (
        "0 ['lbp_headache.cli', 'lbp_headache.cli.commands', 'lbp_headache.cli.common', "
        "'lbp_headache.cli.main']")


def test_validate(tmp_path, files, capsys):
    code, stdout, _ = run(capsys, "validate", files["back"], files["healthy"])
    assert code == 0
    assert stdout.splitlines() == [f"{files['back']}: ok", f"{files['healthy']}: ok"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_FILES["unknown_key"])
    code, stdout, stderr = run(capsys, "validate", files["back"], bad)
    assert code == 2
    assert f"{files['back']}: ok" in stdout and str(bad) in stderr
    assert listing(tmp_path) == sorted(
        ["back.yaml", "healthy.yaml", "treated.yaml", "bad.yaml"])


def test_params(capsys):
    code, markdown, _ = run(capsys, "params", "--markdown")
    assert code == 0 and markdown.startswith("| name |")
    code, plain, _ = run(capsys, "params")
    assert code == 0
    for p in PARAMETERS:
        assert f"`{p.name}`" in markdown
        assert re.search(rf"^{p.name}\s", plain, re.MULTILINE)


def test_compare_writes_csv_png_and_ranks(tmp_path, files, capsys):
    out = tmp_path / "cmp"
    code, stdout, stderr = run(capsys, "compare", files["back"], files["healthy"],
                               files["treated"], "--out", out)
    assert code == 0, stderr
    assert listing(out) == ["comparison.csv", "comparison.png"]
    with open(out / "comparison.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    days = [float(r["headache_days_per_month"]) for r in rows]
    assert days == sorted(days)
    assert rows[0]["name"] == "healthy"
    for key in ("file", "mean_headache", "peak_headache", "headache_burden", "share_mechanical",
                "share_neurological", "share_inflammatory", "min_pain_threshold",
                "responder_reduction", "responder"):
        assert key in rows[0]
    treated = next(r for r in rows if r["name"] == "treated")
    assert treated["responder"] in ("yes", "no") and treated["responder_reduction"]
    table = [line.split()[1] for line in stdout.splitlines()[1:4]]
    assert table == [r["name"] for r in rows]
    assert "not a diagnostic tool" in stdout


def test_demo_with_small_scenarios(tmp_path, capsys, monkeypatch):
    bundled = tmp_path / "bundled"
    bundled.mkdir()
    (bundled / "persistent_back_pain.yaml").write_text(BACK)
    (bundled / "physical_therapy.yaml").write_text(TREATED)
    monkeypatch.setattr(commands, "BUNDLED_FOLDER", bundled)
    work = tmp_path / "anywhere"
    work.mkdir()
    monkeypatch.chdir(work)
    code, stdout, stderr = run(capsys, "demo")
    assert code == 0, stderr
    figures = listing(work / "figures")
    assert figures == sorted([
        "pathway_diagram.png", "treatment_comparison.png",
        "persistent_back_pain_headache_by_pathway.png", "persistent_back_pain_states.png",
        "physical_therapy_headache_by_pathway.png", "physical_therapy_states.png"])
    results = work / "results"
    assert (results / "comparison" / "comparison.csv").exists()
    assert (results / "physical_therapy" / "summary.json").exists()
    assert "not a diagnostic tool" in stdout


def test_demo_without_its_bundled_scenarios_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(commands, "BUNDLED_FOLDER", tmp_path / "missing")
    monkeypatch.chdir(tmp_path)
    code, _, stderr = run(capsys, "demo")
    assert code == 2 and "bundled scenarios are missing" in stderr
    assert list(tmp_path.iterdir()) == []


def test_python_dash_m_help():
    done = subprocess.run([sys.executable, "-m", "lbp_headache", "--help"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0
    for command in ("run", "compare", "validate", "params", "demo"):
        assert command in done.stdout
