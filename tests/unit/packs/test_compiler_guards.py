"""Compiler guard-rails: constructs durable_rules mishandles are never emitted."""

from __future__ import annotations

import pytest

from conduct_engine.packs.compiler import ANCHOR
from conduct_engine.packs.expressions import ExprError, Scope, compile_condition
from conduct_engine.packs.fields import catalog

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
    import shutil
    from pathlib import Path

    from conduct_engine.engine import Engine
    root = tmp_path / "rules"
    src = Path(__file__).resolve().parents[3] / "rules"
    root.mkdir()
    for name in ("standards.yaml", "bundle.yaml"):
        shutil.copy(src / name, root / name)
    (root / "p.yaml").write_text("""
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
""", encoding="utf-8")
    engine = Engine.from_paths(root)
    base = {"id": "G", "kind": "gift", "employee_id": "E", "direction": "received", "form": "goods"}
    assert engine.evaluate({**base, "value_cny": 501}).decision == "review"
    assert engine.evaluate({**base, "value_cny": 500}).decision == "pass"
