"""POST /v1/scans (upload or, for admins, a server-side path), GET /v1/scans/{id} with progress,
GET /v1/scans/{id}/report?format=… in every format."""

from __future__ import annotations

import json
import time
import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from api import create_app
from conduct_engine.reports import FORMATS
from conduct_engine.store import Store

from .conftest import AS_OF, RULES, make_gifts
from .test_mapping import BROKEN_CSV


@pytest.fixture()
def client(tmp_path, monkeypatch):
    monkeypatch.setenv("CONDUCT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CONDUCT_SCAN_ROOT", str(tmp_path / "imports"))
    monkeypatch.delenv("CONDUCT_DATABASE_URL", raising=False)
    (tmp_path / "imports").mkdir()
    store = Store.open(f"sqlite:///{tmp_path / 'app.db'}")  # the app's store, not the settings' data dir
    with TestClient(create_app(rules_dir=RULES, store=store)) as c:
        c.app_store = store  # type: ignore[attr-defined]
        yield c
    store.close()


def _wait(client, scan_id: str) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = client.get(f"/v1/scans/{scan_id}").json()
        assert 0 <= state["progress"]["percent"] <= 100
        if state["status"] in ("done", "failed"):
            return state
        time.sleep(0.2)
    raise AssertionError("scan did not finish")


@pytest.mark.slow
def test_upload_scan_progress_and_every_report(client):
    body = "".join(json.dumps(g, ensure_ascii=False) + "\n" for g in make_gifts(120))
    created = client.post("/v1/scans", files={"file": ("gifts.jsonl", body.encode(), "application/x-ndjson")},
                          data={"as_of": AS_OF})
    assert created.status_code == 202, created.text
    scan_id = created.json()["id"]
    state = _wait(client, scan_id)
    assert state["status"] == "done", state
    assert state["progress"] == {"done": 120, "total": 120, "percent": 100.0}
    assert state["summary"]["records"] == 120 and state["inputs"] == ["gifts.jsonl"]
    store = client.app_store  # the job logged each decision in the app's store, as the caller (auth off: "local")
    logged = store.log.latest(limit=500)
    assert len(logged) == 120 and {(e.channel, e.actor) for e in logged} == {("scan", "local")}
    assert store.log.verify().ok
    for fmt in FORMATS:
        report = client.get(f"/v1/scans/{scan_id}/report", params={"format": fmt})
        assert report.status_code == 200 and len(report.content) > 100, fmt
    lines = client.get(f"/v1/scans/{scan_id}/report", params={"format": "jsonl"}).text.splitlines()
    assert len(lines) == 121 and json.loads(lines[-1])["summary"]["records"] == 120
    assert client.get(f"/v1/scans/{scan_id}/report", params={"format": "pdf"}).status_code == 422


def test_server_side_path_with_mapping_and_errors(client, tmp_path):
    src = tmp_path / "imports" / "broken.csv"
    src.write_text(BROKEN_CSV, encoding="utf-8")
    created = client.post("/v1/scans", data={"path": "broken.csv", "as_of": AS_OF})
    assert created.status_code == 202, created.text
    state = _wait(client, created.json()["id"])
    assert state["status"] == "done" and state["summary"]["skipped"] == 6
    assert client.post("/v1/scans", data={"as_of": AS_OF}).status_code == 422
    assert client.post("/v1/scans", data={"path": "missing.csv"}).status_code == 422
    assert client.post("/v1/scans", data={"path": "/etc/passwd"}).status_code == 403  # outside the import folder
    assert client.post("/v1/scans", data={"path": "../broken.csv"}).status_code == 403
    bad_mapping = {"mapping": ("m.yaml", b"kind: gift\ncolumns: {valu_cny: x}\n", "text/yaml")}
    refused = client.post("/v1/scans", files={"file": ("x.csv", b"id\n1\n", "text/csv"), **bad_mapping})
    assert refused.status_code == 422 and "did you mean value_cny" in refused.text
    assert client.get("/v1/scans/0123456789abcdef0123456789abcdef").status_code == 404
    assert client.get("/v1/scans/../../etc").status_code == 404
