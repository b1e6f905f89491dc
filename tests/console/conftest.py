"""Console fixtures: the real rule packs, a store on disk, keys per role, the app (TestClient) and — for the
browser tests — a real uvicorn server on a free port of 127.0.0.1 and headless Chromium driven by Playwright."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette nags about httpx vs httpx2
    from fastapi.testclient import TestClient

from api.app import build_app
from conduct_engine.engine import Engine
from conduct_engine.settings import load_settings
from conduct_engine.store import Store
from tests.conftest import RULES

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Console:
    """A console app and what the tests need of it."""

    base: str
    store: Store
    keys: dict[str, str]  # role -> secret
    data_dir: Path


@pytest.fixture(scope="session")
def real_engine() -> Engine:
    """The engine over the real packs (the console shows what users will see)."""
    return Engine.from_paths(RULES)


def _console(tmp: Path, engine: Engine, **settings: object) -> tuple[object, Console]:
    store = Store.open(f"sqlite:///{tmp / 'conduct.db'}")
    keys = {role: store.keys.create(f"{role}-user", role)[1] for role in ("submitter", "reviewer", "auditor", "admin")}
    keys["submitter2"] = store.keys.create("second-submitter", "submitter")[1]
    app = build_app(load_settings(auth=True, data_dir=tmp / "data", **settings), engine=engine, store=store)
    return app, Console("", store, keys, tmp / "data")


@pytest.fixture()
def console(tmp_path: Path, real_engine: Engine) -> Iterator[tuple[TestClient, Console]]:
    """A TestClient on a console with auth on and a store on disk."""
    app, info = _console(tmp_path, real_engine)
    with TestClient(app, base_url="http://testserver") as client:  # type: ignore[arg-type]
        info.base = "http://testserver"
        yield client, info
    info.store.close()


def signin(client: TestClient, secret: str, lang: str = "zh") -> str:
    """Sign ``client`` in with ``secret``; returns the session's CSRF token."""
    page = client.get(f"/ui/signin?lang={lang}")
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    answer = client.post("/ui/signin", data={"csrf": token, "key": secret, "next": "/ui/rules", "lang": lang})
    assert answer.status_code == 200, answer.text[:500]
    return CSRF.search(answer.text).group(1)  # type: ignore[union-attr]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, real_engine: Engine) -> Iterator[Console]:
    """uvicorn serving the console (auth on, a SQLite store on disk) in a background thread."""
    tmp = tmp_path_factory.mktemp("console-server")
    app, info = _console(tmp, real_engine)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))  # type: ignore[arg-type]
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    info.base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{info.base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.05)
    yield info
    srv.should_exit = True
    thread.join(timeout=10)
    info.store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium (Debian's package) under Playwright; skipped when either is missing."""
    if CHROMIUM is None:
        pytest.skip("no chromium binary (CI installs it: apt-get install chromium fonts-wqy-zenhei)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is installed by make install (dev extras)")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


def declare_gift(page: Any, *, employee: str, form: str, value: str, branch: str | None = None,
                 counterparty: str | None = None, occurred_on: str = "2026-11-20") -> None:
    """Fill the Declare page's gift form as a person would (labels in Chinese) and submit it."""
    page.get_by_label("员工编号").fill(employee)
    if branch is not None:
        page.get_by_label("机构代码").fill(branch)
    page.get_by_label("发生日期").fill(occurred_on)
    page.get_by_label("收受或给予").select_option("received")
    page.get_by_label("礼品形式").select_option(form)
    page.get_by_label("价值（元）").fill(value)
    if counterparty is not None:
        page.get_by_label("对方名称").fill(counterparty)
    page.get_by_role("button", name="提交").click()
