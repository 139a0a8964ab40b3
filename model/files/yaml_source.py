"""Safe YAML loading that remembers where every key and value was written.

PyYAML's ``safe_load`` forgets line numbers, silently keeps the last of two
duplicate keys and expands aliases without limit. Here a document is
*composed* (parsed into nodes, nothing constructed) by a ``yaml.SafeLoader``
subclass that counts nodes, aliases and nesting depth, and the node graph is
then walked by hand into :class:`YamlMap` / :class:`YamlList` containers that
record a :class:`Mark` (file, line) for every key, value and list item.

Scalars are read under YAML 1.2's core schema, the reading a student
expects: ``on``, ``yes`` and ``no`` are text, ``010`` is ten, ``1:30`` and
``1_000`` are text. Where a YAML 1.1 reader (PyYAML, many editors and tools)
would read a plain scalar differently (``on`` as true, ``010`` as eight,
``1:30`` as ninety), the value is an :class:`AmbiguousScalar`: text, which
any key that needs a number or a switch refuses with both readings named.
A comma between digits inside ``[...]`` or ``{...}`` (``[90,5]``: the two
values 90 and 5, or the decimal 90.5?) is refused with both readings too.

Rejected, each as a :class:`~lbp_headache.core.errors.Problem` (the file is never
executed or expanded): files over :data:`MAX_BYTES`, non-UTF-8 text,
control characters (NUL, escape, ...), numbers of more than
:data:`MAX_DIGITS` digits, malformed YAML, several documents, a document
that is not a mapping, any tag beyond the plain YAML scalars/sequences/mappings (e.g.
``!!python/object/apply``), duplicate keys, merge keys (``<<``), recursive
aliases, more than :data:`MAX_ALIASES` aliases, more than :data:`MAX_NODES`
nodes after alias expansion ("billion laughs") and nesting deeper than
:data:`MAX_DEPTH`.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from dataclasses import dataclass

import yaml
from lbp_headache.core.errors import Problem, ScenarioError
from lbp_headache.files.input_files import MAX_YAML_BYTES, InputFileError, read_input

MAX_BYTES = MAX_YAML_BYTES
MAX_DIGITS = 30  # digits of a number (no quantity in this model needs more than 17)
MAX_ALIASES = 50
MAX_NODES = 100_000
MAX_DEPTH = 50

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_TAG + name for name in ("str", "int", "float", "bool", "null")}


@dataclass(frozen=True)
class Mark:
    """Where something was written: the file (as the user named it) and the 1-based line."""

    file: str
    line: int | None


class YamlMap(dict):
    """A ``dict`` of a YAML mapping with the :class:`Mark` of the mapping, each key and value."""

    def __init__(self, mark: Mark):
        super().__init__()
        self.mark = mark
        self.key_marks: dict[str, Mark] = {}
        self.value_marks: dict[str, Mark] = {}
        self.texts: dict[str, str] = {}

    def put(self, key: str, value: object, key_mark: Mark, value_mark: Mark,
            text: str | None = None) -> None:
        """Set ``key`` to ``value``, remember where both were written and, for a
        scalar, the characters as written (``text``: what a text key reads)."""
        self[key] = value
        self.key_marks[key] = key_mark
        self.value_marks[key] = value_mark
        if text is None:
            self.texts.pop(key, None)
        else:
            self.texts[key] = text

    def text_of(self, key: str) -> object:
        """The value of ``key`` as written, for keys that hold text (``name: 1.50``)."""
        return self.texts.get(key, self[key])

    def copy_located(self) -> YamlMap:
        """A shallow copy that keeps the marks."""
        other = YamlMap(self.mark)
        for key, value in self.items():
            other.put(key, value, self.key_marks[key], self.value_marks[key],
                      self.texts.get(key))
        return other


class YamlList(list):
    """A ``list`` of a YAML sequence with the :class:`Mark` of the sequence and each item."""

    def __init__(self, mark: Mark):
        super().__init__()
        self.mark = mark
        self.marks: list[Mark] = []

    def add(self, value: object, mark: Mark) -> None:
        """Append ``value`` and remember where it was written."""
        self.append(value)
        self.marks.append(mark)


class AmbiguousScalar(str):
    """A plain scalar that YAML 1.1 and YAML 1.2 read differently.

    It is the text as written (so a key that wants text reads it unchanged);
    a key that needs a number or true/false refuses it with :attr:`message`,
    which names both readings.
    """

    message: str

    def __new__(cls, text: str, message: str):
        self = super().__new__(cls, text)
        self.message = message
        return self


class _LimitExceeded(Exception):
    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.message = message
        self.line = line


class _CountingLoader(yaml.SafeLoader):
    """A ``SafeLoader`` that bounds aliases, composed nodes and nesting depth while composing."""

    def __init__(self, stream):
        super().__init__(stream)
        self.node_count = 0
        self.alias_count = 0
        self.depth = 0

    def compose_node(self, parent, index):
        line = self.peek_event().start_mark.line + 1
        self.node_count += 1
        if self.node_count > MAX_NODES:
            raise _LimitExceeded(f"document has more than {MAX_NODES} nodes", line)
        if self.check_event(yaml.AliasEvent):
            self.alias_count += 1
            if self.alias_count > MAX_ALIASES:
                raise _LimitExceeded(
                    f"more than {MAX_ALIASES} aliases (*name); a scenario never needs that many",
                    line,
                )
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _LimitExceeded(f"nesting deeper than {MAX_DEPTH} levels", line)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def compose_scalar_node(self, anchor):
        # As PyYAML's, but remembering whether the tag was written (``!!int 5``) or
        # resolved from the plain text (only then do YAML 1.1 and 1.2 rules differ).
        event = self.get_event()
        explicit = event.tag not in (None, "!")
        tag = event.tag if explicit else self.resolve(yaml.ScalarNode, event.value,
                                                      event.implicit)
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark,
                               style=event.style)
        node.explicit_tag = explicit
        if anchor is not None:
            self.anchors[anchor] = node
        return node


def read_text(path: str, *, what: str = "file", max_bytes: int = MAX_BYTES) -> tuple[str, bytes]:
    """Read an input file (:func:`.input_files.read_input`), problems as ScenarioError.

    Raises
    ------
    ScenarioError
        One problem naming ``path``: missing, unreadable, not a regular file,
        too large, not UTF-8, or holding a control character.
    """
    try:
        text, data = read_input(path, what=what, max_bytes=max_bytes)
    except InputFileError as exc:
        raise ScenarioError([Problem(path, exc.line, "", exc.message)]) from None
    problems = control_characters(text, path)
    if problems:
        raise ScenarioError(problems)
    return text, data


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")
MAX_REPORTED_CONTROLS = 5


def control_characters(text: str, name: str) -> list[Problem]:
    """One problem per line holding a control character (tab, newline and CR are fine)."""
    problems: list[Problem] = []
    lines_seen: set[int] = set()
    for match in _CONTROL.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        if line in lines_seen:
            continue
        lines_seen.add(line)
        column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        char = match.group()
        label = unicodedata.name(char, "") or {"\x00": "NUL", "\x1b": "ESC"}.get(char, "control")
        problems.append(Problem(name, line, "", f"a control character U+{ord(char):04X} "
                                f"({label}) in column {column}; delete it (it is invisible in "
                                "most editors, and often comes from copying text)"))
        if len(problems) >= MAX_REPORTED_CONTROLS:
            break
    return problems


def load_yaml(path: str | os.PathLike, *, what: str = "scenario file") -> tuple[YamlMap, bytes]:
    """Load a YAML file whose document must be a mapping, keeping positions.

    Parameters
    ----------
    path
        The file, as the user named it; problems quote it unchanged.

    Returns
    -------
    tuple of (YamlMap, bytes)
        The document and the file's raw bytes.

    Raises
    ------
    ScenarioError
        With every problem found (see the module docstring).
    """
    name = os.fspath(path)
    text, data = read_text(name, what=what)
    return parse_yaml(text, name), data


def parse_yaml(text: str, name: str) -> YamlMap:
    """Parse YAML ``text`` (from file ``name``) into a :class:`YamlMap`.

    Raises
    ------
    ScenarioError
        With every problem found (see the module docstring).
    """
    problems = control_characters(text, name)
    if problems:
        raise ScenarioError(problems)
    loader = _CountingLoader(text)
    try:
        root = loader.get_single_node()
    except _LimitExceeded as exc:
        raise ScenarioError([Problem(name, exc.line, "", exc.message)]) from None
    except yaml.MarkedYAMLError as exc:
        raise ScenarioError([_yaml_problem(name, exc)]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(name, None, "", f"malformed YAML: {exc}")]) from None
    except RecursionError:
        raise ScenarioError([Problem(name, None, "", "YAML nested too deeply")]) from None
    finally:
        loader.dispose()
    if root is None:
        raise ScenarioError([Problem(name, None, "", "file is empty; expected a mapping "
                                     "of keys such as 'duration: 12 months'")])
    if not isinstance(root, yaml.MappingNode) or root.tag != _TAG + "map":
        raise ScenarioError([Problem(
            name, _line(root), "",
            "the document must be a mapping of keys (e.g. 'duration: 12 months'), "
            f"not {_kind(root)}",
        )])
    walker = _Walker(name, text)
    document = walker.value(root, "", frozenset())
    if walker.problems:
        raise ScenarioError(walker.problems)
    assert isinstance(document, YamlMap)
    return document


def _yaml_problem(name: str, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    context_line = exc.context_mark.line + 1 if exc.context_mark is not None else None
    problem = exc.problem or ""
    if isinstance(exc, yaml.composer.ComposerError) and "single document" in str(exc):
        return Problem(name, line, "", "several YAML documents ('---'); a scenario file "
                       "holds exactly one")
    if "'\\t'" in problem:  # PyYAML writes the tab as \t
        return Problem(name, line, "", "malformed YAML: a tab character; YAML indents with "
                       "spaces only, so replace the tab with spaces")
    if "could not find expected ':'" in problem and context_line is not None:
        return Problem(name, context_line, "", "malformed YAML: a key without ':' after it "
                       "(write 'key: value')")
    context = exc.context or ""
    if context and context_line is not None and context_line != line:
        context += f" (from line {context_line})"
    return Problem(name, line, "", "malformed YAML: " + ", ".join(
        part for part in (context, problem) if part))


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _kind(node: yaml.Node) -> str:
    # Never quotes the file: it may be one that a scenario only refers to.
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    return "a single value"


# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution).
_NULL_12 = re.compile(r"null|Null|NULL|~|")
_BOOL_12 = {"true": True, "True": True, "TRUE": True,
            "false": False, "False": False, "FALSE": False}
_INT_12 = re.compile(r"[-+]?[0-9]+")
_OCT_12 = re.compile(r"0o[0-7]+")
_HEX_12 = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT_12 = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INF_12 = re.compile(r"[-+]?(\.inf|\.Inf|\.INF)")
_NAN_12 = re.compile(r"\.nan|\.NaN|\.NAN")
_DIGIT_COMMA_DIGIT = re.compile(r"\d,\d")


class _TooLong(ValueError):
    pass


def resolve_core(text: str, tag: str | None = None) -> object:
    """A scalar's value under YAML 1.2's core schema (``tag``: an explicit ``!!`` kind).

    Raises
    ------
    ValueError
        If ``text`` is not a value of the explicit ``tag``; :class:`_TooLong`
        for a number of more than :data:`MAX_DIGITS` digits.
    """
    kinds = ("null", "bool", "int", "float") if tag is None else (tag,)
    if tag == "str":
        return text
    for kind in kinds:
        if kind == "null" and _NULL_12.fullmatch(text):
            return None
        if kind == "bool" and text in _BOOL_12:
            return _BOOL_12[text]
        if kind in ("int", "float"):
            digits = sum(c.isdigit() for c in text)
            numeric = (_INT_12.fullmatch(text) or _OCT_12.fullmatch(text)
                       or _HEX_12.fullmatch(text) or _FLOAT_12.fullmatch(text))
            if numeric and digits > MAX_DIGITS:
                raise _TooLong(text)
        if kind == "int":
            if _INT_12.fullmatch(text):
                return int(text, 10)
            if _OCT_12.fullmatch(text):
                return int(text[2:], 8)
            if _HEX_12.fullmatch(text):
                return int(text[2:], 16)
        if kind == "float":
            if _FLOAT_12.fullmatch(text) or (tag == "float" and _INT_12.fullmatch(text)):
                return float(text)
            if _INF_12.fullmatch(text):
                return -math.inf if text.startswith("-") else math.inf
            if _NAN_12.fullmatch(text):
                return math.nan
    if tag is None:
        return text
    raise ValueError(f"not a YAML {tag}")


def _reading(value: object) -> str:
    if value is None:
        return "null (no value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the text '{value}'"
    return f"the number {value!r}"


def _same_reading(old: object, new: object) -> bool:
    """Whether the YAML 1.1 reading ``old`` means what the 1.2 reading ``new`` means."""
    if isinstance(old, bool) or isinstance(new, bool):
        return isinstance(old, bool) and isinstance(new, bool) and old == new
    if old is None or new is None:
        return old is None and new is None
    if isinstance(old, str) and isinstance(new, (int, float)):
        # 1.1 leaves '1e5' as text; a quantity reads that text as the same number.
        return bool(_FLOAT_12.fullmatch(old)) and float(old) == new
    if isinstance(old, (int, float)) and isinstance(new, (int, float)):
        return old == new or (old != old and new != new)
    return type(old) is type(new) and old == new


class _Walker:
    """Turn a composed node graph into located containers, collecting problems."""

    def __init__(self, name: str, text: str):
        self.name = name
        self.text = text
        self.problems: list[Problem] = []
        self.visited = 0
        self.constructor = yaml.SafeLoader("")  # YAML 1.1's reading, for comparison only

    def mark(self, node: yaml.Node) -> Mark:
        return Mark(self.name, _line(node))

    def problem(self, node: yaml.Node, key: str, message: str) -> None:
        self.problems.append(Problem(self.name, _line(node), key, message))

    def value(self, node: yaml.Node, key: str, path: frozenset[int]) -> object:
        self.visited += 1
        if self.visited > MAX_NODES:
            raise ScenarioError([Problem(
                self.name, _line(node), key,
                f"aliases expand to more than {MAX_NODES} values (a 'billion laughs' document?)",
            )])
        if id(node) in path:
            self.problem(node, key, "recursive alias (a value that contains itself)")
            return None
        if isinstance(node, yaml.MappingNode):
            if node.tag != _TAG + "map":
                self.problem(node, key, f"tag '{node.tag}' is not allowed; write a plain mapping")
                return None
            if node.flow_style:
                self.flow_commas([part for pair in node.value for part in pair], key)
            return self.mapping(node, key, path | {id(node)})
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _TAG + "seq":
                self.problem(node, key, f"tag '{node.tag}' is not allowed; write a plain list")
                return None
            if node.flow_style:
                self.flow_commas(node.value, key)
            result = YamlList(self.mark(node))
            inner = path | {id(node)}
            for i, item in enumerate(node.value):
                result.add(self.value(item, f"{key}[{i}]", inner), self.mark(item))
            return result
        return self.scalar(node, key)

    def flow_commas(self, nodes: list[yaml.Node], key: str) -> None:
        """Refuse ``[90,5]``: the two values 90 and 5, or a decimal comma?"""
        for before, after in zip(nodes, nodes[1:]):
            if not (isinstance(before, yaml.ScalarNode) and isinstance(after, yaml.ScalarNode)):
                continue
            between = self.text[before.end_mark.index:after.start_mark.index]
            joined = f"{before.value}{between}{after.value}"
            if between == "," and _DIGIT_COMMA_DIGIT.search(joined):
                self.problem(after, key, f"'{joined}' could be two values ({before.value} "
                             f"and {after.value}) or one number with a decimal comma "
                             f"({before.value}.{after.value}); write a point for a decimal, "
                             "or a space after the comma for two values")

    def scalar(self, node: yaml.ScalarNode, key: str) -> object:
        if _SURROGATE.search(node.value):
            self.problem(node, key, _surrogate_message(node.value))
            return None
        if node.tag not in _SCALAR_TAGS:
            if node.tag == _TAG + "timestamp" and not node.explicit_tag:
                return self.plain(node, key)
            if node.tag == _TAG + "timestamp":
                self.problem(node, key, "dates are not supported; give times from the start "
                             "of the scenario, e.g. '6 months'")
            else:
                self.problem(node, key, f"tag '{node.tag}' is not allowed; only plain numbers, "
                             "text, true/false and null may be written")
            return None
        kind = node.tag.rsplit(":", 1)[-1]
        if node.explicit_tag:
            try:
                return resolve_core(node.value, kind)
            except _TooLong:
                self.problem(node, key, _too_long(node.value))
            except ValueError:
                self.problem(node, key, f"cannot read '{node.value}' as {kind} (tag '!!{kind}')")
            return None
        if node.style is not None:  # quoted, or a literal / folded block: text
            return node.value
        return self.plain(node, key)

    def plain(self, node: yaml.ScalarNode, key: str) -> object:
        """A plain scalar under YAML 1.2, or an :class:`AmbiguousScalar` if 1.1 differs."""
        try:
            new = resolve_core(node.value)
        except _TooLong:
            self.problem(node, key, _too_long(node.value))
            return None
        try:
            old = self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError, KeyError):
            old = node.value
        if not isinstance(old, (int, float, bool, str)) and old is not None:  # a 1.1 date
            return AmbiguousScalar(node.value, f"dates are not supported ('{node.value}'); "
                                   "give times from the start of the scenario, e.g. '6 months'")
        if _same_reading(old, new):
            return new
        return AmbiguousScalar(node.value, (
            f"'{node.value}' is read as {_reading(old)} by YAML 1.1 tools but as "
            f"{_reading(new)} by YAML 1.2; write "
            + _unambiguous_forms(node.value, old, new)))

    def mapping(self, node: yaml.MappingNode, key: str, path: frozenset[int]) -> YamlMap:
        result = YamlMap(self.mark(node))
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                self.problem(key_node, key, "merge keys ('<<') are not supported; "
                             "use 'extends:' to reuse another scenario")
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _SCALAR_TAGS \
                    and key_node.tag != _TAG + "timestamp":
                self.problem(key_node, key, "keys must be plain names")
                continue
            name = str(key_node.value)
            where = f"{key}.{name}" if key else name
            if _SURROGATE.search(name):
                self.problem(key_node, key, _surrogate_message(name))
                continue
            if name in result:
                first = result.key_marks[name].line
                self.problem(key_node, where, f"duplicate key '{name}' (first given on line "
                             f"{first}); YAML would silently keep only the last one")
                continue
            value = self.value(value_node, where, path)
            text = value_node.value if isinstance(value_node, yaml.ScalarNode) and \
                value is not None and not isinstance(value, str) else None
            result.put(name, value, self.mark(key_node), self.mark(value_node), text)
        return result


_SURROGATE = re.compile("[\ud800-\udfff]")


def _surrogate_message(text: str) -> str:
    code = ord(_SURROGATE.search(text).group())
    return (f"the escape '\\u{code:04x}' is half of a UTF-16 surrogate pair, not a character; "
            "write the character itself, or its '\\U' escape (e.g. '\\U0001F600')")


def _too_long(text: str) -> str:
    digits = sum(c.isdigit() for c in text)
    return (f"a number of {digits} digits; numbers here have at most {MAX_DIGITS} digits "
            "(write large or small values with an exponent, e.g. 1.5e6)")


def _unambiguous_forms(text: str, old: object, new: object) -> str:
    """How to write what was meant, for each reading (quoted text, or a plain number)."""
    forms = []
    for reading in (new, old):
        if isinstance(reading, bool):
            forms.append("true" if reading else "false")
        elif isinstance(reading, (int, float)) and reading == reading:
            forms.append(repr(reading))
        elif isinstance(reading, str):
            forms.append(f'"{reading}" (in quotes) for the text')
    forms = list(dict.fromkeys(forms))
    return " or ".join(forms) + " to say which is meant"
