"""Alembic environment: runs the migrations on the connection the store hands over."""

from __future__ import annotations

from alembic import context

from conduct_engine.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - always called through Store.migrate
    raise RuntimeError("run migrations through conduct_engine.store.Store.migrate()")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
