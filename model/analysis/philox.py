"""Counter-based random numbers: Philox4x32-10, so any patient's any day is drawn directly.

Philox4x32-10 (Salmon, Moraes, Dror & Shaw 2011, "Parallel random numbers: as
easy as 1, 2, 3", SC'11; the generator of Random123, cuRAND and numpy's
``Philox`` family) maps a 128-bit counter and a 64-bit key to 128 random bits
through ten rounds of multiply-and-xor. It passes TestU01's BigCrush. Because a
number depends only on its counter, the diary of patient ``p`` on day ``d`` is
drawn without drawing anything else: no per-patient generator to create, no
fixed horizon to draw ahead, and a longer diary always begins with the
shorter one.

The same arithmetic runs two ways with identical bits: on numpy ``uint64``
arrays (:func:`philox_numpy`, for a few patients, with no compiler to load)
and as a compiled loop (:func:`uniforms`, for blocks of thousands of
patients). Integer arithmetic has no rounding, so the two agree exactly; the
known-answer vectors of Random123 check both.
"""

from __future__ import annotations

import numpy as np
from lbp_headache.analysis.philox_constants import (
    MASK,
    MULTIPLIER_0,
    MULTIPLIER_1,
    ROUNDS,
    WEYL_0,
    WEYL_1,
)

COMPILED_FROM = 20_000  # counters from which :func:`uniforms` uses the compiled loop


def philox_numpy(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 of counters ``(c0, c1, c2, c3)`` and key ``(k0, k1)``, elementwise.

    Every argument is a ``uint64`` array (or scalar) holding 32-bit words;
    returns the four 32-bit output words as ``uint64`` arrays.
    """
    c0, c1, c2, c3 = (np.asarray(c, dtype=np.uint64) for c in (c0, c1, c2, c3))
    k0 = np.asarray(k0, dtype=np.uint64)
    k1 = np.asarray(k1, dtype=np.uint64)
    m0, m1, mask = np.uint64(MULTIPLIER_0), np.uint64(MULTIPLIER_1), np.uint64(MASK)
    w0, w1, shift = np.uint64(WEYL_0), np.uint64(WEYL_1), np.uint64(32)
    for round_ in range(ROUNDS):
        if round_:
            k0 = (k0 + w0) & mask
            k1 = (k1 + w1) & mask
        p0 = m0 * c0
        p1 = m1 * c2
        c0, c1, c2, c3 = ((p1 >> shift) ^ c1 ^ k0, p1 & mask, (p0 >> shift) ^ c3 ^ k1,
                          p0 & mask)
    return c0, c1, c2, c3


def _to_unit(high, low):
    """A float in the open interval (0, 1) from two 32-bit words: 53 random bits, centred."""
    bits = (high >> np.uint64(5)) * np.uint64(1 << 26) + (low >> np.uint64(6))
    return (bits.astype(np.float64) + 0.5) * (1.0 / 9007199254740992.0)


def key_words(seed: int) -> tuple[int, int]:
    """The key: a non-negative seed below 2**64 as two 32-bit words."""
    seed = int(seed)
    if not 0 <= seed < 1 << 64:
        raise ValueError(f"seed must be in 0 .. 2**64 - 1; got {seed}")
    return seed & MASK, seed >> 32


def uniforms(seed: int, stream: int, patients: np.ndarray, days: int,
             compiled: bool | None = None) -> np.ndarray:
    """Two uniforms in (0, 1) per patient and day: ``(2, n_patients, days)``.

    The counter is ``(day, patient, stream, 0)``; the key is the seed. The
    first output pair gives the first uniform, the second pair the second.
    ``compiled`` chooses the compiled loop (default: for large blocks); the
    numbers are the same either way.
    """
    patients = np.asarray(patients, dtype=np.int64)
    if patients.size and (patients.min() < 0 or patients.max() > MASK):
        raise ValueError("patient numbers must be in 0 .. 2**32 - 1")
    if not 0 <= stream <= MASK:
        raise ValueError("stream must be a 32-bit word")
    k0, k1 = key_words(seed)
    if compiled is None:
        compiled = patients.size * days >= COMPILED_FROM
    if compiled and patients.size and days:
        from lbp_headache.analysis.philox_kernel import uniforms_into  # lazy: loads numba

        out = np.empty((2, patients.size, days))
        uniforms_into(patients.astype(np.uint64), np.uint64(stream), np.uint64(k0),
                      np.uint64(k1), out)
        return out
    day = np.arange(days, dtype=np.uint64)[None, :]
    patient = patients.astype(np.uint64)[:, None]
    words = philox_numpy(day, patient, np.uint64(stream), np.uint64(0), np.uint64(k0),
                         np.uint64(k1))
    shape = (patients.size, days)
    return np.stack([np.broadcast_to(_to_unit(words[0], words[1]), shape),
                     np.broadcast_to(_to_unit(words[2], words[3]), shape)])
