"""The review-case state machine: who may do what to a case in which status, and what each action changes.

``open`` → (assign) ``in_review`` → (close) ``closed``; closing a ``block`` case as ``not_substantiated`` or
``waived`` goes to ``awaiting_approval`` until a second reviewer approves; (reopen) a closed case goes back to
``in_review``. Four eyes: nobody works a case whose subject they are. Each action returns a ``Change`` (with
its log event); a forbidden one raises :class:`CaseError` (403, 404, 409 or 422) and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from conduct_engine import error_codes
from conduct_engine.errors import ConductError
from conduct_engine.store.case_rows import Case, Change, Comment
from conduct_engine.store.database import now
from conduct_engine.store.decision_log import CaseEvent

DISPOSITIONS = ("substantiated", "not_substantiated", "waived")
ACTIONS = ("returned", "handed_in", "declined", "training", "disciplinary_referral", "file_corrected")
#: Roles that work cases (admins do everything).
WORKERS = ("reviewer", "admin")
#: Closes of a ``block`` case that need a second reviewer's approval.
FOUR_EYES = ("not_substantiated", "waived")


class CaseError(ConductError):
    """An action the case does not allow: ``status`` is the HTTP answer (403, 404, 409 or 422)."""

    def __init__(self, status: int, code: str, message: str, loc: str | None = None):
        self.status = status
        super().__init__(message, code=code, loc=loc)


@dataclass(frozen=True)
class Actor:
    """Who acts: the key's name (what cases and the log show), role, id and the employee it belongs to."""

    name: str
    role: str
    key_id: str
    employee_id: str | None = None

    def is_subject(self, case: Case) -> bool:
        """Whether the case is about this actor (their employee id, or a record their key submitted)."""
        return bool(self.employee_id and self.employee_id == case.subject) or self.key_id == case.submitted_by

    def can_see(self, case: Case) -> bool:
        """Submitters see only their own cases; every other role sees all."""
        return self.role != "submitter" or self.is_subject(case)


def _event(case: Case, name: str, actor: Actor, **data: Any) -> CaseEvent:
    return CaseEvent(name, case.id, actor.name, case.kind, case.record_id, case.subject, case.decision, data)


def _conflict(case: Case, action: str, why: str) -> CaseError:
    return CaseError(409, error_codes.CASE_TRANSITION, f"case {case.id} is {case.status}: cannot {action} ({why})")


def _worker(case: Case, actor: Actor) -> None:
    if actor.role not in WORKERS:
        raise CaseError(403, error_codes.FORBIDDEN, f"working a case needs the role reviewer; the key is a {actor.role}")
    if actor.is_subject(case):
        raise CaseError(403, error_codes.OWN_CASE, f"{actor.name} is the subject of case {case.id}: nobody reviews "
                        "a case about themselves")


def assign(case: Case, actor: Actor, assignee: str, assignee_is_subject: bool) -> Change:
    """Give the case to a reviewer (it goes ``in_review``)."""
    _worker(case, actor)
    if case.status not in ("open", "in_review"):
        raise _conflict(case, "assign", "only open or in-review cases are assigned")
    if assignee_is_subject:
        raise CaseError(403, error_codes.OWN_CASE, f"{assignee} is the subject of case {case.id}: assign another "
                        "reviewer")
    return Change(updates={"assignee": assignee, "status": "in_review"},
                  events=[_event(case, "assigned", actor, assignee=assignee, previous=case.assignee)])


def comment(case: Case, actor: Actor, text: str) -> Change:
    """Add a comment (reviewers on any case; the subject on their own)."""
    if not actor.is_subject(case):
        _worker(case, actor)
    return Change(comment=Comment(actor.name, now(), text), events=[_event(case, "commented", actor, text=text)])


def verdicts(case: Case, actor: Actor, given: Mapping[str, str]) -> Change:
    """Mark findings true or false positive (the case goes ``in_review``, assigned to the actor if no one)."""
    _worker(case, actor)
    if case.status not in ("open", "in_review"):
        raise _conflict(case, "change verdicts", "verdicts are given before the case is closed")
    unknown = sorted(r for r in given if case.finding(r) is None)
    if unknown:
        raise CaseError(422, error_codes.UNKNOWN_RULE, f"case {case.id} has no finding of {', '.join(unknown)}",
                        loc=f"verdicts.{unknown[0]}")
    return Change(updates={"status": "in_review", "assignee": case.assignee or actor.name}, verdicts=dict(given),
                  events=[_event(case, "verdict", actor, verdicts=dict(given))])


def close(case: Case, actor: Actor, disposition: str, reason: str, action: str | None,
          waiver_expires: dt.date | None, today: dt.date) -> Change:
    """Close the case with a disposition, or send it to ``awaiting_approval`` (a four-eyes close)."""
    _worker(case, actor)
    if case.status == "open":
        raise _conflict(case, "close", "assign it to a reviewer first")
    if case.status != "in_review":
        raise _conflict(case, "close", "only a case in review is closed")
    if disposition == "substantiated" and action not in ACTIONS:
        raise CaseError(422, error_codes.MISSING, f"a substantiated case needs an action: one of {', '.join(ACTIONS)}",
                        loc="action")
    if disposition == "not_substantiated":
        left = [f.rule_id for f in case.findings if f.verdict != "false_positive"]
        if left:
            raise _conflict(case, "close as not_substantiated", "mark every finding false_positive first; not yet: "
                            + ", ".join(left))
    if disposition == "waived":
        if waiver_expires is None:
            raise CaseError(422, error_codes.MISSING, "a waived case needs waiver_expires (YYYY-MM-DD)",
                            loc="waiver_expires")
        if waiver_expires <= today:
            raise CaseError(422, error_codes.VALUE_ERROR, f"waiver_expires must be after {today.isoformat()}",
                            loc="waiver_expires")
    proposal = {"disposition": disposition, "reason": reason, "action": action,
                "waiver_expires": waiver_expires.isoformat() if waiver_expires else None,
                "closed_by": actor.name, "closed_by_key": actor.key_id}
    if case.decision == "block" and disposition in FOUR_EYES:
        return Change(updates={"status": "awaiting_approval", "pending": {**proposal, "proposed_at": now().isoformat()}},
                      events=[_event(case, "closed", actor, status="awaiting_approval", **_public(proposal))])
    return _closed(case, actor, proposal, "closed")


def approve(case: Case, actor: Actor) -> Change:
    """A second reviewer approves a four-eyes close: the case is closed as proposed."""
    _worker(case, actor)
    if case.status != "awaiting_approval" or not case.pending:
        raise _conflict(case, "approve", "only a close awaiting approval is approved")
    if actor.key_id == case.pending.get("closed_by_key") or actor.name == case.pending.get("closed_by"):
        raise CaseError(403, error_codes.FOUR_EYES, f"{actor.name} proposed this close: a second reviewer approves it")
    proposal = {k: v for k, v in case.pending.items() if k != "proposed_at"}
    return _closed(case, actor, {**proposal, "approved_by": actor.name}, "approved")


def _closed(case: Case, actor: Actor, proposal: dict[str, Any], event: str) -> Change:
    disposition = _public(proposal)
    waivers = []
    if proposal["disposition"] == "waived":
        approver = proposal.get("approved_by") or proposal["closed_by"]
        kept = [f.rule_id for f in case.findings if f.verdict != "false_positive"] or [f.rule_id for f in case.findings]
        waivers = [{"rule_id": rule_id, "record_id": case.record_id, "reason": proposal["reason"],
                    "approver": approver, "expires_on": dt.date.fromisoformat(proposal["waiver_expires"]),
                    "created_by": actor.name} for rule_id in kept]
    return Change(updates={"status": "closed", "closed_at": now(), "pending": None, "disposition": disposition},
                  waivers=waivers, events=[_event(case, event, actor, status="closed", **disposition)])


def _public(proposal: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in proposal.items() if k != "closed_by_key"}


def reopen(case: Case, actor: Actor, reason: str) -> Change:
    """Reopen a closed case (back to ``in_review``), saying why."""
    _worker(case, actor)
    if case.status != "closed":
        raise _conflict(case, "reopen", "only a closed case is reopened")
    return Change(updates={"status": "in_review" if case.assignee else "open", "closed_at": None, "disposition": None,
                           "pending": None}, events=[_event(case, "reopened", actor, reason=reason)])


def acknowledge(case: Case, actor: Actor) -> Change:
    """The subject says they have read the case."""
    if not actor.is_subject(case):
        raise CaseError(403, error_codes.NOT_CASE_SUBJECT, f"only the subject of case {case.id} acknowledges it")
    if case.acknowledged_at is not None:
        raise _conflict(case, "acknowledge", f"already acknowledged at {case.acknowledged_at.isoformat()}")
    return Change(updates={"acknowledged_at": now()}, events=[_event(case, "acknowledged", actor)])


def act_as(cases: Any, case_id: str, actor: Actor, action: Callable[[Case, Actor], Change]) -> Case:
    """Apply ``action`` to a case as ``actor`` through the store's ``cases.act`` (one transaction); a case the
    actor may not see is refused as not found (CaseError 404), so its existence is not revealed."""

    def change(case: Case) -> Change:
        if not actor.can_see(case):
            raise CaseError(404, error_codes.CASE_NOT_FOUND, "")
        return action(case, actor)
    return cases.act(case_id, change)
