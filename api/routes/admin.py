"""Administration (admin role): waivers, API keys, reference data, pack reload."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Principal, require
from api.deps import EngineDep, EngineHolderDep, StoreDep
from api.errors import InputError, error_response, prefixed
from api.schemas import COMMON_RESPONSES, error_responses
from conduct_engine import error_codes
from conduct_engine.dates import today
from conduct_engine.errors import PackError, RecordError
from conduct_engine.records import parse_context
from conduct_engine.waivers import waiver_problems

router = APIRouter(prefix="/v1", tags=["admin"], responses=COMMON_RESPONSES)
Admin = Annotated[Principal, Depends(require("admin"))]
Reader = Annotated[Principal, Depends(require("auditor"))]


class WaiverV1(BaseModel):
    """An approved exception: a rule, for one record or one subject (employee / borrower), until it expires."""

    model_config = ConfigDict(extra="forbid")
    rule_id: str = Field(min_length=1, max_length=120)
    record_id: str | None = Field(default=None, max_length=200)
    subject: str | None = Field(default=None, max_length=200)
    reason: str = Field(min_length=1, max_length=2000)
    approver: str = Field(min_length=1, max_length=200)
    expires_on: dt.date


class KeyRequestV1(BaseModel):
    """A new API key."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    role: Literal["submitter", "reviewer", "auditor", "admin"]
    employee_id: str | None = Field(default=None, min_length=1, max_length=200,
                                    description="The employee the key belongs to (four eyes on review cases)")


@router.post("/waivers", status_code=201)
def create_waiver(body: WaiverV1, caller: Admin, engine: EngineDep, store: StoreDep) -> dict[str, Any]:
    """Grant a waiver (the rule id must exist)."""
    problems = waiver_problems(body.rule_id, body.expires_on, engine.packs.rules, today())
    if not body.record_id and not body.subject:
        problems.append({"loc": "record_id", "msg": "give a record_id or a subject", "type": error_codes.MISSING})
    if problems:
        raise InputError(problems)
    return store.waivers.add(created_by=caller.id, **body.model_dump()).to_dict()


@router.get("/waivers")
def list_waivers(caller: Reader, store: StoreDep, include_revoked: bool = False) -> dict[str, Any]:
    """Waivers in force (and revoked ones on request)."""
    return {"waivers": [w.to_dict() for w in store.waivers.all(include_revoked=include_revoked)]}


@router.delete("/waivers/{waiver_id}")
def revoke_waiver(waiver_id: str, caller: Admin, store: StoreDep) -> dict[str, Any]:
    """Revoke a waiver: its findings are violations again from now on."""
    if not store.waivers.revoke(waiver_id, caller.id):
        raise HTTPException(404, f"No active waiver {waiver_id!r}")
    return {"revoked": waiver_id}


@router.post("/keys", status_code=201)
def create_key(body: KeyRequestV1, caller: Admin, store: StoreDep) -> dict[str, Any]:
    """Create an API key; the secret is shown once and only its hash is stored."""
    key_id, secret = store.keys.create(body.name, body.role, body.employee_id)
    return {"id": key_id, "name": body.name, "role": body.role, "employee_id": body.employee_id, "secret": secret}


@router.get("/keys")
def list_keys(caller: Admin, store: StoreDep) -> dict[str, Any]:
    """Every key (never a secret)."""
    return {"keys": [k.to_dict() for k in store.keys.all()]}


@router.delete("/keys/{key_id}")
def revoke_key(key_id: str, caller: Admin, store: StoreDep) -> dict[str, Any]:
    """Revoke a key."""
    if not store.keys.revoke(key_id):
        raise HTTPException(404, f"No active key {key_id!r}")
    return {"revoked": key_id}


@router.put("/reference")
def load_reference(body: dict[str, Any], caller: Admin, store: StoreDep,
                   allow_empty: Annotated[bool, Query(description="Allow a body with no entries at all: clear "
                                                      "the reference data on purpose")] = False) -> dict[str, Any]:
    """Replace the reference data in force (employees, parties, clients, applications, …).

    A body with no entries would replace everything with nothing: 422, unless ``?allow_empty=true``.
    """
    try:
        ctx = parse_context(body)
    except RecordError as exc:
        raise InputError(prefixed(exc.errors, "reference")) from None
    data = ctx.model_dump(mode="json", exclude_none=True, by_alias=True)
    if not allow_empty and not any(v for v in data.values() if isinstance(v, (list, dict))):
        raise InputError([{"loc": "body", "msg": "the reference data has no entries and would replace everything "
                           "in force with nothing; send ?allow_empty=true to clear it on purpose",
                           "type": error_codes.EMPTY_REFERENCE}])
    seq = store.reference.load(data, caller.id)
    return {"loaded": seq, "counts": {k: len(v) for k, v in body.items() if isinstance(v, list)}}


@router.post("/packs/reload", responses=error_responses(422, s422="The new packs are broken; the old ones keep serving"))
def reload_packs(caller: Admin, engines: EngineHolderDep) -> Any:
    """Load the rule packs again and swap them in atomically; a broken pack is rejected with its errors."""
    try:
        engine = engines.reload(caller.id)
    except PackError as exc:
        return error_response(422, exc.code, "the packs did not load; the packs in force are unchanged", exc.items())
    return {"pack": engine.pack_ref.model_dump(), "rules": len(engine.packs.rules)}
