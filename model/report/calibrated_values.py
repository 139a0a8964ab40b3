"""Write the calibrated defaults (:mod:`lbp_headache.core.calibrated`) from a committed calibration.

``python -m lbp_headache.report.calibrated_values`` *adopts* the committed
calibration: it reads the posterior medians and 95 % intervals of
``calibration/result/calibrated_parameters.yaml`` and rewrites
``model/core/calibrated.py``, which the parameter table applies as its default
values (single runs, populations and trials). ``--none`` writes the module
with nothing adopted (the table's own values are the defaults). ``--check``
writes nothing and exits 1 unless the module is one of those two: an adopted
calibration and the committed result cannot drift apart (the test suite checks
it). Adopting is a deliberate step after a result's report has been reviewed;
committing a result does not adopt it.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import yaml
from lbp_headache.core.parameters import BY_NAME

ROOT = Path(__file__).resolve().parents[2]  # model/report/ -> the checkout
RESULT = ROOT / "calibration" / "result" / "calibrated_parameters.yaml"
MODULE = ROOT / "model" / "core" / "calibrated.py"

HEADER = '''"""The calibrated parameter values the model runs with by default (generated).

Written by ``python -m lbp_headache.report.calibrated_values`` from the posterior
medians and 95 % posterior intervals of the committed calibration
(``calibration/result/calibrated_parameters.yaml``, SHA-256 below); the test
suite fails when the two differ. :mod:`.parameters` applies them: the table's
value of each parameter below becomes its posterior median, and its value
before calibration stays as ``prior_value`` (the centre of the calibration's
prior). Each entry: ``name: (median, low, high)`` in the table's unit.
"""
'''


EMPTY = "CALIBRATION = None\n\nCALIBRATED: dict[str, tuple[float, float, float]] = {}\n"


def empty_text() -> str:
    """The module with nothing adopted."""
    return "\n".join([HEADER, "# Nothing adopted: the parameter table's own values are the "
                      "defaults.", EMPTY])


def module_text(result: Path | None = None) -> str:
    """The text of ``model/core/calibrated.py`` for the calibration in ``result`` (the committed
    one by default)."""
    result = RESULT if result is None else result
    data = result.read_bytes()
    document = yaml.safe_load(data)
    posterior = document["posterior"]
    run = document["provenance"]
    lines = [HEADER, "CALIBRATION = {",
             f'    "source": "{result.relative_to(ROOT).as_posix()}",',
             f'    "sha256": "{hashlib.sha256(data).hexdigest()}",',
             f'    "finished": "{run["finished"]}",',
             f'    "commit": {json.dumps(run["git"]["commit"] if run.get("git") else None)},',
             f'    "simulations": {int(posterior["simulations"])},',
             f'    "generations": {int(posterior["generations"])},',
             "}", "", "CALIBRATED = {"]
    for name, entry in document["parameters"].items():
        if name not in BY_NAME:
            raise ValueError(f"{result}: '{name}' is not in the parameter table")
        low, high = entry["interval_95"]
        lines.append(f'    "{name}": ({float(entry["value"])!r}, {float(low)!r}, '
                     f'{float(high)!r}),')
    lines += ["}", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    current = MODULE.read_text(encoding="utf-8") if MODULE.exists() else ""
    if "--check" in args:
        if current not in (empty_text(), module_text()):
            print(f"{MODULE} is neither empty nor the committed calibration's values: run "
                  "python -m lbp_headache.report.calibrated_values [--none]", file=sys.stderr)
            return 1
        return 0
    text = empty_text() if "--none" in args else module_text()
    if current != text:
        temporary = MODULE.with_suffix(".py.tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(MODULE)
        print(f"wrote {MODULE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
