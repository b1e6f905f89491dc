"""Read records from a file or stdin: one JSON object, a JSON list, JSON Lines, or YAML — within the input
limits of SPEC §12 (size, nesting, YAML nodes, duplicate keys, numbers), every problem a ``RecordError``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from conduct_engine import error_codes
from conduct_engine.errors import RecordError
from conduct_engine.untrusted import Limits, UntrustedInputError, load_json, load_yaml


def _error(where: str, msg: str) -> RecordError:
    return RecordError([{"loc": where, "msg": msg, "type": error_codes.INPUT_FORMAT}])


def _is_yaml(name: str) -> bool:
    return name.lower().endswith((".yaml", ".yml"))


def read_text(source: str, limits: Limits | None = None) -> tuple[str, str]:
    """(name, text) of a path or ``-`` for standard input, no longer than ``limits.document_bytes``."""
    limit = (limits or Limits.load()).document_bytes
    name = "<stdin>" if source == "-" else source
    try:
        if source == "-":
            data = sys.stdin.buffer.read(limit + 1) if hasattr(sys.stdin, "buffer") else sys.stdin.read(limit + 1)
        else:
            with Path(source).open("rb") as fh:
                data = fh.read(limit + 1)
        if len(data) > limit:
            raise _error(name, f"larger than {limit:,} bytes (CONDUCT_MAX_DOCUMENT_BYTES)")
        return name, data if isinstance(data, str) else data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _error(name, f"not UTF-8 text: byte {exc.start}: {exc.reason}") from None
    except OSError as exc:
        raise _error(name, f"cannot read: {exc.strerror or exc}") from None


def parse_records(name: str, text: str, limits: Limits | None = None) -> list[Any]:
    """Records from a text: a JSON object or list, JSON Lines, or (for .yaml/.yml) YAML."""
    limits = limits or Limits.load()
    if _is_yaml(name):
        data = load_yaml(text, name=name, max_nodes=limits.yaml_nodes, max_depth=limits.nesting)
        return data if isinstance(data, list) else [data]
    stripped = text.strip()
    if not stripped:
        raise _error(name, "no records: the input is empty")
    try:
        data = load_json(stripped, name=name, max_depth=limits.nesting)
        return data if isinstance(data, list) else [data]
    except UntrustedInputError as first:
        lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
        if first.code != "json.syntax" or len(lines) == 1:
            raise _located(first, name, lines[0][0]) if len(lines) == 1 else first from None
    records = []
    for number, line in lines:
        records.append(load_json(line, name=f"{name}:{number}", max_depth=limits.nesting))
    return records


def _located(exc: UntrustedInputError, name: str, line: int) -> UntrustedInputError:
    """The error of a one-line text, placed on the line it is on."""
    return UntrustedInputError(name, exc.reason, code=exc.code, line=line, path=exc.path)


def read_records(source: str) -> list[Any]:
    """Records from a path or ``-``."""
    limits = Limits.load()
    name, text = read_text(source, limits)
    return parse_records(name, text, limits)


def read_mapping(source: str) -> Any:
    """One JSON or YAML mapping (context files)."""
    limits = Limits.load()
    name, text = read_text(source, limits)
    if _is_yaml(name):
        return load_yaml(text, name=name, max_nodes=limits.yaml_nodes, max_depth=limits.nesting)
    return load_json(text, name=name, max_depth=limits.nesting)
