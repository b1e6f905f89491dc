"""The record register: accepted records, the history that window and join rules read (SPEC §3.4)."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterable
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, Text, bindparam, cast, func, select

from conduct_engine.history import HistoryItem
from conduct_engine.shared_rows import SharedRows
from conduct_engine.store import schema
from conduct_engine.store.database import Database, now
from conduct_engine.store.prepared import Prepared, PreparedFamily, in_list, list_values


class _ParsedItems:
    """History items by (kind, record id), their JSON parsed once: valid while the row's stored text and date are
    the same (a record sent again is parsed again); the oldest are forgotten past ``limit``. Nothing that reads
    history changes an item or its dump."""

    def __init__(self, limit: int = 200_000):
        self.limit = limit
        self._items: dict[tuple[str, str], tuple[str, HistoryItem]] = {}
        self._lock = threading.Lock()

    def item(self, kind: str, record_id: str, day: dt.date, text: str) -> HistoryItem:
        """The history item of a row whose ``data`` is stored as ``text``."""
        key = (kind, record_id)
        hit = self._items.get(key)
        if hit is not None and hit[0] == text and hit[1].day == day:
            return hit[1]
        item = HistoryItem(kind, record_id, day, json.loads(text))
        with self._lock:  # reads come from the event loop and from worker threads (batches, scans)
            while len(self._items) >= self.limit:
                del self._items[next(iter(self._items))]
            self._items[key] = (text, item)
        return item


class Register:
    """Stores records (one per kind and id) and reads them back by kind, date window and employee."""

    def __init__(self, db: Database):
        self._db = db

    def put(self, conn: Connection, items: Iterable[HistoryItem], submitted_by: str | None) -> None:
        """Store accepted records in ``conn``'s transaction; a record sent again (same kind and id) replaces the old."""
        self.put_many(conn, [(items, submitted_by)])

    def put_many(self, conn: Connection, parts: Iterable[tuple[Iterable[HistoryItem], str | None]]) -> None:
        """Store several submissions' records in one statement, in ``conn``'s transaction."""
        stored_at = now()
        rows: dict[tuple[str, str], dict] = {}  # a record given twice: the later one wins, as if stored in turn
        for items, submitted_by in parts:
            for item in items:
                rows[(item.kind, item.id)] = {
                    "kind": item.kind, "record_id": item.id, "record_date": item.day,
                    "employee_id": item.dump.get("employee_id"), "branch": item.dump.get("branch"),
                    "submitted_by": submitted_by, "data": item.dump, "stored_at": stored_at}
        if rows:
            self._upsert.run_many(conn, list(rows.values()))

    @cached_property
    def _upsert(self) -> Prepared:
        """INSERT … ON CONFLICT (kind, record_id) DO UPDATE, prepared once."""
        if self._db.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        stmt = insert(schema.records)
        updated = ("record_date", "employee_id", "branch", "submitted_by", "data", "stored_at")
        upsert = stmt.on_conflict_do_update(index_elements=["kind", "record_id"],
                                            set_={k: stmt.excluded[k] for k in updated})
        return Prepared(upsert, self._db.engine.dialect, ("kind", "record_id", *updated))

    def history(self, kinds: set[str], start: dt.date, end: dt.date,
                employees: set[str] | None = None) -> list[HistoryItem]:
        """Stored records of the given kinds dated in ``[start, end]`` (of those employees only, if given).

        Each request reads its window again (other workers may have stored records since); what is not read
        again is the JSON: a record whose stored text is unchanged comes from :class:`_ParsedItems`, parsed once.
        """
        if not kinds or employees == set():
            return []
        values = {**list_values("kinds", sorted(kinds)), **list_values("employees", sorted(employees or ())),
                  "start": start, "end": end}
        query = self._history_query.get(len(kinds), len(employees or ()))
        with self._db.read_raw() as conn:
            rows = query.run(conn, values)
        parsed = self._parsed
        return [parsed.item(kind, record_id, day, text) for kind, record_id, day, text in rows]

    @cached_property
    def _parsed(self) -> _ParsedItems:
        return _ParsedItems()

    @cached_property
    def shared_rows(self) -> SharedRows:
        """The window rows of the items :meth:`history` hands out, kept across checks (``HistoryIndex(shared=…)``):
        an unchanged stored record is the same item object each time, so its rows are worked out once."""
        return SharedRows()

    @cached_property
    def _history_query(self) -> PreparedFamily:
        """The history SELECT of n kinds and m employees (m = 0: any employee), ``data`` as its JSON text."""
        t = schema.records

        def build(kinds: int, employees: int) -> Any:
            query = select(t.c.kind, t.c.record_id, t.c.record_date, cast(t.c.data, Text)).where(
                t.c.kind.in_(in_list("kinds", kinds)), t.c.record_date >= bindparam("start"),
                t.c.record_date <= bindparam("end"))
            return query.where(t.c.employee_id.in_(in_list("employees", employees))) if employees else query
        return PreparedFamily(build, self._db.engine.dialect)

    def get(self, kind: str, record_id: str) -> HistoryItem | None:
        """The stored record of ``kind`` with ``record_id`` (the latest sent), or None."""
        t = schema.records
        with self._db.read() as conn:
            row = conn.execute(select(t.c.kind, t.c.record_id, t.c.record_date, t.c.data)
                               .where(t.c.kind == kind, t.c.record_id == record_id)).first()
        return HistoryItem(row.kind, row.record_id, row.record_date, row.data) if row is not None else None

    def count(self) -> int:
        """How many records the register holds."""
        with self._db.read() as conn:
            return int(conn.execute(select(func.count()).select_from(schema.records)).scalar_one())
