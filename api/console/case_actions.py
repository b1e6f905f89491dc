"""The case page's forms: assign to me, verdicts, comment, close, approve, reopen, acknowledge. Each is a POST
with the session's CSRF token, checked with the JSON API's request models and applied with the same lifecycle
calls; success goes back to the case page (303), a refusal shows the page again with the reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.case_schemas import CloseV1, CommentV1, ReopenV1, VerdictsV1
from api.console import csrf
from api.console.cases import show_case
from api.console.casework import Refusal, Refused, act, visible
from api.console.session import ConsoleError, ConsoleUser, current_user
from api.deps import OptionalStoreDep, SettingsDep
from conduct_engine.cases import lifecycle
from conduct_engine.dates import today
from conduct_engine.store import Case, Change, Store

router = APIRouter(prefix="/ui", include_in_schema=False)
User = Annotated[ConsoleUser, Depends(current_user)]
Action = Callable[[Case, lifecycle.Actor], Change]

#: a request model's field -> the console text of its error
_FIELD_TEXT = {"reason": "case.err.need_reason", "text": "case.err.need_text", "disposition": "case.err.need_disposition",
               "action": "case.err.need_action", "waiver_expires": "case.err.bad_date", "verdicts": "case.err.no_verdict"}


def _text(data: FormData, name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def _model(model: type[BaseModel], fields: dict[str, Any]) -> Any:
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else ""
        text = "case.err.too_long" if first["type"] == "string_too_long" else _FIELD_TEXT.get(name, "case.err.need_text")
        raise Refused(Refusal(422, text, {}, name)) from None


def _cases(store: Store | None, user: ConsoleUser) -> Store:
    if store is None:
        raise ConsoleError(404, "error.nostore", user)
    return store


async def _run(request: Request, case_id: str, user: ConsoleUser, store: Store | None, max_bytes: int, verb: str,
               build: Callable[[FormData, Store], Action]) -> Response:
    cases = _cases(store, user)
    data = await request.form(max_part_size=max_bytes)
    csrf.check(user, data)
    values = {k: v for k, v in data.items() if isinstance(v, str) and k != "csrf"}
    try:
        action = build(data, cases)
        await run_in_threadpool(act, cases, case_id, user, verb, action)
    except Refused as refused:
        case, actor = visible(cases, case_id, user)
        return show_case(request, user, cases, case, actor, refusal=refused.refusal, values=values)
    return RedirectResponse(f"/ui/cases/{case_id}?done={verb}", status_code=303)


@router.post("/cases/{case_id}/assign")
async def assign_me(request: Request, case_id: str, user: User, store: OptionalStoreDep,
                    settings: SettingsDep) -> Response:
    """Give the case to the signed-in reviewer."""
    def build(data: FormData, cases: Store) -> Action:
        keys = [k for k in cases.keys.active_named(user.name) if k.role in lifecycle.WORKERS]
        if not keys:
            raise Refused(Refusal(422, "case.err.no_reviewer", {"name": user.name}))
        return lambda case, actor: lifecycle.assign(
            case, actor, user.name, any(k.employee_id and k.employee_id == case.subject for k in keys))
    return await _run(request, case_id, user, store, settings.max_body_bytes, "assign", build)


@router.post("/cases/{case_id}/verdicts")
async def set_verdicts(request: Request, case_id: str, user: User, store: OptionalStoreDep,
                       settings: SettingsDep) -> Response:
    """Verdicts on the findings (fields ``verdict.<rule id>``; empty: unchanged)."""
    def build(data: FormData, cases: Store) -> Action:
        given = {k.removeprefix("verdict."): v for k, v in data.items()
                 if k.startswith("verdict.") and isinstance(v, str) and v}
        body = _model(VerdictsV1, {"verdicts": given})
        return lambda case, actor: lifecycle.verdicts(case, actor, body.verdicts)
    return await _run(request, case_id, user, store, settings.max_body_bytes, "verdicts", build)


@router.post("/cases/{case_id}/comments")
async def add_comment(request: Request, case_id: str, user: User, store: OptionalStoreDep,
                      settings: SettingsDep) -> Response:
    """Comment on the case (reviewers; the subject on its own case)."""
    def build(data: FormData, cases: Store) -> Action:
        body = _model(CommentV1, {"text": _text(data, "text")})
        return lambda case, actor: lifecycle.comment(case, actor, body.text)
    return await _run(request, case_id, user, store, settings.max_body_bytes, "comment", build)


@router.post("/cases/{case_id}/close")
async def close(request: Request, case_id: str, user: User, store: OptionalStoreDep,
                settings: SettingsDep) -> Response:
    """Close with a disposition (a four-eyes close waits for a second reviewer)."""
    def build(data: FormData, cases: Store) -> Action:
        fields = {"disposition": _text(data, "disposition"), "reason": _text(data, "reason"),
                  "action": _text(data, "action") or None, "waiver_expires": _text(data, "waiver_expires") or None}
        body = _model(CloseV1, fields)
        day = today()
        return lambda case, actor: lifecycle.close(case, actor, body.disposition, body.reason, body.action,
                                                   body.waiver_expires, day)
    return await _run(request, case_id, user, store, settings.max_body_bytes, "close", build)


@router.post("/cases/{case_id}/approve")
async def approve(request: Request, case_id: str, user: User, store: OptionalStoreDep,
                  settings: SettingsDep) -> Response:
    """A second reviewer approves a close awaiting approval."""
    return await _run(request, case_id, user, store, settings.max_body_bytes, "approve",
                      lambda data, cases: lifecycle.approve)


@router.post("/cases/{case_id}/reopen")
async def reopen(request: Request, case_id: str, user: User, store: OptionalStoreDep,
                 settings: SettingsDep) -> Response:
    """Reopen a closed case, saying why."""
    def build(data: FormData, cases: Store) -> Action:
        body = _model(ReopenV1, {"reason": _text(data, "reason")})
        return lambda case, actor: lifecycle.reopen(case, actor, body.reason)
    return await _run(request, case_id, user, store, settings.max_body_bytes, "reopen", build)


@router.post("/cases/{case_id}/acknowledge")
async def acknowledge(request: Request, case_id: str, user: User, store: OptionalStoreDep,
                      settings: SettingsDep) -> Response:
    """The case's subject acknowledges having read it."""
    return await _run(request, case_id, user, store, settings.max_body_bytes, "acknowledge",
                      lambda data, cases: lifecycle.acknowledge)
