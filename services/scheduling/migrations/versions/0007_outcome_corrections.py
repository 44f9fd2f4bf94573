"""the audit trail of corrected appointment outcomes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 11:40:00.000000
"""
from alembic import op
import sqlalchemy as sa
import portal_common.db


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('outcome_correction',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('appointment_id', sa.String(length=36), nullable=False),
    sa.Column('previous_status', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('corrected_by', sa.String(length=200), nullable=False),
    sa.Column('corrected_at', portal_common.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_correction'))
    )
    op.create_index(op.f('ix_outcome_correction_appointment_id'), 'outcome_correction', ['appointment_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_outcome_correction_appointment_id'), table_name='outcome_correction')
    op.drop_table('outcome_correction')
