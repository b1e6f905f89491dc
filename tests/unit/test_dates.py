"""The one date parser: strict YYYY-MM-DD, day numbers, as_of errors."""

from __future__ import annotations

import datetime as dt

import pytest

from conduct_engine.dates import as_of_date, day_number, parse_date, parse_when
from conduct_engine.errors import RecordError


@pytest.mark.parametrize("text", ["2026-11-30", "2024-02-29"])
def test_parse_date_accepts_yyyy_mm_dd(text):
    assert parse_date(text) == dt.date.fromisoformat(text)


@pytest.mark.parametrize("value", ["20261130", "2026-W48-1", "2026-02-30", "30/11/2026", "2026-11-30T10:00:00",
                                   " 2026-11-30", dt.datetime(2026, 11, 30), 20261130, None])
def test_parse_date_refuses_everything_else(value):
    with pytest.raises(ValueError, match="not a date YYYY-MM-DD"):
        parse_date(value)


def test_parse_date_keeps_date_objects():
    assert parse_date(dt.date(2026, 11, 30)) == dt.date(2026, 11, 30)


def test_day_numbers():
    assert day_number("1970-01-02") == 1
    assert day_number("1970-01-02T12:00:00") == 1.5
    assert day_number(dt.date(2026, 11, 30)) == (dt.date(2026, 11, 30) - dt.date(1970, 1, 1)).days
    assert isinstance(parse_when("2026-11-30T08:00:00+08:00"), dt.datetime)


def test_as_of_error_names_the_field():
    assert as_of_date("2026-11-30") == dt.date(2026, 11, 30)
    with pytest.raises(RecordError) as info:
        as_of_date("30/11/2026")
    assert info.value.errors == [{"loc": "as_of", "msg": "as_of must be a date YYYY-MM-DD, got '30/11/2026'",
                                  "type": "date_format"}]
