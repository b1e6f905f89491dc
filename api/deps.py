"""Typed request dependencies: the routes' one way to the app's Engine, store, service, limits and settings.

Only this module and ``api.app`` touch ``app.state``: the app builds an :class:`AppState` once and the aliases
below (``EngineDep``, ``StoreDep`` …) hand its parts to a route. Every dependency is async, so resolving one
does not send the request to a worker thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from api.limits import RateLimiter
from conduct_engine.engine import Engine
from conduct_engine.errors import PackError
from conduct_engine.service import CheckService
from conduct_engine.settings import Settings
from conduct_engine.store import SessionStore, Store

log = logging.getLogger("conduct_check.api")
RELOAD_CHECK_SECONDS = 2.0


class EngineHolder:
    """The process's Engine in force: swapped by a reload here, replaced when another worker reloaded the packs.

    A reload is recorded in the store as a new pack generation; every worker compares it with its own at most
    every :data:`RELOAD_CHECK_SECONDS`. A broken pack never replaces the Engine in force.
    """

    def __init__(self, engine: Engine, rules_dir: Path, store: Store | None):
        self.rules_dir = rules_dir
        self._engine = engine
        self._store = store
        self._generation = store.packs.current().generation if store else 0
        self._checked = time.monotonic()
        self._lock = threading.Lock()  # one compile at a time, whether a reload here or a pick-up

    def current(self) -> Engine:
        """The Engine in force (requests in flight keep the one they started with)."""
        return self._engine

    def reload(self, by: str | None) -> Engine:
        """Load the packs again and swap them in; records the new generation for the other workers.

        Raises PackError (the Engine in force unchanged) when the packs do not load.
        """
        with self._lock:
            engine = Engine.from_paths(self.rules_dir)
            self._engine = engine  # one reference swap
            if self._store is not None:
                self._generation = self._store.packs.bump(engine.packs.digest, by)
        return engine

    def due(self) -> bool:
        """Whether it is time to ask the store about reloads elsewhere; claims the check when it is.

        Called on the event loop, so only the request that claims it goes to look.
        """
        if self._store is None or time.monotonic() - self._checked <= RELOAD_CHECK_SECONDS:
            return False
        self._checked = time.monotonic()
        return True

    def pick_up(self) -> None:
        """Load the packs again if another worker recorded a reload to packs other than ours (blocking)."""
        if self._store is None:
            return
        with self._lock:
            generation, digest = self._store.packs.current()
            if generation > self._generation and digest != self._engine.packs.digest:
                try:
                    self._engine = Engine.from_paths(self.rules_dir)
                except PackError as exc:  # keep serving the packs we have
                    log.error("pack reload to generation %s failed: %s", generation, exc)
            self._generation = generation


@dataclass(frozen=True)
class AppState:
    """What the app holds for its requests; stored once, as ``app.state.conduct``."""

    settings: Settings
    engines: EngineHolder
    store: Store | None
    service: CheckService
    rate_limiter: RateLimiter
    #: the web console's sessions: the store's, or this process's when there is no store
    sessions: SessionStore


async def _state(request: Request) -> AppState:
    state: AppState = request.app.state.conduct
    return state


StateDep = Annotated[AppState, Depends(_state)]


async def get_settings(state: StateDep) -> Settings:
    """The settings the app was built with."""
    return state.settings


async def get_engines(state: StateDep) -> EngineHolder:
    """The holder of the Engine in force (for reloading it)."""
    return state.engines


async def _engine_in_force(engines: EngineHolder) -> Engine:
    """The Engine in force, after picking up a pack reload recorded in the store by any worker.

    The store is asked at most every 2 s, by one request, in a worker thread (a reload compiles packs),
    while the others go on with the Engine in force.
    """
    if engines.due():
        await run_in_threadpool(engines.pick_up)
    return engines.current()


async def get_engine(state: StateDep) -> Engine:
    """The Engine in force, after picking up a pack reload recorded in the store by any worker."""
    return await _engine_in_force(state.engines)


async def get_optional_store(state: StateDep) -> Store | None:
    """The store, or None when the app was started without one."""
    return state.store


async def get_store(state: StateDep) -> Store:
    """The store; 404 when the app was started without one (nothing is remembered then)."""
    if state.store is None:
        raise HTTPException(404, "This server has no store (started without one): no decision log, waivers or keys")
    return state.store


async def get_service(state: StateDep) -> CheckService:
    """The check service around the Engine in force (a pack reload elsewhere picked up first) and the store."""
    return await service_in_force(state)


async def service_in_force(state: AppState) -> CheckService:
    """``get_service`` for code that holds the state itself (``api.fast_check``)."""
    await _engine_in_force(state.engines)
    return state.service


def state_of(scope: MutableMapping[str, Any]) -> AppState:
    """The app's state from an ASGI scope (for a middleware, which has no Request)."""
    state: AppState = scope["app"].state.conduct
    return state


async def get_rate_limiter(state: StateDep) -> RateLimiter:
    """The per-key request budget of this worker."""
    return state.rate_limiter


async def get_sessions(state: StateDep) -> SessionStore:
    """The web console's session store."""
    return state.sessions


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineHolderDep = Annotated[EngineHolder, Depends(get_engines)]
EngineDep = Annotated[Engine, Depends(get_engine)]
OptionalStoreDep = Annotated[Store | None, Depends(get_optional_store)]
StoreDep = Annotated[Store, Depends(get_store)]
ServiceDep = Annotated[CheckService, Depends(get_service)]
RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]
SessionsDep = Annotated[SessionStore, Depends(get_sessions)]
