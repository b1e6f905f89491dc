"""Reference data on SQLite and PostgreSQL: the latest load is in force."""

from __future__ import annotations


def test_reference_latest_load_in_force(store):
    assert store.reference.current() is None
    assert store.reference.version() == (0, None) and store.reference.seq() == 0
    first = store.reference.load({"employees": [{"id": "E-1"}]})
    second = store.reference.load({"employees": [{"id": "E-2"}]})
    assert second > first
    assert store.reference.current() == {"employees": [{"id": "E-2"}]}
    assert store.reference.version() == (second, {"employees": [{"id": "E-2"}]})
    assert store.reference.version().seq == store.reference.seq() == second
