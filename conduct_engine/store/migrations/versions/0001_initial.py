"""Initial schema: records, reference data, waivers, API keys, decision log, pack generations."""

from __future__ import annotations

from alembic import op

from conduct_engine.store import schema

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TABLES = ["records", "reference_data", "waivers", "api_keys", "decision_log", "pack_generations"]


def upgrade() -> None:
    bind = op.get_bind()
    for name in _TABLES:
        schema.metadata.tables[name].create(bind, checkfirst=True)


def downgrade() -> None:
    bind = op.get_bind()
    for name in reversed(_TABLES):
        schema.metadata.tables[name].drop(bind, checkfirst=True)
