"""A sweep's tables, assembled from its verified chunk files.

``results.csv`` (one row per scenario and set: the swept inputs, the metrics,
a status), ``results.parquet`` (the same table, with the unit and meaning of
every column and the provenance in its schema metadata, when pyarrow is
installed) and ``trajectories/<label>__<variable>.npy``. Every table is
streamed from the chunks into a temporary file, so memory stays flat and a
failure leaves no partial table.
"""

from __future__ import annotations

import contextlib
import csv
import os
from pathlib import Path

import numpy as np
from lbp_headache.analysis.sweep.chunks import FOLDER, verified_chunk
from lbp_headache.analysis.sweep.spec import SweepSpec, column_info, table_columns
from lbp_headache.engine.status import STATUS_TEXT
from lbp_headache.files.json_data import to_json
from lbp_headache.files.output_folder import OutputFolder


def assemble(spec: SweepSpec, design: np.ndarray, out: OutputFolder, sweep_id: str,
             jobs: list, *, provenance: dict | None = None) -> tuple[list[Path], int]:
    """Write ``results.csv``, ``results.parquet`` and trajectories from the verified chunks.

    Every table is built in a temporary file; on any failure (a damaged
    chunk, a full disk, Ctrl-C) every temporary file is removed and the
    folder keeps no partial table. The Parquet schema carries the unit and
    meaning of every column (field metadata ``unit``, ``description``) and
    ``provenance`` (schema metadata ``lbp_headache.provenance``, JSON).

    Returns
    -------
    tuple
        The files written, and the number of failed sets.
    """
    header = table_columns(spec)
    failed = 0
    with contextlib.ExitStack() as stack:
        tmp_csv = stack.enter_context(out.new_file("results.csv"))
        parquet = _parquet_writer(stack, out, header, column_info(spec), provenance)
        trajectories: dict[tuple[str, str], np.memmap] = {}
        with open(tmp_csv, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for label, index, lo, hi in jobs:
                chunk = verified_chunk(out.path / FOLDER, sweep_id, label, index, lo, hi)
                status = chunk["status"]
                failed += int(np.count_nonzero(status))
                values = {name: design[lo:hi, k] for k, name in enumerate(spec.parameter_names)}
                values.update({name: chunk[name] for name in (*spec.metrics,
                                                               *spec.state_columns)})
                columns = [np.full(hi - lo, label, dtype=object), np.arange(lo, hi),
                           *[values[name] for name in header[2:-1]],
                           np.array([STATUS_TEXT[int(s)] for s in status], dtype=object)]
                lines = map(",".join, zip(*[_cells(column) for column in columns]))
                handle.write("".join(line + "\r\n" for line in lines))  # csv's dialect
                if parquet is not None:
                    parquet.write(columns)
                for variable in spec.trajectories:
                    key = (label, variable)
                    block = chunk[f"trajectory:{variable}"]
                    if key not in trajectories:
                        trajectories[key] = _open_trajectory(
                            stack, out, f"trajectories/{label}__{variable}.npy",
                            design.shape[0], block.shape[1])
                    trajectories[key][lo:hi] = block
            handle.flush()
            os.fsync(handle.fileno())
        if parquet is not None:
            parquet.close()
        for array in trajectories.values():
            array.flush()
        trajectories.clear()
    files = [out.path / "results.csv"]
    if parquet is not None:
        files.append(out.path / "results.parquet")
    files += [out.path / f"trajectories/{label}__{variable}.npy"
              for label, _ in spec.scenarios for variable in spec.trajectories]
    return files, failed


def _cells(column: np.ndarray) -> list[str]:
    """A column as CSV fields: floats in their shortest exact form (``repr``), NaN empty,
    text quoted as the ``csv`` module would."""
    values = column.tolist()  # Python numbers: formatting numpy scalars is several times slower
    if column.dtype.kind == "O":
        quoted = {v: _quote(str(v)) for v in set(values)}  # a few distinct labels
        return [quoted[v] for v in values]
    if column.dtype.kind != "f":
        return list(map(str, values))
    cells = list(map(repr, values))
    for k in np.flatnonzero(np.isnan(column)).tolist():
        cells[k] = ""
    return cells


def _quote(text: str) -> str:
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _open_trajectory(stack: contextlib.ExitStack, out: OutputFolder, rel: str, n_sets: int,
                     n_days: int) -> np.memmap:
    """A ``.npy`` memory map in a temporary file of ``rel``, its disk space reserved.

    Space is reserved up front (``posix_fallocate``): a full disk is then an
    ``OSError`` here, not a crash (SIGBUS) while the map is written.
    """
    tmp = stack.enter_context(out.new_file(rel))
    array = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float64, shape=(n_sets, n_days))
    if hasattr(os, "posix_fallocate"):
        with open(tmp, "r+b") as handle:
            os.posix_fallocate(handle.fileno(), 0, os.path.getsize(tmp))
    return array


class _ParquetStream:
    """``results.parquet`` written chunk by chunk into a temporary file."""

    def __init__(self, path: Path, header: list[str], info: dict[str, dict[str, str]],
                 provenance: dict | None):
        import pyarrow as pa  # lazy: pyarrow is heavy and optional
        import pyarrow.parquet as pq  # lazy: as above

        self._pa = pa
        types = {"scenario": pa.string(), "set": pa.int64(), "status": pa.string()}
        fields = [pa.field(name, types.get(name, pa.float64()),
                           metadata={key.encode(): str(value).encode()
                                     for key, value in info[name].items()})
                  for name in header]
        metadata = {b"lbp_headache.provenance": to_json(provenance or {}).encode("utf-8")}
        self.schema = pa.schema(fields, metadata=metadata)
        self.writer = pq.ParquetWriter(path, self.schema)

    def write(self, columns: list[np.ndarray]) -> None:
        arrays = [self._pa.array(list(columns[0]), self._pa.string()),
                  self._pa.array(columns[1].astype(np.int64))]
        arrays += [self._pa.array(np.asarray(c, dtype=float)) for c in columns[2:-1]]
        arrays.append(self._pa.array(list(columns[-1]), self._pa.string()))
        self.writer.write_table(self._pa.Table.from_arrays(arrays, schema=self.schema))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def _parquet_writer(stack: contextlib.ExitStack, out: OutputFolder, header: list[str],
                    info: dict[str, dict[str, str]], provenance: dict | None):
    try:
        import pyarrow  # noqa: F401  # lazy: is the optional pyarrow installed?
    except ImportError:
        return None
    stream = _ParquetStream(stack.enter_context(out.new_file("results.parquet")), header,
                            info, provenance)
    stack.callback(stream.close)  # closed before its temporary file is moved or removed
    return stream



def read_metric_columns(out: OutputFolder, spec: SweepSpec, sweep_id: str, names: list[str], *,
                        limit: int | None = None) -> dict[str, dict[str, np.ndarray]]:
    """Metric columns per scenario from the verified chunk files (the first ``limit`` sets)."""
    columns: dict[str, dict[str, np.ndarray]] = {}
    design_sets = spec.n_sets
    for label, _ in spec.scenarios:
        parts: dict[str, list[np.ndarray]] = {name: [] for name in names}
        count = 0
        for index, lo in enumerate(range(0, design_sets, spec.chunk_size)):
            if limit is not None and count >= limit:
                break
            hi = min(lo + spec.chunk_size, design_sets)
            chunk = verified_chunk(out.path / FOLDER, sweep_id, label, index, lo, hi)
            for name in names:
                parts[name].append(chunk[name])
            count += hi - lo
        columns[label] = {name: np.concatenate(values)[:limit] if values else np.empty(0)
                          for name, values in parts.items()}
    return columns
