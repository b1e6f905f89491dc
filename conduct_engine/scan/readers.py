"""Rows from scan inputs: JSON, JSON Lines, CSV and XLSX files (each optionally gzipped), or directories.

Reading streams (a ``.json`` document is read whole, up to ``CONDUCT_MAX_DOCUMENT_BYTES``) and isolates
failure (SPEC §12): a row that cannot be read is a :class:`RowProblem` and reading goes on; a file that
becomes unreadable part-way (corrupt gzip, truncated XLSX, a field or line over its limit, a gzip that
expands past ``CONDUCT_MAX_DECOMPRESSED_BYTES``) ends with a :class:`FileFailure` naming the row where it
stopped, and the scan goes on with the other files. Reading a file never raises.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import os
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from conduct_engine.scan import ScanInputError
from conduct_engine.untrusted import Limits, UntrustedInputError, load_json

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


@dataclass(frozen=True)
class FileFailure:
    """A file that became unreadable part-way: the rows before ``row`` were read, the rest were not."""

    source: str
    row: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"source": self.source, "row": self.row, "reason": self.reason}

    def as_problem(self) -> RowProblem:
        """The failure as a listed problem of the row where reading stopped."""
        return RowProblem(self.source, self.row, "", f"the file could not be read from this row on: {self.reason}")


EXCEL_MAX_ROWS, EXCEL_MAX_COLUMNS = 1_048_576, 16_384


class _Stop(Exception):
    """Reading a file cannot go on (internal: becomes a FileFailure)."""


class _Bounded(io.RawIOBase):
    """A binary stream that fails once more than ``limit`` bytes were read from it (a decompression bomb)."""

    def __init__(self, inner: IO[bytes], limit: int):
        self._inner, self._limit, self._read = inner, limit, 0

    def readable(self) -> bool:
        """Yes."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Read like the inner stream, counting."""
        data = self._inner.read(len(buffer))
        self._read += len(data)
        if self._read > self._limit:
            raise _Stop(f"it expands to more than {self._limit:,} bytes (CONDUCT_MAX_DECOMPRESSED_BYTES)")
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        """Close the inner stream too."""
        self._inner.close()
        super().close()


def _suffix(path: Path) -> str:
    name = path.name.lower()
    return Path(name[:-3]).suffix if name.endswith(".gz") else path.suffix.lower()


def _inside(path: Path, root: Path, raw: str) -> Path:
    """``path`` with every symlink resolved, which must lie in ``root`` (ScanInputError otherwise)."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise ScanInputError(f"{raw}: cannot resolve {path.name}: {getattr(exc, 'strerror', None) or exc}") from None
    if real != root and root not in real.parents:
        raise ScanInputError(f"{raw}: {path.name} leads outside the import folder (a symlink?)")
    return real


def _walk(folder: Path) -> list[Path]:
    """Files under ``folder``, recursively, without following symlinked directories (no loops, no escapes)."""
    found = []
    for top, _dirs, names in os.walk(folder, followlinks=False):
        found += [Path(top) / n for n in names]
    return sorted(p for p in found if p.is_file() and _suffix(p) in SUFFIXES)


def expand(paths: list[str], root: Path | None = None) -> list[Path]:
    """Input files: each path, or the supported files under a directory (sorted, recursive).

    With ``root`` (server-side scans), every file is resolved, symlinks included, and must lie in ``root``.
    """
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = _walk(path)
            if root is not None:
                found = [_inside(p, root, raw) for p in found]
            if not found:
                raise ScanInputError(f"{raw}: no .json, .jsonl, .csv or .xlsx files (or .gz of them) in the directory")
            files += found
        elif path.is_file():
            if _suffix(path) not in SUFFIXES:
                raise ScanInputError(f"{raw}: unsupported file type; use .json, .jsonl, .csv or .xlsx (optionally .gz)")
            files.append(path if root is None else _inside(path, root, raw))
        else:
            raise ScanInputError(f"{raw}: no such file or directory")
    return files


def _binary(path: Path, limits: Limits) -> IO[bytes]:
    raw = path.open("rb")
    if not path.name.lower().endswith(".gz"):
        return raw
    return io.BufferedReader(_Bounded(gzip.GzipFile(fileobj=raw), limits.decompressed_bytes))  # type: ignore[arg-type]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, _Stop):
        return str(exc)
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text ({exc.reason})"
    if isinstance(exc, (EOFError, gzip.BadGzipFile, zlib.error)):
        return f"corrupt or truncated gzip ({exc or type(exc).__name__})"
    if isinstance(exc, csv.Error):
        return f"malformed CSV ({exc})"
    if isinstance(exc, OSError):
        return f"cannot read ({exc.strerror or exc})"
    return f"{type(exc).__name__}: {exc}"


class _Cursor:
    """The row a reader is at, so a failure can say where reading stopped."""

    row = 1


@dataclass(frozen=True)
class Line:
    """A JSON Lines row read but not parsed yet (a partitioned scan parses it on a worker: :func:`parse_line`)."""

    source: str
    number: int
    text: str


def parse_line(line: Line, limits: Limits) -> Row | RowProblem:
    """One JSON Lines row parsed as untrusted JSON: the row, or the problem that skips it."""
    try:
        item = load_json(line.text, name=line.source, max_depth=limits.nesting)
    except UntrustedInputError as exc:
        return RowProblem(line.source, line.number, "", exc.detail())
    return _object_row(line.source, line.number, item)


def read_rows(path: Path, limits: Limits | None = None, *, defer_lines: bool = False
              ) -> Iterator[Row | RowProblem | FileFailure | Line]:
    """Every row of one file, a problem for each row that cannot be read, and a FileFailure last if the file
    became unreadable part-way (this never raises for what the file holds). With ``defer_lines`` a JSON Lines
    file's rows come as :class:`Line`, to be parsed elsewhere with :func:`parse_line`."""
    limits = limits or Limits.load()
    source, suffix, at = str(path), _suffix(path), _Cursor()
    try:
        if suffix == ".xlsx":
            yield from _xlsx_rows(source, path, limits, at)
            return
        with io.TextIOWrapper(_binary(path, limits), encoding="utf-8-sig", newline="" if suffix == ".csv" else None,
                              errors="strict") as stream:
            if suffix == ".csv":
                yield from _csv_rows(source, stream, limits, at)
            elif suffix == ".json":
                yield from _json_rows(source, stream, limits, at, path)
            else:
                yield from _jsonl_rows(source, stream, limits, at, defer_lines)
    except (_Stop, OSError, EOFError, zlib.error, UnicodeDecodeError, csv.Error, ValueError) as exc:
        yield FileFailure(source, at.row, _reason(exc))


def _lines(stream: IO[str], limit: int) -> Iterator[str]:
    """The lines of a text stream; a line longer than ``limit`` stops the file (memory stays bounded)."""
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) > limit:
            raise _Stop(f"a line is longer than {limit:,} characters (CONDUCT_MAX_ROW_CHARS)")
        yield line


def _json_rows(source: str, stream: IO[str], limits: Limits, at: _Cursor, path: Path
               ) -> Iterator[Row | RowProblem | Line]:
    text = stream.read(limits.document_bytes + 1)
    if len(text) > limits.document_bytes:
        if text.lstrip().startswith("["):
            raise _Stop(f"a JSON document over {limits.document_bytes:,} characters (CONDUCT_MAX_DOCUMENT_BYTES); "
                        "write it as JSON Lines")
        with io.TextIOWrapper(_binary(path, limits), encoding="utf-8-sig") as again:
            yield from _jsonl_rows(source, again, limits, at)  # a large .json file holding JSON Lines
        return
    try:
        data = load_json(text, name=source, max_depth=limits.nesting)
    except UntrustedInputError as exc:
        first = text.lstrip().split("\n", 1)[0]
        if text.lstrip().startswith("[") and exc.code != "json.syntax":
            raise _Stop(exc.detail() + (f" (line {exc.line})" if exc.line else "")) from None
        if exc.code == "json.syntax" or _one_value(first, limits):
            yield from _jsonl_rows(source, io.StringIO(text), limits, at)  # a .json file holding JSON Lines
        else:
            yield RowProblem(source, 1, "", exc.detail() + (f" (line {exc.line})" if exc.line else ""))
        return
    for i, item in enumerate(data if isinstance(data, list) else [data], start=1):
        at.row = i
        yield _object_row(source, i, item)


def _one_value(line: str, limits: Limits) -> bool:
    """Whether a line holds a JSON value of its own (the file is JSON Lines)."""
    try:
        load_json(line, name="", max_depth=limits.nesting)
    except UntrustedInputError as exc:
        return exc.code != "json.syntax"
    return True


def _jsonl_rows(source: str, stream: IO[str], limits: Limits, at: _Cursor, defer: bool = False
                ) -> Iterator[Row | RowProblem | Line]:
    lines = _lines(stream, limits.row_chars)
    number = 0
    while True:
        number += 1
        at.row = number
        line = next(lines, None)
        if line is None:
            return
        if not line.strip():
            continue
        yield Line(source, number, line) if defer else parse_line(Line(source, number, line), limits)


def _object_row(source: str, number: int, item: Any) -> Row | RowProblem:
    if not isinstance(item, dict):
        return RowProblem(source, number, "", f"a record must be a JSON object, not {type(item).__name__}")
    return Row(source, number, item, tabular=False)


def _csv_rows(source: str, stream: IO[str], limits: Limits, at: _Cursor) -> Iterator[Row | RowProblem]:
    csv.field_size_limit(limits.field_chars)  # the module's limit is global: set it to ours for every file
    try:
        reader = csv.reader(_lines(stream, limits.row_chars))
        header = next(reader, None)
    except csv.Error as exc:
        raise _Stop(_field_reason(exc, limits)) from None
    if header is None:
        return
    header = [h.strip() for h in header]
    number = 1
    while True:
        number += 1
        at.row = number
        try:
            cells = next(reader, None)
        except csv.Error as exc:
            raise _Stop(_field_reason(exc, limits)) from None
        if cells is None:
            return
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            yield RowProblem(source, number, "", f"{len(cells)} cells but the header has {len(header)} columns")
            continue
        yield Row(source, number, dict(zip(header, cells, strict=False)), tabular=True)


def _field_reason(exc: csv.Error, limits: Limits) -> str:
    if "field limit" in str(exc):
        return f"a field is longer than {limits.field_chars:,} characters (CONDUCT_MAX_FIELD_CHARS)"
    return f"malformed CSV ({exc})"


def _cell(value: Any, limit: int) -> Any:
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and len(value) > limit:
        raise ValueError(f"a cell is longer than {limit:,} characters (CONDUCT_MAX_FIELD_CHARS)")
    return "" if value is None else value


def _workbook_file(path: Path, limits: Limits) -> IO[bytes]:
    """The workbook as a seekable file; its parts may not expand past the decompression limit."""
    if path.name.lower().endswith(".gz"):
        with _binary(path, limits) as fh:
            data: IO[bytes] = io.BytesIO(fh.read())
    else:
        data = path.open("rb")
    try:
        with zipfile.ZipFile(data) as archive:
            size = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        data.close()
        raise _Stop(f"not a readable XLSX workbook ({exc})") from None
    if size > limits.decompressed_bytes:
        data.close()
        raise _Stop(f"the workbook expands to {size:,} bytes, more than {limits.decompressed_bytes:,} "
                    "(CONDUCT_MAX_DECOMPRESSED_BYTES)")
    data.seek(0)
    return data


def _xlsx_rows(source: str, path: Path, limits: Limits, at: _Cursor) -> Iterator[Row | RowProblem]:
    from openpyxl import load_workbook
    data = _workbook_file(path, limits)
    try:
        try:
            book = load_workbook(data, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise _Stop(f"not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None
        try:
            yield from _sheet_rows(source, book.worksheets[0], limits, at)
        except _Stop:
            raise
        except Exception as exc:  # a damaged sheet fails part-way, in openpyxl's parser
            raise _Stop(f"the workbook is damaged ({type(exc).__name__}: {exc})") from None
        finally:
            book.close()
    finally:
        data.close()


def _sheet_rows(source: str, sheet: Any, limits: Limits, at: _Cursor) -> Iterator[Row | RowProblem]:
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()  # a crafted dimension would pad every row to it
    header = next(sheet.iter_rows(min_row=1, max_row=1, max_col=EXCEL_MAX_COLUMNS, values_only=True), None)
    if header is None:
        return
    names = ["" if h is None else str(h).strip()[:200] for h in header]
    while names and not names[-1]:
        names.pop()
    if not names:
        return
    for number, values in enumerate(sheet.iter_rows(min_row=2, max_col=len(names), values_only=True), start=2):
        at.row = number
        if number > EXCEL_MAX_ROWS:
            raise _Stop(f"more than {EXCEL_MAX_ROWS:,} rows, Excel's limit")
        if not values:
            continue
        try:
            cells = [_cell(v, limits.field_chars) for v in values]
        except ValueError as exc:
            yield RowProblem(source, number, "", str(exc))
            continue
        if not any(str(c).strip() for c in cells):
            continue
        yield Row(source, number, {n: c for n, c in zip(names, cells, strict=False) if n}, tabular=True)
