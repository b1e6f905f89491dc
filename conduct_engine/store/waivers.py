"""Waivers: approved exceptions to a rule, for one record or one subject, until they expire or are revoked."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Connection, select, update

from conduct_engine.store import schema
from conduct_engine.store.database import Database, now


@dataclass(frozen=True)
class Waiver:
    """A stored waiver."""

    id: str
    rule_id: str
    record_id: str | None
    subject: str | None
    reason: str
    approver: str
    expires_on: dt.date
    created_at: dt.datetime
    created_by: str | None
    revoked_at: dt.datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """The waiver as JSON-ready data (dates and times in ISO 8601), as the API and CLI show it."""
        return {"id": self.id, "rule_id": self.rule_id, "record_id": self.record_id, "subject": self.subject,
                "reason": self.reason, "approver": self.approver, "expires_on": self.expires_on.isoformat(),
                "created_at": self.created_at.isoformat(), "created_by": self.created_by,
                "revoked_at": self.revoked_at.isoformat() if self.revoked_at is not None else None}


_COLUMNS = tuple(schema.waivers.c[f.name] for f in fields(Waiver))


class Waivers:
    """Add, list and revoke waivers; the ones in force are cached for a moment (every check reads them)."""

    def __init__(self, db: Database):
        self._db = db

    def add(self, *, rule_id: str, reason: str, approver: str, expires_on: dt.date, record_id: str | None = None,
            subject: str | None = None, created_by: str | None = None, conn: Connection | None = None) -> Waiver:
        """Record an approved exception for a record or a subject (in ``conn``'s transaction when given)."""
        if not record_id and not subject:
            raise ValueError("a waiver needs a record_id or a subject")
        waiver = Waiver(id="W-" + secrets.token_hex(6), rule_id=rule_id, record_id=record_id, subject=subject,
                        reason=reason, approver=approver, expires_on=expires_on, created_at=now(),
                        created_by=created_by)
        insert = schema.waivers.insert().values(**{c.name: getattr(waiver, c.name) for c in _COLUMNS})
        if conn is not None:
            conn.execute(insert)
        else:
            with self._db.transaction() as own:
                own.execute(insert)
        self._db.cache.clear()
        return waiver

    def active(self) -> list[Waiver]:
        """Waivers in force, cached for up to ``READ_CACHE_SECONDS`` (this process's writes clear it)."""
        return self._db.cache.get("waivers", self.all)

    def all(self, *, include_revoked: bool = False) -> list[Waiver]:
        """Waivers, newest first (revoked ones too, on request)."""
        t = schema.waivers
        query = select(*_COLUMNS).order_by(t.c.created_at.desc())
        if not include_revoked:
            query = query.where(t.c.revoked_at.is_(None))
        with self._db.read() as conn:
            return [Waiver(**r._mapping) for r in conn.execute(query)]

    def revoke(self, waiver_id: str, revoked_by: str | None = None) -> bool:
        """Revoke a waiver; False if there is no such active waiver."""
        t = schema.waivers
        with self._db.transaction() as conn:
            result = conn.execute(update(t).where(t.c.id == waiver_id, t.c.revoked_at.is_(None))
                                  .values(revoked_at=now(), revoked_by=revoked_by))
        self._db.cache.clear()
        return result.rowcount == 1
