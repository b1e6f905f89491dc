"""Checking records: one, or a batch of independent ones (a check stores nothing)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.auth import Principal, require
from api.deps import ServiceDep, SettingsDep
from api.errors import InputError, error_response, prefixed
from api.schemas import (
    BATCH_EXAMPLE,
    CHECK_EXAMPLE,
    COMMON_RESPONSES,
    BatchCheckRequestV1,
    BatchResultV1,
    CheckRequestV1,
    ResultV1,
)
from conduct_engine import error_codes
from conduct_engine.errors import RecordError
from conduct_engine.records import Context, parse_context
from conduct_engine.service import Checked, CheckService

router = APIRouter(prefix="/v1", tags=["check"], responses=COMMON_RESPONSES)
_CHECK_EXAMPLES = {"shopping_card_gift": {"summary": "A shopping-card gift (blocked)",
                                          "value": CHECK_EXAMPLE}}
_BATCH_EXAMPLES = {"two_gifts": {"summary": "A shopping card and a small gift", "value": BATCH_EXAMPLE}}
CheckBody = Annotated[CheckRequestV1, Body(openapi_examples=_CHECK_EXAMPLES)]
BatchBody = Annotated[BatchCheckRequestV1, Body(openapi_examples=_BATCH_EXAMPLES)]
#: Who may check (``api.fast_check`` admits the same)
CHECK_ROLES = ("submitter", "auditor")
Caller = Annotated[Principal, Depends(require(*CHECK_ROLES))]


@router.post("/check", response_model=ResultV1)
async def check(req: CheckBody, caller: Caller, service: ServiceDep) -> Response:
    """Check one record and return its result; the record joins the history unless ``dry_run``.

    Async: one record is evaluated on the event loop and the commit awaited there (no worker thread)."""
    return await check_one(req, caller, service)


async def check_one(req: CheckRequestV1, caller: Principal, service: CheckService) -> Response:
    """What ``POST /v1/check`` does once its caller is admitted and its body valid."""
    checked = decide_one(req, caller, service)
    return answer((await service.record_async(checked))[0])


def decide_one(req: CheckRequestV1, caller: Principal, service: CheckService) -> Checked:
    """Evaluate the request's record (nothing stored yet); InputError for a bad record or context."""
    _context(req.context, req.lenient)
    try:
        return service.decide_one(req.record, context=req.context, as_of=req.as_of, dry_run=req.dry_run,
                                  lenient=req.lenient, actor=caller.id, actor_name=caller.name)
    except RecordError as exc:
        raise InputError(prefixed(exc.errors, "record")) from None


def answer(result: ResultV1) -> Response:
    """The answer to a check: its result."""
    return _json(result)


@router.post("/check/batch", response_model=BatchResultV1)
async def check_batch(req: BatchBody, settings: SettingsDep, caller: Caller, service: ServiceDep) -> Response:
    """Check several records, each on its own; results come back in request order.

    The records are evaluated in a worker thread (a batch can take a while), the commit awaited on the loop."""
    if len(req.records) > settings.max_batch:
        return error_response(413, error_codes.BATCH_TOO_LARGE, (
            f"Batch of {len(req.records)} records exceeds the limit of {settings.max_batch} per request; "
            "split it into smaller batches"))
    _context(req.context, req.lenient)
    try:
        checked = await run_in_threadpool(partial(service.decide, req.records, context=req.context, as_of=req.as_of,
                                                  dry_run=req.dry_run, lenient=req.lenient, actor=caller.id,
                                                  actor_name=caller.name))
    except RecordError as exc:
        raise InputError(prefixed(exc.errors, "records")) from None
    return _json(BatchResultV1(results=await service.record_async(checked)))


def _json(model: ResultV1 | BatchResultV1) -> Response:
    """The answer, serialised once by pydantic: the model already is the documented response model, so
    FastAPI's re-validation and re-encoding of it (a third of a millisecond per result) is skipped."""
    return Response(model.model_dump_json(), media_type="application/json")


def _context(data: dict[str, Any] | None, lenient: bool) -> Context | None:
    """Parse the request's reference data, reporting its errors under ``context.``."""
    if data is None:
        return None
    try:
        return parse_context(data, lenient=lenient)
    except RecordError as exc:
        raise InputError(prefixed(exc.errors, "context")) from None
