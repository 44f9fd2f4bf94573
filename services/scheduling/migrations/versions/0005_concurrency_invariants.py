"""invariants held by the database: a slot never beyond its capacity, one open request per employee and visit type

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 11:20:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'demandee'")


def upgrade() -> None:
    duplicated = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM (SELECT employee_id, visit_type FROM visit_request WHERE status = 'demandee' "
        "GROUP BY employee_id, visit_type HAVING count(*) > 1) AS duplicated"
    )).scalar() or 0
    if duplicated:
        # Never merged silently: staff withdraw the extra requests (they see who asked what), then upgrade again.
        raise RuntimeError(
            f"{duplicated} employees have several open requests of one visit type: withdraw the duplicates "
            "before upgrading; see docs/architecture.md, 'Concurrency and retries'"
        )
    with op.batch_alter_table('slot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('booked', sa.Integer(), server_default='0', nullable=False))
    op.execute(
        "UPDATE slot SET booked = (SELECT count(*) FROM appointment "
        "WHERE appointment.slot_id = slot.id AND appointment.status <> 'annulee')"
    )
    # A slot overbooked before this revision keeps its convocations (they were sent): its capacity becomes
    # what it holds, so the constraint describes the truth instead of refusing the upgrade.
    op.execute("UPDATE slot SET capacity = booked WHERE booked > capacity")
    with op.batch_alter_table('slot', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_slot_booked_within_capacity'), 'booked >= 0 AND booked <= capacity')
    with op.batch_alter_table('visit_request', schema=None) as batch_op:
        batch_op.create_index(
            'uq_visit_request_open', ['employee_id', 'visit_type'], unique=True,
            postgresql_where=OPEN, sqlite_where=OPEN,
        )


def downgrade() -> None:
    with op.batch_alter_table('visit_request', schema=None) as batch_op:
        batch_op.drop_index('uq_visit_request_open')
    with op.batch_alter_table('slot', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_slot_booked_within_capacity'), type_='check')
        batch_op.drop_column('booked')
