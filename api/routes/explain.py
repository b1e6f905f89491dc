"""Explaining a decision: why each rule fired on a record, did not, or did not apply (SPEC §10)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from api.auth import Principal, require
from api.deps import EngineDep, OptionalStoreDep
from api.errors import InputError, prefixed
from api.schemas import CHECK_EXAMPLE, COMMON_RESPONSES, AsOf
from conduct_engine.errors import ConductError, RecordError
from conduct_engine.explain import Explainer, Explanation
from conduct_engine.explain.stored import explain_with_store

router = APIRouter(prefix="/v1", tags=["explain"], responses=COMMON_RESPONSES)
Caller = Annotated[Principal, Depends(require("submitter", "auditor", "reviewer"))]
EXPLAIN_EXAMPLE: dict[str, Any] = {**CHECK_EXAMPLE, "rule_id": "BRB-CASH-EQUIV"}


class ExplainRequestV1(BaseModel):
    """Body of ``POST /v1/explain``: a check request, and optionally the one rule to explain."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXPLAIN_EXAMPLE]})

    record: dict[str, Any] = Field(description="One record (SPEC §3).")
    context: dict[str, Any] | None = Field(default=None, description="Reference data for joins (SPEC §3.3).")
    as_of: AsOf = Field(default=None, description="The day to explain as of (YYYY-MM-DD); default today.")
    rule_id: str | None = Field(default=None, description="Explain only this rule (default: every rule of the kind).")
    dry_run: StrictBool = Field(default=True, description="Accepted for symmetry with /v1/check: an explanation "
                                "never stores anything.")
    lenient: StrictBool = Field(default=False, description="Drop unknown fields instead of rejecting them.")


ExplainBody = Annotated[ExplainRequestV1, Body(openapi_examples={"gift": {"summary": "Why a shopping card is "
                                                                          "blocked", "value": EXPLAIN_EXAMPLE}})]


@router.post("/explain", response_model=Explanation)
def explain(req: ExplainBody, caller: Caller, engine: EngineDep, store: OptionalStoreDep) -> Explanation:
    """Explain one record against the stored history and reference data; stores and logs nothing."""
    try:
        return explain_with_store(Explainer(engine), store, req.record, context=req.context, as_of=req.as_of,
                                  rule_id=req.rule_id, lenient=req.lenient)
    except RecordError as exc:
        raise InputError(prefixed(exc.errors, "record")) from None
    except ConductError as exc:
        raise InputError(exc.items()) from None
