"""Pooled connections: a busy one is used without a ping, an idle one is checked and replaced when dead."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import event, text

from portal_common import db as db_module
from portal_common.db import Database

pytestmark = pytest.mark.integration


@pytest.fixture
def database(portal_env):
    database = Database(portal_env.database_url("idle_connections"), pool_size=1)
    yield database
    database.dispose()


def backend_pid(database: Database) -> int:
    with database.engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def statements_of(database: Database, work) -> list[str]:
    seen: list[str] = []
    listener = lambda *args: seen.append(args[2])
    event.listen(database.engine, "before_cursor_execute", listener)
    try:
        work()
    finally:
        event.remove(database.engine, "before_cursor_execute", listener)
    return seen


def test_a_connection_used_a_moment_ago_is_handed_out_without_a_ping(database):
    backend_pid(database)
    statements = statements_of(database, lambda: backend_pid(database))
    assert statements == ["SELECT pg_backend_pid()"]


def test_an_idle_connection_the_server_closed_is_replaced_before_the_caller_uses_it(database, monkeypatch):
    first = backend_pid(database)
    other = database.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(other, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (first,))
    monkeypatch.setattr(db_module, "IDLE_PING_SECONDS", 0.0)  # the pooled connection now counts as idle
    second = backend_pid(database)
    assert second != first  # no error reached the caller: the dead connection was replaced
