"""convocations replaced when scheduling moves a visit, so that they read « Remplacée »

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 15:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain new table: the same DDL on PostgreSQL and SQLite.
    op.create_table(
        "convocation_replacement",
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("replaced_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_convocation_replacement")),
    )
    op.create_index(
        op.f("ix_convocation_replacement_member_id"), "convocation_replacement", ["member_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_convocation_replacement_member_id"), table_name="convocation_replacement")
    op.drop_table("convocation_replacement")
