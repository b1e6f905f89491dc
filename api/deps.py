"""Request dependencies: the process's Engine (reloaded when another worker reloaded the packs), limits."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from api.settings import Settings
from conduct_engine.engine import Engine
from conduct_engine.errors import PackError

log = logging.getLogger("conduct_check.api")
_RELOAD_CHECK_SECONDS = 2.0
_reload_lock = threading.Lock()


async def get_engine(request: Request) -> Engine:
    """The Engine in force; picks up a pack reload recorded in the store by any worker.

    Async, so a request does not hop to a worker thread for it; the store is asked at most every 2 s, by one
    request, in a worker thread (a reload compiles packs), while the others go on with the Engine in force.
    """
    state = request.app.state
    store = getattr(state, "store", None)
    if store is not None and time.monotonic() - state.generation_checked > _RELOAD_CHECK_SECONDS:
        state.generation_checked = time.monotonic()  # on the event loop: only this request goes to look
        await run_in_threadpool(_pick_up_reload, state)
    return state.engine


def _pick_up_reload(state: Any) -> None:
    with _reload_lock:
        generation, digest = state.store.packs.current()
        if generation > state.generation and digest != state.engine.packs.digest:
            try:
                state.engine = Engine.from_paths(state.rules_dir)
            except PackError as exc:  # keep serving the packs we have
                log.error("pack reload to generation %s failed: %s", generation, exc)
        state.generation = generation


async def get_settings(request: Request) -> Settings:
    """The app's request limits."""
    return request.app.state.settings
