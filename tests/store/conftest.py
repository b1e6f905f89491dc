"""Store fixtures: every store test runs on SQLite and on the PostgreSQL server (skipped if it is absent)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conduct_engine.engine import Engine
from conduct_engine.settings import load_settings
from conduct_engine.store import Store

PG_URL = load_settings().test_database_url  # $CONDUCT_TEST_DATABASE_URL
#: A fixed copy of the first conduct rules: store tests must not move when the real packs grow.
RULES = Path(__file__).resolve().parents[1] / "data" / "starter_rules"


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    with engine.begin() as conn:
        for table in ("records", "reference_data", "waivers", "api_keys", "decision_log", "pack_generations",
                      "cases", "case_findings", "case_comments", "ui_sessions", "rate_windows", "alembic_version"):
            conn.execute(text(f"DROP TABLE IF EXISTS {table} CASCADE"))
    engine.dispose()


def _postgres_available(url: str) -> str | None:
    try:
        from sqlalchemy import create_engine, text
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure to connect means: no server here
        return f"PostgreSQL not reachable at {url}: {type(exc).__name__}: {str(exc).splitlines()[0]}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    """A fresh, migrated store on each backend."""
    if request.param == "sqlite":
        s = Store.open(f"sqlite:///{tmp_path / 'conduct.db'}")
    else:
        reason = _postgres_available(PG_URL)
        if reason:
            pytest.skip(reason)
        _reset_postgres(PG_URL)
        s = Store.open(PG_URL)
    yield s
    s.close()


@pytest.fixture(scope="session")
def shared_engine():
    """One engine over the bundled rules."""
    return Engine.from_paths(RULES)


@pytest.fixture()
def keys(store):
    """One key per role (and a second submitter, reviewers of other employees and of E-100): name -> secret.

    The submitters belong to E-100 and E-200; ``reviewer`` and ``reviewer2`` to E-300 and E-301, and
    ``subject_reviewer`` to E-100 (the employee of the test gifts: it may not review their cases).
    """
    return {name: store.keys.create(name, role, employee)[1] for name, role, employee in
            [("submitter", "submitter", "E-100"), ("submitter2", "submitter", "E-200"), ("auditor", "auditor", None),
             ("admin", "admin", None), ("reviewer", "reviewer", "E-300"), ("reviewer2", "reviewer", "E-301"),
             ("subject_reviewer", "reviewer", "E-100")]}


@pytest.fixture()
def rules_copy(tmp_path):
    """A private copy of the rules directory (tests may break it)."""
    root = tmp_path / "rules"
    shutil.copytree(RULES, root)
    return root


@pytest.fixture()
def api(store, shared_engine, rules_copy):
    """The API with auth on, over the store."""
    from api.app import create_app
    app = create_app(shared_engine, store=store, auth=True, rules_dir=rules_copy)
    return TestClient(app)


def h(secret: str) -> dict[str, str]:
    """The auth header for a key."""
    return {"X-API-Key": secret}
