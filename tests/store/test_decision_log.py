"""The decision log is append-only and tamper-evident: ``audit verify`` names the broken entry."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from conduct_engine.store import Decision, LogHead, digest


def _append(store, n):
    ids = []
    for i in range(n):
        result = {"decision_id": f"D-{i}", "kind": "gift", "record_id": f"G-{i}", "decision": "pass",
                  "pack": {"digest": "sha256:abc"}, "violations": []}
        with store.db.transaction() as conn:
            store.log.append(conn, [Decision(result, "K-1", "api", "E-1", digest({"i": i}))])
        ids.append(result["decision_id"])
    return ids


def test_intact_chain_verifies(store):
    _append(store, 6)
    report = store.log.verify()
    assert (report.ok, report.entries, report.problem) == (True, 6, None)


def test_edited_entry_is_named(store):
    _append(store, 6)
    with store.db.engine.begin() as conn:
        conn.execute(text("UPDATE decision_log SET decision = 'block' WHERE seq = 3"))
    report = store.log.verify()
    assert not report.ok and report.seq == 3
    assert report.problem == "entry 3 (D-2) was edited: its content no longer matches its hash"


def test_deleted_entry_is_named(store):
    _append(store, 6)
    with store.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM decision_log WHERE seq = 4"))
    report = store.log.verify()
    assert not report.ok and report.problem == "entry 4 was deleted: entry 5 follows entry 3"


def test_reordered_entries_are_named(store):
    _append(store, 6)
    with store.db.engine.begin() as conn:  # swap entries 2 and 3 (content and hashes intact)
        conn.execute(text("UPDATE decision_log SET seq = 100 WHERE seq = 2"))
        conn.execute(text("UPDATE decision_log SET seq = 2 WHERE seq = 3"))
        conn.execute(text("UPDATE decision_log SET seq = 3 WHERE seq = 100"))
    report = store.log.verify()
    assert not report.ok and report.problem == "entry 2 (D-2) is out of order: it does not follow entry 1"


@pytest.mark.parametrize("tamper", ["none", "edit"])
def test_cli_audit_verify(store, monkeypatch, tamper):
    from conduct_engine.cli import app
    _append(store, 3)
    if tamper == "edit":
        with store.db.engine.begin() as conn:
            conn.execute(text("UPDATE decision_log SET actor = 'someone-else' WHERE seq = 2"))
    monkeypatch.setenv("CONDUCT_DATABASE_URL", store.db.url)
    result = CliRunner().invoke(app, ["audit", "verify"])
    if tamper == "none":
        assert result.exit_code == 0 and "OK: 3 entries" in result.stdout
    else:
        assert result.exit_code == 1 and "BROKEN at entry 2: entry 2 (D-1) was edited" in result.stderr


def test_entries_cut_off_the_end_are_found_only_with_an_anchor(store):
    _append(store, 6)
    anchor = store.log.head()
    assert anchor.seq == 6 and len(anchor.hash) == 64
    with store.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM decision_log WHERE seq >= 5"))
    assert store.log.verify().ok  # the chain alone cannot tell: what is left is a valid chain
    report = store.log.verify([anchor])
    assert not report.ok and report.seq == 5
    assert report.problem == (f"entries 5–6 were removed from the end of the log: the anchor taken "
                              f"{anchor.taken_at} records entry 6, the log now ends at entry 4")


def test_a_rewritten_tail_does_not_match_its_anchor(store):
    _append(store, 4)
    anchor = store.log.head()
    with store.db.engine.begin() as conn:  # cut entries 3-4 off and append other, well-chained entries in their place
        conn.execute(text("DELETE FROM decision_log WHERE seq >= 3"))
    for i in (30, 40):
        result = {"decision_id": f"D-{i}", "kind": "gift", "record_id": f"G-{i}", "decision": "pass",
                  "pack": {"digest": "sha256:abc"}, "violations": []}
        with store.db.transaction() as conn:
            store.log.append(conn, [Decision(result, "K-1", "api", "E-1", digest({"i": i}))])
    assert store.log.verify().ok
    report = store.log.verify([anchor])
    assert not report.ok and report.seq == 4 and "entry 4 no longer matches the anchor" in report.problem
    assert store.log.verify([LogHead.from_dict({"seq": 0, "hash": "0" * 64})]).ok  # an anchor of the empty log holds


def test_cli_anchor_then_verify(store, monkeypatch, tmp_path):
    from conduct_engine.cli import app
    monkeypatch.setenv("CONDUCT_DATABASE_URL", store.db.url)
    anchors = tmp_path / "anchors.jsonl"
    runner = CliRunner()
    _append(store, 3)
    assert runner.invoke(app, ["audit", "anchor", "--to", str(anchors)]).exit_code == 0
    ok = runner.invoke(app, ["audit", "verify", "--anchors", str(anchors)])
    assert ok.exit_code == 0 and "OK: 3 entries, the chain is intact, 1 anchors reached" in ok.stdout
    with store.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM decision_log WHERE seq = 3"))
    cut = runner.invoke(app, ["audit", "verify", "--anchors", str(anchors)])
    assert cut.exit_code == 1 and "BROKEN at entry 3: entries 3–3 were removed from the end of the log" in cut.stderr
    anchors.write_text('{"seq": 2, "hash": "abc"}\n', encoding="utf-8")
    bad = runner.invoke(app, ["audit", "verify", "--anchors", str(anchors)])
    assert bad.exit_code == 2 and f"{anchors}:1: not an anchor" in bad.stderr
    missing = runner.invoke(app, ["audit", "verify", "--anchors", str(tmp_path / "none.jsonl")])
    assert missing.exit_code == 2 and "cannot read the anchors" in missing.stderr


def test_hash_input_is_unchanged():
    """Chains already stored must still verify: these values were computed by the store before its split."""
    from conduct_engine.store import GENESIS, entry_hash
    from conduct_engine.store.decision_log import _canonical
    entry = {"decision_id": "D-1", "logged_at": "2026-05-01T10:00:00+00:00", "actor": "K-1", "channel": "api",
             "kind": "gift", "record_id": "G-1", "subject": "E-1", "input_digest": digest({"i": 1}),
             "pack_digest": "sha256:abc", "decision": "pass", "result": _canonical({"decision_id": "D-1", "名": "值"}),
             "prev_hash": GENESIS}
    assert entry_hash(entry) == "38eb46bc9bb6a9e6fe9b97362bad01112957204e1e2abafbf84a702aead53a26"
    assert entry_hash({**entry, "seq": 9, "hash": "x"}) == entry_hash(entry)  # seq and hash are not hashed
    assert digest({"b": [1, "二"], "a": 1.5}) == "sha256:5d177767fafe60e77bc52624f752b348165ec03f0d7e7c196ba1550af7454baf"


def test_logged_entries_are_rows_shown_as_before(store):
    from conduct_engine.store import LogEntry, schema
    _append(store, 2)
    (entry,) = store.log.latest(limit=1)
    assert isinstance(entry, LogEntry) and store.log.get("D-1") == entry and store.log.get("D-9") is None
    shown = entry.to_dict()
    assert list(shown) == [c.name for c in schema.decision_log.c]  # the API's keys, in the table's order
    assert (shown["seq"], shown["decision_id"], shown["actor"], shown["subject"]) == (2, "D-1", "K-1", "E-1")
    assert shown["result"] == {"decision_id": "D-1", "kind": "gift", "record_id": "G-1", "decision": "pass",
                               "pack": {"digest": "sha256:abc"}, "violations": []}
    assert [e.decision_id for e in store.log.latest(actor="K-1")] == ["D-1", "D-0"]
    assert store.log.latest(actor="K-2") == []
    assert store.log.logged_ids(["D-0", "D-5"]) == {"D-0"} and store.log.logged_ids([]) == set()
    head = store.log.head().to_dict()
    assert list(head) == ["seq", "hash", "taken_at"] and (head["seq"], head["hash"]) == (2, entry.hash)
