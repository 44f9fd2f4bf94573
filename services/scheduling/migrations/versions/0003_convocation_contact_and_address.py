"""convocation contact and address, end of a SIR exposure on a post change

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 01:20:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('convocation_address',
    sa.Column('address_id', sa.String(length=36), nullable=False),
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('line1', sa.String(length=200), nullable=False),
    sa.Column('line2', sa.String(length=200), nullable=True),
    sa.Column('postal_code', sa.String(length=5), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('address_id', name=op.f('pk_convocation_address'))
    )
    with op.batch_alter_table('convocation_address', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_convocation_address_member_id'), ['member_id'], unique=False)

    with op.batch_alter_table('member_directory', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('convocation_contact', sa.String(length=200), nullable=True))

    with op.batch_alter_table('employee_directory', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sir_ended_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('employee_directory', schema=None) as batch_op:
        batch_op.drop_column('sir_ended_on')

    with op.batch_alter_table('member_directory', schema=None) as batch_op:
        batch_op.drop_column('convocation_contact')
        batch_op.drop_column('email')

    with op.batch_alter_table('convocation_address', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_convocation_address_member_id'))

    op.drop_table('convocation_address')
