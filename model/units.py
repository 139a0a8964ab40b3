"""Units at the edges: parse values with pint, hand the solver plain floats.

Canonical units: time in days, posture in degrees, IL-6 in pg/mL, doses in
mg/day; everything else is dimensionless. A bare number takes the unit the
caller documents (``default_unit``).
"""

from __future__ import annotations

from functools import lru_cache

import pint

from .errors import UnitError

DIMENSIONLESS = "dimensionless"


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry:
    """Return the package's shared pint registry (created once)."""
    ureg = pint.UnitRegistry()
    # Clinical scales: points on a 0-10 numeric rating scale are dimensionless.
    ureg.define("point = 1 = pts")
    return ureg


def to_canonical(value: object, unit: str, *, default_unit: str | None = None) -> float:
    """Convert ``value`` (a number or a string such as ``"6 months"``) to ``unit``.

    Parameters
    ----------
    value
        A number (taken to be in ``default_unit``, or ``unit`` if not given) or a
        string with a magnitude and a unit.
    unit
        The canonical unit to convert to, e.g. ``"day"``.
    default_unit
        The unit of a bare number; defaults to ``unit``.

    Returns
    -------
    float
        The magnitude in ``unit``.

    Raises
    ------
    UnitError
        If the string cannot be parsed or has the wrong dimension.
    """
    ureg = registry()
    if isinstance(value, bool):
        raise UnitError(f"expected a number or a quantity in {unit}, got {value!r}")
    if isinstance(value, (int, float)):
        quantity = ureg.Quantity(float(value), default_unit or unit)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise UnitError(f"expected a quantity in {unit}, got an empty string")
        try:
            quantity = ureg.Quantity(text)
        except pint.UndefinedUnitError as exc:
            raise UnitError(f"cannot read {value!r} as a quantity: "
                            f"{_unknown_units(exc.unit_names)}") from None
        except Exception as exc:  # pint raises several unrelated types here
            raise UnitError(f"cannot read {value!r} as a quantity ({type(exc).__name__})") from None
        if not isinstance(quantity, pint.Quantity):  # a bare number in a string
            quantity = ureg.Quantity(float(quantity), default_unit or unit)
        elif quantity.dimensionless and quantity.units == ureg.dimensionless:
            quantity = ureg.Quantity(float(quantity.magnitude), default_unit or unit)
    else:
        raise UnitError(f"expected a number or a quantity in {unit}, got {type(value).__name__}")
    try:
        magnitude = float(quantity.to(unit).magnitude)
    except pint.DimensionalityError:
        raise UnitError(
            f"{value!r} has unit '{quantity.units:~}' but {_describe(unit)} is required"
        ) from None
    if magnitude != magnitude or magnitude in (float("inf"), float("-inf")):
        raise UnitError(f"{value!r} is not a finite number")
    return magnitude


# Units a scenario or sweep file uses, for "did you mean" on a misspelt one.
COMMON_UNITS = ("d", "day", "days", "week", "weeks", "month", "months", "year", "years", "h",
                "hour", "hours", "minute", "minutes", "mg", "mg/day", "pg/mL", "deg", "degree",
                "degrees", "point", "points", "percent")


def _unknown_units(names) -> str:
    from .parameters import suggest

    names = [names] if isinstance(names, str) else list(names)
    parts = []
    for name in names:
        close = suggest(name, COMMON_UNITS).removeprefix("; ")
        parts.append(f"unknown unit '{name}'" + (f" ({close})" if close else ""))
    return ", ".join(parts)


def _describe(unit: str) -> str:
    if unit == DIMENSIONLESS:
        return "a dimensionless number"
    dimensionality = registry().Unit(unit).dimensionality
    return f"a quantity in {unit} ({dimensionality})"


def pretty(unit: str) -> str:
    """Short display form of a unit for tables and axis labels (``day`` -> ``d``)."""
    if unit == DIMENSIONLESS:
        return "1"
    return f"{registry().Unit(unit):~P}"
