"""The whole life of review cases over HTTP, with real keys and a real store (SPEC §9)."""

from __future__ import annotations

from tests.cases.conftest import CARD, KEPT, case_of, check, record
from tests.store.conftest import h


def test_a_case_from_opening_to_close_and_a_four_eyes_close(api, keys, store):
    sub, rev, rev2, own = keys["submitter"], keys["reviewer"], keys["reviewer2"], keys["subject_reviewer"]
    # a submitter's stored gift that needs review opens a case
    result = check(api, sub, record(KEPT, "G-K1"))
    assert result["decision"] == "review"
    case = case_of(api, sub, "G-K1")
    assert (case["status"], case["decision"], case["subject"], case["decision_id"], case["kind"]) == (
        "open", "review", "E-100", result["decision_id"], "gift")
    assert [f["rule_id"] for f in case["findings"]] == ["BRB-GIFT-KEEP"]
    assert case["findings"][0]["verdict"] == "unreviewed" and case["due_on"] == "2026-12-07"  # 5 business days
    cid = case["id"]
    # the subject's own reviewer key may not work it
    for path, body in [("assign", {"assignee": "subject_reviewer"}), ("verdicts", {"verdicts": {"BRB-GIFT-KEEP":
                       "false_positive"}}), ("close", {"disposition": "substantiated", "reason": "x",
                                                       "action": "returned"})]:
        r = api.post(f"/v1/cases/{cid}/{path}", json=body, headers=h(own))
        assert r.status_code == 403 and r.json()["code"] == "own_case", (path, r.text)
    # nor may the subject be made its assignee
    r = api.post(f"/v1/cases/{cid}/assign", json={"assignee": "subject_reviewer"}, headers=h(rev))
    assert r.status_code == 403 and r.json()["code"] == "own_case"
    # a forbidden transition: closing a case nobody has taken
    r = api.post(f"/v1/cases/{cid}/close", json={"disposition": "substantiated", "reason": "x", "action": "returned"},
                 headers=h(rev))
    assert r.status_code == 409 and r.json()["code"] == "case_transition"
    assert "assign it to a reviewer first" in r.json()["detail"]
    # the reviewer assigns it to themselves, comments, marks a finding false positive
    r = api.post(f"/v1/cases/{cid}/assign", json={"assignee": "reviewer"}, headers=h(rev))
    assert r.status_code == 200 and (r.json()["status"], r.json()["assignee"]) == ("in_review", "reviewer")
    r = api.post(f"/v1/cases/{cid}/comments", json={"text": "已联系客户经理核实"}, headers=h(rev))
    assert r.status_code == 201 and [(c["author"], c["text"]) for c in r.json()["comments"]] == [
        ("reviewer", "已联系客户经理核实")]
    r = api.post(f"/v1/cases/{cid}/verdicts", json={"verdicts": {"BRB-GIFT-KEEP": "false_positive"}}, headers=h(rev))
    assert r.status_code == 200 and r.json()["findings"][0]["verdict"] == "false_positive"
    r = api.post(f"/v1/cases/{cid}/verdicts", json={"verdicts": {"NOPE": "true_positive"}}, headers=h(rev))
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "verdicts.NOPE"
    # substantiated needs an action; then it closes at once (a review case needs no second reviewer)
    r = api.post(f"/v1/cases/{cid}/close", json={"disposition": "substantiated", "reason": "留存超限"}, headers=h(rev))
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "action"
    r = api.post(f"/v1/cases/{cid}/close", json={"disposition": "substantiated", "reason": "留存超限，已退还",
                                                 "action": "returned"}, headers=h(rev))
    assert r.status_code == 200, r.text
    closed = r.json()
    assert closed["status"] == "closed" and closed["disposition"]["disposition"] == "substantiated"
    assert (closed["disposition"]["action"], closed["disposition"]["closed_by"]) == ("returned", "reviewer")
    # closed stays closed: a second close is a 409; the subject acknowledges
    r = api.post(f"/v1/cases/{cid}/close", json={"disposition": "substantiated", "reason": "x", "action": "returned"},
                 headers=h(rev))
    assert r.status_code == 409
    r = api.post(f"/v1/cases/{cid}/acknowledge", json={}, headers=h(sub))
    assert r.status_code == 200 and r.json()["acknowledged_at"]
    assert api.post(f"/v1/cases/{cid}/acknowledge", json={}, headers=h(keys["submitter2"])).status_code == 404

    # a block case closed not_substantiated waits for a second reviewer
    blocked = check(api, sub, record(CARD, "G-B1"))
    assert blocked["decision"] == "block"
    bid = case_of(api, rev, "G-B1")["id"]
    assert api.post(f"/v1/cases/{bid}/assign", json={"assignee": "reviewer"}, headers=h(rev)).status_code == 200
    body = {"disposition": "not_substantiated", "reason": "实为宣传品，非购物卡"}
    r = api.post(f"/v1/cases/{bid}/close", json=body, headers=h(rev))
    assert r.status_code == 409 and "mark every finding false_positive first" in r.json()["detail"]
    rules = [f["rule_id"] for f in case_of(api, rev, "G-B1")["findings"]]
    assert "BRB-CASH-EQUIV" in rules  # (with the 365-day aggregate: G-K1 came from the same giver)
    v = api.post(f"/v1/cases/{bid}/verdicts", json={"verdicts": dict.fromkeys(rules, "false_positive")},
                 headers=h(rev))
    assert v.status_code == 200 and {f["verdict"] for f in v.json()["findings"]} == {"false_positive"}, v.text
    r = api.post(f"/v1/cases/{bid}/close", json=body, headers=h(rev))
    assert r.status_code == 202 and r.json()["status"] == "awaiting_approval", r.text
    assert r.json()["pending_approval"]["closed_by"] == "reviewer"
    r = api.post(f"/v1/cases/{bid}/approve", json={}, headers=h(rev))  # not by the same reviewer
    assert r.status_code == 403 and r.json()["code"] == "four_eyes"
    assert api.post(f"/v1/cases/{bid}/approve", json={}, headers=h(own)).status_code == 403  # nor the subject
    r = api.post(f"/v1/cases/{bid}/approve", json={}, headers=h(rev2))
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert r.json()["disposition"]["approved_by"] == "reviewer2"
    assert api.post(f"/v1/cases/{bid}/approve", json={}, headers=h(rev2)).status_code == 409

    # every event is in the chain, which verifies, with its actor
    r = api.get("/v1/audit/verify", params={"events": "true"}, headers=h(keys["auditor"]))
    report = r.json()
    assert report["ok"] is True and report["entries"] == store.log.count()
    events = [(e["event"], e["case_id"], e["actor"]) for e in report["case_events"]]
    assert events == [("opened", cid, "submitter"), ("assigned", cid, "reviewer"), ("commented", cid, "reviewer"),
                      ("verdict", cid, "reviewer"), ("closed", cid, "reviewer"), ("acknowledged", cid, "submitter"),
                      ("opened", bid, "submitter"), ("assigned", bid, "reviewer"), ("verdict", bid, "reviewer"),
                      ("closed", bid, "reviewer"), ("approved", bid, "reviewer2")]
    assert all(e["logged_at"] for e in report["case_events"])
    assert store.log.verify().ok


def test_waived_block_case_creates_the_waiver_after_approval(api, keys, store):
    rev, rev2 = keys["reviewer"], keys["reviewer2"]
    check(api, keys["submitter"], record(CARD, "G-W1"))
    cid = case_of(api, rev, "G-W1")["id"]
    api.post(f"/v1/cases/{cid}/assign", json={"assignee": "reviewer"}, headers=h(rev))
    close = {"disposition": "waived", "reason": "行领导批准的例外"}
    r = api.post(f"/v1/cases/{cid}/close", json=close, headers=h(rev))
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "waiver_expires"
    r = api.post(f"/v1/cases/{cid}/close", json={**close, "waiver_expires": "2099-12-31"}, headers=h(rev))
    assert r.status_code == 202 and store.waivers.all() == []
    r = api.post(f"/v1/cases/{cid}/approve", json={}, headers=h(rev2))
    assert r.status_code == 200
    (waiver,) = store.waivers.all()
    assert (waiver.rule_id, waiver.record_id, waiver.approver, waiver.reason, waiver.expires_on.isoformat()) == (
        "BRB-CASH-EQUIV", "G-W1", "reviewer2", "行领导批准的例外", "2099-12-31")
    assert r.json()["disposition"]["waivers"] == [waiver.id]


def test_reopen_and_a_new_decision_reopen_a_closed_case(api, keys):
    rev = keys["reviewer"]
    check(api, keys["submitter"], record(KEPT, "G-R1"))
    cid = case_of(api, rev, "G-R1")["id"]
    assert api.post(f"/v1/cases/{cid}/reopen", json={"reason": "x"}, headers=h(rev)).status_code == 409
    api.post(f"/v1/cases/{cid}/assign", json={"assignee": "reviewer"}, headers=h(rev))
    api.post(f"/v1/cases/{cid}/close", json={"disposition": "substantiated", "reason": "r", "action": "training"},
             headers=h(rev))
    r = api.post(f"/v1/cases/{cid}/reopen", json={"reason": "新线索"}, headers=h(rev))
    assert r.status_code == 200 and (r.json()["status"], r.json()["disposition"]) == ("in_review", None)
    api.post(f"/v1/cases/{cid}/close", json={"disposition": "substantiated", "reason": "r", "action": "training"},
             headers=h(rev))
    again = check(api, keys["submitter"], record(KEPT, "G-R1", value_cny=900))
    case = case_of(api, rev, "G-R1")
    assert (case["id"], case["status"], case["decision_id"]) == (cid, "in_review", again["decision_id"])
    events = [e for e in api.get("/v1/audit/verify?events=true", headers=h(keys["auditor"])).json()["case_events"]
              if e["case_id"] == cid]
    assert [e["event"] for e in events][-2:] == ["closed", "reopened"]


def test_submitters_see_and_acknowledge_only_their_own_cases(api, keys):
    check(api, keys["submitter"], record(KEPT, "G-S1"))
    check(api, keys["submitter2"], record(KEPT, "G-S2", employee_id="E-200"))
    mine = api.get("/v1/cases", headers=h(keys["submitter"])).json()["items"]
    assert [c["record_id"] for c in mine] == ["G-S1"]
    other = case_of(api, keys["reviewer"], "G-S2")["id"]
    assert api.get(f"/v1/cases/{other}", headers=h(keys["submitter"])).status_code == 404
    assert api.post(f"/v1/cases/{other}/comments", json={"text": "?"}, headers=h(keys["submitter"])).status_code == 404
    assert len(api.get("/v1/cases", headers=h(keys["auditor"])).json()["items"]) == 2
    r = api.post(f"/v1/cases/{other}/comments", json={"text": "已说明情况"}, headers=h(keys["submitter2"]))
    assert r.status_code == 201
