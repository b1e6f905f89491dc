"""Case events in the decision log's chain: tampering with one shows; old decision hashes are unchanged."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from conduct_engine.cli import app
from conduct_engine.store import CaseEvent, Decision, digest, entry_hash
from tests.cases.conftest import KEPT, record
from tests.store.conftest import h


def _decision(store, i):
    result = {"decision_id": f"D-{i}", "kind": "gift", "record_id": f"G-{i}", "decision": "pass",
              "pack": {"digest": "sha256:abc"}, "violations": []}
    with store.db.transaction() as conn:
        store.log.append(conn, [Decision(result, "K-1", "api", "E-1", digest({"i": i}))])


def _event(store, i):
    with store.db.transaction() as conn:
        store.log.append(conn, [CaseEvent("commented", "C-1", "reviewer", "gift", "G-1", "E-1", "review",
                                          {"text": f"note {i}"})])


def _mixed(store):
    """Entries 1-6: decision, event, decision, event, event, decision."""
    for i, fn in enumerate([_decision, _event, _decision, _event, _event, _decision]):
        fn(store, i)


def test_a_decisions_hash_ignores_the_event_column_but_an_events_covers_it():
    entry = {"decision_id": "D-1", "logged_at": "t", "actor": "a", "channel": "api", "kind": "gift", "record_id": "G",
             "subject": "E", "input_digest": "d", "pack_digest": "p", "decision": "pass", "result": "{}",
             "prev_hash": "0" * 64}
    assert entry_hash({**entry, "event": None}) == entry_hash(entry)
    assert entry_hash({**entry, "event": "opened"}) != entry_hash({**entry, "event": "closed"})


def test_mixed_chain_verifies_and_lists_events(store):
    _mixed(store)
    report = store.log.verify()
    assert report.ok and report.entries == 6 and [e.seq for e in report.events] == [2, 4, 5]
    assert {(e.event, e.case_id, e.actor) for e in report.events} == {("commented", "C-1", "reviewer")}
    assert store.log.count(events=True) == 3 and store.log.count(events=False) == 3
    assert [e.decision_id for e in store.log.latest()] == ["D-5", "D-2", "D-0"]  # decisions only


@pytest.mark.parametrize(("sql", "problem"), [
    ("UPDATE decision_log SET result = replace(result, 'note 3', 'note X') WHERE seq = 4", "entry 4 (CE-"),
    ("UPDATE decision_log SET event = 'approved' WHERE seq = 4", "entry 4 (CE-"),
    ("UPDATE decision_log SET actor = 'someone' WHERE seq = 2", "entry 2 (CE-"),
    ("DELETE FROM decision_log WHERE seq = 4", "entry 4 was deleted: entry 5 follows entry 3"),
])
def test_tampered_case_events_are_named(store, sql, problem):
    _mixed(store)
    with store.db.engine.begin() as conn:
        conn.execute(text(sql))
    report = store.log.verify()
    assert not report.ok and report.problem.startswith(problem), report.problem


def test_reordered_case_events_are_named(store):
    _mixed(store)
    with store.db.engine.begin() as conn:
        conn.execute(text("UPDATE decision_log SET seq = 100 WHERE seq = 4"))
        conn.execute(text("UPDATE decision_log SET seq = 4 WHERE seq = 5"))
        conn.execute(text("UPDATE decision_log SET seq = 5 WHERE seq = 100"))
    report = store.log.verify()
    assert not report.ok and report.seq == 4 and "is out of order: it does not follow entry 3" in report.problem


def test_case_events_cut_off_the_end_are_found_with_an_anchor(store):
    _mixed(store)
    _event(store, 7)
    anchor = store.log.head()
    with store.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM decision_log WHERE seq = 7"))
    assert store.log.verify().ok
    report = store.log.verify([anchor])
    assert not report.ok and report.seq == 7 and "entries 7–7 were removed from the end" in report.problem


def test_cli_audit_verify_lists_case_events(api, keys, store, monkeypatch):
    api.post("/v1/check", json={"record": record(KEPT, "G-V1"), "as_of": "2026-11-30"}, headers=h(keys["submitter"]))
    cid = store.cases.for_record("gift", "G-V1").id
    api.post(f"/v1/cases/{cid}/assign", json={"assignee": "reviewer"}, headers=h(keys["reviewer"]))
    monkeypatch.setenv("CONDUCT_DATABASE_URL", store.db.url)
    result = CliRunner().invoke(app, ["audit", "verify", "--events"])
    assert result.exit_code == 0 and "OK: 3 entries, the chain is intact (2 case events)" in result.stdout
    assert f"opened       {cid}  by submitter" in result.stdout and f"assigned     {cid}  by reviewer" in result.stdout
    with store.db.engine.begin() as conn:
        conn.execute(text("UPDATE decision_log SET actor = 'someone' WHERE seq = 3"))
    broken = CliRunner().invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1 and "BROKEN at entry 3" in broken.stderr


def test_migration_0002_down_and_up_keeps_the_chain(store):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect

    from conduct_engine.store import database
    _mixed(store)
    cfg = Config()
    cfg.set_main_option("script_location", str(database.Path(database.__file__).parent / "migrations"))
    with store.db.transaction() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    names = inspect(store.db.engine)
    assert "cases" not in names.get_table_names()
    assert "event" not in {c["name"] for c in names.get_columns("decision_log")}
    with store.db.engine.begin() as conn:  # the events of 0002 cannot survive without their column: drop them
        conn.execute(text("DELETE FROM decision_log"))
    store.db.engine.dispose()
    _reinsert_old(store)
    store.migrate()
    names = inspect(store.db.engine)
    assert {"cases", "case_findings", "case_comments"} <= set(names.get_table_names())
    assert "employee_id" in {c["name"] for c in names.get_columns("api_keys")}
    assert store.log.verify().ok and store.log.count() == 2
    _event(store, 9)
    assert store.log.verify().ok and store.log.count(events=True) == 1


def _reinsert_old(store):
    """Two decisions chained as a 0001 store wrote them (no event column)."""
    from conduct_engine.store import GENESIS
    prev = GENESIS
    with store.db.engine.begin() as conn:
        for seq in (1, 2):
            entry = {"decision_id": f"OLD-{seq}", "logged_at": "2026-01-01T00:00:00+00:00", "actor": "K", "channel": "api",
                     "kind": "gift", "record_id": f"G-{seq}", "subject": "E", "input_digest": "sha256:x",
                     "pack_digest": "sha256:y", "decision": "pass", "result": "{}", "prev_hash": prev}
            entry["hash"] = prev = entry_hash(entry)
            conn.execute(text("INSERT INTO decision_log (seq, decision_id, logged_at, actor, channel, kind, record_id, "
                              "subject, input_digest, pack_digest, decision, result, prev_hash, hash) VALUES (:seq, "
                              ":decision_id, :logged_at, :actor, :channel, :kind, :record_id, :subject, :input_digest, "
                              ":pack_digest, :decision, :result, :prev_hash, :hash)"), {"seq": seq, **entry})
