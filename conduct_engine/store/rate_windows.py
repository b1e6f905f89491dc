"""Fixed-window request counters in the store, so every API worker process shares one count (SPEC §8, §12).

A hit is one upsert that returns the new count of its (bucket, window) row: atomic on SQLite (one writer at a
time) and on PostgreSQL (``INSERT … ON CONFLICT DO UPDATE``), so N workers admit exactly the configured number
of requests per window between them, not N times it. Windows are epoch minutes; rows older than the previous
window are deleted when a window opens.
"""

from __future__ import annotations

import time

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from conduct_engine.store import schema
from conduct_engine.store.database import Database

WINDOW_SECONDS = 60


def window_of(moment: float | None = None) -> int:
    """The number of the fixed window a moment (default now) falls in."""
    return int((time.time() if moment is None else moment) // WINDOW_SECONDS)


class RateWindows:
    """Count hits per bucket (``key:<id>``, ``auth-fail:<address>``) in the current window."""

    def __init__(self, db: Database):
        self._db = db
        table = schema.rate_windows
        insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
        upsert = insert(table).values(bucket=bindparam("b"), window=bindparam("w"), count=1)
        self._upsert = upsert.on_conflict_do_update(index_elements=[table.c.bucket, table.c.window],
                                                    set_={"count": table.c.count + 1}).returning(table.c.count)
        self._forget = delete(table).where(table.c.bucket == bindparam("b"), table.c.window < bindparam("w"))

    def hit(self, bucket: str, moment: float | None = None) -> int:
        """Count one hit for ``bucket``; the bucket's count in this window, this hit included."""
        window, bucket = window_of(moment), bucket[:200]
        with self._db.transaction(durable=False) as conn:  # a count lost in a crash costs nothing
            count = int(conn.execute(self._upsert, {"b": bucket, "w": window}).scalar_one())
            if count == 1:  # a new window for this bucket: forget the old ones
                conn.execute(self._forget, {"b": bucket, "w": window - 1})
        return count

    def count(self, bucket: str, moment: float | None = None) -> int:
        """The bucket's hits in the current window (0 when none)."""
        table = schema.rate_windows
        with self._db.read() as conn:
            found = conn.execute(select(table.c.count).where(table.c.bucket == bucket[:200],
                                                             table.c.window == window_of(moment))).scalar()
        return int(found or 0)

    def prune(self, moment: float | None = None) -> int:
        """Delete every window before the previous one; how many rows went."""
        table = schema.rate_windows
        with self._db.transaction() as conn:
            return conn.execute(delete(table).where(table.c.window < window_of(moment) - 1)).rowcount or 0
