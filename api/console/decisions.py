"""A decision's page (the answer to a declaration or a loan-file check, with the result panels of
:mod:`api.console.panels`), and **My declarations**: the signed-in key's decisions from the decision log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.console import i18n, menu, panels
from api.console.checklist import checklist
from api.console.render import page
from api.console.session import ConsoleError, ConsoleUser, current_user, page_user
from api.deps import EngineDep, OptionalStoreDep
from conduct_engine.engine import Engine

ENTRY = menu.add("declarations", "/ui/declarations", {"submitter"}, 20)
router = APIRouter(prefix="/ui", include_in_schema=False)
Mine = Annotated[ConsoleUser, Depends(page_user(ENTRY))]
User = Annotated[ConsoleUser, Depends(current_user)]
LIMIT = 200

i18n.add({
    "menu.declarations": ("我的申报", "My declarations"),
    "mine.title": ("我的申报与检查", "My declarations and checks"),
    "mine.intro": ("本密钥提交的决定，最新的在前（最多 {n} 条）。",
                   "Decisions made for this key, newest first (at most {n})."),
    "mine.empty": ("还没有决定记录。", "No decisions yet."),
    "mine.open": ("查看", "Open"),
    "mine.count": ("问题数", "Findings"),
    "mine.links": ("案件", "Case"),
    "result.title": ("检查结果", "Result"),
    "result.checklist": ("待补正清单", "Checklist of what is missing or wrong"),
    "result.checklist.intro": ("按尽职调查步骤和调查侧重点分组；每一项都写明如何补正。",
                               "Grouped by due-diligence step and focus module; each item says how to put it right."),
    "result.part.step": ("步骤", "Step"),
    "result.part.module": ("调查模块", "Module"),
    "result.part.other": ("其他", "Other"),
    "result.declare_again": ("再申报一项", "Declare another"),
    "result.check_again": ("再检查一个文件", "Check another file"),
    "result.dry_run": ("仅检查，未登记", "checked only, not registered"),
    "kind.gift": ("礼品", "gift"),
    "kind.entertainment": ("招待", "hospitality"),
    "kind.loan_file": ("贷款尽调档案", "loan file"),
})


def show_result(request: Request, user: ConsoleUser, engine: Engine, result: dict[str, Any], entry: Any | None,
                record: dict[str, Any] | None, deps: dict[str, Any] | None = None) -> Response:
    """The decision page of one result (a loan file's findings as a checklist)."""
    violations = result.get("violations", [])
    groups = checklist(violations, engine.packs.standards) if result.get("kind") == "loan_file" else []
    extra = panels.panels_for(panels.PanelInput(result, entry, record, user, {"engine": engine, **(deps or {})}))
    return page(request, "decision.html", user, result=result, entry=entry, groups=groups,
                std_names={c: {"zh": s.zh, "en": s.en} for c, s in engine.packs.standards.items()},
                labels=engine.packs.labels, panels=extra)


@router.get("/decisions/{decision_id}")
def decision_page(request: Request, decision_id: str, user: User, store: OptionalStoreDep,
                  engine: EngineDep) -> Response:
    """One logged decision (a submitter only sees its own)."""
    if store is None:
        raise ConsoleError(404, "error.nostore", user)
    entry = store.log.get(decision_id)
    if entry is None or (not user.can_read_all() and entry.actor != user.key_id):
        raise ConsoleError(404, "error.404", user)
    return show_result(request, user, engine, entry.result, entry, None, {"store": store})


@router.get("/declarations")
def my_declarations(request: Request, user: Mine, store: OptionalStoreDep) -> Response:
    """The key's decisions, newest first."""
    entries = store.log.latest(actor=user.key_id, limit=LIMIT) if store is not None else []
    return page(request, "declarations.html", user, entries=entries, limit=LIMIT, has_store=store is not None,
                links=panels.row_links(entries, user, {"store": store}), show_links=bool(panels.ROW_LINKS))
