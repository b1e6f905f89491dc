"""Case fixtures: the store fixtures (SQLite and PostgreSQL), and records that open cases."""

from __future__ import annotations

from tests.store.conftest import api, h, keys, rules_copy, shared_engine, store  # noqa: F401 - fixtures

AS_OF = "2026-11-30"
#: A received gift of 800 kept by E-100: BRB-GIFT-KEEP needs review.
KEPT = {"kind": "gift", "employee_id": "E-100", "branch": "SH-001", "direction": "received", "form": "goods",
        "disposition": "kept", "value_cny": 800, "occurred_on": "2026-10-01",
        "counterparty": {"party_id": "P-1", "name": "上海某贸易公司", "group_id": "GRP-1"}}
#: A shopping card: BRB-CASH-EQUIV blocks.
CARD = {**KEPT, "form": "shopping_card", "value_cny": 2000, "disposition": "returned"}


def record(base: dict, record_id: str, **changes) -> dict:
    """A copy of ``base`` with its id and some fields changed."""
    return {**base, "id": record_id, **changes}


def check(client, secret: str, rec: dict, **extra) -> dict:
    """POST /v1/check (stored) and return the result."""
    r = client.post("/v1/check", json={"record": rec, "as_of": AS_OF, **extra}, headers=h(secret))
    assert r.status_code == 200, r.text
    return r.json()


def case_of(client, secret: str, record_id: str) -> dict:
    """The one case of a record, as the listing shows it."""
    items = client.get("/v1/cases", params={"record_id": record_id}, headers=h(secret)).json()["items"]
    assert len(items) == 1, items
    return items[0]

