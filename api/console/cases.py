"""The **case queue** (reviewers, auditors, admins: filters, overdue first within a page, one page at a time) and
the **case page** (a case's record, findings with verdicts, comments and the actions its status allows); a
submitter opens only its own cases (from "My declarations", which shows each declaration's case)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.console import i18n, menu, panels
from api.console.casework import Refusal, visible
from api.console.render import page
from api.console.session import ConsoleError, ConsoleUser, current_user, page_user
from api.deps import OptionalStoreDep
from conduct_engine.cases.lifecycle import ACTIONS, DISPOSITIONS, WORKERS, Actor
from conduct_engine.dates import today
from conduct_engine.store import Case, CaseQuery, Store
from conduct_engine.store.case_rows import STATUSES

ENTRY = menu.add("cases", "/ui/cases", {"reviewer", "auditor"}, 40)
router = APIRouter(prefix="/ui", include_in_schema=False)
Queue = Annotated[ConsoleUser, Depends(page_user(ENTRY))]
User = Annotated[ConsoleUser, Depends(current_user)]
PAGE_SIZE = 25

i18n.add({
    "menu.cases": ("案件队列", "Case queue"),
    "cases.title": ("审核案件队列", "Review case queue"),
    "cases.intro": ("每页中逾期案件排在前面，其余按最新在前。", "Overdue cases first on each page, then newest first."),
    "cases.filter": ("筛选", "Filter"),
    "cases.any": ("全部", "any"),
    "cases.overdue_only": ("只看逾期", "Overdue only"),
    "cases.mine": ("只看分派给我的", "Assigned to me"),
    "cases.none": ("没有符合条件的案件。", "No cases match."),
    "cases.next": ("下一页", "Next page"),
    "cases.first": ("第一页", "First page"),
    "case.title": ("案件", "Case"),
    "case.id": ("案件编号", "Case"),
    "case.status": ("状态", "Status"),
    "case.status.open": ("待处理", "open"),
    "case.status.in_review": ("审核中", "in review"),
    "case.status.awaiting_approval": ("待复核批准", "awaiting approval"),
    "case.status.closed": ("已结案", "closed"),
    "case.subject": ("当事人", "Subject"),
    "case.branch": ("机构", "Branch"),
    "case.assignee": ("经办人", "Assignee"),
    "case.nobody": ("未分派", "unassigned"),
    "case.opened": ("开案日期", "Opened"),
    "case.due": ("到期日", "Due"),
    "case.overdue": ("已逾期", "overdue"),
    "case.acknowledged": ("当事人确认已阅", "Acknowledged by the subject"),
    "case.decision_link": ("查看决定", "Open the decision"),
    "case.disposition": ("结案结论", "Disposition"),
    "case.pending": ("待批准的结案", "Close awaiting approval"),
    "case.by": ("提出人", "proposed by"),
    "case.findings": ("问题与结论", "Findings and verdicts"),
    "case.verdict": ("结论", "Verdict"),
    "case.verdict.unreviewed": ("未审核", "unreviewed"),
    "case.verdict.true_positive": ("属实", "true positive"),
    "case.verdict.false_positive": ("误报", "false positive"),
    "case.verdicts.save": ("保存结论", "Save verdicts"),
    "case.comments": ("评论", "Comments"),
    "case.no_comments": ("还没有评论。", "No comments yet."),
    "case.comment": ("评论内容", "Comment"),
    "case.comment.add": ("添加评论", "Add comment"),
    "case.work": ("处理案件", "Work the case"),
    "case.assign_me": ("分派给我", "Assign to me"),
    "case.close": ("结案", "Close the case"),
    "case.reason": ("理由", "Reason"),
    "case.action": ("处理措施", "Action"),
    "case.waiver_expires": ("豁免到期日", "Waiver expires on"),
    "case.waiver_hint": ("仅在“豁免”时填写。", "Only for a waiver."),
    "case.action_hint": ("“问题成立”时必选。", "Required when substantiated."),
    "case.four_eyes_hint": ("“禁止”案件以“不成立”或“豁免”结案，须另一位审核员批准。",
                            "A block case closed as not substantiated or waived needs a second reviewer's approval."),
    "case.approve": ("批准结案", "Approve the close"),
    "case.reopen": ("重新打开", "Reopen"),
    "case.acknowledge": ("确认已阅", "Acknowledge"),
    "case.ack_intro": ("您是此案件的当事人：请阅读后确认。", "This case is about you: read it, then acknowledge it."),
    "case.own_note": ("四眼原则：您是此案件的当事人，不能处理此案件。",
                      "Four eyes: you are this case's subject and may not work it."),
    "case.done": ("已保存。", "Saved."),
    "case.unset": ("（不变）", "(no change)"),
    **{f"case.disposition.{d}": p for d, p in {
        "substantiated": ("问题成立", "substantiated"), "not_substantiated": ("不成立", "not substantiated"),
        "waived": ("豁免", "waived")}.items()},
    **{f"case.action.{a}": p for a, p in {
        "returned": ("已退还", "returned"), "handed_in": ("已上交", "handed in"), "declined": ("已拒收", "declined"),
        "training": ("培训", "training"), "disciplinary_referral": ("移交纪律处分", "disciplinary referral"),
        "file_corrected": ("档案已补正", "file corrected")}.items()},
})


def _store(store: Store | None, user: ConsoleUser) -> Store:
    if store is None:
        raise ConsoleError(404, "error.nostore", user)
    return store


@router.get("/cases")
def case_queue(request: Request, user: Queue, store: OptionalStoreDep,
               status: Annotated[str, Query(max_length=40)] = "", overdue: Annotated[str, Query(max_length=5)] = "",
               mine: Annotated[str, Query(max_length=5)] = "",
               cursor: Annotated[str, Query(pattern=r"^\d{0,18}$")] = "") -> Response:
    """One page of the queue, with its filters."""
    cases = _store(store, user)
    day = today()
    query = CaseQuery(status=status if status in STATUSES else None, overdue=True if overdue == "1" else None,
                      assignee=user.name if mine == "1" else None, today=day, limit=PAGE_SIZE,
                      cursor=int(cursor) if cursor else None)
    items, following = cases.cases.page(query)
    items.sort(key=lambda c: not c.overdue(day))  # stable: newest first among the overdue, then the rest
    filters = {"status": query.status or "", "overdue": "1" if query.overdue else "", "mine": "1" if mine == "1" else ""}
    kept = {k: v for k, v in filters.items() if v}
    nxt = f"/ui/cases?{urlencode({**kept, 'cursor': following})}" if following is not None else None
    return page(request, "cases.html", user, items=items, day=day, filters=filters, statuses=STATUSES, next_url=nxt,
                first_url=f"/ui/cases?{urlencode(kept)}" if cursor else None)


def show_case(request: Request, user: ConsoleUser, store: Store, case: Case, actor: Actor, *,
              refusal: Refusal | None = None, values: dict[str, Any] | None = None, done: bool = False) -> Response:
    """The case page (with a refused action's message, and what was typed, when there is one)."""
    works = user.role in WORKERS and not actor.is_subject(case)
    t = i18n.Translator(user.lang)
    message = t(refusal.text, **{k: t(v) for k, v in refusal.values.items()}) if refusal else None
    return page(request, "case.html", user, status=refusal.status if refusal else 200, case=case,
                overdue=case.overdue(today()), works=works, own=user.role in WORKERS and actor.is_subject(case),
                subject=actor.is_subject(case), refusal=refusal, message=message, values=values or {}, done=done,
                dispositions=DISPOSITIONS, actions=ACTIONS)


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: str, user: User, store: OptionalStoreDep,
              done: Annotated[str, Query(max_length=20)] = "") -> Response:
    """One case (reviewers, auditors and admins: every case; a submitter: its own)."""
    cases = _store(store, user)
    case, actor = visible(cases, case_id, user)
    return show_case(request, user, cases, case, actor, done=bool(done))


def _case_links(entries: list[Any], user: Any, deps: dict[str, Any]) -> dict[str, list[panels.RowLink]]:
    """Each declaration's case on "My declarations": its status, linking to the case page."""
    store = deps.get("store")
    if store is None:
        return {}
    out: dict[str, list[panels.RowLink]] = {}
    seen: set[tuple[str, str]] = set()
    for e in entries:
        if e.decision not in ("review", "block") or (e.kind, e.record_id) in seen:
            continue
        seen.add((e.kind, e.record_id))
        case = store.cases.for_record(e.kind, e.record_id)
        if case is not None and case.decision_id == e.decision_id:
            out[e.decision_id] = [panels.RowLink(f"case.status.{case.status}", f"/ui/cases/{case.id}")]
    return out


panels.add_row_links(_case_links)
