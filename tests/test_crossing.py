"""first_crossing: the first time a trajectory reaches a level, linear between points."""

from __future__ import annotations

import numpy as np
from lbp_headache.analysis.crossing import first_crossing


def test_first_crossing_interpolates_on_an_uneven_grid_both_ways():
    time = np.array([0.0, 1.0, 3.0, 7.0])
    values = np.array([[1.0, 0.8, 0.4, 0.2],     # falls through 0.5 between t=1 and t=3
                       [1.0, 0.9, 0.9, 0.9],     # never reaches 0.5
                       [0.5, 0.4, 0.3, 0.2]])    # starts at the level
    falling = first_crossing(time, values, 0.5, falling=True)
    assert falling[0] == 1.0 + (0.5 - 0.8) / (0.4 - 0.8) * 2.0  # 2.5
    assert np.isnan(falling[1])
    assert falling[2] == 0.0
    # Rising, one level per row: 0.2 -> 0.6 reaches 0.5 at 3/4 of the way from t=3 to t=7.
    rising = first_crossing(time, np.array([[0.0, 0.1, 0.2, 0.6], [0.0, 1.0, 1.0, 1.0]]),
                            np.array([0.5, 0.25]), falling=False)
    assert rising.tolist() == [6.0, 0.25]
