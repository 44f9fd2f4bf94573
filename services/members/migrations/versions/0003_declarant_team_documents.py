"""declarant code, centres and health teams, documents space

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 01:30:00.000000
"""
from alembic import op
import sqlalchemy as sa
import portal_common.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('declarant_code_encrypted', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('declarant_code_digest', sa.String(length=64), nullable=True))

    op.create_table('centre',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('line1', sa.String(length=200), nullable=False),
    sa.Column('line2', sa.String(length=200), nullable=True),
    sa.Column('postal_code', sa.String(length=5), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('created_at', portal_common.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_centre'))
    )

    op.create_table('health_team',
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('centre_id', sa.String(length=36), nullable=True),
    sa.Column('doctor', sa.String(length=200), nullable=True),
    sa.Column('secretary', sa.String(length=200), nullable=True),
    sa.Column('secretary_phone', sa.String(length=20), nullable=True),
    sa.Column('secretary_email', sa.String(length=254), nullable=True),
    sa.Column('preventer', sa.String(length=200), nullable=True),
    sa.Column('preventer_email', sa.String(length=254), nullable=True),
    sa.Column('nurse', sa.String(length=200), nullable=True),
    sa.Column('updated_by_name', sa.String(length=200), nullable=False),
    sa.Column('updated_at', portal_common.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['centre_id'], ['centre.id'], name=op.f('fk_health_team_centre_id_centre')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_health_team_member_id_member')),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_health_team'))
    )
    with op.batch_alter_table('health_team', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_health_team_centre_id'), ['centre_id'], unique=False)

    op.create_table('document',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('source_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('download_path', sa.String(length=200), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=True),
    sa.Column('content_type', sa.String(length=100), nullable=True),
    sa.Column('size_bytes', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('uploaded_by', sa.String(length=100), nullable=True),
    sa.Column('uploaded_by_name', sa.String(length=200), nullable=True),
    sa.Column('created_at', portal_common.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_document_member_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document')),
    sa.UniqueConstraint('source', 'source_id', name='uq_document_source_source_id')
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_member_id'), ['member_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_member_id'))
    op.drop_table('document')
    with op.batch_alter_table('health_team', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_health_team_centre_id'))
    op.drop_table('health_team')
    op.drop_table('centre')
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('declarant_code_digest')
        batch_op.drop_column('declarant_code_encrypted')
