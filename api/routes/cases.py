"""Review cases (SPEC §9): list and read them, and work them through their life.

Reviewers (and admins) work every case but their own; auditors read; a submitter reads, comments on and
acknowledges only the cases whose subject it is (other cases are a 404 to it). A forbidden transition is a
409, acting on one's own case a 403; every action is a case event in the decision log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import JSONResponse

from api.auth import Principal, require
from api.case_schemas import AssignV1, CasePageV1, CaseV1, CloseV1, CommentV1, EmptyV1, ReopenV1, VerdictsV1
from api.deps import SettingsDep, StoreDep
from api.errors import InputError
from api.schemas import COMMON_RESPONSES, AsOf, error_responses
from conduct_engine import error_codes
from conduct_engine.cases import lifecycle
from conduct_engine.cases.lifecycle import Actor, CaseError, act_as
from conduct_engine.cases.quality import rule_quality
from conduct_engine.dates import today
from conduct_engine.store import Case, CaseNotFound, CaseQuery, Change, Store

router = APIRouter(prefix="/v1", tags=["cases"], responses=COMMON_RESPONSES)
Reader = Annotated[Principal, Depends(require("submitter", "reviewer", "auditor"))]
Worker = Annotated[Principal, Depends(require("reviewer"))]
Subject = Annotated[Principal, Depends(require("submitter", "reviewer"))]
Analyst = Annotated[Principal, Depends(require("reviewer", "auditor"))]
_ACTION_RESPONSES = error_responses(409, s409="The case's status does not allow this (the reason is given)")
_STATUS = Literal["open", "in_review", "awaiting_approval", "closed"]


class CaseHTTPError(HTTPException):
    """An HTTP error carrying its own stable code."""

    def __init__(self, status: int, code: str, detail: str):
        super().__init__(status, detail)
        self.code = code


def _actor(caller: Principal) -> Actor:
    return Actor(caller.name, caller.role, caller.id, caller.employee_id)


def _not_found(case_id: str) -> CaseHTTPError:
    return CaseHTTPError(404, error_codes.CASE_NOT_FOUND, f"No case {case_id!r} visible to this key")


def _act(store: Store, case_id: str, caller: Principal, action: Callable[[Case, Actor], Change]) -> Case:
    try:
        return act_as(store.cases, case_id, _actor(caller), action)
    except CaseNotFound:
        raise _not_found(case_id) from None
    except CaseError as exc:
        if exc.status == 404:
            raise _not_found(case_id) from None
        if exc.status == 422:
            raise InputError([{"loc": exc.loc or "body", "msg": exc.message, "type": exc.code}]) from None
        raise CaseHTTPError(exc.status, exc.code, exc.message) from None


def _shown(case: Case, status: int = 200) -> JSONResponse:
    return JSONResponse(case.to_dict(today()), status_code=status)


@router.get("/cases", response_model=CasePageV1)
def list_cases(caller: Reader, store: StoreDep, status: _STATUS | None = None, assignee: str | None = None,
               standard: str | None = None, branch: str | None = None, subject: str | None = None,
               overdue: bool | None = None, record_id: str | None = None,
               opened_from: Annotated[AsOf, Query(alias="from")] = None,
               opened_to: Annotated[AsOf, Query(alias="to")] = None,
               as_of: Annotated[AsOf, Query(description="The day `overdue` is judged on (default "
                                                "today in Asia/Shanghai)")] = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 50,
               cursor: Annotated[str | None, Query(pattern=r"^\d{1,18}$")] = None) -> dict[str, Any]:
    """Cases matching the filters, newest first, one page at a time (a submitter's own only)."""
    day = as_of or today()
    query = CaseQuery(status=status, assignee=assignee, standard=standard, branch=branch, subject=subject,
                      overdue=overdue, record_id=record_id, opened_from=opened_from, opened_to=opened_to, today=day,
                      own_only=caller.role == "submitter", own_employee=caller.employee_id, own_key=caller.id,
                      limit=limit, cursor=int(cursor) if cursor else None)
    page, following = store.cases.page(query)
    return {"items": [c.to_dict(day) for c in page], "next": str(following) if following is not None else None}


def quality_report(store: Store, min_precision: float, opened_from: dt.date | None, opened_to: dt.date | None,
             as_of: dt.date | None) -> dict[str, Any]:
    """The rule-quality report as the API answers it (the console's report page shows the same)."""
    day = as_of or today()
    cases = store.cases.all(CaseQuery(opened_from=opened_from, opened_to=opened_to, today=day))
    return rule_quality(cases, today=day, min_precision=min_precision, opened_from=opened_from,
                        opened_to=opened_to).to_dict()


@router.get("/reports/rule-quality")
def rule_quality_report(caller: Analyst, store: StoreDep, settings: SettingsDep,
                        opened_from: Annotated[AsOf, Query(alias="from")] = None,
                        opened_to: Annotated[AsOf, Query(alias="to")] = None,
                        min_precision: Annotated[float | None, Query(ge=0, le=1)] = None,
                        as_of: AsOf = None) -> dict[str, Any]:
    """Per rule: cases, true and false positives, precision, median days to close, overdue; tuning candidates
    are the rules under the minimum precision (default the setting ``case_min_precision``)."""
    chosen = settings.case_min_precision if min_precision is None else min_precision
    return quality_report(store, chosen, opened_from, opened_to, as_of)


@router.get("/cases/quality")
def cases_quality(caller: Analyst, store: StoreDep, settings: SettingsDep,
                  opened_from: Annotated[AsOf, Query(alias="from")] = None,
                  opened_to: Annotated[AsOf, Query(alias="to")] = None,
                  min_precision: Annotated[float | None, Query(ge=0, le=1)] = None,
                  as_of: AsOf = None) -> dict[str, Any]:
    """The rule-quality report (the same as ``GET /v1/reports/rule-quality``)."""
    chosen = settings.case_min_precision if min_precision is None else min_precision
    return quality_report(store, chosen, opened_from, opened_to, as_of)


@router.get("/cases/{case_id}", response_model=CaseV1)
def get_case(case_id: str, caller: Reader, store: StoreDep) -> JSONResponse:
    """One case with its findings, comments and disposition."""
    case = store.cases.get(case_id)
    if case is None or not _actor(caller).can_see(case):
        raise _not_found(case_id)
    return _shown(case)


@router.post("/cases/{case_id}/assign", response_model=CaseV1, responses=_ACTION_RESPONSES)
def assign(case_id: str, body: AssignV1, caller: Worker, store: StoreDep) -> JSONResponse:
    """Give the case to a reviewer (a key name of role reviewer or admin, not the case's subject)."""
    keys = [k for k in store.keys.active_named(body.assignee) if k.role in lifecycle.WORKERS]
    if not keys:
        raise InputError([{"loc": "assignee", "msg": f"no active reviewer key named {body.assignee!r}",
                           "type": error_codes.VALUE_ERROR}])
    return _shown(_act(store, case_id, caller, lambda case, actor: lifecycle.assign(
        case, actor, body.assignee, any(k.employee_id and k.employee_id == case.subject for k in keys))))


@router.post("/cases/{case_id}/comments", response_model=CaseV1, status_code=201, responses=_ACTION_RESPONSES)
def add_comment(case_id: str, body: CommentV1, caller: Subject, store: StoreDep) -> JSONResponse:
    """Comment on the case (reviewers; the subject on their own case)."""
    return _shown(_act(store, case_id, caller, lambda case, actor: lifecycle.comment(case, actor, body.text)), 201)


@router.post("/cases/{case_id}/verdicts", response_model=CaseV1, responses=_ACTION_RESPONSES)
def set_verdicts(case_id: str, body: VerdictsV1, caller: Worker, store: StoreDep) -> JSONResponse:
    """Mark findings true or false positive."""
    return _shown(_act(store, case_id, caller, lambda case, actor: lifecycle.verdicts(case, actor, body.verdicts)))


@router.post("/cases/{case_id}/close", response_model=CaseV1, responses={
    **_ACTION_RESPONSES, 202: {"model": CaseV1, "description": "Awaiting a second reviewer's approval"}})
def close(case_id: str, body: CloseV1, caller: Worker, store: StoreDep) -> JSONResponse:
    """Close the case (200), or, for a ``block`` case closed ``not_substantiated`` or ``waived``, send it for a
    second reviewer's approval (202, ``status: awaiting_approval``)."""
    day = today()
    case = _act(store, case_id, caller, lambda c, actor: lifecycle.close(
        c, actor, body.disposition, body.reason, body.action, body.waiver_expires, day))
    return _shown(case, 202 if case.status == "awaiting_approval" else 200)


@router.post("/cases/{case_id}/approve", response_model=CaseV1, responses=_ACTION_RESPONSES)
def approve(case_id: str, caller: Worker, store: StoreDep, body: EmptyV1 | None = None) -> JSONResponse:
    """A second reviewer approves a close awaiting approval: the case is closed (a waiver granted if waived)."""
    return _shown(_act(store, case_id, caller, lifecycle.approve))


@router.post("/cases/{case_id}/reopen", response_model=CaseV1, responses=_ACTION_RESPONSES)
def reopen(case_id: str, body: ReopenV1, caller: Worker, store: StoreDep) -> JSONResponse:
    """Reopen a closed case (back to review), saying why."""
    return _shown(_act(store, case_id, caller, lambda case, actor: lifecycle.reopen(case, actor, body.reason)))


@router.post("/cases/{case_id}/acknowledge", response_model=CaseV1, responses=_ACTION_RESPONSES)
def acknowledge(case_id: str, caller: Subject, store: StoreDep, body: EmptyV1 | None = None) -> JSONResponse:
    """The case's subject acknowledges having read it."""
    return _shown(_act(store, case_id, caller, lifecycle.acknowledge))
