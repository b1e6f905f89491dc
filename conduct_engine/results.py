"""Outcomes as data: Violation and Result (SPEC §4), the decision logic, and message filling."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field

Severity = Literal["block", "review", "advisory"]
Decision = Literal["block", "review", "pass"]
ENGINE_ERROR_RULE = "ENGINE-ERROR"
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(\+08:00)?$")


class Text(BaseModel):
    """A text in Chinese and English."""

    zh: str
    en: str


class Violation(BaseModel):
    """One finding: the rule, the standard breached, how bad, what it says and why."""

    rule_id: str
    standard: str
    also: list[str] = Field(default_factory=list)
    severity: Severity
    message: Text
    remediation: Text
    evidence: dict[str, Any] = Field(default_factory=dict)
    related_records: list[str] = Field(default_factory=list)
    source: str
    finding: str | None = None  # "engine_error" when the engine could not evaluate the record


class PackRef(BaseModel):
    """Which rules produced a result."""

    name: str
    version: str
    digest: str


class Result(BaseModel):
    """The result for one record (SPEC §4)."""

    record_id: str
    kind: str
    decision: Decision
    violations: list[Violation] = Field(default_factory=list)
    waived: list[Violation] = Field(default_factory=list)
    pack: PackRef
    as_of: str
    decision_id: str


def decide(violations: list[Violation]) -> Decision:
    """block if any violation blocks, else review if any needs review, else pass (advisory never counts)."""
    severities = {v.severity for v in violations}
    if "block" in severities:
        return "block"
    if "review" in severities:
        return "review"
    return "pass"


_SEVERITY_ORDER = {"block": 0, "review": 1, "advisory": 2}


def _item_order(evidence: dict[str, Any]) -> tuple:
    """Matched items in file order (material 7 before material 107), then the evidence text."""
    indexes = tuple(v["index"] for v in evidence.values() if isinstance(v, dict) and isinstance(v.get("index"), int))
    return indexes, str(sorted(evidence.items(), key=str))


def sort_violations(violations: list[Violation]) -> list[Violation]:
    """Most severe first, then by rule id and matched item: a stable order for output and comparison."""
    return sorted(violations, key=lambda v: (_SEVERITY_ORDER[v.severity], v.rule_id, _item_order(v.evidence)))


def format_value(value: Any, lang: str, labels: dict[str, dict[str, str]]) -> str:
    """A value as a reader expects it: labelled enum values, grouped numbers in English."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, (int, float)):
        number = float(value)
        whole = abs(number - round(number)) < 0.005  # 23.9997 hours reads as 24
        text = f"{round(number):,.0f}" if whole else f"{number:,.2f}"
        return text.replace(",", "") if lang == "zh" else text
    if isinstance(value, str):
        label = labels.get(value)
        if label:
            return label[lang]
        if _DATETIME.match(value):  # 2026-10-12T10:00:00+08:00 -> 2026-10-12 10:00 (Shanghai time)
            return f"{value[:10]} {value[11:16]}"
        return value
    if isinstance(value, list):
        return ("、" if lang == "zh" else ", ").join(format_value(v, lang, labels) for v in value)
    return str(value)


#: What a finding about the file as it was originated starts with, once the file has moved on (``origination:``).
AT_ORIGINATION = Text(zh="贷款发起时：", en="At origination: ")


def at_origination(text: Text) -> Text:
    """``text`` marked as a finding about how the record was originated."""
    en = text.en
    if len(en) > 1 and en[0].isupper() and en[1].islower():  # "The report…" -> "At origination: the report…"
        en = en[0].lower() + en[1:]
    return Text(zh=AT_ORIGINATION.zh + text.zh, en=AT_ORIGINATION.en + en)


def fill(template: str, values: dict[str, Any], lang: str, labels: dict[str, dict[str, str]]) -> str:
    """Fill ``{placeholders}`` with formatted values (unknown ones are left visible)."""
    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        return format_value(values[name], lang, labels) if name in values else match.group(0)
    return _PLACEHOLDER.sub(repl, template)
