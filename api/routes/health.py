"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import get_engine
from api.schemas import PackV1, ReadyV1
from conduct_engine.engine import Engine
from conduct_engine.rete import engine_version

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", response_model=ReadyV1)
def readyz(engine: Annotated[Engine, Depends(get_engine)]) -> ReadyV1:
    """The engine is loaded: which pack, how many rules, which durable-rules build."""
    packs = engine.packs
    return ReadyV1(status="ready", pack=PackV1(name=packs.name, version=packs.version, digest=packs.digest),
                   rules=len(packs.rules), standards=len(packs.standards), durable_rules=engine_version())
