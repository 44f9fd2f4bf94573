"""a scheduling document names its appointment; cancelled appointments, so their convocation reads « Annulée »

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 14:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column and a new table: plain ALTER TABLE ADD COLUMN, the same on PostgreSQL and SQLite.
    op.add_column('document', sa.Column('appointment_id', sa.String(length=36), nullable=True))
    op.create_index(op.f('ix_document_appointment_id'), 'document', ['appointment_id'], unique=False)
    op.create_table(
        'appointment_cancellation',
        sa.Column('appointment_id', sa.String(length=36), nullable=False),
        sa.Column('member_id', sa.String(length=36), nullable=False),
        sa.Column('cancelled_on', sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint('appointment_id', name=op.f('pk_appointment_cancellation')),
    )
    op.create_index(
        op.f('ix_appointment_cancellation_member_id'), 'appointment_cancellation', ['member_id'], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_appointment_cancellation_member_id'), table_name='appointment_cancellation')
    op.drop_table('appointment_cancellation')
    with op.batch_alter_table('document') as batch:
        batch.drop_index('ix_document_appointment_id')
        batch.drop_column('appointment_id')
