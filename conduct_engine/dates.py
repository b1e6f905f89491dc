"""Dates, one way: the strict ``YYYY-MM-DD`` parser, day numbers, and today in Asia/Shanghai.

SPEC §3: dates are ``YYYY-MM-DD`` and naive datetimes mean Shanghai time. Every module that reads a
date from text goes through :func:`parse_date` (so no module is laxer than another), and the engine's
facts use :func:`day_number` so rules can subtract dates.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from zoneinfo import ZoneInfo

from conduct_engine import error_codes
from conduct_engine.errors import RecordError

SHANGHAI = ZoneInfo("Asia/Shanghai")
EPOCH = dt.date(1970, 1, 1)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def today() -> dt.date:
    """Today in Asia/Shanghai."""
    return dt.datetime.now(SHANGHAI).date()


def parse_date(value: object) -> dt.date:
    """A date object (not a datetime) or a strict ``YYYY-MM-DD`` string; ValueError otherwise."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        return _date_text(value)
    raise ValueError(f"not a date YYYY-MM-DD: {value!r}")


@functools.lru_cache(maxsize=1 << 16)  # a batch's dates repeat: each text is parsed once
def _date_text(value: str) -> dt.date:
    if _DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass  # well-formed but impossible, e.g. 2026-02-30
    raise ValueError(f"not a date YYYY-MM-DD: {value!r}")


def parse_when(value: str) -> dt.date | dt.datetime:
    """A date, or an ISO 8601 datetime when the text has a time part (``T``)."""
    return dt.datetime.fromisoformat(value) if "T" in value else parse_date(value)


def as_of_date(value: dt.date | str | None) -> dt.date:
    """An evaluation date: given, or today in Shanghai; RecordError (loc ``as_of``) when unreadable."""
    if value is None:
        return today()
    if isinstance(value, dt.date):
        return value
    try:
        return parse_date(value)
    except ValueError:
        raise RecordError([{"loc": "as_of", "msg": f"as_of must be a date YYYY-MM-DD, got {value!r}",
                            "type": error_codes.DATE_FORMAT}]) from None


def day_number(value: dt.date | dt.datetime | str) -> float | int:
    """Days since 1970-01-01: whole for dates, fractional (local time) for datetimes."""
    if isinstance(value, str):
        return _day_number_text(value)
    return _day_number(value)


@functools.lru_cache(maxsize=1 << 16)  # dates and times repeat across a batch's facts: each text is read once
def _day_number_text(value: str) -> float | int:
    return _day_number(parse_when(value))


def _day_number(value: dt.date | dt.datetime) -> float | int:
    if isinstance(value, dt.datetime):
        days = (value.date() - EPOCH).days
        seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
        return round(days + seconds / 86400, 6)
    return (value - EPOCH).days


__all__ = ["EPOCH", "SHANGHAI", "as_of_date", "day_number", "parse_date", "parse_when", "today"]
