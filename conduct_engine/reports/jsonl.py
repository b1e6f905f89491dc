"""JSON Lines: one result per line in input order, then ``{"summary": …}`` (SPEC §4)."""

from __future__ import annotations

import json
from typing import Any, BinaryIO

from conduct_engine.reports import Results


def dumps(value: Any) -> str:
    """Compact JSON, keys in a fixed order as given, non-ASCII kept."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def write(results: Results, summary: dict[str, Any], fh: BinaryIO) -> None:
    """Write the results and the summary."""
    for result, _ in results:
        fh.write((dumps(result) + "\n").encode())
    fh.write((dumps({"summary": summary}) + "\n").encode())
