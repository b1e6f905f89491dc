"""Prepared statements store exactly what SQLAlchemy's own execution stores, on both backends."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import bindparam, insert, select

from conduct_engine.store import schema
from conduct_engine.store.prepared import Prepared, PreparedFamily, in_list, list_values

AT = dt.datetime(2026, 5, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)


def _case_row(case_id: str, record_id: str) -> dict:
    return dict(id=case_id, kind="gift", record_id=record_id, decision_id="D-1", subject="E-1", branch="SH-001",
                decision="review", status="open", assignee=None, submitted_by="K-1", opened_at=AT,
                opened_on=dt.date(2026, 5, 1), due_on=dt.date(2026, 5, 8), updated_at=AT, closed_at=None,
                acknowledged_at=None, disposition=None, pending={"a": [1, "二"]})


def _stored(store, case_id: str) -> tuple:
    """The row as the database holds it (raw driver values: text on SQLite), without its seq."""
    with store.db.read() as conn:
        row = conn.exec_driver_sql(f"SELECT * FROM cases WHERE id = '{case_id}'").one()
    return tuple(row)[1:]


def test_an_insert_stores_what_sqlalchemy_stores(store):
    """Dates, timestamps, JSON (and JSON null) come out of the bind processors exactly as SQLAlchemy writes them."""
    prepared = Prepared(insert(schema.cases), store.db.engine.dialect, list(_case_row("x", "y")))
    with store.db.transaction() as conn:
        conn.execute(insert(schema.cases), [_case_row("C-sa", "R-1")])
        prepared.run_many(conn, [_case_row("C-pr", "R-2"), _case_row("C-pr2", "R-3")])
    by_sa, by_prepared = _stored(store, "C-sa"), _stored(store, "C-pr")
    assert by_prepared[0] == "C-pr" and by_prepared[2] == "R-2"
    assert by_prepared[3:] == by_sa[3:]
    assert store.cases.get("C-pr2") is not None and store.cases.get("C-pr").opened_at == AT


def test_a_select_returns_its_rows_and_an_empty_run_many_does_nothing(store):
    t = schema.cases
    prepared = Prepared(select(t.c.id, t.c.due_on).where(t.c.record_id == bindparam("r")), store.db.engine.dialect)
    with store.db.transaction() as conn:
        Prepared(insert(t), store.db.engine.dialect, list(_case_row("x", "y"))).run_many(conn, [])
        conn.execute(insert(t), [_case_row("C-1", "R-1")])
        rows = prepared.run(conn, {"r": "R-1"})
        assert prepared.run(conn, {"r": "R-9"}) == []
    assert [r[0] for r in rows] == ["C-1"]


def test_a_family_prepares_one_statement_per_list_length(store):
    t = schema.cases
    family = PreparedFamily(lambda n: select(t.c.id).where(t.c.record_id.in_(in_list("r", n))).order_by(t.c.id),
                            store.db.engine.dialect)
    with store.db.transaction() as conn:
        conn.execute(insert(t), [_case_row(f"C-{i}", f"R-{i}") for i in range(4)])
        one = family.get(1).run(conn, list_values("r", ["R-2"]))
        three = family.get(3).run(conn, list_values("r", ["R-0", "R-3", "R-9"]))
    assert [r[0] for r in one] == ["C-2"] and [r[0] for r in three] == ["C-0", "C-3"]
    assert family.get(3) is family.get(3) and family.get(1) is not family.get(3)


def test_an_expanding_parameter_is_refused(store):
    t = schema.cases
    with pytest.raises(ValueError, match="in_list"):
        Prepared(select(t.c.id).where(t.c.id.in_(bindparam("ids", expanding=True))), store.db.engine.dialect)


def test_a_select_converts_its_columns_as_sqlalchemy_does(store):
    """A date comes back as a date on SQLite too (stored as text there), like SQLAlchemy's own rows."""
    t = schema.cases
    query = select(t.c.opened_on, t.c.id).where(t.c.id == bindparam("id"))
    with store.db.transaction() as conn:
        conn.execute(insert(t), [_case_row("C-1", "R-1")])
        rows = Prepared(query, store.db.engine.dialect).run(conn, {"id": "C-1"})
        assert rows == [tuple(conn.execute(query, {"id": "C-1"}).one())] == [(dt.date(2026, 5, 1), "C-1")]
