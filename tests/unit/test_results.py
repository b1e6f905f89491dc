"""Findings' order and message filling (``results.py``): the order is total, and the same however it is reached."""

from __future__ import annotations

import itertools
import random

from conduct_engine.results import Text, Violation, fill, sort_violations


def _v(rule_id: str, severity: str, evidence: dict) -> Violation:
    return Violation(rule_id=rule_id, standard="diligence", severity=severity, message=Text(zh="z", en="e"),
                     remediation=Text(zh="z", en="e"), evidence=evidence, source="s")


def _reference(violations: list[Violation]) -> list[Violation]:
    """The order written out in full: severity, rule id, matched items' positions, then the evidence text."""
    rank = {"block": 0, "review": 1, "advisory": 2}

    def key(v: Violation) -> tuple:
        indexes = tuple(x["index"] for x in v.evidence.values() if isinstance(x, dict) and isinstance(x.get("index"), int))
        return rank[v.severity], v.rule_id, indexes, str(sorted(v.evidence.items(), key=str))

    return sorted(violations, key=key)


def test_order_without_ties_is_severity_rule_then_item_position():
    found = [_v("B-1", "review", {"m": {"index": 107}}), _v("B-1", "review", {"m": {"index": 7}}),
             _v("A-9", "advisory", {}), _v("Z-1", "block", {"x": 1})]
    ordered = sort_violations(found)
    assert [(v.rule_id, v.evidence.get("m", {}).get("index")) for v in ordered] == [
        ("Z-1", None), ("B-1", 7), ("B-1", 107), ("A-9", None)]


def test_ties_on_rule_and_position_are_broken_by_the_evidence_text():
    found = [_v("R-1", "block", {"amount": 900}), _v("R-1", "block", {"amount": 1000}), _v("R-1", "block", {"amount": 50})]
    assert [v.evidence["amount"] for v in sort_violations(found)] == [1000, 50, 900]  # as texts: '1000' < '50' < '900'


def test_every_input_order_gives_the_reference_order():
    rng = random.Random(7)
    pool = [_v(rule, sev, ev) for rule, sev, ev in itertools.product(
        ["R-1", "R-2"], ["block", "review"], [{}, {"m": {"index": 3}}, {"m": {"index": 3}, "v": 2}, {"v": 1}])]
    for _ in range(200):
        sample = rng.sample(pool, rng.randint(1, len(pool)))
        if rng.random() < 0.3:
            sample += sample[:2]  # whole duplicates: kept, in input order
        assert [id(v) for v in sort_violations(sample)] == [id(v) for v in _reference(sample)]


def test_fill_formats_placeholders_and_keeps_plain_text_as_it_is():
    labels = {"cash": {"zh": "现金", "en": "cash"}}
    assert fill("no placeholder here", {"x": 1}, "en", labels) == "no placeholder here"
    assert fill("", {}, "zh", labels) == ""
    assert fill("{form}: CNY {value} of {limit}; {unknown}", {"form": "cash", "value": 12345.5, "limit": 2000},
                "en", labels) == "cash: CNY 12,345.50 of 2,000; {unknown}"
    assert fill("{form}：{value} 元", {"form": "cash", "value": 12345.5}, "zh", labels) == "现金：12345.50 元"
