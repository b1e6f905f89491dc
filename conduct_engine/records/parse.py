"""Parse raw JSON-like input into record and context models, with clear dotted-path errors."""

import copy
import datetime as dt
import math
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from .. import error_codes
from ..errors import RecordError
from ..fx import FxTable
from .base import StrictModel
from .context import Context
from .registry import kind_spec, record_adapter, record_kinds

__all__ = ["RecordError", "parse_context", "parse_record"]

_LENIENT_PASSES = 4
_ROOT = "(root)"


def parse_record(
    data: Any, *, lenient: bool = False, fx: Mapping[str, float] | FxTable | None = None
) -> StrictModel:
    """Validate one record dict; ``lenient`` drops unknown fields, ``fx`` (a pack's table, or an FxTable with the
    reference data's dated rates) converts ``amount`` at the rate of the record's own date."""
    data = _as_dict(data, "a record")
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in record_kinds():
        raise RecordError([_kind_error(kind)])
    data = _convert_amount(data, kind, fx, lenient)
    return _validate(record_adapter().validate_python, data, lenient, tag=kind)


def parse_context(data: Any, *, lenient: bool = False) -> Context:
    """Validate reference data; ``None`` gives an empty context."""
    if data is None:
        return Context()
    if isinstance(data, Context):
        return data
    return _validate(Context.model_validate, _as_dict(data, "a context"), lenient, tag=None)


def _as_dict(data: Any, what: str) -> dict:
    """Insist on a JSON object."""
    if isinstance(data, Mapping):
        return dict(data)
    raise RecordError([_error(_ROOT, f"{what} must be a JSON object, not {type(data).__name__}",
                              error_codes.DICT_TYPE)])


def _kind_error(kind: Any) -> dict:
    """One clear error for a missing or unknown kind."""
    valid = ", ".join(record_kinds())
    if kind is None:
        return _error("kind", f"Field required; kind should be one of: {valid}", "missing")
    return _error("kind", f"Unknown kind {kind!r}; expected one of: {valid}", error_codes.UNKNOWN_KIND)


def _own_date(data: dict, kind: str) -> dt.date | None:
    """The record's own date as given (its kind's first date field that reads as a date), for the rate."""
    for path in kind_spec(kind).date_fields:
        value: Any = data
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value[:10])
            except ValueError:
                return None
    return None


def _convert_amount(
    data: dict, kind: str, fx: Mapping[str, float] | FxTable | None, lenient: bool
) -> dict:
    """Replace ``amount``/``currency`` by the kind's primary ``*_cny`` field (SPEC §3)."""
    amount, currency = data.pop("amount", None), data.pop("currency", None)
    if amount is None and currency is None:
        return data
    field = kind_spec(kind).money_field
    if field is None:
        if lenient:
            return data
        loc = "amount" if amount is not None else "currency"
        raise RecordError([_error(loc, f"kind {kind!r} has no money field; amount and currency "
                                       "are not allowed", error_codes.AMOUNT_NOT_ALLOWED)])
    if amount is None or currency is None:
        loc, other = ("amount", "currency") if amount is None else ("currency", "amount")
        raise RecordError([_error(loc, f"Field required when {other} is given", error_codes.MISSING)])
    if data.get(field) is not None:
        raise RecordError([_error("amount", f"Give either amount and currency or {field}, "
                                            "not both", error_codes.AMOUNT_CONFLICT)])
    errors = []
    if isinstance(amount, bool) or not isinstance(amount, (int, float)):
        errors.append(_error("amount", f"Input should be a number, not {type(amount).__name__}",
                             error_codes.NUMBER_TYPE))
    elif not math.isfinite(amount) or amount < 0:
        errors.append(_error("amount", "Input should be a finite number >= 0", error_codes.FINITE_NUMBER))
    table = FxTable.of(fx)
    on = _own_date(data, kind)
    problem = table.problem(currency, on)
    if problem is not None:
        code = error_codes.UNKNOWN_CURRENCY if problem.startswith("Unknown") else error_codes.NO_FX_RATE
        errors.append(_error("currency", problem, code))
    if errors:
        raise RecordError(errors)
    rate = table.rate(currency, on)
    assert rate is not None
    data[field] = round(amount * rate, 2)
    return data


def _validate(validate: Callable[[Any], Any], data: dict, lenient: bool, tag: str | None) -> Any:
    """Validate; when lenient, delete the unknown fields pydantic reports and try again."""
    attempt = data
    for remaining in range(_LENIENT_PASSES, -1, -1):
        try:
            return validate(attempt)
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_context=False, include_input=False)
        extras = [_strip(e["loc"], tag) for e in errors if e["type"] == "extra_forbidden"]
        if not (lenient and extras and remaining):
            raise RecordError([_error(_dotted(_strip(e["loc"], tag)), e["msg"], e["type"])
                               for e in errors]) from None
        if attempt is data:
            attempt = copy.deepcopy(data)
        for loc in extras:
            _delete(attempt, loc)
    raise AssertionError("unreachable")  # pragma: no cover


def _strip(loc: tuple, tag: str | None) -> tuple:
    """Drop the discriminator tag pydantic puts first in a union member's error loc."""
    return loc[1:] if tag is not None and loc[:1] == (tag,) else loc


def _delete(data: Any, loc: tuple) -> None:
    """Delete the item at ``loc`` from nested dicts and lists, if it is there."""
    for part in loc[:-1]:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(data, dict):
        data.pop(loc[-1], None)


def _dotted(loc: tuple) -> str:
    """``("materials", 3, "type")`` → ``"materials.3.type"``."""
    return ".".join(str(p) for p in loc) or _ROOT


def _error(loc: str, msg: str, type_: str) -> dict:
    """One error entry in the RecordError format."""
    return {"loc": loc, "msg": msg, "type": type_}
