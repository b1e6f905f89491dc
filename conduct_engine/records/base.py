"""Shared base model and field types of the input records (SPEC §3)."""

from __future__ import annotations

import datetime as dt
import math
import re
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

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
        if not isinstance(data, dict) or None not in data.values():  # no null at all: the common case
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
        dump = self.model_dump(mode="json", exclude_none=True, by_alias=True)
        _drop_open_nulls(type(self), dump)
        return dump


def _drop_open_nulls(model: type[BaseModel], dump: dict) -> None:
    """Remove, in place, the nulls ``model_dump(exclude_none=True)`` leaves: those inside the open fields (mappings
    and anything not a model, a list of models or a scalar), walked by :func:`_without_nulls`; nested models are
    cleaned by their own plan, so the rest of the dump is not walked."""
    for key, how, inner in _null_plan(model):
        value = dump.get(key)
        if value is None:
            continue
        if how == _OPEN:
            dump[key] = _without_nulls(value) if type(value) in _CONTAINERS else value
        elif how == _MODEL:
            if type(value) is dict:
                _drop_open_nulls(inner, value)
        else:  # a list of models
            for item in value if type(value) is list else ():
                if type(item) is dict:
                    _drop_open_nulls(inner, item)


_OPEN, _MODEL, _MODELS = "open", "model", "models"
#: model class -> (dump key, how its value may hold nulls, the nested model class) for the fields that may
_NULL_PLANS: dict[type, tuple[tuple[str, str, Any], ...]] = {}
_SCALARS = (str, int, float, bool, dt.date, dt.datetime)
_CYCLE = "\0"  # no dump key: the placeholder plan of a model being planned


def _null_plan(model: type[BaseModel]) -> tuple[tuple[str, str, Any], ...]:
    plan = _NULL_PLANS.get(model)
    if plan is None:
        _NULL_PLANS[model] = ((_CYCLE, _OPEN, None),)  # a model nested in itself: walked, never skipped
        entries = []
        for name, info in model.model_fields.items():
            how, inner = _nulls_in(info.annotation)
            if how in (_MODEL, _MODELS) and not _null_plan(inner):
                continue  # a nested model that cannot hold such a null: not visited at all
            if how is not None:
                entries.append((info.alias or name, how, inner))
        plan = _NULL_PLANS[model] = tuple(entries)
    return plan


def _nulls_in(annotation: Any) -> tuple[str | None, Any]:
    """How a field's dumped value may hold a null ``exclude_none`` does not remove: None (it cannot: a scalar, or a
    list of scalars, whose null items stay as they are anyway), a nested model, a list of models, or open."""
    annotation = unwrap_annotation(annotation)
    origin = get_origin(annotation)
    if origin is Literal or (isinstance(annotation, type) and issubclass(annotation, _SCALARS)):
        return None, None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _MODEL, annotation
    if origin is list and len(get_args(annotation)) == 1:
        how, inner = _nulls_in(get_args(annotation)[0])
        if how is None:
            return None, None
        return (_MODELS, inner) if how == _MODEL else (_OPEN, None)
    return _OPEN, None  # a mapping, a union of several types, anything else: walked


def unwrap_annotation(annotation: Any) -> Any:
    """A field's annotation without its Optional/Annotated wrappers (a union of several types is kept as it is)."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin is Union or origin is types.UnionType:
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _without_nulls(value: Any) -> Any:
    """``value`` with every null mapping entry removed, at any depth (a JSON dump: dicts, lists and leaves)."""
    if type(value) is dict:
        return {k: _without_nulls(v) if type(v) in _CONTAINERS else v for k, v in value.items() if v is not None}
    if type(value) is list:
        return [_without_nulls(v) if type(v) in _CONTAINERS else v for v in value]
    return value


_CONTAINERS = (dict, list)
