"""Review cases (SPEC §9): the cases, their findings and comments; keys may name their employee; the decision
log can hold case events (``event``; NULL for a decision, so existing entries keep their hashes).

``0001`` creates its tables from the live schema, so on a fresh database they already have this revision's
columns: each column is added only where it is missing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from conduct_engine.store import schema

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TABLES = ["cases", "case_findings", "case_comments"]
_COLUMNS = [("api_keys", "employee_id", 200), ("decision_log", "event", 20)]


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def upgrade() -> None:
    for table, column, length in _COLUMNS:
        if column not in _columns(table):
            with op.batch_alter_table(table) as batch:
                batch.add_column(sa.Column(column, sa.String(length), nullable=True))
    bind = op.get_bind()
    for name in _TABLES:
        schema.metadata.tables[name].create(bind, checkfirst=True)


def downgrade() -> None:
    bind = op.get_bind()
    for name in reversed(_TABLES):
        schema.metadata.tables[name].drop(bind, checkfirst=True)
    for table, column, _ in _COLUMNS:
        if column in _columns(table):
            with op.batch_alter_table(table) as batch:
                batch.drop_column(column)
