"""Application factory: one Engine per process, the store, keys and roles, limits, error handlers, routes."""

from __future__ import annotations

import os
import time
from pathlib import Path

from fastapi import FastAPI

from api import errors
from api.auth import RateLimiter
from api.limits import BodyLimitMiddleware
from api.routes import admin, catalog, check, decisions, health
from api.routes import scans as scan_routes
from api.settings import Settings
from conduct_engine.engine import Engine, default_rules_dir
from conduct_engine.service import CheckService
from conduct_engine.store import Store


def create_app(engine: Engine | None = None, *, store: Store | None = None, auth: bool = False,
               rules_dir: str | Path | None = None, max_body_bytes: int | None = None,
               max_batch: int | None = None, rate_limit: int | None = None) -> FastAPI:
    """Build the API around ``engine`` (loaded from ``rules_dir`` when None) and an optional ``store``.

    Without a store nothing is remembered (no history, no decision log) and auth must be off.
    Limits default to ``$CONDUCT_MAX_BODY_BYTES`` / ``$CONDUCT_MAX_BATCH`` / ``$CONDUCT_RATE_LIMIT``,
    else 2,000,000 bytes / 500 records / 600 requests per minute per key.
    """
    if auth and store is None:
        raise ValueError("auth needs a store (API keys live there)")
    settings = Settings.resolve(max_body_bytes, max_batch)
    app = FastAPI(title="conduct-check", version="1", summary="Check bank staff activity and loan "
                  "due-diligence files against the code of conduct.")
    app.state.rules_dir = Path(rules_dir) if rules_dir else default_rules_dir()
    app.state.engine = engine if engine is not None else Engine.from_paths(app.state.rules_dir)
    app.state.store = store
    app.state.auth = auth
    app.state.settings = settings
    app.state.rate_limiter = RateLimiter(rate_limit or int(os.environ.get("CONDUCT_RATE_LIMIT", "600")))
    app.state.service = CheckService(lambda: app.state.engine, store)
    app.state.generation = store.packs.current().generation if store else 0
    app.state.generation_checked = time.monotonic()
    errors.install(app)
    for module in (check, decisions, catalog, admin, health):
        app.include_router(module.router)
    app.include_router(scan_routes.router)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    return app


def app_factory() -> FastAPI:
    """Zero-argument factory for uvicorn workers: the store from the environment, auth unless
    ``$CONDUCT_AUTH`` is ``off`` (one Engine and one connection pool per worker process)."""
    auth = os.environ.get("CONDUCT_AUTH", "on").lower() not in ("off", "0", "false", "no")
    return create_app(store=Store.open(), auth=auth)
