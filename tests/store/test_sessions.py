"""Web-console sessions in the store, on SQLite and PostgreSQL: create, read back, language, end, expiry, a
revoked key; only the token's hash is stored."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from conduct_engine.store import MemorySessions, schema
from conduct_engine.store.sessions import token_hash

HOUR = dt.timedelta(hours=1)


def test_a_session_lives_until_it_ends(store):
    key_id, _ = store.keys.create("zhang", "submitter")
    token, made = store.sessions.create(key_id, "zhang", "submitter", "zh", HOUR)
    got = store.sessions.get(token)
    assert got is not None and (got.key_id, got.key_name, got.role, got.lang) == (key_id, "zhang", "submitter", "zh")
    assert got.csrf == made.csrf and len(got.csrf) >= 40 and got.expires_at - got.created_at == HOUR
    store.sessions.set_lang(token, "en")
    assert store.sessions.get(token).lang == "en"
    with store.db.read() as conn:
        stored = conn.execute(select(schema.ui_sessions.c.token_hash)).scalars().all()
    assert stored == [token_hash(token)] and token not in stored
    store.sessions.end(token)
    assert store.sessions.get(token) is None
    assert store.sessions.get("not-a-token") is None


def test_expired_sessions_and_revoked_keys_do_not_work(store):
    key_id, _ = store.keys.create("li", "auditor")
    old, _ = store.sessions.create(key_id, "li", "auditor", "zh", dt.timedelta(seconds=-1))
    assert store.sessions.get(old) is None
    live, _ = store.sessions.create(key_id, "li", "auditor", "zh", HOUR)  # also drops the expired one
    with store.db.read() as conn:
        assert len(conn.execute(select(schema.ui_sessions)).all()) == 1
    store.keys.revoke(key_id)
    assert store.sessions.get(live) is None


def test_a_local_session_without_a_key_row_works(store):
    token, _ = store.sessions.create("local", "local", "admin", "en", HOUR)
    assert store.sessions.get(token).role == "admin"


@pytest.mark.parametrize("make", [MemorySessions])
def test_memory_sessions_behave_alike(make):
    sessions = make()
    token, _ = sessions.create("local", "local", "admin", "zh", HOUR)
    sessions.set_lang(token, "en")
    assert sessions.get(token).lang == "en"
    with pytest.raises(ValueError):
        sessions.set_lang(token, "fr")
    sessions.end(token)
    assert sessions.get(token) is None
