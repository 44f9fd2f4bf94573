"""Outbox and inbox tables, and recording an event in the business transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text, func, select, text
from sqlalchemy.orm import Session

from .. import tracing
from ..clock import utcnow
from ..db import UTCDateTime, insert_rows
from ..input_rules import displayable_all
from . import catalogue
from .envelope import Envelope

NOTIFY_CHANNEL = "portal_outbox"


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("event_type", String(200), nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("published_at", UTCDateTime(), nullable=True),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("next_attempt_at", UTCDateTime(), nullable=False),
        Column("last_error", String(500), nullable=True),
        # The trace context of the work that recorded the event (W3C `traceparent` as JSON, portal_common.tracing):
        # the relay's publish span continues that trace. NULL for rows written before it existed.
        Column("trace_context", Text, nullable=True),
        # The relay only ever scans unpublished rows; keep that scan small.
        Index(
            "ix_outbox_pending",
            "next_attempt_at",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
    )


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("consumer", String(200), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(200), nullable=False),
        Column("processed_at", UTCDateTime(), nullable=False),
    )


def wake_relay(session: Session) -> None:
    """On PostgreSQL, wake the service's relay when the caller's transaction commits (NOTIFY is delivered at
    commit only, so the relay wakes exactly when the new rows become visible); elsewhere the relay polls."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})


def outbox_backlog(session: Session, table: Table) -> tuple[int, datetime | None]:
    """Number of unsent events and the creation time of the oldest one."""
    row = session.execute(
        select(func.count(), func.min(table.c.created_at)).where(table.c.published_at.is_(None))
    ).one()
    oldest = row[1]
    if isinstance(oldest, str):  # aggregate over a TypeDecorator column on SQLite
        oldest = UTCDateTime().process_result_value(datetime.fromisoformat(oldest), None)
    elif oldest is not None and oldest.tzinfo is None:
        oldest = UTCDateTime().process_result_value(oldest, None)
    return int(row[0]), oldest


class Outbox:
    """Writes events of one producer into its outbox table, inside the caller's transaction."""

    def __init__(self, producer: str, metadata: MetaData):
        self.producer = producer
        existing = metadata.tables
        self.table = existing["outbox"] if "outbox" in existing else outbox_table(metadata)
        self.inbox = existing["inbox"] if "inbox" in existing else inbox_table(metadata)

    def record(
        self, session: Session, event_type: str, *, subject: str, member_id: str | None, data: dict[str, Any]
    ) -> Envelope:
        # A value stored before the input boundary existed must not make every later write of its row fail on the
        # catalogue's check: the event carries it as the pages show it (input_rules.displayable).
        data = displayable_all(data)
        envelope = Envelope.new(event_type, producer=self.producer, subject=subject, member_id=member_id, data=data)
        catalogue.validate(envelope)
        now = utcnow()
        session.execute(
            self.table.insert().values(
                id=envelope.id,
                event_type=event_type,
                body=envelope.to_json(),
                created_at=now,
                next_attempt_at=now,
                attempts=0,
                trace_context=tracing.current_carrier(),
            )
        )
        wake_relay(session)
        return envelope

    def record_many(
        self, session: Session, event_type: str, items: Iterable[tuple[str, str | None, dict[str, Any]]]
    ) -> list[Envelope]:
        """Many events of one type, each `(subject, member_id, data)`, in batched inserts: for a use case
        writing thousands of rows at once (an import). Every event is checked before anything is inserted."""
        envelopes = [
            Envelope.new(event_type, producer=self.producer, subject=subject, member_id=member_id, data=data)
            for subject, member_id, data in items
        ]
        return self.record_envelopes(session, envelopes)

    def record_envelopes(self, session: Session, envelopes: list[Envelope]) -> list[Envelope]:
        """Events already built (of any types), in batched inserts and one wake-up of the relay: for a
        consumer's batch. Every event is checked before anything is inserted."""
        for envelope in envelopes:
            if envelope.producer != self.producer:
                raise catalogue.CatalogueError(f"{envelope.type} is not produced by {self.producer}")
            catalogue.validate(envelope)
        if not envelopes:
            return []
        now = utcnow()
        trace_context = tracing.current_carrier()
        rows = [
            {
                "id": e.id,
                "event_type": e.type,
                "body": e.to_json(),
                "created_at": now,
                "next_attempt_at": now,
                "attempts": 0,
                "trace_context": trace_context,
            }
            for e in envelopes
        ]
        insert_rows(session, self.table, rows)
        wake_relay(session)
        return envelopes

    def backlog(self, session: Session) -> tuple[int, datetime | None]:
        """Number of unsent events and the creation time of the oldest one."""
        return outbox_backlog(session, self.table)

    def pending(self, session: Session) -> list[Envelope]:
        rows = session.execute(
            select(self.table.c.body).where(self.table.c.published_at.is_(None)).order_by(self.table.c.created_at)
        ).scalars()
        return [Envelope.from_json(body) for body in rows]

    def all_events(self, session: Session) -> list[Envelope]:
        rows = session.execute(select(self.table.c.body).order_by(self.table.c.created_at)).scalars()
        return [Envelope.from_json(body) for body in rows]
