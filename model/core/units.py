"""Units at the edges: parse values with pint, hand the solver plain floats.

Canonical units: time in days, posture in degrees, IL-6 in pg/mL, doses in
mg/day; everything else is dimensionless. A bare number takes the unit the
caller documents (``default_unit``).

A quantity written as text is read by a strict grammar of our own before pint
sees anything (:func:`parse_quantity_text`), so that it is read exactly as
written or refused: a number (``12``, ``0.8``, ``1.5e3``) and an optional
unit (``months``, ``mg/day``, ``1/day``, ``day^-1``), or a sum of such terms
(``6 months + 3 weeks``). Refused: a decimal comma (``0,8``: 0.8 or 8?),
anything left over (``5 days;``, ``6 months 2``, ``1.2.3 days``),
arithmetic on numbers (``10 ** 10 ** 10 days``), more than
:data:`MAX_QUANTITY_CHARS` characters, exponents beyond
:data:`MAX_UNIT_EXPONENT`, and a bare number inside a sum. Only the unit
part, at most :data:`MAX_UNIT_CHARS` characters, is handed to pint.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import sys
import unicodedata
from functools import lru_cache
from pathlib import Path

from lbp_headache.core.cache import cache_root
from lbp_headache.core.errors import UnitError
from lbp_headache.core.suggestions import suggest

# pint imports Dask when it is installed (a tenth of a second of a one-scenario run), for
# quantities of Dask arrays, which this package never makes: Dask is hidden while pint
# loads (unless something imported it already), and visible again right after.
_HIDE_DASK = "dask" not in sys.modules
if _HIDE_DASK:
    sys.modules["dask"] = None  # type: ignore[assignment]
try:
    import pint
finally:
    if _HIDE_DASK:
        del sys.modules["dask"]

DIMENSIONLESS = "dimensionless"
MAX_QUANTITY_CHARS = 100
MAX_UNIT_CHARS = 40
MAX_TERMS = 8
MAX_UNIT_EXPONENT = 4
MAX_NUMBER_CHARS = 32

# ASCII digits only: Python's float() also reads '５' (fullwidth) and '١٢' (Arabic-Indic).
_NUMBER = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_NAME = r"[A-Za-zµμΩ°%][A-Za-zµμΩ°_]*"
_FACTOR = rf"{_NAME}(?:\s*(?:\^|\*\*)\s*[+-]?[0-9]+)?"
_UNIT = rf"(?:(?:1\s*)?/\s*)?{_FACTOR}(?:\s*[*/·]\s*{_FACTOR})*"
_TERM = re.compile(rf"\s*([+-]?)\s*({_NUMBER})(?:\s*({_UNIT}))?\s*")
_OPERATOR = re.compile(r"\s*([+-])")
_EXPONENT = re.compile(r"(?:\^|\*\*)\s*([+-]?[0-9]+)")


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry:
    """Return the package's shared pint registry (created once).

    pint keeps its parsed definitions in a folder of ``<cache root>/pint``
    (:func:`lbp_headache.core.cache.cache_root`): building the registry then
    takes about 0.01 s instead of 0.2-0.5 s, a third of a warm ``lbp-headache run``.
    The folder is one per pint installation (:func:`pint_cache_folder`): pint
    names a cache entry after the definition file's contents but stores the
    absolute paths of the files it imports, so one folder shared by two
    environments breaks for both once either is deleted. A cache that cannot
    be read is deleted and rebuilt once; one that cannot be written is skipped.
    The registry is the same either way.
    """
    folder = pint_cache_folder()
    for _ in range(2):
        try:
            ureg = pint.UnitRegistry(cache_folder=folder)
            break
        except Exception:  # a cache must never stop a run: rebuild it, then do without
            shutil.rmtree(folder, ignore_errors=True)
    else:
        ureg = pint.UnitRegistry()
    # Clinical scales: points on a 0-10 numeric rating scale are dimensionless.
    ureg.define("point = 1 = pts")
    return ureg


def pint_cache_folder() -> Path:
    """The cache folder of this pint installation (its version and location)."""
    installation = f"{pint.__version__}\n{Path(pint.__file__).resolve().parent}"
    return cache_root() / "pint" / hashlib.sha256(installation.encode()).hexdigest()[:16]


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
        raise UnitError(f"expected a number or a quantity in {unit}, got {value!r} "
                        "(true/false are never numbers)")
    if isinstance(value, (int, float)):
        try:
            quantity = ureg.Quantity(float(value), default_unit or unit)
        except OverflowError:
            raise UnitError(f"{_shown(value)} is too large a number") from None
    elif isinstance(value, str):
        quantity = _quantity_from_text(value, unit, default_unit)
    else:
        raise UnitError(f"expected a number or a quantity in {unit}, got {type(value).__name__}")
    try:
        magnitude = float(quantity.to(unit).magnitude)
    except pint.DimensionalityError:
        raise UnitError(
            f"{_shown(value)} has unit '{quantity.units:~}' but {_describe(unit)} is required"
        ) from None
    if magnitude != magnitude or magnitude in (float("inf"), float("-inf")):
        raise UnitError(f"{_shown(value)} is not a finite number")
    return magnitude


def parse_quantity_text(text: str) -> list[tuple[float, str | None]]:
    """Split a quantity written as text into ``(signed number, unit text or None)`` terms.

    Raises
    ------
    UnitError
        If the text is not exactly a number with an optional unit, or a sum of
        such terms (see the module docstring for what is refused and why).
    """
    stripped = text.strip()
    if not stripped:
        raise UnitError("expected a quantity, got an empty text")
    if len(stripped) > MAX_QUANTITY_CHARS:
        raise UnitError(f"a quantity of {len(stripped):,} characters; write a number and a "
                        f"unit (at most {MAX_QUANTITY_CHARS} characters), e.g. '6 months'")
    foreign = next((char for char in stripped if char.isdigit() and not char.isascii()), None)
    if foreign is not None:
        name = unicodedata.name(foreign, "a non-ASCII digit")
        raise UnitError(f"{_shown(text)} has the digit '{foreign}' (U+{ord(foreign):04X} "
                        f"{name}); write the digits 0-9")
    comma = re.search(r"([0-9]+),([0-9]+)", stripped)
    if comma:
        whole, part = comma.groups()
        raise UnitError(f"{_shown(text)} has a comma: it could be {whole}.{part} (a decimal "
                        f"comma) or {int(whole + part)} (a thousands separator); write the number "
                        "with a point and no separator, e.g. 0.8 or 1200")
    terms: list[tuple[float, str | None]] = []
    position, sign = 0, ""
    while True:
        match = _TERM.match(stripped, position)
        if match is None or (terms and match.group(1)):
            raise UnitError(_unexpected(text, stripped, position, bool(terms)))
        explicit_sign, number, unit_text = match.groups()
        if len(number) > MAX_NUMBER_CHARS:
            raise UnitError(f"a number of {len(number)} characters in {_shown(text)}; write "
                            "large or small values with an exponent, e.g. 1.5e6")
        negative = (sign == "-") != (explicit_sign == "-")
        terms.append((-float(number) if negative else float(number),
                      unit_text.strip() if unit_text else None))
        position = match.end()
        if position == len(stripped):
            break
        operator = _OPERATOR.match(stripped, position)
        if operator is None or len(terms) >= MAX_TERMS:
            raise UnitError(_unexpected(text, stripped, position, True))
        sign, position = operator.group(1), operator.end()
    for _, unit_text in terms:
        if unit_text is None:
            continue
        if len(unit_text) > MAX_UNIT_CHARS:
            raise UnitError(f"the unit '{unit_text[:20]}...' is longer than {MAX_UNIT_CHARS} "
                            "characters")
        for exponent in _EXPONENT.findall(unit_text):
            if abs(int(exponent)) > MAX_UNIT_EXPONENT:
                raise UnitError(f"the unit '{unit_text}' has the power {exponent}; powers up "
                                f"to {MAX_UNIT_EXPONENT} are allowed")
    if len(terms) > 1 and any(unit_text is None for _, unit_text in terms):
        raise UnitError(f"{_shown(text)}: in a sum every term needs a unit "
                        "(e.g. '6 months + 3 weeks')")
    return terms


def _unexpected(text: str, stripped: str, position: int, after_term: bool) -> str:
    rest = stripped[position:].strip()
    shown_rest = _shown(rest[:30] + ("..." if len(rest) > 30 else ""))
    if not after_term:
        return (f"cannot read {_shown(text)} as a quantity: expected a number first, then a "
                "unit, e.g. '6 months', '0.8' or '1200 mg/day'")
    hint = ""
    if re.match(r"\d", rest):
        hint = "; to add two times write '+' between them, e.g. '2 weeks + 3 days'"
    elif rest.startswith(("*", "/", "^")):
        hint = "; arithmetic on numbers is not allowed: write the value itself"
    return f"cannot read {_shown(text)} as a quantity: unexpected {shown_rest}{hint}"


def _quantity_from_text(text: str, unit: str, default_unit: str | None) -> pint.Quantity:
    """A pint quantity from text, read by :func:`parse_quantity_text`."""
    ureg = registry()
    terms = parse_quantity_text(text)
    if len(terms) == 1 and terms[0][1] is None:
        return ureg.Quantity(terms[0][0], default_unit or unit)
    total = None
    for number, unit_text in terms:
        if unit_text.startswith("/"):
            unit_text = "1" + unit_text
        try:
            term_unit = ureg.Unit(unit_text)
        except pint.UndefinedUnitError as exc:
            raise UnitError(f"cannot read {_shown(text)} as a quantity: "
                            f"{_unknown_units(exc.unit_names)}") from None
        except Exception as exc:  # pint raises several unrelated types here
            raise UnitError(f"cannot read the unit '{unit_text}' ({type(exc).__name__})") \
                from None
        term = ureg.Quantity(number, term_unit)
        try:
            total = term if total is None else total + term
        except pint.DimensionalityError:
            raise UnitError(f"{_shown(text)} adds terms of different kinds "
                            f"('{total.units:~}' and '{term.units:~}')") from None
    return total


def _shown(value: object) -> str:
    """A value quoted for a message: at most 60 characters."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return repr(text) if isinstance(value, str) else text


# Units a scenario or sweep file uses, for "did you mean" on a misspelt one.
COMMON_UNITS = ("d", "day", "days", "week", "weeks", "month", "months", "year", "years", "h",
                "hour", "hours", "minute", "minutes", "mg", "mg/day", "pg/mL", "deg", "degree",
                "degrees", "point", "points", "percent")


def _unknown_units(names) -> str:
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
