"""The decision log is append-only and tamper-evident: ``audit verify`` names the broken entry."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from conduct_engine.store import digest


def _append(store, n):
    ids = []
    for i in range(n):
        result = {"decision_id": f"D-{i}", "kind": "gift", "record_id": f"G-{i}", "decision": "pass",
                  "pack": {"digest": "sha256:abc"}, "violations": []}
        with store.transaction() as conn:
            store.log_decision(conn, result=result, actor="K-1", channel="api", subject="E-1",
                               input_digest=digest({"i": i}))
        ids.append(result["decision_id"])
    return ids


def test_intact_chain_verifies(store):
    _append(store, 6)
    report = store.verify_log()
    assert (report.ok, report.entries, report.problem) == (True, 6, None)


def test_edited_entry_is_named(store):
    _append(store, 6)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE decision_log SET decision = 'block' WHERE seq = 3"))
    report = store.verify_log()
    assert not report.ok and report.seq == 3
    assert report.problem == "entry 3 (D-2) was edited: its content no longer matches its hash"


def test_deleted_entry_is_named(store):
    _append(store, 6)
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM decision_log WHERE seq = 4"))
    report = store.verify_log()
    assert not report.ok and report.problem == "entry 4 was deleted: entry 5 follows entry 3"


def test_reordered_entries_are_named(store):
    _append(store, 6)
    with store.engine.begin() as conn:  # swap entries 2 and 3 (content and hashes intact)
        conn.execute(text("UPDATE decision_log SET seq = 100 WHERE seq = 2"))
        conn.execute(text("UPDATE decision_log SET seq = 2 WHERE seq = 3"))
        conn.execute(text("UPDATE decision_log SET seq = 3 WHERE seq = 100"))
    report = store.verify_log()
    assert not report.ok and report.problem == "entry 2 (D-2) is out of order: it does not follow entry 1"


@pytest.mark.parametrize("tamper", ["none", "edit"])
def test_cli_audit_verify(store, monkeypatch, tamper):
    from conduct_engine.cli import app
    _append(store, 3)
    if tamper == "edit":
        with store.engine.begin() as conn:
            conn.execute(text("UPDATE decision_log SET actor = 'someone-else' WHERE seq = 2"))
    monkeypatch.setenv("CONDUCT_DATABASE_URL", store.url)
    result = CliRunner().invoke(app, ["audit", "verify"])
    if tamper == "none":
        assert result.exit_code == 0 and "OK: 3 entries" in result.stdout
    else:
        assert result.exit_code == 1 and "BROKEN at entry 2: entry 2 (D-1) was edited" in result.stderr
