"""The explanation agrees with the engine, record by record: ``fired`` in the explanation is exactly the set of
rules the engine fired, on >= 2,000 generated records per run (the oracle's generators), for the frozen starter
rules the generators are built around and for the live packs."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conduct_engine.engine import Engine
from conduct_engine.explain import Explainer
from tests.conftest import STARTER_RULES
from tests.oracle.generators import Case, gift_cases, loan_file_cases, product_sale_cases

ENGINES = {"starter": Engine.from_paths(STARTER_RULES), "live": Engine.from_paths()}
EXPLAINERS = {name: Explainer(engine) for name, engine in ENGINES.items()}
BATCH = 4
EXAMPLES = {"gift": 200, "product_sale": 150, "loan_file": 175}  # x BATCH = 2,100 records per run
CHECKED: Counter[str] = Counter()
FIRED: Counter[str] = Counter()
STATUSES: Counter[str] = Counter()


def _settings(kind: str) -> settings:
    return settings(max_examples=EXAMPLES[kind], deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def check(case: Case) -> None:
    for name, engine in ENGINES.items():
        result = engine.evaluate(case.record, context=case.context, history=case.history, as_of=case.as_of)
        fired = {v.rule_id for v in result.violations}
        assert "engine_error" not in fired, result
        explanation = EXPLAINERS[name].explain(case.record, context=case.context, history=case.history,
                                               as_of=case.as_of)
        explained = {r.rule_id for r in explanation.rules if r.status == "fired"}
        assert explained == fired, (name, case)
        assert {r.rule_id for r in explanation.rules} == {r.rule.id for r in engine.rules_for(case.record["kind"])}
        for rule in explanation.rules:
            if rule.status == "fired":  # a fired rule has every part of its ``when`` true
                assert all(p.result for p in rule.conditions), (name, rule)
            STATUSES[rule.status] += 1
        FIRED[name] += len(fired)
    CHECKED[case.record["kind"]] += 1


@_settings("gift")
@given(st.lists(gift_cases(), min_size=BATCH, max_size=BATCH))
def test_explanation_agrees_on_gifts(cases: list[Case]) -> None:
    for case in cases:
        check(case)


@_settings("product_sale")
@given(st.lists(product_sale_cases(), min_size=BATCH, max_size=BATCH))
def test_explanation_agrees_on_product_sales(cases: list[Case]) -> None:
    for case in cases:
        check(case)


@_settings("loan_file")
@given(st.lists(loan_file_cases(), min_size=BATCH, max_size=BATCH))
def test_explanation_agrees_on_loan_files(cases: list[Case]) -> None:
    for case in cases:
        check(case)


def test_enough_records_were_explained() -> None:
    """Runs after the property tests (file order): >= 2,000 records, and the agreement is not vacuous."""
    if not CHECKED:
        pytest.skip("run the whole module: the property tests above count the records")
    assert sum(CHECKED.values()) >= 2_000, dict(CHECKED)
    assert FIRED["starter"] >= 500 and FIRED["live"] >= 500, dict(FIRED)
    assert min(STATUSES.values()) >= 100 and set(STATUSES) == {"fired", "not_fired", "not_applicable"}, dict(STATUSES)
