"""Size limits: oversized bodies get 413 before being read; over-long texts and lists get 422."""

from __future__ import annotations

import asyncio
import json

import pytest
from api_helpers import AS_OF, GIFT, example_body, gift, loan_file
from fastapi.testclient import TestClient

from api import create_app
from api.limits import BodyLimitMiddleware
from conduct_engine.engine import Engine
from conduct_engine.settings import SettingsError, load_settings

TWENTY_MB = 20 * 1024 * 1024


def test_20mb_body_is_413_and_server_still_answers(client: TestClient) -> None:
    body = json.dumps({"record": gift(description="x" * TWENTY_MB)})
    r = client.post("/v1/check", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json() == {"detail": f"Request body too large (declared Content-Length of {len(body)} bytes); "
                                  "the limit is 2000000 bytes", "code": "payload_too_large", "errors": []}
    r = client.post("/v1/check", json=example_body())
    assert r.status_code == 200 and r.json()["decision"] == "block"


def test_chunked_body_over_limit_is_413(engine: Engine) -> None:
    def chunks():
        for _ in range(100):  # 100 x 64 KiB, no Content-Length
            yield b" " * 65536

    with TestClient(create_app(engine, max_body_bytes=200_000)) as c:
        r = c.post("/v1/check", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413
        assert "more than 200000 bytes received" in r.json()["detail"]
        assert c.get("/healthz").json() == {"status": "ok"}


def test_chunked_body_under_limit_is_checked(client: TestClient) -> None:
    raw = json.dumps(example_body()).encode()
    r = client.post("/v1/check", content=iter([raw[:10], raw[10:]]),
                    headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["decision"] == "block"


def test_middleware_stops_reading_at_the_limit() -> None:
    """Pure ASGI: the app never runs, and at most limit + one chunk is consumed from the client."""
    received: list[int] = []
    sent: list[dict] = []
    app_called = []

    async def app(scope, receive, send):
        app_called.append(True)

    async def receive():
        received.append(1)
        return {"type": "http.request", "body": b"a" * 1000, "more_body": True}  # an endless stream

    async def send(message):
        sent.append(message)

    mw = BodyLimitMiddleware(app, max_body_bytes=5000)
    asyncio.run(mw({"type": "http", "method": "POST", "headers": []}, receive, send))
    assert not app_called
    assert len(received) == 6
    assert sent[0]["status"] == 413 and (b"connection", b"close") in sent[0]["headers"]


def test_middleware_rejects_by_header_without_reading() -> None:
    sent: list[dict] = []

    async def receive():
        raise AssertionError("the body must not be read")

    async def send(message):
        sent.append(message)

    mw = BodyLimitMiddleware(lambda *a: None, max_body_bytes=10)
    asyncio.run(mw({"type": "http", "headers": [(b"content-length", b"11")]}, receive, send))
    assert sent[0]["status"] == 413


def test_long_description_is_422(client: TestClient) -> None:
    r = client.post("/v1/check", json={"record": gift(description="长" * 70_000), "as_of": AS_OF})
    assert r.status_code == 422
    [err] = r.json()["detail"]
    assert err["loc"] == "record.description" and err["type"] == "string_too_long"
    assert "60000" in err["msg"]


def test_loan_file_with_1000_materials_is_422(client: TestClient) -> None:
    materials = [{"type": "tax_returns", "required": True, "verified": True}] * 1000
    r = client.post("/v1/check", json={"record": loan_file(materials=materials), "as_of": AS_OF})
    assert r.status_code == 422
    [err] = r.json()["detail"]
    assert err["loc"] == "record.materials" and err["type"] == "too_long"
    assert "500" in err["msg"]


def test_loan_file_with_400_materials_is_handled(client: TestClient) -> None:
    materials = [{"type": "tax_returns", "required": True, "verified": i % 100 != 7} for i in range(400)]
    r = client.post("/v1/check", json={"record": loan_file(materials=materials), "as_of": AS_OF})
    assert r.status_code == 200
    result = r.json()
    assert result["decision"] == "review"
    indexes = sorted(v["evidence"]["material"]["index"] for v in result["violations"])
    assert [v["rule_id"] for v in result["violations"]] == ["DDS-MATERIAL-UNVERIFIED"] * 4
    assert indexes == [7, 107, 207, 307]


def test_limits_from_env(engine: Engine, monkeypatch) -> None:
    """Explicit values over the environment over the defaults."""
    monkeypatch.setenv("CONDUCT_MAX_BATCH", "2")
    monkeypatch.setenv("CONDUCT_MAX_BODY_BYTES", "5000")
    monkeypatch.delenv("CONDUCT_RATE_LIMIT", raising=False)
    settings = load_settings()
    assert (settings.max_body_bytes, settings.max_batch, settings.rate_limit) == (5000, 2, 600)
    settings = load_settings(max_batch=7)
    assert (settings.max_body_bytes, settings.max_batch) == (5000, 7)
    with TestClient(create_app(engine)) as c:
        r = c.post("/v1/check/batch", json={"records": [GIFT] * 3})
        assert r.status_code == 413 and "limit of 2" in r.json()["detail"]
        r = c.post("/v1/check", json={"record": gift(description="x" * 6000)})
        assert r.status_code == 413


def test_limit_defaults(monkeypatch) -> None:
    for name in ("CONDUCT_MAX_BATCH", "CONDUCT_MAX_BODY_BYTES", "CONDUCT_RATE_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(max_batch=None)  # None: not given
    assert (settings.max_body_bytes, settings.max_batch, settings.rate_limit) == (2_000_000, 500, 600)


@pytest.mark.parametrize(("raw", "reason"), [("lots", "Input should be a valid integer"),
                                             ("0", "Input should be greater than 0"),
                                             ("-3", "Input should be greater than 0")])
def test_bad_env_limit_fails_at_start(engine: Engine, monkeypatch, raw: str, reason: str) -> None:
    monkeypatch.setenv("CONDUCT_MAX_BATCH", raw)
    with pytest.raises(SettingsError, match=f"CONDUCT_MAX_BATCH: {reason}") as exc:
        load_settings()
    assert exc.value.loc == "CONDUCT_MAX_BATCH" and exc.value.code == "invalid_settings"
    with pytest.raises(ValueError, match="CONDUCT_MAX_BATCH"):  # create_app refuses to start, as before
        create_app(engine)


def test_bad_explicit_limit_names_the_variable(engine: Engine) -> None:
    with pytest.raises(SettingsError, match="CONDUCT_MAX_BODY_BYTES: Input should be greater than 0, got 0"):
        create_app(engine, max_body_bytes=0)
