"""NIR reveals by staff (audit trail and daily cap)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 11:10:00
"""
from alembic import op
import sqlalchemy as sa
import portal_common.db


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('nir_reveal',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('employee_id', sa.String(length=36), nullable=False),
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('revealed_by', sa.String(length=200), nullable=False),
    sa.Column('revealed_by_name', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('revealed_at', portal_common.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nir_reveal'))
    )
    with op.batch_alter_table('nir_reveal', schema=None) as batch_op:
        batch_op.create_index('ix_nir_reveal_user_day', ['revealed_by', 'revealed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('nir_reveal', schema=None) as batch_op:
        batch_op.drop_index('ix_nir_reveal_user_day')
    op.drop_table('nir_reveal')
