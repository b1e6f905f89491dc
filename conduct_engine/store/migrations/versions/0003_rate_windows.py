"""Rate windows: request counts per fixed window, shared by API worker processes (per-key and per-address limits).

Revision 0003 follows 0001 here; the integrator re-chains it after 0002 (review cases) when the branches merge.
"""

from __future__ import annotations

from alembic import op

from conduct_engine.store import schema

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema.rate_windows.create(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    schema.rate_windows.drop(op.get_bind(), checkfirst=True)
