"""Money in any ISO 4217 currency with dated rates (conduct_engine/fx.py) and the business calendar with the
State Council's holidays and make-up working days (conduct_engine/business_calendar.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from conduct_engine.business_calendar import BusinessCalendar, bundled, covered_years
from conduct_engine.errors import RecordError
from conduct_engine.fx import ISO_4217, FxTable
from conduct_engine.packs.derived import compile_derived
from conduct_engine.records import parse_context, parse_record


@pytest.fixture(scope="module")
def live_engine():
    """The engine over the bundled rules."""
    from conduct_engine.engine import Engine
    from tests.conftest import RULES
    return Engine.from_paths(RULES)


GIFT = {"id": "G-1", "kind": "gift", "employee_id": "E-1", "occurred_on": "2026-10-10", "direction": "received",
        "form": "goods", "amount": 100, "currency": "BRL"}


def _context(*rates):
    return parse_context({"fx_rates": [{"currency": c, "on": on, "rate": r} for c, on, r in rates]})


def test_iso_codes():
    assert {"CNY", "USD", "BRL", "XAU", "ZWG"} <= ISO_4217 and "XYZ" not in ISO_4217 and len(ISO_4217) > 170


def test_dated_rate_in_force_on_the_record_date():
    table = FxTable.of({"USD": 7.1}, _context(("BRL", "2026-01-01", 1.2), ("BRL", "2026-10-01", 1.3),
                                              ("usd", "2026-10-11", 7.25)))
    assert table.rate("BRL", dt.date(2026, 9, 30)) == 1.2
    assert table.rate("BRL", dt.date(2026, 10, 10)) == 1.3
    assert table.rate("USD", dt.date(2026, 10, 10)) == 7.1  # the default until the dated rate starts
    assert table.rate("USD", dt.date(2026, 10, 11)) == 7.25
    assert table.rate("BRL", dt.date(2025, 12, 31)) is None
    assert parse_record(GIFT, fx=table).value_cny == 130.0


def test_unknown_and_unrated_currencies_are_field_errors():
    with pytest.raises(RecordError) as info:
        parse_record({**GIFT, "currency": "BRX"}, fx={"USD": 7.1})
    assert info.value.errors == [{"loc": "currency", "msg": "Unknown currency 'BRX': not an ISO 4217 code",
                                  "type": "unknown_currency"}]
    with pytest.raises(RecordError) as info:
        parse_record(GIFT, fx=FxTable.of({"USD": 7.1}, _context(("BRL", "2026-10-11", 1.3))))
    assert info.value.errors[0]["type"] == "no_fx_rate"
    assert info.value.errors[0]["msg"].startswith("No exchange rate for BRL on 2026-10-10")


def test_context_rates_are_validated():
    with pytest.raises(RecordError):
        parse_context({"fx_rates": [{"currency": "XYZ", "on": "2026-01-01", "rate": 1}]})
    with pytest.raises(RecordError):
        parse_context({"fx_rates": [{"currency": "USD", "on": "2026-01-01", "rate": 0}]})


def test_engine_converts_with_the_request_context(live_engine):
    context = {"fx_rates": [{"currency": "BRL", "on": "2026-10-01", "rate": 1.3}]}
    record = {**GIFT, "amount": 500}
    result = live_engine.evaluate(record, context=context, as_of="2026-11-30")
    assert {v.rule_id for v in result.violations} >= {"BRB-GIFT-KEEP"}  # CNY 650 > 500
    with pytest.raises(RecordError):
        live_engine.evaluate(record, as_of="2026-11-30")


def test_pack_default_table_has_the_common_currencies(live_engine):
    assert {"USD", "EUR", "HKD", "GBP", "JPY", "SGD", "MOP"} <= set(live_engine.packs.fx)


# ---- calendar ------------------------------------------------------------------------------------
def test_bundled_notices_cover_2013_to_2026():
    assert set(range(2013, 2027)) <= set(covered_years())
    cal = bundled()
    for year in range(2013, 2027):  # every year has weekday holidays and (all but none) make-up days
        assert any(d.year == year for d in cal.holidays), year
    assert sum(1 for d in cal.workdays if 2013 <= d.year <= 2026) > 60


@pytest.mark.parametrize("day, business", [
    (dt.date(2026, 10, 1), False),   # National Day
    (dt.date(2026, 10, 10), True),   # Saturday make-up working day (调休)
    (dt.date(2026, 10, 11), False),  # Sunday
    (dt.date(2024, 2, 4), True),     # Sunday before the 2024 Spring Festival, a working day
    (dt.date(2024, 2, 12), False),   # Spring Festival 2024
    (dt.date(2015, 9, 3), False),    # 2015 victory-day holiday
    (dt.date(2026, 10, 9), True),
])
def test_business_days_of_the_calendar(day, business):
    assert bundled().is_business_day(day) is business


def test_business_days_count_make_up_days():
    cal = bundled()
    assert cal.business_days(dt.date(2026, 9, 30), dt.date(2026, 10, 12)) == 4  # Oct 8, 9, 10 (Sat), 12
    assert cal.business_days(dt.date(2026, 10, 12), dt.date(2026, 9, 30)) == -4
    assert BusinessCalendar().business_days(dt.date(2026, 9, 30), dt.date(2026, 10, 12)) == 8


def test_overrides_from_parameters_and_reference_data():
    d = compile_derived("lag", "business_days(occurred_on, declared_at)", ["gift"],
                        {"holidays": ["2027-02-08"], "makeup_workdays": ["2027-02-06"]})
    dump = {"occurred_on": "2027-02-05", "declared_at": "2027-02-09T09:00:00"}
    assert d.value(dump) == 2  # Sat 6 (make-up) and Tue 9; Mon 8 a holiday
    context = parse_context({"calendar": [{"date": "2027-02-08", "type": "workday"},
                                          {"date": "2027-02-09", "type": "holiday", "name": "春节"}]})
    assert d.value(dump, context) == 2  # Sat 6 and Mon 8; Tue 9 now a holiday


@pytest.mark.parametrize("start, end, expected", [
    ("2027-02-04", "2027-02-09", 1),   # Fri 5 (除夕) and Mon 8 (初三) are holidays, 6-7 the weekend: only Tue 9
    ("2027-09-14", "2027-09-16", 1),   # Wed 15 中秋
    ("2027-09-30", "2027-10-04", 1),   # Fri Oct 1 国庆; Mon 4 counts (the 2027 notice's 补假 is not confirmed yet)
    ("2027-03-01", "2027-03-05", 4),   # an ordinary week
])
def test_the_shipped_pack_knows_2027s_statutory_holidays(live_engine, start, end, expected):
    from conduct_engine.packs.derived import pack_calendar
    cal = pack_calendar(live_engine.packs.parameters)
    assert cal.business_days(dt.date.fromisoformat(start), dt.date.fromisoformat(end)) == expected
