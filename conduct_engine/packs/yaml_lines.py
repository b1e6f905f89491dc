"""YAML loading that remembers line numbers, so pack errors can say ``file:line``; on the untrusted loader."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from conduct_engine.errors import ConductError
from conduct_engine.untrusted import load_yaml


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

    def __init__(self, key: str, line: int, message: str | None = None):
        super().__init__(message or f"duplicate key {key!r}")
        self.key, self.line = key, line


def _construct(node: yaml.Node, scalar: Callable[[yaml.Node], Any]) -> Any:
    """LineDict/LineList values from a node tree already checked by the untrusted loader (duplicate keys,
    custom tags, node budget, nesting), so this walk is bounded by the input limits."""
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        pairs = _merged(node)
        out = LineDict()
        out.line, out.key_lines = line, {}
        for key_node, value_node in pairs:
            key = _construct(key_node, scalar)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                key = str(key)
            if key in out:
                raise DuplicateKeyError(str(key), key_node.start_mark.line + 1)
            out[key] = _construct(value_node, scalar)
            out.key_lines[str(key)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = LineList(_construct(child, scalar) for child in node.value)
        seq.line = line
        seq.item_lines = [child.start_mark.line + 1 for child in node.value]
        return seq
    return scalar(node)


_MERGE = "tag:yaml.org,2002:merge"


def _merged(node: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node]]:
    """The key/value pairs of a mapping with ``<<`` merges applied (explicit keys win), without mutating it."""
    own = [(k, v) for k, v in node.value if k.tag != _MERGE]
    merged: list[tuple[yaml.Node, yaml.Node]] = []
    for key, value in node.value:
        if key.tag != _MERGE:
            continue
        sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise DuplicateKeyError("<<", key.start_mark.line + 1, "a merge key '<<' must name a mapping")
            merged += _merged(source)
    seen = {k.value for k, _ in own if isinstance(k, yaml.ScalarNode)}
    inherited: list[tuple[yaml.Node, yaml.Node]] = []
    for k, v in merged:
        if isinstance(k, yaml.ScalarNode) and k.value not in seen:
            seen.add(k.value)
            inherited.append((k, v))
    return inherited + own


def load_yaml_with_lines(text: str, *, name: str = "<pack>", max_nodes: int = 100_000, max_depth: int = 64) -> Any:
    """Parse one YAML document into LineDict/LineList values with the untrusted loader's limits
    (:class:`~conduct_engine.untrusted.UntrustedInputError` for a bomb, a custom tag, a duplicate key …)."""
    return load_yaml(text, name=name, max_nodes=max_nodes, max_depth=max_depth, build=_construct)
