"""Helpers shared by ``run.py`` and ``child.py`` (parameter sets, sweep spec, errors, files).

Imported by path (``python benchmarks/run.py`` puts this folder on ``sys.path``);
it imports nothing heavy at module level, so the child processes can time
their own imports.
"""

from __future__ import annotations

import os
import resource
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "persistent_back_pain.yaml"

ACCURACY_SEED = 20240601    # the sets every engine is checked against the reference on
THROUGHPUT_SEED = 20240602  # the larger sample the speed measurements take prefixes of
SWEEP_SEED = 20261124       # the sweep spec's latin hypercube

# Six patient parameters of scenarios/sweeps/treatment_robustness.yaml, full table ranges.
SWEPT_PARAMETERS = (
    ("posture_chain_stiffness", "{}"),
    ("sensitization_feedback", "{}"),
    ("tau_sensitization", "{scale: log}"),
    ("gain_migraine", "{}"),
    ("gain_il6_disc", "{scale: log}"),
    ("tau_headache", "{scale: log}"),
)
SWEEP_METRICS = (
    "headache_days_per_month", "mean_headache", "peak_headache", "headache_burden",
    "share_mechanical", "share_neurological", "share_inflammatory", "final_sensitization",
    "chronified",
)
# The relative error is taken against max(|reference|, RELATIVE_FLOOR).
RELATIVE_FLOOR = 0.1


def uniform_sets(n_sets: int, seed: int):
    """``n_sets`` full parameter rows drawn uniformly over every range of the parameter table."""
    import numpy as np
    from lbp_headache.core.parameters import PARAMETERS

    rng = np.random.default_rng(seed)
    low = np.array([p.low for p in PARAMETERS])
    high = np.array([p.high for p in PARAMETERS])
    return low + (high - low) * rng.random((n_sets, len(PARAMETERS)))


def relative_errors(headache, reference):
    """Per set: the largest over days of ``|h - h_ref| / max(|h_ref|, 0.1)``.

    Both arguments have shape ``(n_sets, n_days)``; rows of ``headache`` that
    are NaN (a failed run) give NaN.
    """
    import numpy as np

    scale = np.maximum(np.abs(reference), RELATIVE_FLOOR)
    return np.max(np.abs(headache - reference) / scale, axis=1)


def write_sweep_spec(folder: Path, n_sets: int, seed: int = SWEEP_SEED,
                     chunk_size: int | None = None) -> Path:
    """Write a metrics-only latin-hypercube sweep of ``n_sets`` sets into ``folder``.

    The scenario is copied next to the spec: a sweep file may only name files
    relative to its own folder (docs/security.md).
    """
    (Path(folder) / SCENARIO.name).write_bytes(SCENARIO.read_bytes())
    lines = [
        f"name: benchmark sweep of {n_sets} sets",
        "description: Benchmark (benchmarks/run.py); metrics only, no trajectories.",
        f"scenario: {SCENARIO.name}",
        "parameters:",
        *(f"  {name}: {options}" for name, options in SWEPT_PARAMETERS),
        "design: latin_hypercube",
        f"samples: {n_sets}",
        f"seed: {seed}",
        "metrics:",
        *(f"  - {metric}" for metric in SWEEP_METRICS),
    ]
    if chunk_size is not None:
        lines.append(f"chunk_size: {chunk_size}")
    path = Path(folder) / "benchmark_sweep.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, MiB.

    Read from ``VmHWM`` in ``/proc/self/status``: ``getrusage().ru_maxrss``
    cannot be used in a child process, because Linux carries the parent's
    peak over fork and exec into it (a child of a 750 MiB parent reports at
    least 750 MiB, whatever it uses itself). Elsewhere, ``ru_maxrss`` is the
    fallback.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def current_rss_mib() -> float:
    """Resident set size of this process now, MiB."""
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
        os.chmod(temporary, 0o644)  # mkstemp creates 0600; the report is for everyone
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
