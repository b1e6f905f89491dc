"""The group committer's held connection: one check-out for many transactions, a fresh one after a failure."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, insert, select

from conduct_engine.store import schema
from conduct_engine.store.held_connection import HeldConnection
from conduct_engine.store.rate_windows import Turn


def _checkouts(store) -> list[int]:
    """A list that grows by one at each check-out from the store's pool (of the connection's id)."""
    seen: list[int] = []
    event.listen(store.db.engine, "checkout", lambda dbapi, record, proxy: seen.append(id(dbapi)))
    return seen


def _row(bucket: str) -> dict:
    return {"bucket": bucket, "window": 1, "count": 1}


def test_transactions_share_one_checkout_and_commit(store):
    seen = _checkouts(store)
    held = HeldConnection(store.db)
    for i in range(5):
        with held.transaction(durable=i % 2 == 0) as conn:
            conn.execute(insert(schema.rate_windows), [_row(f"b{i}")])
    held.close()
    assert len(seen) == 1
    with store.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(schema.rate_windows)).scalar_one() == 5


def test_a_failed_transaction_rolls_back_and_drops_the_connection(store):
    seen = _checkouts(store)
    held = HeldConnection(store.db)
    with held.transaction() as conn:
        conn.execute(insert(schema.rate_windows), [_row("a")])
    with pytest.raises(RuntimeError), held.transaction() as conn:
        conn.execute(insert(schema.rate_windows), [_row("b")])
        raise RuntimeError("boom")
    with held.transaction() as conn:
        conn.execute(insert(schema.rate_windows), [_row("c")])
    held.close()
    assert len(seen) == 2  # a fresh check-out after the failure
    with store.db.read() as conn:
        assert sorted(conn.execute(select(schema.rate_windows.c.bucket)).scalars()) == ["a", "c"]


def test_the_store_writer_keeps_one_connection(store):
    store.committer.submit(Turn("warm"))  # the writer thread's first transaction opens its connection
    seen = _checkouts(store)
    for i in range(5):
        store.committer.submit(Turn(f"key:{i}"))
    assert seen == [] and store.limits.count("key:4") == 1
