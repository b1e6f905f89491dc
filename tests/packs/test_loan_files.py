"""Loan-file examples (examples/loan_files/) and the due-diligence / risk-management pack (issue 4).

- every clean example (``<product>.pass.json``) passes; every broken variant gets the decision its
  name says (``<name>.block.json`` / ``<name>.review.json``);
- removing each required element of a clean file in turn (material, step, interview, module,
  signature) gives exactly one "what is missing" finding (``DDC-*``), naming that element in its
  rule id and in both messages;
- the conduct joins (gifts in history, relations in context, 审贷分离, related or mutual guarantors,
  disbursement before the security, self-payment above the threshold) each fire on a clean file.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "loan_files"
LABELS = yaml.safe_load((ROOT / "rules" / "labels.yaml").read_text(encoding="utf-8"))["values"]
PRODUCTS = ["working_capital", "fixed_asset", "project_finance", "trade_finance", "personal_consumer",
            "personal_business"]
STEP_NAMES = {"acceptance": ("调查受理", "acceptance"), "collection": ("资料收集及审核", "collection"),
              "site_visit": ("现场访谈", "on-site visit"), "analysis": ("整理分析", "analysis"),
              "report": ("形成调查报告", "report")}
MODULE_NAMES = {"subject": ("客户主体资格调查", "eligibility"), "product_market": ("产品与市场调查", "products and market"),
                "related_parties": ("关联客户调查", "related parties"), "financials": ("财务调查", "financials"),
                "rating": ("评级调查", "rating"), "credit": ("授信调查", "credit amount"),
                "guarantee": ("担保情况调查", "guarantees"), "term": ("期限调查", "term")}


def _body(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def _check(engine, body: dict, **extra):
    return engine.evaluate(body["record"], context=extra.get("context", body.get("context")),
                           history=extra.get("history", ()), as_of=body.get("as_of"))


def _ids(result) -> set[str]:
    return {v.rule_id for v in result.violations}


def _code(value: str) -> str:
    return value.upper().replace("_", "-")


# ---- examples ------------------------------------------------------------------------------------
def test_every_product_has_a_clean_example():
    assert sorted(p.name for p in EXAMPLES.glob("*.pass.json") if p.name.count(".") == 2 and
                  p.name.split(".")[0] in PRODUCTS) == sorted(f"{p}.pass.json" for p in PRODUCTS)


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_example_decision_matches_its_name(engine, name):
    expected = name.split(".")[-2]
    result = _check(engine, _body(name))
    assert result.decision == expected, [(v.rule_id, v.message.en) for v in result.violations]
    if expected != "pass":
        assert result.violations


def test_what_is_missing_comes_all_at_once(engine):
    result = _check(engine, _body("working_capital_incomplete.block.json"))
    missing = sorted(v.rule_id for v in result.violations if v.rule_id.startswith("DDC-"))
    assert missing == ["DDC-INTERVIEW-MISSING-FINANCE-HEAD", "DDC-MAT-MISSING-AUDITED-FS",
                       "DDC-MAT-MISSING-BOARD-RESOLUTION", "DDC-MAT-MISSING-GUARANTOR-DOCS",
                       "DDC-MODULE-MISSING-RATING", "DDC-REPORT-UNSIGNED-CO", "DDC-STEP-MISSING-ANALYSIS"]


# ---- remove each required element in turn --------------------------------------------------------
def _removals(product: str):
    """(what is removed, mutation, expected rule id, zh text, en text) for every required element."""
    record = _body(f"{product}.pass.json")["record"]
    out = []
    for mtype in sorted({m["type"] for m in record["materials"] if m.get("required")}):
        def drop_material(r, t=mtype):
            r["materials"] = [m for m in r["materials"] if m["type"] != t]
        out.append((f"material {mtype}", drop_material, f"DDC-MAT-MISSING-{_code(mtype)}", *LABELS[mtype]))
    for step in record["steps"]:
        def drop_step(r, s=step):
            del r["steps"][s]
        out.append((f"step {step}", drop_step, f"DDC-STEP-MISSING-{_code(step)}", *STEP_NAMES[step]))
    for interview in record["interviews"]:
        role = interview["role"]
        def drop_interview(r, x=role):
            r["interviews"] = [i for i in r["interviews"] if i["role"] != x]
        out.append((f"interview {role}", drop_interview, f"DDC-INTERVIEW-MISSING-{_code(role)}", *LABELS[role]))
    for module in record["modules"]:
        def drop_module(r, x=module):
            del r["modules"][x]
        out.append((f"module {module}", drop_module, f"DDC-MODULE-MISSING-{_code(module)}", *MODULE_NAMES[module]))
    for signer, rule in [(record["team"]["lead_investigator"], "DDC-REPORT-UNSIGNED-LEAD"),
                         (record["team"]["co_investigators"][0], "DDC-REPORT-UNSIGNED-CO")]:
        def drop_signature(r, x=signer):
            r["report"]["signed_by"] = [s for s in r["report"]["signed_by"] if s != x]
        zh_role = "主调查人" if rule.endswith("LEAD") else "协办调查人"
        en_role = "lead investigator" if rule.endswith("LEAD") else "co-investigator"
        out.append((f"signature {signer}", drop_signature, rule, zh_role, en_role))
    return out


REMOVALS = [(product, what, mutate, rule, zh, en) for product in PRODUCTS
            for what, mutate, rule, zh, en in _removals(product)]


def test_removals_cover_every_kind_of_element():
    kinds = {(product, what.split()[0]) for product, what, *_ in REMOVALS}
    assert kinds == {(p, k) for p in PRODUCTS for k in ("material", "step", "interview", "module", "signature")}
    assert len(REMOVALS) >= 6 * 18


@pytest.mark.parametrize(("product", "what", "mutate", "rule", "zh", "en"), REMOVALS,
                         ids=[f"{p}-{w}" for p, w, *_ in REMOVALS])
def test_removing_a_required_element_names_exactly_it(engine, product, what, mutate, rule, zh, en):
    body = _body(f"{product}.pass.json")
    record = copy.deepcopy(body["record"])
    mutate(record)
    result = engine.evaluate(record, as_of=body["as_of"])
    missing = [v for v in result.violations if v.rule_id.startswith("DDC-")]
    assert [v.rule_id for v in missing] == [rule], [(v.rule_id, v.message.en) for v in result.violations]
    assert zh in missing[0].message.zh and en.lower() in missing[0].message.en.lower(), missing[0].message
    assert result.decision != "pass"
    if what.startswith("signature"):
        assert what.split()[1] in missing[0].message.en


# ---- conduct joins -------------------------------------------------------------------------------
WC = "working_capital.pass.json"


def _gift(day: str, employee: str = "E-100", **counterparty) -> dict:
    return {"id": f"G-{employee}-{day}", "kind": "gift", "employee_id": employee, "occurred_on": day,
            "direction": "received", "form": "goods", "value_cny": 400,
            "counterparty": {"party_id": "P-9", "name": "上海某制造有限公司", **counterparty}}


def test_gift_that_lives_only_in_history_recuses_the_investigator(engine):
    body = _body(WC)  # report dated 2026-09-25: the window is (2025-09-25, 2026-09-25]
    assert "DDP-INVESTIGATOR-GIFT-BORROWER" not in _ids(_check(engine, body))
    inside = _check(engine, body, history=[_gift("2025-09-26")])
    found = [v for v in inside.violations if v.rule_id == "DDP-INVESTIGATOR-GIFT-BORROWER"]
    assert found and found[0].related_records == ["G-E-100-2025-09-26"] and inside.decision == "block"
    assert "DDP-INVESTIGATOR-GIFT-BORROWER" not in _ids(_check(engine, body, history=[_gift("2025-09-25")]))
    # the co-investigator (a list key), a gift from another company of the borrower's group
    group_gift = _gift("2026-05-01", "E-101", party_id="P-21", group_id="GRP-9")
    assert "DDP-INVESTIGATOR-GIFT-BORROWER" in _ids(_check(engine, body, history=[group_gift]))
    # someone outside the team: no finding
    assert "DDP-INVESTIGATOR-GIFT-BORROWER" not in _ids(_check(engine, body, history=[_gift("2026-05-01", "E-999")]))


def test_hospitality_from_the_broker(engine):
    body = _body(WC)
    body["record"].update(referral_channel="broker", broker_party_id="P-50")
    meal = {"id": "EN-1", "kind": "entertainment", "employee_id": "E-101", "occurred_on": "2026-07-01",
            "direction": "received", "type": "meal", "cost_total_cny": 900, "attendees": 3,
            "counterparty": {"party_id": "P-50", "name": "某融资顾问公司"}}
    assert "DDP-INVESTIGATOR-GIFT-BROKER" in _ids(_check(engine, body, history=[meal]))
    assert "DDP-INVESTIGATOR-GIFT-BROKER" not in _ids(_check(engine, body, history=[{**meal, "direction": "given"}]))


def test_investigator_who_also_reviews_or_approves(engine):
    body = _body(WC)
    body["record"]["team"]["reviewers"] = ["E-100"]
    result = _check(engine, body)
    found = [v for v in result.violations if v.rule_id == "DDP-INVESTIGATOR-ALSO-DECIDER"]
    assert len(found) == 1 and "E-100" in found[0].message.zh and "审查人" in found[0].message.zh


def test_relation_that_lives_only_in_context(engine):
    body = _body(WC)
    ctx = {"employees": [{"id": "E-101", "name": "李四", "relations": [{"party_id": "P-9", "relation": "close_relative"}]}]}
    result = _check(engine, body, context=ctx)
    found = [v for v in result.violations if v.rule_id == "DDP-INVESTIGATOR-RELATED-BORROWER"]
    assert len(found) == 1 and "近亲属" in found[0].message.zh and result.decision == "block"
    guarantor = {"employees": [{"id": "E-100", "relations": [{"party_id": "P-30", "relation": "friend"}]}]}
    assert "DDP-INVESTIGATOR-RELATED-GUARANTOR" in _ids(_check(engine, body, context=guarantor))
    other = {"employees": [{"id": "E-300", "relations": [{"party_id": "P-9", "relation": "friend"}]}]}
    assert _check(engine, body, context=other).decision == "pass"


def test_guarantor_related_to_the_borrower_or_mutual(engine):
    body = _body(WC)
    body["record"]["related_parties"].append({"party_id": "P-30", "relation": "same_actual_controller"})
    assert "DDM-GUARANTOR-RELATED" in _ids(_check(engine, body))
    body = _body(WC)
    ctx = {"parties": [{"id": "P-9", "related": [{"party_id": "P-30", "relation": "mutual_guarantee"}]},
                       {"id": "P-30", "related": [{"party_id": "P-9", "relation": "mutual_guarantee"}]}]}
    assert "DDM-MUTUAL-GUARANTEE-CONTEXT" in _ids(_check(engine, body, context=ctx))


def test_disbursement_before_the_security(engine):
    body = _body("fixed_asset_disbursed_before_registration.block.json")
    result = _check(engine, body)
    assert _ids(result) == {"RM-DISBURSED-BEFORE-REGISTRATION"}
    registered = copy.deepcopy(body)
    registered["record"]["guarantees"][0]["collateral"].update(registration_status="registered",
                                                               registered_on="2026-10-15")
    assert _check(engine, registered).decision == "pass"  # registered the day of the disbursement
    unsigned = copy.deepcopy(registered)
    unsigned["record"]["guarantees"][0]["contract_signed_on"] = "2026-10-16"
    assert _ids(_check(engine, unsigned)) == {"RM-DISBURSED-BEFORE-GUARANTEE-SIGNED"}


def test_self_payment_above_the_entrusted_threshold(engine):
    body = _body("working_capital_self_payment.review.json")
    found = [v for v in _check(engine, body).violations if v.rule_id.startswith("RM-SELF-PAYMENT")]
    assert [v.rule_id for v in found] == ["RM-SELF-PAYMENT-ABOVE-LIMIT-WORKING-CAPITAL"]
    assert "10000000" in found[0].message.zh and "12000000" in found[0].message.zh
    body["record"]["loan"]["disbursements"][0]["amount_cny"] = 10_000_000
    assert _check(engine, body).decision == "pass"


def test_pre_submission_rules_do_not_nag_about_disbursement(engine):
    body = _body(WC)
    assert not [r for r in _ids(_check(engine, body)) if r.startswith("RM-")]


def test_post_loan_checks_still_report_what_was_missing_at_origination(engine):
    post = _body("working_capital_post_loan.pass.json")
    post["record"]["modules"] = {}  # issue 17: an audit of the loan book sees what was wrong from the start
    found = _check(engine, post).violations
    assert sorted(v.rule_id for v in found) == sorted(f"DDC-MODULE-MISSING-{_code(m)}" for m in MODULE_NAMES)
    assert all(v.message.en.startswith("At origination: ") and v.message.zh.startswith("贷款发起时：") for v in found)


def test_new_client_of_average_credit_is_paid_by_entrusted_payment(engine):
    # WCL 2024 Art. 27 (1): new relationship AND credit status only average -> entrusted payment, whatever the amount
    body = _body("working_capital_new_client_self_payment.review.json")
    found = [v for v in _check(engine, body).violations if v.rule_id == "RM-ENTRUSTED-PAYMENT-REQUIRED"]
    assert len(found) == 1 and "2000000" in found[0].message.zh and "2026-10-15" in found[0].message.en
    assert "第二十七条" in found[0].source
    for borrower in ({"is_new_client": False}, {"credit_status": "good"}):  # either condition alone is not enough
        other = copy.deepcopy(body)
        other["record"]["borrower"].update(borrower)
        assert _check(engine, other).decision == "pass"
