"""Thresholds are named parameters with the catalog's defaults; a branch override tightens one for that branch only."""

from __future__ import annotations

import pytest

# parameter -> catalog default (rule-catalog.md §1.2)
CATALOG_DEFAULTS = {
    "gift_declare_min_cny": 200, "gift_keep_max_cny": 500, "gift_giver_365d_review_cny": 1000,
    "gift_giver_365d_block_cny": 2000, "declare_deadline_bd": 5, "handin_deadline_d": 30, "quiet_period_d": 90,
    "ent_per_head_cny": 300, "ent_per_head_tier1_cny": 500, "ent_event_max_cny": 3000,
    "ent_preclear_per_head_cny": 500, "ent_freq_90d": 3, "ent_freq_365d": 8, "gift_give_occasion_cny": 500,
    "gift_give_365d_cny": 2000, "official_block_cny": 200, "staff_client_flow_block_cny": 50000,
    "staff_client_flow_365d_cny": 100000, "inflow_salary_multiple": 3, "visit_interval_a_d": 30,
    "visit_interval_b_d": 90, "visit_interval_c_d": 180, "worklog_deadline_bd": 2, "client_file_refresh_d": 365,
    "handover_deadline_d": 30, "export_max_records": 200, "doc_checkout_max_d": 7, "escalation_deadline_bd": 1,
    "appt_late_min": 15, "prearrange_min_h": 24, "response_sla_bd": 1, "complaint_sla_d": 15,
    "complaint_sla_ext_d": 30, "preclear_valid_bd": 1, "kickback_window_d": 90, "cert_expiry_warn_d": 60,
    "gps_tolerance_m": 2000, "large_cash_cny": 50000,
}


def test_parameters_have_catalog_defaults(engine):
    assert {p: engine.packs.parameters.get(p) for p in CATALOG_DEFAULTS} == CATALOG_DEFAULTS


def _gift(branch: str | None, value: float) -> dict:
    record = {"id": "G-1", "kind": "gift", "employee_id": "E-100", "occurred_on": "2026-11-20",
              "declared_at": "2026-11-21T09:00:00", "direction": "received", "form": "goods", "value_cny": value,
              "disposition": "kept", "counterparty": {"party_id": "P-1", "name": "上海某贸易公司", "group_id": "GRP-1"}}
    if branch:
        record["branch"] = branch
    return record


@pytest.mark.parametrize(("branch", "value", "fires"), [
    ("BJ-001", 300, False), ("BJ-001", 301, True), ("BJ-001", 299, False),
    ("SH-001", 301, False), ("SH-001", 500, False), ("SH-001", 501, True), (None, 400, False)])
def test_stricter_branch_override_applies_only_to_that_branch(engine, branch, value, fires):
    assert engine.packs.params_for("BJ-001")["gift_keep_max_cny"] < engine.packs.parameters["gift_keep_max_cny"]
    result = engine.evaluate(_gift(branch, value), as_of="2026-11-30")
    assert ("BRB-GIFT-KEEP" in {v.rule_id for v in result.violations}) is fires
    assert result.decision == ("review" if fires else "pass")


def test_override_reaches_every_rule_using_the_parameter(engine):
    """The hand-in deadline rule reads the same limit: the Beijing gift of 400 is over it there, not in Shanghai."""
    late = {"occurred_on": "2026-10-01", "declared_at": "2026-10-08T09:00:00"}
    beijing = engine.evaluate({**_gift("BJ-001", 400), **late}, as_of="2026-11-30")
    shanghai = engine.evaluate({**_gift("SH-001", 400), **late}, as_of="2026-11-30")
    assert beijing.decision == "block" and "BRB-GIFT-HANDIN-LATE" in {v.rule_id for v in beijing.violations}
    assert next(v for v in beijing.violations if v.rule_id == "BRB-GIFT-KEEP").evidence["limits"][
        "gift_keep_max_cny"] == 300
    assert shanghai.decision == "pass" and shanghai.violations == []
