"""Scan and backtest jobs work with the app's own store and data dir, never with whatever ``./data`` the
working directory holds (a checkout used before for ``make run`` has one: the jobs used to log into it, or
fail on it, and the console's scan page then waited for ever)."""

from __future__ import annotations

import sqlite3
import time
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from api.app import build_app
from conduct_engine.engine import Engine
from conduct_engine.scan import jobs
from conduct_engine.settings import load_settings
from conduct_engine.store import Store
from tests.conftest import RULES
from tests.console.conftest import signin

pytestmark = pytest.mark.slow
AS_OF = "2026-11-30"
CSV = "ref,staff,org,day,amount,how,giver\n" + "".join(
    f"S-{i:03d},E-{100 + i % 4},SH-001,2026-10-{1 + i:02d},{150 + 200 * i},{'shopping_card' if i % 3 == 0 else 'goods'},"
    f"Giver {i % 2}\n" for i in range(6))
MAPPING = """kind: gift
columns: {id: ref, employee_id: staff, branch: org, occurred_on: day, value_cny: amount, form: how,
          counterparty.name: giver}
constants: {direction: received}
"""


@pytest.fixture()
def used_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working directory of a checkout used before: its own ./data/conduct.db (and no CONDUCT_* telling
    anything where the app's store is)."""
    monkeypatch.delenv("CONDUCT_DATA_DIR", raising=False)
    monkeypatch.delenv("CONDUCT_DATABASE_URL", raising=False)
    cwd = tmp_path / "checkout"
    (cwd / "data").mkdir(parents=True)
    Store.open(f"sqlite:///{cwd / 'data' / 'conduct.db'}").close()
    monkeypatch.chdir(cwd)  # job processes start here too
    return cwd


def _logged(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM decision_log").fetchone()[0])


def _wait(get, path: str) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = get(path)
        if state["status"] in ("done", "failed"):
            return state
        time.sleep(0.2)
    raise AssertionError(f"{path} did not finish in 120 s")


@pytest.fixture(scope="module")
def real_engine() -> Engine:
    return Engine.from_paths(RULES)


@pytest.fixture()
def app(tmp_path: Path, used_checkout: Path, real_engine: Engine):
    """An app whose store and data dir are elsewhere (as the console tests build theirs)."""
    (tmp_path / "app").mkdir()
    store = Store.open(f"sqlite:///{tmp_path / 'app' / 'store.db'}")
    keys = {role: store.keys.create(f"{role}-user", role)[1] for role in ("submitter", "auditor", "reviewer")}
    settings = load_settings(auth=True, data_dir=tmp_path / "app" / "data", rules_dir=RULES)
    with TestClient(build_app(settings, engine=real_engine, store=store)) as client:  # type: ignore[arg-type]
        yield client, store, keys, settings
    store.close()


def test_api_scan_job_logs_into_the_apps_store(app, used_checkout):
    client, store, keys, _ = app
    headers = {"X-API-Key": keys["auditor"]}
    created = client.post("/v1/scans", headers=headers, data={"as_of": AS_OF},
                          files={"file": ("gifts.csv", CSV.encode(), "text/csv"),
                                 "mapping": ("m.yaml", MAPPING.encode(), "text/yaml")})
    assert created.status_code == 202, created.text
    state = _wait(lambda p: client.get(p, headers=headers).json(), f"/v1/scans/{created.json()['id']}")
    assert state["status"] == "done", state
    assert {(e.channel, e.kind) for e in store.log.latest(limit=50)} == {("scan", "gift")}
    assert store.log.count(events=False) == 6
    assert _logged(used_checkout / "data" / "conduct.db") == 0  # the working directory's store is left alone


def test_console_scan_job_logs_into_the_apps_store(app, used_checkout):
    client, store, keys, settings = app
    csrf = signin(client, keys["auditor"])
    answer = client.post("/ui/scans", data={"csrf": csrf, "as_of": AS_OF}, follow_redirects=False,
                         files={"file": ("gifts.csv", CSV.encode(), "text/csv"),
                                "mapping": ("m.yaml", MAPPING.encode(), "text/yaml")})
    assert answer.status_code == 303, answer.text[:500]
    job_id = answer.headers["location"].rsplit("/", 1)[-1]
    job = jobs.job_path(settings.data_dir, job_id)
    assert job is not None
    state = _wait(lambda _p: jobs.status(job), job_id)
    assert state["status"] == "done", state
    assert client.get(f"/ui/scans/{job_id}").text.count("已完成") >= 1
    assert store.log.count(events=False) == 6
    assert _logged(used_checkout / "data" / "conduct.db") == 0


def test_backtest_job_reads_the_apps_store(app, used_checkout):
    client, store, keys, _ = app
    for i, value in enumerate((300, 700, 1200)):
        record = {"id": f"G-{i}", "kind": "gift", "employee_id": "E-1", "branch": "SH-001",
                  "occurred_on": f"2026-0{i + 3}-10", "direction": "received", "form": "goods", "value_cny": value}
        checked = client.post("/v1/check", headers={"X-API-Key": keys["submitter"]},
                              json={"record": record, "as_of": AS_OF})
        assert checked.status_code == 200, checked.text
    headers = {"X-API-Key": keys["reviewer"]}
    created = client.post("/v1/backtests", headers=headers,
                          json={"from": "2026-01-01", "to": "2026-12-31", "set": ["gift_keep_max_cny=1000"]})
    assert created.status_code == 202, created.text
    state = _wait(lambda p: client.get(p, headers=headers).json(), f"/v1/backtests/{created.json()['id']}")
    assert state["status"] == "done", state
    assert state["result"]["records"] == 3  # the app's stored records, not the working directory's (none)
    assert store.log.get(state["decision_id"]) is not None
    assert _logged(used_checkout / "data" / "conduct.db") == 0
