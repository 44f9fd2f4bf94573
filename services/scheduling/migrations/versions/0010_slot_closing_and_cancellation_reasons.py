"""a slot staff close takes no more visits; a cancellation keeps who cancelled, when and why

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-09 10:00:00.000000
"""

from alembic import op
import sqlalchemy as sa

import portal_common.db


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable columns added at the end: plain ALTER TABLE on both PostgreSQL and SQLite.
    op.add_column("slot", sa.Column("closed_at", portal_common.db.UTCDateTime(), nullable=True))
    op.add_column("appointment", sa.Column("cancelled_at", portal_common.db.UTCDateTime(), nullable=True))
    op.add_column("appointment", sa.Column("cancelled_by", sa.String(length=20), nullable=True))
    op.add_column("appointment", sa.Column("cancellation_reason_code", sa.String(length=30), nullable=True))
    op.add_column("appointment", sa.Column("cancellation_reason_text", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("appointment") as batch:
        for column in ("cancellation_reason_text", "cancellation_reason_code", "cancelled_by", "cancelled_at"):
            batch.drop_column(column)
    with op.batch_alter_table("slot") as batch:
        batch.drop_column("closed_at")
