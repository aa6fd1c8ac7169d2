"""Read YAML text into plain data, remembering where each value was written.

Validation messages point at `FILE:LINE:COL`, so every key and value keeps its position. A key
written twice in one mapping is an error here (plain PyYAML keeps the last one silently).

Plan files are untrusted (office editors, web uploads), so the data is built from PyYAML's event
stream in one loop, never by recursion, and refused past the limits of `plans.limits`: the
file's size, its nesting depth and its count of values, where an alias counts every value it
repeats (an "alias bomb" stops at the limit, a loop of aliases is refused). Tags other than the
core ones (`!!str`, `!!int` ...) are refused: a plan holds only plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from plans.limits import MAX_DEPTH, MAX_FILE_BYTES, MAX_VALUES

Path = tuple[str | int, ...]

# libyaml's parser is about ten times faster; both emit the same events.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CORE = "tag:yaml.org,2002:"
TOO_LARGE = f"the file is too large (more than {MAX_FILE_BYTES // 1024} KiB): split the plan"
_NOT_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE  # the characters YAML refuses
_SCALAR_TAGS = {f"{_CORE}{name}" for name in ("str", "int", "float", "bool", "null")} | {"!"}


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


class YamlProblem(Exception):
    def __init__(self, message: str, position: Position) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


@dataclass
class Source:
    data: Any
    positions: dict[Path, Position] = field(default_factory=dict)

    def position(self, path: Path) -> Position:
        """Where `path` was written, or the nearest enclosing value that was."""
        for end in range(len(path), -1, -1):
            found = self.positions.get(tuple(path[:end]))
            if found is not None:
                return found
        return Position(1, 1)


def _position(event: yaml.Event) -> Position:
    mark = event.start_mark
    return Position(mark.line + 1, mark.column + 1) if mark else Position(1, 1)


def read_yaml(text: str) -> Source:
    """Parse one YAML document. Raises `YamlProblem` with the position of the first problem."""
    if len(text) > MAX_FILE_BYTES:
        raise YamlProblem(TOO_LARGE, Position(1, 1))
    bad = _NOT_PRINTABLE.search(text)  # also lone surrogates, which do not encode
    if bad:
        raise _bad_character(text, bad.start())
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise YamlProblem(TOO_LARGE, Position(1, 1))
    loader = _Loader(text)
    try:
        return _Builder(loader).build()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        position = Position(mark.line + 1, mark.column + 1) if mark else Position(1, 1)
        raise YamlProblem(f"not valid YAML: {error.problem or error}", position) from None
    except yaml.YAMLError as error:
        raise YamlProblem(f"not valid YAML: {error}", Position(1, 1)) from None
    finally:
        loader.dispose()


_NO_KEY = object()


@dataclass
class _Open:
    """A mapping or list being filled."""

    value: dict[Any, Any] | list[Any]
    path: Path
    anchor: str | None
    values_before: int  # the count of values when it opened: its own size at its end
    key: Any = _NO_KEY  # a mapping's key waiting for its value


class _Builder:
    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.source = Source(data=None)
        self.stack: list[_Open] = []
        self.anchors: dict[str, tuple[Any, int]] = {}  # name -> (value, its count of values)
        self.values = 0
        self.documents = 0

    def build(self) -> Source:
        while self.loader.check_event():
            self.take(self.loader.get_event())
        return self.source

    def take(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise YamlProblem("a plan file holds one YAML document: remove this '---' "
                                  "and what follows, or put it in its own file", _position(event))
        elif isinstance(event, yaml.ScalarEvent):
            self.count(1, event)
            self.place(self.scalar(event), event, event.anchor, 1)
        elif isinstance(event, yaml.AliasEvent):
            self.alias(event)
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            self.open(event)
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            done = self.stack.pop()
            if done.anchor is not None:
                self.anchors[done.anchor] = (done.value, self.values - done.values_before)

    def count(self, values: int, event: yaml.Event) -> None:
        self.values += values
        if self.values > MAX_VALUES:
            raise YamlProblem(f"more than {MAX_VALUES:,} values (an alias counts every value it "
                              "repeats): a plan this large must be split", _position(event))

    def open(self, event: yaml.MappingStartEvent | yaml.SequenceStartEvent) -> None:
        mapping = isinstance(event, yaml.MappingStartEvent)
        expected = f"{_CORE}{'map' if mapping else 'seq'}"
        if event.tag is not None and event.tag != expected:
            raise YamlProblem(_tag_refused(event.tag), _position(event))
        if len(self.stack) >= MAX_DEPTH:
            raise YamlProblem(f"nested deeper than {MAX_DEPTH} levels: a plan needs far fewer",
                              _position(event))
        if self.stack and self.awaits_key():
            raise YamlProblem("a key must be a plain value, not a list or mapping",
                              _position(event))
        self.count(1, event)
        value: dict[Any, Any] | list[Any] = {} if mapping else []
        path = self.place(value, event, None, 0)
        self.stack.append(_Open(value, path, event.anchor, self.values - 1))

    def alias(self, event: yaml.AliasEvent) -> None:
        name = event.anchor
        if name not in self.anchors:
            inside = any(o.anchor == name for o in self.stack)
            raise YamlProblem(
                f"alias *{name} is used inside its own anchor &{name}: a loop" if inside
                else f"alias *{name} has no anchor &{name} before it", _position(event))
        value, size = self.anchors[name]
        self.count(size, event)
        if self.stack and self.awaits_key() and isinstance(value, dict | list):
            raise YamlProblem("a key must be a plain value, not a list or mapping",
                              _position(event))
        self.place(value, event, None, 0)

    def awaits_key(self) -> bool:
        top = self.stack[-1]
        return isinstance(top.value, dict) and top.key is _NO_KEY

    def place(self, value: Any, event: yaml.Event, anchor: str | None, size: int) -> Path:
        """Put `value` where the document is at; returns its path."""
        if anchor is not None:
            self.anchors[anchor] = (value, size)
        positions = self.source.positions
        if not self.stack:
            self.source.data = value
            positions[()] = _position(event)
            return ()
        top = self.stack[-1]
        if isinstance(top.value, list):
            path = (*top.path, len(top.value))
            top.value.append(value)
            positions[path] = _position(event)
            return path
        if top.key is _NO_KEY:
            key_path = (*top.path, value)
            if value in top.value:
                first = positions[key_path]
                raise YamlProblem(
                    f"key {value!r} is written twice in one mapping (first at line {first.line})",
                    _position(event))
            positions[key_path] = _position(event)
            top.key = value
            return key_path
        path = (*top.path, top.key)
        top.value[top.key] = value
        top.key = _NO_KEY
        return path  # positioned at its key

    def scalar(self, event: yaml.ScalarEvent) -> Any:
        if event.tag is not None and event.tag not in _SCALAR_TAGS:
            raise YamlProblem(_tag_refused(event.tag), _position(event))
        if event.tag == "!":
            return event.value
        tag = event.tag or self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        node = yaml.ScalarNode(tag, event.value, style=event.style)
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError, yaml.constructor.ConstructorError):
            # "2025-02-31" resolves as a timestamp that is not a date: let validation say so.
            return event.value


def _bad_character(text: str, index: int) -> YamlProblem:
    before = text[:index]
    position = Position(before.count("\n") + 1, len(before) - before.rfind("\n"))
    return YamlProblem(f"not valid YAML: character U+{ord(text[index]):04X} is not allowed",
                       position)


def _tag_refused(tag: str) -> str:
    short = tag.replace(_CORE, "!!")
    return f"the tag {short} is not allowed: a plan holds plain values; remove the tag"
