"""Database engine, scoped session for reads, and the unit of work that is the only place that commits."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, DateTime, MetaData, Table, any_, bindparam, cast, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.types import NullType, TypeDecorator

from . import tracing

if TYPE_CHECKING:
    from flask import Flask

    from .messaging.outbox import Outbox

# Stable constraint names keep Alembic migrations reviewable across databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def declarative_base() -> type[DeclarativeBase]:
    """A fresh declarative base per service, so services never share metadata in one process."""

    class Base(DeclarativeBase):
        metadata = MetaData(naming_convention=NAMING_CONVENTION)

    return Base


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite has no time zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use portal_common.clock.utcnow()")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def insert_rows(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], *, skip_conflicts_on: str | None = None
) -> int:
    """Insert rows (each naming the same columns) in the caller's transaction, without ORM bookkeeping; with
    `skip_conflicts_on` (a unique column), a row whose value there is already taken is skipped. Returns how many
    rows were inserted.

    On PostgreSQL they travel as one array per column in a single statement (`INSERT … SELECT * FROM unnest(…)`,
    the same text whatever their number, so it is prepared once): an executemany, even pipelined, costs a Bind and
    an Execute per row on both sides, about twice the CPU per row in the client and in the server alike (measured
    on the January rush's batches of invoices). Elsewhere, or when a column left out has a Python-side default
    to compute, an executemany.
    """
    if not rows:
        return 0
    columns = tuple(rows[0])
    dialect = session.get_bind().dialect
    if (
        dialect.name != "postgresql"
        or any(column.default is not None for column in table.columns if column.key not in columns)
        or any(row.keys() != rows[0].keys() for row in rows)
    ):
        if skip_conflicts_on is None:
            session.execute(table.insert(), list(rows))
            return len(rows)
        insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
        skipping = insert(table).on_conflict_do_nothing(index_elements=[skip_conflicts_on])
        return len(session.execute(skipping.returning(*table.primary_key.columns), list(rows)).all())
    statement, converters = _unnest_insert(dialect, table, columns, skip_conflicts_on)
    arrays = {}
    for rank, (name, convert) in enumerate(zip(columns, converters, strict=True)):
        values = [row[name] for row in rows]
        arrays[f"p{rank}"] = BinaryArray(values if convert is None else [convert(value) for value in values])
    result = session.execute(statement, arrays)
    return int(getattr(result, "rowcount", len(rows)))


def is_any_of(session: Session, column: ColumnElement[Any], values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN values` for a set of values of any size: on PostgreSQL one array parameter (`= ANY(…)`),
    the same statement text for 3 values or 100 — an `IN` of 100 placeholders is a new text at each count, which
    psycopg parses again past 50 parameters and PostgreSQL never runs prepared."""
    values = list(values)
    if session.get_bind().dialect.name != "postgresql":
        return column.in_(values)
    array = bindparam(None, BinaryArray(values), type_=NullType())
    return column == any_(cast(array, postgresql.ARRAY(column.type)))


class BinaryArray(list[Any]):
    """A list sent to PostgreSQL as an array in binary format (registered on each connection by build_engine):
    psycopg sends a list of strings as a text array, escaping each quote and backslash of every element in Python,
    ~80 µs for one event's JSON body against ~0.3 µs in binary."""


@lru_cache(maxsize=256)
def _unnest_insert(
    dialect: Dialect, table: Table, columns: tuple[str, ...], skip_conflicts_on: str | None
) -> tuple[TextClause, list[Callable[[Any], Any] | None]]:
    """The statement inserting `columns` of `table` from one array each, and each column's conversion of its
    values (UTCDateTime…), applied before they become an array."""
    preparer = dialect.identifier_preparer
    targets = [table.c[name] for name in columns]
    arrays = ", ".join(
        f"CAST(:p{rank} AS {column.type.compile(dialect=dialect)}[])" for rank, column in enumerate(targets)
    )
    names = ", ".join(preparer.format_column(column) for column in targets)
    sql = f"INSERT INTO {preparer.format_table(table)} ({names}) SELECT * FROM unnest({arrays})"
    if skip_conflicts_on is not None:
        sql += f" ON CONFLICT ({preparer.format_column(table.c[skip_conflicts_on])}) DO NOTHING"
    return text(sql), [column.type.dialect_impl(dialect).bind_processor(dialect) for column in targets]


def build_engine(url: str, *, pool_size: int = 5, pg_options: str = "") -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    # psycopg prepares a statement run 5 times; PostgreSQL may then keep one generic plan for it, chosen when
    # the table was small (a fresh database, the first minutes of the January rush) and kept until the next
    # ANALYZE: a sequential scan of a table grown to 100,000 rows, on every batch. Custom plans follow the
    # table as it grows (planning a short statement costs far less than one such scan).
    # random_page_cost: PostgreSQL's default (4) prices a random read for spinning disks, so a company that holds
    # most of a table is read by a sequential scan rather than its covering index (« Accueil » counting 10,000
    # employees: 4.7 ms against 2.0 ms). 1.1 is the usual figure for SSDs and for data held in memory.
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=10,
        connect_args={"options": f"-c plan_cache_mode=force_custom_plan -c random_page_cost=1.1 {pg_options}".strip()},
    )
    _ping_when_idle(engine)

    @event.listens_for(engine, "connect")
    def _binary_arrays(dbapi_conn: Any, _record: Any) -> None:
        from psycopg.types.array import ListBinaryDumper

        dbapi_conn.adapters.register_dumper(BinaryArray, ListBinaryDumper)

    return engine


# A connection that has just been used is alive: pinging it at every checkout (pool_pre_ping) would cost one
# more round trip per request and per event. Only a connection idle for longer than this is checked first (the
# server may have restarted or closed it meanwhile); a dead one is replaced before the caller sees it.
IDLE_PING_SECONDS = 5.0


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("checked_in_at")
        if since is None or time.monotonic() - since <= IDLE_PING_SECONDS:
            return
        try:
            dbapi_conn.execute("SELECT 1")
            dbapi_conn.rollback()
        except Exception as exc:  # any failure: the pool discards this connection and opens another
            raise DisconnectionError() from exc


class Database:
    """Owns the engine of one service; built inside the app factory, never at import."""

    def __init__(self, url: str, *, pool_size: int = 5, pg_options: str = ""):
        """`pg_options`: PostgreSQL settings for this process's connections (`-c name=value …`)."""
        self.url = url
        self.engine = build_engine(url, pool_size=pool_size, pg_options=pg_options)
        tracing.instrument_engine(self.engine)
        self.session_factory = sessionmaker(bind=self.engine, expire_on_commit=False)
        # Request-bound session for reads; writes go through a UnitOfWork.
        self.session = scoped_session(self.session_factory)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def init_app(self, app: Flask) -> None:
        app.extensions["portal_db"] = self

        @app.teardown_appcontext
        def _remove_session(_exc: BaseException | None) -> None:
            self.session.remove()

    @contextmanager
    def autocommit_session(self) -> Iterator[Session]:
        """A session whose every statement commits on its own: no BEGIN nor ROLLBACK round trip around it.

        Only for a hot path that reads, or writes single statements needing no transaction together (the
        gateway's session check, on every request); business changes go through a UnitOfWork.
        """
        with self.engine.connect() as conn:
            with Session(bind=conn.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False) as session:
                yield session

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.session.remove()
        self.engine.dispose()


class UnitOfWork:
    """One business transaction: changes and the events they cause commit together.

    Usage::

        with uow as tx:
            tx.session.add(thing)
            tx.record(EVENT_TYPE, subject=thing.id, member_id=..., data={...})
            tx.commit()

    Leaving the block without `commit()` rolls everything back, events included.
    """

    def __init__(self, db: Database, outbox: Outbox, mail_table: Any = None):
        self._db = db
        self._outbox = outbox
        self._mail_table = mail_table
        self.session: Session
        self.recorded: list[Any] = []

    def __enter__(self) -> UnitOfWork:
        self.session = self._db.session_factory()
        self.recorded = []
        if not self._db.is_postgres:
            # SQLite ignores FOR UPDATE and Python's driver opens a transaction only at the first write, so two
            # use cases could both read "free" and both write. Taking the write lock first makes every unit of
            # work see the last committed state and decide alone (SQLite serialises writers anyway).
            self.session.execute(text("BEGIN IMMEDIATE"))
        return self

    def record(self, event_type: str, *, subject: str, member_id: str | None, data: dict[str, Any]) -> Any:
        envelope = self._outbox.record(self.session, event_type, subject=subject, member_id=member_id, data=data)
        self.recorded.append(envelope)
        return envelope

    def record_many(self, event_type: str, items: Any) -> list[Any]:
        """Many events of one type, `(subject, member_id, data)` each, batched (see Outbox.record_many)."""
        envelopes = self._outbox.record_many(self.session, event_type, items)
        self.recorded.extend(envelopes)
        return envelopes

    def mail(self, mail: Any) -> bool:
        """Queue an e-mail sent only if this transaction commits (see portal_common.mail)."""
        from .mail import queue_mail

        if self._mail_table is None:
            raise RuntimeError("this service has no mail_outbox table (add mail_outbox_table to its models)")
        return queue_mail(self.session, self._mail_table, mail)

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def __exit__(self, *exc: Any) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()
