"""credit notes, estimated invoices, no-show and late-hire invoices

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 01:15:00
"""
from alembic import op
import sqlalchemy as sa
import portal_common.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('received_declaration',
    sa.Column('declaration_id', sa.String(length=36), nullable=False),
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('confirmed_on', sa.Date(), nullable=False),
    sa.Column('received_at', portal_common.db.UTCDateTime(), nullable=False),
    sa.Column('invoice_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_received_declaration_invoice_id_invoice')),
    sa.PrimaryKeyConstraint('declaration_id', name=op.f('pk_received_declaration'))
    )
    with op.batch_alter_table('received_declaration', schema=None) as batch_op:
        batch_op.create_index('ix_received_declaration_member_year', ['member_id', 'year'], unique=False)
        batch_op.create_index('ix_received_declaration_year', ['year'], unique=False)
    # Declarations invoiced before this revision count as received (on their invoice's date).
    op.execute("INSERT INTO received_declaration (declaration_id, member_id, year, version, confirmed_on, "
               "received_at, invoice_id) SELECT declaration_id, member_id, CAST(period AS INTEGER), 1, issued_on, "
               "created_at, id FROM invoice WHERE declaration_id IS NOT NULL AND kind = 'cotisation'")

    op.create_table('pending_hire',
    sa.Column('employee_id', sa.String(length=36), nullable=False),
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('hire_date', sa.Date(), nullable=False),
    sa.Column('category', sa.String(length=3), nullable=False),
    sa.Column('received_at', portal_common.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('employee_id', name=op.f('pk_pending_hire'))
    )
    with op.batch_alter_table('pending_hire', schema=None) as batch_op:
        batch_op.create_index('ix_pending_hire_member_year', ['member_id', 'year'], unique=False)

    op.create_table('closed_campaign',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('campaign_id', sa.String(length=36), nullable=False),
    sa.Column('closed_at', portal_common.db.UTCDateTime(), nullable=False),
    sa.Column('undeclared_count', sa.Integer(), nullable=False),
    sa.Column('received_at', portal_common.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_closed_campaign'))
    )


def downgrade() -> None:
    op.drop_table('closed_campaign')
    with op.batch_alter_table('pending_hire', schema=None) as batch_op:
        batch_op.drop_index('ix_pending_hire_member_year')

    op.drop_table('pending_hire')
    with op.batch_alter_table('received_declaration', schema=None) as batch_op:
        batch_op.drop_index('ix_received_declaration_year')
        batch_op.drop_index('ix_received_declaration_member_year')

    op.drop_table('received_declaration')
