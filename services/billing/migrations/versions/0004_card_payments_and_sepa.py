"""card payments and sepa direct debit

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 01:15:00
"""
from alembic import op
import sqlalchemy as sa
import portal_common.db
from portal_common.migrations import create_mail_table, drop_mail_table


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_mail_table()
    with op.batch_alter_table('billing_customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mandate_signed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('mandate_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('situation_kind', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('situation_effective_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('situation_version', sa.Integer(), nullable=True))

    op.create_table('card_payment',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('invoice_id', sa.String(length=36), nullable=False),
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('requested_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', portal_common.db.UTCDateTime(), nullable=False),
    sa.Column('notified_at', portal_common.db.UTCDateTime(), nullable=True),
    sa.Column('transaction_id', sa.String(length=64), nullable=True),
    sa.Column('payment_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_card_payment_invoice_id_invoice')),
    sa.ForeignKeyConstraint(['member_id'], ['billing_customer.member_id'], name=op.f('fk_card_payment_member_id_billing_customer')),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_card_payment_payment_id_payment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_payment')),
    sa.UniqueConstraint('reference', name=op.f('uq_card_payment_reference')),
    sa.UniqueConstraint('transaction_id', name=op.f('uq_card_payment_transaction_id'))
    )
    with op.batch_alter_table('card_payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_payment_invoice_id'), ['invoice_id'], unique=False)

    op.create_table('sepa_batch',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('message_id', sa.String(length=35), nullable=False),
    sa.Column('collection_date', sa.Date(), nullable=False),
    sa.Column('transaction_count', sa.Integer(), nullable=False),
    sa.Column('control_sum', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', portal_common.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sepa_batch')),
    sa.UniqueConstraint('message_id', name=op.f('uq_sepa_batch_message_id'))
    )

    op.create_table('sepa_debit',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('instalment_id', sa.String(length=36), nullable=False),
    sa.Column('invoice_id', sa.String(length=36), nullable=False),
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('mandate_reference', sa.String(length=35), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('collection_date', sa.Date(), nullable=False),
    sa.Column('sequence_type', sa.String(length=4), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('prenotified_on', sa.Date(), nullable=False),
    sa.Column('batch_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', portal_common.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['sepa_batch.id'], name=op.f('fk_sepa_debit_batch_id_sepa_batch')),
    sa.ForeignKeyConstraint(['instalment_id'], ['instalment.id'], name=op.f('fk_sepa_debit_instalment_id_instalment')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_sepa_debit_invoice_id_invoice')),
    sa.ForeignKeyConstraint(['member_id'], ['billing_customer.member_id'], name=op.f('fk_sepa_debit_member_id_billing_customer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sepa_debit')),
    sa.UniqueConstraint('instalment_id', name=op.f('uq_sepa_debit_instalment_id'))
    )
    with op.batch_alter_table('sepa_debit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sepa_debit_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sepa_debit_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index('ix_sepa_debit_status_collection', ['status', 'collection_date'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sepa_debit', schema=None) as batch_op:
        batch_op.drop_index('ix_sepa_debit_status_collection')
        batch_op.drop_index(batch_op.f('ix_sepa_debit_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_sepa_debit_batch_id'))
    op.drop_table('sepa_debit')
    op.drop_table('sepa_batch')
    with op.batch_alter_table('card_payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_payment_invoice_id'))
    op.drop_table('card_payment')
    with op.batch_alter_table('billing_customer', schema=None) as batch_op:
        batch_op.drop_column('situation_version')
        batch_op.drop_column('situation_effective_on')
        batch_op.drop_column('situation_kind')
        batch_op.drop_column('mandate_version')
        batch_op.drop_column('mandate_signed_on')
    drop_mail_table()
