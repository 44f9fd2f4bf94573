"""is_any_of selects what `IN` selects, for any number of values, on PostgreSQL (one array parameter) and SQLite."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select

from portal_common.db import Database, is_any_of

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("engine", ["postgresql", "sqlite"])
def test_rows_whose_value_is_among_those_given_are_selected_whatever_their_number(portal_env, engine):
    db = Database(portal_env.database_url("is_any_of") if engine == "postgresql" else "sqlite://")
    metadata = MetaData()
    table = Table(
        "member", metadata, Column("id", String(36), primary_key=True), Column("year", Integer, nullable=False)
    )
    metadata.create_all(db.engine)
    with db.session_factory() as session:
        session.execute(table.insert(), [{"id": f"m-{rank:03d}", "year": 2020 + rank % 7} for rank in range(300)])
        for wanted in ([], ["m-007"], [f"m-{rank:03d}" for rank in range(0, 300, 3)] + ["absent", "m-'; --"]):
            found = session.scalars(select(table.c.id).where(is_any_of(session, table.c.id, wanted)))
            assert sorted(found) == sorted(w for w in wanted if w.startswith("m-") and "'" not in w)
        years = session.scalars(select(table.c.id).where(is_any_of(session, table.c.year, {2026, 2020})))
        assert len(list(years)) == len([rank for rank in range(300) if rank % 7 in (0, 6)])
    db.dispose()
