"""Rows from scan inputs: JSON, JSON Lines, CSV and XLSX files (each optionally gzipped), or directories."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conduct_engine.scan import ScanInputError

SUFFIXES = (".json", ".jsonl", ".ndjson", ".csv", ".xlsx")


@dataclass(frozen=True)
class Row:
    """One input row: where it came from (file, 1-based row; a CSV/XLSX header is row 1) and its data."""

    source: str
    number: int
    data: dict[str, Any]
    tabular: bool  # CSV/XLSX: text cells to be mapped by column


@dataclass(frozen=True)
class RowProblem:
    """A row that could not be read, mapped or validated: skipped and listed in the summary."""

    source: str
    row: int
    column: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"source": self.source, "row": self.row, "column": self.column, "reason": self.reason}


def _suffix(path: Path) -> str:
    name = path.name.lower()
    return Path(name[:-3]).suffix if name.endswith(".gz") else path.suffix.lower()


def expand(paths: list[str]) -> list[Path]:
    """Input files: each path, or the supported files under a directory (sorted, recursive)."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and _suffix(p) in SUFFIXES)
            if not found:
                raise ScanInputError(f"{raw}: no .json, .jsonl, .csv or .xlsx files (or .gz of them) in the directory")
            files += found
        elif path.is_file():
            if _suffix(path) not in SUFFIXES:
                raise ScanInputError(f"{raw}: unsupported file type; use .json, .jsonl, .csv or .xlsx (optionally .gz)")
            files.append(path)
        else:
            raise ScanInputError(f"{raw}: no such file or directory")
    return files


def _bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.name.lower().endswith(".gz") else data


def read_rows(path: Path) -> Iterator[Row | RowProblem]:
    """Every row of one file, or a problem for each row that cannot be read."""
    source, suffix = str(path), _suffix(path)
    try:
        data = _bytes(path)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise ScanInputError(f"{source}: cannot read: {exc}") from None
    if suffix == ".xlsx":
        yield from _xlsx_rows(source, data)
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScanInputError(f"{source}: not UTF-8 text: {exc}") from None
    if suffix == ".csv":
        yield from _csv_rows(source, text)
    elif suffix == ".json":
        yield from _json_rows(source, text)
    else:
        yield from _jsonl_rows(source, text)


def _json_rows(source: str, text: str) -> Iterator[Row | RowProblem]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        yield from _jsonl_rows(source, text)  # a .json file holding JSON Lines
        return
    for i, item in enumerate(data if isinstance(data, list) else [data], start=1):
        yield _object_row(source, i, item)


def _jsonl_rows(source: str, text: str) -> Iterator[Row | RowProblem]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield RowProblem(source, number, "", f"invalid JSON: {exc.msg} at column {exc.colno}")
            continue
        yield _object_row(source, number, item)


def _object_row(source: str, number: int, item: Any) -> Row | RowProblem:
    if not isinstance(item, dict):
        return RowProblem(source, number, "", f"a record must be a JSON object, not {type(item).__name__}")
    return Row(source, number, item, tabular=False)


def _csv_rows(source: str, text: str) -> Iterator[Row | RowProblem]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        return
    header = [h.strip() for h in header]
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            yield RowProblem(source, number, "", f"{len(cells)} cells but the header has {len(header)} columns")
            continue
        yield Row(source, number, dict(zip(header, cells, strict=False)), tabular=True)


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else value


def _xlsx_rows(source: str, data: bytes) -> Iterator[Row | RowProblem]:
    from openpyxl import load_workbook
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ScanInputError(f"{source}: not a readable XLSX workbook: {exc}") from None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            return
        names = ["" if h is None else str(h).strip() for h in header]
        for number, values in enumerate(rows, start=2):
            cells = [_cell(v) for v in values]
            if not any(str(c).strip() for c in cells):
                continue
            yield Row(source, number, {n: c for n, c in zip(names, cells, strict=False) if n}, tabular=True)
    finally:
        book.close()
