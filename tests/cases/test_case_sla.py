"""SLA due dates in business days over the packs' holiday calendar, and the overdue filter."""

from __future__ import annotations

import datetime as dt

import pytest

from conduct_engine.business_calendar import BusinessCalendar
from conduct_engine.cases.sla import CasePolicy
from conduct_engine.engine import Engine
from tests.cases.conftest import CARD, KEPT, record
from tests.conftest import RULES
from tests.store.conftest import h

D = dt.date


@pytest.mark.parametrize(("start", "days", "holidays", "due"), [
    (D(2026, 9, 23), 2, (), D(2026, 9, 25)),  # Wed + 2 = Fri
    (D(2026, 9, 23), 2, (D(2026, 9, 25),), D(2026, 9, 28)),  # that Friday is a holiday: the next working day
    (D(2026, 11, 27), 1, (), D(2026, 11, 30)),  # Fri + 1 = Mon
    (D(2026, 11, 28), 0, (), D(2026, 11, 28)),
])
def test_add_business_days(start, days, holidays, due):
    assert BusinessCalendar(frozenset(holidays)).add_business_days(start, days) == due


def test_add_business_days_counts_make_up_working_days():
    cal = BusinessCalendar(frozenset({D(2026, 10, 9)}), frozenset({D(2026, 10, 10)}))  # Fri off, Sat worked
    assert cal.add_business_days(D(2026, 10, 8), 1) == D(2026, 10, 10)


def test_the_bundled_calendar_and_parameters():
    policy = CasePolicy.of(Engine.from_paths(RULES).packs)
    # 2026-09-25 (Mid-Autumn) is a Friday holiday in the State Council calendar: a block case due then is due Monday
    assert policy.due_on("block", "SH-001", D(2026, 9, 23)) == D(2026, 9, 28)
    # National Day: Oct 1-7 are holidays
    assert policy.due_on("block", None, D(2026, 9, 29)) == D(2026, 10, 8)
    # Sat 2026-10-10 is a make-up working day (调休): due Fri 9 + 1 business day is that Saturday
    assert policy.due_on("block", None, D(2026, 10, 8)) == D(2026, 10, 10)
    # 2027 (beyond the bundled calendar): the pack's statutory days; Mon 2027-02-08 (初三) is a holiday
    assert policy.due_on("block", None, D(2027, 2, 4)) == D(2027, 2, 10)
    assert policy.due_on("review", "SH-001", D(2026, 11, 30)) == D(2026, 12, 7)
    assert policy.due_on("review", "BJ-001", D(2026, 11, 30)) == D(2026, 12, 3)  # rules/cases.yaml: BJ-001 has 3


def test_overdue_lists_exactly_the_late_ones(api, keys, store):
    sub, rev = keys["submitter"], keys["reviewer"]
    opened = {"G-O1": (KEPT, "2026-09-23"), "G-O2": (CARD, "2026-09-23"), "G-O3": (KEPT, "2026-11-30"),
              "G-O4": (CARD, "2026-11-27")}
    for rid, (base, day) in opened.items():
        r = api.post("/v1/check", json={"record": record(base, rid, counterparty={"party_id": rid, "group_id": rid}),
                                        "as_of": day}, headers=h(sub))
        assert r.status_code == 200
    due = {c["record_id"]: c["due_on"] for c in api.get("/v1/cases", headers=h(rev)).json()["items"]}
    # G-O2: block opened Wed 09-23, 2 business days, Fri 09-25 a holiday -> Mon 09-28
    assert due == {"G-O1": "2026-10-08", "G-O2": "2026-09-28", "G-O3": "2026-12-07", "G-O4": "2026-12-01"}
    cid = store.cases.for_record("gift", "G-O1").id  # a closed case is never overdue
    api.post(f"/v1/cases/{cid}/assign", json={"assignee": "reviewer"}, headers=h(rev))
    api.post(f"/v1/cases/{cid}/close", json={"disposition": "substantiated", "reason": "r", "action": "returned"},
             headers=h(rev))
    for as_of, late in [("2026-09-28", []), ("2026-09-29", ["G-O2"]), ("2026-12-02", ["G-O2", "G-O4"]),
                        ("2026-12-08", ["G-O2", "G-O3", "G-O4"])]:
        listed = api.get("/v1/cases", params={"overdue": "true", "as_of": as_of}, headers=h(rev)).json()["items"]
        assert sorted(c["record_id"] for c in listed) == late, as_of
        assert all(c["overdue"] for c in listed)
        rest = api.get("/v1/cases", params={"overdue": "false", "as_of": as_of}, headers=h(rev)).json()["items"]
        assert sorted(c["record_id"] for c in rest) == sorted(set(opened) - set(late))


def test_list_filters_and_pages(api, keys):
    sub, rev = keys["submitter"], keys["reviewer"]
    for i in range(5):
        api.post("/v1/check", json={"record": record(CARD if i % 2 else KEPT, f"G-L{i}", branch=f"B-{i % 2}"),
                                    "as_of": "2026-11-30"}, headers=h(sub))
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get("/v1/cases", params=params, headers=h(rev)).json()
        seen += [c["record_id"] for c in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == [f"G-L{i}" for i in reversed(range(5))]
    blocks = api.get("/v1/cases", params={"standard": "anti_bribery", "branch": "B-1"}, headers=h(rev)).json()
    assert sorted(c["record_id"] for c in blocks["items"]) == ["G-L1", "G-L3"]
    assert api.get("/v1/cases", params={"status": "closed"}, headers=h(rev)).json()["items"] == []
    assert len(api.get("/v1/cases", params={"subject": "E-100", "from": "2026-11-30", "to": "2026-11-30"},
                       headers=h(rev)).json()["items"]) == 5
    assert api.get("/v1/cases", params={"status": "nope"}, headers=h(rev)).status_code == 422
