"""Shared fixtures for the API tests: one Engine per session, a fresh app per test."""

from __future__ import annotations

import copy
import json
import warnings
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

from api import create_app
from conduct_engine.engine import Engine

EXAMPLE_FILE = Path(__file__).resolve().parents[2] / "examples" / "gift_shopping_card.json"
AS_OF = "2026-11-30"
GIFT: dict[str, Any] = {
    "id": "G-0001", "kind": "gift", "employee_id": "E-100", "branch": "SH-001", "occurred_on": "2026-11-20",
    "declared_at": "2026-11-21T09:00:00", "direction": "received", "form": "shopping_card", "value_cny": 2000,
    "counterparty": {"party_id": "P-1", "name": "上海某贸易公司", "group_id": "GRP-1"},
}
LOAN_FILE: dict[str, Any] = {
    "id": "LF-0001", "kind": "loan_file", "branch": "SH-001", "product_type": "working_capital",
    "borrower": {"party_id": "P-9", "name": "某制造公司", "type": "corporate"},
    "requested_amount_cny": 5_000_000, "term_months": 12, "accepted_on": "2026-09-01",
    "team": {"lead_investigator": "E-100", "co_investigators": ["E-101"]},
    "materials": [{"type": "audited_fs", "required": True, "verified": True, "source_type": "client_provided"}],
    "site_visits": [{"date": "2026-09-10", "location_type": "production_site", "mode": "on_site",
                     "investigators": ["E-100", "E-101"]}],
}


def gift(**changes: Any) -> dict[str, Any]:
    """The shopping-card gift with some fields changed."""
    return {**copy.deepcopy(GIFT), **changes}


def loan_file(**changes: Any) -> dict[str, Any]:
    """A clean loan file with some fields changed."""
    return {**copy.deepcopy(LOAN_FILE), **changes}


def example_body() -> dict[str, Any]:
    """The curl example body from examples/gift_shopping_card.json."""
    return json.loads(EXAMPLE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def engine() -> Engine:
    """One engine for the whole session (loading compiles the packs)."""
    return Engine.from_paths()


@pytest.fixture()
def client(engine: Engine) -> TestClient:
    """A TestClient on a fresh app around the shared engine; server errors raise in the test."""
    with TestClient(create_app(engine)) as c:
        yield c
