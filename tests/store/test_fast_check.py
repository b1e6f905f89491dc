"""``api.fast_check``: plain checks are answered by the middleware exactly as the route answers them; every
other request goes to the route, and each request's turn at the rate limiter is counted once either way."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

import api.fast_check as fast
from api.app import create_app
from tests.api.api_helpers import comparable
from tests.store.conftest import h

GIFT = {"kind": "gift", "employee_id": "E-100", "branch": "SH-001", "direction": "received", "form": "shopping_card",
        "value_cny": 800, "occurred_on": "2026-10-01", "counterparty": {"party_id": "P-1", "name": "某公司"}}


@pytest.fixture()
def served(monkeypatch):
    """The requests the middleware answered itself (their record ids)."""
    seen: list[str] = []
    decide_one = fast.decide_one

    def spy(req, caller, service):
        seen.append(req.record.get("id"))
        return decide_one(req, caller, service)

    monkeypatch.setattr(fast, "decide_one", spy)
    return seen


def _post(api, body, secret, content_type="application/json"):
    return api.post("/v1/check", content=json.dumps(body), headers={**h(secret), "Content-Type": content_type})


def _key_id(secret: str) -> str:
    return "K-" + secret.split("_")[1]


def test_a_plain_check_is_answered_by_the_middleware_as_the_route_answers_it(api, keys, store, served, monkeypatch):
    body = {"record": {**GIFT, "id": "G-1"}, "as_of": "2026-11-30"}
    first = _post(api, body, keys["submitter"])
    monkeypatch.setattr(fast, "_plain_check", lambda scope: None)  # every request to the route
    second = _post(api, {**body, "record": {**GIFT, "id": "G-1"}}, keys["submitter"])
    assert served == ["G-1"]
    assert first.status_code == second.status_code == 200
    assert first.headers["content-type"] == second.headers["content-type"] == "application/json"
    assert comparable(first.json()) == comparable(second.json())
    assert store.log.count(events=False) == 2 and store.limits.count("key:" + _key_id(keys["submitter"])) == 2


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_another_content_type_goes_to_the_route(api, keys, served, content_type):
    r = _post(api, {"record": {**GIFT, "id": "G-2"}}, keys["submitter"], content_type)
    assert served == [] and r.status_code == 422


def test_an_invalid_body_goes_to_the_route_and_is_counted_once(api, keys, store, served):
    r = _post(api, {"record": {**GIFT, "id": "G-3"}, "dry_run": "yes"}, keys["submitter"])
    assert served == [] and r.status_code == 422 and r.json()["errors"][0]["loc"] == "dry_run"
    assert store.limits.count("key:" + _key_id(keys["submitter"])) == 1


def test_unknown_keys_and_other_roles_go_to_the_route(api, keys, store, served):
    body = {"record": {**GIFT, "id": "G-4"}}
    assert _post(api, body, "cc_nope_nope").status_code == 401
    assert _post(api, body, keys["reviewer"]).status_code == 403
    assert served == []
    assert store.limits.count("auth-fail:testclient") == 1
    assert store.limits.count("key:" + _key_id(keys["reviewer"])) == 1


def test_over_the_budget_is_the_routes_429_counted_once(store, shared_engine, keys, rules_copy, served):
    client = TestClient(create_app(shared_engine, store=store, auth=True, rules_dir=rules_copy, rate_limit=2))
    answers = [_post(client, {"record": {**GIFT, "id": f"G-{i}"}}, keys["submitter"]) for i in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["code"] == "rate_limited" and "Rate limit of 2" in answers[2].json()["detail"]
    assert "retry-after" in answers[2].headers
    # the third passed the middleware's pre-check and was evaluated, then refused by its turn: nothing stored
    assert served == ["G-0", "G-1", "G-2"]
    assert store.limits.count("key:" + _key_id(keys["submitter"])) == 3 and store.log.count(events=False) == 2
    assert store.register.count() == 2 and store.cases.count() == 2


def test_over_the_budget_a_bad_record_is_still_a_429(store, shared_engine, keys, rules_copy, served):
    client = TestClient(create_app(shared_engine, store=store, auth=True, rules_dir=rules_copy, rate_limit=1))
    assert _post(client, {"record": {**GIFT, "id": "G-1", "value_cny": "many"}}, keys["submitter"]).status_code == 422
    assert _post(client, {"record": {**GIFT, "id": "G-2", "value_cny": "many"}}, keys["submitter"]).status_code == 429
    assert served == ["G-1", "G-2"] and store.limits.count("key:" + _key_id(keys["submitter"])) == 2


def test_a_check_is_one_transaction_with_its_turn(api, keys, store):
    items = store.committer.items
    for i in range(3):
        assert _post(api, {"record": {**GIFT, "id": f"G-{i}"}}, keys["submitter"]).status_code == 200
    assert store.committer.items - items == 3  # a turn and an append each would be 6
    assert store.limits.count("key:" + _key_id(keys["submitter"])) == 3 and store.log.verify().ok


def test_a_bad_record_is_the_routes_422(api, keys, served):
    r = _post(api, {"record": {**GIFT, "id": "G-5", "value_cny": "many"}}, keys["submitter"])
    assert served == ["G-5"] and r.status_code == 422
    assert r.json()["code"] == "invalid_input" and r.json()["errors"][0]["loc"].startswith("record.")
