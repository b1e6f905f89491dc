"""The API behind a real uvicorn: early 413 on the wire, concurrency over sockets, the worker factory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import uvicorn
from api_helpers import comparable, example_body, mixed_requests

from api import create_app
from conduct_engine.engine import Engine
from tests.processes import stop

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(base: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"server at {base} did not come up")


@pytest.fixture()
def server(engine: Engine) -> Iterator[str]:
    """uvicorn serving create_app(engine) in a background thread; yields its base URL."""
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(engine), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    _wait_ready(base)
    yield base
    srv.should_exit = True
    thread.join(timeout=10)


def test_declared_20mb_is_refused_before_the_body_is_sent(server: str) -> None:
    port = int(server.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /v1/check HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 20971520\r\n\r\n")  # headers only: not one byte of the body
        reply = b""
        while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 413 ")
    assert b"the limit is 2000000 bytes" in reply
    r = httpx.post(f"{server}/v1/check", json=example_body(), timeout=10)
    assert r.status_code == 200 and r.json()["decision"] == "block"


def test_concurrent_clients_over_sockets(server: str, engine: Engine) -> None:
    bodies = mixed_requests(80, seed=7)
    expected = [comparable(engine.evaluate(b["record"], context=b.get("context"), as_of=b["as_of"])
                           .model_dump(mode="json")) for b in bodies]
    with httpx.Client(base_url=server, timeout=30) as http, ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda b: http.post("/v1/check", json=b), bodies))
    assert [a.status_code for a in answers] == [200] * 80
    assert [comparable(a.json()) for a in answers] == expected


@pytest.mark.slow
def test_uvicorn_factory_with_two_workers() -> None:
    from conduct_engine.engine import Engine
    from conduct_engine.store import Store
    port = _free_port()
    data_dir = tempfile.mkdtemp()
    _, secret = Store.open(data_dir=data_dir).keys.create("ci", "submitter")
    headers = {"X-API-Key": secret}
    env = {**os.environ, "CONDUCT_MAX_BATCH": "2", "CONDUCT_DATA_DIR": data_dir}
    env.pop("CONDUCT_DATABASE_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "api.app:app_factory", "--host",
                             "127.0.0.1", "--port", str(port), "--workers", "2", "--log-level", "warning"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base, timeout=60)
        ready = httpx.get(f"{base}/readyz", timeout=10).json()
        assert ready["status"] == "ready" and ready["rules"] == len(Engine.from_paths().packs.rules)
        r = httpx.post(f"{base}/v1/check", json=example_body(), timeout=10)
        assert r.status_code == 401  # auth is on in production
        r = httpx.post(f"{base}/v1/check/batch", json={"records": [example_body()["record"]] * 3}, timeout=10,
                       headers=headers)
        assert r.status_code == 413 and "limit of 2" in r.json()["detail"]
        r = httpx.post(f"{base}/v1/check", json=example_body(), timeout=10, headers=headers)
        assert r.status_code == 200 and r.json()["decision"] == "block"
        stored = Store.open(data_dir=data_dir)  # the decision, and the block's review case opened beside it
        assert (stored.log.count(events=False), stored.log.count(events=True), stored.cases.count()) == (1, 1, 1)
    finally:
        stop(proc, timeout=15)


def test_the_worker_factory_freezes_what_startup_built(monkeypatch, tmp_path) -> None:
    import gc

    from api import app as app_module
    monkeypatch.setenv("CONDUCT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CONDUCT_DATABASE_URL", raising=False)
    frozen = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))  # the test process itself stays as it was
    monkeypatch.setattr(app_module.applog, "configure", lambda settings: None)  # and so do its loggers
    built = app_module.app_factory()
    assert frozen == [True] and built.state.conduct.store is not None
    built.state.conduct.store.close()
