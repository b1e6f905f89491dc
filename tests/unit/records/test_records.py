"""Tests of the input-record models and parsers (SPEC §3)."""

import copy

import pytest

from conduct_engine.records import (
    MODEL_BY_KIND,
    Context,
    Entertainment,
    Gift,
    LoanFile,
    RecordError,
    parse_context,
    parse_record,
)
from conduct_engine.records.registry import KindSpec, kind_spec, record_kinds, register_kind

RECORD_KINDS = record_kinds()

BASE = {"employee_id": "E1"}
MINIMAL = {
    "gift": {**BASE, "direction": "received", "form": "goods", "value_cny": 150},
    "entertainment": {**BASE, "direction": "received", "type": "meal"},
    "outside_activity": {**BASE, "type": "part_time_job"},
    "fee": {**BASE, "fee_type": "consulting", "amount_cny": 1000},
    "info_access": {**BASE, "client_id": "C1", "action": "view"},
    "document_custody": {**BASE},
    "commitment": {**BASE, "doc_type": "comfort_letter"},
    "securities_trade": {**BASE, "security_code": "600000", "traded_at": "2026-01-05T10:00:00"},
    "funds_transfer": {**BASE, "direction": "in", "amount_cny": 5000},
    "expense_claim": {**BASE, "expense_type": "meal", "amount_cny": 300},
    "visit_log": {**BASE, "client_id": "C1", "visit_type": "routine",
                  "started_at": "2026-01-05T10:00:00"},
    "appointment": {**BASE, "client_id": "C1", "scheduled_at": "2026-01-05T10:00:00",
                    "status": "kept"},
    "complaint": {**BASE, "client_id": "C1", "received_at": "2026-01-05T10:00:00"},
    "escalation": {**BASE, "issue_type": "risk_signal", "detected_at": "2026-01-05T10:00:00"},
    "handover": {"client_ids": ["C1"], "from_employee_id": "E1", "trigger": "departure",
                 "trigger_on": "2026-01-05"},
    "product_sale": {**BASE, "client_id": "C1", "product_code": "P1", "product_type": "fund",
                     "sold_at": "2026-01-05T10:00:00"},
    "loan_file": {"product_type": "working_capital", "borrower": {"name": "ACME"},
                  "requested_amount_cny": 1_000_000, "term_months": 12},
}


def rec(kind: str, **extra) -> dict:
    """A minimal valid record of ``kind`` with ``extra`` fields merged in."""
    return {"id": f"{kind}-1", "kind": kind, **copy.deepcopy(MINIMAL[kind]), **extra}


def errors_of(data, **kw) -> list[tuple[str, str]]:
    """Parse ``data`` expecting failure; return (loc, type) pairs."""
    with pytest.raises(RecordError) as info:
        parse_record(data, **kw)
    return [(e["loc"], e["type"]) for e in info.value.errors]


FULL_LOAN_FILE = {
    "id": "LF-1", "kind": "loan_file", "branch": "BJ01", "stage": "post_loan",
    "product_type": "working_capital",
    "borrower": {"party_id": "P1", "client_id": "C1", "name": "ACME", "type": "corporate",
                 "industry_code": "C13", "group_id": "G1", "credit_status": "good",
                 "is_new_client": False},
    "requested_amount_cny": 5_000_000, "term_months": 12, "purpose_code": "WC",
    "purpose_text": "Raw materials", "guarantee_mode": "mixed", "referral_channel": "broker",
    "broker_party_id": "P9", "wc_need_estimate_cny": 6_000_000,
    "total_project_investment_cny": None, "received_at": "2026-01-02T09:30:00",
    "accepted_on": "2026-01-03",
    "team": {"lead_investigator": "E1", "co_investigators": ["E2"], "reviewers": ["E3"],
             "approvers": ["E4"]},
    "steps": {name: {"started_on": "2026-01-03", "completed_on": "2026-01-10", "by": ["E1"]}
              for name in ("acceptance", "collection", "site_visit", "analysis", "report")},
    "materials": [{"type": "audited_fs", "required": True, "source_type": "client_provided",
                   "source_name": "ACME", "obtained_on": "2026-01-04", "verified": True,
                   "verification_method": "original_sighted", "original_checked": True,
                   "verified_by": "E1", "verified_on": "2026-01-05", "as_of": "2025-12-31",
                   "valid_until": "2026-12-31", "discrepancy": True,
                   "discrepancy_note": "Revenue differs from tax return",
                   "figures": {"revenue_cny": 12_000_000, "net_profit_cny": -50_000.5}}],
    "site_visits": [{"date": "2026-01-06", "location_type": "production_site",
                     "mode": "on_site", "investigators": ["E1", "E2"]}],
    "interviews": [{"role": "finance_head", "mode": "face_to_face", "date": "2026-01-06",
                    "by": "E1", "record_signed": True}],
    "analysis": {"industry_policy_class": "supported", "policy_version": "2025.1",
                 "required_risk_points": ["cash_flow", "inventory"],
                 "addressed_risk_points": ["cash_flow"], "repayment_source_analysed": True,
                 "opinion": "conditional", "conditions": ["Monthly statements"],
                 "completed_on": "2026-01-09"},
    "report": {"date": "2026-01-10", "signed_by": ["E1", "E2"],
               "modules_covered": ["subject", "financials"],
               "recommended_amount_cny": 4_000_000, "recommended_term_months": 12},
    "modules": {"subject": {"status": "completed",
                            "findings": {"license_status": "valid",
                                         "abnormal_operation_listed": False,
                                         "registry_checked_on": "2026-01-04"}},
                "rating": {"status": "completed",
                           "findings": {"grade": "BBB", "override": True, "scores": [1, 2.5]}},
                "term": {"status": "not_applicable"}},
    "related_parties": [{"party_id": "P2", "relation": "same_actual_controller"}],
    "guarantees": [{"type": "mortgage", "guarantor_party_id": "P3",
                    "guarantor_net_assets_cny": 10_000_000,
                    "guarantor_external_guarantees_cny": 0, "amount_cny": 3_000_000,
                    "contract_signed_on": "2026-01-12", "face_to_face_signed": True,
                    "witnesses": ["E2"],
                    "collateral": {"type": "commercial_re", "appraised_value_cny": 6_000_000,
                                   "secured_amount_cny": 3_000_000, "appraiser_party_id": "P7",
                                   "appraised_on": "2026-01-08",
                                   "registration_status": "registered",
                                   "registered_on": "2026-01-13",
                                   "right_expiry_on": "2060-01-01"}}],
    "loan": {"disbursements": [{"amount_cny": 4_000_000, "disbursed_on": "2026-01-15",
                                "payment_method": "entrusted"}],
             "maturity_on": "2027-01-15", "risk_class": "normal", "overdue_days": 0,
             "inspections": [{"type": "first_tracking", "due_on": "2026-02-15",
                              "performed_on": "2026-02-10", "on_site": True,
                              "funds_usage_verified": True, "repayment_capacity_assessed": True,
                              "guarantee_change_assessed": False}],
             "maturity_notices": [{"sent_on": "2026-12-15"}],
             "collection_actions": [{"type": "phone", "on": "2027-01-20"}]},
}


def test_every_registered_kind_has_a_minimal_test_record():
    # a kind registered without a record here would go untested by the parametrised tests below
    assert set(RECORD_KINDS) == set(MINIMAL)


@pytest.mark.parametrize("spec, message", [
    (KindSpec("present", Gift), "Gift.kind is not Literal['present']"),
    (KindSpec("gift", Gift, money_fields=("value_usd",)), "kind 'gift': Gift has no field 'value_usd'"),
    (KindSpec("gift", Gift, date_fields=("given_on",)), "kind 'gift': Gift has no field 'given_on'"),
    (KindSpec("gift", Gift, subject_paths=("manager.id",)), "kind 'gift': Gift has no field 'manager'"),
    (KindSpec("gift", Entertainment), "Entertainment.kind is not Literal['gift']"),
])
def test_registry_rejects_a_spec_that_does_not_fit_its_model(spec, message):
    with pytest.raises(ValueError) as info:
        register_kind(spec)
    assert str(info.value) == message
    assert kind_spec("gift").model is Gift and MODEL_BY_KIND["gift"] is Gift  # nothing replaced


def test_registry_refuses_a_second_spec_for_a_kind():
    with pytest.raises(ValueError, match="record kind 'gift' is already registered"):
        register_kind(KindSpec("gift", Gift, money_fields=("value_cny",), date_fields=("declared_at",)))


@pytest.mark.parametrize("kind", RECORD_KINDS)
def test_minimal_record_of_every_kind_parses(kind):
    record = parse_record(rec(kind))
    assert type(record) is MODEL_BY_KIND[kind]
    assert record.id == f"{kind}-1" and record.kind == kind
    assert record.model_config["extra"] == "forbid"


@pytest.mark.parametrize("kind", RECORD_KINDS)
def test_missing_required_id_is_reported(kind):
    data = rec(kind)
    del data["id"]
    assert errors_of(data) == [("id", "missing")]


@pytest.mark.parametrize("kind", [k for k in RECORD_KINDS if k != "document_custody"])
def test_every_kind_has_a_required_own_field(kind):
    data = rec(kind)
    required = [k for k in MINIMAL[kind] if k != "employee_id"][0]
    del data[required]
    assert errors_of(data) == [(required, "missing")]


def test_defaults():
    gift = parse_record(rec("gift"))
    assert gift.source == "self_declaration" and gift.recipients == 1
    assert gift.related_application_ids == [] and gift.declared_at is None
    assert parse_record(rec("loan_file")).stage == "pre_submission"
    nulls = parse_record(rec("gift", source=None, recipients=None, related_application_ids=None))
    assert (nulls.source, nulls.recipients, nulls.related_application_ids) == (
        "self_declaration", 1, [])


@pytest.mark.parametrize("data, loc", [
    (rec("gift", colour="red"), "colour"),
    (rec("gift", counterparty={"nme": "X"}), "counterparty.nme"),
    (rec("loan_file", materials=[{"typo": 1}]), "materials.0.typo"),
    (rec("loan_file", guarantees=[{"collateral": {"kind": "x"}}]), "guarantees.0.collateral.kind"),
    (rec("loan_file", modules={"subject": {"status": "completed", "x": 1}}), "modules.subject.x"),
])
def test_unknown_field_rejected_with_dotted_loc(data, loc):
    assert errors_of(data) == [(loc, "extra_forbidden")]


def test_lenient_drops_unknown_fields_everywhere_without_touching_input():
    data = rec("loan_file", colour="red", materials=[{"type": "other", "typo": 1}],
               borrower={"name": "ACME", "nick": "A"},
               guarantees=[{"collateral": {"type": "equity", "junk": 1}}])
    snapshot = copy.deepcopy(data)
    record = parse_record(data, lenient=True)
    assert record.materials[0].type == "other"
    assert record.guarantees[0].collateral.type == "equity"
    assert "colour" not in record.as_fact_dict()
    assert data == snapshot


def test_lenient_still_rejects_other_errors():
    assert errors_of(rec("gift", colour="red", form="bitcoin"), lenient=True) == [
        ("form", "literal_error")]


@pytest.mark.parametrize("data, loc", [
    (rec("gift", form="bitcoin"), "form"),
    (rec("gift", source="rumour"), "source"),
    (rec("gift", approval_status="maybe"), "approval_status"),
    (rec("loan_file", materials=[{"type": "other"}] * 3 + [{"type": "passport"}]),
     "materials.3.type"),
    (rec("loan_file", report={"modules_covered": ["subject", "weather"]}),
     "report.modules_covered.1"),
    (rec("loan_file", related_parties=[{"relation": "cousin"}]), "related_parties.0.relation"),
])
def test_bad_enum_value_reports_loc(data, loc):
    assert errors_of(data) == [(loc, "literal_error")]


@pytest.mark.parametrize("field, value, type_", [
    ("value_cny", "99", "number_type"),
    ("value_cny", True, "number_type"),
    ("value_cny", float("nan"), "finite_number"),
    ("value_cny", float("inf"), "finite_number"),
    ("value_cny", -1, "greater_than_equal"),
    ("recipients", True, "int_type"),
    ("recipients", "2", "int_type"),
    ("recipients", 2.5, "int_type"),
    ("recipients", 0, "greater_than_equal"),
    ("disposition_on", "05/01/2026", "date_format"),
    ("disposition_on", "2026-02-30", "date_format"),
    ("disposition_on", "2026-01-05T10:00:00", "date_format"),
    ("declared_at", 1767578400, "datetime_format"),
    ("declared_at", "1767578400", "datetime_format"),
    ("employee_id", 42, "string_type"),
    ("employee_id", "", "string_too_short"),
    ("branch", "B" * 201, "string_too_long"),
])
def test_strict_scalar_types(field, value, type_):
    assert errors_of(rec("gift", **{field: value})) == [(field, type_)]


@pytest.mark.parametrize("data, loc", [
    (rec("entertainment", host_present="true"), "host_present"),
    (rec("entertainment", host_present=1), "host_present"),
    (rec("gift", counterparty={"name": "X", "is_public_official": "yes"}),
     "counterparty.is_public_official"),
])
def test_bool_fields_are_strict(data, loc):
    assert errors_of(data) == [(loc, "bool_type")]


def test_int_money_becomes_float():
    gift = parse_record(rec("gift", value_cny=150))
    assert gift.value_cny == 150.0 and isinstance(gift.value_cny, float)


@pytest.mark.parametrize("kind, amount, currency, expected", [
    ("gift", 100, "usd", 712.34),
    ("gift", 100, "CNY", 100.0),
    ("fee", 33.333, "EUR", 259.6),
    ("loan_file", 1000, "USD", 7123.4),
])
def test_amount_and_currency_converted_with_fx(kind, amount, currency, expected):
    data = rec(kind, amount=amount, currency=currency)
    del data[kind_spec(kind).money_field]
    record = parse_record(data, fx={"USD": 7.1234, "eur": 7.788})
    assert getattr(record, kind_spec(kind).money_field) == expected
    assert "amount" not in record.as_fact_dict()


@pytest.mark.parametrize("extra, fx, expected", [
    ({"amount": 1, "currency": "XYZ"}, {"USD": 7.1}, [("currency", "unknown_currency")]),
    ({"amount": 1, "currency": "USD"}, None, [("currency", "no_fx_rate")]),
    ({"amount": 1}, {"USD": 7.1}, [("currency", "missing")]),
    ({"currency": "USD"}, {"USD": 7.1}, [("amount", "missing")]),
    ({"amount": "1", "currency": "USD"}, {"USD": 7.1}, [("amount", "number_type")]),
    ({"amount": True, "currency": "USD"}, {"USD": 7.1}, [("amount", "number_type")]),
    ({"amount": -5, "currency": "USD"}, {"USD": 7.1}, [("amount", "finite_number")]),
])
def test_amount_errors(extra, fx, expected):
    data = rec("gift", **extra)
    del data["value_cny"]
    assert errors_of(data, fx=fx) == expected


def test_unknown_currency_message_names_known_currencies():
    data = rec("gift", amount=1, currency="xyz")
    del data["value_cny"]
    with pytest.raises(RecordError) as info:
        parse_record(data, fx={"USD": 7.1, "EUR": 7.8})
    assert str(info.value) == "currency: Unknown currency 'xyz': not an ISO 4217 code"
    data["currency"] = "BRL"
    data["occurred_on"] = "2026-10-10"
    with pytest.raises(RecordError) as info:
        parse_record(data, fx={"USD": 7.1, "EUR": 7.8})
    assert str(info.value) == ("currency: No exchange rate for BRL on 2026-10-10: give it in fx_rates of the reference "
                               "data or the request context (the pack's table has CNY, EUR, USD)")
    assert info.value.errors[0]["type"] == "no_fx_rate"


def test_amount_with_primary_money_field_is_an_error():
    assert errors_of(rec("gift", amount=1, currency="CNY"), fx={}) == [
        ("amount", "amount_conflict")]


def test_amount_on_kind_without_money_field():
    assert errors_of(rec("visit_log", amount=1, currency="CNY")) == [
        ("amount", "amount_not_allowed")]
    assert parse_record(rec("visit_log", amount=1, currency="CNY"), lenient=True).client_id == "C1"


@pytest.mark.parametrize("value, expected", [
    ("2026-01-05T10:00:00", "2026-01-05T10:00:00+08:00"),
    ("2026-01-05T02:00:00Z", "2026-01-05T10:00:00+08:00"),
    ("2026-01-05T04:00:00+02:00", "2026-01-05T10:00:00+08:00"),
])
def test_datetimes_become_shanghai(value, expected):
    record = parse_record(rec("complaint", received_at=value))
    assert record.received_at.utcoffset().total_seconds() == 8 * 3600
    assert record.as_fact_dict()["received_at"] == expected


def test_as_fact_dict_shape():
    facts = parse_record(rec("gift", disposition_on="2026-01-07", branch=None)).as_fact_dict()
    assert facts["disposition_on"] == "2026-01-07"
    assert "branch" not in facts and "declared_at" not in facts
    assert facts["value_cny"] == 150.0


def test_text_limit():
    assert parse_record(rec("gift", description="x" * 60_000)).description
    with pytest.raises(RecordError) as info:
        parse_record(rec("gift", description="x" * 60_001))
    assert info.value.errors == [{"loc": "description", "type": "string_too_long",
                                  "msg": "String should have at most 60000 characters"}]


def test_list_limit():
    assert len(parse_record(rec("loan_file", materials=[{}] * 500)).materials) == 500
    assert errors_of(rec("loan_file", materials=[{}] * 501)) == [("materials", "too_long")]
    assert errors_of(rec("loan_file", materials=[{"x": 1}] * 100_000)) == [
        ("materials", "too_long")]


@pytest.mark.parametrize("kind, type_", [
    (None, "missing"), ("gfit", "union_tag_invalid"), (5, "union_tag_invalid"),
    ([], "union_tag_invalid"),
])
def test_missing_or_unknown_kind_lists_kinds(kind, type_):
    data = {"id": "X1", "employee_id": "E1"}
    if kind is not None:
        data["kind"] = kind
    with pytest.raises(RecordError) as info:
        parse_record(data)
    (error,) = info.value.errors
    assert (error["loc"], error["type"]) == ("kind", type_)
    assert ", ".join(RECORD_KINDS) in error["msg"]


@pytest.mark.parametrize("data", [None, [], "gift", 3])
def test_non_dict_record_rejected(data):
    assert errors_of(data) == [("(root)", "dict_type")]


def test_error_string_lists_every_error():
    with pytest.raises(RecordError) as info:
        parse_record(rec("gift", form="bitcoin", value_cny="9"))
    lines = str(info.value).splitlines()
    assert lines[0].startswith("form: Input should be 'goods'")
    assert lines[1] == "value_cny: Input should be a number, not str"
    assert isinstance(info.value, ValueError)


def test_full_loan_file_parses_every_section():
    record = parse_record(FULL_LOAN_FILE)
    assert isinstance(record, LoanFile)
    assert record.interviews[0].by == ["E1"]
    assert record.materials[0].figures["net_profit_cny"] == -50_000.5
    assert record.guarantees[0].collateral.registration_status == "registered"
    assert record.loan.collection_actions[0].on.isoformat() == "2027-01-20"
    assert record.modules.rating.findings["scores"] == [1, 2.5]
    facts = record.as_fact_dict()
    assert facts["received_at"] == "2026-01-02T09:30:00+08:00"
    assert facts["steps"]["report"]["completed_on"] == "2026-01-10"
    assert parse_record(facts) == record  # a fact dump parses back to the same record


@pytest.mark.parametrize("findings, loc", [
    ({"x": {"nested": 1}}, "modules.subject.findings.x"),
    ({"x": [[1]]}, "modules.subject.findings.x"),
    ({"x": float("nan")}, "modules.subject.findings.x"),
])
def test_bad_findings(findings, loc):
    data = rec("loan_file", modules={"subject": {"status": "completed", "findings": findings}})
    assert errors_of(data) == [(loc, "finding_type")]


def test_entertainment_cost_per_head_derived():
    record = parse_record(rec("entertainment", cost_total_cny=1000, attendees=3))
    assert isinstance(record, Entertainment) and record.cost_per_head_cny == 333.33
    given = parse_record(rec("entertainment", cost_total_cny=1000, attendees=3,
                             cost_per_head_cny=500))
    assert given.cost_per_head_cny == 500.0


def test_handover_needs_clients_and_not_employee_id():
    record = parse_record(rec("handover"))
    assert record.employee_id is None
    assert errors_of(rec("handover", client_ids=[])) == [("client_ids", "too_short")]


def test_models_are_mutable_and_validated_directly():
    gift = Gift.model_validate(rec("gift"))
    gift.value_cny = 10.0
    assert gift.value_cny == 10.0


CONTEXT = {
    "employees": [{"id": "E1", "name": "Li", "role": "investigator", "branch": "BJ01",
                   "status": "active", "status_since": "2020-01-01",
                   "monthly_salary_cny": 20_000,
                   "certifications": [{"type": "corporate_credit", "expires_on": "2027-01-01",
                                       "status": "valid"}],
                   "signing_limit_cny": 1_000_000, "signing_scopes": ["working_capital"],
                   "relations": [{"party_id": "P1", "relation": "close_relative"}]}],
    "parties": [{"id": "P1", "name": "ACME", "group_id": "G1", "is_public_official": False,
                 "related": [{"party_id": "P2", "relation": "subsidiary"}]}],
    "clients": [{"id": "C1", "party_id": "P1", "tier": "A", "assigned_manager": "E1",
                 "info_updated_on": "2025-06-01"}],
    "applications": [{"id": "A1", "client_id": "C1", "status": "open",
                      "decided_on": "2026-01-20"}],
    "restricted_securities": [{"security_code": "600000", "from": "2026-01-01",
                               "to": "2026-03-31"}],
    "inside_information": [{"issuer_party_id": "P1", "known_from": "2026-01-01",
                            "disclosed_at": "2026-02-01T09:00:00", "insiders": ["E1"]}],
    "approved_products": [{"code": "FUND1", "from": "2025-01-01", "to": None}],
}


def test_context_parses():
    context = parse_context(CONTEXT)
    assert isinstance(context, Context)
    assert context.employees[0].certifications[0].type == "corporate_credit"
    assert context.restricted_securities[0].from_.isoformat() == "2026-01-01"
    facts = context.as_fact_dict()
    assert facts["restricted_securities"][0]["from"] == "2026-01-01"
    assert facts["inside_information"][0]["disclosed_at"] == "2026-02-01T09:00:00+08:00"
    assert parse_context(facts) == context


def test_empty_context():
    assert parse_context(None) == Context() == parse_context({})
    assert Context().employees == []


@pytest.mark.parametrize("data, lenient, expected", [
    ({"employees": [{"id": "E1", "shoe_size": 42}]}, False, [("employees.0.shoe_size",
                                                             "extra_forbidden")]),
    ({"parties": [{"id": "P1", "related": [{"relation": "cousin"}]}]}, False,
     [("parties.0.related.0.relation", "literal_error")]),
    ({"clients": [{"party_id": "P1"}]}, False, [("clients.0.id", "missing")]),
    ({"employees": [], "extra": 1}, True, None),
    ([], False, [("(root)", "dict_type")]),
])
def test_context_errors(data, lenient, expected):
    if expected is None:
        assert parse_context(data, lenient=lenient) == Context()
        return
    with pytest.raises(RecordError) as info:
        parse_context(data, lenient=lenient)
    assert [(e["loc"], e["type"]) for e in info.value.errors] == expected


def test_the_fact_dump_drops_nulls_inside_open_mappings_and_walks_only_where_they_can_be():
    """``as_fact_dict`` removes the nulls ``model_dump(exclude_none=True)`` leaves (inside open mappings such as a
    module's findings) by a per-model plan instead of walking the whole dump: it equals the full walk on every
    example record, and on a loan file with nulls deep inside its findings."""
    import json
    from pathlib import Path

    from conduct_engine.records.base import _without_nulls

    root = Path(__file__).resolve().parents[3] / "examples"
    records = [json.loads(p.read_text(encoding="utf-8"))["record"]
               for p in sorted((root / "declarations").glob("*.json")) + sorted((root / "loan_files").glob("*.json"))]
    loan = next(r for r in records if r["kind"] == "loan_file")
    nested = json.loads(json.dumps(loan))
    nested.setdefault("modules", {})["subject"] = {"status": "completed",
                                                   "findings": {"kept": "yes", "gone": None, "items": [None, "x"]}}
    records.append(nested)
    checked = 0
    for record in records:
        try:
            model = parse_record(record)
        except RecordError:  # an example that needs its request's context (dated fx rates)
            continue
        checked += 1
        assert model.as_fact_dict() == _without_nulls(model.model_dump(mode="json", exclude_none=True, by_alias=True))
    assert checked > 60
    findings = parse_record(nested).as_fact_dict()["modules"]["subject"]["findings"]
    assert findings == {"kept": "yes", "items": [None, "x"]}  # a null entry goes, a list keeps its items
