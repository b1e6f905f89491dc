"""API keys on SQLite and PostgreSQL: only the hash is stored; revoked keys no longer authenticate."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from conduct_engine.store import ApiKey, KeyInfo, schema


def test_keys_hashed_and_revocable(store):
    key_id, secret = store.keys.create("alice", "auditor")
    assert store.keys.authenticate(secret).role == "auditor"
    assert store.keys.authenticate(secret + "x") is None
    with store.db.engine.connect() as conn:
        stored = conn.execute(select(schema.api_keys.c.key_hash)).scalar_one()
    assert secret not in stored and len(stored) == 64
    assert store.keys.revoke(key_id) and store.keys.authenticate(secret) is None
    assert not store.keys.revoke(key_id)


def test_unknown_role_is_refused(store):
    with pytest.raises(ValueError, match="role must be one of submitter, reviewer, auditor, admin"):
        store.keys.create("bob", "root")


def test_listed_keys_are_rows_shown_as_before(store):
    key_id, secret = store.keys.create("alice", "admin")
    assert store.keys.authenticate(secret) == KeyInfo(key_id, "alice", "admin")
    (key,) = store.keys.all()
    assert isinstance(key, ApiKey) and (key.id, key.name, key.role, key.revoked_at) == (key_id, "alice", "admin", None)
    shown = key.to_dict()
    assert list(shown) == ["id", "name", "role", "created_at", "revoked_at", "employee_id"]
    assert shown["created_at"] == key.created_at.isoformat() and shown["revoked_at"] is None
    store.keys.revoke(key_id)
    (revoked,) = store.keys.all()
    assert isinstance(revoked.revoked_at, dt.datetime)
    assert revoked.to_dict()["revoked_at"] == revoked.revoked_at.isoformat()
