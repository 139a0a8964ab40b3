"""Outputs never destroy what the tool did not write (issue 10, point 2).

The manifest, the lock, exclusive temporary files, verified chunks, a clean
Ctrl-C and a full disk, each through the command line where a user meets it.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import pytest
from helpers import listing, localize_scenarios
from lbp_headache.analysis.sweep import runner as sweep_module
from lbp_headache.analysis.sweep.chunks import ChunkError
from lbp_headache.analysis.sweep.reader import load_sweep
from lbp_headache.analysis.sweep.runner import run_sweep
from lbp_headache.cli.main import main
from lbp_headache.files.output_folder import (
    LOCK,
    MANIFEST,
    FolderBusy,
    OutputConflict,
    OutputFolder,
)

ROOT = Path(__file__).resolve().parent.parent
PERSISTENT = ROOT / "scenarios" / "persistent_back_pain.yaml"
SPEC = f"""\
name: small grid
scenario: {PERSISTENT}
parameters:
  posture_chain_stiffness: {{low: 0.5, high: 2.5, levels: 4}}
  sensitization_feedback: {{levels: 3}}
design: grid
chunk_size: 3
metrics: [headache_days_per_month, final_sensitization]
"""
SCENARIO = "duration: 30\nlumbar_pain: 3\n"


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "grid.yaml"
    path.write_text(localize_scenarios(SPEC, tmp_path))
    return path


# --- the manifest ---------------------------------------------------------------------


def test_run_refuses_to_replace_an_unrelated_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "X.yaml").write_text(SCENARIO)
    (tmp_path / "D" / "X").mkdir(parents=True)
    (tmp_path / "D" / "X" / "summary.json").write_text("my own summary")
    before = tree(tmp_path / "D")
    code, out, err = run_cli(capsys, "run", "X.yaml", "--out", "D")
    assert code == 2 and out == ""
    assert err.strip() == ("D/X/summary.json: was not written by lbp-headache; it will not "
                           "be overwritten: move it away or choose another output folder")
    assert tree(tmp_path / "D") == before
    assert listing(tmp_path / "D") == ["X"]  # no lock or manifest left behind either


def test_a_file_edited_after_the_tool_wrote_it_is_not_overwritten(tmp_path, capsys,
                                                                  monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "X.yaml").write_text(SCENARIO)
    assert run_cli(capsys, "run", "X.yaml", "--out", "D", "--no-figures")[0] == 0
    (tmp_path / "D" / "X" / "timeseries.csv").write_text("edited by hand")
    code, _, err = run_cli(capsys, "run", "X.yaml", "--out", "D", "--no-figures")
    assert code == 2 and "was changed after lbp-headache wrote it" in err
    assert (tmp_path / "D" / "X" / "timeseries.csv").read_text() == "edited by hand"


def test_rerun_gives_a_byte_identical_manifest(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "X.yaml").write_text(SCENARIO)
    assert run_cli(capsys, "run", "X.yaml", "--out", "D", "--no-figures")[0] == 0
    first = json.loads((tmp_path / "D" / MANIFEST).read_bytes())
    assert run_cli(capsys, "run", "X.yaml", "--out", "D", "--no-figures")[0] == 0
    again = json.loads((tmp_path / "D" / MANIFEST).read_bytes())
    # The same files; the table is the same bytes (summary.json carries its run's times).
    assert sorted(first["files"]) == sorted(again["files"]) == ["X/summary.json",
                                                                "X/timeseries.csv"]
    assert first["files"]["X/timeseries.csv"] == again["files"]["X/timeseries.csv"]


def test_a_planted_symlink_is_never_written_through(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / "X.yaml").write_text(SCENARIO)
    (tmp_path / "D" / "X").mkdir(parents=True)
    os.symlink(victim, tmp_path / "D" / "X" / "timeseries.csv")
    code, _, err = run_cli(capsys, "run", "X.yaml", "--out", "D", "--no-figures")
    assert code == 2 and "D/X/timeseries.csv: is a symlink" in err
    assert victim.read_text() == "precious"
    os.unlink(tmp_path / "D" / "X" / "timeseries.csv")
    os.symlink(tmp_path, tmp_path / "D" / "Y")  # a folder link: refused as a path component
    with OutputFolder(tmp_path / "D") as out:
        assert "is a symlink" in out.conflicts(["Y/summary.json"])[0]


def test_sweep_into_the_current_folder_touches_nothing_else(tmp_path, spec_file, capsys,
                                                            monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "lecture.png").write_bytes(b"the project's own figure")
    (tmp_path / "notes.txt").write_text("keep me")
    before = tree(tmp_path)
    code, _, err = run_cli(capsys, "sweep", spec_file.name, "--out", ".", "--workers", "1")
    assert code == 0, err
    after = tree(tmp_path)
    assert {name: after[name] for name in before} == before
    code, _, err = run_cli(capsys, "sweep", spec_file.name, "--out", ".", "--workers", "1")
    assert code == 0, err
    assert (tmp_path / "figures" / "lecture.png").read_bytes() == b"the project's own figure"
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_sweep_refuses_a_foreign_file_in_its_chunks_folder(tmp_path, spec_file, capsys):
    out = tmp_path / "out"
    assert run_cli(capsys, "sweep", spec_file, "--out", out, "--workers", "1")[0] == 0
    foreign = out / "chunks" / "persistent_back_pain" / "notes.txt"
    foreign.write_text("mine")
    code, _, err = run_cli(capsys, "sweep", spec_file, "--out", out, "--workers", "1")
    assert code == 2 and f"{foreign}: was not written by lbp-headache" in err
    assert foreign.read_text() == "mine"


# --- the lock -------------------------------------------------------------------------


def test_a_second_writer_into_the_same_folder_is_refused(tmp_path, spec_file, capsys):
    out = tmp_path / "out"
    with OutputFolder(out):
        code, _, err = run_cli(capsys, "sweep", spec_file, "--out", out, "--workers", "1")
        with pytest.raises(FolderBusy, match="another lbp-headache process"):
            OutputFolder(out).open()
    assert code == 2
    assert err.strip() == (f"{out}: another lbp-headache process is writing into this "
                           "folder; wait for it to finish or choose another output folder")
    assert not (out / "results.csv").exists()
    assert run_cli(capsys, "sweep", spec_file, "--out", out, "--workers", "1")[0] == 0


def test_the_lock_file_must_not_be_a_symlink(tmp_path):
    (tmp_path / "D").mkdir()
    os.symlink(tmp_path / "elsewhere", tmp_path / "D" / LOCK)
    with pytest.raises(OutputConflict, match="cannot open the lock file .*is it a symlink"):
        OutputFolder(tmp_path / "D").open()
    assert not (tmp_path / "elsewhere").exists()


# --- chunks: identity and checksum ------------------------------------------------------


def chunk_paths(out: Path) -> list[Path]:
    return sorted((out / "chunks" / "persistent_back_pain").glob("chunk_*.npz"))


def test_resume_recomputes_a_swapped_or_damaged_chunk(tmp_path, spec_file, capsys):
    reference = tmp_path / "reference"
    run_sweep(load_sweep(spec_file), reference, workers=1)
    out = tmp_path / "out"
    run_sweep(load_sweep(spec_file), out, workers=1)
    first, second, third, *_ = chunk_paths(out)
    shutil.copyfile(second, first)  # swapped: the rows of chunk 1 under chunk 0's name
    third.write_bytes(third.read_bytes()[:-40])  # truncated
    (out / "results.csv").unlink()
    code, stdout, err = run_cli(capsys, "sweep", spec_file, "--out", out, "--workers", "1",
                                "--resume")
    assert code == 0, err
    assert ", 2 chunks reused" in stdout  # 4 chunks, 2 recomputed
    assert (out / "results.csv").read_bytes() == (reference / "results.csv").read_bytes()


def test_a_chunk_damaged_before_assembly_is_refused(tmp_path, spec_file, monkeypatch):
    real = sweep_module._run_chunks

    def run_then_damage(*args, **kwargs):
        real(*args, **kwargs)
        path = chunk_paths(tmp_path / "out")[1]
        data = bytearray(path.read_bytes())
        data[-5] ^= 0xFF
        path.write_bytes(bytes(data))

    monkeypatch.setattr(sweep_module, "_run_chunks", run_then_damage)
    with pytest.raises(ChunkError, match="checksum does not match"):
        run_sweep(load_sweep(spec_file), tmp_path / "out", workers=1)
    assert not (tmp_path / "out" / "results.csv").exists()
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.endswith(".tmp")]


def test_resume_with_a_damaged_fingerprint_is_one_line_and_deletes_nothing(tmp_path, spec_file,
                                                                           capsys):
    out = tmp_path / "out"
    assert run_cli(capsys, "sweep", spec_file, "--out", out, "--workers", "1")[0] == 0
    (out / "chunks" / "fingerprint.json").write_text("{not json")
    before = tree(out)
    code, _, err = run_cli(capsys, "sweep", spec_file, "--out", out, "--resume")
    assert code == 2 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert tree(out) == before


# --- Ctrl-C and a full disk ---------------------------------------------------------------


def test_ctrl_c_stops_with_one_line_and_resume_finishes(tmp_path, spec_file, capsys,
                                                       monkeypatch):
    real = sweep_module.run_chunk
    calls = []

    def interrupted(job):
        calls.append(job.index)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(job)

    monkeypatch.setattr(sweep_module, "run_chunk", interrupted)
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, "sweep", spec_file, "--out", out, "--workers", "1")
    assert code == 130
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "interrupted; 2 finished chunks are kept" in lines[0]
    assert "--resume" in lines[0]
    assert not list(out.rglob("*.tmp"))
    monkeypatch.setattr(sweep_module, "run_chunk", real)
    code, stdout, err = run_cli(capsys, "sweep", spec_file, "--out", out, "--workers", "1",
                                "--resume")
    assert code == 0 and ", 2 chunks reused" in stdout, err


def test_a_full_disk_while_the_tables_are_written_is_one_line_and_leaves_no_temp(
        tmp_path, spec_file, capsys, monkeypatch):
    out = tmp_path / "out"
    assert run_cli(capsys, "sweep", spec_file, "--out", out, "--workers", "1")[0] == 0
    table = (out / "results.csv").read_bytes()
    real_fsync = os.fsync

    def full(fd):
        if os.path.basename(os.readlink(f"/proc/self/fd/{fd}")).startswith(".results.csv."):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(sweep_module.os, "fsync", full)
    code, _, err = run_cli(capsys, "sweep", spec_file, "--out", out, "--workers", "1")
    assert code == 1
    assert err.strip().splitlines() == [f"{out}: [Errno 28] No space left on device"]
    assert not list(out.rglob("*.tmp"))
    assert not (out / "results.csv").exists() or (out / "results.csv").read_bytes() == table


def test_a_real_full_disk_on_a_small_tmpfs(tmp_path, spec_file, capsys):
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0 or os.system(f"mount -t tmpfs -o size=64k tmpfs {mount} "
                                      "2>/dev/null") != 0:
        pytest.skip("needs root and tmpfs to make a small file system")
    try:
        code, _, err = run_cli(capsys, "sweep", spec_file, "--out", mount / "out",
                               "--workers", "1")
        assert code == 1 and "No space left on device" in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1
        assert not list(mount.rglob("*.tmp"))
    finally:
        os.system(f"umount {mount}")
