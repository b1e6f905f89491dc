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
    "materials": [{"type": "audited_fs", "required": True, "verified": True,
                   "source_type": "client_provided"}],
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
CHECK_BODY: dict[str, Any] = {"record": GIFT, "as_of": AS_OF}

_FORMS = ["goods", "shopping_card", "cash", "red_packet", "digital_red_packet", "prepaid_card",
          "promotional_item",
          "travel", "membership"]
_DISPOSITIONS = [None, "kept", "returned", "handed_in", "donated", "pending"]
_CERTIFIED = {"employees": [{"id": "E-100", "name": "张三", "certifications": [
    {"type": "fund_sales", "status": "valid", "expires_on": "2027-12-31"}]}]}
_UNCERTIFIED = {"employees": [{"id": "E-100", "name": "张三", "certifications": []}]}


def mixed_requests(n: int, seed: int = 20261130) -> list[dict[str, Any]]:
    """``n`` check bodies: gifts, product sales (with context) and loan files, deterministically varied."""
    import random
    rnd = random.Random(seed)
    bodies = []
    for i in range(n):
        pick = i % 4
        if pick in (0, 1):
            record = gift(id=f"G-{i:04d}", form=rnd.choice(_FORMS), branch=rnd.choice(["BJ-001", "SH-001"]),
                          value_cny=rnd.choice([50, 150, 300, 301, 499, 500, 501, 800, 2000, 2001, 5000]),
                          direction=rnd.choice(["received", "received", "given"]))
            if (disposition := rnd.choice(_DISPOSITIONS)) is not None:
                record["disposition"] = disposition
            bodies.append({"record": record, "as_of": AS_OF})
        elif pick == 2:
            record = {"id": f"S-{i:04d}", "kind": "product_sale", "employee_id": "E-100", "client_id": "C-1",
                      "product_code": f"F-{i:03d}", "product_type": rnd.choice(["fund", "fund", "deposit"]),
                      "sold_at": "2026-11-20T10:00:00", "recorded_av": True}
            bodies.append({"record": record, "as_of": AS_OF,
                           "context": copy.deepcopy(rnd.choice([_CERTIFIED, _UNCERTIFIED]))})
        else:
            materials = [{"type": "audited_fs", "required": True, "verified": rnd.random() < 0.7}
                         for _ in range(rnd.randint(0, 6))]
            visits = rnd.choice([[], [{"date": "2026-09-10", "location_type": "warehouse", "mode": "video"}],
                                 LOAN_FILE["site_visits"]])
            record = loan_file(id=f"LF-{i:04d}", term_months=rnd.choice([12, 36, 37, 60]),
                               materials=materials,
                               site_visits=copy.deepcopy(visits),
                               branch=rnd.choice(["BJ-001", "SH-001"]))
            bodies.append({"record": record, "as_of": AS_OF})
    return bodies


def comparable(result: dict[str, Any]) -> dict[str, Any]:
    """A result without its per-call ``decision_id``."""
    return {k: v for k, v in result.items() if k != "decision_id"}
