"""Derived functions added for the conduct pack: ``minutes(a, b)`` and ``length(text)``."""

from __future__ import annotations

import pytest

from conduct_engine.packs.derived import compile_derived
from conduct_engine.packs.problems import ExprError


def _compute(text: str, kind: str, dump: dict):
    return compile_derived("x", text, [kind], {}).compute(dump)


@pytest.mark.parametrize(("start", "end", "expected"), [
    ("2026-10-10T09:00:00+08:00", "2026-10-10T09:15:00+08:00", 15),
    ("2026-10-10T09:00:00+08:00", "2026-10-10T09:15:59+08:00", 15),
    ("2026-10-10T09:00:00+08:00", "2026-10-10T09:14:59+08:00", 14),
    ("2026-10-10T09:00:00+08:00", "2026-10-11T09:00:00+08:00", 1440),
    ("2026-10-10T09:00:00+08:00", "2026-10-10T08:30:00+08:00", -30),
    ("2026-10-10T09:00:00+08:00", "2026-10-10T02:00:00+01:00", 0),
])
def test_minutes(start, end, expected):
    assert _compute("minutes(scheduled_at, arrived_at)", "appointment",
                    {"scheduled_at": start, "arrived_at": end}) == expected


def test_minutes_missing_or_date_only_is_missing():
    assert _compute("minutes(scheduled_at, arrived_at)", "appointment", {"scheduled_at": "2026-10-10T09:00:00"}) is None
    assert _compute("minutes(occurred_on, declared_at)", "gift",
                    {"occurred_on": "2026-10-10", "declared_at": "2026-10-11T09:00:00"}) is None


@pytest.mark.parametrize(("summary", "expected"), [
    ("拜访客户", 4), ("  了解经营情况  ", 6), ("", 0), ("visited the plant", 17)])
def test_length(summary, expected):
    assert _compute("length(summary)", "visit_log", {"summary": summary}) == expected


def test_length_missing_and_bad_arguments():
    assert _compute("length(summary)", "visit_log", {}) is None
    with pytest.raises(ExprError):
        compile_derived("x", "length(summary, client_id)", ["visit_log"], {})
    with pytest.raises(ExprError):
        compile_derived("x", "minutes(started_at)", ["visit_log"], {})
    with pytest.raises(ExprError):
        compile_derived("x", "length(summry)", ["visit_log"], {})
