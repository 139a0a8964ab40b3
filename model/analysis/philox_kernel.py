"""The compiled loop of :mod:`.philox`: the same Philox4x32-10 words, a patient-day at a time.

Loaded only when a block is large enough to repay loading numba; its numbers
equal :func:`.philox.philox_numpy`'s bit for bit (integer arithmetic only, and
the same conversion to floats), which the tests check.
"""

from __future__ import annotations

from pathlib import Path

import numba
import numpy as np
from lbp_headache.analysis import philox_constants
from lbp_headache.analysis.philox_constants import (
    MASK,
    MULTIPLIER_0,
    MULTIPLIER_1,
    ROUNDS,
    WEYL_0,
    WEYL_1,
)
from lbp_headache.engine.compile_cache import numba_cache_for

_M0 = np.uint64(MULTIPLIER_0)
_M1 = np.uint64(MULTIPLIER_1)
_W0 = np.uint64(WEYL_0)
_W1 = np.uint64(WEYL_1)
_MASK = np.uint64(MASK)
_SHIFT = np.uint64(32)
_S5 = np.uint64(5)
_S6 = np.uint64(6)
_TWO26 = np.uint64(1 << 26)
_SCALE = 1.0 / 9007199254740992.0


def _uniforms_into(patients, stream, k0_seed, k1_seed, out):  # pragma: no cover - compiled
    """Fill ``out`` ``(2, n, days)`` with the uniforms of :func:`.philox.uniforms`."""
    n = patients.shape[0]
    days = out.shape[2]
    for row in range(n):
        patient = patients[row]
        for day in range(days):
            c0 = np.uint64(day)
            c1 = patient
            c2 = stream
            c3 = np.uint64(0)
            k0 = k0_seed
            k1 = k1_seed
            for round_ in range(ROUNDS):
                if round_ > 0:
                    k0 = (k0 + _W0) & _MASK
                    k1 = (k1 + _W1) & _MASK
                p0 = _M0 * c0
                p1 = _M1 * c2
                n0 = (p1 >> _SHIFT) ^ c1 ^ k0
                n1 = p1 & _MASK
                n2 = (p0 >> _SHIFT) ^ c3 ^ k1
                n3 = p0 & _MASK
                c0, c1, c2, c3 = n0, n1, n2, n3
            bits = (c0 >> _S5) * _TWO26 + (c1 >> _S6)
            out[0, row, day] = (np.float64(bits) + 0.5) * _SCALE
            bits = (c2 >> _S5) * _TWO26 + (c3 >> _S6)
            out[1, row, day] = (np.float64(bits) + 0.5) * _SCALE


with numba_cache_for(Path(__file__), Path(philox_constants.__file__)):
    uniforms_into = numba.njit(cache=True, nogil=True)(_uniforms_into)
