"""Which decisions open cases: one per record, updated not duplicated; dry runs open none; scans and resumes."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from conduct_engine.store import CaseQuery, Store
from tests.cases.conftest import CARD, KEPT, check, record
from tests.conftest import STARTER_RULES


def test_checking_a_record_twice_leaves_one_open_case(api, keys, store):
    first = check(api, keys["submitter"], record(KEPT, "G-T1"))
    second = check(api, keys["submitter"], record(KEPT, "G-T1", value_cny=950))
    assert store.cases.count() == 1 and store.cases.count(status="open") == 1
    case = store.cases.for_record("gift", "G-T1")
    assert case is not None and case.decision_id == second["decision_id"] != first["decision_id"]
    events = [e.event for e in store.log.case_events(case.id)]
    assert events == ["opened", "updated"]


def test_dry_runs_and_passes_open_nothing(api, keys, store):
    check(api, keys["submitter"], record(KEPT, "G-D1"), dry_run=True)
    check(api, keys["submitter"], record(KEPT, "G-P1", value_cny=100, disposition="returned"))
    assert store.cases.count() == 0 and store.log.count(events=True) == 0


def test_a_batch_opens_a_case_per_flagged_record(api, keys, store):
    from tests.store.conftest import h
    body = {"records": [record(KEPT, "G-A1"), record(CARD, "G-A2"), record(KEPT, "G-A3", value_cny=50,
                                                                              disposition="returned")],
            "as_of": "2026-11-30"}
    r = api.post("/v1/check/batch", json=body, headers=h(keys["submitter"]))
    assert r.status_code == 200
    flagged = sorted(x["record_id"] for x in r.json()["results"] if x["decision"] != "pass")
    assert flagged == ["G-A1", "G-A2"]
    page, _ = store.cases.page(CaseQuery(today=dt.date(2026, 11, 30)))
    assert sorted(c.record_id for c in page) == flagged


def _scan_batch(tmp_path, n=8):
    batch = tmp_path / "batch.jsonl"
    rows = [{**(CARD if i % 2 else KEPT), "id": f"G-{i}", "employee_id": f"E-{i}",
             "counterparty": {"party_id": f"P-{i}", "group_id": f"GRP-{i}"}} for i in range(n)]
    rows += [{**KEPT, "id": f"G-OK{i}", "value_cny": 50, "disposition": "returned"} for i in range(3)]
    batch.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return batch


def test_a_scan_with_the_store_opens_one_case_per_flagged_record_and_a_resume_none_twice(tmp_path, monkeypatch):
    from conduct_engine.scan import job
    monkeypatch.setenv("CONDUCT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CONDUCT_DATABASE_URL", raising=False)
    batch = _scan_batch(tmp_path)
    real_log = job.log_decisions
    calls = []

    def log_then_die(store, rows, items, actor, **kw):
        real_log(store, rows, items, actor, **kw)
        calls.append(len(rows))
        if len(calls) == 1:
            raise KeyboardInterrupt  # logged (with its cases), not checkpointed

    monkeypatch.setattr(job, "log_decisions", log_then_die)
    checkpoint = tmp_path / "scan.checkpoint"
    with pytest.raises(KeyboardInterrupt):
        job.run_scan([str(batch)], rules_dir=str(STARTER_RULES), as_of=dt.date(2026, 11, 30), workers=1,
                     store=checkpoint, stored_history=True)
    store = Store.open()
    opened_first = store.cases.count()
    assert opened_first > 0 and opened_first == store.log.count(events=True)
    run = job.run_scan([str(batch)], rules_dir=str(STARTER_RULES), as_of=dt.date(2026, 11, 30), workers=1,
                       store=checkpoint, stored_history=True, resume=True)
    flagged = sorted(r["record_id"] for r, _ in run.checkpoint.results() if r["decision"] in ("review", "block"))
    assert flagged == [f"G-{i}" for i in range(8)]
    assert store.cases.count() == 8 and store.log.count(events=True) == 8  # none opened twice
    case = store.cases.for_record("gift", "G-1")
    assert case is not None and case.decision == "block" and case.subject == "E-1"
    assert case.opened_on == dt.date(2026, 11, 30) and case.due_on == dt.date(2026, 12, 2)
    assert store.log.verify().ok
    run.checkpoint.close()
    store.close()
