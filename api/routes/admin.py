"""Administration (admin role): waivers, API keys, reference data, pack reload."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Principal, require
from api.errors import InputError, prefixed
from api.schemas import COMMON_RESPONSES
from conduct_engine.engine import Engine
from conduct_engine.errors import PackError, RecordError
from conduct_engine.records import parse_context

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
    role: Literal["submitter", "auditor", "admin"]


def _store(request: Request) -> Any:
    store = request.app.state.store
    if store is None:
        raise HTTPException(404, "This server has no store (started without one)")
    return store


@router.post("/waivers", status_code=201)
def create_waiver(body: WaiverV1, caller: Admin, request: Request) -> dict[str, Any]:
    """Grant a waiver (the rule id must exist)."""
    engine: Engine = request.app.state.engine
    if body.rule_id not in engine.packs.rules and not any(r.startswith(body.rule_id + "-") for r in engine.packs.rules):
        raise InputError([{"loc": "rule_id", "msg": f"unknown rule id {body.rule_id!r}", "type": "unknown_rule"}])
    if not body.record_id and not body.subject:
        raise InputError([{"loc": "record_id", "msg": "give a record_id or a subject", "type": "missing"}])
    return _store(request).waivers.add(created_by=caller.id, **body.model_dump()).to_dict()


@router.get("/waivers")
def list_waivers(caller: Reader, request: Request, include_revoked: bool = False) -> dict[str, Any]:
    """Waivers in force (and revoked ones on request)."""
    return {"waivers": [w.to_dict() for w in _store(request).waivers.all(include_revoked=include_revoked)]}


@router.delete("/waivers/{waiver_id}")
def revoke_waiver(waiver_id: str, caller: Admin, request: Request) -> dict[str, Any]:
    """Revoke a waiver: its findings are violations again from now on."""
    if not _store(request).waivers.revoke(waiver_id, caller.id):
        raise HTTPException(404, f"No active waiver {waiver_id!r}")
    return {"revoked": waiver_id}


@router.post("/keys", status_code=201)
def create_key(body: KeyRequestV1, caller: Admin, request: Request) -> dict[str, Any]:
    """Create an API key; the secret is shown once and only its hash is stored."""
    key_id, secret = _store(request).keys.create(body.name, body.role)
    return {"id": key_id, "name": body.name, "role": body.role, "secret": secret}


@router.get("/keys")
def list_keys(caller: Admin, request: Request) -> dict[str, Any]:
    """Every key (never a secret)."""
    return {"keys": [k.to_dict() for k in _store(request).keys.all()]}


@router.delete("/keys/{key_id}")
def revoke_key(key_id: str, caller: Admin, request: Request) -> dict[str, Any]:
    """Revoke a key."""
    if not _store(request).keys.revoke(key_id):
        raise HTTPException(404, f"No active key {key_id!r}")
    return {"revoked": key_id}


@router.put("/reference")
def load_reference(body: dict[str, Any], caller: Admin, request: Request) -> dict[str, Any]:
    """Replace the reference data in force (employees, parties, clients, applications, …)."""
    try:
        ctx = parse_context(body)
    except RecordError as exc:
        raise InputError(prefixed(exc.errors, "reference")) from None
    seq = _store(request).reference.load(ctx.model_dump(mode="json", exclude_none=True, by_alias=True), caller.id)
    return {"loaded": seq, "counts": {k: len(v) for k, v in body.items() if isinstance(v, list)}}


@router.post("/packs/reload", responses={422: {"description": "The new packs are broken; the old ones keep serving"}})
def reload_packs(caller: Admin, request: Request) -> Any:
    """Load the rule packs again and swap them in atomically; a broken pack is rejected with its errors."""
    state = request.app.state
    try:
        engine = Engine.from_paths(state.rules_dir)
    except PackError as exc:
        return JSONResponse(status_code=422, content={
            "detail": "the packs did not load; the packs in force are unchanged",
            "errors": [str(i) for i in exc.issues]})
    state.engine = engine  # one reference swap: requests in flight keep the engine they started with
    if state.store is not None:
        state.generation = state.store.packs.bump(engine.packs.digest, caller.id)
    return {"pack": engine.pack_ref.model_dump(), "rules": len(engine.packs.rules)}
