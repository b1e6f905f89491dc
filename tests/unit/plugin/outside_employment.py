"""A record kind that exists only in the tests: its model and its KindSpec, nothing else.

Registering it must be all it takes for the engine to parse, convert, window and waive it
(issue 10: "a new record kind should be its model and its pack, nothing else").
"""

from typing import Literal

from conduct_engine.records.activities import Activity
from conduct_engine.records.base import Code, Date, Money
from conduct_engine.records.registry import KindSpec


class OutsideEmployment(Activity):
    """A second job held by an employee (test-only kind)."""

    kind: Literal["outside_employment"]
    employer: Code
    started_on: Date
    monthly_pay_cny: Money | None = None
    approval_id: Code | None = None


SPEC = KindSpec("outside_employment", OutsideEmployment, money_fields=("monthly_pay_cny",),
                date_fields=("started_on", "occurred_on"))

PACK = """
pack: test.outside_employment
version: 1.0.0
fx: {USD: 7.0}
parameters:
  oe_pay_max_cny: {value: 1000, unit: CNY, description: Monthly pay above which a second job is reviewed}
  oe_window_max_cny: {value: 2500, unit: CNY, description: Pay from second jobs started within 30 days}
aggregates:
  oe_30d_cny:
    description: Monthly pay of second jobs the employee started in the last 30 days
    applies_to: [outside_employment]
    over: outside_employment
    match: {employee_id: employee_id}
    within_days: 30
    sum: monthly_pay_cny
test_defaults:
  outside_employment: {id: T-1, kind: outside_employment, employee_id: E-7, employer: 某咨询公司,
                       started_on: "2026-03-01", monthly_pay_cny: 500, approval_id: A-1}
rules:
  - id: OE-PAY-HIGH
    standard: legal_compliance
    severity: review
    applies_to: outside_employment
    when: monthly_pay_cny > oe_pay_max_cny
    message:
      zh: 兼职月薪 {monthly_pay_cny} 元，超过 {oe_pay_max_cny} 元
      en: Second job pays CNY {monthly_pay_cny} a month
    remediation: {zh: 报合规部审批, en: Ask compliance to approve it}
    source: test
    tests: {fires: [{monthly_pay_cny: 1001}], silent: [{monthly_pay_cny: 1000}]}
  - id: OE-WINDOW
    standard: legal_compliance
    severity: review
    applies_to: outside_employment
    when: agg.oe_30d_cny > oe_window_max_cny
    message:
      zh: 30 天内兼职月薪合计 {agg.oe_30d_cny} 元
      en: Second jobs started within 30 days pay CNY {agg.oe_30d_cny}
    remediation: {zh: 报合规部审批, en: Ask compliance to approve it}
    source: test
    tests:
      fires: [{record: {monthly_pay_cny: 1000}, history: [{monthly_pay_cny: 1501, started_on: "2026-02-01"}]}]
      silent: [{record: {monthly_pay_cny: 1000}, history: [{monthly_pay_cny: 1501, started_on: "2026-01-30"}]}]
  - id: OE-NO-APPROVAL
    standard: standard_operation
    severity: advisory
    applies_to: outside_employment
    when: missing(approval_id)
    message: {zh: 兼职未经审批, en: Second job without approval}
    remediation: {zh: 补办审批, en: Get the approval}
    source: test
    tests: {fires: [{approval_id: null}], silent: [{approval_id: A-2}]}
"""
