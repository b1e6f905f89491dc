"""Application factory: one Engine per process, size limits, error handlers and the v1 routes."""

from __future__ import annotations

from fastapi import FastAPI

from api import errors
from api.limits import BodyLimitMiddleware
from api.routes import catalog, check, health
from api.settings import Settings
from conduct_engine.engine import Engine


def create_app(engine: Engine | None = None, *, max_body_bytes: int | None = None,
               max_batch: int | None = None) -> FastAPI:
    """Build the API around ``engine`` (loaded from the rules directory when None).

    Limits default to ``$CONDUCT_MAX_BODY_BYTES`` / ``$CONDUCT_MAX_BATCH``,
    else 2,000,000 bytes / 500 records.
    """
    settings = Settings.resolve(max_body_bytes, max_batch)
    app = FastAPI(title="conduct-check", version="1", summary="Check bank staff activity and loan "
                  "due-diligence files against the code of conduct.")
    app.state.engine = engine if engine is not None else Engine.from_paths()
    app.state.settings = settings
    errors.install(app)
    app.include_router(check.router)
    app.include_router(catalog.router)
    app.include_router(health.router)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    return app


def app_factory() -> FastAPI:
    """Zero-argument factory for ``uvicorn --factory api.app:app_factory`` (one Engine per worker)."""
    return create_app()
