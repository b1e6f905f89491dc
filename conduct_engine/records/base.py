"""Shared base model and field types of the input records (SPEC §3)."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from conduct_engine.dates import SHANGHAI, parse_date

MAX_TEXT = 60_000
MAX_CODE = 200
MAX_LIST = 500

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: SPEC §12: dates and datetimes (after conversion to Asia/Shanghai) lie in these years.
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
MAX_MAGNITUDE = 1e30  # SPEC §12: at most 30 digits
_DEFAULTED: dict[type, frozenset[str]] = {}


def _number(value: Any) -> float:
    """Accept int or float (not bool, not str); return a finite float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PydanticCustomError(
            "number_type", "Input should be a number, not {kind}", {"kind": type(value).__name__}
        )
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise PydanticCustomError("finite_number", "Input should be a finite number")
    if abs(number) >= MAX_MAGNITUDE:
        raise PydanticCustomError("number_too_large", "Input should have at most 30 digits")
    return number


def _in_range(day: dt.date) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise PydanticCustomError("date_range", "Input should be between 1900-01-01 and 2199-12-31, got {value}",
                                  {"value": day.isoformat()})


def _date(value: Any) -> dt.date:
    """Accept a date object or a strict ``YYYY-MM-DD`` string."""
    try:
        day = parse_date(value)
    except ValueError:
        raise PydanticCustomError(
            "date_format", "Input should be a date as YYYY-MM-DD, got {value}", {"value": repr(_short(value))}
        ) from None
    _in_range(day)
    return day


def _datetime_input(value: Any) -> Any:
    """Reject numbers and timestamps: a datetime must be an ISO 8601 string or a datetime."""
    if isinstance(value, dt.datetime) or (isinstance(value, str) and _DATE_RE.match(value)):
        return value
    raise PydanticCustomError(
        "datetime_format",
        "Input should be an ISO 8601 datetime string, got {value}",
        {"value": repr(_short(value))},
    )


def to_shanghai(value: dt.datetime) -> dt.datetime:
    """Make a datetime aware in Asia/Shanghai (naive ones are taken as Shanghai time), within SPEC §12's years."""
    try:
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            moment = value.replace(tzinfo=SHANGHAI)
        else:
            moment = value.astimezone(SHANGHAI)
    except (OverflowError, ValueError):  # 0001-01-01T00:00:00+14:00 is before year 1 in Shanghai
        raise PydanticCustomError("datetime_range", "Input should be between 1900-01-01 and 2199-12-31 in "
                                  "Asia/Shanghai, got {value}", {"value": value.isoformat()}) from None
    _in_range(moment.date())
    return moment


def _short(value: Any) -> Any:
    """Keep error messages short when echoing hostile input."""
    return value[:40] + "…" if isinstance(value, str) and len(value) > 40 else value


Number = Annotated[float, BeforeValidator(_number)]
NonNegative = Annotated[float, BeforeValidator(_number), Field(ge=0)]
Money = NonNegative
Count = Annotated[StrictInt, Field(ge=0, lt=10**30)]
Flag = StrictBool
Id = Annotated[str, StringConstraints(min_length=1, max_length=MAX_CODE)]
Code = Annotated[str, StringConstraints(max_length=MAX_CODE)]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
Date = Annotated[dt.date, BeforeValidator(_date)]
DateTime = Annotated[dt.datetime, BeforeValidator(_datetime_input), AfterValidator(to_shanghai)]

PartyRelationType = Literal[
    "parent", "subsidiary", "same_actual_controller", "shareholder", "director_officer",
    "spouse", "parent_child", "sibling", "guarantee", "mutual_guarantee",
    "upstream_supplier", "downstream_customer",
]


def ListField(max_length: int = MAX_LIST) -> Any:
    """A list field defaulting to empty, capped at ``max_length`` items."""
    return Field(default_factory=list, max_length=max_length)


class StrictModel(BaseModel):
    """Base of every record model: unknown fields rejected, null means the field's default."""

    model_config = ConfigDict(extra="forbid", frozen=False)

    @model_validator(mode="before")
    @classmethod
    def _null_means_default(cls, data: Any) -> Any:
        """Treat an explicit null like an absent field when the field has a non-null default."""
        if not isinstance(data, dict):
            return data
        names = _DEFAULTED.get(cls)
        if names is None:
            names = frozenset(
                f.alias or n for n, f in cls.model_fields.items()
                if f.default_factory is not None or f.default not in (None, ...)
            )
            _DEFAULTED[cls] = names
        if any(data.get(n, 0) is None for n in names):
            data = {k: v for k, v in data.items() if not (v is None and k in names)}
        return data

    def as_fact_dict(self) -> dict:
        """Dump to JSON-ready facts: dates as YYYY-MM-DD, datetimes ISO with +08:00, no nulls — not even inside
        open mappings (module findings, material figures): a null there is the same as an absent key (SPEC §3)."""
        return _without_nulls(self.model_dump(mode="json", exclude_none=True, by_alias=True))


def _without_nulls(value: Any) -> Any:
    """``value`` with every null mapping entry removed, at any depth (a JSON dump: dicts, lists and leaves)."""
    if type(value) is dict:
        return {k: _without_nulls(v) if type(v) in _CONTAINERS else v for k, v in value.items() if v is not None}
    if type(value) is list:
        return [_without_nulls(v) if type(v) in _CONTAINERS else v for v in value]
    return value


_CONTAINERS = (dict, list)
