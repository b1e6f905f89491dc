"""explain (SPEC §10): the done-when texts, in zh and en, from the live packs; the CLI and POST /v1/explain."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from api import create_app
from conduct_engine.engine import Engine
from conduct_engine.errors import ConductError
from conduct_engine.explain import Explainer
from conduct_engine.explain.render import render_text
from tests.conftest import ROOT, STARTER_RULES

AS_OF = "2026-11-30"
GIFT = {"id": "G-800", "kind": "gift", "employee_id": "E-100", "branch": "SH-001", "occurred_on": "2026-10-10",
        "declared_at": "2026-10-11T09:00:00", "direction": "received", "form": "goods", "value_cny": 800,
        "disposition": "kept", "counterparty": {"party_id": "P-1", "name": "上海某贸易公司", "group_id": "GRP-1"}}
LOAN = {"id": "LF-1", "kind": "loan_file", "branch": "SH-001", "product_type": "working_capital",
        "borrower": {"party_id": "P-9", "name": "某制造公司", "type": "corporate"},
        "requested_amount_cny": 5_000_000, "term_months": 12, "accepted_on": "2026-09-01",
        "team": {"lead_investigator": "E-100", "co_investigators": ["E-101"]},
        "materials": [{"type": "audited_fs", "required": True, "verified": True, "source_type": "client_provided"},
                      {"type": "business_license", "required": True, "verified": True}]}


@pytest.fixture(scope="module")
def live() -> Engine:
    return Engine.from_paths()


@pytest.fixture(scope="module")
def explainer(live: Engine) -> Explainer:
    return Explainer(live)


def gift(**changes):
    return {**copy.deepcopy(GIFT), **changes}


def _rule(explanation, rule_id):
    return next(r for r in explanation.rules if r.rule_id == rule_id)


def test_kept_gift_over_the_limit_fires_with_the_pack_default(explainer):
    rule = _rule(explainer.explain(gift(), as_of=AS_OF), "BRB-GIFT-KEEP")
    assert rule.status == "fired" and rule.reason is None
    part = next(p for p in rule.conditions if "gift_keep_max_cny" in p.text)
    assert (part.text, part.actual, part.threshold, part.origin, part.result) == (
        "gift_value_per_recipient > gift_keep_max_cny", 800, 500, "pack default", True)
    assert part.says.en == "gift_value_per_recipient 800 > gift_keep_max_cny 500 (pack default) → true"
    assert part.says.zh == "gift_value_per_recipient 800 > gift_keep_max_cny 500（包默认值） → 成立"


def test_the_branch_override_is_named(explainer, live):
    assert live.packs.branches["BJ-001"]["gift_keep_max_cny"] == 300  # a real override of the live packs
    rule = _rule(explainer.explain(gift(branch="BJ-001", value_cny=400), as_of=AS_OF), "BRB-GIFT-KEEP")
    part = next(p for p in rule.conditions if "gift_keep_max_cny" in p.text)
    assert rule.status == "fired" and (part.threshold, part.origin) == (300, "branch BJ-001")
    assert part.says.en == "gift_value_per_recipient 400 > gift_keep_max_cny 300 (branch BJ-001) → true"
    assert part.says.zh == "gift_value_per_recipient 400 > gift_keep_max_cny 300（分行 BJ-001 覆盖值） → 成立"


def test_a_gift_at_the_limit_is_not_fired_and_shows_the_failing_comparison(explainer):
    explanation = explainer.explain(gift(value_cny=500), as_of=AS_OF, rule_id="BRB-GIFT-KEEP")
    assert [r.rule_id for r in explanation.rules] == ["BRB-GIFT-KEEP"]
    rule = explanation.rules[0]
    assert rule.status == "not_fired"
    failing = [p for p in rule.conditions if not p.result]
    assert [p.says.en for p in failing] == ["gift_value_per_recipient 500 > gift_keep_max_cny 500 (pack default) → false"]
    assert [p.says.zh for p in failing] == ["gift_value_per_recipient 500 > gift_keep_max_cny 500（包默认值） → 不成立"]
    text = render_text(explanation)
    assert "BRB-GIFT-KEEP [anti_bribery, review]: 未触发" in text
    assert "BRB-GIFT-KEEP [anti_bribery, review]: not fired" in text


def test_a_window_rule_shows_the_records_counted(explainer):
    history = [gift(id="G-0", occurred_on="2026-03-01", value_cny=1500),
               gift(id="G-OLD", occurred_on="2025-09-01", value_cny=9000),  # outside the 365 days
               gift(id="G-OTHER", occurred_on="2026-05-01", value_cny=9000, counterparty={"party_id": "P-2",
                                                                                           "group_id": "GRP-2"})]
    rule = _rule(explainer.explain(gift(), history=history, as_of=AS_OF), "BRB-GIFT-AGG-365D")
    assert rule.status == "fired"
    (window,) = rule.windows
    assert window.key == {"employee_id": "E-100", "network.key": "group:GRP-1"}
    assert window.period == {"from": "2025-10-11", "to": "2026-10-10"}
    assert [(r.id, r.date, r.value, r.this_record) for r in window.records] == [
        ("G-0", "2026-03-01", 1500, False), ("G-800", "2026-10-10", 800, True)]
    assert window.total == 2300 and [(t.name, t.value, t.origin) for t in window.limits] == [
        ("gift_giver_365d_block_cny", 2000, "pack default")]
    assert window.says.en.endswith("2 counted: G-0 2026-03-01 1500; G-800 2026-10-10 800 (this record); "
                                   "total 2300 against gift_giver_365d_block_cny 2000 (pack default)")
    assert "计入 2 笔：G-0 2026-03-01 1500；G-800 2026-10-10 800（本记录）；合计 2300，对比 gift_giver_365d_block_cny " \
           "2000（包默认值）" in window.says.zh


def test_a_loan_file_without_its_credit_report_shows_the_join_that_found_none(explainer):
    rule = explainer.explain(LOAN, as_of=AS_OF, rule_id="DDC-MAT-MISSING-CREDIT-REPORT").rules[0]
    assert rule.status == "fired"
    (join,) = rule.joins
    assert join.negated and join.matched == [] and join.result
    assert join.says.en == ('no material where type == "credit_report": none of the 2 material facts matched → true')
    assert join.says.zh == 'no material where type == "credit_report"：2 条 material 均不满足 → 成立'
    assert [(c.fact["fact"], [p.says.en for p in c.failed]) for c in join.candidates] == [
        ("material#0", ['type "audited_fs" == "credit_report" → false']),
        ("material#1", ['type "business_license" == "credit_report" → false'])]
    with_report = {**LOAN, "materials": LOAN["materials"] + [{"type": "credit_report", "required": True}]}
    rule = explainer.explain(with_report, as_of=AS_OF, rule_id="DDC-MAT-MISSING-CREDIT-REPORT").rules[0]
    assert rule.status == "not_fired" and rule.joins[0].matched[0]["fact"] == "material#2"
    assert rule.joins[0].says.en.endswith("1 matched (material#2) → false")


def test_other_stage_is_not_applicable(explainer):
    # due-diligence rules apply at every stage now (issue 17); a post-loan rule's stages leave pre-submission out
    rule = explainer.explain(LOAN, as_of=AS_OF, rule_id="RM-DISBURSED-OVER-APPROVAL").rules[0]
    assert rule.status == "not_applicable"
    assert rule.reason.en == 'other stage: stage "pre_submission" is not one of disbursed, post_loan'
    assert rule.reason.zh == '不适用（阶段）：stage "pre_submission" 不在 disbursed, post_loan 之中'


def test_not_in_force_and_other_kind_are_not_applicable(explainer):
    starter = Explainer(Engine.from_paths(STARTER_RULES))  # DDM-TERM-WC-MAX is in force from 2024-07-01
    early = {**LOAN, "term_months": 60, "accepted_on": "2024-06-30"}
    rule = starter.explain(early, as_of="2024-06-30", rule_id="DDM-TERM-WC-MAX").rules[0]
    assert rule.status == "not_applicable"
    assert rule.reason.en == "not in force on 2024-06-30: the rule applies from 2024-07-01"
    assert rule.reason.zh == "不适用（未生效）：记录日期 2024-06-30，规则自 2024-07-01 起生效"
    later = starter.explain({**early, "accepted_on": "2024-07-01"}, as_of="2024-07-01", rule_id="DDM-TERM-WC-MAX")
    assert later.rules[0].status == "fired"
    other = explainer.explain(gift(), as_of=AS_OF, rule_id="DDC-MAT-MISSING-CREDIT-REPORT").rules[0]
    assert other.status == "not_applicable" and other.reason.en == (
        "other record kind: the rule applies to loan_file records, this is a gift")


def test_unknown_rule_has_a_hint(explainer):
    with pytest.raises(ConductError, match=r"unknown rule 'BRB-GIFT-KEPP' \(did you mean BRB-GIFT-KEEP\?\)"):
        explainer.explain(gift(), rule_id="BRB-GIFT-KEPP")


def test_every_rule_of_the_kind_is_explained_and_agrees_with_the_engine(explainer, live):
    explanation = explainer.explain(gift(), as_of=AS_OF)
    assert [r.rule_id for r in explanation.rules] == [r.rule.id for r in live.rules_for("gift")]
    fired = {r.rule_id for r in explanation.rules if r.status == "fired"}
    assert fired == {v.rule_id for v in live.evaluate(gift(), as_of=AS_OF).violations}


def test_cli_explain_text_and_json(tmp_path):
    path = tmp_path / "gift.json"
    path.write_text(json.dumps(gift(value_cny=500)), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "conduct_engine.cli", "explain", str(path), "--rule", "BRB-GIFT-KEEP",
                          "--as-of", AS_OF], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "gift_value_per_recipient 500 > gift_keep_max_cny 500 (pack default) → false" in run.stdout
    assert "gift_value_per_recipient 500 > gift_keep_max_cny 500（包默认值） → 不成立" in run.stdout
    run = subprocess.run([sys.executable, "-m", "conduct_engine.cli", "explain", str(path), "--format", "json",
                          "--as-of", AS_OF], capture_output=True, text=True, cwd=ROOT, timeout=120)
    doc = json.loads(run.stdout)
    assert set(doc) >= {"record_id", "kind", "as_of", "rules"} and doc["record_id"] == "G-800"
    keep = next(r for r in doc["rules"] if r["rule_id"] == "BRB-GIFT-KEEP")
    assert keep["status"] == "not_fired" and {"text", "actual", "threshold", "origin", "result"} <= set(
        keep["conditions"][1])
    bad = subprocess.run([sys.executable, "-m", "conduct_engine.cli", "explain", str(path), "--rule", "BRB-GIFT-KEPP"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert bad.returncode == 2 and "did you mean BRB-GIFT-KEEP" in bad.stderr


def test_post_explain(live):
    with TestClient(create_app(live)) as client:
        answer = client.post("/v1/explain", json={"record": gift(branch="BJ-001", value_cny=400), "as_of": AS_OF,
                                                  "rule_id": "BRB-GIFT-KEEP"})
        assert answer.status_code == 200, answer.text
        rule = answer.json()["rules"][0]
        assert rule["status"] == "fired"
        assert rule["conditions"][1]["says"]["en"] == ("gift_value_per_recipient 400 > gift_keep_max_cny 300 "
                                                       "(branch BJ-001) → true")
        bad = client.post("/v1/explain", json={"record": gift(), "rule_id": "BRB-GIFT-KEPP"})
        assert bad.status_code == 422 and "did you mean BRB-GIFT-KEEP" in bad.text
        assert bad.json()["code"] == "invalid_input"
        broken = client.post("/v1/explain", json={"record": {**gift(), "value_cny": "lots"}})
        assert broken.status_code == 422 and broken.json()["errors"][0]["loc"].startswith("record")
