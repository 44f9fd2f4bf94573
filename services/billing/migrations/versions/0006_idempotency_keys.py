"""answers kept for retried API POSTs (Idempotency-Key) and page forms posted twice

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 14:00:00
"""

from portal_common.migrations import create_idempotency_table, drop_idempotency_table

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_idempotency_table()


def downgrade() -> None:
    drop_idempotency_table()
