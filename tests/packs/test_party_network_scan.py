"""A year of gift declarations whose givers are spread over many party ids — companies, their affiliates, their
directors personally, relatives' firms, parties with no group, givers named but not identified — scanned with
the reference data; every window of the resolved networks (SPEC §3.5) is checked against a plain-Python count.
"""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest

from conduct_engine.scan.prepare import prepare

AS_OF = dt.date(2026, 12, 31)
EMPLOYEES = ["E-1", "E-2", "E-3"]
DISPOSITIONS = [None, "kept", "pending", "returned", "handed_in", "donated"]


def _reference(rng: random.Random) -> dict:
    """12 companies (8 in groups), each with an affiliate and a director; 3 relatives directing firms; loners."""
    parties, clients, employees = [], [], []
    for i in range(12):
        group = f"GRP-{i % 4}" if i < 8 else None  # two companies per group for the first eight
        parties.append({"id": f"P-CO{i}", "name": f"公司{i}", **({"group_id": group} if group else {})})
        parties.append({"id": f"P-AFF{i}", "name": f"关联公司{i}",
                        "related": [{"party_id": f"P-CO{i}", "relation": rng.choice(["same_actual_controller",
                                                                                      "subsidiary", "parent"])}]})
        parties.append({"id": f"P-DIR{i}", "name": f"董事{i}",
                        "related": [{"party_id": f"P-CO{i}", "relation": "director_officer"}]})
        clients.append({"id": f"C-CO{i}", "party_id": f"P-CO{i}"})
    for i in range(3):
        parties.append({"id": f"P-REL{i}", "name": f"亲属{i}",
                        "related": [{"party_id": f"P-FIRM{i}", "relation": "director_officer"}]})
        parties.append({"id": f"P-FIRM{i}", "name": f"亲属公司{i}"})
        employees.append({"id": EMPLOYEES[i], "relations": [{"party_id": f"P-REL{i}", "relation": "close_relative"}]})
    for i in range(4):
        parties.append({"id": f"P-LONE{i}", "name": f"中介{i}"})
        # a guarantee is not a network link
        parties[-1]["related"] = [{"party_id": "P-CO0", "relation": "guarantee"}]
    return {"parties": parties, "clients": clients, "employees": employees}


def _components(reference: dict) -> dict[str, int]:
    """Plain union-find over groups and network relations (independent of conduct_engine.network)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        parent[find(a)] = find(b)

    linking = {"parent", "subsidiary", "same_actual_controller", "shareholder", "director_officer", "spouse",
               "parent_child", "sibling"}
    for party in reference["parties"]:
        find("P:" + party["id"])
        if party.get("group_id"):
            union("P:" + party["id"], "G:" + party["group_id"])
        for link in party.get("related", []):
            if link["relation"] in linking:
                union("P:" + party["id"], "P:" + link["party_id"])
    roots = sorted({find(x) for x in parent})
    return {x[2:]: roots.index(find(x)) for x in parent if x.startswith("P:")}


def _gifts(rng: random.Random, reference: dict) -> list[dict]:
    givers = [p["id"] for p in reference["parties"]]
    names = {p["id"]: p["name"] for p in reference["parties"]}
    gifts = []
    for i in range(900):
        giver = rng.choice(givers)
        day = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(365))
        counterparty = {"party_id": giver, "name": names[giver]}
        if rng.random() < 0.15:
            del counterparty["party_id"]  # named only: matched by exact normalised name
        gift = {"id": f"G-{i:04d}", "kind": "gift", "employee_id": rng.choice(EMPLOYEES), "branch": "SH-001",
                "occurred_on": day.isoformat(), "declared_at": f"{day.isoformat()}T18:00:00",
                "direction": "received" if rng.random() < 0.9 else "given", "form": "goods",
                "value_cny": rng.choice([80, 150, 300, 450, 600, 900]), "counterparty": counterparty}
        if (disposition := rng.choice(DISPOSITIONS)) is not None:
            gift["disposition"] = disposition
        if rng.random() < 0.1:
            gift["recipients"] = rng.choice([2, 3, 4])
        gifts.append(gift)
    return gifts


@pytest.fixture(scope="module")
def scanned(engine, tmp_path_factory):
    rng = random.Random(13)
    reference = _reference(rng)
    gifts = _gifts(rng, reference)
    path = tmp_path_factory.mktemp("scan") / "gifts.jsonl"
    path.write_text("".join(json.dumps(g, ensure_ascii=False) + "\n" for g in gifts), encoding="utf-8")
    plan = prepare([str(path)], packs=engine.packs, as_of=AS_OF, context=reference)
    return reference, gifts, plan


def _expected(reference: dict, gifts: list[dict]) -> dict[str, tuple[float, int]]:
    component = _components(reference)
    by_name = {p["name"]: p["id"] for p in reference["parties"]}

    def net(gift: dict) -> int:
        cp = gift["counterparty"]
        return component[cp.get("party_id") or by_name[cp["name"]]]

    out = {}
    for gift in gifts:
        if gift["direction"] != "received":
            continue
        day = dt.date.fromisoformat(gift["occurred_on"])
        window = [g for g in gifts if g["direction"] == "received" and g["employee_id"] == gift["employee_id"]
                  and net(g) == net(gift)
                  and day - dt.timedelta(days=365) < dt.date.fromisoformat(g["occurred_on"]) <= day]
        kept = [g for g in window if g.get("disposition") in (None, "kept", "pending")]
        total = round(sum(round(g["value_cny"] / g.get("recipients", 1), 2) for g in kept), 2)
        out[gift["id"]] = (total, len(window))
    return out


def test_the_networks_are_spread_over_many_party_ids(scanned):
    reference, gifts, _plan = scanned
    component = _components(reference)
    givers_per_network: dict[int, set[str]] = {}
    for g in gifts:
        cp = g["counterparty"]
        if "party_id" in cp:
            givers_per_network.setdefault(component[cp["party_id"]], set()).add(cp["party_id"])
    assert sum(1 for ids in givers_per_network.values() if len(ids) >= 3) >= 8


def test_scan_windows_are_those_of_the_resolved_networks(scanned):
    reference, gifts, plan = scanned
    expected = _expected(reference, gifts)
    items = {item.meta["id"]: item for item in plan.items}
    assert len(items) == len(gifts)
    checked = 0
    for gift_id, (total, count) in expected.items():
        aggregates = items[gift_id].aggregates
        assert aggregates["gift_giver_365d_cny"].value == total, gift_id
        assert aggregates["gift_giver_365d_count"].value == count, gift_id
        checked += 1
    assert checked > 700
    assert any(total > 2000 for total, _ in expected.values())  # the limits are reached somewhere


def test_findings_follow_the_network_totals(engine, scanned):
    reference, gifts, _plan = scanned
    expected = _expected(reference, gifts)
    results = engine.evaluate_many(gifts, context=reference, as_of=AS_OF, batch_is_history=True)
    for gift, result in zip(gifts, results, strict=True):
        fired = {v.rule_id for v in result.violations}
        if gift["direction"] != "received":
            continue
        total, count = expected[gift["id"]]
        disposed = gift.get("disposition") in ("returned", "handed_in", "donated")
        assert ("BRB-GIFT-AGG-365D" in fired) == (total > 2000 and not disposed), gift["id"]
        assert ("BRB-GIFT-FREQ-365D" in fired) == (count > 6), gift["id"]
        if "BRB-GIFT-AGG-365D" in fired:
            violation = next(v for v in result.violations if v.rule_id == "BRB-GIFT-AGG-365D")
            assert violation.evidence["network"]["key"].startswith(("group:", "party:"))
