"""What-ifs from the command line: ``compare --variant``, reruns that say what they replace,
and the batch engine's first compile announcing itself."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from lbp_headache import load_scenario, simulate, summarize
from lbp_headache.cli.main import main
from lbp_headache.engine.compile_notice import COMPILE_NOTICE, kernels_to_compile

BACK = "name: back pain\nduration: 60 days\nlumbar_pain: 5\nergonomic_load: 0.3\n"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def back(tmp_path):
    path = tmp_path / "back.yaml"
    path.write_text(BACK)
    return path


def rows(path: Path) -> dict[str, dict]:
    with open(path, newline="") as handle:
        return {row["name"]: row for row in csv.DictReader(handle)}


def test_variants_run_the_base_with_their_changes(tmp_path, back, capsys):
    out = tmp_path / "cmp"
    code, stdout, stderr = run(capsys, "compare", back, "--out", out,
                               "--variant", "posture_chain_stiffness=2",
                               "--variant", "tau_neck_tension=2 days, gain_migraine=1.2")
    assert code == 0, stderr
    table = rows(out / "comparison.csv")
    assert set(table) == {"back pain", "back pain (posture_chain_stiffness=2)",
                          "back pain (tau_neck_tension=2 days, gain_migraine=1.2)"}
    base = load_scenario(back)
    for name, changes in (("back pain (posture_chain_stiffness=2)",
                           {"posture_chain_stiffness": 2.0}),
                          ("back pain (tau_neck_tension=2 days, gain_migraine=1.2)",
                           {"tau_neck_tension": 2.0, "gain_migraine": 1.2})):
        expected = summarize(simulate(base.with_parameters(changes)))["metrics"]
        assert float(table[name]["headache_days_per_month"]) == pytest.approx(
            expected["headache_days_per_month"], rel=1e-8)
    stiff = float(table["back pain (posture_chain_stiffness=2)"]["share_mechanical"])
    assert stiff > float(table["back pain"]["share_mechanical"])  # science.md behaviour 3


@pytest.mark.parametrize("variant, message", [
    ("posture_chain_stiffness=20", "--variant: posture_chain_stiffness: 20 is outside the "
                                   "plausible range [0.2, 3]"),
    ("tau_neck=2 days", "--variant: tau_neck: unknown parameter 'tau_neck'; did you mean "
                        "'tau_neck_tension'?"),
    ("gain_migraine=1, gain_migraine=2", "--variant: gain_migraine: given twice"),
    ("posture_chain_stiffness", "--variant: posture_chain_stiffness: expected NAME=VALUE"),
])
def test_a_bad_variant_is_one_line_exit_2_and_nothing_written(tmp_path, back, capsys, variant,
                                                              message):
    out = tmp_path / "cmp"
    code, stdout, stderr = run(capsys, "compare", back, "--out", out, "--variant", variant)
    assert code == 2
    assert stderr.startswith(message), stderr
    assert len(stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_a_variant_and_set_may_not_change_one_parameter(tmp_path, back, capsys):
    code, _, stderr = run(capsys, "compare", back, "--out", tmp_path / "cmp",
                          "--set", "gain_migraine=1", "--variant", "gain_migraine=2")
    assert code == 2 and "--variant: gain_migraine: also set by --set" in stderr


def test_a_rerun_says_what_it_replaces(tmp_path, back, capsys):
    out = tmp_path / "results"
    code, first, _ = run(capsys, "run", back, "--out", out, "--no-figures")
    assert code == 0 and "replacing" not in first
    code, second, _ = run(capsys, "run", back, "--out", out, "--no-figures")
    assert code == 0
    assert f"{out / 'back'}: replacing an earlier run (timeseries.csv, summary.json)" in second
    code, _, _ = run(capsys, "compare", back, "--out", out / "cmp")
    code, again, _ = run(capsys, "compare", back, "--out", out / "cmp")
    assert (f"{out / 'cmp'}: replacing an earlier comparison (comparison.csv, comparison.png)"
            in again)


def test_an_empty_cache_means_compiling_and_a_used_kernel_is_cached(tmp_path):
    env = {**os.environ, "LBP_HEADACHE_CACHE": str(tmp_path / "empty")}
    probe = ("from lbp_headache.engine.compile_notice import kernels_to_compile; "
             "print(','.join(kernels_to_compile()))")
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.stdout.strip() == "integrate_few,integrate_block", done.stderr
    # After a run, the kernel it used is in the (default) cache.
    import numpy as np
    from lbp_headache import parameter_vector, simulate_batch

    simulate_batch(load_scenario(Path(__file__).parents[1] / "scenarios" / "healthy.yaml"),
                   np.atleast_2d(parameter_vector()))
    assert kernels_to_compile(("integrate_few",)) == []


def test_a_sweep_announces_the_compile(tmp_path, capsys, monkeypatch):
    from lbp_headache.cli import research

    monkeypatch.setattr(research, "kernels_to_compile", lambda: ["integrate_block"])
    research.announce_compiling()
    assert capsys.readouterr().err.strip() == COMPILE_NOTICE
    monkeypatch.setattr(research, "kernels_to_compile", lambda: [])
    research.announce_compiling()
    assert capsys.readouterr().err == ""
