"""Request dependencies: the process's Engine (reloaded when another worker reloaded the packs), limits."""

from __future__ import annotations

import logging
import threading
import time

from fastapi import Request

from api.settings import Settings
from conduct_engine.engine import Engine
from conduct_engine.errors import PackError

log = logging.getLogger("conduct_check.api")
_RELOAD_CHECK_SECONDS = 2.0
_reload_lock = threading.Lock()


def get_engine(request: Request) -> Engine:
    """The Engine in force; picks up a pack reload recorded in the store by any worker."""
    state = request.app.state
    store = getattr(state, "store", None)
    if store is not None and time.monotonic() - state.generation_checked > _RELOAD_CHECK_SECONDS:
        with _reload_lock:
            state.generation_checked = time.monotonic()
            generation, digest = store.pack_generation()
            if generation > state.generation and digest != state.engine.packs.digest:
                try:
                    state.engine = Engine.from_paths(state.rules_dir)
                except PackError as exc:  # keep serving the packs we have
                    log.error("pack reload to generation %s failed: %s", generation, exc)
            state.generation = generation
    return state.engine


def get_settings(request: Request) -> Settings:
    """The app's request limits."""
    return request.app.state.settings
