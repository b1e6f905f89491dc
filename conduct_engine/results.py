"""Outcomes as data: Violation and Result (SPEC §4), the decision logic, and message filling."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
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
    return decide_severities({v.severity for v in violations})


def decide_severities(severities: Iterable[str]) -> Decision:
    """The decision from the findings' severities alone (no need to build the findings)."""
    seen = set(severities)
    if "block" in seen:
        return "block"
    if "review" in seen:
        return "review"
    return "pass"


class Evaluation:
    """One record's outcome, built lazily: the decision is known at once; the findings (messages, evidence)
    and the pydantic :class:`Result` are built the first time output is asked for, and only once.

    It reads like a :class:`Result` (``decision``, ``violations``, ``model_dump_json()``, …: anything else is
    the built Result's), so callers need not care; ``result()`` gives the Result itself.
    """

    __slots__ = ("record_id", "kind", "decision", "pack", "as_of", "_decision_id", "_build", "_result")

    def __init__(self, record_id: str, kind: str, decision: Decision, pack: PackRef, as_of: str,
                 build: Callable[[], list[Violation]]):
        self.record_id, self.kind, self.decision, self.pack, self.as_of = record_id, kind, decision, pack, as_of
        self._decision_id: str | None = None
        self._build: Callable[[], list[Violation]] | None = build
        self._result: Result | None = None

    @property
    def decision_id(self) -> str:
        """A random id (uuid4) unless one was set (scans derive theirs)."""
        if self._decision_id is None:
            self._decision_id = uuid.uuid4().hex
        return self._decision_id

    @decision_id.setter
    def decision_id(self, value: str) -> None:
        self._decision_id = value
        if self._result is not None:
            self._result.decision_id = value

    @property
    def violations(self) -> list[Violation]:
        """The findings, most severe first (built on first use)."""
        return self.result().violations

    def result(self) -> Result:
        """The pydantic Result (built once; its parts are already valid, so it is constructed, not validated)."""
        if self._result is None:
            assert self._build is not None
            violations = self._build()
            self._build = None
            self._result = Result.model_construct(
                record_id=self.record_id, kind=self.kind, decision=self.decision, violations=violations, waived=[],
                pack=self.pack, as_of=self.as_of, decision_id=self.decision_id)
        return self._result

    def model_dump_json(self, **kwargs: Any) -> str:
        """The Result as JSON (SPEC §4)."""
        return self.result().model_dump_json(**kwargs)

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:
        """The Result as a dict."""
        return self.result().model_dump(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.result(), name)


_SEVERITY_ORDER = {"block": 0, "review": 1, "advisory": 2}


def _indexes(evidence: dict[str, Any]) -> tuple[int, ...]:
    """The matched items' positions in the file (material 7 before material 107)."""
    return tuple(v["index"] for v in evidence.values() if isinstance(v, dict) and isinstance(v.get("index"), int))


def sort_violations(violations: list[Violation]) -> list[Violation]:
    """Most severe first, then by rule id and matched item, then the evidence text: a stable order for output and
    comparison (the evidence text is written only when findings tie on everything before it)."""
    keyed = [((_SEVERITY_ORDER[v.severity], v.rule_id, _indexes(v.evidence)), v) for v in violations]
    if len({key for key, _v in keyed}) == len(keyed):
        return [v for _key, v in sorted(keyed, key=lambda kv: kv[0])]
    return [v for _key, _text, v in sorted(((key, str(sorted(v.evidence.items(), key=str)), v) for key, v in keyed),
                                           key=lambda row: row[:2])]


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
    parts = _TEMPLATES.get(template)
    if parts is None:
        parts = _split_template(template)
        if len(_TEMPLATES) < 10_000:  # the packs' messages: a few hundred
            _TEMPLATES[template] = parts
    if len(parts) == 1 and parts[0][1] is None:  # no placeholder (most remediations)
        return template
    out = []
    for text, name in parts:
        out.append(format_value(values[name], lang, labels) if name is not None and name in values else text)
    return "".join(out)


#: template -> its pieces: (literal text, None) or (the placeholder as written, its name)
_TEMPLATES: dict[str, tuple[tuple[str, str | None], ...]] = {}


def _split_template(template: str) -> tuple[tuple[str, str | None], ...]:
    parts: list[tuple[str, str | None]] = []
    at = 0
    for match in _PLACEHOLDER.finditer(template):
        if match.start() > at:
            parts.append((template[at:match.start()], None))
        parts.append((match.group(0), match.group(1)))
        at = match.end()
    if at < len(template):
        parts.append((template[at:], None))
    return tuple(parts)
