"""Pack reloads across worker processes: the EngineHolder picks up a reload recorded in the store by another
worker within the check interval; a broken pack never replaces the packs in force."""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api import create_app, deps
from conduct_engine.engine import Engine
from conduct_engine.store import Store
from tests.conftest import STARTER_RULES


@pytest.fixture()
def rules(tmp_path: Path) -> Path:
    """A private copy of the rules (the tests change it)."""
    root = tmp_path / "rules"
    shutil.copytree(STARTER_RULES, root)
    return root


@pytest.fixture()
def workers(engine: Engine, rules: Path, tmp_path: Path) -> Iterator[tuple[TestClient, TestClient, Store]]:
    """Two apps over one store, as two uvicorn workers would be."""
    store = Store.open(f"sqlite:///{tmp_path / 'conduct.db'}")
    with TestClient(create_app(engine, store=store, rules_dir=rules)) as a, \
            TestClient(create_app(engine, store=store, rules_dir=rules)) as b:
        yield a, b, store
    store.close()


def _digest(client: TestClient) -> str:
    return client.get("/readyz").json()["pack"]["digest"]


def test_a_reload_in_one_worker_is_picked_up_by_the_other(workers, rules: Path, monkeypatch) -> None:
    a, b, _ = workers
    before = _digest(b)
    assert deps.RELOAD_CHECK_SECONDS == 2.0  # the promise: picked up within 2 s
    path = rules / "conduct" / "anti_bribery.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("严禁收受现金及现金等价物", "严禁收受现金或现金等价物"),
                    encoding="utf-8")
    r = a.post("/v1/packs/reload")
    assert r.status_code == 200 and _digest(a) == r.json()["pack"]["digest"] != before
    assert _digest(b) == before  # not asked yet: within the interval
    monkeypatch.setattr(deps, "RELOAD_CHECK_SECONDS", 0.05)
    time.sleep(0.1)
    assert _digest(b) == _digest(a)


def test_a_broken_pack_is_not_picked_up(workers, rules: Path, monkeypatch, caplog) -> None:
    _, b, store = workers
    before = _digest(b)
    path = rules / "conduct" / "anti_bribery.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("form in cash_equivalents", "frm in cash_equivalents"),
                    encoding="utf-8")
    store.packs.bump("sha256:elsewhere", "another worker")
    monkeypatch.setattr(deps, "RELOAD_CHECK_SECONDS", 0.05)
    time.sleep(0.1)
    with caplog.at_level(logging.ERROR, logger="conduct_check.api"):
        assert _digest(b) == before
    assert any("pack reload to generation 1 failed" in rec.getMessage() for rec in caplog.records)
    time.sleep(0.1)
    assert _digest(b) == before  # the generation is taken as seen: no retry on every request
