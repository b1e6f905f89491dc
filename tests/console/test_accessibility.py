"""Every console page checked with axe-core (axe-playwright-python runs it in the page): no serious or critical
violation, and none at all of the rules on labels, heading order, colour contrast and landmarks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

from .conftest import Console, declare_gift

pytestmark = pytest.mark.slow
#: checked whatever impact axe gives them (heading order is "moderate" in axe, but SPEC §11's readers need it)
ALWAYS = {"label", "select-name", "heading-order", "color-contrast", "page-has-heading-one", "landmark-one-main",
          "region", "html-has-lang", "valid-lang", "document-title", "aria-valid-attr-value", "duplicate-id-aria"}


def _problems(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe
    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical") or v["id"] in ALWAYS]


def _declare(page: Any, server: Console) -> str:
    page.goto(f"{server.base}/ui/declare")
    declare_gift(page, employee="E-100", form="shopping_card", value="2000")
    return str(page.url)


def _loan_check(page: Any, server: Console, tmp_path: Path) -> str:
    body = json.loads((ROOT / "examples/loan_files/working_capital_incomplete.block.json").read_text(encoding="utf-8"))
    (tmp_path / "lf.json").write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    page.goto(f"{server.base}/ui/loan-check")
    page.get_by_label("档案文件（JSON）").set_input_files(str(tmp_path / "lf.json"))
    page.get_by_role("button", name="检查").click()
    return str(page.url)


def _scan(page: Any, server: Console, tmp_path: Path) -> str:
    (tmp_path / "g.jsonl").write_text(json.dumps({
        "id": "G-A11Y", "kind": "gift", "employee_id": "E-1", "occurred_on": "2026-10-01", "direction": "received",
        "form": "goods", "value_cny": 100}) + "\n", encoding="utf-8")
    page.goto(f"{server.base}/ui/scans")
    page.get_by_label("数据文件").set_input_files(str(tmp_path / "g.jsonl"))
    page.get_by_role("button", name="开始扫描").click()
    for _ in range(120):
        if page.locator("#scan-status").inner_text().strip() == "已完成":
            break
        page.wait_for_timeout(1000)
    return str(page.url)


def _a_case(page: Any, server: Console) -> str:
    """A review case (a gift of goods worth 900 yuan declared by another key), its page with a refusal shown."""
    from conduct_engine.store import CaseQuery
    page.goto(f"{server.base}/ui/declare")
    declare_gift(page, employee="E-777", form="goods", value="900")
    decision_id = str(page.url).rsplit("/", 1)[1]
    case = next(c for c in server.store.cases.all(CaseQuery()) if c.decision_id == decision_id)
    return f"{server.base}/ui/cases/{case.id}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_passes_axe(browser, server, tmp_path, lang):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{server.base}/ui/signin")
    found: dict[str, list[str]] = {"signin": _problems(page)}
    page.get_by_label("API 密钥").fill("not-a-key")
    page.get_by_role("button", name="登录").click()
    found["signin-error"] = _problems(page)
    page.get_by_label("API 密钥").fill(server.keys["admin"])
    page.get_by_role("button", name="登录").click()

    pages = {"decision": _declare(page, server), "loan-checklist": _loan_check(page, server, tmp_path)}
    pages["case"] = _a_case(page, server)
    if lang == "zh":  # one scan is enough (a job process each)
        pages["scan"] = _scan(page, server, tmp_path)
    if lang == "en":
        page.get_by_role("button", name="English").click()
    for path in ("/ui/declare", "/ui/declare?kind=entertainment", "/ui/declare?kind=json", "/ui/declarations",
                 "/ui/loan-check", "/ui/scans", "/ui/audit", "/ui/cases", "/ui/cases?status=closed",
                 "/ui/reports/rule-quality", "/ui/rules", "/ui/rules/standard/anti_bribery",
                 "/ui/rules/standard/dd.completeness", "/ui/no-such-page"):
        pages[path] = f"{server.base}{path}"
    for name, url in pages.items():
        page.goto(url)
        found[name] = _problems(page)
    page.goto(f"{server.base}/ui/declare")
    page.get_by_role("button", name="提交" if lang == "zh" else "Submit").click()  # every field error shown
    found["declare-errors"] = _problems(page)
    page.goto(pages["case"])  # the admin submitted this record: four eyes, so only comments; as a reviewer instead
    context.close()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{server.base}/ui/signin")
    page.get_by_label("API 密钥").fill(server.keys["reviewer"])
    page.get_by_role("button", name="登录").click()
    if lang == "en":
        page.get_by_role("button", name="English").click()
    page.goto(pages["case"])
    found["case-reviewer"] = _problems(page)
    page.get_by_role("button", name="分派给我" if lang == "zh" else "Assign to me").click()
    page.get_by_role("button", name="结案" if lang == "zh" else "Close the case").last.click()  # a refusal shown
    found["case-refused"] = _problems(page)
    page.screenshot(path=str(tmp_path / f"declare-errors-{lang}.png"), full_page=True)
    context.close()
    assert {name: problems for name, problems in found.items() if problems} == {}
