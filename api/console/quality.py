"""The **rule-quality report** (reviewers, auditors, admins): per rule, its cases, true and false positives,
precision, median days to close and overdue cases, with the tuning candidates — the figures of
``GET /v1/reports/rule-quality`` (the same function), for a window of opening days."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.console import i18n, menu
from api.console.render import page
from api.console.session import ConsoleError, ConsoleUser, page_user
from api.deps import OptionalStoreDep, SettingsDep
from api.routes.cases import quality_report

ENTRY = menu.add("quality", "/ui/reports/rule-quality", {"reviewer", "auditor"}, 45)
router = APIRouter(prefix="/ui", include_in_schema=False)
User = Annotated[ConsoleUser, Depends(page_user(ENTRY))]

i18n.add({
    "menu.quality": ("规则质量", "Rule quality"),
    "quality.title": ("规则质量报告", "Rule-quality report"),
    "quality.intro": ("按开案日期统计每条规则的案件与审核结论；精确率低于 {p} 的规则列为待调优。",
                      "Per rule, the cases opened in the window and their verdicts; rules under a precision of {p} "
                      "are the tuning candidates."),
    "quality.from": ("开案日期自", "Opened from"),
    "quality.to": ("开案日期至", "Opened to"),
    "quality.show": ("查看", "Show"),
    "quality.bad_date": ("日期格式应为 YYYY-MM-DD", "Dates must be YYYY-MM-DD"),
    "quality.cases": ("案件数", "Cases"),
    "quality.tp": ("属实", "True positives"),
    "quality.fp": ("误报", "False positives"),
    "quality.unreviewed": ("未审核", "Unreviewed"),
    "quality.precision": ("精确率", "Precision"),
    "quality.median": ("结案中位天数", "Median days to close"),
    "quality.overdue": ("逾期案件", "Overdue"),
    "quality.candidates": ("待调优的规则", "Tuning candidates"),
    "quality.no_candidates": ("没有精确率过低的规则。", "No rule is under the minimum precision."),
    "quality.none": ("此期间没有案件。", "No cases in this window."),
})


def _day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        raise ValueError(value) from None


@router.get("/reports/rule-quality")
async def rule_quality_page(request: Request, user: User, store: OptionalStoreDep, settings: SettingsDep,
                            opened_from: Annotated[str, Query(alias="from", max_length=10)] = "",
                            opened_to: Annotated[str, Query(alias="to", max_length=10)] = "") -> Response:
    """The report as a table (the same figures as the JSON report)."""
    if store is None:
        raise ConsoleError(404, "error.nostore", user)
    values = {"from": opened_from, "to": opened_to}
    try:
        start, end = _day(opened_from), _day(opened_to)
    except ValueError:
        return page(request, "quality.html", user, status=422, report=None, values=values, bad=True)
    report = await run_in_threadpool(quality_report, store, settings.case_min_precision, start, end, None)
    return page(request, "quality.html", user, report=report, values=values, bad=False)
