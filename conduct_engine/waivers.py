"""Waivers: an approved exception moves a finding from ``violations`` to ``waived`` until it expires."""

from __future__ import annotations

import datetime as dt
from typing import Any

from conduct_engine.dates import parse_date
from conduct_engine.results import Result, decide


def _covers(waiver: dict, rule_id: str, record: dict, as_of: dt.date) -> bool:
    if waiver.get("revoked_at") or waiver["rule_id"] != rule_id:
        return False
    if parse_date(str(waiver["expires_on"])) < as_of:
        return False  # expired: a violation again
    if waiver.get("record_id") and waiver["record_id"] != record.get("id"):
        return False
    if waiver.get("subject") and waiver["subject"] not in _subjects(record):
        return False
    return bool(waiver.get("record_id") or waiver.get("subject"))


def _subjects(record: dict) -> set[Any]:
    """Who a record is about: the employee, or a loan file's borrower and lead investigator."""
    borrower = record.get("borrower") or {}
    team = record.get("team") or {}
    return {v for v in (record.get("employee_id"), borrower.get("party_id"), borrower.get("client_id"),
                        team.get("lead_investigator")) if v}


def apply_waivers(result: Result, waivers: list[dict], record: dict, as_of: dt.date) -> Result:
    """Move waived findings aside and recompute the decision (engine errors are never waived)."""
    if not waivers or not result.violations:
        return result
    kept, waived = [], list(result.waived)
    for violation in result.violations:
        match = next((w for w in waivers if violation.finding != "engine_error"
                      and _covers(w, violation.rule_id, record, as_of)), None)
        if match is None:
            kept.append(violation)
        else:
            waived.append(violation.model_copy(update={"evidence": {**violation.evidence, "waiver": {
                "id": match["id"], "approver": match["approver"], "reason": match["reason"],
                "expires_on": str(match["expires_on"])}}}))
    return result.model_copy(update={"violations": kept, "waived": waived, "decision": decide(kept)})
