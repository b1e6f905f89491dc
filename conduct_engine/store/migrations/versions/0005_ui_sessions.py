"""Web-console sessions (SPEC §11): one row per signed-in browser, shared by every API worker process."""

from __future__ import annotations

from alembic import op

from conduct_engine.store import schema

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema.metadata.tables["ui_sessions"].create(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    schema.metadata.tables["ui_sessions"].drop(op.get_bind(), checkfirst=True)
