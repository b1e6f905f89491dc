"""Every rule's own test records pass (``conduct-check rules test`` in the suite)."""

from __future__ import annotations

import pytest

from conduct_engine.packs.testing import cases_for, run_case


def _all_cases():
    from conduct_engine.engine import Engine
    from tests.conftest import RULES
    engine = Engine.from_paths(RULES)
    return [(case.rule_id, case.expect, case.index) for rule_id in sorted(engine.packs.rules)
            for case in cases_for(engine, rule_id)]


@pytest.mark.parametrize(("rule_id", "expect", "index"), _all_cases())
def test_pack_case(engine, rule_id, expect, index):
    case = next(c for c in cases_for(engine, rule_id) if c.expect == expect and c.index == index)
    result = run_case(engine, case)
    assert result.passed, result.detail
