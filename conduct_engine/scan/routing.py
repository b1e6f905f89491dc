"""Stage 1 of a partitioned scan, on the workers: parse, map and validate chunks of rows, and say where
each valid record goes.

The parent only reads rows (a JSON Lines row as its text: :class:`~conduct_engine.scan.readers.Line`) and
sends them in chunks; a worker returns, per row and in row order, the problems that skip it or the routed
record (its kind, id, own date, partitions and spool text). The parent takes the chunks back in the order it
sent them, so the records' positions among the valid records, the problems' order and the spool are those a
serial pass gives (``prepare.valid_rows``): only the work moved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conduct_engine.facts import record_date
from conduct_engine.fx import FxTable
from conduct_engine.scan.partition import router_for, spool_text
from conduct_engine.scan.prepare import valid_row
from conduct_engine.scan.readers import FileFailure, Line, Row, RowProblem, parse_line, read_rows
from conduct_engine.untrusted import Limits

#: rows per chunk: large enough to be cheap to send, small enough to keep both workers busy and memory flat
CHUNK_ROWS = 2_000


@dataclass(frozen=True)
class RouteTask:
    """One chunk of one input file's rows, in row order."""

    source: int  # the input file's index (what the spool entries carry)
    name: str  # its path, as the rows name it
    entries: list[Any]  # (row number, text) of a JSON Lines row not parsed yet, or a Row / RowProblem
    mapping: Any  # the scan's Mapping
    partitions: int  # the router's employee partitions
    failure: FileFailure | None = None  # the file became unreadable after these rows (listed after them)


def chunks(files: list[Path], mapping: Any, partitions: int, limits: Limits, on_row: Callable[[], None]
           ) -> Iterator[RouteTask]:
    """The rows of ``files`` in chunks of :data:`CHUNK_ROWS` (JSON Lines rows unparsed); ``on_row`` is called
    for every row read (the summary's row count). A file that fails part-way ends its last chunk."""
    for source, path in enumerate(files):
        name = str(path)
        entries: list[Any] = []
        for row in read_rows(path, limits, defer_lines=True):
            if isinstance(row, FileFailure):
                yield RouteTask(source, name, entries, mapping, partitions, row)
                entries = []
                break
            on_row()
            entries.append((row.number, row.text) if isinstance(row, Line) else row)
            if len(entries) >= CHUNK_ROWS:
                yield RouteTask(source, name, entries, mapping, partitions)
                entries = []
        if entries:
            yield RouteTask(source, name, entries, mapping, partitions)


@dataclass(frozen=True)
class Routed:
    """A valid record: what the parent needs to number and spool it."""

    kind: str
    id: str
    day: dt.date
    home: int | None  # the evaluating partition; None: any (the parent spreads it by position)
    copies: frozenset[int]  # partitions that need it as history
    text: str  # the spool entry's tail (``spool_text``)


Outcome = tuple[list[RowProblem], Routed | None]  # per row: its problems, and the record when it is valid


def route_chunk(task: RouteTask, packs: Any, context: Any, as_of: dt.date, limits: Limits | None = None
                ) -> list[Outcome]:
    """Parse, map and validate one chunk (the reference data's dated fx rates, as ``prepare``), per row."""
    limits = limits or Limits.load()
    rates = FxTable.of(packs.fx, context)
    router = router_for(packs, task.partitions)
    out: list[Outcome] = []
    for entry in task.entries:
        row = parse_line(Line(task.name, *entry), limits) if isinstance(entry, tuple) else entry
        if isinstance(row, RowProblem):
            out.append(([row], None))
            continue
        assert isinstance(row, Row)
        model, problems = valid_row(row, task.mapping, packs, rates)
        if model is None:
            out.append((problems, None))
            continue
        dump = model.as_fact_dict()  # type: ignore[attr-defined]
        home, copies = router.keyed_routes(dump)
        text = spool_text([task.source, row.number, int(row.tabular), dump])
        out.append((problems, Routed(dump["kind"], dump["id"], record_date(dump["kind"], dump, as_of), home,
                                     frozenset(copies), text)))
    return out
