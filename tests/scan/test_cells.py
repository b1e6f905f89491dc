"""Mapping ``formats:`` for what bank exports carry (conduct_engine/scan/cells.py): money as text with signs,
codes and thousands separators, dates with slashes, Excel serial dates."""

from __future__ import annotations

import pytest

from conduct_engine.scan.cells import excel_serial, money_text, slashed
from conduct_engine.scan.mapping import Mapping
from conduct_engine.scan.readers import Row

MAPPING = {"kind": "gift", "constants": {"direction": "received", "form": "goods"},
           "columns": {"id": "编号", "employee_id": "员工", "occurred_on": "日期", "declared_at": "申报时间",
                       "value_cny": "金额", "disposition_on": "处置日"},
           "formats": {"value_cny": "money", "declared_at": "excel", "disposition_on": "%d/%m/%Y"}}


@pytest.mark.parametrize("text, fmt, number", [
    ("¥1,234.50", "money", "1234.50"), ("RMB 12 000", "money", "12000"), ("12,000.00元", "money", "12000.00"),
    ("(300.00)", "money", "-300.00"), ("300-", "money", "-300"), ("HK$ 1,000", "money", "1000"),
    ("USD 88", "money", "88"), ("1.234,50 €", "money_decimal_comma", "1234.50"),
    ("1 234,5", "money_decimal_comma", "1234.5"),
])
def test_money_text(text, fmt, number):
    assert money_text(text, fmt) == number


@pytest.mark.parametrize("text", ["about 200", "1,2,3.4.5", "¥", "12 apples"])
def test_money_text_rejects(text):
    with pytest.raises(ValueError):
        money_text(text, "money")


def test_excel_serials():
    assert excel_serial(45941, "date") == "2025-10-11"
    assert excel_serial("46326.75", "datetime") == "2026-10-31T18:00:00"
    assert excel_serial(1, "date") == "1900-01-01" and excel_serial(61, "date") == "1900-03-01"
    for bad in (0, 60, "x", 3e7):
        with pytest.raises(ValueError):
            excel_serial(bad, "date")


def test_slashed_dates():
    assert slashed("2026/1/5", "date") == "2026-01-05"
    assert slashed("2026/01/05 09:30", "datetime") == "2026-01-05T09:30:00"
    assert slashed("05/01/2026", "date") is None


def test_a_row_of_an_export_becomes_a_record():
    mapping = Mapping.from_dict(MAPPING, fx={"USD": 7.1})
    record, problems = mapping.to_record(Row("x.csv", 2, {"编号": "G-9", "员工": "E-1", "日期": "2026/11/3",
                                                          "申报时间": "46329.5", "金额": "￥1,280.00",
                                                          "处置日": "04/11/2026"}, tabular=True), {"USD": 7.1})
    assert problems == []
    assert record["occurred_on"] == "2026-11-03" and record["declared_at"] == "2026-11-03T12:00:00"
    assert record["value_cny"] == 1280 and record["disposition_on"] == "2026-11-04"


def test_bad_cells_are_reported_with_the_column():
    mapping = Mapping.from_dict(MAPPING, fx={"USD": 7.1})
    record, problems = mapping.to_record(Row("x.csv", 3, {"编号": "G-9", "员工": "E-1", "日期": "2026/13/3",
                                                          "申报时间": "0", "金额": "lots"}, tabular=True), {"USD": 7.1})
    assert record is None
    text = " ".join(p.reason for p in problems)
    assert "occurred_on" in text and "declared_at" in text and "value_cny" in text
