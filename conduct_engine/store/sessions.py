"""Web-console sessions: a random token in the browser's cookie, its SHA-256 here with the key, role, CSRF token
and language; shared by every API worker (``Sessions``, in the store), or kept in one process when the app has
no store (``MemorySessions``, a local demo)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
from dataclasses import dataclass, replace
from typing import Protocol

from sqlalchemy import delete, select, update

from conduct_engine.store import schema
from conduct_engine.store.database import Database, now

LANGS = ("zh", "en")


@dataclass(frozen=True)
class UiSession:
    """A signed-in browser: whose key (id, name, role), the CSRF token its forms carry, its language."""

    key_id: str
    key_name: str
    role: str
    csrf: str
    lang: str
    created_at: dt.datetime
    expires_at: dt.datetime


def token_hash(token: str) -> str:
    """What is stored of a session token (the cookie's value is never stored)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _new(key_id: str, key_name: str, role: str, lang: str, ttl: dt.timedelta) -> tuple[str, UiSession]:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}")
    at = now()
    return secrets.token_urlsafe(32), UiSession(key_id, key_name, role, secrets.token_urlsafe(32), lang, at, at + ttl)


class SessionStore(Protocol):
    """What the console needs of a session store."""

    def create(self, key_id: str, key_name: str, role: str, lang: str, ttl: dt.timedelta) -> tuple[str, UiSession]:
        """Start a session; returns (token for the cookie, session)."""

    def get(self, token: str) -> UiSession | None:
        """The live session of ``token`` (not expired, its key not revoked), or None."""

    def set_lang(self, token: str, lang: str) -> None:
        """Remember the session's language."""

    def end(self, token: str) -> None:
        """End the session (sign-out): the token no longer works."""


class Sessions:
    """Sessions in the store's ``ui_sessions`` table; a revoked key's sessions stop working at once."""

    def __init__(self, db: Database):
        self._db = db

    def create(self, key_id: str, key_name: str, role: str, lang: str, ttl: dt.timedelta) -> tuple[str, UiSession]:
        """Start a session (and drop the expired ones); returns (token for the cookie, session)."""
        token, s = _new(key_id, key_name, role, lang, ttl)
        t = schema.ui_sessions
        with self._db.transaction() as conn:
            conn.execute(delete(t).where(t.c.expires_at <= s.created_at))
            conn.execute(t.insert().values(token_hash=token_hash(token), key_id=key_id, key_name=key_name, role=role,
                                           csrf=s.csrf, lang=lang, created_at=s.created_at, expires_at=s.expires_at))
        return token, s

    def get(self, token: str) -> UiSession | None:
        """The live session of ``token``, or None (expired, signed out, or its key revoked)."""
        t, k = schema.ui_sessions, schema.api_keys
        query = (select(t, k.c.revoked_at.label("key_revoked_at")).select_from(t.outerjoin(k, k.c.id == t.c.key_id))
                 .where(t.c.token_hash == token_hash(token)))
        with self._db.read() as conn:
            row = conn.execute(query).first()
        if row is None or row.key_revoked_at is not None or _aware(row.expires_at) <= now():
            return None
        return UiSession(row.key_id, row.key_name, row.role, row.csrf, row.lang, _aware(row.created_at),
                         _aware(row.expires_at))

    def set_lang(self, token: str, lang: str) -> None:
        """Remember the session's language."""
        if lang not in LANGS:
            raise ValueError(f"lang must be one of {', '.join(LANGS)}")
        t = schema.ui_sessions
        with self._db.transaction() as conn:
            conn.execute(update(t).where(t.c.token_hash == token_hash(token)).values(lang=lang))

    def end(self, token: str) -> None:
        """End the session: its row is deleted."""
        t = schema.ui_sessions
        with self._db.transaction() as conn:
            conn.execute(delete(t).where(t.c.token_hash == token_hash(token)))


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes for what was stored in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


class MemorySessions:
    """Sessions of one process, for an app without a store (a local demo): lost on restart, not shared."""

    def __init__(self) -> None:
        self._items: dict[str, UiSession] = {}
        self._lock = threading.Lock()

    def create(self, key_id: str, key_name: str, role: str, lang: str, ttl: dt.timedelta) -> tuple[str, UiSession]:
        """Start a session; returns (token for the cookie, session)."""
        token, s = _new(key_id, key_name, role, lang, ttl)
        with self._lock:
            self._items = {h: v for h, v in self._items.items() if v.expires_at > s.created_at}
            self._items[token_hash(token)] = s
        return token, s

    def get(self, token: str) -> UiSession | None:
        """The live session of ``token``, or None."""
        s = self._items.get(token_hash(token))
        return s if s is not None and s.expires_at > now() else None

    def set_lang(self, token: str, lang: str) -> None:
        """Remember the session's language."""
        if lang not in LANGS:
            raise ValueError(f"lang must be one of {', '.join(LANGS)}")
        with self._lock:
            h = token_hash(token)
            if h in self._items:
                self._items[h] = replace(self._items[h], lang=lang)

    def end(self, token: str) -> None:
        """End the session."""
        with self._lock:
            self._items.pop(token_hash(token), None)
