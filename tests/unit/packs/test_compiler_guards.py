"""Compiler guard-rails: constructs durable_rules mishandles are never emitted."""

from __future__ import annotations

import pytest

from conduct_engine.packs.expressions import Scope, compile_condition
from conduct_engine.packs.fields import catalog
from conduct_engine.packs.model import ANCHOR
from conduct_engine.packs.problems import ExprError

OPS = {"$neq", "$lt", "$lte", "$gt", "$gte"}


def _cross_refs_outside_eq(node, inside_op=None):
    """Yield every other-alias reference that sits under a non-equality operator."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in OPS:
                yield from _cross_refs_outside_eq(value, key)
            elif key in ("$and", "$or", "$l", "$r", "$add", "$sub", "$mul", "$div"):
                yield from _cross_refs_outside_eq(value, inside_op)
            elif isinstance(value, dict) and set(value) == {ANCHOR} and inside_op:
                yield (inside_op, key, value)
            else:
                yield from _cross_refs_outside_eq(value, inside_op)
    elif isinstance(node, list):
        for item in node:
            yield from _cross_refs_outside_eq(item, inside_op)


def test_no_pack_rule_compares_across_facts_except_by_equality(engine):
    """durable_rules segfaults (heap-dependent) on cross-fact <, <=, >, >=, != comparisons."""
    for rule_id, rdef in engine.packs.rules.items():
        assert list(_cross_refs_outside_eq(rdef.definition)) == [], rule_id


def test_non_equality_join_reads_a_local_copy():
    fields = catalog()["certification"].fields
    scope = Scope("certification", fields, {}, {ANCHOR: catalog()["product_sale"].fields})
    compiled = compile_condition("expires_on >= record.record_date", scope)
    assert compiled.conditions == [{"$ex": {"rec.record_date": 1}},
                                   {"$gte": {"expires_on": {"$m": "rec.record_date"}}}]
    assert compiled.record_copies == {"record_date"}
    assert list(_cross_refs_outside_eq(compiled.conditions)) == []


def test_join_between_two_joined_facts_must_be_equality():
    other = {ANCHOR: catalog()["loan_file"].fields, "site_visit": catalog()["site_visit"].fields}
    scope = Scope("interview", catalog()["interview"].fields, {}, other)
    assert compile_condition("date == site_visit.date", scope).conditions == [{"date": {"site_visit": "date"}}]
    with pytest.raises(ExprError, match="compare site_visit.date with == only"):
        compile_condition("date < site_visit.date", scope)


@pytest.mark.parametrize(("text", "expected"), [
    ("value_cny * 2 > 1001", [{"$gt": {"value_cny": 500.5}}]),
    ("value_cny > 1000 / 4", [{"$gt": {"value_cny": 250.0}}]),
    ("value_cny / 4 > 100", [{"$gt": {"value_cny": 400.0}}]),
])
def test_constants_are_folded(text, expected):
    scope = Scope(ANCHOR, catalog()["gift"].fields, {})
    assert compile_condition(text, scope).conditions == expected


def test_divide_by_field_rejected():
    scope = Scope(ANCHOR, catalog()["gift"].fields, {})
    with pytest.raises(ExprError, match="divide only by a non-zero number constant"):
        compile_condition("value_cny / recipients > 100", scope)


def test_folded_arithmetic_fires_in_the_engine(tmp_path):
    from conduct_engine.engine import Engine
    from tests.conftest import make_rules_dir
    engine = Engine.from_paths(make_rules_dir(tmp_path, """
pack: t
version: '1'
rules:
  - id: TST-DOUBLE
    standard: anti_bribery
    severity: review
    applies_to: gift
    when: value_cny * 2 > 1001
    message: {zh: 测试, en: test}
    remediation: {zh: 测试, en: test}
    source: test
    tests: {fires: [{}], silent: [{}]}
"""))
    base = {"id": "G", "kind": "gift", "employee_id": "E", "direction": "received", "form": "goods"}
    assert engine.evaluate({**base, "value_cny": 501}).decision == "review"
    assert engine.evaluate({**base, "value_cny": 500}).decision == "pass"


def test_joins_come_before_or_in_every_alias():
    """durable_rules ignores a cross-fact equality placed after an $or (false firings): joins go first."""
    from conduct_engine.engine import Engine
    from conduct_engine.packs.compiler import _is_join
    from tests.conftest import RULES
    for rule_id, rdef in Engine.from_paths(RULES).packs.rules.items():
        for entry in rdef.definition["all"]:
            (cond,) = entry.values()
            parts = cond.get("$and", [cond]) if isinstance(cond, dict) else [cond]
            seen_other = False
            for part in parts[1:]:
                if _is_join(part):
                    assert not seen_other, rule_id
                elif not (len(part) == 1 and "$ex" in part):
                    seen_other = True


def test_or_then_join_does_not_fire_falsely(tmp_path):
    from conduct_engine.engine import Engine
    from tests.conftest import make_rules_dir
    engine = Engine.from_paths(make_rules_dir(tmp_path, """
pack: t
version: '1'
rules:
  - id: TST-SEP
    standard: dd.objectivity
    severity: block
    applies_to: loan_file
    match:
      - team_member as inv where role == "lead_investigator"
      - team_member as dup where role in ["reviewer", "approver"] and employee_id == inv.employee_id
    message: {zh: 测试, en: test}
    remediation: {zh: 测试, en: test}
    source: test
    tests: {fires: [{}], silent: [{}]}
"""))
    base = {"id": "L", "kind": "loan_file", "product_type": "working_capital", "requested_amount_cny": 1,
            "term_months": 12, "borrower": {"party_id": "P"}}
    ok = engine.evaluate({**base, "team": {"lead_investigator": "E-100", "reviewers": ["E-200"]}})
    bad = engine.evaluate({**base, "team": {"lead_investigator": "E-100", "approvers": ["E-100"]}})
    assert ok.decision == "pass" and bad.decision == "block"


def test_join_inside_or_is_rejected():
    other = {ANCHOR: catalog()["loan_file"].fields, "inv": catalog()["team_member"].fields}
    from conduct_engine.packs.compiler import _reject_nested_joins
    scope = Scope("dup", catalog()["team_member"].fields, {}, other)
    compiled = compile_condition('role == "reviewer" or employee_id == inv.employee_id', scope)
    with pytest.raises(ExprError, match="cannot sit inside 'or'"):
        _reject_nested_joins(compiled.conditions)
