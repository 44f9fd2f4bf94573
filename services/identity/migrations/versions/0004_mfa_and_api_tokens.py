"""mfa, recovery codes and api tokens

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 01:15:00
"""
from alembic import op
import sqlalchemy as sa
import portal_common.db


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mfa_totp',
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', portal_common.db.UTCDateTime(), nullable=False),
    sa.Column('sealed_secret', sa.String(length=200), nullable=True),
    sa.Column('confirmed_at', portal_common.db.UTCDateTime(), nullable=True),
    sa.Column('pending_secret', sa.String(length=200), nullable=True),
    sa.Column('pending_since', portal_common.db.UTCDateTime(), nullable=True),
    sa.Column('last_step', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_mfa_totp_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_mfa_totp'))
    )
    op.create_table('mfa_recovery_code',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', portal_common.db.UTCDateTime(), nullable=False),
    sa.Column('used_at', portal_common.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_mfa_recovery_code_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mfa_recovery_code'))
    )
    with op.batch_alter_table('mfa_recovery_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mfa_recovery_code_user_id'), ['user_id'], unique=False)

    op.create_table('api_token',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('scopes', sa.String(length=200), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('hint', sa.String(length=20), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=False),
    sa.Column('created_at', portal_common.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', portal_common.db.UTCDateTime(), nullable=False),
    sa.Column('last_used_at', portal_common.db.UTCDateTime(), nullable=True),
    sa.Column('last_used_ip', sa.String(length=45), nullable=True),
    sa.Column('revoked_at', portal_common.db.UTCDateTime(), nullable=True),
    sa.Column('revoked_by', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_member_id'), ['member_id'], unique=False)

    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage', sa.String(length=10), server_default='full', nullable=False))
        batch_op.add_column(sa.Column('step_up_at', portal_common.db.UTCDateTime(), nullable=True))

    with op.batch_alter_table('security_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('detail', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('security_event', schema=None) as batch_op:
        batch_op.drop_column('detail')

    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_column('step_up_at')
        batch_op.drop_column('stage')

    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_member_id'))

    op.drop_table('api_token')
    with op.batch_alter_table('mfa_recovery_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mfa_recovery_code_user_id'))

    op.drop_table('mfa_recovery_code')
    op.drop_table('mfa_totp')
