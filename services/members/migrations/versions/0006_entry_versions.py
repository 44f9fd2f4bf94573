"""addresses, contacts, centres and health teams carry a version (optimistic locking of their edit forms)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("address", "contact", "centre", "health_team")


def upgrade() -> None:
    # ADD COLUMN ... NOT NULL DEFAULT 1: existing rows start at version 1, the same on PostgreSQL and SQLite.
    for table in TABLES:
        op.add_column(table, sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
