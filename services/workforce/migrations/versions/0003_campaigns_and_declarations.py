"""campaigns and headcount declarations

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 01:15:00
"""
from alembic import op
import sqlalchemy as sa
import portal_common.db
from portal_common.migrations import create_mail_table, drop_mail_table


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

COUNTS = ('si', 'sia', 'sir', 'multi_si', 'multi_sia', 'multi_sir')


def upgrade() -> None:
    create_mail_table()
    op.create_table('declaration_campaign',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('opens_on', sa.Date(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('opened_by', sa.String(length=200), nullable=False),
    sa.Column('opened_at', portal_common.db.UTCDateTime(), nullable=False),
    sa.Column('closed_by', sa.String(length=200), nullable=True),
    sa.Column('closed_at', portal_common.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_declaration_campaign')),
    sa.UniqueConstraint('year', name=op.f('uq_declaration_campaign_year'))
    )
    op.create_table('headcount_declaration',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('campaign_id', sa.String(length=36), nullable=False),
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS],
    *[sa.Column(f'expected_{name}', sa.Integer(), nullable=False) for name in COUNTS],
    sa.Column('justification_si', sa.String(length=500), nullable=True),
    sa.Column('justification_sia', sa.String(length=500), nullable=True),
    sa.Column('justification_sir', sa.String(length=500), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('updated_at', portal_common.db.UTCDateTime(), nullable=False),
    sa.Column('confirmed_by', sa.String(length=200), nullable=True),
    sa.Column('confirmed_at', portal_common.db.UTCDateTime(), nullable=True),
    sa.Column('invoice_id', sa.String(length=36), nullable=True),
    sa.Column('invoice_number', sa.String(length=20), nullable=True),
    sa.Column('invoiced_on', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_headcount_declaration')),
    sa.UniqueConstraint('campaign_id', 'member_id', name=op.f('uq_headcount_declaration_campaign_id'))
    )
    with op.batch_alter_table('headcount_declaration', schema=None) as batch_op:
        batch_op.create_index('ix_headcount_declaration_member', ['member_id', 'year'], unique=False)

    with op.batch_alter_table('member_directory', schema=None) as batch_op:
        batch_op.add_column(sa.Column('declaration_email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('ceased_kind', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('ceased_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('situation_version', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('member_directory', schema=None) as batch_op:
        batch_op.drop_column('situation_version')
        batch_op.drop_column('ceased_on')
        batch_op.drop_column('ceased_kind')
        batch_op.drop_column('declaration_email')

    with op.batch_alter_table('headcount_declaration', schema=None) as batch_op:
        batch_op.drop_index('ix_headcount_declaration_member')

    op.drop_table('headcount_declaration')
    op.drop_table('declaration_campaign')
    drop_mail_table()
