"""The parent's stage before fan-out: read and map rows, parse records, order them by date, and compute
every record's window aggregates over the whole batch — so partitions are independent and each result
equals a one-by-one ``Engine.evaluate(record, history=<the other records>)`` (SPEC §3.4)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from conduct_engine import network
from conduct_engine.facts import record_date
from conduct_engine.fx import FxTable
from conduct_engine.history import AggregateValue, HistoryIndex, HistoryItem
from conduct_engine.packs.model import LoadedPacks
from conduct_engine.paths import get_path
from conduct_engine.records import parse_context
from conduct_engine.scan.mapping import Mapping, validate
from conduct_engine.scan.readers import FileFailure, Row, RowProblem, expand, read_rows
from conduct_engine.untrusted import Limits


@dataclass(frozen=True)
class WorkItem:
    """One record ready for any worker: its parsed model and its precomputed window aggregates."""

    seq: int  # position in input order: the order of every report
    key: str  # checkpoint key ``seq:kind:id``
    model: BaseModel
    aggregates: dict[str, AggregateValue | None]
    meta: dict[str, Any]  # source, row, kind, id, branch, employee_id, date


@dataclass
class ScanPlan:
    """Everything a scan needs after reading: the work (in date order) and the rows that were skipped."""

    scan_id: str
    inputs: list[str]
    as_of: dt.date
    pack: dict[str, str]
    rows: int = 0
    items: list[WorkItem] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    failures: list[FileFailure] = field(default_factory=list)  # files that became unreadable part-way
    stored_history: int = 0  # records from the store added to the batch's history
    record_count: int = -1  # records checked, when the parent does not hold them (``parallel.py``)
    fold: Any = None  # the summary's counts, folded by the workers as they checked (``parallel.py``)

    def header(self) -> dict[str, Any]:
        """What the summary says about the scan itself."""
        return {"scan_id": self.scan_id, "inputs": self.inputs, "as_of": self.as_of.isoformat(), "pack": self.pack,
                "rows": self.rows,
                "records": self.record_count if self.record_count >= 0 else len(self.items),
                "skipped": len(self.problems_by_row()),
                "stored_history": self.stored_history, "unreadable_files": [f.as_dict() for f in self.failures]}

    def problems_by_row(self) -> list[tuple[str, int]]:
        """The distinct skipped rows."""
        return sorted({(p.source, p.row) for p in self.problems})


def fingerprint(files: list[Path], extra: MappingABC[str, Any]) -> str:
    """The scan id: a hash of the inputs' bytes, the mapping, context, as_of and pack digest (deterministic)."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path).encode() + b"\0")
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    digest.update(json.dumps(extra, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:32]


def valid_rows(files: list[Path], plan: ScanPlan, mapping: Mapping, packs: LoadedPacks, rates: FxTable
               ) -> Iterator[tuple[int, Row, BaseModel]]:
    """Read, map and validate every row of ``files``: (file index, row, model) for each valid record; unreadable
    files, row problems and mapping or validation problems go to ``plan`` in row order (SPEC §12: a file that
    fails is listed with the row where it stopped, and the other files go on)."""
    limits = Limits.load()
    for source, path in enumerate(files):
        for row in read_rows(path, limits):
            if isinstance(row, FileFailure):
                plan.failures.append(row)
                plan.problems.append(row.as_problem())
                continue
            plan.rows += 1
            if isinstance(row, RowProblem):
                plan.problems.append(row)
                continue
            assert isinstance(row, Row)  # lines come parsed unless asked for (``defer_lines``)
            model, problems = valid_row(row, mapping, packs, rates)
            plan.problems += problems
            if model is not None:
                yield source, row, model


def valid_row(row: Row, mapping: Mapping, packs: LoadedPacks, rates: FxTable) -> tuple[BaseModel | None, list[RowProblem]]:
    """One row mapped and validated: (its model or None, the problems that go to the summary)."""
    record, problems = mapping.to_record(row, packs.fx)
    if record is None:
        return None, problems
    return validate(record, row, mapping, rates)


def prepare(paths: list[str], *, packs: LoadedPacks, as_of: dt.date, mapping: Mapping | None = None,
            mapping_text: str = "", context: Any = None,
            stored: Callable[[set[str], dt.date, dt.date], list[HistoryItem]] | None = None) -> ScanPlan:
    """Read, map and parse every input row; compute window aggregates over the batch (plus the records
    ``stored`` returns for the kinds and dates the windows need: SPEC §3.4); order by date."""
    files = expand(paths)
    extra: dict[str, Any] = {"mapping": mapping_text, "context": context, "as_of": as_of.isoformat(),
                             "pack": packs.digest}
    plan = ScanPlan("", [str(f) for f in files], as_of,
                    {"name": packs.name, "version": packs.version, "digest": packs.digest})
    mapping = mapping or Mapping.identity_mapping()
    ctx = parse_context(context, lenient=True) if context is not None else None
    rates = FxTable.of(packs.fx, ctx)  # the pack's table under the reference data's dated fx_rates
    parsed: list[tuple[Row, BaseModel]] = [(row, model) for _, row, model in valid_rows(files, plan, mapping, packs,
                                                                                         rates)]
    history: list[HistoryItem] = []
    dumps = []
    for _, model in parsed:
        dump = model.as_fact_dict()  # type: ignore[attr-defined]
        dumps.append(dump)
        history.append(HistoryItem(dump["kind"], dump["id"], record_date(dump["kind"], dump, as_of), dump))
    if stored is not None and history and packs.aggregates:
        kinds = {a.over for a in packs.aggregates.values()}
        days = [h.day for h in history]
        before = max(a.within_days for a in packs.aggregates.values())
        after = max(a.after_days for a in packs.aggregates.values())
        in_batch = {(h.kind, h.id) for h in history}
        earlier = [h for h in stored(kinds, min(days) - dt.timedelta(days=before), max(days) + dt.timedelta(days=after))
                   if (h.kind, h.id) not in in_batch]
        extra["stored"] = hashlib.sha256(json.dumps(sorted((h.kind, h.id, h.day.isoformat()) for h in earlier))
                                         .encode()).hexdigest()
        plan.stored_history = len(earlier)
        history_index_items = history + earlier
    else:
        history_index_items = history
    plan.scan_id = fingerprint(files, extra)
    index = HistoryIndex(history_index_items)
    net = network.resolver(ctx)  # SPEC §3.5: windows over the resolved party networks
    for seq, ((row, model), dump, item) in enumerate(zip(parsed, dumps, history, strict=True)):
        aggregates = {name: index.aggregate(name, agg, item.kind, dump, item.day, network=net)
                      for name, agg in packs.aggregates.items() if item.kind in agg.applies_to}
        employee = dump.get("employee_id") or get_path(dump, "team.lead_investigator")
        meta = {"source": row.source, "row": row.number, "kind": item.kind, "id": item.id,
                "branch": dump.get("branch"), "employee_id": employee, "date": item.day.isoformat()}
        plan.items.append(WorkItem(seq, f"{seq}:{item.kind}:{item.id}", model, aggregates, meta))
    plan.items.sort(key=lambda w: (w.meta["date"], w.seq))
    return plan
