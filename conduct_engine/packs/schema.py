"""The shape of a rule-pack file (pydantic), before its conditions are compiled."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SEVERITIES = ("block", "review", "advisory")
RULE_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Bilingual(_Strict):
    """A text in Chinese and English."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Parameter(_Strict):
    """A named threshold or list; branches may override ``value``."""

    value: Any
    description: str | None = None
    unit: str | None = None


class Aggregate(_Strict):
    """A rolling-window aggregate over history, computed before the rules run."""

    applies_to: list[str] = Field(min_length=1)
    over: str
    where: dict[str, Any] = Field(default_factory=dict)
    match: dict[str, str] = Field(min_length=1)  # history field: record field
    within_days: int = Field(ge=1, le=3660)
    after_days: int = Field(default=0, ge=0, le=3660)  # also count records up to N days after
    sum: str | None = None
    count: bool = False
    count_distinct: str | None = None
    latest: bool = False  # the date (day number) of the latest earlier matching record
    include_self: bool = True
    #: a record's share: its measure divided by this field when the field is given (a team gift per recipient)
    per: str | None = None
    #: without any history of kind ``over`` (other than the record) the aggregate is unknown, not zero: a rule that
    #: needs history does not fire when none was available (SPEC §3.4)
    requires_history: bool = False
    description: str | None = None


class DerivedSpec(_Strict):
    """A value computed from the record before the rules run (see ``conduct_engine/packs/derived.py``)."""

    applies_to: list[str] = Field(min_length=1)
    value: str
    description: str | None = None


class TestCases(_Strict):
    """Records that must fire the rule and records that must not."""

    fires: list[dict[str, Any]] = Field(default_factory=list)
    silent: list[dict[str, Any]] = Field(default_factory=list)


class Rule(_Strict):
    """One rule: what it checks, how bad it is, what it says and where it comes from."""

    id: str
    standard: str
    also: list[str] = Field(default_factory=list)
    severity: Literal["block", "review", "advisory"]
    applies_to: str
    when: str | None = None
    match: list[str] = Field(default_factory=list)
    message: Bilingual
    remediation: Bilingual
    source: str = Field(min_length=1)
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    #: where in the record's life the rule applies (values of the kind's stage field); None: at every stage
    stages: list[str] | None = None
    #: the rule checks how the record was originated: past the first of its stages, messages say "at origination"
    origination: bool = False
    description: str | None = None
    tests: TestCases = Field(default_factory=TestCases)

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not RULE_ID.match(value):
            raise ValueError("rule id must look like ABC-NAME (capitals, digits and dashes)")
        return value


class PackFile(_Strict):
    """One YAML pack file."""

    pack: str
    version: str
    description: str | None = None
    parameters: dict[str, Parameter | Any] = Field(default_factory=dict)
    branches: dict[str, dict[str, Any]] = Field(default_factory=dict)
    fx: dict[str, float] = Field(default_factory=dict)
    aggregates: dict[str, Aggregate] = Field(default_factory=dict)
    derived: dict[str, DerivedSpec] = Field(default_factory=dict)
    test_defaults: dict[str, dict[str, Any]] = Field(default_factory=dict)
    rules: list[dict[str, Any]] = Field(default_factory=list)  # validated one by one (Rule)


class Bundle(_Strict):
    """``rules/bundle.yaml``: the name and version results report."""

    name: str
    version: str
    description: str | None = None
