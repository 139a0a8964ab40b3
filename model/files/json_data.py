"""JSON for output files: plain types, insertion order, no NaN."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping

import numpy as np


def jsonable(value: object) -> object:
    """Convert ``value`` to plain JSON types: numpy scalars to Python, NaN/inf to ``None``."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


def to_json(data: Mapping) -> str:
    """Serialise ``data`` as indented JSON in insertion order (no NaN, newline at the end)."""
    return json.dumps(jsonable(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
