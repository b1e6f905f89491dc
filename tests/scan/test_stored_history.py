"""A scan's history is the batch plus what the store holds (SPEC §3.4), with --with-store."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from conduct_engine.cli import app
from conduct_engine.history import HistoryItem
from conduct_engine.store import Store
from tests.conftest import STARTER_RULES

GIFT = {"kind": "gift", "employee_id": "E-1", "direction": "received", "form": "goods", "disposition": "returned",
        "counterparty": {"party_id": "P-1", "group_id": "GRP-1"}}


def test_stored_records_join_the_batch_history(tmp_path, monkeypatch):
    monkeypatch.setenv("CONDUCT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CONDUCT_DATABASE_URL", raising=False)
    store = Store.open()
    earlier = {**GIFT, "id": "G-OLD", "value_cny": 1500, "occurred_on": "2026-03-01"}
    with store.db.transaction() as conn:
        store.register.put(conn, [HistoryItem("gift", "G-OLD", dt.date(2026, 3, 1), earlier)], "test")
    batch = tmp_path / "batch.jsonl"
    batch.write_text(json.dumps({**GIFT, "id": "G-NEW", "value_cny": 600, "occurred_on": "2026-06-01"}) + "\n",
                     encoding="utf-8")
    runner = CliRunner()
    args = ["scan", str(batch), "--as-of", "2026-11-30", "--workers", "1", "--pack", str(STARTER_RULES)]
    alone = runner.invoke(app, args + ["--out", str(tmp_path / "a.jsonl")])
    with_store = runner.invoke(app, args + ["--with-store", "--out", str(tmp_path / "b.jsonl")])
    assert alone.exit_code == 0, alone.stderr
    assert with_store.exit_code == 1, with_store.stderr

    def results(name):
        lines = [json.loads(x) for x in (tmp_path / name).read_text(encoding="utf-8").splitlines()]
        return [r for r in lines if "record_id" in r], lines[-1]
    (only,), _ = results("a.jsonl")
    (joined,), summary = results("b.jsonl")
    assert only["violations"] == []
    assert [v["rule_id"] for v in joined["violations"]] == ["BRB-GIFT-AGG-365D"]
    assert joined["violations"][0]["related_records"] == ["G-OLD"]


def test_scan_with_store_logs_every_decision_once(tmp_path, monkeypatch):
    monkeypatch.setenv("CONDUCT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CONDUCT_DATABASE_URL", raising=False)
    batch = tmp_path / "batch.jsonl"
    gifts = [{**GIFT, "id": f"G-{i}", "employee_id": f"E-{i % 3}", "value_cny": 100 + 300 * (i % 4),
              "occurred_on": f"2026-0{1 + i % 9}-10"} for i in range(12)]
    batch.write_text("".join(json.dumps(g) + "\n" for g in gifts), encoding="utf-8")
    runner = CliRunner()
    args = ["scan", str(batch), "--as-of", "2026-11-30", "--workers", "1", "--pack", str(STARTER_RULES),
            "--with-store"]
    first = runner.invoke(app, args + ["--out", str(tmp_path / "a.jsonl")])
    assert first.exit_code in (0, 1), first.stderr
    store = Store.open()
    entries = store.log.latest(limit=100)
    assert len(entries) == 12 and {e.channel for e in entries} == {"scan"} and {e.actor for e in entries} == {"cli"}
    report = [json.loads(x) for x in (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()[:-1]]
    assert {e.decision_id: e.decision for e in entries} == {r["decision_id"]: r["decision"] for r in report}
    assert {e.subject for e in entries} == {"E-0", "E-1", "E-2"}
    # one case per flagged record, each opened once (a case event in the log)
    flagged = sorted(r["record_id"] for r in report if r["decision"] in ("review", "block"))
    assert flagged and store.cases.count() == len(flagged) == store.log.count(events=True)
    # the same scan again (same inputs, packs, date: same decision ids) adds nothing; the chain still verifies
    again = runner.invoke(app, args + ["--out", str(tmp_path / "b.jsonl")])
    assert again.exit_code == first.exit_code, again.stderr
    assert store.log.count(events=False) == 12 and store.log.count(events=True) == len(flagged)
    assert store.cases.count() == len(flagged) and store.log.verify().ok
    store.close()


def test_decisions_logged_before_the_checkpoint_are_not_logged_twice(tmp_path, monkeypatch):
    """A scan that died after logging a chunk but before checkpointing it re-checks that chunk on resume."""
    from conduct_engine.scan import job
    monkeypatch.setenv("CONDUCT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CONDUCT_DATABASE_URL", raising=False)
    batch = tmp_path / "batch.jsonl"
    batch.write_text("".join(json.dumps({**GIFT, "id": f"G-{i}", "value_cny": 50, "occurred_on": "2026-05-01"})
                             + "\n" for i in range(6)), encoding="utf-8")
    real_log = job.log_decisions
    calls = []

    def log_then_die(store, rows, items, actor, **kw):
        real_log(store, rows, items, actor, **kw)
        calls.append(len(rows))
        raise KeyboardInterrupt  # the process dies here: logged, not checkpointed

    monkeypatch.setattr(job, "log_decisions", log_then_die)
    checkpoint = tmp_path / "scan.checkpoint"
    with pytest.raises(KeyboardInterrupt):
        job.run_scan([str(batch)], rules_dir=str(STARTER_RULES), as_of=dt.date(2026, 11, 30), workers=1,
                     store=checkpoint, stored_history=True)
    store = Store.open()
    assert store.log.count() == calls[0] == 6
    monkeypatch.setattr(job, "log_decisions", real_log)
    run = job.run_scan([str(batch)], rules_dir=str(STARTER_RULES), as_of=dt.date(2026, 11, 30), workers=1,
                       store=checkpoint, stored_history=True, resume=True)
    assert run.summary["records"] == 6 and run.resumed == 0
    assert store.log.count() == 6 and store.log.verify().ok
    assert store.cases.count() == 0  # 50-yuan gifts returned: nothing to review
    run.checkpoint.close()
    store.close()
