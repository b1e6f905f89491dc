"""POST /v1/check/batch: order, the batch limit and error locations."""

from __future__ import annotations

from api_helpers import AS_OF, GIFT, gift, loan_file
from fastapi.testclient import TestClient

from api import create_app
from conduct_engine.engine import Engine


def test_results_in_request_order(client: TestClient) -> None:
    records = [gift(id="B-1"), gift(id="B-2", form="goods", value_cny=150),
               loan_file(id="B-3", site_visits=[]),
               gift(id="B-4", form="goods", value_cny=800)]
    r = client.post("/v1/check/batch", json={"records": records, "as_of": AS_OF})
    assert r.status_code == 200
    results = r.json()["results"]
    assert [x["record_id"] for x in results] == ["B-1", "B-2", "B-3", "B-4"]
    assert [x["decision"] for x in results] == ["block", "pass", "block", "review"]
    assert results[2]["violations"][0]["rule_id"] == "DDS-NO-ONSITE-VISIT"
    assert all(x["as_of"] == AS_OF for x in results)
    assert len({x["decision_id"] for x in results}) == 4


def test_empty_batch(client: TestClient) -> None:
    r = client.post("/v1/check/batch", json={"records": []})
    assert r.status_code == 200 and r.json() == {"results": []}


def test_batch_over_limit_is_413(engine: Engine) -> None:
    with TestClient(create_app(engine, max_batch=3)) as c:
        assert c.post("/v1/check/batch", json={"records": [GIFT] * 3}).status_code == 200
        r = c.post("/v1/check/batch", json={"records": [GIFT] * 4})
        assert r.status_code == 413
        assert r.json() == {"detail": "Batch of 4 records exceeds the limit of 3 per request; "
                                      "split it into smaller batches", "code": "batch_too_large", "errors": []}


def test_default_batch_limit_is_500(client: TestClient) -> None:
    r = client.post("/v1/check/batch", json={"records": [{"id": "x"}] * 501})
    assert r.status_code == 413 and "limit of 500" in r.json()["detail"]


def test_one_bad_record_names_its_index(client: TestClient) -> None:
    records = [gift(id="B-1"), gift(id="B-2", value_cny="lots"), gift(id="B-3")]
    r = client.post("/v1/check/batch", json={"records": records})
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert detail == [{"loc": "records.1.value_cny", "msg": "Input should be a number, not str",
                       "type": "number_type"}]


def test_several_bad_records_and_unknown_kind(client: TestClient) -> None:
    records = [gift(kind="nope"), GIFT, {**GIFT, "extra": 1}]
    r = client.post("/v1/check/batch", json={"records": records})
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["detail"]] == ["records.0.kind", "records.2.extra"]
    r = client.post("/v1/check/batch", json={"records": records[1:], "lenient": True})
    assert r.status_code == 200 and len(r.json()["results"]) == 2


def test_batch_shape_errors(client: TestClient) -> None:
    r = client.post("/v1/check/batch", json={"records": [GIFT, "G-2"]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == "records.1"
    r = client.post("/v1/check/batch", json={"record": GIFT})
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["detail"]] == ["records", "record"]
    r = client.post("/v1/check/batch", json={"records": [GIFT], "as_of": "yesterday"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == "as_of"
