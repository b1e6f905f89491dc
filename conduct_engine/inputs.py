"""Read records from a file or stdin: one JSON object, a JSON list, JSON Lines, or YAML."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from conduct_engine import error_codes
from conduct_engine.errors import RecordError


def _error(where: str, msg: str) -> RecordError:
    return RecordError([{"loc": where, "msg": msg, "type": error_codes.INPUT_FORMAT}])


def read_text(source: str) -> tuple[str, str]:
    """(name, text) of a path or ``-`` for standard input."""
    if source == "-":
        return "<stdin>", sys.stdin.read()
    path = Path(source)
    try:
        return str(path), path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _error(str(path), f"cannot read: {exc}") from None


def parse_records(name: str, text: str) -> list[Any]:
    """Records from a text: a JSON object or list, JSON Lines, or (for .yaml/.yml) YAML."""
    if name.endswith((".yaml", ".yml")):
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise _error(name, f"invalid YAML: {exc}") from None
        return data if isinstance(data, list) else [data]
    stripped = text.strip()
    if not stripped:
        raise _error(name, "no records: the input is empty")
    try:
        data = json.loads(stripped)
        return data if isinstance(data, list) else [data]
    except json.JSONDecodeError as first:
        records = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as line_error:
                bad = first if number == 1 and len(stripped.splitlines()) == 1 else line_error
                raise _error(f"{name}:{number}", f"invalid JSON: {bad.msg} at column {bad.colno}") from None
        return records


def read_records(source: str) -> list[Any]:
    """Records from a path or ``-``."""
    name, text = read_text(source)
    return parse_records(name, text)


def read_mapping(source: str) -> Any:
    """One JSON or YAML mapping (context files)."""
    name, text = read_text(source)
    try:
        return yaml.safe_load(text) if name.endswith((".yaml", ".yml")) else json.loads(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise _error(name, f"invalid {'YAML' if name.endswith(('.yaml', '.yml')) else 'JSON'}: {exc}") from None
