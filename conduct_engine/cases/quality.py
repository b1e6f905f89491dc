"""The rule-quality report: per rule, how its cases were judged, so thresholds can be tuned (SPEC §9).

Per rule over the cases opened in a window: cases, true and false positives (findings' verdicts), precision
(true / (true + false); None before any verdict), median days to close (closed cases, opened → closed), and
overdue cases; rules whose precision is under the configured minimum are the tuning candidates.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, fields
from typing import Any

from conduct_engine.store.case_rows import Case


@dataclass(frozen=True)
class RuleQuality:
    """One rule's figures."""

    rule_id: str
    standard: str
    cases: int
    true_positives: int
    false_positives: int
    unreviewed: int
    precision: float | None
    median_days_to_close: float | None
    overdue: int

    def to_dict(self) -> dict[str, Any]:
        """The row as JSON-ready data."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class QualityReport:
    """The report: rows by rule id, and the rules under ``min_precision``."""

    rows: list[RuleQuality]
    min_precision: float
    tuning_candidates: list[str]
    opened_from: dt.date | None
    opened_to: dt.date | None

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {"from": self.opened_from.isoformat() if self.opened_from else None,
                "to": self.opened_to.isoformat() if self.opened_to else None, "min_precision": self.min_precision,
                "rules": [r.to_dict() for r in self.rows], "tuning_candidates": self.tuning_candidates}


#: The report's columns, in order (table and CSV).
COLUMNS = tuple(f.name for f in fields(RuleQuality))


def days_to_close(case: Case) -> float | None:
    """Days from opening to closing (fractional), or None while open."""
    if case.status != "closed" or case.closed_at is None:
        return None
    return round((case.closed_at - case.opened_at).total_seconds() / 86400, 4)


def rule_quality(cases: list[Case], *, today: dt.date, min_precision: float, opened_from: dt.date | None = None,
                 opened_to: dt.date | None = None) -> QualityReport:
    """The report over ``cases`` (already limited to the window)."""
    by_rule: dict[str, list[tuple[Case, str]]] = {}
    standards: dict[str, str] = {}
    for case in cases:
        for f in case.findings:
            by_rule.setdefault(f.rule_id, []).append((case, f.verdict))
            standards.setdefault(f.rule_id, f.standard)
    rows = []
    for rule_id in sorted(by_rule):
        items = by_rule[rule_id]
        tp = sum(1 for _, v in items if v == "true_positive")
        fp = sum(1 for _, v in items if v == "false_positive")
        closing = [d for d in (days_to_close(c) for c, _ in items) if d is not None]
        rows.append(RuleQuality(rule_id, standards[rule_id], len(items), tp, fp, len(items) - tp - fp,
                                round(tp / (tp + fp), 4) if tp + fp else None,
                                round(statistics.median(closing), 4) if closing else None,
                                sum(1 for c, _ in items if c.overdue(today))))
    candidates = [r.rule_id for r in rows if r.precision is not None and r.precision < min_precision]
    return QualityReport(rows, min_precision, candidates, opened_from, opened_to)
