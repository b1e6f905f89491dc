"""Waivers: an approved exception moves a finding from ``violations`` to ``waived`` until it expires."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import TYPE_CHECKING

from conduct_engine import error_codes
from conduct_engine.results import Result, decide
from conduct_engine.subjects import subjects_of

if TYPE_CHECKING:
    from conduct_engine.store.waivers import Waiver


def waiver_problems(rule_id: str, expires_on: dt.date, rules: Collection[str], today: dt.date) -> list[dict[str, str]]:
    """Why a new waiver cannot be granted (SPEC §12): a rule id the packs do not have (a rule family's prefix
    counts), or an expiry already past. Each problem is ``{loc, msg, type}``; empty when it can be granted."""
    from conduct_engine.packs.problems import did_you_mean
    problems = []
    if rule_id not in rules and not any(r.startswith(rule_id + "-") for r in rules):
        hint = did_you_mean(rule_id, rules)
        problems.append({"loc": "rule_id", "msg": f"unknown rule id {rule_id[:120]!r}"
                         + (f" (did you mean {hint}?)" if hint else ""), "type": error_codes.UNKNOWN_RULE})
    if expires_on < today:
        problems.append({"loc": "expires_on", "msg": f"the waiver would already be expired: {expires_on.isoformat()} "
                         f"is before today ({today.isoformat()})", "type": error_codes.WAIVER_EXPIRED})
    return problems


def _covers(waiver: Waiver, rule_id: str, record: dict, as_of: dt.date) -> bool:
    if waiver.revoked_at or waiver.rule_id != rule_id:
        return False
    if waiver.expires_on < as_of:
        return False  # expired: a violation again
    if waiver.record_id and waiver.record_id != record.get("id"):
        return False
    if waiver.subject and waiver.subject not in subjects_of(record):
        return False
    return bool(waiver.record_id or waiver.subject)


def apply_waivers(result: Result, waivers: list[Waiver], record: dict, as_of: dt.date) -> Result:
    """Move waived findings aside and recompute the decision (engine errors are never waived)."""
    if not waivers or not result.violations:
        return result
    kept, waived = [], list(result.waived)
    for violation in result.violations:
        match = next((w for w in waivers if violation.finding != error_codes.ENGINE_ERROR
                      and _covers(w, violation.rule_id, record, as_of)), None)
        if match is None:
            kept.append(violation)
        else:
            waived.append(violation.model_copy(update={"evidence": {**violation.evidence, "waiver": {
                "id": match.id, "approver": match.approver, "reason": match.reason,
                "expires_on": str(match.expires_on)}}}))
    return result.model_copy(update={"violations": kept, "waived": waived, "decision": decide(kept)})
