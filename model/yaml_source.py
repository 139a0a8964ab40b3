"""Safe YAML loading that remembers where every key and value was written.

PyYAML's ``safe_load`` forgets line numbers, silently keeps the last of two
duplicate keys and expands aliases without limit. Here a document is
*composed* (parsed into nodes, nothing constructed) by a ``yaml.SafeLoader``
subclass that counts nodes, aliases and nesting depth, and the node graph is
then walked by hand into :class:`YamlMap` / :class:`YamlList` containers that
record a :class:`Mark` (file, line) for every key, value and list item.

Rejected, each as a :class:`~model.errors.Problem` (the file is never
executed or expanded): files over :data:`MAX_BYTES`, non-UTF-8 text,
malformed YAML, several documents, a document that is not a mapping, any tag
beyond the plain YAML scalars/sequences/mappings (e.g.
``!!python/object/apply``), duplicate keys, merge keys (``<<``), recursive
aliases, more than :data:`MAX_ALIASES` aliases, more than :data:`MAX_NODES`
nodes after alias expansion ("billion laughs") and nesting deeper than
:data:`MAX_DEPTH`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import Problem, ScenarioError

MAX_BYTES = 1_000_000
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

    def put(self, key: str, value: object, key_mark: Mark, value_mark: Mark) -> None:
        """Set ``key`` to ``value`` and remember where both were written."""
        self[key] = value
        self.key_marks[key] = key_mark
        self.value_marks[key] = value_mark

    def copy_located(self) -> YamlMap:
        """A shallow copy that keeps the marks."""
        other = YamlMap(self.mark)
        for key, value in self.items():
            other.put(key, value, self.key_marks[key], self.value_marks[key])
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


def read_text(path: str, *, what: str = "file") -> tuple[str, bytes]:
    """Read a small UTF-8 text file.

    Parameters
    ----------
    path
        The path as the user gave it (also used in problem messages).
    what
        What the file is, for messages (``"scenario file"``, ``"diary file"``).

    Returns
    -------
    tuple of (str, bytes)
        The decoded text and the raw bytes (for provenance hashes).

    Raises
    ------
    ScenarioError
        If the file is missing, a folder, unreadable, over :data:`MAX_BYTES`
        or not UTF-8.
    """

    def fail(message: str) -> ScenarioError:
        return ScenarioError([Problem(path, None, "", message)])

    target = Path(path)
    try:
        if target.is_dir():
            raise fail(f"is a folder, expected a {what}")
        size = target.stat().st_size
        if size > MAX_BYTES:
            raise fail(f"{what} is {size} bytes; the limit is {MAX_BYTES} bytes")
        with open(target, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise fail(f"{what} not found") from None
    except PermissionError:
        raise fail(f"cannot read {what}: permission denied") from None
    except OSError as exc:
        raise fail(f"cannot read {what}: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise fail(f"{what} is larger than the limit of {MAX_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            [Problem(path, line, "", f"{what} is not UTF-8 text (byte {exc.start})")]
        ) from None
    return text.removeprefix("\ufeff"), data


def load_yaml(path: str | os.PathLike) -> tuple[YamlMap, bytes]:
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
    text, data = read_text(name, what="scenario file")
    return parse_yaml(text, name), data


def parse_yaml(text: str, name: str) -> YamlMap:
    """Parse YAML ``text`` (from file ``name``) into a :class:`YamlMap`.

    Raises
    ------
    ScenarioError
        With every problem found (see the module docstring).
    """
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
    walker = _Walker(name)
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
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    return f"the single value {node.value!r}"


class _Walker:
    """Turn a composed node graph into located containers, collecting problems."""

    def __init__(self, name: str):
        self.name = name
        self.problems: list[Problem] = []
        self.visited = 0
        self.constructor = yaml.SafeLoader("")  # only its scalar constructors are used

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
            return self.mapping(node, key, path | {id(node)})
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _TAG + "seq":
                self.problem(node, key, f"tag '{node.tag}' is not allowed; write a plain list")
                return None
            result = YamlList(self.mark(node))
            inner = path | {id(node)}
            for i, item in enumerate(node.value):
                result.add(self.value(item, f"{key}[{i}]", inner), self.mark(item))
            return result
        return self.scalar(node, key)

    def scalar(self, node: yaml.ScalarNode, key: str) -> object:
        if node.tag not in _SCALAR_TAGS:
            if node.tag == _TAG + "timestamp":
                self.problem(node, key, f"dates are not supported ({node.value!r}); give times "
                             "from the start of the scenario, e.g. '6 months'")
            else:
                self.problem(node, key, f"tag '{node.tag}' is not allowed; only plain numbers, "
                             "text, true/false and null may be written")
            return None
        try:
            return self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError):
            # e.g. an explicit '!!int abc'
            kind = node.tag.rsplit(":", 1)[-1]
            self.problem(node, key, f"cannot read value {node.value!r} as {kind}")
            return None

    def mapping(self, node: yaml.MappingNode, key: str, path: frozenset[int]) -> YamlMap:
        result = YamlMap(self.mark(node))
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                self.problem(key_node, key, "merge keys ('<<') are not supported; "
                             "use 'extends:' to reuse another scenario")
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _SCALAR_TAGS:
                self.problem(key_node, key, "keys must be plain names")
                continue
            name = str(key_node.value)
            where = f"{key}.{name}" if key else name
            if name in result:
                first = result.key_marks[name].line
                self.problem(key_node, where, f"duplicate key '{name}' (first given on line "
                             f"{first}); YAML would silently keep only the last one")
                continue
            value = self.value(value_node, where, path)
            result.put(name, value, self.mark(key_node), self.mark(value_node))
        return result
