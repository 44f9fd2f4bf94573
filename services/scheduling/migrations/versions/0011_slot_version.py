"""a slot carries a version: staff move it (every visit it holds re-convoked) from the version they read

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 21:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A column with a server default added at the end: plain ALTER TABLE on both PostgreSQL and SQLite.
    op.add_column("slot", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("slot") as batch:
        batch.drop_column("version")
