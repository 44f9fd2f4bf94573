"""insert_rows (one statement of arrays per table on PostgreSQL) stores exactly what an executemany of the same rows
stores: awkward text, NULLs, amounts, dates, aware times, enumerations, server and Python-side defaults."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Column, Date, Integer, MetaData, Numeric, String, Table, Text, select

from portal_common.db import Database, UTCDateTime, insert_rows

pytestmark = pytest.mark.integration


class Kind(enum.StrEnum):
    INVOICE = "facture"
    CREDIT_NOTE = "avoir"


def columns() -> list[Column]:
    return [
        Column("id", String(36), primary_key=True),
        Column("label", String(200), nullable=True),
        Column("body", Text, nullable=True),
        Column("amount", Numeric(12, 2), nullable=True),
        Column("due_on", Date, nullable=True),
        Column("created_at", UTCDateTime(), nullable=True),
        Column("kind", String(20), nullable=True),
        Column("position", Integer, nullable=True),
        Column("note", String(50), nullable=True),
        Column("attempts", Integer, nullable=False, server_default="0"),
    ]


AWKWARD = [
    "",
    "NULL",
    "guillemets \" et apostrophe '",
    "accolades {a,b} et virgule, point-virgule ;",
    "barre oblique inverse \\ et \\\\ double",
    "ligne\nsuivante\tet tabulation",
    "Société Générale – 1 458,22 € — 22/03/1970",
    "  espaces  ",
]


def rows() -> list[dict]:
    paris = timezone(timedelta(hours=1))
    made = []
    for rank, label in enumerate(AWKWARD):
        made.append(
            {
                "id": f"row-{rank:02d}",
                "label": label,
                "body": None if rank % 3 == 0 else label * 3,
                "amount": None if rank == 2 else Decimal("1458.22") - rank,
                "due_on": date(2026, 3, 22) + timedelta(days=rank),
                "created_at": datetime(2026, 12, 7, 10, rank, tzinfo=paris if rank % 2 else UTC),
                "kind": Kind.CREDIT_NOTE if rank % 2 else Kind.INVOICE,
                "position": rank,
                "note": None,  # a column of NULLs only
            }
        )
    return made


@pytest.fixture(scope="module")
def tables(portal_env):
    db = Database(portal_env.database_url("insert_rows"))
    metadata = MetaData()
    by_rows = Table("by_insert_rows", metadata, *columns())
    by_executemany = Table("by_executemany", metadata, *columns())
    metadata.create_all(db.engine)
    yield db, by_rows, by_executemany
    db.dispose()


def stored(db, table):
    with db.session_factory() as session:
        return [tuple(row) for row in session.execute(select(table).order_by(table.c.id))]


def test_rows_inserted_at_once_read_back_as_an_executemany_of_the_same_rows_does(tables):
    db, by_rows, by_executemany = tables
    with db.session_factory() as session:
        insert_rows(session, by_rows, rows())
        session.execute(by_executemany.insert(), rows())
        session.commit()
    ours, reference = stored(db, by_rows), stored(db, by_executemany)
    assert len(ours) == len(AWKWARD)
    assert ours == reference
    assert [row[1] for row in ours] == AWKWARD
    assert {row[5].utcoffset() for row in ours} == {timedelta(0)}
    assert {row[8] for row in ours} == {None}
    assert {row[9] for row in ours} == {0}  # the server default of a column left out


def test_a_column_left_out_with_a_python_default_still_gets_it():
    metadata = MetaData()
    table = Table(
        "with_default",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("version", Integer, nullable=False, default=1),
    )
    db = Database("sqlite://")
    metadata.create_all(db.engine)
    with db.session_factory() as session:
        insert_rows(session, table, [{"id": 1}, {"id": 2}])
        assert session.execute(select(table.c.version)).scalars().all() == [1, 1]
    db.dispose()


def test_a_column_left_out_with_a_python_default_still_gets_it_on_postgresql(portal_env):
    db = Database(portal_env.database_url("insert_rows_default"))
    metadata = MetaData()
    table = Table(
        "with_default",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("version", Integer, nullable=False, default=1),
    )
    metadata.create_all(db.engine)
    with db.session_factory() as session:
        insert_rows(session, table, [{"id": 1}, {"id": 2}])
        assert session.execute(select(table.c.version).order_by(table.c.id)).scalars().all() == [1, 1]
    db.dispose()


def keyed_table(metadata: MetaData) -> Table:
    return Table(
        "keyed",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("key", String(50), nullable=False, unique=True),
        Column("body", Text, nullable=False),
    )


@pytest.mark.parametrize("engine", ["postgresql", "sqlite"])
def test_rows_whose_unique_key_is_taken_are_skipped_and_not_counted(portal_env, engine):
    db = Database(portal_env.database_url("insert_rows_keyed") if engine == "postgresql" else "sqlite://")
    metadata = MetaData()
    table = keyed_table(metadata)
    metadata.create_all(db.engine)
    with db.session_factory() as session:
        first = insert_rows(session, table, [{"id": "1", "key": "a", "body": "premier"}], skip_conflicts_on="key")
        again = [
            {"id": "2", "key": "a", "body": "doublon"},
            {"id": "3", "key": "b", "body": "nouveau"},
            {"id": "4", "key": "c", "body": 'avec "guillemets"'},
        ]
        queued = insert_rows(session, table, again, skip_conflicts_on="key")
        session.commit()
        stored = session.execute(select(table.c.key, table.c.body).order_by(table.c.key)).all()
    db.dispose()
    assert (first, queued) == (1, 2)
    assert [tuple(row) for row in stored] == [("a", "premier"), ("b", "nouveau"), ("c", 'avec "guillemets"')]
