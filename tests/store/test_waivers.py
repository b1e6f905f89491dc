"""Waivers on SQLite and PostgreSQL: add, list, revoke; rows shown as ISO-dated JSON."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from conduct_engine.store import Waiver


def test_waivers_lifecycle(store):
    w = store.waivers.add(rule_id="BRB-GIFT-KEEP", record_id="G-1", reason="领导批准保留", approver="王经理",
                          expires_on=dt.date(2026, 12, 31))
    assert [x.id for x in store.waivers.all()] == [w.id]
    assert store.waivers.revoke(w.id, "K-1")
    assert not store.waivers.revoke(w.id, "K-1")
    assert store.waivers.all() == [] and len(store.waivers.all(include_revoked=True)) == 1


def test_a_waiver_needs_a_record_or_a_subject(store):
    with pytest.raises(ValueError, match="a waiver needs a record_id or a subject"):
        store.waivers.add(rule_id="R", reason="r", approver="a", expires_on=dt.date(2026, 12, 31))


def test_waiver_rows_are_shown_as_before(store):
    added = store.waivers.add(rule_id="BRB-GIFT-KEEP", subject="E-1", reason="批准", approver="王",
                              expires_on=dt.date(2026, 12, 31), created_by="K-1")
    shown = added.to_dict()
    assert list(shown) == ["id", "rule_id", "record_id", "subject", "reason", "approver", "expires_on",
                           "created_at", "created_by", "revoked_at"]
    assert (shown["expires_on"], shown["record_id"], shown["revoked_at"]) == ("2026-12-31", None, None)
    assert shown["created_at"] == added.created_at.isoformat()
    json.dumps(shown)  # JSON-ready as it is
    (listed,) = store.waivers.all()
    assert isinstance(listed, Waiver) and listed.id == added.id and listed.expires_on == dt.date(2026, 12, 31)
    store.waivers.revoke(added.id, "K-1")
    (revoked,) = store.waivers.all(include_revoked=True)
    assert revoked.to_dict()["revoked_at"] == revoked.revoked_at.isoformat()
