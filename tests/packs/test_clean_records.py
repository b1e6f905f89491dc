"""Clean records raise no findings at all, advisories included (issue 13: noise on clean records)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PASSING = sorted((ROOT / "examples" / "declarations").glob("*.pass.json")) + sorted(
    (ROOT / "examples" / "loan_files").glob("*.pass.json"))


def _body(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _check(engine, body: dict, **extra):
    return engine.evaluate(body["record"], context=body.get("context"), history=extra.get("history", ()),
                           as_of=body.get("as_of"))


@pytest.mark.parametrize("path", PASSING, ids=lambda p: p.name)
def test_clean_examples_have_no_finding_not_even_advisory(engine, path):
    result = _check(engine, _body(path))
    assert result.violations == [], [(v.rule_id, v.message.en) for v in result.violations]


def test_one_visit_log_without_history_is_not_told_it_had_no_marketing_visit(engine):
    body = _body(ROOT / "examples" / "declarations" / "visit_log_single_visit_short_chinese_summary.pass.json")
    assert body["record"]["visit_type"] == "routine"
    assert "DIL-NO-MARKETING-365D" not in {v.rule_id for v in _check(engine, body).violations}
    earlier = {**body["record"], "id": "VIS-EARLIER", "started_at": "2026-05-10T10:00:00",
               "ended_at": "2026-05-10T11:00:00", "log_submitted_at": "2026-05-10T17:00:00"}
    with_history = _check(engine, body, history=[earlier])  # history shows no marketing visit: now it is said
    assert "DIL-NO-MARKETING-365D" in {v.rule_id for v in with_history.violations}


def test_short_substantive_chinese_summary_is_not_thin(engine):
    body = _body(ROOT / "examples" / "declarations" / "visit_log_single_visit_short_chinese_summary.pass.json")
    assert len(body["record"]["summary"]) < 30
    assert "DUTY-WORKLOG-THIN" not in {v.rule_id for v in _check(engine, body).violations}


def test_one_overdue_inspection_is_one_finding(engine):
    body = _body(ROOT / "examples" / "loan_files" / "working_capital_first_inspection_overdue.review.json")
    ids = [v.rule_id for v in _check(engine, body).violations]
    assert ids == ["RM-INSPECTION-OVERDUE"]


def test_corporate_loan_file_without_an_undefined_finding_is_clean(engine):
    body = copy.deepcopy(_body(ROOT / "examples" / "loan_files" / "working_capital.pass.json"))
    findings = body["record"]["modules"]["product_market"].get("findings") or {}
    findings.pop("main_products", None)
    body["record"]["modules"]["product_market"]["findings"] = findings
    assert _check(engine, body).violations == []
