"""Scan reports: JSON Lines, CSV, SARIF 2.1.0, JUnit XML, XLSX and a self-contained HTML report."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO

Results = Iterable[tuple[dict[str, Any], dict[str, Any]]]  # (result, meta) in input order
FORMATS = ("jsonl", "csv", "sarif", "junit", "html", "xlsx")
MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8", "sarif": "application/sarif+json",
               "junit": "application/xml", "html": "text/html; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
_MODULES = {"jsonl": "jsonl", "csv": "csv", "sarif": "sarif", "junit": "junit", "html": "html", "xlsx": "xlsx"}


def writer(fmt: str) -> Callable[[Results, dict[str, Any], BinaryIO], None]:
    """The ``write(results, summary, binary_file)`` function of a format."""
    write: Callable[[Results, dict[str, Any], BinaryIO], None] = importlib.import_module(
        f"conduct_engine.reports.{_MODULES[fmt]}").write
    return write


def write_report(fmt: str, results: Results, summary: dict[str, Any], out: Path) -> None:
    """Write a report atomically: a temporary file beside ``out``, fsync'd, then renamed over it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    with tmp.open("wb") as fh:
        writer(fmt)(results, summary, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, out)
