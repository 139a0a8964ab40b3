"""Units of calibration targets: pint's, plus headache-day rates and pain-scale points.

A target's unit is a pint unit (``min``, ``h``, ``pg/mL``, ``%``, ``month``),
a headache-day rate (``days per 28 days``, the window the model counts in;
``days per month``, a calendar month of 365.25 / 12 days), or a named scale
that converts only to itself (``points (0-100)``, ``points (0-10)``,
``patients``).
"""

from __future__ import annotations

from lbp_headache.core.calendar import CALENDAR_MONTH_DAYS, METRIC_MONTH_DAYS
from lbp_headache.core.errors import UnitError
from lbp_headache.core.units import to_canonical

# name: (pint unit, factor to it)
RATES = {"days per 28 days": ("1/day", 1.0 / METRIC_MONTH_DAYS),
         "days per month": ("1/day", 1.0 / CALENDAR_MONTH_DAYS)}
SCALES = ("points (0-100)", "points (0-10)", "patients")


def convert(value: float, unit: str, to: str) -> float:
    """``value`` in ``unit`` expressed in ``to``.

    Raises
    ------
    UnitError
        If the two units do not convert (a named scale converts only to itself).
    """
    if unit == to:
        return value
    if unit in SCALES or to in SCALES:
        raise UnitError(f"'{unit}' does not convert to '{to}'")
    source, factor = RATES.get(unit, (unit, 1.0))
    target, target_factor = RATES.get(to, (to, 1.0))
    return to_canonical(value * factor, target, default_unit=source) / target_factor
