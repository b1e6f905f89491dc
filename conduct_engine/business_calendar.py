"""The business-day calendar: Chinese public holidays and make-up working days (调休).

Three layers, later ones winning for a date:

1. the State Council's holiday notices as published in the ``chinesecalendar`` package (2004 to the last year it
   carries: 2026 in 1.11.0) — public holidays that fall on weekdays, and the weekend days that are working days;
2. the ``holidays`` and ``makeup_workdays`` parameters of ``rules/common.yaml`` (a year the package does not carry
   yet, e.g. 2027 once its notice is out, or a bank's own closing days);
3. the reference data's ``calendar`` entries (``{date, type: holiday|workday}``), for one request or loaded once.

A business day is a Monday–Friday that is not a holiday, or a make-up working day.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from conduct_engine.dates import parse_date

__all__ = ["BusinessCalendar", "bundled", "covered_years", "of_parameters"]


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekday holidays and weekend working days."""

    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()

    def is_business_day(self, day: dt.date) -> bool:
        """Whether ``day`` is a working day."""
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def business_days(self, a: dt.date, b: dt.date) -> int:
        """Business days after ``a`` up to and including ``b`` (negative when ``b`` is earlier)."""
        sign, lo, hi = (1, a, b) if b >= a else (-1, b, a)
        weeks, rest = divmod((hi - lo).days, 7)
        weekday = lo.weekday()  # the day i days after lo falls on (weekday + i) % 7
        count = weeks * 5 + sum(1 for i in range(1, rest + 1) if (weekday + i) % 7 < 5)
        off, extra = self._sorted()
        count -= bisect.bisect_right(off, hi) - bisect.bisect_right(off, lo)
        count += bisect.bisect_right(extra, hi) - bisect.bisect_right(extra, lo)
        return sign * count

    def _sorted(self) -> tuple[list[dt.date], list[dt.date]]:
        """The weekday holidays that are not working days, and the weekend working days, each sorted (built once)."""
        cached = self.__dict__.get("_sorted_days")
        if cached is None:
            cached = (sorted(h for h in self.holidays if h.weekday() < 5 and h not in self.workdays),
                      sorted(w for w in self.workdays if w.weekday() >= 5))
            object.__setattr__(self, "_sorted_days", cached)
        return cached

    def add_business_days(self, start: dt.date, days: int) -> dt.date:
        """The day ``days`` business days after ``start`` (0 is ``start``): a case's due date."""
        day, left = start, days
        while left > 0:
            day += dt.timedelta(days=1)
            if self.is_business_day(day):
                left -= 1
        return day

    def with_days(self, holidays: Iterable[dt.date] = (), workdays: Iterable[dt.date] = ()) -> BusinessCalendar:
        """This calendar with more holidays and working days (a date given as one is removed from the other)."""
        extra_h, extra_w = frozenset(holidays), frozenset(workdays)
        return BusinessCalendar((self.holidays - extra_w) | extra_h, (self.workdays - extra_h) | extra_w)

    def with_context(self, context: Any) -> BusinessCalendar:
        """This calendar overridden by a context's ``calendar`` entries (itself when there are none)."""
        days = getattr(context, "calendar", None) or ()
        if not days:
            return self
        return self.with_days([d.date for d in days if d.type == "holiday"],
                              [d.date for d in days if d.type == "workday"])


def of_parameters(params: dict[str, Any]) -> BusinessCalendar:
    """The bundled State Council calendar with a pack's ``holidays`` and ``makeup_workdays`` parameters."""
    return bundled().with_days((parse_date(str(h)) for h in params.get("holidays", []) or []),
                               (parse_date(str(w)) for w in params.get("makeup_workdays", []) or []))


@lru_cache(maxsize=1)
def bundled() -> BusinessCalendar:
    """The State Council calendar of the ``chinesecalendar`` package (empty when it is not installed)."""
    try:
        import chinese_calendar
    except ImportError:  # pragma: no cover - pinned in pyproject.toml
        return BusinessCalendar()
    holidays = frozenset(d for d in chinese_calendar.holidays if d.weekday() < 5)
    workdays = frozenset(d for d in chinese_calendar.workdays if d.weekday() >= 5)
    return BusinessCalendar(holidays, workdays)


def covered_years() -> range:
    """The years the bundled notices cover."""
    try:
        import chinese_calendar
    except ImportError:  # pragma: no cover
        return range(0)
    days = chinese_calendar.holidays
    return range(min(days).year, max(days).year + 1)
