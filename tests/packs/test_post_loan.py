"""The loan after approval (issue 17): stages, disbursement controls, classification, monitoring, collection.

- every clean example passes, with no finding at all, at every stage it can be in; every broken variant gets
  exactly its findings;
- a disbursed or post-loan file is still checked for what was wrong at origination, and says so;
- the boundaries of every new rule: the inspection interval of each risk class and one day past it, the
  overdue days of each class band, each industry's own-capital minimum and just under it, the approved
  amount and one yuan more, the inspection gap, the retention date;
- collection action types are an enum with synonyms; an unknown type is a field error.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest

from conduct_engine.errors import RecordError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "loan_files"
PRODUCTS = ["working_capital", "fixed_asset", "project_finance", "trade_finance", "personal_consumer",
            "personal_business"]
STAGES = ["pre_submission", "approved", "disbursed", "post_loan"]

#: Every broken example and exactly the findings it gets.
BROKEN = {
    "fixed_asset_disbursed_before_registration.block.json": {"RM-DISBURSED-BEFORE-REGISTRATION"},
    "fixed_asset_inspection_gap.review.json": {"RM-INSPECTION-GAP-CORPORATE"},
    "fixed_asset_ltv_breach.block.json": {"DDM-LTV-LAND-USE-RIGHT"},
    "fixed_asset_no_project_site_visit.review.json": {"DDS-NO-PROJECT-SITE-VISIT", "DDS-RESTRICTED-NO-CONDITIONS"},
    "fixed_asset_overdue_91_special_mention.review.json": {"RM-CLASS-OVERDUE-SUBSTANDARD"},
    "fixed_asset_own_capital_below_min.block.json": {"RM-OWN-CAPITAL-BELOW-MIN-STEEL"},
    "fixed_asset_substandard_inspection_overdue.review.json": {"RM-ROUTINE-OVERDUE-WATCH"},
    "personal_business_disbursed_before_approval.block.json": {"RM-DISBURSED-BEFORE-APPROVAL"},
    "personal_business_inspection_gap.review.json": {"RM-INSPECTION-GAP-INDIVIDUAL"},
    "personal_business_overdue_271_substandard.review.json": {"RM-CLASS-OVERDUE-DOUBTFUL"},
    "personal_business_phone_interview.review.json": {"DDC-INTERVIEW-MISSING-BORROWER"},
    "personal_consumer_disbursed_over_approval.block.json": {"RM-DISBURSED-OVER-APPROVAL"},
    "personal_consumer_doubtful_inspection_overdue.review.json": {"RM-ROUTINE-OVERDUE-WATCH"},
    "personal_consumer_overdue_361_doubtful.review.json": {"RM-CLASS-OVERDUE-LOSS"},
    "personal_consumer_term_too_long.block.json": {"DDM-TERM-LIMIT-PERSONAL-CONSUMER"},
    "project_finance_approved_before_report.block.json": {"RM-APPROVED-BEFORE-REPORT"},
    "project_finance_mutual_guarantee.review.json": {"DDM-MUTUAL-GUARANTEE"},
    "project_finance_own_capital_not_recorded.review.json": {"RM-OWN-CAPITAL-NOT-RECORDED"},
    "trade_finance_disbursed_before_report.block.json": {"RM-DISBURSED-BEFORE-REPORT"},
    "trade_finance_loss_inspection_overdue.review.json": {"RM-ROUTINE-OVERDUE-WATCH"},
    "trade_finance_no_sales_contracts.block.json": {"DDC-MAT-MISSING-SALES-CONTRACTS"},
    "trade_finance_risk_class_missing.review.json": {"RM-CLASS-MISSING"},
    "working_capital_approval_not_recorded.review.json": {"RM-APPROVAL-NOT-RECORDED"},
    "working_capital_disbursed_over_approval.block.json": {"RM-DISBURSED-OVER-APPROVAL"},
    "working_capital_file_destroyed_early.block.json": {"RM-FILE-DESTROYED-BEFORE-RETENTION"},
    # an overdue scheduled first-tracking inspection is reported once, by RM-INSPECTION-OVERDUE (4a2c624)
    "working_capital_first_inspection_overdue.review.json": {"RM-INSPECTION-OVERDUE"},
    "working_capital_incomplete.block.json": {
        "DDC-MAT-MISSING-AUDITED-FS", "DDC-MAT-MISSING-BOARD-RESOLUTION", "DDC-MAT-MISSING-GUARANTOR-DOCS",
        "DDC-REPORT-UNSIGNED-CO", "DDC-STEP-MISSING-ANALYSIS", "DDC-INTERVIEW-MISSING-FINANCE-HEAD",
        "DDC-MODULE-MISSING-RATING"},
    "working_capital_investigator_is_approver.block.json": {"DDP-INVESTIGATOR-ALSO-DECIDER"},
    "working_capital_investigator_related.block.json": {"DDP-INVESTIGATOR-RELATED-BORROWER"},
    "working_capital_overdue_no_formal_demand.review.json": {"RM-OVERDUE-NO-FORMAL-DEMAND"},
    "working_capital_overdue_91_still_normal.review.json": {"RM-OVERDUE-STILL-NORMAL"},
    "working_capital_overdue_still_normal.review.json": {"RM-CLASS-OVERDUE-SPECIAL-MENTION"},
    "working_capital_report_before_visit.block.json": {"DDS-REPORT-BEFORE-VISIT"},
    "working_capital_report_unsigned_at_origination.block.json": {"DDC-REPORT-UNSIGNED-CO"},
    "working_capital_revenue_gap.review.json": {"DDP-CREDIT-REPORT-STALE", "DDP-REVENUE-TAX-GAP"},
    "working_capital_new_client_self_payment.review.json": {"RM-ENTRUSTED-PAYMENT-REQUIRED"},
    "working_capital_self_payment.review.json": {"RM-SELF-PAYMENT-ABOVE-LIMIT-WORKING-CAPITAL"},
    "working_capital_special_mention_inspection_overdue.review.json": {"RM-ROUTINE-OVERDUE-WATCH"},
}
#: The rules of this issue and the two released ids it reshaped, each with a broken example of its own.
NEW_RULES = {
    "RM-DISBURSED-OVER-APPROVAL", "RM-DISBURSED-BEFORE-REPORT", "RM-DISBURSED-BEFORE-APPROVAL",
    "RM-APPROVED-BEFORE-REPORT", "RM-APPROVAL-NOT-RECORDED", "RM-OWN-CAPITAL-BELOW-MIN-STEEL",
    "RM-OWN-CAPITAL-NOT-RECORDED", "RM-CLASS-MISSING", "RM-CLASS-OVERDUE-SPECIAL-MENTION",
    "RM-CLASS-OVERDUE-SUBSTANDARD", "RM-CLASS-OVERDUE-DOUBTFUL", "RM-CLASS-OVERDUE-LOSS",
    "RM-OVERDUE-STILL-NORMAL", "RM-ROUTINE-OVERDUE-WATCH", "RM-FILE-DESTROYED-BEFORE-RETENTION",
    "RM-INSPECTION-GAP-CORPORATE", "RM-INSPECTION-GAP-INDIVIDUAL",
}
#: Rules filed under rules/due_diligence/ that are not due-diligence rules, and why.
NOT_DUE_DILIGENCE = {
    "RM-ENTRUSTED-PAYMENT-REQUIRED": "a disbursement control (pack risk.entrusted_payment), checked after approval only",
}
#: Due-diligence rules that do not run on disbursed files, and why.
DD_NOT_AFTER_APPROVAL = {
    "DDS-ACCEPTED-BEFORE-MATERIALS": "post-loan files carry materials obtained after acceptance",
    "DDS-VERIFIED-AFTER-ANALYSIS": "post-loan files carry materials verified after the analysis",
}


def _body(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def _run(engine, record: dict, as_of: str, **kw):
    return engine.evaluate(record, as_of=as_of, **kw)


def _ids(result) -> set[str]:
    return {v.rule_id for v in result.violations}


def clean_at_stages(name: str) -> list[tuple[str, dict, str]]:
    """A clean example at every stage it can be in: (stage, record, as_of)."""
    body = _body(name)
    record, as_of = body["record"], body["as_of"]
    if record.get("stage", "pre_submission") == "pre_submission":
        return [("pre_submission", record, as_of)]
    approved = copy.deepcopy(record)  # the same file the day after approval: nothing paid out or inspected yet
    approved["stage"] = "approved"
    approved["loan"] = {k: v for k, v in record["loan"].items() if k in ("approved_on", "approved_amount_cny")}
    approved.pop("archive", None)
    day = record["loan"]["approved_on"]
    out = [("approved", approved, day)]
    out += [(stage, {**copy.deepcopy(record), "stage": stage}, as_of) for stage in ("disbursed", "post_loan")]
    return out


CLEAN = sorted(p.name for p in EXAMPLES.glob("*.pass.json"))
CLEAN_CASES = [(name, stage, record, as_of) for name in CLEAN for stage, record, as_of in clean_at_stages(name)]


# ---- examples ---------------------------------------------------------------------------------------------
def test_a_clean_disbursed_and_post_loan_file_for_every_product():
    for product in PRODUCTS:
        for stage in ("disbursed", "post_loan"):
            record = _body(f"{product}_{stage}.pass.json")["record"]
            assert (record["product_type"], record["stage"]) == (product, stage)
    assert {stage for _, stage, _, _ in CLEAN_CASES} == set(STAGES)


@pytest.mark.parametrize(("name", "stage", "record", "as_of"), CLEAN_CASES,
                         ids=[f"{n.split('.')[0]}@{s}" for n, s, _, _ in CLEAN_CASES])
def test_clean_example_passes_at_every_stage_it_can_be_in(engine, name, stage, record, as_of):
    result = _run(engine, record, as_of)
    assert result.decision == "pass" and not result.violations, [(v.rule_id, v.message.en) for v in result.violations]


def test_every_broken_example_is_listed():
    broken = {p.name for p in EXAMPLES.glob("*.json") if not p.name.endswith(".pass.json")
              and p.name.count(".") == 2}
    assert broken == set(BROKEN)
    assert NEW_RULES <= set().union(*BROKEN.values())


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_example_gets_exactly_its_findings(engine, name):
    body = _body(name)
    result = _run(engine, body["record"], body.get("as_of"), context=body.get("context"))
    assert _ids(result) == BROKEN[name], [(v.rule_id, v.message.en) for v in result.violations]
    assert result.decision == name.split(".")[-2]


# ---- stages -----------------------------------------------------------------------------------------------
def test_due_diligence_rules_run_at_every_stage_and_look_back(engine):
    for rid, rdef in engine.packs.rules.items():
        if (not rdef.file.startswith("rules/due_diligence/") or rid.startswith("DDP-INVESTIGATOR-GIFT")
                or rid in NOT_DUE_DILIGENCE):
            continue
        assert rdef.rule.origination, rid
        if rid in DD_NOT_AFTER_APPROVAL:
            assert rdef.rule.stages == ["pre_submission", "approved"], rid
        else:
            assert rdef.rule.stages is None, rid  # the documented default: every stage
    terms = [r for r in engine.packs.rules.values() if r.rule.standard == "dd.term"]
    assert terms and all(r.rule.stages is None for r in terms)


def test_a_post_loan_file_is_checked_for_what_was_wrong_at_origination(engine):
    body = _body("working_capital_report_unsigned_at_origination.block.json")
    found = engine.evaluate(body["record"], as_of=body["as_of"]).violations
    assert [v.rule_id for v in found] == ["DDC-REPORT-UNSIGNED-CO"]
    assert found[0].message.zh.startswith("贷款发起时：") and found[0].message.en.startswith("At origination: ")
    assert found[0].evidence["at_origination"] is True
    before = copy.deepcopy(body["record"])
    before["stage"] = "pre_submission"
    again = engine.evaluate(before, as_of="2026-09-25").violations
    assert [v.rule_id for v in again] == ["DDC-REPORT-UNSIGNED-CO"]
    assert not again[0].message.en.startswith("At origination") and "at_origination" not in again[0].evidence
    assert found[0].message.en == "At origination: " + again[0].message.en[0].lower() + again[0].message.en[1:]


def test_term_caps_and_face_to_face_signing_still_apply_after_disbursement(engine):
    body = _body("personal_consumer_post_loan.pass.json")
    record = copy.deepcopy(body["record"])
    record["term_months"] = 61
    found = {v.rule_id: v for v in engine.evaluate(record, as_of=body["as_of"]).violations}
    assert set(found) == {"DDM-TERM-LIMIT-PERSONAL-CONSUMER"}
    assert found["DDM-TERM-LIMIT-PERSONAL-CONSUMER"].message.en.startswith("At origination: ")
    body = _body("personal_business_disbursed.pass.json")
    record = copy.deepcopy(body["record"])
    record["guarantees"][0]["face_to_face_signed"] = False
    assert _ids(engine.evaluate(record, as_of=body["as_of"])) == {"DDM-GUARANTEE-NOT-FACE-TO-FACE"}


def test_a_disbursement_finding_looks_back_only_once_the_file_is_in_post_loan(engine):
    body = _body("working_capital_disbursed_over_approval.block.json")
    now = engine.evaluate(body["record"], as_of=body["as_of"]).violations[0]
    assert now.rule_id == "RM-DISBURSED-OVER-APPROVAL" and not now.message.en.startswith("At origination")
    later = engine.evaluate({**body["record"], "stage": "post_loan"}, as_of=body["as_of"]).violations[0]
    assert later.message.en.startswith("At origination: ") and later.message.zh.startswith("贷款发起时：")
    monitoring = _body("working_capital_special_mention_inspection_overdue.review.json")
    found = engine.evaluate(monitoring["record"], as_of=monitoring["as_of"]).violations[0]
    assert not found.message.en.startswith("At origination")  # what is wrong now


# ---- boundaries -------------------------------------------------------------------------------------------
def _post_loan(product: str = "working_capital") -> tuple[dict, str]:
    body = _body(f"{product}_post_loan.pass.json")
    return copy.deepcopy(body["record"]), body["as_of"]


def _last_inspection(record: dict) -> dt.date:
    return max(dt.date.fromisoformat(i["performed_on"]) for i in record["loan"]["inspections"] if i.get("performed_on"))


INTERVALS = [("corporate", "normal", 90, "RM-ROUTINE-OVERDUE-NORMAL"),
             ("individual", "normal", 180, "RM-ROUTINE-OVERDUE-PERSONAL")] + [
    (btype, cls, 30, "RM-ROUTINE-OVERDUE-WATCH")  # one released id for every watch class
    for cls in ("special_mention", "substandard", "doubtful", "loss") for btype in ("corporate", "individual")]


@pytest.mark.parametrize(("btype", "risk_class", "days", "rule"), INTERVALS)
def test_inspection_due_date_and_one_day_late_per_class(engine, btype, risk_class, days, rule):
    record, _ = _post_loan("working_capital" if btype == "corporate" else "personal_consumer")
    record["loan"]["risk_class"] = risk_class
    record["loan"]["inspections"] = [i for i in record["loan"]["inspections"] if i.get("performed_on")]
    due = _last_inspection(record) + dt.timedelta(days=days)
    assert rule not in _ids(engine.evaluate(record, as_of=due.isoformat()))
    late = engine.evaluate(record, as_of=(due + dt.timedelta(days=1)).isoformat())
    assert rule in _ids(late)


BANDS = [("normal", 7, 8, "RM-CLASS-OVERDUE-SPECIAL-MENTION"), ("special_mention", 90, 91, "RM-CLASS-OVERDUE-SUBSTANDARD"),
         ("normal", 90, 91, "RM-OVERDUE-STILL-NORMAL"), ("substandard", 270, 271, "RM-CLASS-OVERDUE-DOUBTFUL"),
         ("special_mention", 270, 271, "RM-CLASS-OVERDUE-DOUBTFUL"), ("doubtful", 360, 361, "RM-CLASS-OVERDUE-LOSS"),
         ("special_mention", 360, 361, "RM-CLASS-OVERDUE-LOSS")]


def _class_findings(ids: set[str]) -> set[str]:
    """The classification findings: the bands and the released RM-OVERDUE-STILL-NORMAL (normal past 90 days)."""
    return {r for r in ids if r.startswith("RM-CLASS-OVERDUE-") or r == "RM-OVERDUE-STILL-NORMAL"}


@pytest.mark.parametrize(("risk_class", "ok", "over", "rule"), BANDS)
def test_classification_against_overdue_days(engine, risk_class, ok, over, rule):
    record, as_of = _post_loan()
    record["loan"].update(risk_class=risk_class, overdue_days=ok)
    at = _ids(engine.evaluate(record, as_of=as_of))
    record["loan"]["overdue_days"] = over
    past = _ids(engine.evaluate(record, as_of=as_of))
    assert rule not in at and rule in past
    assert _class_findings(past) == {rule}  # one finding: the band it is in


@pytest.mark.parametrize("days", [91, 92, 270, 271, 360, 361, 1000])
def test_a_normal_loan_past_90_days_is_still_normal_and_nothing_else(engine, days):
    """The released id keeps every normal loan past 90 days; no band reports the same loan again."""
    record, as_of = _post_loan()
    record["loan"].update(risk_class="normal", overdue_days=days)
    assert _class_findings(_ids(engine.evaluate(record, as_of=as_of))) == {"RM-OVERDUE-STILL-NORMAL"}


def test_a_loan_classed_low_enough_is_not_flagged(engine):
    record, as_of = _post_loan()
    for days, cls in [(8, "special_mention"), (91, "substandard"), (271, "doubtful"), (361, "loss"), (2000, "loss")]:
        record["loan"].update(overdue_days=days, risk_class=cls)
        assert not _class_findings(_ids(engine.evaluate(record, as_of=as_of)))


def _capital_cases(engine) -> list[tuple[str, float, str]]:
    params = engine.packs.parameters
    return [(industry, params[f"own_capital_min_{tier}"], f"RM-OWN-CAPITAL-BELOW-MIN-{tier.upper()}")
            for tier in ("steel", "cement", "coal", "airport", "other")
            for industry in params[f"capital_industries_{tier}"]]


def test_own_capital_at_and_under_the_minimum_of_every_industry(engine):
    cases = _capital_cases(engine)
    from conduct_engine.records.loan_file import CAPITAL_INDUSTRIES
    assert sorted(i for i, _, _ in cases) == sorted(CAPITAL_INDUSTRIES)  # every industry has its minimum
    for product in ("fixed_asset", "project_finance"):
        for stage in ("pre_submission", "disbursed"):
            body = _body(f"{product}.pass.json" if stage == "pre_submission" else f"{product}_{stage}.pass.json")
            for industry, minimum, rule in cases:
                record = copy.deepcopy(body["record"])
                record.update(capital_industry=industry, own_capital_ratio=minimum)
                assert not _ids(engine.evaluate(record, as_of=body["as_of"])), (product, industry)
                record["own_capital_ratio"] = round(minimum - 0.0001, 4)
                assert _ids(engine.evaluate(record, as_of=body["as_of"])) == {rule}, (product, industry)
    assert {m for _, m, _ in cases} == {0.4, 0.35, 0.3, 0.25, 0.2}


@pytest.mark.parametrize("product", PRODUCTS)
def test_disbursed_equal_to_and_one_yuan_over_the_approval(engine, product):
    body = _body(f"{product}_disbursed.pass.json")
    record = copy.deepcopy(body["record"])
    approved = record["loan"]["approved_amount_cny"]
    half = approved // 2
    record["loan"]["disbursements"] = [{**record["loan"]["disbursements"][0], "amount_cny": half},
                                       {**record["loan"]["disbursements"][0], "amount_cny": approved - half}]
    assert not _ids(engine.evaluate(record, as_of=body["as_of"]))
    record["loan"]["disbursements"][1]["amount_cny"] += 1
    found = engine.evaluate(record, as_of=body["as_of"]).violations
    assert [v.rule_id for v in found] == ["RM-DISBURSED-OVER-APPROVAL"]
    assert f"{approved + 1:,.0f}" in found[0].message.en and f"{approved:,.0f}" in found[0].message.en


def test_disbursement_order_against_report_and_approval(engine):
    body = _body("working_capital_disbursed.pass.json")
    record = copy.deepcopy(body["record"])
    paid = record["loan"]["disbursements"][0]["disbursed_on"]
    record["loan"]["approved_on"] = paid  # approved and paid out the same day: allowed
    assert not _ids(engine.evaluate(record, as_of=body["as_of"]))
    day_after = (dt.date.fromisoformat(paid) + dt.timedelta(days=1)).isoformat()
    record["loan"]["approved_on"] = day_after
    assert _ids(engine.evaluate(record, as_of=body["as_of"])) == {"RM-DISBURSED-BEFORE-APPROVAL"}
    report = record["report"]["date"]  # report, approval and payment the same day: allowed
    record["loan"]["approved_on"] = record["loan"]["disbursements"][0]["disbursed_on"] = report
    assert not _ids(engine.evaluate(record, as_of=body["as_of"]))
    day_before = (dt.date.fromisoformat(report) - dt.timedelta(days=1)).isoformat()
    record["loan"]["approved_on"] = record["loan"]["disbursements"][0]["disbursed_on"] = day_before
    assert _ids(engine.evaluate(record, as_of=body["as_of"])) == {"RM-DISBURSED-BEFORE-REPORT"}  # the gravest only
    record["loan"]["approved_on"] = day_before
    record["loan"]["disbursements"][0]["disbursed_on"] = report
    assert _ids(engine.evaluate(record, as_of=body["as_of"])) == {"RM-APPROVED-BEFORE-REPORT"}


@pytest.mark.parametrize(("product", "limit", "rule"), [("working_capital", 90, "RM-INSPECTION-GAP-CORPORATE"),
                                                        ("personal_consumer", 180, "RM-INSPECTION-GAP-INDIVIDUAL")])
def test_inspection_gap_at_and_past_the_limit(engine, product, limit, rule):
    record, _ = _post_loan(product)
    first = dt.date.fromisoformat(record["loan"]["inspections"][0]["performed_on"])
    routine = {**record["loan"]["inspections"][0], "type": "routine"}
    for gap, fires in [(limit, False), (limit + 1, True)]:
        day = (first + dt.timedelta(days=gap)).isoformat()
        record["loan"]["inspections"] = [record["loan"]["inspections"][0], {**routine, "due_on": day, "performed_on": day}]
        assert (rule in _ids(engine.evaluate(record, as_of=day))) is fires


def test_destroyed_on_and_before_the_retention_date(engine):
    record, as_of = _post_loan()
    record["archive"]["destroyed_on"] = record["archive"]["retention_until"]
    assert not _ids(engine.evaluate(record, as_of=as_of))
    record["archive"]["destroyed_on"] = (dt.date.fromisoformat(record["archive"]["retention_until"])
                                         - dt.timedelta(days=1)).isoformat()
    assert _ids(engine.evaluate(record, as_of=as_of)) == {"RM-FILE-DESTROYED-BEFORE-RETENTION"}


# ---- collection actions -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("given", "canonical"), [("律师函", "lawyer_letter"), ("催收函", "demand_letter"),
                                                  ("Lawyer Letter", "lawyer_letter"), ("phone", "phone"),
                                                  ("电话", "phone"), ("SMS", "sms"), ("上门催收", "visit"),
                                                  ("lawsuit", "litigation"), ("起诉", "litigation"),
                                                  ("formal-demand", "demand_letter")])
def test_collection_synonyms_are_read_as_their_type(engine, given, canonical):
    record, as_of = _post_loan()
    record["loan"]["collection_actions"] = [{"type": given, "on": "2027-06-01"}]
    model = engine.parse(record)
    assert model.loan.collection_actions[0].type == canonical  # type: ignore[attr-defined]


def test_a_lawyers_letter_is_a_formal_demand_and_a_call_is_not(engine):
    record, as_of = _post_loan()
    record["loan"].update(overdue_days=95, risk_class="substandard")
    record["loan"]["collection_actions"] = [{"type": "电话", "on": "2027-06-01"}]
    assert "RM-OVERDUE-NO-FORMAL-DEMAND" in _ids(engine.evaluate(record, as_of=as_of))
    record["loan"]["collection_actions"].append({"type": "律师函", "on": "2027-06-10"})
    assert "RM-OVERDUE-NO-FORMAL-DEMAND" not in _ids(engine.evaluate(record, as_of=as_of))


def test_an_unknown_collection_type_is_a_field_error_not_silence(engine):
    record, as_of = _post_loan()
    record["loan"]["collection_actions"] = [{"type": "smoke_signal", "on": "2027-06-01"}]
    with pytest.raises(RecordError) as err:
        engine.evaluate(record, as_of=as_of)
    assert [e["loc"] for e in err.value.errors] == ["loan.collection_actions.0.type"]
    assert "lawyer_letter" in err.value.errors[0]["msg"]
