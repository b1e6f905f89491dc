"""Fixed-window request counters in the store, so every API worker process shares one count (SPEC §8, §12).

A hit is one upsert that returns the new count of its (bucket, window) row: atomic on SQLite (one writer at a
time) and on PostgreSQL (``INSERT … ON CONFLICT DO UPDATE``), so N workers admit exactly the configured number
of requests per window between them, not N times it. Windows are epoch minutes; rows older than the previous
window are deleted when a window opens.
"""

from __future__ import annotations

import time

from sqlalchemy import delete, select
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
        self._insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert

    def hit(self, bucket: str, moment: float | None = None) -> int:
        """Count one hit for ``bucket``; the bucket's count in this window, this hit included."""
        table, window = schema.rate_windows, window_of(moment)
        upsert = self._insert(table).values(bucket=bucket[:200], window=window, count=1)
        statement = upsert.on_conflict_do_update(index_elements=[table.c.bucket, table.c.window],
                                                 set_={"count": table.c.count + 1}).returning(table.c.count)
        with self._db.transaction() as conn:
            count = int(conn.execute(statement).scalar_one())
            if count == 1:  # a new window for this bucket: forget the old ones
                conn.execute(delete(table).where(table.c.bucket == bucket[:200], table.c.window < window - 1))
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
