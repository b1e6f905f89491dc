"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import EngineDep
from api.schemas import PackV1, ReadyV1, error_responses
from conduct_engine.rete import engine_version

router = APIRouter(tags=["health"], responses=error_responses(500, 503))


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", response_model=ReadyV1)
def readyz(engine: EngineDep) -> ReadyV1:
    """The engine is loaded: which pack, how many rules, which durable-rules build."""
    packs = engine.packs
    return ReadyV1(status="ready", pack=PackV1(name=packs.name, version=packs.version, digest=packs.digest),
                   rules=len(packs.rules), standards=len(packs.standards), durable_rules=engine_version())
