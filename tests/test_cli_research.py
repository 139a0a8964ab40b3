"""The ``sensitivity`` and ``export-sbml`` commands end to end."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import localize_scenarios
from lbp_headache.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "persistent_back_pain.yaml"

SENSITIVITY_SPEC = f"""\
name: small sensitivity
scenario: {BASE}
parameters:
  headache_stimulus_half: {{}}
  gain_il6_disc: {{}}
  tau_sensitization: {{scale: log}}
design: random
samples: 4
seed: 7
metrics: [headache_days_per_month, mean_headache]
chunk_size: 16
sensitivity:
  methods: [sobol, morris, local]
  output: mean_headache
  sobol_samples: 16
  morris_trajectories: 4
  bootstrap: 50
"""


def test_sensitivity_writes_indices_figures_and_ranks_the_dominant_parameter(tmp_path, capsys):
    spec = tmp_path / "sens.yaml"
    spec.write_text(localize_scenarios(SENSITIVITY_SPEC, tmp_path))
    out = tmp_path / "out"
    assert main(["sensitivity", str(spec), "--out", str(out), "--workers", "2"]) == 0
    folder = out / "persistent_back_pain"
    for name in ("sobol.csv", "morris.csv", "local.csv", "sensitivity.json",
                 "sobol_indices.png", "morris.png", "tornado.png"):
        assert (folder / name).stat().st_size > 0, name
    with open(folder / "sobol.csv") as handle:
        rows = {row["parameter"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"headache_stimulus_half", "gain_il6_disc", "tau_sensitization"}
    total = {name: float(row["total_order"]) for name, row in rows.items()}
    # The headache threshold dominates the mean load; disc inflammation barely matters.
    assert max(total, key=total.get) == "headache_stimulus_half"
    summary = json.loads((folder / "sensitivity.json").read_text())
    assert "not a diagnostic tool" in summary["disclaimer"]
    assert summary["output"] == "mean_headache"
    local = summary["results"]["local"]
    elasticity = local["normalized_sensitivity"][0]
    assert np.isfinite(elasticity) and elasticity < 0  # a higher threshold, less headache
    assert "headache_stimulus_half" in capsys.readouterr().out


def test_sensitivity_without_a_sensitivity_block_is_bad_input(tmp_path, capsys):
    spec = tmp_path / "plain.yaml"
    spec.write_text(localize_scenarios(SENSITIVITY_SPEC.split("sensitivity:")[0], tmp_path))
    out = tmp_path / "out"
    assert main(["sensitivity", str(spec), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "sensitivity" in err and "Traceback" not in err
    assert not out.exists()


def test_export_sbml_writes_a_valid_document_with_overrides(tmp_path, capsys):
    pytest.importorskip("libsbml")
    target = tmp_path / "model.xml"
    code = main(["export-sbml", str(ROOT / "scenarios" / "duloxetine.yaml"), "-o", str(target),
                 "--set", "posture_chain_stiffness=2"])
    assert code == 0
    text = target.read_text()
    assert "posture_chain_stiffness" in text and "<sbml" in text
    import libsbml

    document = libsbml.readSBMLFromString(text)
    parameter = document.getModel().getParameter("posture_chain_stiffness")
    assert parameter.getValue() == 2.0


@pytest.mark.parametrize("args, expected", [
    (["scenarios/no_such.yaml", "-o", "{tmp}/x.xml"], "no_such.yaml"),
    (["scenarios/duloxetine.yaml", "-o", "{tmp}/missing/x.xml"], "folder does not exist"),
    (["scenarios/duloxetine.yaml", "-o", "{tmp}/x.xml", "--set", "posture_chain_stifness=2"],
     "did you mean 'posture_chain_stiffness'"),
])
def test_export_sbml_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, args, expected,
                                                          monkeypatch):
    monkeypatch.chdir(ROOT)
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    assert main(["export-sbml", *args]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("address", "expected"), [
    ("nonsense", "--scheduler: 'nonsense' has no scheme (allowed: 'local' or tcp://HOST:PORT)"),
    ("tcp://scheduler", "--scheduler: 'tcp://scheduler' is not tcp://HOST:PORT (a host name or "
                        "address, then a port from 1 to 65535)"),
    ("tls://host:8786", "--scheduler: 'tls://' needs client certificates, which --scheduler "
                        "cannot take; allowed: 'local' or tcp://HOST:PORT on a network you "
                        "trust (docs/security.md)"),
    ("ucx://host:8786", "--scheduler: 'ucx://' needs UCX, which this package does not install; "
                        "allowed: 'local' or tcp://HOST:PORT on a network you trust "
                        "(docs/security.md)"),
])
@pytest.mark.parametrize("command", ["sweep", "sensitivity"])
def test_bad_scheduler_address_exits_2_and_writes_nothing(tmp_path, capsys, command, address,
                                                          expected):
    spec = tmp_path / "sens.yaml"
    spec.write_text(localize_scenarios(SENSITIVITY_SPEC, tmp_path))
    out = tmp_path / "out"
    assert main([command, str(spec), "--out", str(out), "--scheduler", address]) == 2
    assert capsys.readouterr().err.strip() == expected
    assert not out.exists()


@pytest.mark.parametrize("command", ["sweep", "sensitivity"])
def test_unreachable_scheduler_fails_with_one_line_and_writes_nothing(tmp_path, capsys,
                                                                     monkeypatch, command):
    import socket

    import lbp_headache.analysis.backends as backends

    monkeypatch.setattr(backends, "CONNECT_SECONDS", 1.0)
    with socket.socket() as probe:  # a free port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    spec = tmp_path / "sens.yaml"
    spec.write_text(localize_scenarios(SENSITIVITY_SPEC, tmp_path))
    out = tmp_path / "out"
    address = f"tcp://127.0.0.1:{port}"
    assert main([command, str(spec), "--out", str(out), "--scheduler", address]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert err.startswith(f"--scheduler: no Dask scheduler answered at {address} (")
    assert not out.exists()


@pytest.mark.parametrize("command", ["sweep", "sensitivity"])
def test_silent_scheduler_times_out_with_one_line_and_writes_nothing(tmp_path, capsys,
                                                                    monkeypatch, command):
    # A server that accepts the connection and never answers: distributed.Client alone waits
    # for minutes there.
    import socket

    import lbp_headache.analysis.backends as backends

    monkeypatch.setattr(backends, "CONNECT_SECONDS", 1.0)
    spec = tmp_path / "sens.yaml"
    spec.write_text(localize_scenarios(SENSITIVITY_SPEC, tmp_path))
    out = tmp_path / "out"
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
        started = time.monotonic()
        assert main([command, str(spec), "--out", str(out), "--scheduler", address]) == 1
        assert time.monotonic() - started < 10
    err = capsys.readouterr().err.strip()
    assert err == (f"--scheduler: no Dask scheduler answered at {address} (no answer within "
                   "1 s); is 'dask scheduler' running there?")
    assert not out.exists()
