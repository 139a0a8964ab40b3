"""The compiled-code cache is keyed by everything compiled code freezes in."""

from __future__ import annotations

from pathlib import Path

from lbp_headache.engine import batch_kernel, compile_cache


def test_an_edit_to_the_parameter_or_state_modules_compiles_afresh(tmp_path, monkeypatch):
    # Compiled loops freeze every parameter's and state's index into machine code. A new
    # parameter shifts the indices without touching any compiled source: before this key
    # the engine silently read parameters at their old places (every trial patient of the
    # CTTH population failed; duloxetine "helped" 97 % of patients).
    source = tmp_path / "kernel.py"
    source.write_text("x = 1\n")
    constants = tmp_path / "parameters.py"
    constants.write_text("INDEX = {'a': 0}\n")
    monkeypatch.setattr(compile_cache, "FROZEN_CONSTANTS", (constants,))
    before = compile_cache.cache_folder((source,))
    assert compile_cache.cache_folder((source,)) == before  # stable
    constants.write_text("INDEX = {'b': 0, 'a': 1}\n")
    assert compile_cache.cache_folder((source,)) != before


def test_the_batch_engine_is_keyed_by_the_parameter_and_state_modules():
    from lbp_headache.core import parameters, states

    assert Path(parameters.__file__) in compile_cache.FROZEN_CONSTANTS
    assert Path(states.__file__) in compile_cache.FROZEN_CONSTANTS
    keyed = (Path(batch_kernel.__file__), Path(batch_kernel.equations.__file__),
             Path(batch_kernel.fast_math.__file__), Path(batch_kernel.status.__file__),
             Path(batch_kernel.atomic.__file__))
    assert batch_kernel.cache_folder() == compile_cache.cache_folder(keyed)
