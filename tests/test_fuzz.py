"""The input-file fuzzer (tests/fuzzing.py): its own unit tests, the CI fuzz run, the big run.

The CI run (``test_fuzz_contract``) mutates the bundled scenarios, the example
diary and the sweep files about 2,000 times and requires every mutant to be
cleanly rejected, to run, or to report a model failure honestly (see
docs/fuzzing.md). ``test_fuzz_contract_big`` does the same with 20,000
mutants and is marked slow. Run either alone with ``pytest -k fuzz``.
"""

from __future__ import annotations

import os
import sys
import time

import fuzzing
import pytest
from fuzzing import RunRecord, classify, generate_mutants, problem_line_error

CI_SEED, CI_COUNT = 20261124, 2000
# Figures are the slowest outcome (about 3 s a run): the CI run draws them for one mutant in
# 50, plus half of those that edit free text such as a name (about 2.7 minutes on 2 cores).
CI_FIGURE_EVERY = 50
BIG_SEED, BIG_COUNT = 1, 20_000

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or sys.platform != "linux",
                                reason="the fuzzer forks a child per mutant (Linux)")


def _mutant(command: str = "run", **kwargs) -> fuzzing.Mutant:
    fields = {"index": 0, "base": "healthy.yaml", "command": command, "target": "healthy.yaml",
              "operators": ("token",), "description": "synthetic", "files": {}}
    return fuzzing.Mutant(**{**fields, **kwargs})


# --- the fuzzer itself ------------------------------------------------------------------------


def test_same_seed_gives_the_same_mutants():
    first = generate_mutants(7, 300)
    again = generate_mutants(7, 300)
    other = generate_mutants(8, 300)
    assert [m.fingerprint() for m in first] == [m.fingerprint() for m in again]
    assert [m.description for m in first] == [m.description for m in again]
    assert [m.fingerprint() for m in first] != [m.fingerprint() for m in other]


def test_mutants_cover_every_kind_of_file_and_operator():
    mutants = generate_mutants(3, 3000)
    bases = {m.base for m in mutants}
    assert {b.path for b in fuzzing.load_bases()} <= bases
    assert {op.name for op in fuzzing.OPERATORS} <= {name for m in mutants
                                                      for name in m.operators}
    assert any(m.command == "sweep" for m in mutants)
    assert any(m.figures for m in mutants) and not all(m.figures for m in mutants)
    assert any(m.specials for m in mutants)
    assert sum(m.must_reject for m in mutants) > 300


def test_a_token_in_a_number_slot_must_be_refused():
    base = next(b for b in fuzzing.load_bases() if b.path == "healthy.yaml")
    draft = fuzzing.Draft(base, base.text, base.path, "run")
    slot = next(s for s in base.slots if s.path == ("duration",) and s.kind == "scalar")
    fuzzing._expectation(draft, fuzzing.REJECT, slot.strict, "0,8")
    assert draft.must_reject
    name = next(s for s in base.slots if s.path == ("name",) and s.kind == "scalar")
    assert not name.strict


def test_the_classifier_accepts_clean_rejections():
    stderr = ("healthy.yaml:3: duration: cannot read '0,8' as a quantity\n"
              "healthy.yaml:7: unknown key 'x'\n"
              "data/pipe.csv: is a FIFO (named pipe), not a regular file\n")
    outcome = classify(RunRecord(rc=2, stderr=stderr), _mutant())
    assert outcome.cls == fuzzing.REJECTED, outcome


@pytest.mark.parametrize("stderr, kind", [
    ("Traceback (most recent call last):\n  File \"/work/main/model/core/units.py\", line 9, in f\n"
     "ValueError: could not convert string to float: '0,8'\n", "traceback"),
    ("healthy.yaml:3: duration: bad\nValueError: something\n", "bad_line"),
    ("could not read the file\n", "bad_line"),
    ("healthy.yaml:0: duration: bad\n", "bad_line"),
    ("healthy.yaml:3: " + "x" * 2000 + "\n", "long_line"),
    ("/work/main/model/engine/solver.py:40: RuntimeWarning: overflow\n", "bad_line"),
    ("\n", "bad_line"),
    ("", "no_message"),
])
def test_the_classifier_flags_broken_rejections(stderr, kind):
    outcome = classify(RunRecord(rc=2, stderr=stderr), _mutant())
    assert (outcome.cls, outcome.kind) == (fuzzing.VIOLATION, kind), outcome


def test_the_classifier_reports_the_last_traceback_line():
    stderr = ("Traceback (most recent call last):\n"
              '  File "/work/main/model/scenario/profile_reader.py", line 120, in _flares\n'
              "    n = int(x)\n"
              "OverflowError: cannot convert float infinity to integer\n")
    outcome = classify(RunRecord(rc=70, stderr=stderr), _mutant())
    assert outcome.kind == "traceback"
    assert outcome.reason.startswith("OverflowError: cannot convert float infinity")
    assert "profile_reader.py:120" in outcome.reason


def test_the_classifier_checks_line_numbers_against_the_file(tmp_path):
    (tmp_path / "healthy.yaml").write_text("a: 1\nb: 2\n")
    assert problem_line_error("healthy.yaml:2: b: bad", tmp_path) is None
    assert "past the end" in problem_line_error("healthy.yaml:9: b: bad", tmp_path)
    assert "does not exist" in problem_line_error("other.yaml:1: b: bad", tmp_path)
    assert problem_line_error("other.yaml: not found", tmp_path) is None
    assert problem_line_error("ValueError: bad", tmp_path) is not None


def test_the_classifier_requires_an_empty_output_folder_after_a_rejection():
    record = RunRecord(rc=2, stderr="healthy.yaml:1: bad\n", out_exists=True,
                       out_files=("healthy/summary.json",))
    assert classify(record, _mutant()).kind == "wrote_output"
    record = RunRecord(rc=2, stderr="healthy.yaml:1: bad\n", out_exists=True)
    assert classify(record, _mutant()).kind == "wrote_output"
    assert classify(record, _mutant(out_exists=True)).cls == fuzzing.REJECTED


def test_the_classifier_on_runs_failures_hangs_and_memory():
    files = ("healthy/timeseries.csv", "healthy/summary.json")
    assert classify(RunRecord(rc=0, out_files=files), _mutant()).cls == fuzzing.ACCEPTED
    assert classify(RunRecord(rc=0), _mutant()).kind == "missing_output"
    assert classify(RunRecord(rc=0, out_files=files),
                    _mutant(must_reject=True)).kind == "accepted_nonsense"
    wrong = {"metrics": {"headache_days_per_month": float("nan")}}
    assert classify(RunRecord(rc=0, out_files=files, summary=wrong),
                    _mutant()).kind == "wrong_result"
    failed = "healthy.yaml: simulation failed: the solver stopped at day 3\n"
    assert classify(RunRecord(rc=1, stderr=failed), _mutant()).cls == fuzzing.MODEL_FAILURE
    assert classify(RunRecord(rc=1, stderr="out: cannot write\n"),
                    _mutant()).kind == "bad_failure"
    assert classify(RunRecord(rc=None, timed_out=True), _mutant()).kind == "hang"
    assert classify(RunRecord(rc=None, signal=11), _mutant()).kind == "crash"
    assert classify(RunRecord(rc=0, out_files=files, memory_bytes=2e9),
                    _mutant()).kind == "memory"
    assert classify(RunRecord(rc=0, too_large=10 ** 6), _mutant("sweep")).cls == fuzzing.TOO_LARGE
    assert classify(RunRecord(rc=3), _mutant()).kind == "bad_exit"


def test_a_forked_run_of_one_mutant_end_to_end(tmp_path):
    bases = fuzzing.load_bases()
    healthy = next(b for b in bases if b.path == "healthy.yaml")
    fuzzing.warm_up(tmp_path)
    good = _mutant(files={"healthy.yaml": healthy.text.encode()})
    bad = _mutant(index=1, files={"healthy.yaml": healthy.text.replace(
        "duration: 12 months", "duration: 0,8 years").encode()}, must_reject=True)
    pipe = _mutant(index=2, target="pipe.yaml",
                   specials=(fuzzing.Special("pipe.yaml", "fifo"),), must_reject=True)
    outcomes = fuzzing.run_mutants([good, bad, pipe], tmp_path, time_limit=60)
    assert outcomes[0].cls == fuzzing.ACCEPTED, outcomes[0]
    assert outcomes[1].cls == fuzzing.REJECTED, outcomes[1]
    assert outcomes[2].cls == fuzzing.REJECTED, outcomes[2]  # a FIFO must not hang the run
    assert outcomes[0].memory_mb < 1500


def test_a_hanging_mutant_is_killed_at_the_time_limit(tmp_path, monkeypatch):
    import lbp_headache.cli.main

    monkeypatch.setattr(lbp_headache.cli.main, "main", lambda argv: time.sleep(60))
    started = time.monotonic()
    outcomes = fuzzing.run_mutants([_mutant()], tmp_path, time_limit=1.5)
    assert time.monotonic() - started < 20
    assert outcomes[0].kind == "hang"
    assert "sleep" in outcomes[0].reason or "lambda" in outcomes[0].reason


# --- the contract -------------------------------------------------------------------------------


def _assert_no_violations(report: fuzzing.Report) -> None:
    print(report.summary(max_groups=8, examples=2))
    assert not report.violations, "\n" + report.summary(max_groups=8, examples=2)


def test_fuzz_contract():
    """CI fuzz run: 2,000 mutants of every bundled input, zero contract violations."""
    report = fuzzing.fuzz(CI_SEED, CI_COUNT, figure_every=CI_FIGURE_EVERY)
    assert sum(report.counts.values()) == CI_COUNT
    _assert_no_violations(report)


@pytest.mark.slow
def test_fuzz_contract_big():
    """The big fuzz run: 20,000 mutants (about 28 minutes on two cores; docs/fuzzing.md)."""
    report = fuzzing.fuzz(BIG_SEED, BIG_COUNT, figure_every=CI_FIGURE_EVERY)
    assert sum(report.counts.values()) == BIG_COUNT
    _assert_no_violations(report)
