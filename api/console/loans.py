"""**Loan-file check**: upload (or paste) a loan due-diligence file; it is checked without being registered
(a pre-submission question) and answered with one checklist of everything missing, by step and module."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.console import i18n, menu
from api.console.decisions import show_result
from api.console.declare import read_posted_json, unwrap
from api.console.render import page
from api.console.session import ConsoleUser, page_user
from api.deps import EngineDep, ServiceDep, SettingsDep
from conduct_engine.errors import RecordError

ENTRY = menu.add("loans", "/ui/loan-check", {"submitter"}, 30)
router = APIRouter(prefix="/ui", include_in_schema=False)
User = Annotated[ConsoleUser, Depends(page_user(ENTRY))]

i18n.add({
    "menu.loans": ("贷款档案检查", "Loan-file check"),
    "loans.title": ("贷款尽职调查档案提交前检查", "Pre-submission check of a loan due-diligence file"),
    "loans.intro": ("上传档案（JSON），立即看到缺少的材料、步骤、访谈和调查模块。检查不会登记该档案。",
                    "Upload the file (JSON) and see every missing material, step, interview and module. "
                    "The check does not register the file."),
    "loans.file": ("档案文件（JSON）", "Loan file (JSON)"),
    "loans.paste": ("或粘贴档案内容", "or paste its content"),
    "loans.not_loan_file": ("这不是贷款档案（kind 应为 loan_file）", "This is not a loan file (kind must be loan_file)"),
})


def _form(request: Request, user: ConsoleUser, *, values: dict[str, Any] | None = None,
          errors: list[dict[str, Any]] | None = None, status: int = 200) -> Response:
    return page(request, "loans.html", user, status=status, values=values or {}, errors=errors or [])


@router.get("/loan-check")
def loan_form(request: Request, user: User) -> Response:
    """The upload form."""
    return _form(request, user)


@router.post("/loan-check")
async def loan_check(request: Request, user: User, service: ServiceDep, engine: EngineDep,
                     settings: SettingsDep) -> Response:
    """Check the uploaded file (a dry run: logged, not registered) and show its checklist."""
    values, value, errors = await read_posted_json(request, user, settings)
    record, as_of = unwrap(value)
    if not errors and not (isinstance(record, dict) and record.get("kind") == "loan_file"):
        errors = [{"loc": "record", "msg": "This is not a loan file (kind must be loan_file)", "type": "value_error",
                   "text": "loans.not_loan_file"}]
    if errors:
        return _form(request, user, values=values, errors=errors, status=422)
    try:
        result = await run_in_threadpool(lambda: service.check(record, as_of=as_of, dry_run=True, actor=user.key_id,
                                                               channel="ui"))
    except RecordError as exc:
        return _form(request, user, values=values, status=422,
                     errors=[{**e, "loc": "record", "where": e["loc"]} for e in exc.errors])
    if service.store is not None:
        return RedirectResponse(f"/ui/decisions/{result.decision_id}", status_code=303)
    return show_result(request, user, engine, result.model_dump(mode="json"), None, record)
