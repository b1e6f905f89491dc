"""The API over the store: history across calls, dry runs, roles on every endpoint, waivers, reload, privacy."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from tests.store.conftest import h

GIFT = {"kind": "gift", "employee_id": "E-100", "branch": "SH-001", "direction": "received", "form": "goods",
        "disposition": "returned", "counterparty": {"party_id": "P-1", "name": "上海某贸易公司", "group_id": "GRP-1",
                                                    "client_id": "C-778899"}}


def _gift(i: int, value: float, day: str) -> dict:
    return {**GIFT, "id": f"G-{i}", "value_cny": value, "occurred_on": day}


def _rules(body):
    return sorted(v["rule_id"] for v in body["violations"])


def test_window_rule_fires_on_third_gift_across_calls(api, keys):
    who = h(keys["submitter"])
    r1 = api.post("/v1/check", json={"record": _gift(1, 900, "2026-03-01"), "as_of": "2026-11-30"}, headers=who)
    r2 = api.post("/v1/check", json={"record": _gift(2, 900, "2026-06-01"), "as_of": "2026-11-30"}, headers=who)
    r3 = api.post("/v1/check", json={"record": _gift(3, 900, "2026-09-01"), "as_of": "2026-11-30"}, headers=who)
    assert [r.status_code for r in (r1, r2, r3)] == [200, 200, 200]
    assert (_rules(r1.json()), _rules(r2.json())) == ([], [])
    third = r3.json()
    assert _rules(third) == ["BRB-GIFT-AGG-365D"]
    finding = third["violations"][0]
    assert finding["evidence"]["agg.gift_giver_365d_cny"] == 2700
    assert finding["related_records"] == ["G-1", "G-2"]


def test_dry_runs_are_not_history(api, keys, store):
    who = h(keys["submitter"])
    for i, day in [(1, "2026-03-01"), (2, "2026-06-01")]:
        r = api.post("/v1/check", json={"record": _gift(i, 900, day), "dry_run": True, "as_of": "2026-11-30"},
                     headers=who)
        assert r.status_code == 200
    r3 = api.post("/v1/check", json={"record": _gift(3, 900, "2026-09-01"), "as_of": "2026-11-30"}, headers=who)
    assert _rules(r3.json()) == []
    assert store.register.count() == 1 and store.log.count() == 3  # dry runs are still logged
    channels = [d.channel for d in store.log.latest(limit=10)]
    assert channels == ["api", "api-dry-run", "api-dry-run"]


# every endpoint: (method, path, body) and the roles that may call it
CHECK = {"record": {**GIFT, "id": "G-R", "value_cny": 100, "occurred_on": "2026-10-01"}, "dry_run": True}
ROLES = ("submitter", "reviewer", "auditor", "admin")
ENDPOINTS = [
    ("POST", "/v1/check", CHECK, {"submitter", "auditor", "admin"}),
    ("POST", "/v1/check/batch", {"records": [CHECK["record"]], "dry_run": True}, {"submitter", "auditor", "admin"}),
    ("GET", "/v1/standards", None, {"submitter", "reviewer", "auditor", "admin"}),
    ("GET", "/v1/rules", None, {"submitter", "reviewer", "auditor", "admin"}),
    ("GET", "/v1/rules/BRB-CASH-EQUIV", None, {"submitter", "reviewer", "auditor", "admin"}),
    ("GET", "/v1/decisions", None, {"submitter", "reviewer", "auditor", "admin"}),
    ("GET", "/v1/cases", None, {"submitter", "reviewer", "auditor", "admin"}),
    ("GET", "/v1/reports/rule-quality", None, {"reviewer", "auditor", "admin"}),
    ("GET", "/v1/cases/quality", None, {"reviewer", "auditor", "admin"}),
    ("GET", "/v1/audit/verify", None, {"auditor", "admin"}),
    ("GET", "/v1/audit/head", None, {"auditor", "admin"}),
    ("GET", "/v1/waivers", None, {"auditor", "admin"}),
    ("POST", "/v1/waivers", {"rule_id": "BRB-GIFT-KEEP", "record_id": "G-9", "reason": "批准", "approver": "王",
                             "expires_on": "2099-01-01"}, {"admin"}),
    ("GET", "/v1/keys", None, {"admin"}),
    ("POST", "/v1/keys", {"name": "new", "role": "submitter"}, {"admin"}),
    ("PUT", "/v1/reference", {"employees": [{"id": "E-100", "name": "张三"}]}, {"admin"}),
    ("POST", "/v1/packs/reload", None, {"admin"}),
]


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS])
def test_roles_on_every_endpoint(api, keys, method, path, body, allowed):
    assert api.request(method, path, json=body).status_code == 401
    assert api.request(method, path, json=body, headers=h("cc_nope")).status_code == 401
    for role in ROLES:
        status = api.request(method, path, json=body, headers=h(keys[role])).status_code
        assert (status < 300) == (role in allowed), (role, status)
        if role not in allowed:
            assert status == 403


# every case endpoint: (method, action, body, the state the case must be in first, the roles that may call it).
# The submitter key is the case's subject (employee E-100); a fresh case is prepared for each call.
_WORKERS = {"reviewer", "admin"}
CASE_ENDPOINTS = [
    ("GET", "", None, "open", {"submitter", "reviewer", "auditor", "admin"}),
    ("POST", "/assign", {"assignee": "reviewer2"}, "open", _WORKERS),
    ("POST", "/comments", {"text": "请说明"}, "open", {"submitter", "reviewer", "admin"}),
    ("POST", "/verdicts", {"verdicts": {"BRB-CASH-EQUIV": "false_positive"}}, "open", _WORKERS),
    ("POST", "/close", {"disposition": "substantiated", "reason": "r", "action": "returned"}, "in_review", _WORKERS),
    ("POST", "/approve", {}, "awaiting_approval", _WORKERS),
    ("POST", "/reopen", {"reason": "新线索"}, "closed", _WORKERS),
    ("POST", "/acknowledge", {}, "open", {"submitter"}),
]


def _case_in(api, store, keys, n, state):
    from conduct_engine.cases import lifecycle
    from conduct_engine.cases.lifecycle import Actor
    record = {**GIFT, "id": f"G-M{n}", "form": "shopping_card", "value_cny": 2000, "occurred_on": "2026-10-01",
              "counterparty": {"party_id": f"P-M{n}", "group_id": f"GRP-M{n}"}}
    assert api.post("/v1/check", json={"record": record}, headers=h(keys["submitter"])).status_code == 200
    case = store.cases.for_record("gift", record["id"])
    other = Actor("reviewer2", "reviewer", "K-other", "E-301")
    steps = {"open": [], "in_review": [lambda c: lifecycle.assign(c, other, "reviewer2", False)]}
    steps["awaiting_approval"] = steps["in_review"] + [
        lambda c: lifecycle.verdicts(c, other, {"BRB-CASH-EQUIV": "false_positive"}),
        lambda c: lifecycle.close(c, other, "not_substantiated", "r", None, None, c.opened_on)]
    steps["closed"] = steps["in_review"] + [lambda c: lifecycle.close(c, other, "substantiated", "r", "returned",
                                                                      None, c.opened_on)]
    for step in steps[state]:
        case = store.cases.act(case.id, step)
    assert case.status == state
    return case.id


@pytest.mark.parametrize(("method", "action", "body", "state", "allowed"), CASE_ENDPOINTS,
                         ids=[f"{m} /v1/cases/ID{a}" for m, a, _, _, _ in CASE_ENDPOINTS])
def test_roles_on_every_case_endpoint(api, keys, store, method, action, body, state, allowed):
    path = f"/v1/cases/{_case_in(api, store, keys, 0, state)}{action}"
    assert api.request(method, path, json=body).status_code == 401
    assert api.request(method, path, json=body, headers=h("cc_nope")).status_code == 401
    for n, role in enumerate(ROLES, 1):
        path = f"/v1/cases/{_case_in(api, store, keys, n, state)}{action}"
        status = api.request(method, path, json=body, headers=h(keys[role])).status_code
        assert (status < 300) == (role in allowed), (role, status)
        if role not in allowed:
            assert status == 403, (role, status)


def test_health_needs_no_key(api):
    assert api.get("/healthz").status_code == 200 and api.get("/readyz").status_code == 200


def test_submitter_sees_only_own_decisions(api, keys):
    mine = api.post("/v1/check", json=CHECK, headers=h(keys["submitter"])).json()["decision_id"]
    theirs = api.post("/v1/check", json=CHECK, headers=h(keys["submitter2"])).json()["decision_id"]
    assert api.get(f"/v1/decisions/{mine}", headers=h(keys["submitter"])).status_code == 200
    assert api.get(f"/v1/decisions/{theirs}", headers=h(keys["submitter"])).status_code == 404
    listed = api.get("/v1/decisions", headers=h(keys["submitter"])).json()["decisions"]
    assert [d["decision_id"] for d in listed] == [mine]
    assert api.get(f"/v1/decisions/{theirs}", headers=h(keys["auditor"])).status_code == 200
    assert len(api.get("/v1/decisions", headers=h(keys["auditor"])).json()["decisions"]) == 2


def _expiry() -> dt.date:
    """A waiver expiry still in the future on any day the suite runs (the API refuses a past one)."""
    return max(dt.date(2026, 12, 31), dt.date.today() + dt.timedelta(days=30))


def test_waiver_moves_finding_until_expiry(api, keys):
    expiry = _expiry()
    gift = {**GIFT, "id": "G-W", "value_cny": 800, "occurred_on": "2026-10-01", "disposition": "kept"}
    body = {"record": gift, "as_of": "2026-11-30", "dry_run": True}
    assert api.post("/v1/check", json=body, headers=h(keys["submitter"])).json()["decision"] == "review"
    w = api.post("/v1/waivers", json={"rule_id": "BRB-GIFT-KEEP", "subject": "E-100", "reason": "合规部批准留存",
                                      "approver": "王经理", "expires_on": expiry.isoformat()}, headers=h(keys["admin"]))
    assert w.status_code == 201
    waived = api.post("/v1/check", json=body, headers=h(keys["submitter"])).json()
    assert (waived["decision"], waived["violations"], [v["rule_id"] for v in waived["waived"]]) == (
        "pass", [], ["BRB-GIFT-KEEP"])
    assert waived["waived"][0]["evidence"]["waiver"]["approver"] == "王经理"
    day_after = (expiry + dt.timedelta(days=1)).isoformat()
    later = api.post("/v1/check", json={**body, "as_of": day_after}, headers=h(keys["submitter"])).json()
    assert later["decision"] == "review" and later["waived"] == []
    assert api.delete(f"/v1/waivers/{w.json()['id']}", headers=h(keys["admin"])).status_code == 200
    assert api.post("/v1/check", json=body, headers=h(keys["submitter"])).json()["decision"] == "review"
    bad = api.post("/v1/waivers", json={"rule_id": "BRB-GIFT-KEP", "subject": "E-1", "reason": "x", "approver": "y",
                                        "expires_on": expiry.isoformat()}, headers=h(keys["admin"]))
    assert bad.status_code == 422


def test_reference_data_used_by_checks(api, keys):
    sale = {"id": "S-1", "kind": "product_sale", "employee_id": "E-7", "client_id": "C-1", "product_code": "F-9",
            "product_type": "fund", "sold_at": "2026-10-10T10:00:00"}
    put = api.put("/v1/reference", json={"employees": [{"id": "E-7", "name": "王五", "certifications": []}]},
                  headers=h(keys["admin"]))
    assert put.status_code == 200
    r = api.post("/v1/check", json={"record": sale, "dry_run": True}, headers=h(keys["submitter"])).json()
    assert "CMP-FUND-NO-CERT" in _rules(r)
    # the request's context overrides the stored entry for the same employee
    ctx = {"employees": [{"id": "E-7", "name": "王五", "certifications": [
        {"type": "fund_sales", "status": "valid", "expires_on": "2027-12-31"}]}]}
    r = api.post("/v1/check", json={"record": sale, "context": ctx, "dry_run": True}, headers=h(keys["submitter"]))
    assert "CMP-FUND-NO-CERT" not in _rules(r.json())
    # a new load is in force at once (the parsed reference data is cached per load)
    assert api.put("/v1/reference", json=ctx, headers=h(keys["admin"])).status_code == 200
    r = api.post("/v1/check", json={"record": sale, "dry_run": True}, headers=h(keys["submitter"])).json()
    assert "CMP-FUND-NO-CERT" not in _rules(r)


def test_broken_reload_keeps_old_packs_serving(api, keys, rules_copy):
    admin = h(keys["admin"])
    before = api.get("/readyz").json()["pack"]["digest"]
    path = rules_copy / "conduct" / "anti_bribery.yaml"
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("form in cash_equivalents", "frm in cash_equivalents"), encoding="utf-8")
    r = api.post("/v1/packs/reload", headers=admin)
    assert r.status_code == 422 and any("unknown field or parameter 'frm'" in e["msg"] for e in r.json()["errors"])
    check = api.post("/v1/check", json={"record": {**CHECK["record"], "form": "shopping_card"}, "dry_run": True},
                     headers=h(keys["submitter"]))
    assert check.status_code == 200 and "BRB-CASH-EQUIV" in _rules(check.json())
    assert api.get("/readyz").json()["pack"]["digest"] == before
    path.write_text(good.replace("严禁收受现金及现金等价物", "严禁收受现金或现金等价物"), encoding="utf-8")
    r = api.post("/v1/packs/reload", headers=admin)
    assert r.status_code == 200 and r.json()["pack"]["digest"] != before
    check = api.post("/v1/check", json={"record": {**CHECK["record"], "form": "shopping_card"}, "dry_run": True},
                     headers=h(keys["submitter"])).json()
    assert check["violations"][0]["message"]["zh"].startswith("严禁收受现金或现金等价物")


def test_rate_limit_per_key(store, shared_engine, keys, rules_copy):
    from fastapi.testclient import TestClient

    from api.app import create_app
    client = TestClient(create_app(shared_engine, store=store, auth=True, rules_dir=rules_copy, rate_limit=3))
    statuses = [client.get("/v1/standards", headers=h(keys["auditor"])).status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
    assert client.get("/v1/standards", headers=h(keys["admin"])).status_code == 200  # another key's budget


def test_logs_mask_client_data(api, keys, caplog):
    with caplog.at_level(logging.INFO, logger="conduct_engine.decisions"):
        api.post("/v1/check", json=CHECK, headers=h(keys["submitter"]))
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "decision " in text
    assert "上海某贸易公司" not in text and "C-778899" not in text
    assert "上******" in text and "C*******" in text


def test_chain_verifies_after_api_traffic(api, keys, store):
    for i in range(5):
        api.post("/v1/check", json={"record": _gift(i, 100 + i, "2026-10-01")}, headers=h(keys["submitter"]))
    assert store.log.verify().ok and store.log.count() == 5
    assert api.get("/v1/audit/verify", headers=h(keys["auditor"])).json() == {
        "ok": True, "entries": 5, "problem": None, "seq": None}
    head = api.get("/v1/audit/head", headers=h(keys["auditor"])).json()
    assert head["seq"] == 5 and head["hash"] == store.log.latest(limit=1)[0].hash


def test_store_down_is_a_503_and_nothing_is_recorded(api, keys, store, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def down(*_args, **_kwargs):
        raise OperationalError("INSERT …", None, ConnectionRefusedError("connection refused"))

    monkeypatch.setattr(store.register, "put_many", down)  # inside the writer thread's transaction
    r = api.post("/v1/check", json={"record": _gift(1, 100, "2026-10-01")}, headers=h(keys["submitter"]))
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert r.json() == {"detail": "The store is unavailable; nothing of this request was recorded. Retry later.",
                        "code": "store_unavailable", "errors": []}
    assert store.log.count() == 0 and store.register.count() == 0
