"""Backtests as jobs (SPEC §10): compare the packs in force with changed parameters over the records in the
store between two dates; follow the job's progress and fetch its report. Reviewers and admins only."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from api.auth import Principal, require
from api.deps import EngineDep, SettingsDep, StoreDep
from api.errors import InputError
from api.schemas import COMMON_RESPONSES, AsOf, error_responses
from conduct_engine.backtest import job as backtest_jobs
from conduct_engine.backtest.overrides import ChangeError, parse_changes
from conduct_engine.backtest.report import render
from conduct_engine.dates import parse_date

router = APIRouter(prefix="/v1", tags=["backtests"], responses=COMMON_RESPONSES)
Reviewer = Annotated[Principal, Depends(require("reviewer"))]
_MEDIA = {"json": "application/json", "html": "text/html; charset=utf-8",
          "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
EXAMPLE: dict[str, Any] = {"from": "2026-01-01", "to": "2026-12-31",
                           "set": ["gift_keep_max_cny=1000", "BJ-001:gift_keep_max_cny=500"]}


def _day(value: Any) -> Any:
    """Only ``YYYY-MM-DD`` strings (no numbers, no timestamps)."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return parse_date(value)
        except ValueError:
            pass
    raise PydanticCustomError("date_format", "must be a date as YYYY-MM-DD, got {value}", {"value": repr(value)[:40]})


Day = Annotated[dt.date, BeforeValidator(_day)]


class BacktestRequestV1(BaseModel):
    """Body of ``POST /v1/backtests``: the stored records between two dates, and the changes to try."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, json_schema_extra={"examples": [EXAMPLE]})

    from_: Day = Field(alias="from", description="First record date (YYYY-MM-DD).")
    to: Day = Field(description="Last record date (YYYY-MM-DD).")
    set: list[str] = Field(min_length=1, description="Changes: PARAM=VALUE or BRANCH:PARAM=VALUE.")
    as_of: AsOf = Field(default=None, description="The day to check as of (default: `to`).")
    context: dict[str, Any] | None = Field(default=None, description="Reference data for joins (SPEC §3.3).")


def _job(settings: Any, job_id: str) -> Any:
    job = backtest_jobs.job_path(settings.data_dir, job_id)
    if job is None:
        raise HTTPException(404, f"No backtest {job_id!r}")
    return job


@router.post("/backtests", status_code=202, responses={
    202: {"description": "The backtest job was started"},
    **error_responses(429, s429="Too many backtest jobs running for this key, or in all")})
def create_backtest(req: Annotated[BacktestRequestV1, Body()], caller: Reviewer, settings: SettingsDep,
                    engine: EngineDep, store: StoreDep) -> dict[str, Any]:
    """Start a backtest job; returns its id and where to follow it."""
    if req.to < req.from_:
        raise InputError([{"loc": "to", "msg": f"to ({req.to}) is before from ({req.from_})", "type": "value_error"}])
    try:
        parse_changes(req.set, engine.packs)
    except ChangeError as exc:
        index = req.set.index(exc.loc) if exc.loc in req.set else 0
        raise InputError([{"loc": f"set.{index}", "msg": exc.message, "type": exc.code}]) from None
    running = backtest_jobs.active(settings.data_dir)
    mine = [s for s in running if s.get("owner") == caller.id]
    if len(mine) >= settings.max_backtest_jobs_per_key or len(running) >= settings.max_backtest_jobs:
        raise HTTPException(429, f"{len(mine)} of this key's backtests and {len(running)} in all are running (at "
                            f"most {settings.max_backtest_jobs_per_key} per key, {settings.max_backtest_jobs} in "
                            "all); try again when one is done", headers={"Retry-After": "10"})
    job_id = backtest_jobs.submit(settings.data_dir, store_url=store.db.url, rules_dir=str(settings.rules_dir),
                                  sets=req.set, start=req.from_, end=req.to, as_of=req.as_of, context=req.context,
                                  owner=caller.id)
    return {"id": job_id, "status": "queued", "links": {"self": f"/v1/backtests/{job_id}",
                                                         "report": f"/v1/backtests/{job_id}/report?format=html"}}


@router.get("/backtests/{backtest_id}")
def get_backtest(backtest_id: str, caller: Reviewer, settings: SettingsDep) -> dict[str, Any]:
    """A backtest's status and progress (records compared of total); its result once done."""
    return backtest_jobs.status(_job(settings, backtest_id))


@router.get("/backtests/{backtest_id}/report", response_class=Response, responses={
    200: {"description": "The report file", "content": {m: {} for m in _MEDIA.values()}},
    **error_responses(409, s409="The backtest is not done (yet), or it failed")})
def get_backtest_report(backtest_id: str, caller: Reviewer, settings: SettingsDep,
                        format: Annotated[str, Query(description="json, html or xlsx")] = "json") -> Response:
    """The finished backtest's report: json, html or xlsx."""
    if format not in _MEDIA:
        raise InputError([{"loc": "format", "msg": f"Unknown format {format!r}; use one of {', '.join(_MEDIA)}",
                           "type": "value_error"}])
    job = _job(settings, backtest_id)
    state = backtest_jobs.status(job)
    if state["status"] != "done":
        raise HTTPException(409, f"The backtest is {state['status']}" + (f": {state['error']}" if state.get("error")
                                                                         else "; try again when it is done"))
    return Response(render(state["result"], format), media_type=_MEDIA[format])
