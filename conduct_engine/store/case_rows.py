"""Typed rows of the review cases (SPEC §9): a case with its findings and comments, what opens one, a change."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from conduct_engine.store.decision_log import CaseEvent

#: Case statuses, in their usual order.
STATUSES = ("open", "in_review", "awaiting_approval", "closed")
#: A finding's verdicts.
VERDICTS = ("unreviewed", "true_positive", "false_positive")


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class Finding:
    """One item of a case: a violation of the decision and the reviewer's verdict on it."""

    rule_id: str
    standard: str
    severity: str
    message: dict
    verdict: str = "unreviewed"

    def to_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready data."""
        return {"rule_id": self.rule_id, "standard": self.standard, "severity": self.severity,
                "message": self.message, "verdict": self.verdict}


@dataclass(frozen=True)
class Comment:
    """A comment on a case."""

    author: str
    at: dt.datetime
    text: str

    def to_dict(self) -> dict[str, Any]:
        """The comment as JSON-ready data."""
        return {"author": self.author, "at": self.at.isoformat(), "text": self.text}


@dataclass(frozen=True)
class Case:
    """A stored review case: one per record whose stored decision was ``review`` or ``block``."""

    seq: int
    id: str
    kind: str
    record_id: str
    decision_id: str
    subject: str | None
    branch: str | None
    decision: str
    status: str
    assignee: str | None
    submitted_by: str | None
    opened_at: dt.datetime
    opened_on: dt.date
    due_on: dt.date
    updated_at: dt.datetime
    closed_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    disposition: dict | None
    pending: dict | None
    findings: tuple[Finding, ...] = ()
    comments: tuple[Comment, ...] = ()

    def overdue(self, today: dt.date) -> bool:
        """Not closed and past its due date."""
        return self.status != "closed" and self.due_on < today

    def finding(self, rule_id: str) -> Finding | None:
        """The finding of a rule, or None."""
        return next((f for f in self.findings if f.rule_id == rule_id), None)

    def to_dict(self, today: dt.date) -> dict[str, Any]:
        """The case as JSON-ready data, as the API shows it (``overdue`` as of ``today``)."""
        return {"id": self.id, "record_id": self.record_id, "decision_id": self.decision_id, "kind": self.kind,
                "subject": self.subject, "branch": self.branch, "decision": self.decision,
                "findings": [f.to_dict() for f in self.findings], "status": self.status,
                "assignee": self.assignee, "opened_at": self.opened_at.isoformat(),
                "opened_on": self.opened_on.isoformat(), "due_on": self.due_on.isoformat(),
                "overdue": self.overdue(today), "comments": [c.to_dict() for c in self.comments],
                "acknowledged_at": _iso(self.acknowledged_at), "disposition": self.disposition,
                "pending_approval": ({k: v for k, v in self.pending.items() if k != "closed_by_key"}
                                     if self.pending else None), "closed_at": _iso(self.closed_at),
                "updated_at": self.updated_at.isoformat()}


@dataclass(frozen=True)
class CaseInput:
    """A stored decision that needs a case: the result (JSON-ready) and the case's people, day and SLA."""

    result: dict
    subject: str | None
    branch: str | None
    submitted_by: str | None
    actor: str | None
    opened_on: dt.date
    due_on: dt.date


@dataclass
class Change:
    """What one action does to a case: column updates, verdicts, a comment, waivers to grant, log events.

    ``waivers`` are keyword arguments of ``Waivers.add``; their ids are added to the disposition.
    """

    updates: dict[str, Any] = field(default_factory=dict)
    verdicts: dict[str, str] = field(default_factory=dict)
    comment: Comment | None = None
    waivers: list[dict[str, Any]] = field(default_factory=list)
    events: list[CaseEvent] = field(default_factory=list)


@dataclass(frozen=True)
class CaseQuery:
    """Filters of a case listing (all optional), its page, and who may see what."""

    status: str | None = None
    assignee: str | None = None
    standard: str | None = None
    branch: str | None = None
    subject: str | None = None
    record_id: str | None = None
    overdue: bool | None = None
    opened_from: dt.date | None = None
    opened_to: dt.date | None = None
    today: dt.date = field(default_factory=dt.date.today)
    #: only cases whose subject is this employee or that this key submitted (a submitter's view)
    own_employee: str | None = None
    own_key: str | None = None
    own_only: bool = False
    limit: int = 50
    cursor: int | None = None
