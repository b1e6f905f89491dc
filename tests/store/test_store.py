"""The store on SQLite and PostgreSQL: register, history, reference data, waivers, keys."""

from __future__ import annotations

import datetime as dt

from conduct_engine.history import HistoryItem


def test_migrate_is_idempotent(store):
    store.migrate()
    assert store.count_records() == 0 and store.count_decisions() == 0


def test_records_upsert_and_history_window(store):
    day = dt.date(2026, 5, 1)
    items = [HistoryItem("gift", f"G-{i}", day + dt.timedelta(days=i), {"id": f"G-{i}", "kind": "gift",
                                                                         "value_cny": i}) for i in range(5)]
    with store.transaction() as conn:
        store.put_records(conn, items, "K-1")
    with store.transaction() as conn:  # the same id again replaces, never duplicates
        store.put_records(conn, [HistoryItem("gift", "G-0", day, {"id": "G-0", "kind": "gift", "value_cny": 99})],
                          "K-1")
    assert store.count_records() == 5
    got = store.history({"gift"}, day, day + dt.timedelta(days=2))
    assert sorted((i.id, i.dump["value_cny"]) for i in got) == [("G-0", 99), ("G-1", 1), ("G-2", 2)]
    assert store.history({"entertainment"}, day, day) == []


def test_reference_latest_load_in_force(store):
    assert store.reference() is None
    store.load_reference({"employees": [{"id": "E-1"}]})
    store.load_reference({"employees": [{"id": "E-2"}]})
    assert store.reference() == {"employees": [{"id": "E-2"}]}


def test_keys_hashed_and_revocable(store):
    key_id, secret = store.create_key("alice", "auditor")
    assert store.authenticate(secret).role == "auditor"
    assert store.authenticate(secret + "x") is None
    from sqlalchemy import select

    from conduct_engine.store import schema
    with store.engine.connect() as conn:
        stored = conn.execute(select(schema.api_keys.c.key_hash)).scalar_one()
    assert secret not in stored and len(stored) == 64
    assert store.revoke_key(key_id) and store.authenticate(secret) is None
    assert not store.revoke_key(key_id)


def test_waivers_lifecycle(store):
    w = store.add_waiver(rule_id="BRB-GIFT-KEEP", record_id="G-1", reason="领导批准保留", approver="王经理",
                         expires_on=dt.date(2026, 12, 31))
    assert [x["id"] for x in store.waivers()] == [w["id"]]
    assert store.revoke_waiver(w["id"], "K-1")
    assert store.waivers() == [] and len(store.waivers(include_revoked=True)) == 1
