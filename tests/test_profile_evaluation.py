"""A profile evaluated on many times at once gives exactly what it gives one time at a time."""

from __future__ import annotations

import numpy as np
import pytest
from lbp_headache.scenario import profiles

CASES = {
    "constant": profiles.constant(3.0),
    "natural history": profiles.natural_history("persistent", 0.7),
    "ramp with a jump": profiles.from_points([0, 10, 10, 30.5, 100], [1, 2, 5, 0.3, 9]),
    "steps": profiles.from_points([5, 20], [2, 6], kind="step"),
    "flares": profiles.flares(1.0, 6.0, every=56.0, length=10.0, first=3.0, until=500.0),
}


@pytest.mark.parametrize("name", CASES)
def test_all_at_once_equals_one_at_a_time(name):
    profile = CASES[name]
    rng = np.random.default_rng(7)
    breakpoints = np.array(profile.breakpoints or (0.0,))
    times = np.concatenate([rng.uniform(-5.0, 600.0, 3000), breakpoints, breakpoints - 1e-9,
                            [0.0, 1e6]])
    one_by_one = np.array([profile.linear_at(float(t))[0] for t in times])
    assert np.array_equal(profile(times), one_by_one)  # bit for bit, jumps included
    assert profile(np.array(7.0)).shape == ()
    grid = times[: 3 * (times.size // 3)].reshape(3, -1)
    assert np.array_equal(profile(grid), one_by_one[: grid.size].reshape(grid.shape))
