"""What an explanation is (SPEC §10): per rule its status and, part by part, why — as data, JSON-ready."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from conduct_engine.results import Text

Status = Literal["fired", "not_fired", "not_applicable"]


class Threshold(BaseModel):
    """A pack parameter a condition reads: its value in force and where that value came from."""

    name: str
    value: Any
    origin: str  # "pack default" or "branch BJ-001" (or "changed" in a backtest candidate)


class ConditionPart(BaseModel):
    """One part of a condition as the pack writes it, with the values it was decided on."""

    text: str
    actual: Any = None  # the record's value (a {field: value} object when the part reads several fields)
    threshold: Any = None
    origin: str | None = None
    parameters: list[Threshold] = Field(default_factory=list)
    result: bool
    says: Text  # the part in business words, with its values: ``value_cny 800 > … → true``


class Candidate(BaseModel):
    """A fact a join looked at, and the parts of its ``where`` that failed (none: it matched)."""

    fact: dict[str, Any]
    matched: bool
    failed: list[ConditionPart] = Field(default_factory=list)


class JoinExplanation(BaseModel):
    """One ``match`` entry: which facts matched it, or that none did and why each candidate failed."""

    text: str
    fact_type: str
    negated: bool
    matched: list[dict[str, Any]]
    candidates: list[Candidate]
    result: bool
    says: Text


class CountedRecord(BaseModel):
    """A history record (or the record itself) counted in a window."""

    id: str
    date: str
    value: Any
    this_record: bool = False


class WindowExplanation(BaseModel):
    """A window aggregate a rule reads: its key, period, the records counted and the total against the limit."""

    name: str
    description: str | None = None
    over: str
    measure: str  # "sum of value_cny", "count", "distinct client_id", "latest date"
    key: dict[str, Any]
    period: dict[str, str]  # from / to, inclusive
    records: list[CountedRecord]
    total: Any = None
    limits: list[Threshold] = Field(default_factory=list)
    says: Text


class RuleExplanation(BaseModel):
    """Why one rule fired, did not, or did not apply."""

    rule_id: str
    standard: str
    severity: str
    status: Status
    reason: Text | None = None
    conditions: list[ConditionPart] = Field(default_factory=list)
    joins: list[JoinExplanation] | None = None
    windows: list[WindowExplanation] | None = None


class Explanation(BaseModel):
    """The explanation of one record: every rule of its kind (or the one asked about)."""

    record_id: str
    kind: str
    as_of: str
    branch: str | None = None
    rules: list[RuleExplanation]
