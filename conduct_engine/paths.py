"""Dotted paths into JSON-like data (``counterparty.group_id``), read one way everywhere."""

from __future__ import annotations

from typing import Any


def get_path(data: Any, path: str) -> Any:
    """The value at a dotted path through nested mappings, or None when any part is missing."""
    if "." not in path:  # most paths: one lookup
        return data.get(path) if isinstance(data, dict) else None
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def get_indexed(data: Any, path: str) -> Any:
    """Like :func:`get_path`, but numeric parts index lists (``materials.0.type``), as scan mappings write."""
    node: Any = data
    for part in path.split("."):
        if isinstance(node, list) and part.isascii() and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node


__all__ = ["get_indexed", "get_path"]
