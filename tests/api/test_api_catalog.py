"""GET endpoints (standards, rules, health, readiness) and the OpenAPI document."""

from __future__ import annotations

from api_helpers import CHECK_BODY
from fastapi.testclient import TestClient

from conduct_engine.engine import Engine
from conduct_engine.standards import STANDARD_CODES

STARTER_RULES = ["BRB-CASH-EQUIV", "BRB-GIFT-AGG-365D", "BRB-GIFT-KEEP", "CMP-FUND-NO-CERT",
                 "DDM-TERM-WC-MAX",
                 "DDS-MATERIAL-UNVERIFIED", "DDS-NO-ONSITE-VISIT"]


def test_standards(client: TestClient) -> None:
    r = client.get("/v1/standards")
    assert r.status_code == 200
    standards = r.json()
    assert len(standards) == 35
    assert [s["code"] for s in standards] == list(STANDARD_CODES)
    bribery = next(s for s in standards if s["code"] == "anti_bribery")
    assert set(bribery) == {"code", "group", "zh", "en", "clause"}
    assert all(bribery[k] for k in bribery)


def test_rules_list(client: TestClient) -> None:
    r = client.get("/v1/rules")
    assert r.status_code == 200
    rules = r.json()
    assert [x["id"] for x in rules] == STARTER_RULES
    cash = rules[0]
    assert cash["standard"] == "anti_bribery" and cash["severity"] == "block" and cash["applies_to"] == "gift"
    assert cash["when"] == 'direction == "received" and form in cash_equivalents'
    assert cash["message"]["zh"].startswith("严禁收受现金") and "{form}" in cash["message"]["en"]
    assert cash["remediation"]["en"] == "Return it at once and report it to compliance"
    assert "shopping_card" in cash["parameters"]["cash_equivalents"]
    assert "tests" not in cash
    term = next(x for x in rules if x["id"] == "DDM-TERM-WC-MAX")
    assert term["effective_from"] == "2024-07-01" and term["effective_to"] is None
    onsite = next(x for x in rules if x["id"] == "DDS-NO-ONSITE-VISIT")
    assert onsite["match"] == ['no site_visit where mode == "on_site"']


def test_rule_by_id(client: TestClient) -> None:
    r = client.get("/v1/rules/BRB-GIFT-KEEP")
    assert r.status_code == 200
    assert r.json()["id"] == "BRB-GIFT-KEEP" and r.json()["parameters"] == {"gift_keep_max_cny": 500}


def test_unknown_rule_suggests(client: TestClient) -> None:
    r = client.get("/v1/rules/BRB-CASH-EQIV")
    assert r.status_code == 404
    assert r.json() == {"detail": "Unknown rule id 'BRB-CASH-EQIV' (did you mean BRB-CASH-EQUIV?)",
                        "code": "unknown_rule", "errors": [], "suggestions": ["BRB-CASH-EQUIV"]}
    r = client.get("/v1/rules/ZZZ")
    assert r.status_code == 404 and r.json() == {"detail": "Unknown rule id 'ZZZ'", "code": "unknown_rule", "errors": [],
                                                 "suggestions": []}


def test_healthz(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_readyz(client: TestClient, engine: Engine) -> None:
    r = client.get("/readyz")
    assert r.status_code == 200
    ready = r.json()
    assert ready["status"] == "ready"
    assert ready["pack"] == {"name": engine.packs.name, "version": engine.packs.version,
                             "digest": engine.packs.digest}
    assert ready["pack"]["digest"].startswith("sha256:") and len(ready["pack"]["digest"]) == 71
    assert ready["rules"] == 7 and ready["standards"] == 35
    assert "conductfix2" in ready["durable_rules"]


def test_openapi(client: TestClient) -> None:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    post = doc["paths"]["/v1/check"]["post"]
    content = post["requestBody"]["content"]["application/json"]
    assert content["examples"]["shopping_card_gift"]["value"] == CHECK_BODY
    assert {"200", "413", "422"} <= set(post["responses"])
    paths = ["/v1/check/batch", "/v1/standards", "/v1/rules", "/v1/rules/{rule_id}", "/healthz", "/readyz"]
    for path in paths:
        assert path in doc["paths"], path
    schemas = doc["components"]["schemas"]
    assert "the record is not stored as history" in schemas["CheckRequestV1"]["properties"]["dry_run"]["description"]
    assert schemas["CheckRequestV1"]["examples"] == [CHECK_BODY]
    assert client.get("/docs").status_code == 200
