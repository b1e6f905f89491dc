"""Wire types of the review-case endpoints (SPEC §9): request bodies and the case and report answers."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from conduct_engine.cases.lifecycle import ACTIONS, DISPOSITIONS

Disposition = Literal["substantiated", "not_substantiated", "waived"]
Action = Literal["returned", "handed_in", "declined", "training", "disciplinary_referral", "file_corrected"]
Verdict = Literal["true_positive", "false_positive"]
assert set(DISPOSITIONS) == set(Disposition.__args__) and set(ACTIONS) == set(Action.__args__)  # type: ignore[attr-defined]


class AssignV1(BaseModel):
    """Give the case to a reviewer, named by their API key's name."""

    model_config = ConfigDict(extra="forbid")
    assignee: str = Field(min_length=1, max_length=200)


class CommentV1(BaseModel):
    """A comment on the case."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=10_000)


class VerdictsV1(BaseModel):
    """Verdicts on findings, by rule id."""

    model_config = ConfigDict(extra="forbid")
    verdicts: dict[str, Verdict] = Field(min_length=1, max_length=200)


class CloseV1(BaseModel):
    """Close the case: a disposition and its reason (an action when substantiated, an expiry when waived)."""

    model_config = ConfigDict(extra="forbid")
    disposition: Disposition
    reason: str = Field(min_length=1, max_length=4000)
    action: Action | None = None
    waiver_expires: dt.date | None = None


class ReopenV1(BaseModel):
    """Reopen a closed case, saying why."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=4000)


class EmptyV1(BaseModel):
    """No fields (approve, acknowledge)."""

    model_config = ConfigDict(extra="forbid")


class FindingV1(BaseModel):
    """A finding of a case, with the reviewer's verdict."""

    rule_id: str
    standard: str
    severity: str
    message: dict[str, Any]
    verdict: Literal["unreviewed", "true_positive", "false_positive"]


class CaseCommentV1(BaseModel):
    """A comment: author (key name), time, text."""

    author: str
    at: str
    text: str


class CaseV1(BaseModel):
    """A review case with every field of SPEC §9."""

    id: str
    record_id: str
    decision_id: str
    kind: str
    subject: str | None
    branch: str | None
    decision: Literal["review", "block"]
    findings: list[FindingV1]
    status: Literal["open", "in_review", "awaiting_approval", "closed"]
    assignee: str | None
    opened_at: str
    opened_on: str
    due_on: str
    overdue: bool
    comments: list[CaseCommentV1]
    acknowledged_at: str | None
    disposition: dict[str, Any] | None
    pending_approval: dict[str, Any] | None
    closed_at: str | None
    updated_at: str


class CasePageV1(BaseModel):
    """One page of cases, newest first; pass ``next`` as ``cursor`` for the following page."""

    items: list[CaseV1]
    next: str | None
