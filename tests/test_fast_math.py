"""The vectorizable exp, log and power of lbp_headache.engine.fast_math against the C library."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

numba = pytest.importorskip("numba")

from lbp_headache.core import equations  # noqa: E402
from lbp_headache.engine import fast_math  # noqa: E402


@numba.njit
def _exp(x, out):
    for k in range(x.size):
        out[k] = fast_math.exp(x[k])


@numba.njit
def _log(x, out):
    for k in range(x.size):
        out[k] = fast_math.log(x[k])


@numba.njit
def _power(x, n, out):
    for k in range(x.size):
        out[k] = fast_math.power(x[k], n[k])


@numba.njit
def _equations_power(x, n, out):
    for k in range(x.size):
        out[k] = equations.power(x[k], n[k])


def _apply(function, *arrays):
    out = np.empty_like(arrays[0])
    function(*arrays, out)
    return out


def test_exp_is_within_a_few_ulp_of_the_c_library():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(-700, 700, 200_000), rng.uniform(-1, 1, 100_000),
                        [0.0, -0.0, 1e-300, -1e-300, 0.5 * np.log(2), -0.5 * np.log(2)]])
    assert_allclose(_apply(_exp, x), np.exp(x), rtol=5e-16, atol=0)


def test_exp_saturates_instead_of_overflowing():
    out = _apply(_exp, np.array([1000.0, -1000.0]))
    assert np.all(np.isfinite(out)) and out[0] > 1e307 and 0.0 < out[1] < 1e-307


def test_log_is_within_a_few_ulp_of_the_c_library():
    rng = np.random.default_rng(2)
    x = np.concatenate([np.exp(rng.uniform(-700, 700, 200_000)), rng.uniform(0.5, 2.0, 100_000),
                        [1.0, 2.0, np.sqrt(2.0), np.nextafter(np.sqrt(2.0), 3.0),
                         2.2250738585072014e-308, 1.7e308]])
    expected = np.log(x)
    assert_allclose(_apply(_log, x), expected, rtol=5e-16, atol=2.3e-16)


def test_power_over_the_ranges_the_model_uses():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(0.0, 5.0, 100_000), np.exp(rng.uniform(-30, 8, 100_000))])
    n = rng.uniform(0.0, 8.0, x.size)
    assert_allclose(_apply(_power, x, n), x**n, rtol=2e-14, atol=1e-300)


def test_power_at_zero_follows_the_c_library():
    x = np.zeros(3)
    n = np.array([2.5, 0.0, -1.0])
    with np.errstate(divide="ignore"):
        assert_array_equal(_apply(_power, x, n), x**n)


def test_compiled_equations_use_the_vectorizable_power():
    rng = np.random.default_rng(4)
    x = rng.uniform(0.0, 3.0, 1000)
    n = rng.uniform(1.0, 8.0, 1000)
    assert_array_equal(_apply(_equations_power, x, n), _apply(_power, x, n))
    assert_allclose(equations.power(x, n), x**n, rtol=0)  # Python: the C library itself


@numba.njit
def _estrin(x, c, out):
    for k in range(x.size):
        out[k] = fast_math.estrin(x[k], c)


@pytest.mark.parametrize("n_coefficients", [1, 2, 5, 11, 13, 14])
def test_estrin_evaluates_the_polynomial(n_coefficients):
    """Every coefficient lands on its power of x (a misplaced one is off by far more)."""
    rng = np.random.default_rng(n_coefficients)
    coefficients = rng.uniform(-2.0, 2.0, n_coefficients)
    padded = tuple(coefficients.tolist()) + (0.0,) * (14 - n_coefficients)
    x = np.linspace(-0.9, 0.9, 37)
    expected = np.polynomial.polynomial.polyval(x, coefficients)
    scale = np.polynomial.polynomial.polyval(np.abs(x), np.abs(coefficients))
    assert np.max(np.abs(_apply(lambda x, out: _estrin(x, padded, out), x) - expected)
                  / scale) < 1e-15
