"""Records and request bodies shared by the API tests."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

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
