"""Wire types of the v1 API (request bodies, catalog entries, errors); results are engine Results."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool
from pydantic_core import PydanticCustomError

from conduct_engine.dates import parse_date
from conduct_engine.records.base import FIRST_DAY, LAST_DAY
from conduct_engine.results import Result, Text

ResultV1 = Result

GIFT_EXAMPLE: dict[str, Any] = {
    "id": "G-0001", "kind": "gift", "employee_id": "E-100", "branch": "SH-001",
    "occurred_on": "2026-11-20", "declared_at": "2026-11-21T09:00:00", "direction": "received",
    "form": "shopping_card", "value_cny": 2000,
    "counterparty": {"party_id": "P-1", "name": "上海某贸易公司", "group_id": "GRP-1"},
}
CHECK_EXAMPLE: dict[str, Any] = {"record": GIFT_EXAMPLE, "as_of": "2026-11-30"}
BATCH_EXAMPLE: dict[str, Any] = {"records": [GIFT_EXAMPLE, {**GIFT_EXAMPLE, "id": "G-0002", "form": "goods",
                                                            "value_cny": 150}], "as_of": "2026-11-30"}


def _strict_date(value: Any) -> Any:
    """Accept only ``YYYY-MM-DD`` strings (or None): no timestamps, no datetimes."""
    if value is None:
        return value
    try:
        day = parse_date(value)
    except ValueError:
        shown = repr(value)[:40]
        raise PydanticCustomError("date_format", "as_of must be a date as YYYY-MM-DD, got {value}",
                                  {"value": shown}) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise PydanticCustomError("date_range", "as_of must be between 1900-01-01 and 2199-12-31, got {value}",
                                  {"value": day.isoformat()})
    return day


AsOf = Annotated[dt.date | None, BeforeValidator(_strict_date)]

_RECORD_DOC = "One record (SPEC §3): an object with `id`, `kind` and the kind's fields."
_CONTEXT_DOC = "Reference data for joins (SPEC §3.3): employees, parties, clients, …"
_AS_OF_DOC = "The day to check as of (YYYY-MM-DD); default today in Asia/Shanghai."
_DRY_RUN_DOC = ("A question only: the record is not stored as history (the decision is still logged, "
                "marked as a dry run).")
_LENIENT_DOC = "Drop unknown fields instead of rejecting them (imports from other systems)."


class CheckRequestV1(BaseModel):
    """Body of ``POST /v1/check``: one record to check."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [CHECK_EXAMPLE]})

    record: dict[str, Any] = Field(description=_RECORD_DOC)
    context: dict[str, Any] | None = Field(default=None, description=_CONTEXT_DOC)
    as_of: AsOf = Field(default=None, description=_AS_OF_DOC)
    dry_run: StrictBool = Field(default=False, description=_DRY_RUN_DOC)
    lenient: StrictBool = Field(default=False, description=_LENIENT_DOC)


class BatchCheckRequestV1(BaseModel):
    """Body of ``POST /v1/check/batch``: several records, each checked on its own."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [BATCH_EXAMPLE]})

    records: list[dict[str, Any]] = Field(description="Records to check (up to the server's batch limit).")
    context: dict[str, Any] | None = Field(default=None, description=_CONTEXT_DOC)
    as_of: AsOf = Field(default=None, description=_AS_OF_DOC)
    dry_run: StrictBool = Field(default=False, description=_DRY_RUN_DOC)
    lenient: StrictBool = Field(default=False, description=_LENIENT_DOC)


class BatchResultV1(BaseModel):
    """Body of a batch answer: one result per record, in request order."""

    results: list[ResultV1]


class StandardV1(BaseModel):
    """A standard code (SPEC §2) with its names and seed clause."""

    code: str
    group: str
    zh: str
    en: str
    clause: str


class RuleV1(BaseModel):
    """A rule as enforced: what it checks, how bad it is, what it says and where it comes from."""

    id: str
    standard: str
    also: list[str]
    severity: str
    applies_to: str
    when: str | None
    match: list[str]
    message: Text
    remediation: Text
    source: str
    effective_from: dt.date | None
    effective_to: dt.date | None
    description: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict, description="Default values of the "
                                       "parameters the rule reads (branches may override them).")


class PackV1(BaseModel):
    """The loaded rule pack."""

    name: str
    version: str
    digest: str


class ReadyV1(BaseModel):
    """Readiness: the engine is loaded, with what."""

    status: str
    pack: PackV1
    rules: int
    standards: int
    durable_rules: str


class ErrorItemV1(BaseModel):
    """One problem: where (a dotted field path, or ``file:line``), a reason and a stable type."""

    loc: str
    msg: str
    type: str


class ErrorBodyV1(BaseModel):
    """Every 4xx/5xx answer: ``detail`` as FastAPI gives it, a stable ``code``, and the problems one by one.

    ``detail`` is a message, except on a 422 for invalid input, where it is the list of problems (FastAPI's
    shape, kept for existing clients); ``errors`` always is that list, empty when there is nothing finer.
    """

    detail: str | list[ErrorItemV1] = Field(description="A message, or (422 invalid input) the problems")
    code: str = Field(description="Stable error code (conduct_engine.error_codes)")
    errors: list[ErrorItemV1] = Field(description="Each problem with where it is (empty when nothing finer)")


class RuleNotFoundV1(ErrorBodyV1):
    """A 404 for an unknown rule id, with the closest ids."""

    suggestions: list[str]


_ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "A body that cannot be parsed at all",
    401: "No API key, or an unknown or revoked one",
    403: "The key's role may not do this",
    404: "No such object visible to this key",
    409: "The object is not in a state that allows this",
    413: "Body (or batch) larger than the server accepts",
    422: "Invalid input: each problem with its field path",
    429: "Rate limit exceeded for this key (Retry-After)",
    500: "Internal server error (logged; no details are shown)",
    503: "The store is unavailable; nothing was recorded (Retry-After)",
}


def error_responses(*statuses: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` documenting ``statuses`` with the error body (``s404="…"`` overrides a description)."""
    return {status: {"model": ErrorBodyV1, "description": descriptions.get(f"s{status}", _ERROR_DESCRIPTIONS[status])}
            for status in statuses}


#: The error answers every protected route may give (documented once, used by every router).
COMMON_RESPONSES = error_responses(401, 403, 404, 413, 422, 429, 500, 503)
