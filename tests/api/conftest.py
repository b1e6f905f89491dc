"""Shared fixtures for the API tests: one Engine per session, a fresh app per test."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette nags about httpx vs httpx2
    from fastapi.testclient import TestClient

from api import create_app
from conduct_engine.engine import Engine
from tests.conftest import STARTER_RULES


@pytest.fixture(scope="session")
def engine() -> Engine:
    """One engine for the whole session (loading compiles the packs)."""
    return Engine.from_paths(STARTER_RULES)  # frozen rules: API tests assert exact outcomes


@pytest.fixture()
def client(engine: Engine) -> Iterator[TestClient]:
    """A TestClient on a fresh app around the shared engine (auth off, no store)."""
    with TestClient(create_app(engine)) as c:
        yield c
