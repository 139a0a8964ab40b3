"""The sweep runner end to end: output table, reproducibility, resume, trajectories, CLI.

Small sweeps on ``scenarios/persistent_back_pain.yaml`` (12 months): a 4 x 3
grid over posture-chain stiffness x sensitization feedback, or a Latin
hypercube with several chunks. Each sweep runs in well under a second once
the compiled integrator is cached.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import lbp_headache.analysis.sweep.runner as sweep_module
import numpy as np
import pytest
from helpers import listing, localize_scenarios
from lbp_headache import __version__, load_scenario, simulate, summarize
from lbp_headache.analysis.metrics import METRIC_NAMES
from lbp_headache.analysis.sweep.chunks import parse_chunk
from lbp_headache.analysis.sweep.design import design_matrix
from lbp_headache.analysis.sweep.reader import load_sweep
from lbp_headache.analysis.sweep.runner import (
    ChunkJob,
    parameter_sets,
    run_chunk,
    run_sweep,
    table_columns,
)
from lbp_headache.cli.main import main
from lbp_headache.cli.progress import terminal_progress
from lbp_headache.core.parameters import INDEX
from lbp_headache.engine.batch import BatchSettings
from lbp_headache.engine.status import STATUS_TEXT
from lbp_headache.report.run_folder import DISCLAIMER, RED_FLAGS
from numpy.testing import assert_allclose, assert_array_equal

ROOT = Path(__file__).resolve().parent.parent
PERSISTENT = ROOT / "scenarios" / "persistent_back_pain.yaml"
LABEL = "persistent_back_pain"
SWEPT = ("posture_chain_stiffness", "sensitization_feedback")
PROBLEM_LINE = re.compile(r"^(?P<file>[^:\s]+):(?P<line>\d+): (?P<key>\S+): (?P<message>.+)$")
CHUNK_NAME = re.compile(r"^chunk_\d{6}\.npz$")


def grid_text(*, chunk_size: int = 5, extra: str = "", scenario: Path = PERSISTENT) -> str:
    """A 4 x 3 grid (12 sets) over stiffness x feedback."""
    return (
        "name: stiffness x feedback\n"
        f"scenario: {scenario}\n"
        "parameters:\n"
        "  posture_chain_stiffness: {low: 0.5, high: 2.5, levels: 4}\n"
        "  sensitization_feedback: {levels: 3}\n"
        "design: grid\n"
        "seed: 20261124\n"
        f"chunk_size: {chunk_size}\n"
        f"{extra}"
    )


def lhs_text(*, samples: int = 40, chunk_size: int = 8, seed: int = 1,
             scenario: Path = PERSISTENT) -> str:
    """A Latin hypercube over three parameters (one on a log scale)."""
    return (
        "name: patients differ\n"
        f"scenario: {scenario}\n"
        "parameters:\n"
        "  posture_chain_stiffness: {}\n"
        "  sensitization_feedback: {}\n"
        "  tau_sensitization: {low: 30 days, high: 80 days, scale: log}\n"
        "design: latin_hypercube\n"
        f"samples: {samples}\n"
        f"seed: {seed}\n"
        f"chunk_size: {chunk_size}\n"
    )


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(localize_scenarios(text, path.parent), encoding="utf-8")
    return path


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def as_float(cell: str) -> float:
    return math.nan if cell == "" else float(cell)


def column(header: list[str], rows: list[list[str]], name: str) -> np.ndarray:
    k = header.index(name)
    return np.array([as_float(row[k]) for row in rows])


def chunk_files(folder: Path, label: str = LABEL) -> list[Path]:
    return sorted(p for p in (folder / "chunks" / label).iterdir() if CHUNK_NAME.match(p.name))


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder``: contents and modification time."""
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


# --- 1. the output table -------------------------------------------------------------------


@pytest.fixture(scope="module")
def grid_run(tmp_path_factory):
    """The 4 x 3 grid run once with one thread: (spec, spec file, output folder, outcome)."""
    root = tmp_path_factory.mktemp("grid")
    spec_file = write(root / "grid.yaml", grid_text())
    spec = load_sweep(spec_file)
    outcome = run_sweep(spec, root / "out", workers=1)
    return spec, spec_file, root / "out", outcome


def test_results_table_one_row_per_set_with_design_values(grid_run):
    spec, _, out, outcome = grid_run
    header, rows = read_csv(out / "results.csv")
    assert header == ["scenario", "set", *SWEPT, *METRIC_NAMES, "status"]
    assert header == table_columns(spec)
    assert len(rows) == 12 and all(len(row) == len(header) for row in rows)
    assert [row[0] for row in rows] == [LABEL] * 12
    assert [row[1] for row in rows] == [str(k) for k in range(12)]
    assert [row[-1] for row in rows] == ["ok"] * 12
    design = design_matrix(spec)
    assert design.shape == (12, 2)
    # Floats are written with repr(): they read back exactly.
    table = np.column_stack([column(header, rows, name) for name in SWEPT])
    assert_array_equal(table, design)
    # Row-major grid: stiffness slowest, feedback fastest.
    assert_array_equal(table[:3, 0], [0.5] * 3)
    assert_array_equal(table[:, 1][:3], table[:, 1][3:6])
    assert outcome.n_sets == 12 and outcome.failed_sets == 0
    assert (outcome.chunks_run, outcome.chunks_reused) == (3, 0)
    assert not any(p.name.endswith(".tmp") for p in out.rglob("*"))


@pytest.mark.parametrize("row", [0, 4, 11])
def test_metrics_agree_with_single_runs(grid_run, row):
    spec, _, out, _ = grid_run
    header, rows = read_csv(out / "results.csv")
    overrides = {name: as_float(rows[row][header.index(name)]) for name in SWEPT}
    assert overrides == dict(zip(SWEPT, design_matrix(spec)[row]))
    summary = summarize(simulate(load_scenario(PERSISTENT), overrides=overrides))["metrics"]
    got = {name: as_float(rows[row][header.index(name)]) for name in header[4:-1]}
    assert got["headache_days_per_month"] == pytest.approx(
        summary["headache_days_per_month"], rel=1e-4)
    assert got["final_pain_threshold"] == pytest.approx(
        summary["final_pain_threshold"], abs=1e-5)
    assert got["mean_headache"] == pytest.approx(summary["mean_headache"], rel=1e-4)
    assert got["headache_burden"] == pytest.approx(summary["headache_burden"], rel=1e-4)
    for pathway in ("mechanical", "neurological", "inflammatory"):
        assert got[f"share_{pathway}"] == pytest.approx(
            summary["pathway_share"][pathway], abs=1e-5)
    assert got["min_pain_threshold"] == pytest.approx(summary["min_pain_threshold"], abs=1e-5)
    # No treatment: no responder baseline.
    assert summary["responder"]["is_responder"] is None
    for name in ("baseline_headache_days_per_month", "headache_days_reduction", "responder"):
        assert math.isnan(got[name])


def test_metadata_records_provenance(grid_run):
    spec, spec_file, out, _ = grid_run
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["package"] == "lbp-headache"
    assert meta["version"] == __version__
    assert meta["seed"] == 20261124 == spec.seed
    digest = hashlib.sha256(spec_file.read_bytes()).hexdigest()
    assert meta["spec"]["source_hash"] == digest
    assert meta["fingerprint"]["spec_sha256"] == digest
    # The scenario's hash covers the file and the files it extends or reads.
    assert meta["fingerprint"]["scenario_sha256"] == {LABEL: load_scenario(PERSISTENT).source_hash}
    assert len(meta["fingerprint"]["scenario_sha256"][LABEL]) == 64
    assert meta["engine"] == BatchSettings().as_dict()
    assert meta["fingerprint"]["engine"] == meta["engine"]
    assert meta["backend"] == {"backend": "threads", "workers": 1}
    assert meta["disclaimer"] == DISCLAIMER
    assert meta["red_flags"] == list(RED_FLAGS)
    assert meta["columns"] == table_columns(spec)
    assert meta["n_sets_per_scenario"] == 12 and meta["failed_sets"] == 0
    assert (meta["chunks_run"], meta["chunks_reused"]) == (3, 0)
    assert {"results.csv", "results.parquet"} <= set(meta["files"])
    assert "seconds" in meta
    record = meta["provenance"]
    assert record["inputs"][spec.source] == spec.source_hash
    assert record["settings"]["engine"] == meta["engine"]
    for name in ("numpy", "numba", "llvmlite", "scipy", "pint", "PyYAML", "matplotlib"):
        assert record["dependencies"][name]
    assert record["started"] <= record["finished"] and record["command_line"]
    info = meta["column_info"]
    assert list(info) == meta["columns"]
    assert info["posture_chain_stiffness"]["unit"] == "dimensionless"
    assert info["headache_days_per_month"]["unit"] == "day"
    assert all(entry["description"] for entry in info.values())


def test_parquet_holds_the_same_numbers(grid_run):
    pq = pytest.importorskip("pyarrow.parquet")
    _, _, out, _ = grid_run
    header, rows = read_csv(out / "results.csv")
    table = pq.read_table(out / "results.parquet")
    assert table.column_names == header
    data = table.to_pydict()
    assert data["scenario"] == [row[0] for row in rows]
    assert data["set"] == list(range(12))
    assert data["status"] == [row[-1] for row in rows]
    for name in header[2:-1]:
        assert_array_equal(np.array(data[name], dtype=float), column(header, rows, name),
                           err_msg=name)
    schema = table.schema
    assert schema.field("posture_chain_stiffness").metadata[b"unit"] == b"dimensionless"
    assert b"day" in schema.field("headache_days_per_month").metadata[b"unit"]
    record = json.loads(schema.metadata[b"lbp_headache.provenance"])
    assert record["package"] == "lbp-headache" and record["dependencies"]["pyarrow"]


# --- 2. identical results whatever the backend --------------------------------------------


@pytest.fixture(scope="module")
def lhs_reference(tmp_path_factory):
    """150 Latin-hypercube sets in chunks of 40, one thread: (root, results.csv bytes)."""
    root = tmp_path_factory.mktemp("lhs")
    spec = load_sweep(write(root / "chunk40.yaml", lhs_text(samples=150, chunk_size=40)))
    run_sweep(spec, root / "reference", workers=1)
    return root, (root / "reference" / "results.csv").read_bytes()


@pytest.mark.parametrize(("workers", "chunk_size"), [
    (2, 40),    # two chunks at a time, finishing in any order
    (2, 150),   # one chunk whose sets are shared between two threads (blocks of 64)
    (1, 7),     # many small chunks
    (3, 1000),  # chunk_size above the number of sets
])
def test_threads_give_identical_bytes(lhs_reference, workers, chunk_size):
    root, reference = lhs_reference
    spec_file = write(root / f"chunk{chunk_size}.yaml", lhs_text(samples=150,
                                                                 chunk_size=chunk_size))
    out = root / f"w{workers}_c{chunk_size}"
    outcome = run_sweep(load_sweep(spec_file), out, workers=workers)
    assert outcome.chunks_run == math.ceil(150 / chunk_size)
    assert (out / "results.csv").read_bytes() == reference
    backend = json.loads((out / "metadata.json").read_text())["backend"]
    assert backend == {"backend": "threads", "workers": workers}


def test_dask_local_cluster_gives_identical_bytes_and_closes(lhs_reference, monkeypatch):
    pytest.importorskip("distributed")
    psutil = pytest.importorskip("psutil")
    from lbp_headache.analysis import backends as sweep_backends

    root, reference = lhs_reference
    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    worker_pids: list[int] = []
    original_close = sweep_backends.DaskBackend.close

    def close_and_record(self):
        worker_pids.extend(self.client.run(os.getpid).values())
        original_close(self)

    monkeypatch.setattr(sweep_backends.DaskBackend, "close", close_and_record)
    spec = load_sweep(root / "chunk40.yaml")
    out = root / "dask"
    outcome = run_sweep(spec, out, workers=2, scheduler="local")
    assert outcome.chunks_run == 4
    assert (out / "results.csv").read_bytes() == reference
    backend = json.loads((out / "metadata.json").read_text())["backend"]
    assert backend == {"backend": "dask", "scheduler": "local", "workers": 2}
    # The chunks ran in two other processes, which are gone now.
    assert len(worker_pids) == 2 and os.getpid() not in worker_pids

    def running(pid: int) -> bool:
        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        alive = [pid for pid in worker_pids if running(pid)]
        left = [p for p in me.children(recursive=True) if p.pid not in before
                and "resource_tracker" not in " ".join(p.cmdline())]
        if not alive and not left:
            break
        time.sleep(0.1)
    assert not alive, f"Dask worker processes still running: {alive}"
    assert not left, f"child processes left behind: {[p.cmdline() for p in left]}"


# --- 3. resume after a kill ----------------------------------------------------------------


def test_resume_after_sigkill_gives_the_uninterrupted_table(tmp_path, capsys):
    # 24 chunks of 50 sets: roughly 0.05-0.1 s each, so there is ample time to
    # kill the run after its second chunk and long before it finishes.
    spec_file = write(tmp_path / "many_chunks.yaml", lhs_text(samples=1200, chunk_size=50,
                                                             seed=11))
    out = tmp_path / "killed"
    process = subprocess.Popen(
        [sys.executable, "-m", "lbp_headache", "sweep", str(spec_file), "--out", str(out),
         "--workers", "1"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        chunk_dir = out / "chunks" / LABEL
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            if chunk_dir.is_dir() and sum(1 for p in chunk_dir.iterdir()
                                          if CHUNK_NAME.match(p.name)) >= 2:
                break
            time.sleep(0.002)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL, (
        f"the sweep ended by itself before it could be killed: {stderr.decode()}")

    # Killed mid-run: no final outputs; only complete chunks carry a chunk's name.
    assert not (out / "results.csv").exists()
    assert not (out / "results.parquet").exists()
    assert not (out / "metadata.json").exists()
    assert (out / "chunks" / "fingerprint.json").is_file()
    finished = chunk_files(out)
    assert 2 <= len(finished) < 24
    assert [p.name for p in finished] == [f"chunk_{k:06d}.npz" for k in range(len(finished))]
    for path in finished:
        identity, chunk = parse_chunk(path.read_bytes())
        assert chunk["status"].shape == (50,)
        assert identity["first_set"] == 50 * int(path.stem.split("_")[1])
    for path in chunk_dir.iterdir():
        if not CHUNK_NAME.match(path.name):  # an interrupted atomic write at most
            assert path.name.startswith(".") and path.name.endswith(".tmp"), path.name
    kept = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in finished}

    code, stdout, stderr = cli(capsys, "sweep", spec_file, "--out", out, "--workers", 1,
                               "--resume")
    assert code == 0, stderr
    assert f", {len(kept)} chunks reused -> " in stdout
    meta = json.loads((out / "metadata.json").read_text())
    assert (meta["chunks_reused"], meta["chunks_run"]) == (len(kept), 24 - len(kept))
    # The finished chunks were reused, not computed again.
    assert {name: (chunk_dir / name).read_bytes() for name in kept} == {
        name: data for name, (data, _) in kept.items()}
    assert {name: (chunk_dir / name).stat().st_mtime_ns for name in kept} == {
        name: mtime for name, (_, mtime) in kept.items()}
    assert len(chunk_files(out)) == 24

    reference = tmp_path / "uninterrupted"
    outcome = run_sweep(load_sweep(spec_file), reference, workers=1)
    assert (outcome.chunks_run, outcome.chunks_reused) == (24, 0)
    assert (out / "results.csv").read_bytes() == (reference / "results.csv").read_bytes()


def test_resume_of_a_finished_run_reuses_every_chunk(grid_run, tmp_path):
    spec, _, out, _ = grid_run
    copy = tmp_path / "copy"
    for path in out.rglob("*"):
        if path.is_file():
            target = copy / path.relative_to(out)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    (copy / "results.csv").unlink()
    outcome = run_sweep(spec, copy, workers=1, resume=True)
    assert (outcome.chunks_run, outcome.chunks_reused) == (0, 3)
    assert (copy / "results.csv").read_bytes() == (out / "results.csv").read_bytes()


# --- 4. --resume refuses chunks of another sweep -------------------------------------------


def test_resume_after_changing_the_seed_exits_2_and_keeps_chunks(tmp_path, capsys):
    spec_file = write(tmp_path / "lhs.yaml", lhs_text(samples=24, chunk_size=8, seed=1))
    out = tmp_path / "out"
    code, _, stderr = cli(capsys, "sweep", spec_file, "--out", out, "--workers", 1)
    assert code == 0, stderr
    before = snapshot(out)
    assert len(chunk_files(out)) == 3

    write(spec_file, lhs_text(samples=24, chunk_size=8, seed=2))
    code, stdout, stderr = cli(capsys, "sweep", spec_file, "--out", out, "--workers", 1,
                               "--resume")
    assert code == 2
    assert stdout == ""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "Traceback" not in stderr
    assert "--resume" in lines[0] and "different sweep" in lines[0]
    assert "spec_sha256" in lines[0] and "without --resume" in lines[0]
    assert snapshot(out) == before  # nothing touched, not even the old table

    # Without --resume the folder is started over.
    code, stdout, stderr = cli(capsys, "sweep", spec_file, "--out", out, "--workers", 1)
    assert code == 0, stderr
    assert "reused" not in stdout
    assert json.loads((out / "metadata.json").read_text())["seed"] == 2


def test_resume_after_changing_the_base_scenario_exits_2(tmp_path, capsys):
    scenario = write(tmp_path / "base.yaml", "duration: 60 days\nlumbar_pain: 4\n")
    spec_file = write(tmp_path / "grid.yaml", grid_text(scenario=scenario))
    out = tmp_path / "out"
    assert cli(capsys, "sweep", spec_file, "--out", out, "--workers", 1)[0] == 0
    before = snapshot(out / "chunks")
    write(scenario, "duration: 60 days\nlumbar_pain: 5\n")
    code, _, stderr = cli(capsys, "sweep", spec_file, "--out", out, "--workers", 1, "--resume")
    assert code == 2
    assert "scenario_sha256" in stderr and "spec_sha256" not in stderr
    assert snapshot(out / "chunks") == before


def test_resume_with_other_engine_settings_raises(grid_run, tmp_path):
    spec, _, _, _ = grid_run
    run_sweep(spec, tmp_path, workers=1)
    with pytest.raises(sweep_module.ResumeError, match="engine"):
        run_sweep(spec, tmp_path, workers=1, resume=True,
                  settings=BatchSettings(rtol=1e-6))


# --- 5. trajectories only when asked -------------------------------------------------------


def test_trajectories_only_when_asked_and_only_those_variables(tmp_path):
    extra = ("trajectories: [headache, pain_threshold, lumbar_pain]\n"
             "states_at:\n  pain_threshold: [90 days, 6 months]\n")
    spec = load_sweep(write(tmp_path / "traj.yaml", grid_text(extra=extra)))
    run_sweep(spec, tmp_path / "with", workers=1)
    folder = tmp_path / "with" / "trajectories"
    assert listing(folder) == [
        f"{LABEL}__headache.npy", f"{LABEL}__lumbar_pain.npy", f"{LABEL}__pain_threshold.npy"]
    scenario = load_scenario(PERSISTENT)
    n_days = math.floor(scenario.duration) + 1  # days 0 .. 365
    arrays = {name: np.load(folder / f"{LABEL}__{name}.npy")
              for name in ("headache", "pain_threshold", "lumbar_pain")}
    for array in arrays.values():
        assert array.shape == (12, n_days) and array.dtype == np.float64
        assert np.all(np.isfinite(array))
    # The trajectories are those of single runs ...
    design = design_matrix(spec)
    for row in (0, 7):
        result = simulate(scenario, overrides=dict(zip(SWEPT, design[row])))
        for name, array in arrays.items():
            assert_allclose(array[row], result.daily[name], rtol=1e-4, atol=1e-5, err_msg=name)
    # ... and the states_at columns their values on those days (6 months -> day 182).
    header, rows = read_csv(tmp_path / "with" / "results.csv")
    assert header[-3:] == ["pain_threshold_day90", "pain_threshold_day182", "status"]
    assert_array_equal(column(header, rows, "pain_threshold_day90"),
                       arrays["pain_threshold"][:, 90])
    assert_array_equal(column(header, rows, "pain_threshold_day182"),
                       arrays["pain_threshold"][:, 182])
    _, chunk = parse_chunk(chunk_files(tmp_path / "with")[0].read_bytes())
    assert sorted(k for k in chunk if k.startswith("trajectory:")) == [
        "trajectory:headache", "trajectory:lumbar_pain", "trajectory:pain_threshold"]

    plain = load_sweep(write(tmp_path / "plain.yaml", grid_text()))
    assert plain.trajectories == ()
    run_sweep(plain, tmp_path / "without", workers=1)
    assert not (tmp_path / "without" / "trajectories").exists()
    for path in chunk_files(tmp_path / "without"):
        _, chunk = parse_chunk(path.read_bytes())
        assert not any(k.startswith("trajectory:") for k in chunk)
    # The table's numbers do not depend on what else was recorded.
    header_plain, rows_plain = read_csv(tmp_path / "without" / "results.csv")
    assert header_plain == header[:-3] + ["status"]
    assert [row[:-3] + [row[-1]] for row in rows] == rows_plain


def test_rerun_without_trajectories_leaves_no_stale_trajectories(tmp_path):
    extra = "trajectories: [headache]\n"
    run_sweep(load_sweep(write(tmp_path / "traj.yaml", grid_text(extra=extra))),
              tmp_path / "out", workers=1)
    assert (tmp_path / "out" / "trajectories").is_dir()
    run_sweep(load_sweep(write(tmp_path / "plain.yaml", grid_text())), tmp_path / "out",
              workers=1)
    assert not (tmp_path / "out" / "trajectories").exists()


def test_interrupted_rerun_leaves_no_stale_table(tmp_path, monkeypatch):
    first = load_sweep(write(tmp_path / "a.yaml", lhs_text(samples=24, chunk_size=8, seed=1)))
    run_sweep(first, tmp_path / "out", workers=1)
    second = load_sweep(write(tmp_path / "b.yaml", lhs_text(samples=24, chunk_size=8, seed=2)))
    calls = []

    def crash_on_second_chunk(job):
        calls.append(job.index)
        if len(calls) == 2:
            raise RuntimeError("killed")  # stands in for a kill
        return run_chunk(job)

    monkeypatch.setattr(sweep_module, "run_chunk", crash_on_second_chunk)
    with pytest.raises(RuntimeError, match="killed"):
        run_sweep(second, tmp_path / "out", workers=1)
    assert not (tmp_path / "out" / "results.csv").exists()


# --- 6. progress ---------------------------------------------------------------------------


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_quiet_off_a_terminal():
    assert terminal_progress(io.StringIO()) is None


def test_progress_bar_with_count_and_time_left():
    stream = FakeTerminal()
    show = terminal_progress(stream)
    assert callable(show)
    show(0, 2000, 0.0)
    first = stream.getvalue()
    assert "0/2,000 sets" in first and "left" not in first
    assert "[" + "-" * 30 + "]" in first
    show(500, 2000, 10.0)  # a quarter in 10 s: 30 s left
    second = stream.getvalue()[len(first):]
    assert second.startswith("\r")
    assert "500/2,000 sets" in second and "about 30 s left" in second
    assert "[" + "#" * 7 + "-" * 23 + "]" in second
    show(10, 2000, 60.0)  # 0.5 % in a minute: 11,940 s left
    assert "about 3.3 h left" in stream.getvalue()
    show(30, 2000, 60.0)  # 1.5 % in a minute: 3,940 s left
    assert "about 66 min left" in stream.getvalue()
    show(1000, 2000, 600.0)
    assert "about 10 min left" in stream.getvalue()
    before_end = stream.getvalue()
    show(2000, 2000, 1200.0)
    last = stream.getvalue()[len(before_end):]
    assert "2,000/2,000 sets" in last and "left" not in last and last.endswith("\n")
    assert "[" + "#" * 30 + "]" in last


def test_run_sweep_reports_progress_per_chunk(grid_run, tmp_path):
    spec, _, _, _ = grid_run
    calls = []
    run_sweep(spec, tmp_path, workers=1,
              progress=lambda done, total, elapsed: calls.append((done, total, elapsed)))
    assert calls[0] == (0, 12, 0.0)
    assert [total for _, total, _ in calls] == [12] * 4  # once at the start, once per chunk
    done = [d for d, _, _ in calls]
    assert sorted(np.diff(done)) == [2, 5, 5] and done[-1] == 12
    elapsed = [e for _, _, e in calls]
    assert elapsed == sorted(elapsed) and elapsed[-1] > 0


# --- 7. bad input on the command line ------------------------------------------------------


BAD_SPEC = f"""\
name: bad
scenario: {PERSISTENT}
parameters:
  posture_chian_stiffness: {{levels: 3}}
  tau_sensitization: {{low: 3 mg, high: 80 days}}
design: grid
chunk_sise: 4
"""


def test_bad_spec_reports_every_problem_and_writes_nothing(write_yaml, tmp_path, capsys):
    name = write_yaml("bad.yaml", BAD_SPEC)
    code, stdout, stderr = cli(capsys, "sweep", name, "--out", "out")
    assert code == 2
    assert stdout == "" and "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 3, lines
    found = [PROBLEM_LINE.match(line) for line in lines]
    assert all(found), lines
    assert [(m["file"], m["line"], m["key"]) for m in found] == [
        ("bad.yaml", "4", "parameters.posture_chian_stiffness"),
        ("bad.yaml", "5", "parameters.tau_sensitization.low"),
        ("bad.yaml", "7", "chunk_sise"),
    ]
    assert "did you mean 'posture_chain_stiffness'?" in found[0]["message"]
    assert "'mg'" in found[1]["message"] and "day" in found[1]["message"]
    assert "did you mean 'chunk_size'?" in found[2]["message"]
    assert not (tmp_path / "out").exists()
    assert listing(tmp_path) == ["bad.yaml", "persistent_back_pain.yaml"]


def test_bad_spec_in_a_subprocess_exits_2_without_traceback(write_yaml, tmp_path):
    name = write_yaml("bad.yaml", BAD_SPEC)
    done = subprocess.run([sys.executable, "-m", "lbp_headache", "sweep", name, "--out", "out"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 3
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("argv", "expected"), [
    (["missing.yaml"], ["missing.yaml: sweep file not found"]),
    (["grid.yaml", "--workers", "0"], ["--workers: must be a whole number >= 1"]),
    (["grid.yaml", "--workers", "-3"], ["--workers: must be a whole number >= 1"]),
    (["missing.yaml", "--workers", "0"], ["missing.yaml: sweep file not found",
                                          "--workers: must be a whole number >= 1"]),
])
def test_bad_command_line_exits_2_and_writes_nothing(write_yaml, tmp_path, capsys, argv,
                                                     expected):
    write_yaml("grid.yaml", grid_text())
    code, stdout, stderr = cli(capsys, "sweep", *argv, "--out", "out")
    assert code == 2
    assert stdout == ""
    assert stderr.strip().splitlines() == expected
    assert not (tmp_path / "out").exists()


def test_out_that_is_a_file_exits_2(write_yaml, tmp_path, capsys):
    write_yaml("grid.yaml", grid_text())
    (tmp_path / "out").write_text("not a folder")
    code, _, stderr = cli(capsys, "sweep", "grid.yaml", "--out", "out")
    assert code == 2
    assert stderr.strip() == "out: exists and is not a folder"
    assert (tmp_path / "out").read_text() == "not a folder"


# --- 8. a failed set -----------------------------------------------------------------------


# The failed set's garbage values pass through the vectorised metrics before being masked.
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_failed_set_gets_status_text_and_nan_metrics_only_in_its_row(grid_run):
    spec, _, _, _ = grid_run
    (label, scenario), = spec.scenarios
    rows = parameter_sets(spec, scenario, design_matrix(spec)[:5])
    rows[2, INDEX["neck_resting_tone"]] = 5.0  # far outside its physical meaning (0.02-0.3)
    job = ChunkJob(label, 0, 0, scenario, rows, spec.metrics, (("pain_threshold", 90.0),),
                   ("headache",), BatchSettings())
    columns = run_chunk(job)
    status = columns["status"]
    assert status.shape == (5,)
    assert STATUS_TEXT[int(status[2])] != "ok"
    assert [STATUS_TEXT[int(s)] for k, s in enumerate(status) if k != 2] == ["ok"] * 4
    for name in (*spec.metrics, "pain_threshold_day90"):
        assert np.isnan(columns[name][2]), name
    trajectory = columns["trajectory:headache"]
    assert np.all(np.isnan(trajectory[2]))
    assert np.all(np.isfinite(np.delete(trajectory, 2, axis=0)))
    # The good sets are exactly those of a chunk without the bad one.
    good = run_chunk(dataclasses.replace(job, parameter_sets=np.delete(rows, 2, axis=0)))
    for name in (*spec.metrics, "pain_threshold_day90", "trajectory:headache"):
        assert_array_equal(np.delete(columns[name], 2, axis=0), good[name], err_msg=name)
    for name in ("headache_days_per_month", "final_pain_threshold", "chronified"):
        assert np.all(np.isfinite(good[name])), name


def test_failed_set_in_the_table_and_exit_status(grid_run, tmp_path, capsys, monkeypatch):
    _, spec_file, reference, _ = grid_run

    def with_a_bad_set(spec, scenario, design):
        rows = parameter_sets(spec, scenario, design)
        bad = np.flatnonzero((design[:, 0] == 2.5) & (design[:, 1] == 0.0))
        rows[bad, INDEX["neck_resting_tone"]] = 5.0
        return rows

    monkeypatch.setattr(sweep_module, "parameter_sets", with_a_bad_set)
    out = tmp_path / "out"
    code, stdout, _ = cli(capsys, "sweep", spec_file, "--out", out, "--workers", 1)
    assert code == 1
    assert ", 1 failed -> " in stdout
    header, rows = read_csv(out / "results.csv")
    _, good_rows = read_csv(reference / "results.csv")
    bad = 9  # stiffness 2.5 (slowest axis, last level) x feedback 0 (first level)
    assert rows[bad][2:4] == ["2.5", "0.0"]
    assert rows[bad][-1] in set(STATUS_TEXT.values()) - {"ok"}
    assert rows[bad][4:-1] == [""] * len(METRIC_NAMES)
    assert rows[:bad] + rows[bad + 1:] == good_rows[:bad] + good_rows[bad + 1:]
    assert json.loads((out / "metadata.json").read_text())["failed_sets"] == 1


def test_time_left_after_resume_counts_only_the_sets_run_now():
    """Resumed with 1,500 of 2,000 sets done: 100 new sets in 10 s leave 40 s, not 3 s."""
    stream = FakeTerminal()
    show = terminal_progress(stream)
    show(1500, 2000, 0.0)
    show(1600, 2000, 10.0)
    assert "about 40 s left" in stream.getvalue()


def test_csv_fields_match_the_csv_module():
    """The table writer formats columns itself (fast); the result must be what csv writes."""
    import csv
    import io

    from lbp_headache.analysis.sweep.tables import _cells

    columns = [np.array(["plain", 'a "quoted", label', "x\ny"], dtype=object),
               np.arange(3), np.array([0.1, np.nan, 1e-300])]
    mine = "".join(",".join(row) + "\r\n" for row in zip(*[_cells(c) for c in columns]))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in zip(*[c.tolist() for c in columns]):
        writer.writerow(["" if isinstance(v, float) and v != v else
                         (repr(v) if isinstance(v, float) else v) for v in row])
    assert mine == buffer.getvalue()
