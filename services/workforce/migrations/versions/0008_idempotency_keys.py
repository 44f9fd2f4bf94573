"""answers kept for retried API POSTs (Idempotency-Key)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 11:30:00
"""
from portal_common.migrations import create_idempotency_table, drop_idempotency_table


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_idempotency_table()


def downgrade() -> None:
    drop_idempotency_table()
