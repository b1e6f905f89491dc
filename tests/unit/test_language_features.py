"""Rule-language features end to end on a small pack: derived values, aggregates, team joins, expansion."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conduct_engine.engine import Engine
from conduct_engine.errors import PackError
from conduct_engine.packs.derived import business_days
from tests.conftest import make_rules_dir

RULES = Path(__file__).resolve().parents[2] / "rules"

PACK = """
pack: features
version: '1'
parameters:
  late_bd: {value: 5}
  holidays: {value: ["2030-10-01", "2030-10-02"]}
derived:
  lag_bd: {applies_to: [gift], value: 'business_days(occurred_on, declared_at)'}
  material_count: {applies_to: [loan_file], value: count(materials)}
  source_types: {applies_to: [loan_file], value: 'distinct(materials.source_type, exclude=["client_provided"])'}
  first_disbursed: {applies_to: [loan_file], value: min(loan.disbursements.disbursed_on)}
aggregates:
  receipt_uses:
    applies_to: [expense_claim]
    over: expense_claim
    match: {receipt_id: receipt_id}
    within_days: 3660
    count: true
    include_self: false
  prev_visit:
    applies_to: [visit_log]
    over: visit_log
    match: {client_id: client_id, employee_id: employee_id}
    within_days: 3660
    latest: true
  clients_accessed_30d:
    applies_to: [info_access]
    over: info_access
    match: {employee_id: employee_id}
    within_days: 30
    count_distinct: client_id
  declared_near:
    applies_to: [gift]
    over: gift
    where: {source: self_declaration}
    match: {employee_id: employee_id, counterparty.party_id: counterparty.party_id}
    within_days: 8
    after_days: 7
    count: true
    include_self: false
  gifts_to_team:
    applies_to: [loan_file]
    over: gift
    where: {direction: received}
    match: {employee_id: team.co_investigators}
    within_days: 365
    sum: value_cny
test_defaults:
  gift: {id: G, kind: gift, employee_id: E1, occurred_on: "2030-09-30", direction: received, form: goods,
         value_cny: 100, counterparty: {party_id: P1}}
  loan_file: {id: L, kind: loan_file, product_type: working_capital, requested_amount_cny: 100, term_months: 12,
              borrower: {party_id: P9}, team: {lead_investigator: E1}}
rules:
  - id: TST-LATE
    standard: honesty
    severity: review
    applies_to: gift
    when: lag_bd > late_bd
    message: {zh: "迟报 {lag_bd} 个工作日", en: "declared {lag_bd} business days late"}
    remediation: {zh: 按时申报, en: declare on time}
    source: test
    tests:
      fires: [{declared_at: "2030-10-10T09:00:00"}]
      silent: [{declared_at: "2030-10-09T09:00:00"}]
  - id: TST-SEP
    standard: dd.objectivity
    severity: block
    applies_to: loan_file
    match:
      - team_member as inv where role == "lead_investigator"
      - team_member as rev where role == "reviewer" and employee_id == inv.employee_id
    message: {zh: "{inv.employee_id} 既调查又审查", en: "{inv.employee_id} both investigates and reviews"}
    remediation: {zh: 更换, en: replace}
    source: test
    tests:
      fires: [{team: {lead_investigator: E1, reviewers: [E5, E1]}}]
      silent: [{team: {lead_investigator: E1, reviewers: [E5]}}]
  - id: TST-MAT
    expand: {material: [audited_fs, tax_returns]}
    standard: dd.completeness
    severity: review
    applies_to: loan_file
    match: ['no material where type == "${material}"']
    message: {zh: "缺少 ${material}", en: "missing ${material}"}
    remediation: {zh: 补充, en: add it}
    source: test
    tests:
      fires: [{materials: []}]
      silent: [{materials: [{type: "${material}"}]}]
  # the engine computes only the derived values and windows some rule reads (a condition, a message): these rules
  # read the ones the tests below look at in the prepared facts
  - id: TST-READS-LOAN
    standard: dd.completeness
    severity: advisory
    applies_to: loan_file
    when: material_count > 5
    message: {zh: "{material_count} {source_types} {first_disbursed} {agg.gifts_to_team}", en: "reads"}
    remediation: {zh: 无, en: none}
    source: test
    tests:
      fires: [{materials: [{type: other}, {type: other}, {type: other}, {type: other}, {type: other}, {type: other}]}]
      silent: [{materials: [{type: other}]}]
  - id: TST-READS-CLAIM
    standard: proper_conduct
    severity: advisory
    applies_to: expense_claim
    when: amount_cny > 99999
    message: {zh: "{agg.receipt_uses}", en: "reads"}
    remediation: {zh: 无, en: none}
    source: test
    tests:
      fires: [{id: X, kind: expense_claim, employee_id: E1, expense_type: meal, amount_cny: 100000, receipt_id: R-1}]
      silent: [{id: X, kind: expense_claim, employee_id: E1, expense_type: meal, amount_cny: 50, receipt_id: R-1}]
  - id: TST-READS-VISIT
    standard: diligence
    severity: advisory
    applies_to: visit_log
    when: visit_type == "collection"
    message: {zh: "{agg.prev_visit}", en: "reads"}
    remediation: {zh: 无, en: none}
    source: test
    tests:
      fires:
        - {id: V, kind: visit_log, employee_id: E1, client_id: C1, visit_type: collection, started_at: "2026-06-01T10:00"}
      silent:
        - {id: V, kind: visit_log, employee_id: E1, client_id: C1, visit_type: routine, started_at: "2026-06-01T10:00"}
  - id: TST-READS-ACCESS
    standard: confidentiality
    severity: advisory
    applies_to: info_access
    when: action == "export"
    message: {zh: "{agg.clients_accessed_30d}", en: "reads"}
    remediation: {zh: 无, en: none}
    source: test
    tests:
      fires: [{id: A, kind: info_access, employee_id: E1, client_id: C1, action: export}]
      silent: [{id: A, kind: info_access, employee_id: E1, client_id: C1, action: view}]
  - id: TST-READS-GIFT
    standard: honesty
    severity: advisory
    applies_to: gift
    when: value_cny > 99999
    message: {zh: "{agg.declared_near}", en: "reads"}
    remediation: {zh: 无, en: none}
    source: test
    tests:
      fires: [{value_cny: 100000}]
      silent: [{value_cny: 100}]
"""


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    return Engine.from_paths(make_rules_dir(tmp_path_factory.mktemp("f"), PACK, "features.yaml"))


def _ids(result):
    return sorted(v.rule_id for v in result.violations)


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("2026-11-27", "2026-11-30", 1),   # Fri -> Mon
    ("2026-11-30", "2026-11-30", 0),
    ("2026-11-30", "2026-12-07", 5),
    ("2026-12-07", "2026-11-30", -5),
    ("2026-11-28", "2026-11-29", 0),   # Sat -> Sun
])
def test_business_days(a, b, expected):
    assert business_days(dt.date.fromisoformat(a), dt.date.fromisoformat(b)) == expected


def test_business_days_skip_holidays(features):
    # occurred Mon 2030-09-30 (a year the bundled State Council calendar does not carry); Oct 1-2 are holidays
    # (parameter), so Wed Oct 9 is the 5th business day after
    base = {"id": "G", "kind": "gift", "employee_id": "E1", "occurred_on": "2030-09-30", "direction": "received",
            "form": "goods", "value_cny": 100}
    assert _ids(features.evaluate({**base, "declared_at": "2030-10-09T09:00:00"})) == []
    late = features.evaluate({**base, "declared_at": "2030-10-10T09:00:00"})
    assert _ids(late) == ["TST-LATE"] and late.violations[0].message.en == "declared 6 business days late"


def test_expand_makes_one_rule_per_value(features):
    assert {"TST-MAT-AUDITED-FS", "TST-MAT-TAX-RETURNS"} <= set(features.packs.rules)
    base = {"id": "L", "kind": "loan_file", "product_type": "working_capital", "requested_amount_cny": 100,
            "term_months": 12, "borrower": {"party_id": "P9"}, "team": {"lead_investigator": "E1"}}
    result = features.evaluate({**base, "materials": [{"type": "audited_fs"}]})
    assert _ids(result) == ["TST-MAT-TAX-RETURNS"] and result.violations[0].message.en == "missing tax_returns"


def test_team_members_join(features):
    base = {"id": "L", "kind": "loan_file", "product_type": "working_capital", "requested_amount_cny": 100,
            "term_months": 12, "borrower": {"party_id": "P9"},
            "materials": [{"type": "audited_fs"}, {"type": "tax_returns"}]}
    result = features.evaluate({**base, "team": {"lead_investigator": "E1", "approvers": ["E2"], "reviewers": ["E1"]}})
    assert _ids(result) == ["TST-SEP"] and result.violations[0].message.zh == "E1 既调查又审查"
    assert _ids(features.evaluate({**base, "team": {"lead_investigator": "E1", "approvers": ["E1"]}})) == []


def _prepared_anchor(engine, record, history=()):
    _, facts = engine.prepare(record, history=list(history), as_of="2026-11-30")
    return facts[-1]


def test_derived_list_functions(features):
    record = {"id": "L", "kind": "loan_file", "product_type": "working_capital", "requested_amount_cny": 100,
              "term_months": 12, "borrower": {"party_id": "P9"}, "team": {"lead_investigator": "E1"},
              "materials": [{"type": "audited_fs", "source_type": "client_provided"},
                            {"type": "tax_returns", "source_type": "government_registry"},
                            {"type": "other", "source_type": "peer_bank"},
                            {"type": "other", "source_type": "peer_bank"}],
              "loan": {"disbursements": [{"amount_cny": 1, "disbursed_on": "2026-03-05"},
                                         {"amount_cny": 1, "disbursed_on": "2026-02-01"}]}}
    anchor = _prepared_anchor(features, record)
    assert (anchor["material_count"], anchor["source_types"]) == (4, 2)
    assert anchor["first_disbursed"] == (dt.date(2026, 2, 1) - dt.date(1970, 1, 1)).days
    assert "first_disbursed" not in _prepared_anchor(features, {**record, "loan": {}})


def test_aggregate_count_excluding_self(features):
    claim = {"id": "X2", "kind": "expense_claim", "employee_id": "E1", "expense_type": "meal", "amount_cny": 50,
             "receipt_id": "R-1", "occurred_on": "2026-05-01"}
    first = {**claim, "id": "X1", "occurred_on": "2026-04-01"}
    assert _prepared_anchor(features, claim, [first])["agg"]["receipt_uses"] == 1
    assert _prepared_anchor(features, claim, [])["agg"]["receipt_uses"] == 0


def test_aggregate_latest_previous_visit(features):
    visit = {"id": "V3", "kind": "visit_log", "employee_id": "E1", "client_id": "C1", "visit_type": "routine",
             "started_at": "2026-06-01T10:00:00"}
    history = [{**visit, "id": "V1", "started_at": "2026-01-10T10:00:00"},
               {**visit, "id": "V2", "started_at": "2026-03-02T10:00:00"},
               {**visit, "id": "V4", "started_at": "2026-07-01T10:00:00"}]  # later: not "previous"
    anchor = _prepared_anchor(features, visit, history)
    assert anchor["agg"]["prev_visit"] == (dt.date(2026, 3, 2) - dt.date(1970, 1, 1)).days
    assert "prev_visit" not in _prepared_anchor(features, visit, []).get("agg", {})


def test_aggregate_count_distinct(features):
    access = {"id": "A9", "kind": "info_access", "employee_id": "E1", "client_id": "C1", "action": "view",
              "accessed_at": "2026-06-30T10:00:00"}
    history = [{**access, "id": f"A{i}", "client_id": c, "accessed_at": f"2026-06-{d:02d}T10:00:00"}
               for i, (c, d) in enumerate([("C1", 29), ("C2", 20), ("C2", 21), ("C3", 1), ("C4", 15)])]
    # window (d-30, d]: June 1 is 29 days before June 30 -> in; C1..C4 distinct = 4
    assert _prepared_anchor(features, access, history)["agg"]["clients_accessed_30d"] == 4


def test_aggregate_after_days_and_list_keys(features):
    detected = {"id": "G9", "kind": "gift", "employee_id": "E1", "occurred_on": "2026-06-10", "direction": "received",
                "form": "goods", "value_cny": 100, "source": "expense", "counterparty": {"party_id": "P1"}}
    declared_later = {**detected, "id": "G10", "source": "self_declaration", "occurred_on": "2026-06-17"}
    too_late = {**detected, "id": "G11", "source": "self_declaration", "occurred_on": "2026-06-18"}
    assert _prepared_anchor(features, detected, [declared_later])["agg"]["declared_near"] == 1
    assert _prepared_anchor(features, detected, [too_late])["agg"]["declared_near"] == 0
    loan = {"id": "L", "kind": "loan_file", "product_type": "working_capital", "requested_amount_cny": 100,
            "term_months": 12, "borrower": {"party_id": "P9"}, "accepted_on": "2026-06-20",
            "team": {"lead_investigator": "E1", "co_investigators": ["E2", "E3"]}}
    gifts = [{**detected, "id": "H1", "employee_id": "E2", "value_cny": 300},
             {**detected, "id": "H2", "employee_id": "E3", "value_cny": 200},
             {**detected, "id": "H3", "employee_id": "E1", "value_cny": 999}]
    assert _prepared_anchor(features, loan, gifts)["agg"]["gifts_to_team"] == 500


def test_bad_derived_and_expand_are_pack_errors(tmp_path):
    root = make_rules_dir(tmp_path, """
pack: bad
version: '1'
derived:
  lag: {applies_to: [gift], value: 'busines_days(occurred_on, declared_at)'}
  lag2: {applies_to: [gift], value: 'days(occured_on, declared_at)'}
rules:
  - id: TST-X
    expand: {m: []}
""", "bad.yaml")
    with pytest.raises(PackError) as info:
        Engine.from_paths(root)
    assert [str(i) for i in info.value.issues] == [
        "rules/bad.yaml:5: derived.function: derived lag: unknown function 'busines_days' (did you mean business_days?)",
        "rules/bad.yaml:6: derived.field: derived lag2: gift has no field 'occured_on' (did you mean occurred_on?)",
        "rules/bad.yaml:9: rule.expand: expand.m must be a non-empty list of texts",
    ]


def test_pack_own_tests_pass(features):
    from conduct_engine.packs.testing import run_all
    failed = [r.detail for r in run_all(features) if not r.passed]
    assert failed == []
