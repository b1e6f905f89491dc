"""A record kind defined outside the project (tests/unit/plugin/outside_employment.py) works end to end:
parsed, money converted from USD, windows on its own date field, waived on its subject, its pack's own tests."""

from __future__ import annotations

import datetime as dt

import pytest

from conduct_engine.engine import Engine
from conduct_engine.errors import RecordError
from conduct_engine.packs.testing import run_all
from conduct_engine.records import parse_record
from conduct_engine.records.registry import record_kinds, registered
from conduct_engine.service import CheckService
from conduct_engine.store import Store
from tests.conftest import make_rules_dir
from tests.unit.plugin.outside_employment import PACK, SPEC


@pytest.fixture()
def kind():
    with registered(SPEC):
        yield SPEC
    assert "outside_employment" not in record_kinds()


@pytest.fixture()
def service(kind, tmp_path):
    engine = Engine.from_paths(make_rules_dir(tmp_path, PACK))
    store = Store.open(f"sqlite:///{tmp_path / 'conduct.db'}")
    yield CheckService(lambda: engine, store)
    store.close()


def job(record_id: str, started_on: str, **fields) -> dict:
    return {"id": record_id, "kind": "outside_employment", "employee_id": "E-7", "employer": "某咨询公司",
            "started_on": started_on, "approval_id": "A-1", **fields}


def test_unknown_until_registered():
    with pytest.raises(RecordError) as info:
        parse_record(job("X", "2026-03-01", monthly_pay_cny=1))
    assert info.value.errors[0]["type"] == "union_tag_invalid"


def test_money_converted_from_usd(service):
    result = service.check(job("OE-1", "2026-03-01", amount=200, currency="USD"), as_of="2026-03-01")
    (finding,) = result.violations
    assert finding.rule_id == "OE-PAY-HIGH"
    assert finding.message.en == "Second job pays CNY 1,400 a month"
    assert result.decision == "review"


def test_window_on_its_own_date_field(service):
    # occurred_on is far away on purpose: the window must use started_on, the kind's own date
    service.check(job("OE-1", "2026-03-01", monthly_pay_cny=1000, occurred_on="2025-01-01"), as_of="2026-03-01")
    inside = service.check(job("OE-2", "2026-03-30", monthly_pay_cny=1600, occurred_on="2025-01-01"),
                           as_of="2026-03-30", dry_run=True)
    outside = service.check(job("OE-3", "2026-03-31", monthly_pay_cny=1600, occurred_on="2025-01-01"),
                            as_of="2026-03-31", dry_run=True)
    assert [v.rule_id for v in inside.violations] == ["OE-PAY-HIGH", "OE-WINDOW"]
    assert inside.violations[1].message.en == "Second jobs started within 30 days pay CNY 2,600"
    assert [v.rule_id for v in outside.violations] == ["OE-PAY-HIGH"]


def test_waiver_on_its_subject(service):
    service.store.waivers.add(rule_id="OE-PAY-HIGH", reason="合规部批准", approver="王经理",
                              expires_on=dt.date(2026, 12, 31), subject="E-7")
    result = service.check(job("OE-1", "2026-03-01", monthly_pay_cny=2000), as_of="2026-03-01")
    assert result.violations == [] and result.decision == "pass"
    assert [w.rule_id for w in result.waived] == ["OE-PAY-HIGH"]
    other = service.check({**job("OE-2", "2026-03-01", monthly_pay_cny=2000), "employee_id": "E-8"},
                          as_of="2026-03-01")
    assert [v.rule_id for v in other.violations] == ["OE-PAY-HIGH"]


def test_its_pack_tests_pass(kind, tmp_path):
    engine = Engine.from_paths(make_rules_dir(tmp_path, PACK))
    outcomes = run_all(engine)
    assert len(outcomes) == 6 and all(o.passed for o in outcomes), [o.detail for o in outcomes if not o.passed]
