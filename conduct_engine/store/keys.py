"""API keys: a name, a role and the SHA-256 hash of a secret shown once at creation."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from conduct_engine.store import schema
from conduct_engine.store.database import Database, now

ROLES = ("submitter", "auditor", "reviewer", "admin")


@dataclass(frozen=True)
class KeyInfo:
    """An authenticated API key."""

    id: str
    name: str
    role: str


@dataclass(frozen=True)
class ApiKey:
    """A stored API key (never its secret)."""

    id: str
    name: str
    role: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None

    def to_dict(self) -> dict[str, Any]:
        """The key as JSON-ready data (times in ISO 8601), as the API shows it."""
        return {"id": self.id, "name": self.name, "role": self.role, "created_at": self.created_at.isoformat(),
                "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None}


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeys:
    """Create, authenticate, list and revoke API keys."""

    def __init__(self, db: Database):
        self._db = db

    def create(self, name: str, role: str) -> tuple[str, str]:
        """Create a key; returns (key id, secret). Only the secret's hash is stored."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        key_id = "K-" + secrets.token_hex(4)
        secret = f"cc_{key_id[2:]}_{secrets.token_urlsafe(24)}"
        with self._db.transaction() as conn:
            conn.execute(schema.api_keys.insert().values(id=key_id, name=name, role=role, key_hash=_hash(secret),
                                                         created_at=now()))
        return key_id, secret

    def authenticate(self, secret: str) -> KeyInfo | None:
        """The active key with this secret, or None (cached for a moment: every request asks)."""
        t = schema.api_keys
        hashed = _hash(secret)

        def load() -> KeyInfo | None:
            with self._db.read() as conn:
                row = conn.execute(select(t.c.id, t.c.name, t.c.role).where(t.c.key_hash == hashed,
                                                                             t.c.revoked_at.is_(None))).first()
            return KeyInfo(row.id, row.name, row.role) if row else None
        return self._db.cache.get("key:" + hashed, load)

    def all(self) -> list[ApiKey]:
        """Every key, oldest first."""
        t = schema.api_keys
        query = select(t.c.id, t.c.name, t.c.role, t.c.created_at, t.c.revoked_at).order_by(t.c.created_at)
        with self._db.read() as conn:
            return [ApiKey(**r._mapping) for r in conn.execute(query)]

    def revoke(self, key_id: str) -> bool:
        """Revoke a key; False if there is no such active key."""
        t = schema.api_keys
        with self._db.transaction() as conn:
            result = conn.execute(update(t).where(t.c.id == key_id, t.c.revoked_at.is_(None)).values(revoked_at=now()))
        self._db.cache.clear()
        return result.rowcount == 1
