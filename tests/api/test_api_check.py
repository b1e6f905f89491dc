"""POST /v1/check: results, input errors (always 422, never 500), engine failures and the catch-all."""

from __future__ import annotations

import logging

from api_helpers import AS_OF, GIFT, example_body, gift
from fastapi.testclient import TestClient

from api import create_app
from conduct_engine.engine import Engine
from conduct_engine.errors import EngineError
from conduct_engine.rete import ReteEngine


def _errors(response) -> list[dict]:
    assert response.headers["content-type"] == "application/json"
    return response.json()["detail"]


def test_shopping_card_gift_is_blocked(client: TestClient) -> None:
    body = example_body()
    assert body == {"record": GIFT, "as_of": AS_OF}
    r = client.post("/v1/check", json=body)
    assert r.status_code == 200
    result = r.json()
    assert result["record_id"] == "G-0001" and result["kind"] == "gift"
    assert result["decision"] == "block"
    assert result["as_of"] == AS_OF
    assert result["pack"]["digest"].startswith("sha256:")
    assert len(result["decision_id"]) == 32
    by_id = {v["rule_id"]: v for v in result["violations"]}
    cash = by_id["BRB-CASH-EQUIV"]
    assert cash["severity"] == "block" and cash["standard"] == "anti_bribery"
    assert "购物卡" in cash["message"]["zh"] and "2000" in cash["message"]["zh"]
    assert "shopping card" in cash["message"]["en"] and "2,000" in cash["message"]["en"]
    assert cash["evidence"]["form"] == "shopping_card"
    assert result["violations"][0]["rule_id"] == "BRB-CASH-EQUIV"  # most severe first


def test_small_goods_gift_passes(client: TestClient) -> None:
    r = client.post("/v1/check", json={"record": gift(form="goods", value_cny=150), "as_of": AS_OF})
    assert r.status_code == 200
    assert r.json()["decision"] == "pass" and r.json()["violations"] == []


def test_dry_run_is_accepted(client: TestClient) -> None:
    r = client.post("/v1/check", json={**example_body(), "dry_run": True})
    assert r.status_code == 200 and r.json()["decision"] == "block"


def test_as_of_defaults_to_today(client: TestClient) -> None:
    from conduct_engine.engine import today
    r = client.post("/v1/check", json={"record": GIFT})
    assert r.status_code == 200 and r.json()["as_of"] == today().isoformat()


def test_malformed_json_is_422_with_reason(client: TestClient) -> None:
    r = client.post("/v1/check", content=b'{"record": {"id": ', headers={"content-type": "application/json"})
    assert r.status_code == 422
    [err] = _errors(r)
    assert err["loc"] == "body" and err["type"] == "json_invalid"
    assert err["msg"].startswith("Malformed JSON at character")


def test_wrong_type_names_record_field(client: TestClient) -> None:
    r = client.post("/v1/check", json={"record": gift(value_cny="2000"), "as_of": AS_OF})
    assert r.status_code == 422
    [err] = _errors(r)
    assert err == {"loc": "record.value_cny", "msg": "Input should be a number, not str",
                   "type": "number_type"}


def test_unknown_field_is_named(client: TestClient) -> None:
    r = client.post("/v1/check", json={"record": gift(colour="red"), "as_of": AS_OF})
    assert r.status_code == 422
    [err] = _errors(r)
    assert err["loc"] == "record.colour" and err["type"] == "extra_forbidden"


def test_lenient_drops_unknown_field(client: TestClient) -> None:
    r = client.post("/v1/check", json={"record": gift(colour="red"), "as_of": AS_OF, "lenient": True})
    assert r.status_code == 200 and r.json()["decision"] == "block"


def test_unknown_kind_lists_kinds(client: TestClient) -> None:
    r = client.post("/v1/check", json={"record": gift(kind="bribe"), "as_of": AS_OF})
    assert r.status_code == 422
    [err] = _errors(r)
    assert err["loc"] == "record.kind" and err["type"] == "union_tag_invalid"
    assert "Unknown kind 'bribe'" in err["msg"] and "gift" in err["msg"]


def test_missing_record(client: TestClient) -> None:
    r = client.post("/v1/check", json={"as_of": AS_OF})
    assert r.status_code == 422
    assert _errors(r) == [{"loc": "record", "msg": "Field required", "type": "missing"}]


def test_unknown_top_level_field(client: TestClient) -> None:
    r = client.post("/v1/check", json={"record": GIFT, "recrod": {}})
    assert r.status_code == 422
    assert _errors(r) == [{"loc": "recrod", "msg": "Extra inputs are not permitted",
                           "type": "extra_forbidden"}]


def test_record_not_an_object(client: TestClient) -> None:
    r = client.post("/v1/check", json={"record": [GIFT]})
    assert r.status_code == 422
    assert _errors(r)[0]["loc"] == "record"


def test_body_not_an_object_or_empty(client: TestClient) -> None:
    r = client.post("/v1/check", json=[GIFT])
    assert r.status_code == 422 and _errors(r)[0]["loc"] == "body"
    r = client.post("/v1/check", content=b"", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert _errors(r) == [{"loc": "body", "type": "missing",
                           "msg": 'A request body is required: a JSON object such as {"record": {...}}'}]


def test_bad_as_of(client: TestClient) -> None:
    for bad in ["2026-13-01", "30/11/2026", 20261130, "2026-11-30T00:00:00"]:
        r = client.post("/v1/check", json={"record": GIFT, "as_of": bad})
        assert r.status_code == 422, bad
        [err] = _errors(r)
        assert err["loc"] == "as_of" and err["type"] == "date_format", bad
        assert "YYYY-MM-DD" in err["msg"]


def test_context_errors_are_prefixed(client: TestClient) -> None:
    ctx = {"employees": [{"id": "E-100", "name": "张三", "rank": 3}]}
    r = client.post("/v1/check", json={"record": GIFT, "context": ctx})
    assert r.status_code == 422
    assert [e["loc"] for e in _errors(r)] == ["context.employees.0.rank"]
    r = client.post("/v1/check", json={"record": GIFT, "context": ctx, "lenient": True})
    assert r.status_code == 200


def test_record_root_error_loc(client: TestClient) -> None:
    r = client.post("/v1/check", json={"record": {"id": "X"}})
    assert r.status_code == 422
    [err] = _errors(r)
    assert err["loc"] == "record.kind" and err["type"] == "missing"


def test_hostile_values_are_422_not_500(client: TestClient) -> None:
    nasty = [gift(value_cny=10**400), gift(value_cny=-1), gift(value_cny=True), gift(value_cny=None),
             gift(occurred_on="2026-02-30"), gift(counterparty="P-1"), gift(id=""), gift(id={"a": 1}),
             gift(recipients=1.5), gift(direction=None), {"kind": None}, {"kind": ["gift"]}, {}]
    for record in nasty:
        r = client.post("/v1/check", json={"record": record, "as_of": AS_OF})
        assert r.status_code == 422, (record, r.text)
        assert all(e["loc"].startswith("record") for e in _errors(r))
    for raw in [b'{"record": {"kind": "gift", "value_cny": NaN}}',
                b'{"record": {"kind": "gift", "value_cny": 1e999}}']:
        r = client.post("/v1/check", content=raw, headers={"content-type": "application/json"})
        assert r.status_code == 422, (raw, r.text)
        assert any(e["loc"] == "record.value_cny" for e in _errors(r)), r.text
    for raw, reason, code in [(b"[" * 100_000, "nested deeper than 64 levels", "json.too_deep"),
                              (b'{"record": "\xff\xfe"}', "not valid UTF-8", "json_invalid"),
                              (b"\x00\x01", "Expecting value", "json_invalid")]:
        r = client.post("/v1/check", content=raw, headers={"content-type": "application/json"})
        assert r.status_code == 422, (raw[:40], r.status_code, r.text)
        [err] = _errors(r)
        assert err["loc"] == "body" and err["type"] == code and reason in err["msg"], err


def test_unknown_route_and_method_keep_their_status(client: TestClient) -> None:
    assert client.get("/v1/nope").status_code == 404
    assert client.get("/v1/check").status_code == 405


class _FailingRete(ReteEngine):
    """A durable_rules host whose every evaluation fails, as the C engine does when its stack overflows."""

    def evaluate(self, name, facts):
        raise EngineError("E303", "alpha stack full")


def test_engine_error_is_review_not_pass(engine: Engine) -> None:
    with TestClient(create_app(Engine(engine.packs, rete=_FailingRete()))) as client:
        r = client.post("/v1/check", json=example_body())
    assert r.status_code == 200
    result = r.json()
    assert result["decision"] == "review"
    [v] = result["violations"]
    assert v["rule_id"] == "ENGINE-ERROR" and v["finding"] == "engine_error" and v["severity"] == "review"
    assert v["evidence"]["error_code"] == "E303" and "alpha stack full" in v["evidence"]["detail"]


def test_unexpected_error_is_bare_logged_500(engine: Engine, monkeypatch, caplog) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(engine, "evaluate", boom)
    with TestClient(create_app(engine), raise_server_exceptions=False) as c, \
            caplog.at_level(logging.ERROR, logger="conduct_check.api"):
        r = c.post("/v1/check", json=example_body())
    assert r.status_code == 500
    assert r.json() == {"detail": "Internal server error; it has been logged", "code": "internal_error", "errors": []}
    assert "secret" not in r.text and "Traceback" not in r.text
    assert any("POST /v1/check" in rec.getMessage() and rec.exc_info for rec in caplog.records)
