"""Reading the decision log: submitters see their own decisions, reviewers, auditors and admins all of them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query

from api.auth import Principal, require
from api.deps import StoreDep
from api.schemas import COMMON_RESPONSES

router = APIRouter(prefix="/v1", tags=["decisions"], responses=COMMON_RESPONSES)
Caller = Annotated[Principal, Depends(require("submitter", "reviewer", "auditor"))]


@router.get("/decisions/{decision_id}")
def get_decision(decision_id: str, caller: Caller, store: StoreDep) -> dict[str, Any]:
    """One logged decision: the result and its log entry (a submitter only sees its own)."""
    entry = store.log.get(decision_id)
    if entry is None or (not caller.can_read_all() and entry.actor != caller.id):
        raise HTTPException(404, f"No decision {decision_id!r} visible to this key")
    return entry.to_dict()


@router.get("/decisions")
def list_decisions(caller: Caller, store: StoreDep,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    """The latest decisions, newest first (a submitter's own only)."""
    actor = None if caller.can_read_all() else caller.id
    return {"decisions": [e.to_dict() for e in store.log.latest(actor=actor, limit=limit)]}


@router.get("/audit/head")
def head(caller: Annotated[Principal, Depends(require("auditor"))], store: StoreDep) -> dict[str, Any]:
    """The decision log's head (seq, hash, time): record it outside this server, then pass such anchors to
    ``conduct-check audit verify --anchors`` to detect entries cut off the end of the log."""
    return store.log.head().to_dict()


@router.get("/audit/verify")
def verify(caller: Annotated[Principal, Depends(require("auditor"))], store: StoreDep,
           events: bool = False) -> dict[str, Any]:
    """Walk the decision-log hash chain and report the first broken entry, if any (``events=true``: also list
    the review-case events walked)."""
    report = store.log.verify()
    body: dict[str, Any] = {"ok": report.ok, "entries": report.entries, "problem": report.problem, "seq": report.seq}
    if events:
        body["case_events"] = [e.to_dict() for e in report.events]
    return body
