"""Scans prepared in parallel: the parent reads and routes rows; each worker parses its partition, builds
the partition's history and evaluates it.

The packs decide the routing (:func:`router_for`). A window (aggregate) whose key includes the history
record's ``employee_id``, matched to a single (non-list) field of each record reading it, only ever sums
records of that employee: route every record by that employee and each partition holds all the history its
records can see. A record kind reading a window that is not keyed that way (a client's visits, a loan
file's co-investigators) is evaluated in the global partition 0, and the kinds such windows sum are copied
there as history as well. Kinds with no window go anywhere. Every result equals the one a whole-batch
history gives (SPEC §3.4), whatever the number of partitions or workers.

Rows are spooled to one JSON Lines file per partition (memory stays bounded: the parent keeps no records);
a worker reads one partition, keeps only the records' dumps, and returns compact rows for the checkpoint.
"""

from __future__ import annotations

import json
import zlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from conduct_engine.packs.fields import catalog
from conduct_engine.packs.model import LoadedPacks
from conduct_engine.paths import get_path

GLOBAL = 0
EMPLOYEE = "employee_id"


@dataclass(frozen=True)
class Router:
    """Where each record goes: the partition that evaluates it, and the partitions that need it as history."""

    partitions: int  # employee partitions 1..partitions, plus the global partition 0
    eval_field: dict[str, str]  # kind -> the record field naming the employee whose history it reads
    global_eval: frozenset[str]  # kinds evaluated in the global partition
    history_employee: frozenset[str]  # kinds whose records are history in their employee's partition
    history_global: frozenset[str]  # kinds whose records are history in the global partition

    def _employee_partition(self, value: Any) -> int:
        if not isinstance(value, str):
            return GLOBAL  # no key: such a record sums into no keyed window, and reads none
        return 1 + zlib.crc32(value.encode("utf-8")) % self.partitions

    def routes(self, record: dict, ordinal: int) -> tuple[int, set[int]]:
        """(evaluating partition, history-only partitions) of one mapped record."""
        keyed, extra = self.keyed_routes(record)
        home = self.spread(keyed, ordinal)
        return home, extra - {home}

    def spread(self, home: int | None, ordinal: int) -> int:
        """The evaluating partition: ``home``, or for a record that reads no window (None) any partition,
        spread by its position."""
        return 1 + ordinal % self.partitions if home is None else home

    def keyed_routes(self, record: dict) -> tuple[int | None, set[int]]:
        """What the record's own fields decide: (evaluating partition, None when any will do; the partitions
        that need it as history, which :meth:`routes` takes the evaluating one out of)."""
        kind = record.get("kind")
        home: int | None
        if kind in self.global_eval:
            home = GLOBAL
        elif kind in self.eval_field:
            home = self._employee_partition(get_path(record, self.eval_field[kind]))
        else:  # reads no window: any partition will do
            home = None
        extra = set()
        if kind in self.history_employee:
            extra.add(self._employee_partition(record.get(EMPLOYEE)))
        if kind in self.history_global:
            extra.add(GLOBAL)
        return home, extra


def _scalar(kind: str, path: str) -> bool:
    schema = catalog().get(kind)
    ftype = schema.fields.get(path) if schema is not None else None
    return ftype is not None and ftype.kind not in ("list", "object", "map", "any")


def router_for(packs: LoadedPacks, partitions: int) -> Router:
    """The routing the packs' windows allow (see the module docstring)."""
    global_eval: set[str] = set()
    fields: dict[str, set[str]] = defaultdict(set)
    for agg in packs.aggregates.values():
        record_field = agg.match.get(EMPLOYEE)
        if record_field is None or not all(_scalar(kind, record_field) for kind in agg.applies_to):
            global_eval |= set(agg.applies_to)
        else:
            for kind in agg.applies_to:
                fields[kind].add(record_field)
    global_eval |= {kind for kind, found in fields.items() if len(found) > 1}  # two employees: no one home
    eval_field = {kind: next(iter(found)) for kind, found in fields.items() if kind not in global_eval}
    history_employee: set[str] = set()
    history_global: set[str] = set()
    for agg in packs.aggregates.values():
        for kind in agg.applies_to:
            (history_global if kind in global_eval else history_employee).add(agg.over)
    return Router(max(1, partitions), eval_field, frozenset(global_eval), frozenset(history_employee),
                  frozenset(history_global))


@dataclass
class Spool:
    """One JSON Lines file per partition: ``[ordinal, evaluate (0/1/2), source index, row, tabular, record]``."""

    folder: Path
    partitions: int
    counts: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # records to evaluate, by partition
    _files: dict[int, IO[str]] = field(default_factory=dict)

    def path(self, partition: int) -> Path:
        """The spool file of one partition."""
        return self.folder / f"part-{partition:04d}.jsonl"

    def add_lines(self, partition: int, lines: list[str], evaluated: int) -> None:
        """Append whole spool lines (``[ordinal,evaluate,`` + tail + newline) to one partition; ``evaluated``
        of them are to be checked there (1 or 2: a partition of checkpointed records is still read, their keys
        are checked)."""
        out = self._files.get(partition)
        if out is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            out = self._files[partition] = self.path(partition).open("w", encoding="utf-8", buffering=1 << 20)
        out.write("".join(lines))
        if evaluated:
            self.counts[partition] += evaluated

    def close(self) -> list[int]:
        """Close every file; the partitions with something to evaluate, largest first (better balance)."""
        for out in self._files.values():
            out.close()
        return sorted((p for p, n in self.counts.items() if n), key=lambda p: (-self.counts[p], p))


def spool_text(tail: list[Any]) -> str:
    """A spool entry's tail (``[source index, row, tabular, record]``) without its opening bracket: a spool line
    is ``[ordinal,evaluate,`` + this + a newline (:meth:`Spool.add_lines`)."""
    return json.dumps(tail, ensure_ascii=False, separators=(",", ":"))[1:]


def read_spool(source: str | bytes) -> Iterator[list[Any]]:
    """The entries of one partition: from its spool file (a path) or its bytes (sent to a remote worker)."""
    if isinstance(source, bytes):
        for line in source.decode("utf-8").splitlines():
            yield json.loads(line)
        return
    with open(source, encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)
