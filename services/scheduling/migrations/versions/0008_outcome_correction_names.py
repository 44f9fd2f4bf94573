"""the name of whoever corrected an outcome, shown in the appointment's history

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 15:10:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column added at the end: plain ALTER TABLE on both PostgreSQL and SQLite.
    op.add_column('outcome_correction', sa.Column('corrected_by_name', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outcome_correction') as batch:
        batch.drop_column('corrected_by_name')
