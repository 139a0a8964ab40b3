"""Collect every problem in an input file before reporting them together.

Converters record a :class:`~lbp_headache.core.errors.Problem` (file, line, key path,
message) and return ``None``, so validation goes on past the first mistake
and a student fixes a file in one pass.
"""

from __future__ import annotations

from collections.abc import Sequence

from lbp_headache.core.errors import ParameterError, Problem, UnitError
from lbp_headache.core.parameters import BY_NAME, check_value
from lbp_headache.core.suggestions import suggest
from lbp_headache.core.units import DIMENSIONLESS, pretty, to_canonical
from lbp_headache.files.yaml_source import AmbiguousScalar, Mark, YamlList, YamlMap

TIME_HINT = "write a time such as '6 months', '2 weeks', '3 d' or a bare number of days"
MINUTE = 1.0 / 1440.0  # days
MIN_INTERVAL = MINUTE  # the shortest window, step or spacing a file may ask for


def below_resolution(days: float) -> bool:
    """Whether a span is shorter than :data:`MIN_INTERVAL` (``1 minute`` itself is not)."""
    return days < MIN_INTERVAL * (1.0 - 1e-9)
MAX_TEXT_CHARS = 200  # names and labels (descriptions may be longer)
MAX_DESCRIPTION_CHARS = 5000


class ProblemCollector:
    """Collects problems; converters return ``None`` after recording one."""

    def __init__(self):
        self.items: list[Problem] = []

    def add(self, mark: Mark, key: str, message: str) -> None:
        self.items.append(Problem(mark.file, mark.line, key, message))

    def keys(self, mapping: YamlMap, allowed: Sequence[str], path: str) -> None:
        """Report keys of ``mapping`` not in ``allowed`` (with a suggestion or the list)."""
        for key in mapping:
            if key not in allowed:
                hint = suggest(key, allowed) or f"; allowed: {', '.join(allowed)}"
                self.add(mapping.key_marks[key], join_key(path, key), f"unknown key '{key}'{hint}")

    def quantity(self, value: object, unit: str, mark: Mark, key: str, *,
                 hint: str = "") -> float | None:
        """``value`` in ``unit`` (bare numbers are in ``unit``), or ``None``."""
        if value is None:
            self.add(mark, key, "no value given" + (f"; {hint}" if hint else ""))
            return None
        if isinstance(value, (YamlMap, YamlList)):
            self.add(mark, key, "expected a single value, not a " +
                     ("mapping" if isinstance(value, YamlMap) else "list"))
            return None
        if isinstance(value, AmbiguousScalar):
            self.add(mark, key, value.message)
            return None
        try:
            return to_canonical(value, unit)
        except UnitError as exc:
            self.add(mark, key, str(exc) + (f"; {hint}" if hint else ""))
            return None

    def parameter_value(self, name: str, value: object, mark: Mark, key: str) -> float | None:
        """A value for the table parameter ``name`` in its unit, checked against its range."""
        record = BY_NAME[name]
        number = self.quantity(value, record.unit, mark, key,
                               hint=unit_hint(name, record.unit))
        if number is None:
            return None
        try:
            check_value(name, number)
        except ParameterError as exc:
            self.add(mark, key, str(exc))
            return None
        return number

    def time(self, value: object, mark: Mark, key: str, *, positive: bool = False) -> float | None:
        """A time in days (>= 0; with ``positive``, a span of at least :data:`MIN_INTERVAL`)."""
        days = self.quantity(value, "day", mark, key, hint=TIME_HINT)
        if days is None:
            return None
        if days < 0 or (positive and days == 0):
            self.add(mark, key, f"must be {'positive' if positive else 'zero or positive'}, "
                     f"got {days:g} days")
            return None
        if positive and below_resolution(days):
            self.add(mark, key, f"{days:g} days is shorter than 1 minute, the shortest span "
                     "the model resolves")
            return None
        return days

    def whole(self, value: object, mark: Mark, key: str, minimum: int,
              maximum: int | None = None) -> int | None:
        """A whole number in ``[minimum, maximum]`` (not a float, not true/false), or ``None``."""
        if isinstance(value, AmbiguousScalar):
            self.add(mark, key, value.message)
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            shown = f"'{value}'" if isinstance(value, str) else repr(value)
            self.add(mark, key, f"expected a whole number >= {minimum}, got {shown}")
            return None
        if maximum is not None and value > maximum:
            self.add(mark, key, f"{value:,} is more than the limit of {maximum:,}")
            return None
        return value

    def number(self, value: object, mark: Mark, key: str, low: float, high: float,
               unit: str = DIMENSIONLESS) -> float | None:
        """A number in ``unit`` within ``[low, high]``, or ``None``."""
        number = self.quantity(value, unit, mark, key)
        if number is not None and not low <= number <= high:
            allowed = format_range(low, high, unit)
            self.add(mark, key, f"{number:g} is outside the allowed range {allowed}")
            return None
        return number

    def text(self, value: object, mark: Mark, key: str,
             limit: int = MAX_TEXT_CHARS) -> str | None:
        """Text of at most ``limit`` characters (pass ``YamlMap.text_of(key)``: as written)."""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.add(mark, key, "expected text")
            return None
        text = str(value)
        if len(text) > limit:
            self.add(mark, key, f"{len(text):,} characters; at most {limit:,} are allowed")
            return None
        return text

    def mapping(self, value: object, mark: Mark, key: str, example: str) -> YamlMap | None:
        if isinstance(value, YamlMap):
            return value
        self.add(mark, key, f"expected a mapping of keys, e.g. {example}")
        return None

    def sequence(self, value: object, mark: Mark, key: str, example: str) -> YamlList | None:
        if isinstance(value, YamlList):
            return value
        self.add(mark, key, f"expected a list ('- ...' lines), e.g. {example}")
        return None

def in_reading_order(items: list[Problem]) -> list[Problem]:
    """Problems grouped by file (first reported first), by line within a file."""
    files = list(dict.fromkeys(p.file for p in items))
    return sorted(items, key=lambda p: (files.index(p.file), p.line or 0))


def join_key(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def format_range(low: float, high: float, unit: str = DIMENSIONLESS) -> str:
    suffix = "" if unit == DIMENSIONLESS else f" {pretty(unit)}"
    return f"[{low:g}, {high:g}]{suffix}"


def choice(problems: ProblemCollector, value: object, choices: Sequence[str], mark: Mark, key: str,
            what: str) -> str | None:
    """``value`` if it is one of ``choices``; else a problem with a suggestion."""
    if not isinstance(value, str) or len(value) > MAX_TEXT_CHARS:
        problems.add(mark, key, f"expected a {what}, one of: {', '.join(choices)}")
        return None
    if value not in choices:
        hint = suggest(value, choices) or f"; allowed: {', '.join(choices)}"
        problems.add(mark, key, f"unknown {what} '{value}'{hint}")
        return None
    return value



def unit_hint(name: str, unit: str) -> str:
    """``'name' is in mg/d``, or ``'name' is dimensionless``."""
    if unit == DIMENSIONLESS:
        return f"'{name}' is dimensionless"
    return f"'{name}' is in {pretty(unit)}"
