"""a year's tariff carries a version (optimistic locking of its page form and of PUT with If-Match)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD COLUMN ... NOT NULL DEFAULT 1: existing tariffs start at version 1, the same on PostgreSQL and SQLite.
    op.add_column("tariff", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("tariff") as batch:
        batch.drop_column("version")
