"""Fixed-window request counters in the store, so every API worker process shares one count (SPEC §8, §12).

A hit is one upsert that returns the new count of its (bucket, window) row: atomic on SQLite (one writer at a
time) and on PostgreSQL (``INSERT … ON CONFLICT DO UPDATE``), so N workers admit exactly the configured number
of requests per window between them, not N times it. Windows are epoch minutes; rows older than the previous
window are deleted when a window opens.

A request's whole turn at the door — "refused if its address failed too often, else count its key (or its
failure)" — is one :class:`Turn`. Turns queued by concurrent requests are applied together in one transaction
by the store's group committer (``Store.take_turn``), with the decisions waiting: one upsert per bucket per
batch (``count = count + n``), so each turn still gets its own exact count.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from conduct_engine.store import schema
from conduct_engine.store.database import Database
from conduct_engine.store.prepared import Prepared, PreparedFamily, in_list, list_values

WINDOW_SECONDS = 60


def window_of(moment: float | None = None) -> int:
    """The number of the fixed window a moment (default now) falls in."""
    return int((time.time() if moment is None else moment) // WINDOW_SECONDS)


@dataclass(frozen=True)
class Turn:
    """One hit of ``bucket`` — unless ``guard`` already has ``guard_limit`` hits this window, then none."""

    bucket: str
    guard: str | None = None
    guard_limit: int = 0


class RateWindows:
    """Count hits per bucket (``key:<id>``, ``auth-fail:<address>``) in the current window."""

    def __init__(self, db: Database):
        self._db = db
        table = schema.rate_windows
        insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
        upsert = insert(table).values(bucket=bindparam("b"), window=bindparam("w"), count=bindparam("n"))
        dialect = db.engine.dialect
        self._upsert = Prepared(upsert.on_conflict_do_update(
            index_elements=[table.c.bucket, table.c.window],
            set_={"count": table.c["count"] + upsert.excluded["count"]}).returning(table.c.count), dialect)
        self._forget = Prepared(delete(table).where(table.c.bucket == bindparam("b"), table.c.window < bindparam("w")),
                                dialect)
        self._counts = PreparedFamily(lambda n: select(table.c.bucket, table.c.count).where(
            table.c.bucket.in_(in_list("bs", n)), table.c.window == bindparam("w")), dialect)

    def hit(self, bucket: str, moment: float | None = None) -> int:
        """Count one hit for ``bucket``; the bucket's count in this window, this hit included."""
        with self._db.transaction(durable=False) as conn:  # a count lost in a crash costs nothing
            count = self.apply(conn, [Turn(bucket)], moment)[0]
        assert count is not None  # an unguarded turn always hits
        return count

    def apply(self, conn: Connection, turns: Sequence[Turn], moment: float | None = None) -> list[int | None]:
        """Apply turns, in order, in ``conn``'s transaction (what the group committer runs); their counts."""
        window = window_of(moment)
        guards = sorted({t.guard[:200] for t in turns if t.guard is not None})
        seen: dict[str, int] = ({b: c for b, c in self._counts.get(len(guards)).run(conn, {**list_values("bs", guards),
                                                                                          "w": window})}
                                if guards else {})
        hits: dict[str, int] = {}
        places: list[tuple[str, int] | None] = []  # per turn: its bucket and how many hits of it the batch had
        for turn in turns:
            guard, bucket = (turn.guard[:200] if turn.guard is not None else None), turn.bucket[:200]
            if guard is not None and seen.get(guard, 0) + hits.get(guard, 0) >= turn.guard_limit:
                places.append(None)
                continue
            hits[bucket] = hits.get(bucket, 0) + 1
            places.append((bucket, hits[bucket]))
        totals = {}
        for bucket, n in hits.items():
            (total,), = self._upsert.run(conn, {"b": bucket, "w": window, "n": n})
            totals[bucket] = int(total)
            if totals[bucket] == n:  # a new window for this bucket: forget the old ones
                self._forget.run(conn, {"b": bucket, "w": window - 1})
        return [None if p is None else totals[p[0]] - hits[p[0]] + p[1] for p in places]

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
