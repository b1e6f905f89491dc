"""Review cases in headless Chromium against a real uvicorn server and store, with JavaScript on and off: a
submitter declares a gift that needs review; a reviewer (a key naming another employee) finds its case in the
queue, marks the finding's verdict and closes it substantiated with the action "returned"; a submitter is
refused the queue. Screenshots land in each test's temporary directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import Console, declare_gift
from .test_browser import JS, _page, _shot, _signin

pytestmark = pytest.mark.slow


def _declare_review_gift(page: Any, server: Console) -> str:
    page.goto(f"{server.base}/ui/declare")
    declare_gift(page, employee="E-100", branch="SH-001", form="goods", value="900", counterparty="上海某贸易公司")
    assert "/ui/decisions/" in page.url
    assert "需审批" in page.locator(".verdict").inner_text()
    return str(page.url).rsplit("/", 1)[1]


@JS
def test_reviewer_finds_the_case_marks_a_verdict_and_closes_it_returned(browser, server, tmp_path, js):
    if "reviewer-e300" not in server.keys:
        server.keys["reviewer-e300"] = server.store.keys.create("reviewer-e300", "reviewer", "E-300")[1]
    submitter = _page(browser, js)
    _signin(submitter, server, "submitter", "/ui/declare")
    decision_id = _declare_review_gift(submitter, server)
    case = next(c for c in server.store.cases.all(_all()) if c.decision_id == decision_id)
    submitter.goto(f"{server.base}/ui/declarations")
    assert submitter.get_by_role("link", name="待处理").first.get_attribute("href").startswith("/ui/cases/")

    page = _page(browser, js)
    _signin(page, server, "reviewer-e300", "/ui/cases")
    page.get_by_label("状态").select_option("open")
    page.get_by_role("button", name="筛选").click()
    assert "status=open" in page.url
    _shot(page, tmp_path, f"queue-{'js' if js else 'nojs'}")
    page.get_by_role("link", name=case.id).click()
    assert page.url.endswith(f"/ui/cases/{case.id}")
    assert page.locator("#case-status").inner_text() == "待处理"

    page.get_by_label(f"结论 {case.findings[0].rule_id}").select_option("true_positive")
    page.get_by_role("button", name="保存结论").click()
    assert page.locator("#case-status").inner_text() == "审核中"
    assert page.locator(".verdict-now").first.inner_text() == "属实"
    assert page.locator("#case-assignee").inner_text() == "reviewer-e300"

    page.get_by_label("结案结论").select_option("substantiated")
    page.get_by_label("处理措施").select_option("returned")
    page.get_by_label("理由").fill("礼品已退还给对方")
    page.get_by_role("button", name="结案").last.click()
    assert page.locator("#case-status").inner_text() == "已结案"
    assert "问题成立 · 已退还 — 礼品已退还给对方" in page.locator("#case-disposition").inner_text()
    _shot(page, tmp_path, f"case-closed-{'js' if js else 'nojs'}")
    closed = server.store.cases.get(case.id)
    assert closed.status == "closed" and closed.disposition["action"] == "returned"

    submitter.goto(f"{server.base}/ui/declarations")
    submitter.get_by_role("link", name="已结案").first.click()
    submitter.get_by_role("button", name="确认已阅").click()
    assert submitter.locator("#case-ack").count() == 1
    submitter.context.close()
    page.context.close()


def _all() -> Any:
    from conduct_engine.store import CaseQuery
    return CaseQuery()


@JS
def test_a_submitter_opening_the_case_queue_gets_403(browser, server, tmp_path, js):
    page = _page(browser, js)
    _signin(page, server, "submitter", "/ui/declare")
    assert page.get_by_role("link", name="案件队列").count() == 0
    assert page.goto(f"{server.base}/ui/cases").status == 403
    assert "您的角色无权访问此页面" in page.locator("main").inner_text()
    assert page.goto(f"{server.base}/ui/reports/rule-quality").status == 403
    page.context.close()


def test_rule_quality_page_in_the_browser(browser, server, tmp_path: Path):
    page = _page(browser, False)
    _signin(page, server, "auditor", "/ui/reports/rule-quality")
    assert page.locator("h1").inner_text() == "规则质量报告"
    _shot(page, tmp_path, "quality")
    page.context.close()
