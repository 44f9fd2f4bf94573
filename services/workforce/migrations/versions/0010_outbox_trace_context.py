"""the outbox row keeps the trace context of the work that recorded its event, continued by the relay

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 12:00:00
"""

from portal_common.migrations import add_outbox_trace_context, drop_outbox_trace_context

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_outbox_trace_context()


def downgrade() -> None:
    drop_outbox_trace_context()
