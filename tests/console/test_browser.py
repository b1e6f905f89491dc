"""The console in headless Chromium against a real uvicorn server and store, with JavaScript on and off:
a submitter declares a shopping card and a loan file, an auditor scans a CSV, a submitter is refused an
auditor page. Every test leaves a screenshot in its temporary directory."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

from .conftest import Console, declare_gift

JS = pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
pytestmark = pytest.mark.slow


def _page(browser: Any, js: bool, width: int = 1280, height: int = 900) -> Any:
    context = browser.new_context(java_script_enabled=js, viewport={"width": width, "height": height}, locale="zh-CN")
    return context.new_page()


def _signin(page: Any, server: Console, role: str, next_path: str = "/ui/") -> None:
    page.goto(f"{server.base}{next_path}")
    assert "/ui/signin" in page.url
    page.get_by_label("API 密钥").fill(server.keys[role])
    page.get_by_role("button", name="登录").click()


def _shot(page: Any, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


@JS
def test_submitter_declares_a_shopping_card_and_reads_the_remedy_in_both_languages(browser, server, tmp_path, js):
    page = _page(browser, js)
    _signin(page, server, "submitter", "/ui/declare")
    assert page.url.endswith("/ui/declare")
    declare_gift(page, employee="E-100", branch="SH-001", form="shopping_card", value="2000",
                 counterparty="上海某贸易公司")

    assert "/ui/decisions/" in page.url
    verdict = page.locator(".verdict")
    assert "禁止" in verdict.inner_text() and "不允许：请拒绝或退还" in verdict.inner_text()
    text = page.locator("main").inner_text()
    assert "严禁收受现金及现金等价物（购物卡，价值 2000 元，来自 上海某贸易公司）" in text
    assert "立即退还并向合规部门报告" in text
    why = page.get_by_role("region", name="为什么是这个结论")  # the explanation panel, labelled by its heading
    assert why.is_visible()
    assert why.get_by_role("heading", name="BRB-CASH-EQUIV").is_visible()
    assert "规则 BRB-CASH-EQUIV 已触发" in why.inner_text()
    assert "gift_value_per_recipient 2000 > gift_keep_max_cny 500（包默认值） → 成立" in why.inner_text()
    _shot(page, tmp_path, f"declare-zh-{'js' if js else 'nojs'}")

    page.get_by_role("button", name="English").click()
    assert "/ui/decisions/" in page.url
    text = page.locator("main").inner_text()
    assert "Prohibited: decline or return it" in text
    assert "Return it at once and report it to compliance" in text
    assert page.locator("html").get_attribute("lang") == "en"
    why = page.get_by_role("region", name="Why this decision")
    assert why.is_visible() and "Rule BRB-CASH-EQUIV fired: every condition below held." in why.inner_text()
    assert "(pack default) → true" in why.inner_text()
    _shot(page, tmp_path, f"declare-en-{'js' if js else 'nojs'}")
    page.set_viewport_size({"width": 375, "height": 740})  # the explanation on a phone: no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    _shot(page, tmp_path, f"declare-en-phone-{'js' if js else 'nojs'}")

    page.get_by_role("link", name="My declarations").first.click()  # the language stays with the session
    assert "My declarations and checks" in page.locator("h1").inner_text()
    assert page.locator("tbody tr").count() >= 1
    page.context.close()


def test_form_errors_come_back_next_to_the_field_with_what_was_typed(browser, server, tmp_path):
    page = _page(browser, js=False)
    _signin(page, server, "submitter", "/ui/declare")
    page.get_by_label("员工编号").fill("E-100")
    page.get_by_label("发生日期").fill("2026-11-20")
    page.get_by_label("价值（元）").fill("两千")
    page.get_by_label("对方名称").fill("上海某贸易公司")
    page.get_by_role("button", name="提交").click()
    assert page.locator("#f-value_cny-err1").inner_text().endswith("请输入数字")
    assert page.locator("#f-form-err1").inner_text().endswith("必填项")
    assert page.get_by_label("价值（元）").input_value() == "两千"
    assert page.get_by_label("对方名称").input_value() == "上海某贸易公司"
    assert page.get_by_label("价值（元）").get_attribute("aria-invalid") == "true"
    _shot(page, tmp_path, "declare-errors")
    page.context.close()


def _loan_file_missing_two(tmp_path: Path) -> Path:
    body = json.loads((ROOT / "examples/loan_files/working_capital.pass.json").read_text(encoding="utf-8"))
    record = copy.deepcopy(body["record"])
    record["materials"] = [m for m in record["materials"] if m["type"] not in ("audited_fs", "tax_returns")]
    path = tmp_path / "loan_file.json"
    path.write_text(json.dumps({"record": record, "as_of": body["as_of"]}, ensure_ascii=False), encoding="utf-8")
    return path


@JS
def test_loan_file_with_two_missing_materials_shows_both_in_the_checklist(browser, server, tmp_path, js):
    page = _page(browser, js)
    _signin(page, server, "submitter", "/ui/loan-check")
    page.get_by_label("档案文件（JSON）").set_input_files(str(_loan_file_missing_two(tmp_path)))
    page.get_by_role("button", name="检查").click()
    assert "/ui/decisions/" in page.url
    assert "不得提交：请先补正下列问题" in page.locator(".verdict").inner_text()
    group = page.locator("section.group", has=page.get_by_role("heading", name="步骤：资料收集及审核"))
    items = group.locator("li.finding")
    texts = [items.nth(i).inner_text() for i in range(items.count())]
    assert any("经审计财务报表" in x for x in texts) and any("纳税申报表" in x for x in texts), texts
    assert all("应当如何处理" in x for x in texts)
    assert page.locator("li.finding").count() == 2
    _shot(page, tmp_path, f"loan-checklist-{'js' if js else 'nojs'}")
    page.context.close()


MAPPING = """kind: gift
columns:
  id: ref
  employee_id: staff
  branch: org
  occurred_on: day
  value_cny: amount
  form: how
  counterparty.name: giver
values:
  form: {"Shopping card": shopping_card, "Goods": goods}
constants: {direction: received}
"""


def _csv(tmp_path: Path, rows: int = 12) -> Path:
    lines = ["ref,staff,org,day,amount,how,giver"]
    for i in range(rows):
        how = "Shopping card" if i % 3 == 0 else "Goods"
        lines.append(f"S-{i:03d},E-{100 + i % 4},SH-001,2026-10-{1 + i:02d},{150 + 200 * i},{how},Giver {i % 2}")
    path = tmp_path / "gifts.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@JS
def test_auditor_scans_a_csv_with_a_mapping_and_opens_its_report(browser, server, tmp_path, js):
    page = _page(browser, js)
    _signin(page, server, "auditor", "/ui/scans")
    (tmp_path / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    page.get_by_label("数据文件").set_input_files(str(_csv(tmp_path)))
    page.get_by_label("列映射（YAML 或 JSON）").set_input_files(str(tmp_path / "mapping.yaml"))
    page.get_by_label("评估日期").fill("2026-11-30")
    page.get_by_role("button", name="开始扫描").click()
    assert "/ui/scans/" in page.url
    # the page refreshes itself (a meta refresh, no script) until the scan is done
    _wait_until_done(page)
    assert "12 / 12" in page.locator("main").inner_text()
    assert page.locator("#sum-records").inner_text() == "12"
    _shot(page, tmp_path, f"scan-{'js' if js else 'nojs'}")
    page.get_by_role("link", name="打开报告（HTML）").click()
    assert "conduct-check scan report" in page.content()
    _shot(page, tmp_path, f"scan-report-{'js' if js else 'nojs'}")
    page.context.close()


def _wait_until_done(page: Any) -> None:
    """The meta refresh reloads the page (with or without JavaScript); wait for a load that shows it done."""
    for _ in range(120):
        status = page.locator("#scan-status").inner_text().strip()
        if status == "已完成":
            return
        if status == "失败":  # say why at once instead of waiting out the 120 s
            raise AssertionError(f"the scan failed: {page.locator('main').inner_text()}")
        page.wait_for_timeout(1000)
    raise AssertionError("the scan did not finish in 120 s")


@JS
def test_a_submitter_opening_an_auditor_page_gets_403(browser, server, tmp_path, js):
    page = _page(browser, js)
    _signin(page, server, "submitter", "/ui/declare")
    assert page.get_by_role("link", name="批量扫描").count() == 0  # not in the submitter's menu
    answer = page.goto(f"{server.base}/ui/scans")
    assert answer.status == 403
    assert "您的角色无权访问此页面" in page.locator("main").inner_text()
    assert page.goto(f"{server.base}/ui/audit").status == 403
    _shot(page, tmp_path, "forbidden")
    page.context.close()


def test_phone_sized_screen_needs_no_sideways_scrolling(browser, server, tmp_path):
    page = _page(browser, js=False, width=375, height=740)
    _signin(page, server, "submitter", "/ui/declare")
    for path in ("/ui/declare", "/ui/declarations", "/ui/loan-check", "/ui/rules", "/ui/rules/standard/anti_bribery"):
        page.goto(f"{server.base}{path}")
        wide = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert wide <= 0, f"{path} is {wide}px wider than the screen"
    page.goto(f"{server.base}/ui/declare")
    _shot(page, tmp_path, "phone-declare")
    page.context.close()
