"""The calibrated parameter values the model runs with by default (generated).

Written by ``python -m lbp_headache.report.calibrated_values`` from the posterior
medians and 95 % posterior intervals of the committed calibration
(``calibration/result/calibrated_parameters.yaml``, SHA-256 below); the test
suite fails when the two differ. :mod:`.parameters` applies them: the table's
value of each parameter below becomes its posterior median, and its value
before calibration stays as ``prior_value`` (the centre of the calibration's
prior). Each entry: ``name: (median, low, high)`` in the table's unit.
"""

# Nothing adopted: the parameter table's own values are the defaults.
CALIBRATION = None

CALIBRATED: dict[str, tuple[float, float, float]] = {}
