"""The decision page explains its decision (SPEC §10, §11): for a blocked shopping card the firing rule, each part
of its condition with the record's value and the threshold with where it comes from, in Chinese and, after the
language toggle, in English; a window's counted records; a pass; a record replaced since; history stored since that
makes other rules fire; a loan-file check (a dry run, not registered); no store."""

from __future__ import annotations

import html
import re
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from api.app import build_app
from conduct_engine.settings import load_settings
from tests.conftest import ROOT

from .conftest import CSRF, signin

CARD = {"form_kind": "gift", "employee_id": "E-100", "branch": "SH-001", "occurred_on": "2026-11-20",
        "direction": "received", "form": "shopping_card", "value_cny": "2000", "counterparty.name": "上海某贸易公司"}


def _panel(text: str) -> str:
    """The explanation section of a decision page, as plain text (tags dropped, entities decoded)."""
    found = re.search(r'<section class="panel" id="panel-explanation".*?</section>', text, re.S)
    assert found, "no explanation panel on the page"
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0))))


def _declare(client: TestClient, token: str, **fields: str) -> str:
    answer = client.post("/ui/declare", data={"csrf": token, **CARD, **fields}, follow_redirects=False)
    assert answer.status_code == 303, answer.text[:800]
    return str(answer.headers["location"])


def test_a_blocked_shopping_card_is_explained_in_chinese_then_in_english(console):
    client, info = console
    token = signin(client, info.keys["submitter"])
    where = _declare(client, token)
    page = client.get(where)
    assert page.status_code == 200
    zh = _panel(page.text)
    assert "为什么是这个结论" in zh and "评估日期 " in zh
    assert "规则 BRB-CASH-EQUIV 已触发：下列条件全部成立。" in zh
    assert 'form "shopping_card" in cash_equivalents' in zh and "（包默认值） → 成立" in zh
    # the record's own amount, and the threshold it was compared with and where that comes from
    assert "gift_value_per_recipient 2000 > gift_keep_max_cny 500（包默认值） → 成立" in zh
    assert "阈值及来源 gift_keep_max_cny 500（包默认值）" in zh
    assert 'aria-labelledby="panel-explanation-h"' in page.text

    client.post("/ui/lang", data={"csrf": token, "lang": "en", "next": where})
    en = _panel(client.get(where).text)
    assert "Why this decision" in en and "Rule BRB-CASH-EQUIV fired: every condition below held." in en
    assert "gift_value_per_recipient 2000 > gift_keep_max_cny 500 (pack default) → true" in en
    assert "Record's value 2000" in en and "成立" not in en


GIVER = {"counterparty.party_id": "P-9", "counterparty.group_id": "GRP-9"}


def test_a_window_lists_the_records_it_counted(console):
    client, info = console
    token = signin(client, info.keys["submitter"])
    for i, day in enumerate(("2026-09-01", "2026-10-01")):  # kept gifts from the same giver network
        _declare(client, token, form="goods", value_cny="800", occurred_on=day, id=f"G-W{i}", disposition="kept",
                 **GIVER)
    where = _declare(client, token, form="goods", value_cny="900", id="G-W2", disposition="kept", **GIVER)
    zh = _panel(client.get(where).text)
    assert "BRB-GIFT-AGG-365D" in zh and "窗口 gift_giver_365d_cny" in zh
    assert "G-W0 2026-09-01 800" in zh and "G-W1 2026-10-01 800" in zh and "G-W2 (本记录) 2026-11-20 900" in zh
    assert "合计 2500" in zh


def test_a_pass_says_no_rule_fired(console):
    client, info = console
    token = signin(client, info.keys["submitter"], lang="en")
    where = _declare(client, token, form="promotional_item", value_cny="50")
    en = _panel(client.get(where).text)
    assert "No rule fired" in en and "so it passes" in en


def test_a_record_sent_again_under_the_same_id_is_not_explained_from_the_new_version(console):
    client, info = console
    token = signin(client, info.keys["submitter"], lang="en")
    first = _declare(client, token, id="G-SAME")
    _declare(client, token, id="G-SAME", form="promotional_item", value_cny="50")
    en = _panel(client.get(first).text)
    assert "replaced this one in the register" in en and "BRB-CASH-EQUIV fired" not in en


def test_without_a_store_the_page_explains_the_record_it_was_given(tmp_path, real_engine):
    app = build_app(load_settings(auth=False, data_dir=tmp_path / "data"), engine=real_engine, store=None)
    with TestClient(app, base_url="http://testserver") as client:  # no auth: the local demo, signed in at once
        token = CSRF.search(client.get("/ui/signin?lang=en&next=/ui/declare").text).group(1)  # type: ignore[union-attr]
        answer = client.post("/ui/declare", data={"csrf": token, **CARD})
    assert answer.status_code == 200, answer.text[:800]
    assert "Rule BRB-CASH-EQUIV fired" in _panel(answer.text)


def test_history_stored_since_that_makes_other_rules_fire_is_pointed_out(console):
    client, info = console
    token = signin(client, info.keys["submitter"], lang="en")
    giver = {"counterparty.party_id": "P-8", "counterparty.group_id": "GRP-8", "form": "goods", "disposition": "kept"}
    first = _declare(client, token, id="G-D1", value_cny="900", **giver)
    assert "Note:" not in _panel(client.get(first).text)
    _declare(client, token, id="G-D0", value_cny="1500", occurred_on="2026-10-01", **giver)  # earlier, sent later
    en = _panel(client.get(first).text)
    note = re.search(r"Note: worked through on the data stored now, the rules that fire \((.*?)\) differ from the "
                     r"decision's \((.*?)\)", en)
    assert note, en
    now, then = (set(group.split(", ")) for group in note.groups())
    assert now - then == {"BRB-GIFT-AGG-365D"} and "BRB-GIFT-KEEP" in then  # 1500 + 900 kept from one network


def test_a_loan_file_check_is_a_dry_run_so_its_page_says_it_cannot_be_explained(console):
    client, info = console
    token = signin(client, info.keys["submitter"], lang="en")
    body = (ROOT / "examples/loan_files/working_capital_incomplete.block.json").read_text(encoding="utf-8")
    answer = client.post("/ui/loan-check", data={"csrf": token, "record": body}, follow_redirects=False)
    assert answer.status_code == 303, answer.text[:800]
    en = _panel(client.get(answer.headers["location"]).text)
    assert "This record was not kept" in en and "fired" not in en
