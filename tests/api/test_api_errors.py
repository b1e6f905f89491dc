"""One error body for every 4xx/5xx answer: ``{detail, code, errors}`` (ErrorBodyV1), one test per status."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_helpers import AS_OF, GIFT, example_body, gift
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from api import create_app
from api.schemas import ErrorBodyV1
from conduct_engine.engine import Engine
from conduct_engine.store import Store
from tests.conftest import STARTER_RULES


def _body(r: Any, status: int) -> dict[str, Any]:
    """The answer's JSON, checked to be an ErrorBodyV1 with that status."""
    assert r.status_code == status, r.text
    body = r.json()
    ErrorBodyV1.model_validate(body)
    return body


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh SQLite store."""
    s = Store.open(f"sqlite:///{tmp_path / 'conduct.db'}")
    yield s
    s.close()


@pytest.fixture()
def secured(engine: Engine, store: Store) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """An app with auth on over the store, a budget of 3 requests per minute, and a key per role."""
    keys = {role: store.keys.create(role, role)[1] for role in ("submitter", "auditor", "admin")}
    with TestClient(create_app(engine, store=store, auth=True, rate_limit=3)) as c:
        yield c, keys


def test_400_unparsable_multipart(client: TestClient) -> None:
    r = client.post("/v1/scans", content=b"garbage", headers={"content-type": "multipart/form-data"})
    assert _body(r, 400) == {"detail": "Missing boundary in multipart.", "code": "bad_request", "errors": []}


def test_401_without_a_key_and_with_an_unknown_one(secured: tuple[TestClient, dict[str, str]]) -> None:
    c, _ = secured
    r = c.get("/v1/rules")
    assert _body(r, 401) == {"detail": "An API key is required (header X-API-Key)", "code": "unauthorized",
                             "errors": []}
    assert r.headers["www-authenticate"] == "ApiKey"
    r = c.get("/v1/rules", headers={"X-API-Key": "nope"})
    assert _body(r, 401) == {"detail": "Unknown or revoked API key", "code": "unauthorized", "errors": []}


def test_403_role_too_low(secured: tuple[TestClient, dict[str, str]]) -> None:
    c, keys = secured
    r = c.get("/v1/keys", headers={"X-API-Key": keys["submitter"]})
    assert _body(r, 403) == {"detail": "This needs the role admin; the key is a submitter", "code": "forbidden",
                             "errors": []}


def test_404_unknown_path_and_no_store(client: TestClient) -> None:
    assert _body(client.get("/v1/nope"), 404) == {"detail": "Not Found", "code": "not_found", "errors": []}
    assert _body(client.get("/v1/decisions"), 404) == {
        "detail": "This server has no store (started without one): no decision log, waivers or keys",
        "code": "not_found", "errors": []}


def test_405_wrong_method(client: TestClient) -> None:
    r = client.get("/v1/check")
    assert _body(r, 405) == {"detail": "Method Not Allowed", "code": "method_not_allowed", "errors": []}
    assert r.headers["allow"] == "POST"


def test_409_scan_not_done(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONDUCT_DATA_DIR", str(tmp_path))
    job_id = "0" * 32
    job = tmp_path / "scans" / "jobs" / job_id
    job.mkdir(parents=True)
    (job / "job.json").write_text(json.dumps({"id": job_id, "status": "running", "error": None}))
    with TestClient(create_app(engine)) as c:
        r = c.get(f"/v1/scans/{job_id}/report")
    assert _body(r, 409) == {"detail": "The scan is running; try again when it is done", "code": "conflict",
                             "errors": []}


def test_413_body_and_batch(engine: Engine) -> None:
    with TestClient(create_app(engine, max_body_bytes=1000, max_batch=1)) as c:
        r = c.post("/v1/check", json={"record": gift(description="x" * 2000)})
        assert r.json()["detail"].startswith("Request body too large (declared Content-Length of ")
        assert _body(r, 413) == {"detail": r.json()["detail"], "code": "payload_too_large", "errors": []}
        r = c.post("/v1/check/batch", json={"records": [GIFT, GIFT]})
        assert _body(r, 413) == {"detail": "Batch of 2 records exceeds the limit of 1 per request; split it "
                                           "into smaller batches", "code": "batch_too_large", "errors": []}


def test_422_request_validation_keeps_detail_and_lists_errors(client: TestClient) -> None:
    r = client.post("/v1/check", json={"record": GIFT, "as_of": "30/11/2026", "extra": 1})
    items = [{"loc": "as_of", "msg": "as_of must be a date as YYYY-MM-DD, got '30/11/2026'", "type": "date_format"},
             {"loc": "extra", "msg": "Extra inputs are not permitted", "type": "extra_forbidden"}]
    assert _body(r, 422) == {"detail": items, "code": "invalid_input", "errors": items}


def test_422_record_errors_from_the_engine(client: TestClient) -> None:
    r = client.post("/v1/check", json={"record": gift(kind="gfit"), "as_of": AS_OF})
    body = _body(r, 422)
    assert body["code"] == "invalid_input" and body["detail"] == body["errors"]
    assert [(e["loc"], e["type"]) for e in body["errors"]] == [("record.kind", "union_tag_invalid")]


def test_422_broken_pack_reload_lists_each_issue(engine: Engine, store: Store, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(STARTER_RULES, rules)
    pack = rules / "conduct" / "anti_bribery.yaml"
    pack.write_text(pack.read_text(encoding="utf-8").replace("when:", "when: frm == 1 and", 1), encoding="utf-8")
    with TestClient(create_app(engine, store=store, rules_dir=rules)) as c:
        r = c.post("/v1/packs/reload")
    assert _body(r, 422) == {
        "detail": "the packs did not load; the packs in force are unchanged", "code": "invalid_pack",
        "errors": [{"loc": "rules/conduct/anti_bribery.yaml:43", "type": "condition.unknown_field",
                    "msg": "rule BRB-CASH-EQUIV: unknown field or parameter 'frm' (did you mean form?)"}]}


def test_429_over_the_budget(secured: tuple[TestClient, dict[str, str]]) -> None:
    c, keys = secured
    for _ in range(3):
        assert c.get("/v1/standards", headers={"X-API-Key": keys["auditor"]}).status_code == 200
    r = c.get("/v1/standards", headers={"X-API-Key": keys["auditor"]})
    assert _body(r, 429) == {"detail": "Rate limit of 3 requests per minute exceeded for this key",
                             "code": "rate_limited", "errors": []}
    assert 1 <= int(r.headers["retry-after"]) <= 60  # until the next one-minute window opens


def test_503_store_down(engine: Engine, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    def down(*_args: Any, **_kwargs: Any) -> None:
        raise OperationalError("INSERT …", None, ConnectionRefusedError("connection refused"))

    monkeypatch.setattr(store.register, "put_many", down)  # inside the writer thread's transaction
    with TestClient(create_app(engine, store=store)) as c:
        r = c.post("/v1/check", json=example_body())
    assert store.log.count() == 0
    assert _body(r, 503) == {"detail": "The store is unavailable; nothing of this request was recorded. Retry later.",
                             "code": "store_unavailable", "errors": []}
    assert r.headers["retry-after"] == "5"


def test_500_is_answered_once_and_not_raised(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(engine, "evaluate", boom)
    with TestClient(create_app(engine)) as c:  # raise_server_exceptions on: a re-raise would fail the test
        r = c.post("/v1/check", json=example_body())
        assert _body(r, 500) == {"detail": "Internal server error; it has been logged", "code": "internal_error",
                                 "errors": []}
        assert "secret" not in r.text and "Traceback" not in r.text
        assert c.get("/healthz").json() == {"status": "ok"}


def test_every_operation_documents_its_errors_with_the_one_body(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    ref = "#/components/schemas/ErrorBodyV1"
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            errors = {s: r for s, r in op["responses"].items() if s[0] in "45"}
            assert "500" in errors, (method, path)
            for status, response in errors.items():
                target = response["content"]["application/json"]["schema"]["$ref"]
                assert target in (ref, "#/components/schemas/RuleNotFoundV1"), (method, path, status)
    assert set(schema["components"]["schemas"]["ErrorBodyV1"]["required"]) == {"detail", "code", "errors"}
