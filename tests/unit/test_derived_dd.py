"""Derived functions added for the loan-file pack: item filters, ``first`` and ``missing_from``."""

from __future__ import annotations

import pytest

from conduct_engine.dates import day_number
from conduct_engine.packs.derived import compile_derived
from conduct_engine.packs.problems import ExprError

FILE = {
    "materials": [
        {"type": "interim_fs", "as_of": "2026-06-30", "figures": {"revenue_cny": 50}, "source_type": "client_provided",
         "verification_method": "none"},
        {"type": "audited_fs", "as_of": "2025-12-31", "figures": {"revenue_cny": 100}, "source_type": "intermediary"},
        {"type": "tax_returns", "figures": {"revenue_cny": 90}, "source_type": "client_provided",
         "verification_method": "none"},
        {"type": "tax_returns", "figures": {"revenue_cny": 70}},
    ],
    "team": {"lead_investigator": "E-1", "co_investigators": ["E-2", "E-3"]},
    "report": {"signed_by": ["E-1", "E-2"]},
}


def _value(text: str, record: dict = FILE):
    return compile_derived("x", text, ["loan_file"], {}).compute(record)


def test_filters_on_item_fields():
    assert _value('max(materials.as_of, type=["audited_fs", "interim_fs"])') == day_number("2026-06-30")
    assert _value('min(materials.as_of, type="audited_fs")') == day_number("2025-12-31")
    assert _value('count(materials, source_type="client_provided", verification_method="none")') == 2
    assert _value('count(materials, type="collateral_title")') == 0
    assert _value('sum(materials.figures.revenue_cny, type="tax_returns")') == 160
    assert _value('distinct(materials.source_type, type=["tax_returns", "audited_fs"])') == 2


def test_first_takes_file_order_and_skips_missing():
    assert _value('first(materials.figures.revenue_cny, type="tax_returns")') == 90
    assert _value('first(materials.figures.revenue_cny)') == 50
    assert _value('first(materials.figures.revenue_cny, type="appraisal_report")') is None
    assert compile_derived("x", 'first(materials.as_of)', ["loan_file"], {}).ftype.kind == "date"


def test_missing_from_counts_one_value_or_a_list():
    assert _value("missing_from(team.lead_investigator, report.signed_by)") == 0
    assert _value("missing_from(team.co_investigators, report.signed_by)") == 1
    assert _value("missing_from(report.signed_by, team.lead_investigator)") == 1  # a single value as the set
    assert _value("missing_from(team.co_investigators, report.signed_by)", {"team": {"co_investigators": []},
                                                                            "report": {"signed_by": []}}) == 0
    assert _value("missing_from(team.lead_investigator, report.signed_by)", {"team": {"lead_investigator": "E-1"}}) \
        is None  # no report: nothing to say


@pytest.mark.parametrize(("text", "message"), [
    ('count(materials, colour="red")', "have no field 'colour'"),
    ('max(materials.as_of, type=date)', "takes a value or a list of values"),
    ('days(accepted_on, report.date, type="x")', "takes no keyword 'type'"),
    ("missing_from(team.lead_investigator)", "takes 2 field(s)"),
])
def test_bad_filters_are_pack_errors(text, message):
    with pytest.raises(ExprError) as info:
        compile_derived("x", text, ["loan_file"], {})
    assert message in info.value.message
