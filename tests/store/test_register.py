"""The record register on SQLite and PostgreSQL: upsert by kind and id, the history window."""

from __future__ import annotations

import datetime as dt

from conduct_engine.history import HistoryItem

DAY = dt.date(2026, 5, 1)


def _gift(i: int, value: int, employee: str = "E-1", day: dt.date = DAY) -> HistoryItem:
    return HistoryItem("gift", f"G-{i}", day, {"id": f"G-{i}", "kind": "gift", "employee_id": employee,
                                               "value_cny": value})


def test_records_upsert_and_history_window(store):
    items = [HistoryItem("gift", f"G-{i}", DAY + dt.timedelta(days=i), {"id": f"G-{i}", "kind": "gift",
                                                                         "value_cny": i}) for i in range(5)]
    with store.db.transaction() as conn:
        store.register.put(conn, items, "K-1")
    with store.db.transaction() as conn:  # the same id again replaces, never duplicates
        store.register.put(conn, [HistoryItem("gift", "G-0", DAY, {"id": "G-0", "kind": "gift", "value_cny": 99})],
                           "K-1")
    assert store.register.count() == 5
    got = store.register.history({"gift"}, DAY, DAY + dt.timedelta(days=2))
    assert sorted((i.id, i.dump["value_cny"]) for i in got) == [("G-0", 99), ("G-1", 1), ("G-2", 2)]
    assert store.register.history({"entertainment"}, DAY, DAY) == []


def test_history_of_given_employees_only(store):
    with store.db.transaction() as conn:
        store.register.put(conn, [_gift(1, 10, "E-1"), _gift(2, 20, "E-2")], "K-1")
    assert [i.id for i in store.register.history({"gift"}, DAY, DAY, {"E-2"})] == ["G-2"]
    assert store.register.history({"gift"}, DAY, DAY, set()) == []
    assert len(store.register.history({"gift"}, DAY, DAY)) == 2


def test_put_many_keeps_the_later_of_a_record_given_twice(store):
    with store.db.transaction() as conn:
        store.register.put_many(conn, [([_gift(7, 100)], "K-1"), ([_gift(7, 900)], "K-2")])
    (item,) = store.register.history({"gift"}, DAY, DAY)
    assert item.dump["value_cny"] == 900 and store.register.count() == 1


def test_get_one_record_by_kind_and_id(store):
    with store.db.transaction() as conn:
        store.register.put(conn, [_gift(1, 10), _gift(2, 20)], "K-1")
    with store.db.transaction() as conn:
        store.register.put(conn, [_gift(2, 25)], "K-1")
    got = store.register.get("gift", "G-2")
    assert got is not None and (got.kind, got.id, got.day, got.dump["value_cny"]) == ("gift", "G-2", DAY, 25)
    assert store.register.get("gift", "G-3") is None and store.register.get("entertainment", "G-1") is None


def test_history_parses_a_stored_record_once_and_again_when_it_is_sent_again(store):
    day = dt.date(2026, 5, 1)

    def put(value: int, on: dt.date = day) -> None:
        item = HistoryItem("gift", "G-CACHE", on, {"id": "G-CACHE", "kind": "gift", "employee_id": "E-9",
                                                   "value_cny": value})
        with store.db.transaction() as conn:
            store.register.put(conn, [item], "K-1")

    put(100)
    first = store.register.history({"gift"}, day, day, {"E-9"})
    assert store.register.history({"gift"}, day, day, {"E-9"})[0] is first[0]  # parsed once
    put(900)  # sent again: the stored text changed, so it is read again
    (again,) = store.register.history({"gift"}, day, day, {"E-9"})
    assert again.dump["value_cny"] == 900 and first[0].dump["value_cny"] == 100
    put(900, day + dt.timedelta(days=1))  # same content, another date
    (moved,) = store.register.history({"gift"}, day, day + dt.timedelta(days=1), {"E-9"})
    assert moved.day == day + dt.timedelta(days=1)


def test_checks_against_stored_history_reuse_its_window_rows_and_agree_with_a_fresh_index(store, shared_engine):
    """Each check builds its index over the register's items; their rows are kept (``Register.shared_rows``) and
    the next checks group them again: decisions, findings and evidence equal an index worked out afresh."""
    import json

    from conduct_engine.service import CheckService

    service = CheckService(lambda: shared_engine, store)
    day = dt.date(2026, 11, 30)
    checked = []
    for i in range(12):
        gift = {"id": f"G-S{i}", "kind": "gift", "employee_id": "E-7", "branch": "SH-001",
                "occurred_on": f"2026-10-{i + 1:02d}", "declared_at": f"2026-10-{i + 1:02d}T18:00:00",
                "direction": "received", "form": "goods", "value_cny": 150 + 40 * i, "disposition": "kept",
                "counterparty": {"party_id": f"P-{i % 2}", "group_id": "GRP-1", "name": "某公司"}}
        earlier = list(checked)
        result = service.check(gift, as_of=day)
        fresh = shared_engine.evaluate(gift, history=earlier, as_of=day).result()
        assert json.loads(result.model_dump_json(exclude={"decision_id"})) == json.loads(
            fresh.model_dump_json(exclude={"decision_id"}))
        checked.append(gift)
    assert len(store.register.shared_rows) > 0
    assert any(v.rule_id == "BRB-GIFT-AGG-365D" for v in result.violations)  # the window grew over the checks
