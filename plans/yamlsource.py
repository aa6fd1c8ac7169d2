"""Read YAML text into plain data, remembering where each value was written.

Validation messages point at `FILE:LINE:COL`, so every key and value keeps its position. A key
written twice in one mapping is an error here (plain PyYAML keeps the last one silently).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


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


def _position(node: yaml.Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


class _Constructor(yaml.constructor.SafeConstructor):
    pass


def read_yaml(text: str) -> Source:
    """Parse one YAML document. Raises `YamlProblem` with the position of a syntax error."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        position = Position(mark.line + 1, mark.column + 1) if mark else Position(1, 1)
        raise YamlProblem(f"not valid YAML: {error.problem or error}", position) from None
    except yaml.reader.ReaderError as error:
        before = text[: error.position]
        position = Position(before.count("\n") + 1, len(before) - before.rfind("\n"))
        raise YamlProblem(
            f"not valid YAML: character U+{error.character:04X} is not allowed", position
        ) from None
    source = Source(data=None)
    if node is None:
        return source
    source.data = _build(node, (), source.positions, _Constructor())
    return source


def _build(node: yaml.Node, path: Path, positions: dict[Path, Position], ctor: _Constructor) -> Any:
    positions.setdefault(path, _position(node))
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node, ctor)
            if isinstance(key, list | dict):
                raise YamlProblem("a key must be a plain value", _position(key_node))
            if key in out:
                first = positions[(*path, key)]
                raise YamlProblem(
                    f"key {key!r} is written twice in one mapping (first at line {first.line})",
                    _position(key_node),
                )
            positions[(*path, key)] = _position(key_node)
            out[key] = _build(value_node, (*path, key), positions, ctor)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), positions, ctor) for i, item in enumerate(node.value)]
    return _scalar(node, ctor)


def _scalar(node: yaml.Node, ctor: _Constructor) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        return [] if isinstance(node, yaml.SequenceNode) else {}
    try:
        return ctor.construct_object(node, deep=True)
    except (ValueError, yaml.constructor.ConstructorError):
        # "2025-02-31" resolves as a timestamp that is not a date: let validation say so.
        return node.value
