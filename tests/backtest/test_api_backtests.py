"""POST /v1/backtests: a job over the stored records between two dates, with progress and result; reviewer or
admin only (every role checked, no key and a bad key too); one decision-log entry per backtest."""

from __future__ import annotations

import time
import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from api import create_app
from conduct_engine.engine import Engine
from conduct_engine.history import HistoryIndex
from conduct_engine.store import Store
from tests.conftest import RULES

AS_OF = "2026-11-30"
VALUES = [100, 400, 600, 800, 1200, 700, 300, 950, 2000, 520]


@pytest.fixture()
def setup(tmp_path, monkeypatch):
    monkeypatch.setenv("CONDUCT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CONDUCT_DATABASE_URL", raising=False)
    monkeypatch.setenv("CONDUCT_RULES_DIR", str(RULES))
    monkeypatch.setenv("CONDUCT_MAX_BACKTEST_JOBS_PER_KEY", "1")
    engine = Engine.from_paths(RULES)
    store = Store.open()
    gifts = [{"id": f"G-{i:02d}", "kind": "gift", "employee_id": f"E-{i % 3}", "branch": "SH-001",
              "occurred_on": f"2026-0{1 + i % 9}-1{i % 10}", "direction": "received", "form": "goods", "value_cny": v}
             for i, v in enumerate(VALUES)]
    gifts.append({**gifts[0], "id": "G-LATE", "occurred_on": "2027-03-01", "value_cny": 5000})  # outside the period
    with store.db.transaction() as conn:
        store.register.put(conn, [HistoryIndex.item(m, engine.parse(g).occurred_on) for g, m in
                                  zip(gifts, engine.parse_all(gifts), strict=True)], "test")
    keys = {role: store.keys.create(f"{role}-key", role) for role in ("submitter", "auditor", "reviewer", "admin")}
    with TestClient(create_app(engine, store=store, auth=True, rules_dir=RULES)) as client:
        yield client, store, keys
    store.close()


def _headers(keys, role):
    return {"X-API-Key": keys[role][1]}


def _wait(client, headers, job_id: str) -> dict:
    deadline = time.monotonic() + 180
    seen = []
    while time.monotonic() < deadline:
        state = client.get(f"/v1/backtests/{job_id}", headers=headers).json()
        seen.append(state["progress"]["percent"])
        assert 0 <= state["progress"]["percent"] <= 100
        if state["status"] in ("done", "failed"):
            return state
        time.sleep(0.2)
    raise AssertionError("backtest did not finish")


BODY = {"from": "2026-01-01", "to": "2026-12-31", "set": ["gift_keep_max_cny=1000"], "as_of": AS_OF}


@pytest.mark.slow
def test_backtest_job_progress_result_roles_and_log(setup):
    client, store, keys = setup
    for role, status in (("submitter", 403), ("auditor", 403)):
        assert client.post("/v1/backtests", json=BODY, headers=_headers(keys, role)).status_code == status, role
    assert client.post("/v1/backtests", json=BODY).status_code == 401  # no key
    bad = client.post("/v1/backtests", json=BODY, headers={"X-API-Key": "not-a-key"})
    assert bad.status_code == 401 and bad.json()["code"] == "unauthorized"
    wrong = client.post("/v1/backtests", json={**BODY, "set": ["gift_keep_max=1000"]}, headers=_headers(keys, "reviewer"))
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["loc"] == "set.0"
    assert "did you mean gift_keep_max_cny" in wrong.json()["errors"][0]["msg"]
    typed = client.post("/v1/backtests", json={**BODY, "set": ["gift_keep_max_cny=lots"]}, headers=_headers(keys, "admin"))
    assert typed.status_code == 422 and typed.json()["errors"][0]["type"] == "parameter_type"
    assert store.log.count() == 0

    ids = {}
    for role in ("reviewer", "admin"):
        created = client.post("/v1/backtests", json=BODY, headers=_headers(keys, role))
        assert created.status_code == 202, created.text
        ids[role] = created.json()["id"]
        again = client.post("/v1/backtests", json=BODY, headers=_headers(keys, role))  # SPEC §12: capped per key
        assert again.status_code == 429 and again.json()["code"] == "rate_limited", again.text
    for role, job_id in ids.items():
        state = _wait(client, _headers(keys, role), job_id)
        assert state["status"] == "done", state
        assert state["progress"] == {"done": 10, "total": 10, "percent": 100.0}
        result = state["result"]
        over_500 = sum(v > 500 for v in VALUES)
        over_1000 = sum(v > 1000 for v in VALUES)
        assert result["records"] == 10 and result["period"] == {"from": "2026-01-01", "to": "2026-12-31"}
        assert result["by_rule"]["BRB-GIFT-KEEP"] == {"added": 0, "removed": over_500 - over_1000,
                                                       "unchanged": over_1000}
        report = client.get(f"/v1/backtests/{job_id}/report", params={"format": "html"}, headers=_headers(keys, role))
        assert report.status_code == 200 and "<svg" in report.text
    assert client.get(f"/v1/backtests/{ids['admin']}", headers=_headers(keys, "auditor")).status_code == 403
    assert client.get("/v1/backtests/0123456789abcdef0123456789abcdef",
                      headers=_headers(keys, "admin")).status_code == 404
    entries = store.log.latest()
    assert len(entries) == 2 == len(ids)  # one entry per backtest, nothing else logged or stored
    actors = {keys["reviewer"][0], keys["admin"][0]}
    assert {e.actor for e in entries} == actors and {e.channel for e in entries} == {"api-backtest"}
    assert all(e.result["changes"]["set"] == [{"branch": None, "param": "gift_keep_max_cny", "value": 1000}]
               for e in entries)
    assert store.register.count() == 11 and store.log.verify().ok
