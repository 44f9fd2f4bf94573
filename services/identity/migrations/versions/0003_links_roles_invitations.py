"""member links, roles, invitations and delegations

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
    # The n° télédéclarant is never stored: members publishes a keyed digest of it.
    with op.batch_alter_table('member_directory', schema=None) as batch_op:
        batch_op.drop_column('declarant_code')
        batch_op.add_column(sa.Column('declarant_code_digest', sa.String(length=64), nullable=True))
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('job_title', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('mobile', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('activated_at', portal_common.db.UTCDateTime(), nullable=True))
    op.execute("UPDATE user_account SET activated_at = created_at")
    op.create_table('member_invitation',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('link_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('roles', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('invited_by', sa.String(length=36), nullable=True),
    sa.Column('created_at', portal_common.db.UTCDateTime(), nullable=False),
    sa.Column('accepted_at', portal_common.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['link_id'], ['one_time_link.id'], name=op.f('fk_member_invitation_link_id_one_time_link'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_member_invitation_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_invitation'))
    )
    with op.batch_alter_table('member_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_invitation_link_id'), ['link_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_invitation_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_invitation_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('member_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_invitation_user_id'))
        batch_op.drop_index(batch_op.f('ix_member_invitation_member_id'))
        batch_op.drop_index(batch_op.f('ix_member_invitation_link_id'))
    op.drop_table('member_invitation')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('activated_at')
        batch_op.drop_column('mobile')
        batch_op.drop_column('job_title')
    with op.batch_alter_table('member_directory', schema=None) as batch_op:
        batch_op.drop_column('declarant_code_digest')
        batch_op.add_column(sa.Column('declarant_code', sa.String(length=20), nullable=True))
