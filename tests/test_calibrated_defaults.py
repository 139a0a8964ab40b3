"""Adopting a calibration: its posterior medians become the defaults of every run.

Nothing may be adopted (the table's own values are the defaults); whatever is
adopted is the committed result, to the byte.
"""

from __future__ import annotations

import hashlib

import pytest
import yaml
from lbp_headache.calibration import abc_model
from lbp_headache.core import parameters
from lbp_headache.core.calibrated import CALIBRATED, CALIBRATION
from lbp_headache.files.provenance import now, provenance
from lbp_headache.report import calibrated_values


def test_the_module_is_empty_or_the_committed_calibration():
    text = calibrated_values.MODULE.read_text(encoding="utf-8")
    assert text in (calibrated_values.empty_text(), calibrated_values.module_text()), \
        "run python -m lbp_headache.report.calibrated_values [--none]"
    assert calibrated_values.main(["--check"]) == 0


def test_adopting_writes_the_committed_medians_and_their_hash():
    namespace: dict = {}
    exec(calibrated_values.module_text(), namespace)  # the module adoption would write
    data = calibrated_values.RESULT.read_bytes()
    document = yaml.safe_load(data)
    assert namespace["CALIBRATION"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert namespace["CALIBRATION"]["simulations"] == document["posterior"]["simulations"]
    assert {name: value[0] for name, value in namespace["CALIBRATED"].items()} == \
        {name: entry["value"] for name, entry in document["parameters"].items()}
    assert all(value[1] <= value[0] <= value[2] for value in namespace["CALIBRATED"].values())


def test_the_check_fails_on_a_module_that_is_neither(tmp_path, monkeypatch):
    copy = tmp_path / "calibrated_parameters.yaml"
    document = yaml.safe_load(calibrated_values.RESULT.read_text(encoding="utf-8"))
    name = next(iter(document["parameters"]))
    document["parameters"][name]["value"] = document["parameters"][name]["interval_95"][0]
    copy.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    module = tmp_path / "calibrated.py"
    monkeypatch.setattr(calibrated_values, "ROOT", tmp_path)
    monkeypatch.setattr(calibrated_values, "RESULT", copy)
    monkeypatch.setattr(calibrated_values, "MODULE", module)
    assert calibrated_values.main(["--none"]) == 0 and calibrated_values.main(["--check"]) == 0
    assert calibrated_values.main([]) == 0 and calibrated_values.main(["--check"]) == 0
    adopted = module.read_text(encoding="utf-8")
    document["parameters"][name]["value"] = document["parameters"][name]["interval_95"][1]
    copy.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    assert calibrated_values.main(["--check"]) == 1  # the result changed, the module did not
    assert module.read_text(encoding="utf-8") == adopted  # --check wrote nothing


def test_a_calibrated_parameter_runs_at_its_median_and_keeps_its_prior(monkeypatch):
    record = parameters.BY_NAME["placebo_relief"]
    assert record.prior_value is None or "placebo_relief" in CALIBRATED
    original = record.uncalibrated_value
    monkeypatch.setitem(parameters.CALIBRATED, "placebo_relief", (0.2, 0.1, 0.3))
    adopted = parameters.calibrated(parameters.replace(record, value=original,
                                                       prior_value=None,
                                                       calibrated_interval=None))
    assert adopted.value == 0.2 and adopted.calibrated_interval == (0.1, 0.3)
    assert adopted.prior_value == original and adopted.uncalibrated_value == original
    assert adopted.source.startswith("calibration: posterior median")
    assert not adopted.is_assumption
    # a later calibration's prior is centred on the value before calibration
    monkeypatch.setitem(abc_model.BY_NAME, "placebo_relief", adopted)
    assert abc_model.prior("placebo_relief").center == original
    # a median outside the range is refused
    monkeypatch.setitem(parameters.CALIBRATED, "placebo_relief", (0.9, 0.1, 0.95))
    with pytest.raises(ValueError, match="outside its range"):
        parameters.calibrated(record)


def test_the_defaults_follow_what_is_adopted():
    for name, (median, low, high) in CALIBRATED.items():
        record = parameters.BY_NAME[name]
        assert record.value == median == parameters.default_vector()[parameters.INDEX[name]]
        assert record.calibrated_interval == (low, high)
    for record in parameters.PARAMETERS:
        if record.name not in CALIBRATED:
            assert record.prior_value is None and record.uncalibrated_value == record.value


def test_every_output_records_what_is_adopted():
    block = provenance(started=now())
    assert "calibration" in block
    assert block["calibration"] == (dict(CALIBRATION) if CALIBRATION else None)
