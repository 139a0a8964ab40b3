"""A seeded mutation fuzzer of the project's input files (scenarios, diary CSV, sweeps).

Every mutant of a bundled input file must end in exactly one of three ways
(the contract of the command line, see docs/fuzzing.md):

* **rejected**: exit status 2, stderr one or more lines ``FILE:LINE: key: message``
  or ``FILE:LINE: message`` (``FILE: message`` for whole-file problems), no
  traceback, no line over :data:`MAX_LINE_CHARS` characters, and nothing in
  the output folder;
* **accepted**: exit status 0 and the expected output files;
* **model failure**: exit status 1, every stderr line saying ``simulation failed``
  (for a sweep: the summary line counts failed sets).

A sweep mutant that loads but holds more than ``max_sets`` parameter sets is
counted as **too large** instead of being run. Anything else (a traceback, a
malformed line, a hang past the time limit, memory past the memory limit, an
output folder after a rejection, an obviously wrong value that was accepted)
is a **violation**, reported with a reproducer.

Mutants are made from tables (:data:`TOKENS`, :data:`SETTINGS`, :data:`BYTES`,
:data:`UNITS`, :data:`CSV_TOKENS`, :data:`SPECIAL_CASES`, :data:`OPERATORS`),
so new cases are one line each. The same seed gives the same mutants.

Each mutant runs in a forked child of the parent process (which has imported
the model and warmed up its caches once): the child copies the scenarios tree
into a temporary folder, overwrites the mutated file, changes into that folder
and calls :func:`lbp_headache.cli.main.main` with its output redirected to files, under an
address-space limit; the parent kills it after the time limit.

Command line (the big run)::

    python -m tests.fuzzing --seed 1 --count 20000 --report fuzz-report.json
    python -m tests.fuzzing --seed 1 --count 20000 --only 1234 --keep /tmp/mutant
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import difflib
import faulthandler
import functools
import gc
import hashlib
import io
import json
import math
import os
import random
import re
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SCENARIO_ROOT = PROJECT_ROOT / "scenarios"
DIARY_CSV = "data/example_diary.csv"
DIARY_SCENARIO = "diary_example.yaml"

MAX_LINE_CHARS = 1000
DEFAULT_TIME_LIMIT = 20.0  # seconds of wall time per mutant
DEFAULT_MEMORY_LIMIT = 1.5e9  # bytes of growth per mutant
DEFAULT_MAX_SETS = 3000  # sweeps with more sets are loaded but not run
DEFAULT_FIGURE_EVERY = 10  # about one scenario mutant in this many is run with figures
STREAM_LIMIT = 100_000_000  # bytes of stdout/stderr read back from a child
FUZZER_ERROR = 73  # exit status of a child that could not set up its mutant

# Outcome classes.
REJECTED, ACCEPTED, MODEL_FAILURE, TOO_LARGE, VIOLATION = (
    "rejected", "accepted", "model_failure", "too_large", "violation")
OUTCOME_CLASSES = (REJECTED, ACCEPTED, MODEL_FAILURE, TOO_LARGE, VIOLATION)

# Token expectations: in a slot that needs a number, name or path ("strict"),
# a REJECT token must be refused; SUSPECT tokens accepted are noted, not failed.
REJECT, SUSPECT, ANY = "reject", "suspect", "any"

# Keys whose values are free text; every other value is "strict".
TEXT_KEYS = frozenset({"name", "description", "label"})


# --- tables --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    """A replacement for a scalar value, as YAML source text, and what it must lead to."""

    text: str
    expect: str = ANY


def _tokens(expect: str, *texts: str) -> tuple[Token, ...]:
    return tuple(Token(text, expect) for text in texts)


#: Values put in place of a scalar (as YAML source; escapes are YAML's own).
TOKENS: tuple[Token, ...] = (
    # decimal commas
    *_tokens(REJECT, "0,8", "1,2 g/day", "1,5 years", "'0,8'", "2,5 days", "1.200,5 mg/day"),
    # YAML 1.1 readings that differ from YAML 1.2
    *_tokens(SUSPECT, "010", "0o17", "1_000", "0b101", "0x1F", "+12", "012.5"),
    *_tokens(REJECT, "1:30", "'1:30'", "190:20:30", "yes", "no", "on", "off", "true", "false",
             "y", "n", "NO", "True"),
    *_tokens(ANY, "~", "", "null", "'010'", '"12"', "-0", "-0.0", "0", "1", "-1", "0.5"),
    # special floats and sizes
    *_tokens(SUSPECT, ".inf", "-.inf", "1e400", "1e-200 days", "5e-324 days", "1e308 days",
             "inf days"),
    *_tokens(REJECT, ".nan", ".NaN", "nan", "NaN days", "nan mg/day", "9" * 401,
             "0." + "0" * 400 + "1", "1" + "0" * 60 + " days"),
    # tags, anchors, aliases
    *_tokens(REJECT, "!!bool maybe", "!!python/object:os.system",
             "!!python/object/apply:os.system ['echo pwned']", "!!python/name:os.system",
             "!!binary aGVsbG8=", "!custom 5", "*undefined", "&a [*a]", "!!timestamp 2024-01-01",
             "2024-01-01", "!!set {a, b}", "!!omap [a: 1]"),
    *_tokens(ANY, "!!str 5", "!!int 5", "!!float 5", "&anchor 5"),
    # quantities that must not be evaluated or guessed
    *_tokens(REJECT, "10 ** 10 ** 10 days", "9 ** 9 ** 9", "2 ** 100000 days", "6 months 2",
             "5 days;", "1.2.3 days", '"$^^$"', "1 / 0 days", "(1 days", "1 day * 1 day",
             "3 kg", "1 yeer", "5 dayss", "__import__('os') days", "days", "mg/day", "1 day 2",
             "6 months - 7", "1 mg/day/day", "5 m/s", "1 " + "m" * 30_000,
             "1 " + "day * " * 2000 + "day"),
    *_tokens(ANY, "50 years", "50 years + 1 day", "1 minute", "12 hours", "-3 weeks",
             "6 months + 3 weeks", "6 months - 7 months", "1 fortnight", "100 %", "1 year",
             "36 hours", "2 weeks", "0 days", "1e9 days", "1e-9", "1e9", "1200 mg/day",
             "1.2 g/day", "60 mg/day", "1e12 mg/day", "1 g/hour", "0.001 mg/day",
             "  6 months  ", "6months", "6 MONTHS", "6 Months", "1 d", "1 degC", "10 percent"),
    # strings with control, format and line-separator characters
    *_tokens(REJECT, '"a\\0b"', '"\\x1b[31mred\\x1b[0m"', '"line1\\nline2"', '"\\u202eevil"',
             '"\\ud800"', '"tab\\tinside"', '"\\r"', '"\\u2028"', '"\\x85"', '"\\ufeff5"',
             '"5\\u200b days"', "ünïcødé", "名前", "١٢ days", "５ days", "'\\'", "\\x00"),
    # paths
    *_tokens(REJECT, "/etc/passwd", "../../../../etc/passwd", "/dev/zero", "/dev/urandom",
             "/proc/self/mem", "~/x.yaml", "data", ".", "..", "sweeps/", "'  '",
             "C:\\Windows\\win.ini", "file:///etc/passwd", "http://example.com/x.yaml",
             "../" * 300 + "etc/passwd"),
    *_tokens(ANY, "persistent_back_pain.yaml", "healthy.yaml", "./healthy.yaml",
             "sweeps/../healthy.yaml", "data/example_diary.csv", "../healthy.yaml"),
    # structure in place of a scalar
    *_tokens(ANY, "[]", "{}", "[1, 2]", "{type: constant}", "[[[[1]]]]", "{value: 1}",
             "# only a comment"),
    *_tokens(REJECT, "'unterminated", '"unterminated', "a: b", "- item", "[1, 2", "{a: 1",
             "? x", "| x", "> x", "@at", "`tick", "%percent", "x" * 100_000),
)

#: Replacements for a whole top-level key (in a sweep file, also of a nested one; a scenario's
#: nested ``duration`` is a treatment's, with other rules):
#: (file kind, key, value as YAML source, expectation). Missing keys are added.
SETTINGS: tuple[tuple[str, str, str, str], ...] = (
    ("sweep", "chunk_size", "300000", ANY),
    ("sweep", "chunk_size", "1", ANY),
    ("sweep", "chunk_size", "0", REJECT),
    ("sweep", "samples", "100000000", REJECT),
    ("sweep", "samples", "10000001", REJECT),
    ("sweep", "samples", "3001", ANY),
    ("sweep", "samples", "7", ANY),
    ("sweep", "samples", "1", ANY),
    ("sweep", "samples", "0", REJECT),
    ("sweep", "sobol_samples", "2097152", ANY),
    ("sweep", "sobol_samples", "100", REJECT),
    ("sweep", "bootstrap", "1000000000000", ANY),
    ("sweep", "bootstrap", "0", REJECT),
    ("sweep", "morris_trajectories", "1000000000", ANY),
    ("sweep", "morris_levels", "3", REJECT),
    ("sweep", "confidence_level", "1", REJECT),
    ("sweep", "levels", "10000", ANY),
    ("sweep", "levels", "3163", ANY),
    ("sweep", "levels", "2", ANY),
    ("sweep", "levels", "1", REJECT),
    ("sweep", "seed", "-1", REJECT),
    ("sweep", "seed", "18446744073709551616", ANY),
    ("sweep", "design", "random", ANY),
    ("sweep", "design", "grid", ANY),
    ("sweep", "trajectories", "[headache, pain_threshold, il6, neck_tension]", ANY),
    ("sweep", "states_at", "{pain_threshold: [0 days, 364 days]}", ANY),
    ("sweep", "states_at", "{pain_threshold: 400 days}", ANY),
    ("sweep", "fixed", "{gain_migraine: 0.8, tau_posture: 5 days}", ANY),
    ("scenario", "duration", "50 years", ANY),
    ("scenario", "duration", "50 years + 1 day", REJECT),
    ("scenario", "duration", "1e-200 days", ANY),
    ("scenario", "duration", "5e-324 days", ANY),
    ("scenario", "duration", "1 minute", ANY),
    ("scenario", "duration", "1 day", ANY),
    ("scenario", "duration", "0 days", REJECT),
    ("scenario", "duration", "-3 weeks", REJECT),
    ("scenario", "output_step", "1 minute", ANY),
    ("scenario", "output_step", "5e-324 days", ANY),
    ("scenario", "output_step", "1e-9 days", ANY),
    ("scenario", "output_step", "12 hours", ANY),
    ("scenario", "output_step", "100 years", REJECT),
    ("scenario", "seed", "-1", REJECT),
    ("scenario", "seed", "18446744073709551616", ANY),
    ("scenario", "seed", "0.5", REJECT),
    ("scenario", "initial_state", "{pain_threshold: 0.8}", ANY),
    ("scenario", "initial_state", "{pain_threshold: 0}", ANY),
    ("scenario", "initial_state", "{il6: 1e300}", ANY),
    ("scenario", "lumbar_pain", "{type: flares, baseline: 1, peak: 6, every: 1 day, "
                                "length: 0.5 days}", ANY),
    ("scenario", "lumbar_pain", "{type: flares, baseline: 1, peak: 6, every: 1e-9 days, "
                                "length: 1e-10 days}", ANY),
    ("scenario", "lumbar_pain", "{type: steps, steps: [{at: 1e-300 days, value: 5}]}", ANY),
    ("scenario", "lumbar_pain", "{type: natural_history, course: persistent, scale: 1e300}",
     ANY),
    ("scenario", "parameters", "{posture_chain_stiffness: 3, sensitization_feedback: 1.5}",
     ANY),
)

#: Characters inserted at a random place (surrogates stand for raw non-UTF-8 bytes).
BYTES: tuple[str, ...] = (
    "\x00", "\udc80", "\udcff", "\udcfe\udcff", "\udcc3", "\t", "\r", "\x1b", "\x7f", "\x0c",
    "\u202e", "\u2028", "\u2029", "\x85", "\ufeff", "\u200b", "\xa0", ": ", "#", "&", "*",
    "!", "|", ">", "%", "@", "`", "'", '"', "{", "}", "[", "]", ",", "-", "?", "\n", "\\",
)

#: Units put in place of a value's unit (or added to a bare number).
UNITS: tuple[str, ...] = (
    "days", "d", "day", "hours", "minutes", "seconds", "weeks", "months", "years", "mg/day",
    "g/day", "mg", "kg", "mg/hour", "1/day", "percent", "%", "degree", "deg", "pg/mL",
    "dimensionless", "m", "day**2", "mol", "kelvin", "degC", "millimonths", "fortnight",
    "planck_time", "µs", "°", "attoyears", "lightyear", "mg/day**-1", "dB", "radian",
)

#: CSV cell values: (text, expectation in the day column, expectation in the value column).
CSV_TOKENS: tuple[tuple[str, str, str], ...] = (
    ("4,2", REJECT, REJECT), ('"4,2"', REJECT, REJECT), ("nan", REJECT, REJECT),
    ("NaN", REJECT, REJECT), ("inf", REJECT, REJECT), ("-inf", REJECT, REJECT),
    ("1e400", REJECT, REJECT), ("-1", REJECT, REJECT), ("11", ANY, REJECT),
    ("10.0000001", ANY, REJECT), ("4.2.1", REJECT, REJECT), ("", REJECT, REJECT),
    (" 4.2", ANY, ANY), ("4.2 ", ANY, ANY), ("0x10", REJECT, REJECT), ("1_0", SUSPECT, SUSPECT),
    ("４", SUSPECT, SUSPECT), ("١", SUSPECT, SUSPECT), ("\x00", REJECT, REJECT),
    ("9" * 401, REJECT, REJECT), ("1e-320", ANY, ANY), ("+4", ANY, ANY), ("4e0", ANY, ANY),
    ("true", REJECT, REJECT), ("4.2e", REJECT, REJECT), ("1e9", ANY, REJECT),
    ("0.5", ANY, ANY), ("1.5", ANY, ANY), ("5 days", REJECT, REJECT), ("=1+1", REJECT, REJECT),
    ("\u202e4", REJECT, REJECT), ("4\r", ANY, ANY), ("x" * 5000, REJECT, REJECT),
)

#: Header lines put in place of ``day,value``: (text, expectation).
CSV_HEADERS: tuple[tuple[str, str], ...] = (
    ("day,valeu", REJECT), ("Day,Value", ANY), ("value,day", ANY), ("day;value", REJECT),
    ("day", REJECT), ("day,value,extra", ANY), ("", REJECT), ("\ufeffday,value", ANY),
    ("day,,value", REJECT), ("day,value,", ANY), ("0,4.2", REJECT), ("day\tvalue", REJECT),
    ('"day","value"', ANY), ("day, value", ANY),
)

#: Special files, each of which must be refused: (where the path is written, file kind,
#: path). Where: ``extends`` of a scenario, a ``diary`` file, a ``sweep``'s scenario, or the
#: ``target`` named on the command line itself. File kinds: fifo, symlink:TARGET (a link to
#: itself for loop.yaml / pipe_loop.csv), empty, dir, sparse (a 5 GB hole), none (missing),
#: self / cycle (``extends`` itself or a file extending it back), header (a header-only CSV).
SPECIAL_CASES: tuple[tuple[str, str, str], ...] = (
    ("extends", "fifo", "pipe.yaml"),
    ("extends", "symlink:loop.yaml", "loop.yaml"),
    ("extends", "symlink:/etc/passwd", "passwd.yaml"),
    ("extends", "symlink:/dev/zero", "zero.yaml"),
    ("extends", "empty", "empty.yaml"),
    ("extends", "dir", "folder.yaml"),
    ("extends", "sparse", "huge.yaml"),
    ("extends", "none", "missing.yaml"),
    ("extends", "self", ""),
    ("extends", "cycle", "cycle_b.yaml"),
    ("diary", "fifo", "data/pipe.csv"),
    ("diary", "symlink:/dev/zero", "data/zero.csv"),
    ("diary", "symlink:pipe_loop.csv", "data/pipe_loop.csv"),
    ("diary", "symlink:/etc/passwd", "data/passwd.csv"),
    ("diary", "empty", "data/empty.csv"),
    ("diary", "dir", "data/folder.csv"),
    ("diary", "sparse", "data/huge.csv"),
    ("diary", "none", "data/missing.csv"),
    ("diary", "header", "data/header_only.csv"),
    ("sweep", "fifo", "../pipe.yaml"),
    ("sweep", "symlink:loop.yaml", "../loop.yaml"),
    ("sweep", "symlink:/dev/zero", "../zero.yaml"),
    ("sweep", "empty", "../empty.yaml"),
    ("sweep", "sparse", "../huge.yaml"),
    ("target", "fifo", "pipe.yaml"),
    ("target", "symlink:/dev/zero", "zero.yaml"),
    ("target", "symlink:loop.yaml", "loop.yaml"),
    ("target", "sparse", "huge.yaml"),
    ("target", "dir", "folder.yaml"),
)

#: Unknown keys to add to a mapping: (key, value).
UNKNOWN_KEYS: tuple[tuple[str, str], ...] = (
    ("duraton", "1"), ("colour", "red"), ("__class__", "x"), ("<<", "{duration: 5 days}"),
    ("'<<'", "1"), ("'': 1", ""), ("1", "2"), ("null", "1"), ("true", "1"), ("Duration", "5"),
    ("'name '", "x"), ("\"\\u202eduration\"", "5"), ("x" * 500, "1"), ("? [a, b]", ""),
    ("&k key", "1"), ("!!python/name:os.system x", "1"), ("type_", "constant"),
)

#: Treatment items used to build long ``treatments:`` lists ({start} is filled in).
TREATMENT_TEMPLATES: tuple[str, ...] = (
    "{{type: physical_therapy, start: {start}, duration: 6 weeks}}",
    "{{type: nsaid, start: {start}, dose: 1200 mg/day, duration: 10 days}}",
    "{{type: neuropathic_medication, drug: duloxetine, start: {start}}}",
    "{{type: ergonomics, start: {start}, intensity: 0.5, adherence: 0.7}}",
    "{{type: parameter_change, parameter: tau_posture, value: 5 days, start: {start}, "
    "duration: 0.1 days}}",
)

#: How many treatments the ``treatments_many`` operator writes, with weights.
TREATMENT_COUNTS: tuple[tuple[int, float], ...] = ((2, 3), (20, 3), (300, 2.5), (3000, 1.5))

#: Share of mutants per kind of base file.
KIND_WEIGHTS: dict[str, float] = {"scenario": 0.76, "csv": 0.09, "sweep": 0.15}


# --- base files ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """Where a key, scalar or collection was written in a base file (character offsets)."""

    kind: str  # "key", "scalar", "map" or "seq"
    path: tuple
    start: int
    end: int
    column: int
    line: int  # 0-based
    flow: bool
    value: str

    @property
    def key(self) -> str:
        """The nearest mapping key above the slot (``""`` at the top)."""
        names = [p for p in self.path if isinstance(p, str)]
        return names[-1] if names else ""

    @property
    def strict(self) -> bool:
        """True when the value must be a number, name, path or structure (not free text)."""
        return self.key not in TEXT_KEYS

    @property
    def where(self) -> str:
        """The key path as the project writes it (``treatments[0].start``)."""
        text = ""
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
        return text or "(top)"


@dataclass(frozen=True)
class Base:
    """One bundled input file: its text and the slots of its YAML nodes."""

    path: str  # relative to the scenarios folder
    kind: str  # "scenario", "sweep" or "csv"
    text: str
    slots: tuple[Slot, ...]
    extends: str | None = None


def _walk(node, path: tuple, in_flow: bool, seen: set) -> Iterable[Slot]:
    if id(node) in seen:
        return
    seen.add(id(node))
    start, end = node.start_mark, node.end_mark
    if isinstance(node, yaml.ScalarNode):
        yield Slot("scalar", path, start.index, end.index, start.column, start.line, in_flow,
                   node.value)
        return
    flow = in_flow or bool(getattr(node, "flow_style", False))
    if isinstance(node, yaml.MappingNode):
        yield Slot("map", path, start.index, end.index, start.column, start.line, flow, "")
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else "?"
            yield Slot("key", (*path, name), key.start_mark.index, key.end_mark.index,
                       key.start_mark.column, key.start_mark.line, flow, name)
            yield from _walk(value, (*path, name), flow, seen)
    elif isinstance(node, yaml.SequenceNode):
        yield Slot("seq", path, start.index, end.index, start.column, start.line, flow, "")
        for index, item in enumerate(node.value):
            yield from _walk(item, (*path, index), flow, seen)


def yaml_slots(text: str) -> tuple[Slot, ...]:
    """Every key, scalar and collection of a YAML text with its position (empty if invalid)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return ()
    return tuple(_walk(node, (), False, set())) if node is not None else ()


def load_bases(root: Path = SCENARIO_ROOT) -> tuple[Base, ...]:
    """The bundled scenarios, sweeps and the example diary, in a fixed order."""
    bases = []
    for path in sorted(root.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        slots = yaml_slots(text)
        parent = next((s for s in slots if s.kind == "scalar" and s.path == ("extends",)), None)
        bases.append(Base(path.name, "scenario", text, slots, parent.value if parent else None))
    for path in sorted((root / "sweeps").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        bases.append(Base(f"sweeps/{path.name}", "sweep", text, yaml_slots(text)))
    csv_path = root / DIARY_CSV
    if csv_path.exists():
        bases.append(Base(DIARY_CSV, "csv", csv_path.read_text(encoding="utf-8"), ()))
    return tuple(bases)


def known_names() -> frozenset[str]:
    """Names a key typo may land on without being wrong (keys, parameters, metrics, states)."""
    names: set[str] = set()
    for base in load_bases():
        names.update(s.value for s in base.slots if s.kind == "key")
    with contextlib.suppress(Exception):  # the model may be mid-edit; the names are a bonus
        from lbp_headache.analysis.metrics import METRIC_NAMES
        from lbp_headache.core.parameters import PARAMETERS
        from lbp_headache.engine.result import COLUMNS

        names.update(p.name for p in PARAMETERS)
        names.update(COLUMNS)
        names.update(METRIC_NAMES)
    names.update({"type", "value", "at", "initial", "steps", "points", "baseline", "peak",
                  "first", "every", "length", "until", "course", "scale", "file", "label",
                  "start", "stop", "duration", "adherence", "intensity", "dose", "drug",
                  "parameter", "output_step", "seed", "initial_state", "low", "high", "levels",
                  "samples", "chunk_size", "fixed", "sensitivity", "methods", "output",
                  "sobol_samples", "morris_trajectories", "morris_levels", "bootstrap",
                  "confidence_level", "trajectories", "states_at", "scenarios", "scenario"})
    return frozenset(names)


# --- mutants ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Special:
    """A special file made in the mutant's tree: ``kind`` fifo, symlink, empty, dir, sparse."""

    path: str
    kind: str
    target: str = ""


@dataclass
class Mutant:
    """One mutated input and how to run it.

    Attributes
    ----------
    index
        Position in the generated list (with the seed, it reproduces the mutant).
    base
        The bundled file that was mutated (relative to the scenarios folder).
    command
        ``"run"`` or ``"sweep"``.
    target
        The file given to the command line (relative to the tree root).
    operators
        Names of the operators applied, in order.
    description
        What was changed, in words.
    files
        File contents to write over the bundled tree (relative path -> bytes).
    specials
        Special files to create (FIFOs, symlinks, ...).
    figures
        Run ``run`` without ``--no-figures``.
    must_reject
        The mutation put a value into the file that must be refused.
    suspect
        A SUSPECT token went in (noted when accepted).
    out_exists
        Create the (empty) output folder before the run.
    """

    index: int
    base: str
    command: str
    target: str
    operators: tuple[str, ...]
    description: str
    files: dict[str, bytes]
    specials: tuple[Special, ...] = ()
    figures: bool = False
    must_reject: bool = False
    suspect: str = ""
    out_exists: bool = False

    def argv(self, out: str) -> list[str]:
        """Arguments for :func:`lbp_headache.cli.main.main`."""
        if self.command == "sweep":
            return ["sweep", self.target, "--out", out]
        return ["run", self.target, "--out", out, *([] if self.figures else ["--no-figures"])]

    def fingerprint(self) -> str:
        """Hash of everything that decides the outcome (identical mutants run once)."""
        digest = hashlib.sha256()
        digest.update(repr((self.command, self.target, self.figures, self.out_exists,
                            self.specials, self.must_reject, self.suspect,
                            sorted(self.files))).encode())
        for name in sorted(self.files):
            digest.update(self.files[name])
        return digest.hexdigest()

    def reproducer(self, bases: dict[str, Base] | None = None, max_lines: int = 30) -> str:
        """A readable reproducer: command, special files and a diff of each mutated file."""
        bases = bases if bases is not None else {b.path: b for b in load_bases()}
        lines = [f"mutant #{self.index} [{' + '.join(self.operators)}] on {self.base}: "
                 f"{visible(self.description, 300)}",
                 f"  cd <copy of scenarios/> && lbp-headache {' '.join(self.argv('OUT'))}"]
        lines += [f"  special: {s.path} = {s.kind}{' -> ' + s.target if s.target else ''}"
                  for s in self.specials]
        for name, data in sorted(self.files.items()):
            text = data.decode("utf-8", "surrogateescape")
            old = bases[name].text if name in bases else ""
            diff = list(difflib.unified_diff(old.splitlines(), text.splitlines(),
                                             f"a/{name}", f"b/{name}", n=1, lineterm=""))
            if len(text) > 200_000 or len(diff) > max_lines:
                diff = diff[:max_lines] + [f"... ({len(text):,} characters in all)"]
            lines += ["  " + visible(line, 240) for line in diff] or [f"  {name}: unchanged"]
        return "\n".join(lines)


@dataclass
class Draft:
    """A mutant being built: the text (surrogate-escaped) and what was done to it."""

    base: Base
    text: str
    target: str
    command: str
    operators: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # other files to write (text)
    specials: list[Special] = field(default_factory=list)
    must_reject: bool = False
    suspect: str = ""
    touched_text: bool = False
    pristine: bool = True  # the text still has the base's slot positions


def visible(text: str, limit: int | None = None) -> str:
    """``text`` with control, format and non-UTF-8 characters as escapes, cut to ``limit``."""
    out = []
    for char in text:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif char == "\t" or (char.isprintable() and code not in (0x202E, 0x202D, 0x200B,
                                                                  0xFEFF)):
            out.append(char)
        else:
            out.append(char.encode("unicode_escape", "backslashreplace").decode("ascii"))
    line = "".join(out)
    return line if limit is None or len(line) <= limit else line[: limit - 3] + "..."


def _replace(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def _fit(token: str, slot: Slot, original: str) -> str:
    """``token`` made to stand where ``slot`` was (quoted in flow context when it must be)."""
    text = token
    if (slot.flow and text and text[0] not in "\"'!&*[{"
            and any(c in text for c in ",[]{}#")):
        text = json.dumps(text)
    if original.endswith("\n") and not text.endswith("\n"):
        text += "\n"
    return text


def _value_slots(draft: Draft, kinds=("scalar", "map", "seq")) -> list[Slot]:
    return [s for s in draft.base.slots if s.kind in kinds and s.path]


def _expectation(draft: Draft, expect: str, strict: bool, what: str) -> None:
    if expect == REJECT and strict:
        draft.must_reject = True
    elif expect == SUSPECT and strict:
        draft.suspect = what


# Slot operators: they edit the pristine text (each returns (start, end, text, description)
# or None) and may mark the draft; text operators below edit the current text.

SlotEdit = tuple[int, int, str, str]


def op_token(draft: Draft, rng: random.Random) -> SlotEdit | None:
    """Replace a value (scalar or collection) by a token from :data:`TOKENS`."""
    slots = _value_slots(draft)
    if not slots:
        return None
    slot = rng.choice(slots)
    token = rng.choice(TOKENS)
    original = draft.base.text[slot.start:slot.end]
    if slot.kind != "scalar" and not slot.flow and not original.endswith("\n"):
        return None
    _expectation(draft, token.expect, slot.strict, token.text)
    draft.touched_text |= not slot.strict
    return (slot.start, slot.end, _fit(token.text, slot, original),
            f"{slot.where} -> {visible(token.text, 80)!r}")


NUMBER = re.compile(r"^([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(\s*)(.*)$", re.S)


def op_number(draft: Draft, rng: random.Random) -> SlotEdit | None:
    """Replace the number of a numeric value by an extreme or scaled one (unit kept)."""
    slots = [s for s in _value_slots(draft, ("scalar",)) if NUMBER.match(s.value)]
    if not slots:
        return None
    slot = rng.choice(slots)
    number, space, unit = NUMBER.match(slot.value).groups()
    value = float(number)
    new = rng.choice([
        "0", "-1", "1e9", "1e-9", "1e308", "-1e-300", "2.5e-324", "1e-7", "1e15",
        repr(value * 1000), repr(value / 1000), repr(value + 1), repr(-value), repr(value * 1.01),
        repr(math.nextafter(value, math.inf)), str(int(value) + 10 ** 18),
    ])
    text = new + (space or (" " if unit else "")) + unit
    original = draft.base.text[slot.start:slot.end]
    return slot.start, slot.end, _fit(text, slot, original), f"{slot.where} -> {text!r}"


def op_unit(draft: Draft, rng: random.Random) -> SlotEdit | None:
    """Change a value's unit to another one from :data:`UNITS` (or add one to a bare number)."""
    slots = [s for s in _value_slots(draft, ("scalar",)) if NUMBER.match(s.value)]
    if not slots:
        return None
    slot = rng.choice(slots)
    number, _, unit = NUMBER.match(slot.value).groups()
    new_unit = rng.choice(UNITS)
    parts = unit.split(" ", 1) if unit else [""]
    rest = (" " + parts[1]) if len(parts) > 1 else ""
    text = f"{number} {new_unit}{rest}"
    original = draft.base.text[slot.start:slot.end]
    return slot.start, slot.end, _fit(text, slot, original), f"{slot.where} -> {text!r}"


def op_wrap(draft: Draft, rng: random.Random) -> SlotEdit | None:
    """Wrap a scalar (or flow collection) in a list or a mapping."""
    slots = [s for s in _value_slots(draft) if s.kind == "scalar" or s.flow]
    slots = [s for s in slots if not draft.base.text[s.start:s.end].endswith("\n")]
    if not slots:
        return None
    slot = rng.choice(slots)
    original = draft.base.text[slot.start:slot.end]
    pattern = rng.choice(["[{}]", "{{value: {}}}", "[{}, {}]", "{{{}: 1}}", "[[{}]]", "!!str {}"])
    text = pattern.format(original, original)
    return slot.start, slot.end, text, f"{slot.where} -> {visible(text, 80)!r}"


def _typo(word: str, rng: random.Random) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz_-. 0"
    i = rng.randrange(len(word) + 1)
    action = rng.choice(["insert", "delete", "swap", "replace", "case"])
    if action == "insert" or len(word) < 2:
        return word[:i] + rng.choice(letters) + word[i:]
    i = min(i, len(word) - 1)
    if action == "delete":
        return word[:i] + word[i + 1:]
    if action == "swap" and i < len(word) - 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if action == "case":
        return word[:i] + word[i].swapcase() + word[i + 1:]
    return word[:i] + rng.choice(letters) + word[i + 1:]


_NAMES: frozenset[str] | None = None


def op_key_typo(draft: Draft, rng: random.Random) -> SlotEdit | None:
    """Insert, delete, swap, replace or change the case of one character of a key."""
    global _NAMES
    slots = [s for s in draft.base.slots if s.kind == "key"]
    if not slots:
        return None
    slot = rng.choice(slots)
    new = _typo(slot.value, rng).strip()
    if not new or new == slot.value:
        return None
    if _NAMES is None:
        _NAMES = known_names()
    if new not in _NAMES and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", new):
        draft.must_reject = True
    text = json.dumps(new) if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", new) else new
    return slot.start, slot.end, text, f"key {slot.where} -> {new!r}"


def _add_to_mapping(draft: Draft, slot: Slot, key: str, value: str) -> SlotEdit:
    text = draft.base.text
    if slot.flow:
        inside = text[slot.start + 1:slot.end - 1].strip()
        entry = f"{key}: {value}" + (", " if inside else "")
        return slot.start + 1, slot.start + 1, entry, f"{slot.where} += {key}: {value}"
    line_start = text.rfind("\n", 0, slot.start) + 1
    indent = text[line_start:slot.start]
    pad = " " * slot.column if indent.strip() else indent
    return (slot.start, slot.start, f"{key}: {value}\n{pad}",
            f"{slot.where} += {visible(key, 40)}: {visible(value, 40)}")


def op_unknown_key(draft: Draft, rng: random.Random) -> SlotEdit | None:
    """Add a key from :data:`UNKNOWN_KEYS` to a mapping (top level or nested)."""
    slots = [s for s in draft.base.slots if s.kind == "map"]
    if not slots:
        return None
    slot = rng.choice(slots)
    key, value = rng.choice(UNKNOWN_KEYS)
    if slot.flow and value == "":
        return None
    draft.must_reject = True
    return _add_to_mapping(draft, slot, key, value)


def op_set_key(draft: Draft, rng: random.Random) -> SlotEdit | None:
    """Set a key to a value from :data:`SETTINGS` (replacing it, or adding it)."""
    choices = [s for s in SETTINGS if s[0] == draft.base.kind]
    if not choices:
        return None
    _, key, value, expect = rng.choice(choices)
    present = [s for s in draft.base.slots if s.kind != "key" and s.path and s.path[-1] == key
               and (len(s.path) == 1 or draft.base.kind != "scenario")]
    top = next((s for s in draft.base.slots if s.kind == "map" and s.path == ()), None)
    if present:
        slot = rng.choice(present)
        original = draft.base.text[slot.start:slot.end]
        if slot.kind != "scalar" and not slot.flow and not original.endswith("\n"):
            return None
        edit = (slot.start, slot.end, _fit(value, slot, original), f"{slot.where} = {value}")
    elif key in ("levels",):
        params = [s for s in draft.base.slots if s.kind == "map" and len(s.path) == 2
                  and s.path[0] == "parameters"]
        if not params:
            return None
        edit = _add_to_mapping(draft, rng.choice(params), key, value)
    elif key in ("sobol_samples", "bootstrap", "morris_trajectories", "morris_levels",
                 "confidence_level"):
        block = next((s for s in draft.base.slots if s.kind == "map"
                      and s.path == ("sensitivity",)), None)
        if block is None:
            if top is None:
                return None
            edit = _add_to_mapping(draft, top, "sensitivity", f"{{{key}: {value}}}")
        else:
            edit = _add_to_mapping(draft, block, key, value)
    elif top is not None:
        edit = _add_to_mapping(draft, top, key, value)
    else:
        return None
    _expectation(draft, expect, True, f"{key}: {value}")
    return edit


SLOT_OPERATORS = {
    "token": op_token, "number": op_number, "unit": op_unit, "wrap": op_wrap,
    "key_typo": op_key_typo, "unknown_key": op_unknown_key, "set_key": op_set_key,
}


# Text operators: edit draft.text in place and return a description (or None).

def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _block_key_lines(base: Base) -> set[int]:
    """0-based lines that start (after indentation) with a block-mapping key."""
    lines = _lines(base.text)
    found = set()
    for slot in base.slots:
        if slot.kind == "key" and not slot.flow and slot.line < len(lines):
            line = lines[slot.line]
            if len(line) - len(line.lstrip(" ")) == slot.column:
                found.add(slot.line)
    return found


def op_delete_line(draft: Draft, rng: random.Random) -> str | None:
    """Delete one line."""
    lines = _lines(draft.text)
    if not lines:
        return None
    i = rng.randrange(len(lines))
    draft.text = "".join(lines[:i] + lines[i + 1:])
    return f"deleted line {i + 1}: {visible(lines[i].rstrip(), 80)!r}"


def op_duplicate_line(draft: Draft, rng: random.Random) -> str | None:
    """Duplicate one line (a repeated block key must be refused)."""
    lines = _lines(draft.text)
    if not lines:
        return None
    i = rng.randrange(len(lines))
    line = lines[i] if lines[i].endswith("\n") else lines[i] + "\n"
    if draft.pristine and (i in _block_key_lines(draft.base) or draft.base.kind == "csv"):
        draft.must_reject = True
    draft.text = "".join(lines[:i] + [line] + lines[i:])
    return f"duplicated line {i + 1}: {visible(lines[i].rstrip(), 80)!r}"


def _ended(line: str) -> str:
    return line if line.endswith("\n") else line + "\n"


def op_swap_lines(draft: Draft, rng: random.Random) -> str | None:
    """Swap two lines (neighbours half the time)."""
    lines = _lines(draft.text)
    if len(lines) < 2:
        return None
    i = rng.randrange(len(lines) - 1)
    j = i + 1 if rng.random() < 0.5 else rng.randrange(len(lines))
    if i == j:
        return None
    a, b = lines[i], lines[j]
    lines[i], lines[j] = _ended(b), _ended(a)
    draft.text = "".join(lines)
    if draft.pristine and draft.base.kind == "csv" and min(i, j) >= 1 and a != b:
        draft.must_reject = True  # days out of order
    return f"swapped lines {i + 1} and {j + 1}"


def op_indent(draft: Draft, rng: random.Random) -> str | None:
    """Change the indentation of one line (spaces added or removed, or a tab)."""
    lines = _lines(draft.text)
    candidates = [i for i, line in enumerate(lines) if line.strip()]
    if not candidates:
        return None
    i = rng.choice(candidates)
    body = lines[i].lstrip(" \t")
    indent = lines[i][: len(lines[i]) - len(body)]
    new = rng.choice([indent + " ", indent + "  ", indent[:-1], indent[:-2], "\t" + indent,
                      indent.replace("  ", "\t"), "", "    " + indent, indent + "\t"])
    if new == indent:
        return None
    lines[i] = new + body
    draft.text = "".join(lines)
    return f"indentation of line {i + 1}: {len(indent)} -> {visible(new)!r}"


def op_insert_byte(draft: Draft, rng: random.Random) -> str | None:
    """Insert a character or raw byte from :data:`BYTES` at a random place."""
    char = rng.choice(BYTES)
    i = rng.randrange(len(draft.text) + 1)
    draft.text = draft.text[:i] + char + draft.text[i:]
    line = draft.text.count("\n", 0, i) + 1
    return f"inserted {visible(char)!r} at character {i} (line {line})"


def op_truncate(draft: Draft, rng: random.Random) -> str | None:
    """Cut the file at a random character (an empty file must be refused)."""
    i = rng.randrange(len(draft.text) + 1) if rng.random() < 0.95 else 0
    if i == 0 and draft.pristine:
        draft.must_reject = True
    draft.text = draft.text[:i]
    return f"truncated at character {i} of {len(draft.base.text)}"


def op_line_endings(draft: Draft, rng: random.Random) -> str | None:
    """CRLF or CR line endings, a byte-order mark, no final newline, trailing blanks."""
    choice = rng.choice(["crlf", "cr", "bom", "no_final_newline", "trailing_blanks",
                         "blank_lines"])
    text = draft.text
    if choice == "crlf":
        text = text.replace("\n", "\r\n")
    elif choice == "cr":
        text = text.replace("\n", "\r")
    elif choice == "bom":
        text = "\ufeff" + text
    elif choice == "no_final_newline":
        text = text.rstrip("\n")
    elif choice == "trailing_blanks":
        text = text.replace("\n", "   \n")
    else:
        text = text.replace("\n", "\n\n")
    draft.text = text
    return choice


def _alias_bomb(levels: int = 9) -> str:
    lines = ["bomb_0: &b0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for k in range(1, levels):
        lines.append(f"bomb_{k}: &b{k} [" + ", ".join([f"*b{k - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


STRUCTURES: tuple[tuple[str, Callable[[str], str], str], ...] = (
    ("not_mapping_number", lambda text: "42\n", REJECT),
    ("not_mapping_list", lambda text: "- a\n- b\n", REJECT),
    ("not_mapping_null", lambda text: "~\n", REJECT),
    ("not_mapping_string", lambda text: '"just text"\n', REJECT),
    ("empty", lambda text: "", REJECT),
    ("only_comment", lambda text: "# nothing here\n", REJECT),
    ("multi_document", lambda text: text + "\n---\nduration: 5 days\n", REJECT),
    ("document_end", lambda text: text + "\n...\n", ANY),
    ("document_start", lambda text: "---\n" + text, ANY),
    ("yaml_directive", lambda text: "%YAML 1.1\n---\n" + text, ANY),
    ("bad_directive", lambda text: "%YAML 9.9\n---\n" + text, ANY),
    ("alias_bomb", lambda text: text.rstrip("\n") + "\n" + _alias_bomb(), REJECT),
    ("deep_nesting_60", lambda text: text + "deep: " + "[" * 60 + "]" * 60 + "\n", REJECT),
    ("deep_nesting_1000", lambda text: text + "deep: " + "[" * 1000 + "]" * 1000 + "\n",
     REJECT),
    ("deep_nesting_100k", lambda text: text + "deep: " + "[" * 100_000 + "\n", REJECT),
    ("deep_mapping", lambda text: text + "deep: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n",
     REJECT),
    ("oversize", lambda text: text + "# " + "x" * 1_100_000 + "\n", REJECT),
    ("big_comment", lambda text: text + ("# " + "y" * 78 + "\n") * 11_000, ANY),
    ("long_line_comment", lambda text: text + "# " + "z" * 200_000 + "\n", ANY),
    ("many_keys", lambda text: text + "".join(f"k{i}: {i}\n" for i in range(20_000)), REJECT),
    ("anchors", lambda text: "x: &a 1\n" + text, REJECT),
    ("tab_indent", lambda text: text.replace("\n  ", "\n\t"), ANY),
)


def op_structure(draft: Draft, rng: random.Random) -> str | None:
    """Whole-file changes: not a mapping, several documents, alias bomb, deep nesting, size."""
    name, change, expect = rng.choice(STRUCTURES)
    if draft.base.kind == "csv" and name not in ("empty", "oversize", "big_comment"):
        return None
    if draft.base.kind == "csv" and name == "oversize":
        draft.text += "\n".join(f"{i},1" for i in range(200, 800_000)) + "\n"
    else:
        draft.text = change(draft.text)
    if draft.pristine and expect == REJECT:
        draft.must_reject = True
    return name


def op_treatments_many(draft: Draft, rng: random.Random) -> str | None:
    """Replace the ``treatments:`` list by many items (up to 3000)."""
    if draft.base.kind != "scenario":
        return None
    counts, weights = zip(*TREATMENT_COUNTS)
    n = rng.choices(counts, weights)[0]
    lines = _lines(draft.text)
    kept, skipping = [], False
    for line in lines:
        if re.match(r"treatments\s*:", line):
            skipping = True
            continue
        if skipping and line.strip() and not line[0].isspace() and not line.startswith(("-", "#")):
            skipping = False
        if not skipping:
            kept.append(line)
    text = "".join(kept)
    if text and not text.endswith("\n"):
        text += "\n"
    templates = rng.sample(TREATMENT_TEMPLATES, rng.randint(1, len(TREATMENT_TEMPLATES)))
    items = []
    for k in range(n):
        start = f"{(k * 0.1) % 300:.1f} days" if n > 300 else f"{k % 300} days"
        items.append("  - " + templates[k % len(templates)].format(start=start) + "\n")
    draft.text = text + "treatments:\n" + "".join(items)
    return f"{n} treatments ({len(templates)} kinds)"


def op_special(draft: Draft, rng: random.Random) -> str | None:
    """Point ``extends:``, a diary ``file:`` or a sweep ``scenario:`` at a special file."""
    kind = draft.base.kind
    allowed = {"scenario": ("extends", "target"), "csv": ("diary",), "sweep": ("sweep",)}[kind]
    cases = [c for c in SPECIAL_CASES if c[0] in allowed]
    where, file_kind, name = rng.choice(cases)
    draft.must_reject = True
    if where == "target":
        draft.specials.append(_special(name, file_kind))
        draft.target = name
        return f"the scenario named on the command line is {file_kind} {name}"
    if where == "extends":
        if file_kind == "self":
            name = draft.base.path
        elif file_kind == "cycle":
            draft.files[name] = f"extends: {draft.base.path}\nduration: 5 days\n"
        else:
            special = _special(name, file_kind)
            if special:
                draft.specials.append(special)
        draft.text = _set_top_key(draft.text, "extends", name)
        return f"extends: {name} ({file_kind})"
    if where == "diary":
        if file_kind == "header":
            draft.files[name] = "day,value\n"
        else:
            special = _special(name, file_kind)
            if special:
                draft.specials.append(special)
        diary = draft.files.get(DIARY_SCENARIO, _bundled_text(DIARY_SCENARIO))
        draft.files[DIARY_SCENARIO] = diary.replace(DIARY_CSV, name)
        return f"diary file: {name} ({file_kind})"
    special = _special(name, file_kind)
    if special:
        draft.specials.append(special)
    text = re.sub(r"(?m)^scenario:.*$", f"scenario: {name}", draft.text)
    text = re.sub(r"(?m)^  - \.\./physical_therapy\.yaml$", f"  - {name}", text)
    draft.text = text
    return f"sweep scenario: {name} ({file_kind})"


def _special(name: str, file_kind: str) -> Special | None:
    if file_kind.startswith("symlink:"):
        target = file_kind.split(":", 1)[1]
        if target in ("loop.yaml", "pipe_loop.csv"):
            target = os.path.basename(name)  # a link to itself
        return Special(name.removeprefix("../"), "symlink", target)
    if file_kind == "none":
        return None
    return Special(name.removeprefix("../"), file_kind)


def _set_top_key(text: str, key: str, value: str) -> str:
    pattern = re.compile(rf"(?m)^{key}\s*:.*$")
    if pattern.search(text):
        return pattern.sub(f"{key}: {value}", text, count=1)
    return f"{key}: {value}\n" + text


_BUNDLED: dict[str, str] = {}


def _bundled_text(name: str) -> str:
    if name not in _BUNDLED:
        _BUNDLED[name] = (SCENARIO_ROOT / name).read_text(encoding="utf-8")
    return _BUNDLED[name]


# CSV operators.

def op_csv_cell(draft: Draft, rng: random.Random) -> str | None:
    """Replace a day or value cell of the diary by a token from :data:`CSV_TOKENS`."""
    lines = _lines(draft.text)
    if len(lines) < 2:
        return None
    i = rng.randrange(1, len(lines))
    cells = lines[i].rstrip("\r\n").split(",")
    if len(cells) != 2:
        return None
    column = rng.randrange(2)
    text, expect_day, expect_value = rng.choice(CSV_TOKENS)
    cells[column] = text
    lines[i] = ",".join(cells) + "\n"
    draft.text = "".join(lines)
    _expectation(draft, expect_value if column else expect_day, draft.pristine, text)
    return f"line {i + 1} {'value' if column else 'day'} -> {visible(text, 60)!r}"


def op_csv_header(draft: Draft, rng: random.Random) -> str | None:
    """Replace the header line by one from :data:`CSV_HEADERS`."""
    lines = _lines(draft.text)
    text, expect = rng.choice(CSV_HEADERS)
    lines[0:1] = [text + "\n"]
    draft.text = "".join(lines)
    _expectation(draft, expect, draft.pristine, text)
    return f"header -> {visible(text)!r}"


def op_csv_rows(draft: Draft, rng: random.Random) -> str | None:
    """Append many rows, or rows far in the future, or reverse the rows."""
    lines = _lines(draft.text)
    choice = rng.choice(["many", "far", "reverse", "sparse", "fractional"])
    if choice == "many":
        last = len(lines) - 1
        draft.text += "".join(f"{day},2\n" for day in range(last, last + 30_000))
    elif choice == "far":
        draft.text += "1000000,3\n1e15,3\n"
    elif choice == "reverse":
        draft.text = lines[0] + "".join(reversed(lines[1:]))
        if draft.pristine:
            draft.must_reject = True
    elif choice == "sparse":
        draft.text = lines[0] + "".join(lines[1::40])
    else:
        draft.text = lines[0] + "".join(f"{k * 0.001:.3f},{(k % 10)}\n" for k in range(5000))
    return choice


OperatorFunction = Callable[[Draft, random.Random], object]


@dataclass(frozen=True)
class Operator:
    """A mutation operator: its function, level (slot or text), the file kinds and weight."""

    name: str
    function: OperatorFunction
    level: str
    kinds: tuple[str, ...]
    weight: float


YAML_KINDS = ("scenario", "sweep")
ALL_KINDS = ("scenario", "sweep", "csv")

#: Every operator with the kinds of file it applies to and its weight.
OPERATORS: tuple[Operator, ...] = (
    Operator("token", op_token, "slot", YAML_KINDS, 30),
    Operator("number", op_number, "slot", YAML_KINDS, 8),
    Operator("unit", op_unit, "slot", YAML_KINDS, 6),
    Operator("wrap", op_wrap, "slot", YAML_KINDS, 4),
    Operator("key_typo", op_key_typo, "slot", YAML_KINDS, 8),
    Operator("unknown_key", op_unknown_key, "slot", YAML_KINDS, 5),
    Operator("set_key", op_set_key, "slot", YAML_KINDS, 6),
    Operator("delete_line", op_delete_line, "text", ALL_KINDS, 5),
    Operator("duplicate_line", op_duplicate_line, "text", ALL_KINDS, 5),
    Operator("swap_lines", op_swap_lines, "text", ALL_KINDS, 4),
    Operator("indent", op_indent, "text", YAML_KINDS, 4),
    Operator("insert_byte", op_insert_byte, "text", ALL_KINDS, 6),
    Operator("truncate", op_truncate, "text", ALL_KINDS, 4),
    Operator("line_endings", op_line_endings, "text", ALL_KINDS, 2),
    Operator("structure", op_structure, "text", ALL_KINDS, 3),
    Operator("treatments_many", op_treatments_many, "text", ("scenario",), 3),
    Operator("special", op_special, "text", ALL_KINDS, 2.5),
    Operator("csv_cell", op_csv_cell, "text", ("csv",), 40),
    Operator("csv_header", op_csv_header, "text", ("csv",), 8),
    Operator("csv_rows", op_csv_rows, "text", ("csv",), 6),
)


def _pick(rng: random.Random, kind: str) -> Operator:
    choices = [op for op in OPERATORS if kind in op.kinds]
    return rng.choices(choices, [op.weight for op in choices])[0]


def _children(bases: Sequence[Base]) -> dict[str, list[str]]:
    children: dict[str, list[str]] = collections.defaultdict(list)
    for base in bases:
        if base.extends:
            children[base.extends].append(base.path)
    return children


def make_mutant(index: int, rng: random.Random, bases: Sequence[Base],
                figure_every: int = DEFAULT_FIGURE_EVERY) -> Mutant:
    """One mutant drawn with ``rng`` (deterministic for a given state of ``rng``)."""
    kinds = [k for k in KIND_WEIGHTS if any(b.kind == k for b in bases)]
    kind = rng.choices(kinds, [KIND_WEIGHTS[k] for k in kinds])[0]
    base = rng.choice([b for b in bases if b.kind == kind])
    children = _children(bases)
    if kind == "csv":
        target, command = DIARY_SCENARIO, "run"
    elif kind == "sweep":
        target, command = base.path, "sweep"
    else:
        target, command = base.path, "run"
    draft = Draft(base, base.text, target, command)
    n_ops = 1 + (rng.random() < 0.25) + (rng.random() < 0.08)
    chosen = [_pick(rng, kind) for _ in range(n_ops)]
    chosen.sort(key=lambda op: op.level != "slot")  # slot edits need the pristine text
    edits: list[SlotEdit] = []
    for op in chosen:
        if op.level == "slot":
            promises = draft.must_reject, draft.suspect, draft.touched_text
            edit = op.function(draft, rng)
            if edit is None or any(not (edit[1] <= e[0] or edit[0] >= e[1]) or edit[0] == e[0]
                                   for e in edits):
                # A discarded edit keeps no promise it made ("must be refused", ...).
                draft.must_reject, draft.suspect, draft.touched_text = promises
                continue
            edits.append(edit)
            draft.operators.append(op.name)
            draft.notes.append(edit[3])
    for start, end, new, _ in sorted(edits, reverse=True):
        draft.text = _replace(draft.text, start, end, new)
    draft.pristine = not edits
    for op in chosen:
        if op.level == "text":
            note = op.function(draft, rng)
            if note is not None:
                draft.operators.append(op.name)
                draft.notes.append(str(note))
                draft.pristine = False
    if not draft.operators:  # every chosen operator declined: fall back to a token
        draft.text = base.text
        note = op_insert_byte(draft, rng)
        draft.operators.append("insert_byte")
        draft.notes.append(note or "")
    # Only a single change makes a "must be refused" promise (a second may undo it), and only
    # when the mutated file is the one named on the command line (or the diary it reads).
    must_reject = draft.must_reject and len(draft.operators) == 1
    if kind == "scenario" and draft.target == base.path and children.get(base.path) \
            and not draft.specials and rng.random() < 0.25:
        draft.target = rng.choice(children[base.path])
        must_reject = False
    figures = command == "run" and (rng.random() < 1.0 / max(figure_every, 1)
                                    or (draft.touched_text and rng.random() < 0.5))
    files = {base.path: draft.text.encode("utf-8", "surrogateescape")}
    files.update({k: v.encode("utf-8", "surrogateescape") for k, v in draft.files.items()})
    return Mutant(index=index, base=base.path, command=command, target=draft.target,
                  operators=tuple(draft.operators), description="; ".join(draft.notes),
                  files=files, specials=tuple(draft.specials), figures=figures,
                  must_reject=must_reject, suspect=draft.suspect if len(draft.operators) == 1
                  else "", out_exists=rng.random() < 0.1)


def generate_mutants(seed: int, count: int, *, figure_every: int = DEFAULT_FIGURE_EVERY,
                     bases: Sequence[Base] | None = None) -> list[Mutant]:
    """``count`` mutants of the bundled files; the same seed gives the same mutants."""
    bases = tuple(bases) if bases is not None else load_bases()
    rng = random.Random(seed)
    return [make_mutant(i, rng, bases, figure_every) for i in range(count)]


# --- running one mutant ------------------------------------------------------------------------


@dataclass
class RunRecord:
    """What a child run produced (raw material for :func:`classify`)."""

    rc: int | None
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    memory_bytes: float = 0.0
    timed_out: bool = False
    signal: int | None = None
    hang_dump: str = ""
    out_exists: bool = False
    out_files: tuple[str, ...] = ()
    too_large: int | None = None
    summary: dict | None = None


@dataclass
class Outcome:
    """The class of a mutant's run and, for a violation, its kind and reason."""

    cls: str
    rc: int | None
    seconds: float
    memory_mb: float
    kind: str = ""
    reason: str = ""
    stderr: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cached: bool = False


def _rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _vm_bytes() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def build_tree(mutant: Mutant, snapshot: Path, tree: Path) -> None:
    """Copy the scenarios tree to ``tree`` and write the mutant's files and special files."""
    shutil.copytree(snapshot, tree, symlinks=True)
    for name, data in mutant.files.items():
        path = tree / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    for special in mutant.specials:
        path = tree / special.path
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() or path.is_symlink():
            path.unlink()
        if special.kind == "fifo":
            os.mkfifo(path)
        elif special.kind == "symlink":
            os.symlink(special.target, path)
        elif special.kind == "empty":
            path.write_bytes(b"")
        elif special.kind == "dir":
            path.mkdir()
        elif special.kind == "sparse":
            with open(path, "wb") as handle:
                handle.truncate(5 * 2 ** 30)


def _sweep_sets(target: str) -> int | None:
    from lbp_headache.analysis.sweep.reader import load_sweep

    try:
        spec = load_sweep(target)
    except Exception:
        return None
    return int(spec.n_sets) * max(1, len(spec.scenarios))


def _child(mutant: Mutant, snapshot: Path, workdir: Path, time_limit: float,
           memory_limit: float, max_sets: int) -> None:
    """Body of the forked child: never returns (ends with ``os._exit``)."""
    code = 70
    try:
        for number, name in ((1, "stdout"), (2, "stderr")):
            fd = os.open(workdir / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(fd, number)
            os.close(fd)
        sys.stdout = open(1, "w", encoding="utf-8", errors="strict", closefd=False)
        sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace",
                          closefd=False)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        tree = workdir / "tree"
        try:
            build_tree(mutant, snapshot, tree)
        except OSError as error:
            print(f"fuzzer: cannot build the tree: {error}", file=sys.stderr)
            code = FUZZER_ERROR
            return
        out = workdir / "out"
        if mutant.out_exists:
            out.mkdir()
        os.chdir(tree)
        (workdir / "rss0").write_text(str(_rss_kb()))
        limit = int(_vm_bytes() + memory_limit)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        hang = open(workdir / "hang", "w")
        faulthandler.dump_traceback_later(max(1.0, time_limit * 0.85), file=hang)
        if mutant.command == "sweep":
            sets = _sweep_sets(mutant.target)
            if sets is not None and sets > max_sets:
                (workdir / "too_large").write_text(str(sets))
                code = 0
                return
        from lbp_headache.cli.main import main

        result = main(mutant.argv(str(out)))
        if isinstance(result, int) and not isinstance(result, bool) and 0 <= result < 256:
            code = result
        else:
            print(f"fuzzer: main() returned {result!r}", file=sys.stderr)
            code = 71
    except SystemExit as stop:
        print(f"fuzzer: SystemExit({stop.code!r}) escaped main()", file=sys.stderr)
        code = 72
    except BaseException:
        traceback.print_exc()
        code = 70
    finally:
        with contextlib.suppress(BaseException):
            (workdir / "ended").write_text(repr(time.monotonic()))
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
        with contextlib.suppress(BaseException):
            sys.stderr.flush()
        os._exit(code)


def _read(path: Path, limit: int = 2_000_000) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read(limit).decode("utf-8", "backslashreplace")
    except OSError:
        return ""


def _listing(folder: Path, limit: int = 2000) -> tuple[bool, tuple[str, ...]]:
    if not folder.is_dir():
        return folder.exists() or folder.is_symlink(), ()
    found = []
    for root, _, names in os.walk(folder):
        for name in names:
            found.append(os.path.relpath(os.path.join(root, name), folder))
            if len(found) >= limit:
                return True, tuple(sorted(found))
    return True, tuple(sorted(found))


def _summary(out: Path, mutant: Mutant) -> dict | None:
    path = out / Path(mutant.target).stem / "summary.json"
    try:
        if path.stat().st_size > 200_000_000:
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class _Running:
    """A started child: its mutant, folder and start time."""

    def __init__(self, mutant: Mutant, workdir: Path, pid: int):
        self.mutant, self.workdir, self.pid = mutant, workdir, pid
        self.started = time.monotonic()


def _start(mutant: Mutant, snapshot: Path, scratch: Path, time_limit: float,
           memory_limit: float, max_sets: int) -> _Running:
    workdir = Path(tempfile.mkdtemp(prefix=f"m{mutant.index:06d}-", dir=scratch))
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        _child(mutant, snapshot, workdir, time_limit, memory_limit, max_sets)
    return _Running(mutant, workdir, pid)


def _finish(running: _Running, status: int, usage, *, timed_out: bool, time_limit: float,
            memory_limit: float, keep: bool = False) -> Outcome:
    mutant, workdir = running.mutant, running.workdir
    ended = _read(workdir / "ended").strip()  # the child's own clock: the parent may lag
    try:
        seconds = float(ended) - running.started
    except ValueError:
        seconds = time.monotonic() - running.started
    rss0 = _read(workdir / "rss0").strip()
    growth = max(0.0, (usage.ru_maxrss - (int(rss0) if rss0.isdigit() else 0)) * 1024.0)
    out = workdir / "out"
    exists, files = _listing(out)
    too_large = _read(workdir / "too_large").strip()
    record = RunRecord(
        rc=os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        stdout=_read(workdir / "stdout", STREAM_LIMIT),
        stderr=_read(workdir / "stderr", STREAM_LIMIT),
        seconds=seconds, memory_bytes=growth, timed_out=timed_out,
        signal=os.WTERMSIG(status) if os.WIFSIGNALED(status) and not timed_out else None,
        hang_dump=_read(workdir / "hang", 200_000), out_exists=exists, out_files=files,
        too_large=int(too_large) if too_large.isdigit() else None,
    )
    if record.rc == 0 and mutant.command == "run":
        record.summary = _summary(out, mutant)
    _line_count.cache_clear()  # every mutant has its own tree
    outcome = classify(record, mutant, time_limit=time_limit, memory_limit=memory_limit,
                       root=workdir / "tree")
    if not keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return outcome


def run_mutants(mutants: Sequence[Mutant], scratch: Path, *, workers: int = 2,
                time_limit: float = DEFAULT_TIME_LIMIT,
                memory_limit: float = DEFAULT_MEMORY_LIMIT, max_sets: int = DEFAULT_MAX_SETS,
                snapshot: Path | None = None, keep: bool = False,
                progress: Callable[[int, int], None] | None = None) -> dict[int, Outcome]:
    """Run mutants in forked children, ``workers`` at a time; outcomes by mutant index.

    Identical mutants (same :meth:`Mutant.fingerprint`) run once.
    """
    if snapshot is None:
        snapshot = make_snapshot(scratch)
    gc.collect()
    gc.freeze()  # children then neither scan nor copy the parent's objects
    first: dict[str, int] = {}
    copies: dict[int, int] = {}
    queue = collections.deque()
    for mutant in mutants:
        key = mutant.fingerprint()
        if key in first:
            copies[mutant.index] = first[key]
        else:
            first[key] = mutant.index
            queue.append(mutant)
    outcomes: dict[int, Outcome] = {}
    running: dict[int, _Running] = {}
    done = 0
    while queue or running:
        while queue and len(running) < workers:
            child = _start(queue.popleft(), snapshot, scratch, time_limit, memory_limit,
                           max_sets)
            running[child.pid] = child
        finished = False
        for pid, child in list(running.items()):
            got, status, usage = os.wait4(pid, os.WNOHANG)
            timed_out = False
            if got == 0:
                if time.monotonic() - child.started <= time_limit:
                    continue
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                _, status, usage = os.wait4(pid, 0)
                timed_out = True
            del running[pid]
            outcomes[child.mutant.index] = _finish(
                child, status, usage, timed_out=timed_out, time_limit=time_limit,
                memory_limit=memory_limit, keep=keep)
            finished = True
            done += 1
            if progress:
                progress(done, len(first))
        if not finished:
            time.sleep(0.003)
    gc.unfreeze()
    for index, original in copies.items():
        copy = Outcome(**{**asdict(outcomes[original]), "cached": True})
        outcomes[index] = copy
    return outcomes


def run_mutant(mutant: Mutant, workdir: Path, time_limit: float = DEFAULT_TIME_LIMIT,
               memory_limit: float = DEFAULT_MEMORY_LIMIT,
               max_sets: int = DEFAULT_MAX_SETS) -> Outcome:
    """Run one mutant in a forked child under the limits and classify the outcome."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    return run_mutants([mutant], workdir, workers=1, time_limit=time_limit,
                       memory_limit=memory_limit, max_sets=max_sets)[mutant.index]


def make_snapshot(scratch: Path) -> Path:
    """A copy of the bundled scenarios tree (without READMEs) that every mutant starts from."""
    snapshot = Path(scratch) / "snapshot"
    if not snapshot.exists():
        shutil.copytree(SCENARIO_ROOT, snapshot, ignore=shutil.ignore_patterns("*.md"))
    return snapshot


# --- classifying --------------------------------------------------------------------------------

LINE_FORM = re.compile(r"^(?P<file>.+?):(?P<line>-?\d+): (?P<message>\S.*)$")
FILE_FORM = re.compile(r"^(?P<file>[^:]+?): (?P<message>\S.*)$")
PATH_SUFFIXES = (".yaml", ".yml", ".csv", ".json")
LINE_BREAKS = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")


@functools.lru_cache(maxsize=256)
def _line_count(path: Path) -> int | None:
    try:
        if not path.is_file() or path.stat().st_size > 50_000_000:
            return None
        text = path.read_bytes().decode("utf-8", "replace")
    except OSError:
        return None
    return len(LINE_BREAKS.findall(text)) + 1


def problem_line_error(line: str, root: Path | None = None) -> str | None:
    """Why ``line`` is not a valid problem line (``None`` when it is one).

    Valid: ``FILE:LINE: message`` with LINE >= 1 (within the file when ``root``
    is given and the file exists there) or ``FILE: message`` where FILE is a path.
    """
    if len(line) > MAX_LINE_CHARS:
        return f"a line of {len(line):,} characters"
    if not line.strip():
        return "a blank line"
    match = LINE_FORM.match(line)
    if match:
        name, number = match["file"], int(match["line"])
        if name.endswith(".py") or "site-packages" in name:
            return f"a Python warning or trace line: {line[:200]}"
        if number < 1:
            return f"line number {number}"
        if root is not None:
            path = Path(name) if os.path.isabs(name) else root / name
            if not (path.exists() or path.is_symlink()):
                return f"names line {number} of a file that does not exist: {name[:200]}"
            count = _line_count(path)
            if count is not None and number > count + 1:
                return f"line {number} is past the end of {name[:200]} ({count} lines)"
        return None
    match = FILE_FORM.match(line)
    if match:
        name = match["file"]
        is_path = ("/" in name or name.lower().endswith(PATH_SUFFIXES)
                   or (root is not None and (root / name).exists()))
        if is_path and not name.endswith(".py"):
            return None
    return f"not 'FILE:LINE: message': {line[:200]}"


def _traceback_reason(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    frames = [line.strip() for line in lines if line.strip().startswith('File "')]
    last = next((line for line in reversed(lines)
                 if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Warning|Exit|Interrupt)?\b",
                             line) and not line.startswith((" ", "Traceback"))), lines[-1])
    where = ""
    own = [f for f in frames if "/model/" in f] or frames
    if own:
        match = re.match(r'File "(.*?)", line (\d+), in (\S+)', own[-1])
        if match:
            where = f" at {os.path.basename(match[1])}:{match[2]} in {match[3]}"
    return f"{last.strip()[:300]}{where}"


def _hang_reason(dump: str) -> str:
    frames = re.findall(r'File "(.*?)", line (\d+) in (\S+)', dump)
    if not frames:
        return "no stack dump"
    own = [f for f in frames if "/model/" in f[0]]
    inner = frames[0]
    text = f"in {os.path.basename(inner[0])}:{inner[1]} {inner[2]}"
    if own and own[0] != inner:
        text += f" (from {os.path.basename(own[0][0])}:{own[0][1]} {own[0][2]})"
    return text


def expected_outputs(mutant: Mutant) -> tuple[str, ...]:
    """Files that must exist (relative to the output folder) after exit status 0."""
    if mutant.command == "sweep":
        return ("results.csv", "metadata.json")
    stem = Path(mutant.target).stem
    names = ["timeseries.csv", "summary.json"]
    if mutant.figures:
        names += ["states.png", "headache_by_pathway.png"]
    return tuple(f"{stem}/{name}" for name in names)


SUMMARY_RANGES = {
    "headache_days_per_month": (0.0, 28.0 + 1e-6),
    "mean_headache": (0.0, 10.0 + 1e-9),
    "peak_headache": (0.0, 10.0 + 1e-9),
    "headache_burden": (0.0, math.inf),
    "min_pain_threshold": (0.0, math.inf),
    "final_pain_threshold": (0.0, math.inf),
}


def summary_error(summary: dict) -> str | None:
    """Why a run's ``summary.json`` metrics are obviously wrong (``None`` if plausible)."""
    metrics = summary.get("metrics") if isinstance(summary, dict) else None
    if not isinstance(metrics, dict):
        return "summary.json has no metrics"
    for name, (low, high) in SUMMARY_RANGES.items():
        value = metrics.get(name)
        if value is None:
            continue
        if not isinstance(value, (int, float)) or not (low <= value <= high):
            return f"summary.json metric {name} = {value!r}"
    return None


def _violation(record: RunRecord, kind: str, reason: str, lines: list[str]) -> Outcome:
    return Outcome(VIOLATION, record.rc, record.seconds, record.memory_bytes / 1e6, kind,
                   reason, lines)


def classify(record: RunRecord, mutant: Mutant, *, time_limit: float = DEFAULT_TIME_LIMIT,
             memory_limit: float = DEFAULT_MEMORY_LIMIT, root: Path | None = None) -> Outcome:
    """Sort a run into rejected / accepted / model_failure / too_large, or a violation."""
    lines = record.stderr.splitlines()
    head = [visible(line, 300) for line in lines[:6]]
    if record.rc == FUZZER_ERROR and record.stderr.startswith("fuzzer:"):
        return _violation(record, "fuzzer_error", visible(lines[0], 300), head)
    if record.timed_out:
        return _violation(record, "hang", f"over {time_limit:g} s: "
                          f"{_hang_reason(record.hang_dump)}", head)
    if record.signal is not None:
        return _violation(record, "crash", f"killed by signal {record.signal}", head)
    for stream in (record.stderr, record.stdout):
        if "Traceback" in stream:
            kind = "memory" if "MemoryError" in stream else "traceback"
            return _violation(record, kind, _traceback_reason(stream), head)
    if "MemoryError" in record.stderr or record.memory_bytes > memory_limit:
        return _violation(record, "memory", f"memory grew by {record.memory_bytes / 1e9:.2f} GB"
                          f" (limit {memory_limit / 1e9:.2f} GB)", head)
    if record.seconds > time_limit:
        return _violation(record, "hang", f"took {record.seconds:.1f} s", head)
    long = next((line for line in lines if len(line) > MAX_LINE_CHARS), None)
    if long is not None:
        return _violation(record, "long_line", f"a stderr line of {len(long):,} characters",
                          head)
    notes = []
    if record.too_large is not None:
        if mutant.must_reject:
            return _violation(record, "accepted_nonsense", f"loaded ({record.too_large:,} sets): "
                              f"{visible(mutant.description, 200)}", head)
        return Outcome(TOO_LARGE, record.rc, record.seconds, record.memory_bytes / 1e6,
                       stderr=head)
    if record.rc == 2:
        if not lines:
            return _violation(record, "no_message", "exit status 2 without a message", head)
        for line in lines:
            error = problem_line_error(line, root)
            if error:
                return _violation(record, "bad_line", error, head)
        if record.out_files:
            return _violation(record, "wrote_output", f"rejected but wrote "
                              f"{', '.join(record.out_files[:3])}", head)
        if record.out_exists and not mutant.out_exists:
            return _violation(record, "wrote_output", "rejected but created the output folder",
                              head)
        return Outcome(REJECTED, 2, record.seconds, record.memory_bytes / 1e6, stderr=head)
    if record.rc in (0, 1) and mutant.must_reject:
        return _violation(record, "accepted_nonsense", f"exit {record.rc} for "
                          f"{visible(mutant.description, 200)}", head)
    if record.rc in (0, 1) and mutant.suspect:
        notes.append(f"accepted {visible(mutant.suspect, 60)!r}")
    if record.rc == 0:
        missing = [name for name in expected_outputs(mutant) if name not in record.out_files]
        if missing:
            return _violation(record, "missing_output", f"exit 0 without {', '.join(missing)}",
                              head)
        if record.summary is not None:
            error = summary_error(record.summary)
            if error:
                return _violation(record, "wrong_result", error, head)
        if lines:
            notes.append(f"stderr on success: {visible(lines[0], 200)}")
        return Outcome(ACCEPTED, 0, record.seconds, record.memory_bytes / 1e6, stderr=head,
                       notes=notes)
    if record.rc == 1:
        if mutant.command == "sweep":
            honest = bool(re.search(r"\d+ failed", record.stdout)) or (
                lines and all("simulation failed" in line or "failed" in line for line in lines))
        else:
            honest = bool(lines) and all("simulation failed" in line for line in lines)
        if not honest:
            return _violation(record, "bad_failure", "exit 1 without 'simulation failed': "
                              f"{visible(lines[0], 200) if lines else '(no message)'}", head)
        return Outcome(MODEL_FAILURE, 1, record.seconds, record.memory_bytes / 1e6,
                       stderr=head, notes=notes)
    return _violation(record, "bad_exit", f"exit status {record.rc}", head)


# --- the whole run -----------------------------------------------------------------------------


@dataclass
class Violation:
    """A broken contract with what is needed to reproduce it."""

    index: int
    kind: str
    reason: str
    operators: tuple[str, ...]
    base: str
    description: str
    stderr: list[str]
    reproducer: str
    files: dict[str, str]


@dataclass
class Report:
    """Counts per outcome class and per operator, and every violation."""

    seed: int
    count: int
    seconds: float = 0.0
    workers: int = 2
    counts: dict[str, int] = field(default_factory=dict)
    by_operator: dict[str, dict[str, int]] = field(default_factory=dict)
    by_base: dict[str, dict[str, int]] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)
    notes: dict[str, int] = field(default_factory=dict)
    note_examples: dict[str, list[str]] = field(default_factory=dict)
    distinct: int = 0
    slowest: list[tuple[float, int, str]] = field(default_factory=list)
    busy_seconds: dict[str, float] = field(default_factory=dict)

    def groups(self) -> dict[str, dict[str, list[Violation]]]:
        """Violations by kind, then by reason with numbers and quoted text blurred."""
        grouped: dict[str, dict[str, list[Violation]]] = {}
        for violation in self.violations:
            signature = signature_of(violation.reason)
            grouped.setdefault(violation.kind, {}).setdefault(signature, []).append(violation)
        return grouped

    def summary(self, max_groups: int = 6, examples: int = 2) -> str:
        """A readable summary: counts, then violations grouped by kind with reproducers."""
        lines = [f"fuzz: seed {self.seed}, {self.count:,} mutants ({self.distinct:,} distinct) "
                 f"in {self.seconds:.1f} s with {self.workers} workers",
                 "outcomes: " + ", ".join(f"{c} {self.counts.get(c, 0):,}"
                                          for c in OUTCOME_CLASSES)]
        if self.busy_seconds:
            lines.append("child seconds: " + ", ".join(
                f"{k} {v:.0f}" for k, v in sorted(self.busy_seconds.items(), key=lambda i: -i[1])))
        if self.notes:
            lines.append("notes: " + ", ".join(f"{k} {v:,}" for k, v in self.notes.items()))
        for kind, groups in sorted(self.groups().items(), key=lambda g: -sum(
                len(v) for v in g[1].values())):
            total = sum(len(v) for v in groups.values())
            lines.append(f"\n== {kind}: {total} violation(s), {len(groups)} distinct")
            ordered = sorted(groups.items(), key=lambda g: -len(g[1]))
            for signature, items in ordered[:max_groups]:
                lines.append(f"-- [{len(items)}x] {signature}")
                for violation in items[:examples]:
                    lines.append(_indent(violation.reproducer, "   "))
                    if violation.stderr:
                        lines.append("   stderr: " + " | ".join(violation.stderr[:3])[:600])
            if len(ordered) > max_groups:
                lines.append(f"-- ... and {len(ordered) - max_groups} more distinct reasons")
        return "\n".join(lines)

    def to_json(self) -> dict:
        """Everything, JSON-ready (mutated files as escaped text)."""
        data = asdict(self)
        data["groups"] = {kind: {sig: [v.index for v in items] for sig, items in groups.items()}
                          for kind, groups in self.groups().items()}
        return data


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def signature_of(reason: str) -> str:
    """``reason`` with numbers and quoted text blurred, for grouping similar violations."""
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", reason)
    text = re.sub(r"\d+(\.\d+)?(e[-+]?\d+)?", "N", text)
    return text[:200]


def warm_up(scratch: Path) -> None:
    """Import the model and run one scenario (with figures) and one sweep in this process.

    The forked children then find numba's compiled engine, pint's registry and
    matplotlib's fonts ready.
    """
    import matplotlib

    matplotlib.use("Agg")
    from lbp_headache.cli.main import main

    folder = Path(scratch) / "warm-up"
    folder.mkdir(parents=True, exist_ok=True)
    here = os.getcwd()
    sink = io.StringIO()
    try:
        os.chdir(make_snapshot(scratch))
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            main(["run", "persistent_back_pain.yaml", "--out", str(folder / "run")])
            main(["sweep", "sweeps/stiffness_curve.yaml", "--out", str(folder / "sweep")])
            main(["run", "nope.yaml", "--out", str(folder / "bad")])
    finally:
        os.chdir(here)
        shutil.rmtree(folder, ignore_errors=True)


def default_workers() -> int:
    """One child more than the cores: the parent forks serially, and the spare child keeps
    both cores busy meanwhile (2,000 mutants on 2 cores: 165 s with 3 children, 176 s with 2)."""
    return min(len(os.sched_getaffinity(0)), 4) + 1


def _scratch_parent() -> str | None:
    """A memory-backed folder for the mutants' trees when there is one (a third faster)."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None


def fuzz(seed: int, count: int, *, workers: int | None = None,
         time_limit: float = DEFAULT_TIME_LIMIT, memory_limit: float = DEFAULT_MEMORY_LIMIT,
         max_sets: int = DEFAULT_MAX_SETS, figure_every: int = DEFAULT_FIGURE_EVERY,
         only: Sequence[int] | None = None, keep: Path | None = None,
         progress: Callable[[int, int], None] | None = None) -> Report:
    """Generate ``count`` mutants from ``seed``, run them and report.

    Parameters
    ----------
    workers
        Children run at a time (default: :func:`default_workers`).
    only
        Run only the mutants with these indices (the others are still generated,
        so indices stay the same).
    keep
        Keep each mutant's folder (tree, stdout, stderr, out) under this folder.
    """
    workers = workers or default_workers()
    started = time.monotonic()
    bases = load_bases()
    by_path = {b.path: b for b in bases}
    mutants = generate_mutants(seed, count, figure_every=figure_every, bases=bases)
    if only is not None:
        wanted = set(only)
        mutants = [m for m in mutants if m.index in wanted]
    report = Report(seed=seed, count=len(mutants), workers=workers)
    with tempfile.TemporaryDirectory(prefix="lbp-fuzz-", dir=_scratch_parent()) as tmp:
        scratch = Path(keep) if keep else Path(tmp)
        scratch.mkdir(parents=True, exist_ok=True)
        warm_up(scratch)
        outcomes = run_mutants(mutants, scratch, workers=workers, time_limit=time_limit,
                               memory_limit=memory_limit, max_sets=max_sets,
                               snapshot=make_snapshot(scratch), keep=keep is not None,
                               progress=progress)
    report.seconds = time.monotonic() - started
    report.distinct = sum(1 for o in outcomes.values() if not o.cached)
    counts: collections.Counter = collections.Counter()
    notes: collections.Counter = collections.Counter()
    for mutant in mutants:
        outcome = outcomes[mutant.index]
        counts[outcome.cls] += 1
        for name in set(mutant.operators):
            report.by_operator.setdefault(name, dict.fromkeys(OUTCOME_CLASSES, 0))
            report.by_operator[name][outcome.cls] += 1
        report.by_base.setdefault(mutant.base, dict.fromkeys(OUTCOME_CLASSES, 0))
        report.by_base[mutant.base][outcome.cls] += 1
        for note in outcome.notes:
            key = note.split(":")[0] if note.startswith("stderr") else "suspect accepted"
            notes[key] += 1
            examples = report.note_examples.setdefault(key, [])
            if len(examples) < 10:
                examples.append(f"#{mutant.index} {note}: {visible(mutant.description, 160)}")
        if not outcome.cached:
            what = f"{mutant.command}{' +figures' if mutant.figures else ''} {outcome.cls}"
            report.busy_seconds[what] = round(report.busy_seconds.get(what, 0.0)
                                              + outcome.seconds, 1)
            report.slowest.append((round(outcome.seconds, 2), mutant.index,
                                   visible(mutant.description, 100)))
        if outcome.cls == VIOLATION:
            report.violations.append(Violation(
                mutant.index, outcome.kind, outcome.reason, mutant.operators, mutant.base,
                visible(mutant.description, 500), outcome.stderr,
                mutant.reproducer(by_path),
                {name: visible(data.decode("utf-8", "surrogateescape"), 100_000)
                 for name, data in mutant.files.items()}))
    report.counts = {c: counts.get(c, 0) for c in OUTCOME_CLASSES}
    report.notes = dict(notes)
    report.slowest = sorted(report.slowest, reverse=True)[:10]
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tests.fuzzing``: run the fuzzer, print the summary, write a JSON report."""
    parser = argparse.ArgumentParser(prog="python -m tests.fuzzing", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT)
    parser.add_argument("--memory-limit", type=float, default=DEFAULT_MEMORY_LIMIT,
                        help="bytes of memory growth per mutant (default 1.5e9)")
    parser.add_argument("--max-sets", type=int, default=DEFAULT_MAX_SETS)
    parser.add_argument("--figure-every", type=int, default=DEFAULT_FIGURE_EVERY)
    parser.add_argument("--report", type=Path, default=None, help="write the JSON report here")
    parser.add_argument("--only", type=int, nargs="+", default=None, metavar="INDEX",
                        help="run only these mutants (indices from a report)")
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR",
                        help="keep each mutant's folder (tree/, stdout, stderr, out/) in DIR")
    parser.add_argument("--show", type=int, nargs="+", default=None, metavar="INDEX",
                        help="print these mutants' reproducers and exit")
    args = parser.parse_args(argv)
    if args.show:
        for mutant in generate_mutants(args.seed, max(args.show) + 1):
            if mutant.index in args.show:
                print(mutant.reproducer(), "\n")
        return 0

    def progress(done: int, total: int) -> None:
        if done % 500 == 0 or done == total:
            print(f"  {done:,}/{total:,} distinct mutants run", file=sys.stderr, flush=True)

    report = fuzz(args.seed, args.count, workers=args.workers, time_limit=args.time_limit,
                  memory_limit=args.memory_limit, max_sets=args.max_sets,
                  figure_every=args.figure_every, only=args.only, keep=args.keep,
                  progress=progress)
    print(report.summary())
    if args.report:
        args.report.write_text(json.dumps(report.to_json(), indent=1, default=str),
                               encoding="utf-8")
        print(f"-> {args.report}")
    return 1 if report.violations else 0


if __name__ == "__main__":
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    sys.exit(main())
