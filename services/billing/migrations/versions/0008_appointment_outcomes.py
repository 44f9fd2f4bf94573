"""the latest appointment outcome billing applied, so a corrected absence cancels or bills the no-show fee once

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 15:30:00
"""

import sqlalchemy as sa
from alembic import op

import portal_common.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain table: the same DDL on PostgreSQL and SQLite. Fees billed before it have no row: the first
    # correction of such an appointment finds the fee by its source key and is applied (any version is newer).
    op.create_table(
        "appointment_outcome",
        sa.Column("appointment_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("applied_at", portal_common.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("appointment_id", name=op.f("pk_appointment_outcome")),
    )


def downgrade() -> None:
    op.drop_table("appointment_outcome")
