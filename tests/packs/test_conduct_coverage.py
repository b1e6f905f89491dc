"""Issue 3 minimums: every conduct code >= 4 rules, every duty code >= 3, every such rule >= 2 fires and >= 2 silent cases.

Due-diligence (``dd.*``) and risk (``rm.*``) codes are filled by another pack and are not checked here.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from conduct_engine.cli import app
from conduct_engine.packs.testing import coverage

CONDUCT_CODES = ("honesty", "legal_compliance", "competence", "proper_conduct", "diligence", "confidentiality",
                 "standard_operation", "quality_service", "anti_bribery", "insider_dealing")
DUTY_CODES = ("duty.client_maintenance", "duty.client_records", "duty.handover")
MIN_RULES = {**{c: 4 for c in CONDUCT_CODES}, **{c: 3 for c in DUTY_CODES}}
MIN_CASES = 2


def test_minimum_rules_per_conduct_and_duty_code(engine):
    cov = coverage(engine)
    short = {code: cov[code]["rules"] for code, minimum in MIN_RULES.items() if cov[code]["rules"] < minimum}
    assert not short, f"codes below their minimum number of rules: {short}"


@pytest.mark.parametrize("code", sorted(MIN_RULES))
def test_every_conduct_and_duty_rule_has_two_cases_each_way(engine, code):
    thin = {rule_id: (len(r.rule.tests.fires), len(r.rule.tests.silent)) for rule_id, r in engine.packs.rules.items()
            if r.rule.standard == code
            and (len(r.rule.tests.fires) < MIN_CASES or len(r.rule.tests.silent) < MIN_CASES)}
    assert not thin, f"rules with fewer than {MIN_CASES} fires or silent cases (fires, silent): {thin}"


def test_rules_test_command_prints_coverage_per_standard():
    result = CliRunner().invoke(app, ["rules", "test", "--rule", "BRB-CASH-EQUIV", "--rule", "DUTY-HANDOVER-LATE"])
    assert result.exit_code == 0, result.output
    for code in MIN_RULES:
        assert code in result.output
    assert "0 failed" in result.output
