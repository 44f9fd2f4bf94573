"""Alembic glue shared by the services' `migrations/env.py` and migrations, and a programmatic upgrade."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from alembic import command, op
from alembic.config import Config
from sqlalchemy import MetaData, engine_from_config, pool

from .db import UTCDateTime, build_engine


def run_env(metadata: MetaData, default_url: Callable[[], str]) -> None:
    """Body of every service's `migrations/env.py` (online and offline modes)."""
    from alembic import context

    config = context.config
    url = config.get_main_option("sqlalchemy.url") or default_url()
    batch = bool(url and url.startswith("sqlite"))  # SQLite alters tables by copying them
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True, render_as_batch=batch)
        with context.begin_transaction():
            context.run_migrations()
        return
    connectable = config.attributes.get("connection")
    if connectable is None:
        engine = (
            build_engine(url)
            if url
            else engine_from_config(
                config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
            )
        )
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=metadata, render_as_batch=batch)
            with context.begin_transaction():
                context.run_migrations()
        engine.dispose()
        return
    context.configure(connection=connectable, target_metadata=metadata, render_as_batch=batch)
    with context.begin_transaction():
        context.run_migrations()


def alembic_config(service_dir: Path, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(service_dir / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(service_dir: Path, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(service_dir, url), revision)


# The outbox and inbox as `messaging.outbox.outbox_table` / `inbox_table` define them at revision 0001 of
# every service. A frozen copy on purpose: a migration must keep creating what it created, so a later change
# of those tables goes into a new revision of each service, not here.
def create_messaging_tables() -> None:
    """In a service's initial migration: the `inbox` and `outbox` tables and the relay's partial index."""
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(length=200), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("processed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_inbox")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    )


def drop_messaging_tables() -> None:
    """In a service's initial migration, on downgrade: the reverse of `create_messaging_tables`."""
    op.drop_index(
        "ix_outbox_pending",
        table_name="outbox",
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    )
    op.drop_table("outbox")
    op.drop_table("inbox")


def add_outbox_trace_context() -> None:
    """The outbox row keeps the trace context of the work that recorded it (portal_common.tracing)."""
    op.add_column("outbox", sa.Column("trace_context", sa.Text(), nullable=True))


def drop_outbox_trace_context() -> None:
    # SQLite drops a column by copying the table: batch mode does it on both engines.
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("trace_context")


def create_mail_table() -> None:
    """The `mail_outbox` of portal_common.mail, for services that send e-mails."""
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_mail_outbox_key")),
    )
    op.create_index(
        "ix_mail_outbox_pending",
        "mail_outbox",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("sent_at IS NULL"),
        sqlite_where=sa.text("sent_at IS NULL"),
    )


def drop_mail_table() -> None:
    op.drop_index(
        "ix_mail_outbox_pending",
        table_name="mail_outbox",
        postgresql_where=sa.text("sent_at IS NULL"),
        sqlite_where=sa.text("sent_at IS NULL"),
    )
    op.drop_table("mail_outbox")


def create_idempotency_table() -> None:
    """The `idempotency_key` table of portal_common.idempotency (a frozen copy, like the ones above)."""
    op.create_table(
        "idempotency_key",
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("owner", "key", name=op.f("pk_idempotency_key")),
    )
    op.create_index("ix_idempotency_key_created_at", "idempotency_key", ["created_at"], unique=False)


def drop_idempotency_table() -> None:
    op.drop_index("ix_idempotency_key_created_at", table_name="idempotency_key")
    op.drop_table("idempotency_key")
