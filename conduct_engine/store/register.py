"""The record register: accepted records, the history that window and join rules read (SPEC §3.4)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from conduct_engine.history import HistoryItem
from conduct_engine.store import schema
from conduct_engine.store.database import Database, now


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
            conn.execute(self._upsert, list(rows.values()))

    @cached_property
    def _upsert(self) -> Any:
        """INSERT … ON CONFLICT (kind, record_id) DO UPDATE, built once."""
        if self._db.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        stmt = insert(schema.records)
        updated = ("record_date", "employee_id", "branch", "submitted_by", "data", "stored_at")
        return stmt.on_conflict_do_update(index_elements=["kind", "record_id"],
                                          set_={k: stmt.excluded[k] for k in updated})

    def history(self, kinds: set[str], start: dt.date, end: dt.date,
                employees: set[str] | None = None) -> list[HistoryItem]:
        """Stored records of the given kinds dated in ``[start, end]`` (of those employees only, if given)."""
        if not kinds or employees == set():
            return []
        params: dict[str, Any] = {"kinds": sorted(kinds), "start": start, "end": end}
        if employees is not None:
            params["employees"] = sorted(employees)
        with self._db.read() as conn:
            rows = conn.execute(self._history_query[employees is not None], params)
            return [HistoryItem(r.kind, r.record_id, r.record_date, r.data) for r in rows]

    @cached_property
    def _history_query(self) -> tuple[Any, Any]:
        """The history SELECT, built once: (any employee, only the given employees)."""
        t = schema.records
        query = select(t.c.kind, t.c.record_id, t.c.record_date, t.c.data).where(
            t.c.kind.in_(bindparam("kinds", expanding=True)), t.c.record_date >= bindparam("start"),
            t.c.record_date <= bindparam("end"))
        return query, query.where(t.c.employee_id.in_(bindparam("employees", expanding=True)))

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
