"""The constants of Philox4x32-10 (Salmon et al. 2011), shared by the numpy and compiled loops."""

from __future__ import annotations

MULTIPLIER_0 = 0xD2511F53
MULTIPLIER_1 = 0xCD9E8D57
WEYL_0 = 0x9E3779B9
WEYL_1 = 0xBB67AE85
MASK = 0xFFFFFFFF
ROUNDS = 10
