"""The decision log's verify status (auditors): the hash chain walked now, its head to keep as an anchor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.console import i18n, menu
from api.console.render import page
from api.console.session import ConsoleUser, page_user
from api.deps import OptionalStoreDep

ENTRY = menu.add("audit", "/ui/audit", {"auditor"}, 50)
router = APIRouter(prefix="/ui", include_in_schema=False)
User = Annotated[ConsoleUser, Depends(page_user(ENTRY))]

i18n.add({
    "menu.audit": ("决定日志校验", "Decision log"),
    "audit.title": ("决定日志防篡改校验", "Decision log: tamper check"),
    "audit.intro": ("每条记录都带有上一条的哈希值；此页现在重新校验整条链。",
                    "Each entry carries the hash of the one before; this page walks the whole chain now."),
    "audit.ok": ("校验通过：链条完整", "Verified: the chain is intact"),
    "audit.broken": ("校验失败：链条被破坏", "Verification failed: the chain is broken"),
    "audit.entries": ("条目数", "Entries"),
    "audit.problem": ("问题", "Problem"),
    "audit.at_seq": ("位置（序号）", "At entry (seq)"),
    "audit.head": ("链头（请在本系统之外保存，作为校验锚点）", "Head (keep it outside this server as an anchor)"),
    "audit.seq": ("序号", "Seq"),
    "audit.hash": ("哈希", "Hash"),
    "audit.taken_at": ("读取时间", "Taken at"),
})


@router.get("/audit")
async def audit_page(request: Request, user: User, store: OptionalStoreDep) -> Response:
    """Verify the decision log and show the outcome and the head."""
    report = await run_in_threadpool(store.log.verify) if store is not None else None
    head = store.log.head() if store is not None else None
    return page(request, "audit.html", user, report=report, head=head)
