"""why the service closed a visit request (employee left, visit cancelled by the employer)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('visit_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_reason', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('visit_request', schema=None) as batch_op:
        batch_op.drop_column('closed_reason')
