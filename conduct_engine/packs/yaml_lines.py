"""YAML loading that remembers line numbers, so pack errors can say ``file:line``."""

from __future__ import annotations

from typing import Any

import yaml

from conduct_engine.errors import ConductError


class LineDict(dict):
    """A mapping that knows its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        """The line where ``key`` is written, else the mapping's own line."""
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A sequence that knows its own line and the line of each item (1-based)."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        """The line where item ``index`` starts, else the list's own line."""
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class DuplicateKeyError(ConductError, ValueError):
    """A mapping repeats a key (YAML would silently keep the last one); a ValueError too, as callers catch."""

    def __init__(self, key: str, line: int):
        super().__init__(f"duplicate key {key!r}")
        self.key, self.line = key, line


def _construct(node: yaml.Node, loader: yaml.SafeLoader) -> Any:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out = LineDict()
        out.line, out.key_lines = line, {}
        for key_node, value_node in node.value:
            key = _construct(key_node, loader)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                key = str(key)
            if key in out:
                raise DuplicateKeyError(str(key), key_node.start_mark.line + 1)
            out[key] = _construct(value_node, loader)
            out.key_lines[str(key)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = LineList(_construct(child, loader) for child in node.value)
        seq.line = line
        seq.item_lines = [child.start_mark.line + 1 for child in node.value]
        return seq
    return loader.construct_object(node, deep=True)


def load_yaml_with_lines(text: str) -> Any:
    """Parse one YAML document into LineDict/LineList values (safe loader, no tags)."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        return None if node is None else _construct(node, loader)
    finally:
        loader.dispose()
