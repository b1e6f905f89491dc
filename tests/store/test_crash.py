"""A server killed with SIGKILL under load loses no acknowledged decision, and the chain still verifies."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from conduct_engine.store import Store
from tests.store.conftest import PG_URL, _postgres_available, _reset_postgres

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(port: int, data_dir: Path, url: str | None) -> subprocess.Popen:
    # a rate limit no client reaches: four clients can send more than the default 600 a minute in 3 s
    env = {**os.environ, "CONDUCT_DATA_DIR": str(data_dir), "CONDUCT_AUTH": "on", "CONDUCT_RATE_LIMIT": "10000000"}
    env.pop("CONDUCT_DATABASE_URL", None)
    if url:
        env["CONDUCT_DATABASE_URL"] = url
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "api.app:app_factory", "--host",
                             "127.0.0.1", "--port", str(port), "--log-level", "warning"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("server did not become ready")


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sigkill_under_load_loses_no_acknowledged_decision(tmp_path, backend):
    url = None
    if backend == "postgresql":
        reason = _postgres_available(PG_URL)
        if reason:
            pytest.skip(reason)
        _reset_postgres(PG_URL)
        url = PG_URL
    secret = Store.open(url, data_dir=tmp_path).keys.create("load", "submitter")[1]
    port = _free_port()
    proc = _start(port, tmp_path, url)
    acknowledged: list[str] = []
    stop = threading.Event()

    def client(n: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"X-API-Key": secret}, timeout=5) as http:
            i = 0
            while not stop.is_set():
                i += 1
                record = {"id": f"G-{n}-{i}", "kind": "gift", "employee_id": f"E-{n}", "occurred_on": "2026-10-01",
                          "direction": "received", "form": "goods", "value_cny": 100 + i % 700,
                          "counterparty": {"party_id": "P-1", "group_id": "GRP-1"}}
                try:
                    r = http.post("/v1/check", json={"record": record})
                except httpx.HTTPError:
                    return  # the server is gone
                if r.status_code == 200:
                    acknowledged.append(r.json()["decision_id"])

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    time.sleep(3)
    os.kill(proc.pid, signal.SIGKILL)  # mid-flight: some requests are being processed right now
    proc.wait()
    stop.set()
    for t in threads:
        t.join()
    assert len(acknowledged) > 20, "too little load to mean anything"

    proc = _start(port, tmp_path, url)  # restart on the same database
    try:
        store = Store.open(url, data_dir=tmp_path)
        logged = {d.decision_id for d in store.log.latest(limit=100_000)}
        missing = [d for d in acknowledged if d not in logged]
        assert missing == []
        report = store.log.verify()
        assert report.ok, report.problem
        assert report.entries >= len(acknowledged)
        r = httpx.post(f"http://127.0.0.1:{port}/v1/check", headers={"X-API-Key": secret}, json={"record": {
            "id": "G-after", "kind": "gift", "employee_id": "E-1", "direction": "received", "form": "goods",
            "value_cny": 10}}, timeout=10)
        assert r.status_code == 200 and store.log.verify().ok
    finally:
        proc.terminate()
        proc.wait(timeout=15)
