"""Cases opened and updated by one group-committed batch end exactly as if each decision had come alone: the
same cases, statuses, findings, kept verdicts and case events (a record twice in a batch opens, then updates)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import update

from conduct_engine.store import CaseInput, Store, schema

DAY = dt.date(2026, 11, 2)


def _input(record_id: str, n: int, rules: list[str], decision: str = "review") -> CaseInput:
    result = {"kind": "gift", "record_id": record_id, "decision_id": f"D-{record_id}-{n}", "decision": decision,
              "violations": [{"rule_id": r, "standard": "anti_bribery", "severity": "review", "message": {"en": r}}
                             for r in rules] + [{"rule_id": "INFO", "standard": "x", "severity": "info"}]}
    return CaseInput(result, "E-1", "SH-001", "K-1", "alice", DAY, DAY + dt.timedelta(days=n))


def _prepare(store: Store, prefix: str) -> None:
    """A closed case (C) and a case with a verdict given on R1 (D), before the batch."""
    with store.db.transaction() as conn:
        store.cases.record(conn, [_input(f"{prefix}C", 0, ["R1"]), _input(f"{prefix}D", 0, ["R1", "R2"])])
    c, d = store.cases.for_record("gift", f"{prefix}C"), store.cases.for_record("gift", f"{prefix}D")
    assert c is not None and d is not None
    with store.db.transaction() as conn:
        conn.execute(update(schema.cases).where(schema.cases.c.id == c.id).values(status="closed", assignee="bob"))
        conn.execute(update(schema.case_findings).where(schema.case_findings.c.case_id == d.id,
                                                        schema.case_findings.c.rule_id == "R1")
                     .values(verdict="confirmed"))


def _batch(prefix: str) -> list[CaseInput]:
    return [_input(f"{prefix}A", 1, ["R1", "R2"]), _input(f"{prefix}B", 1, ["R1"]),
            _input(f"{prefix}A", 2, ["R2", "R3"], "block"), _input(f"{prefix}C", 1, ["R2"]),
            _input(f"{prefix}C", 2, ["R3"]), _input(f"{prefix}D", 1, ["R1", "R4"])]


def _state(store: Store, prefix: str, events: list[Any]) -> tuple[Any, ...]:
    cases = {}
    for name in "ABCD":
        case = store.cases.for_record("gift", prefix + name)
        assert case is not None
        cases[name] = (case.status, case.assignee, case.decision, case.decision_id.removeprefix(f"D-{prefix}"),
                       case.due_on, [(f.rule_id, f.verdict) for f in case.findings])
    names = [(e.event, e.record_id.removeprefix(prefix),
              {k: (v.removeprefix(f"D-{prefix}") if isinstance(v, str) else v) for k, v in e.data.items()
               if k != "reason"}) for e in events]
    return cases, names


def test_one_batch_of_case_decisions_ends_as_if_each_came_alone(store):
    _prepare(store, "S-")
    alone: list[Any] = []
    for inp in _batch("S-"):
        with store.db.transaction() as conn:
            alone += store.cases.record(conn, [inp])
    _prepare(store, "B-")
    with store.db.transaction() as conn:
        together = store.cases.record(conn, _batch("B-"))
    assert _state(store, "B-", together) == _state(store, "S-", alone)
    cases, names = _state(store, "B-", together)
    assert [n[0] for n in names] == ["opened", "opened", "updated", "reopened", "updated", "updated"]
    assert cases["C"][:2] == ("in_review", "bob")  # reopened to its assignee
    assert cases["D"][5] == [("R1", "confirmed"), ("R4", "unreviewed")]  # the verdict given on R1 is kept
    assert cases["A"][5] == [("R2", "unreviewed"), ("R3", "unreviewed")]
