"""Reference data (SPEC §3.3): employees, parties, clients, … loaded as a whole; the latest load is in force."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import func, select

from conduct_engine.store import schema
from conduct_engine.store.database import Database, now


class ReferenceVersion(NamedTuple):
    """A reference-data load: its number (0 before any load) and its data (None before any load)."""

    seq: int
    data: dict | None


class ReferenceData:
    """Loads of reference data, the latest one in force."""

    def __init__(self, db: Database):
        self._db = db

    def load(self, data: dict, loaded_by: str | None = None) -> int:
        """Store a reference-data load; it is in force from now on. Returns its number."""
        with self._db.transaction() as conn:
            result = conn.execute(schema.reference_data.insert().values(loaded_at=now(), loaded_by=loaded_by,
                                                                         data=data))
            key = result.inserted_primary_key
            assert key is not None
        self._db.cache.clear()
        return int(key[0])

    def current(self) -> dict | None:
        """The reference data in force (the latest load), or None."""
        return self.version().data

    def version(self) -> ReferenceVersion:
        """The load in force: (number, data); (0, None) before any load."""
        t = schema.reference_data
        with self._db.read() as conn:
            seq = conn.execute(select(func.max(t.c.seq))).scalar()
            if seq is None:
                return ReferenceVersion(0, None)
            row = conn.execute(select(t.c.data).where(t.c.seq == seq)).first()
        return ReferenceVersion(int(seq), row.data if row else None)

    def seq(self) -> int:
        """The number of the load in force (0 before any load), cached for a moment like the waivers."""
        def load() -> int:
            t = schema.reference_data
            with self._db.read() as conn:
                return int(conn.execute(select(func.max(t.c.seq))).scalar() or 0)
        return self._db.cache.get("reference_seq", load)
