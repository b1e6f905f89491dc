"""Pack generations: each pack reload is recorded, so every API worker process picks it up."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import func, select

from conduct_engine.store import schema
from conduct_engine.store.database import Database, now


class PackGeneration(NamedTuple):
    """A pack reload: its number (0 before any reload) and the packs' digest (None before any reload)."""

    generation: int
    digest: str | None


class PackGenerations:
    """The record of pack reloads."""

    def __init__(self, db: Database):
        self._db = db

    def current(self) -> PackGeneration:
        """The latest reload; (0, None) before any."""
        t = schema.pack_generations
        with self._db.read() as conn:
            row = conn.execute(select(t.c.generation, t.c.digest).order_by(t.c.generation.desc()).limit(1)).first()
        return PackGeneration(row.generation, row.digest) if row else PackGeneration(0, None)

    def bump(self, digest: str, by: str | None) -> int:
        """Record a reload to packs of this digest; returns its generation."""
        t = schema.pack_generations
        with self._db.transaction() as conn:
            current = conn.execute(select(func.max(t.c.generation))).scalar() or 0
            conn.execute(t.insert().values(generation=current + 1, digest=digest, reloaded_at=now(), reloaded_by=by))
        return int(current + 1)
