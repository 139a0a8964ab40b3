"""The calibrated parameter values the model runs with by default (generated).

Written by ``python -m lbp_headache.report.calibrated_values`` from the posterior
medians and 95 % posterior intervals of the committed calibration
(``calibration/result/calibrated_parameters.yaml``, SHA-256 below); the test
suite fails when the two differ. :mod:`.parameters` applies them: the table's
value of each parameter below becomes its posterior median, and its value
before calibration stays as ``prior_value`` (the centre of the calibration's
prior). Each entry: ``name: (median, low, high)`` in the table's unit.
"""

CALIBRATION = {
    "source": "calibration/result/calibrated_parameters.yaml",
    "sha256": "2c063bfbfd7d2633b0e02df622cfdcbf749afb07ac69643884289e02b8d81a96",
    "finished": "2026-12-07T06:47:16.534+00:00",
    "commit": "20b06f0409a1709495d16ce57451be3d610ceafc",
    "simulations": 2446,
    "generations": 7,
}

CALIBRATED = {
    "sensitization_half_drive": (0.9335595599832152, 0.8686986044856041, 0.9794806519256521),
    "gain_cervicogenic": (0.4538118444660832, 0.36049709583721856, 0.730369920755563),
    "placebo_relief": (0.1858438920490207, 0.08264431604691105, 0.2668174170188089),
    "duloxetine_efficacy": (0.20872840446036017, 0.1473970754985408, 0.3695658780890592),
    "lumbar_fluctuation_sd": (0.3660586307724807, 0.2940548218403988, 0.5069600740086827),
    "tau_lumbar_fluctuation": (109.53374150138045, 44.667336374942806, 163.18864118749707),
    "headache_fluctuation_sd": (0.596848503825279, 0.38823736956811794, 0.7685243736730597),
    "headache_day_hill": (4.918070926940761, 3.720966496751485, 5.877617730841679),
}
