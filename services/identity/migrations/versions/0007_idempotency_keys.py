"""answers kept for page forms posted twice (one-time form tokens)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 14:00:00
"""

from portal_common.migrations import create_idempotency_table, drop_idempotency_table

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_idempotency_table()


def downgrade() -> None:
    drop_idempotency_table()
