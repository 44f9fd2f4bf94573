"""`python -m portal_common.repair`: stored text the input boundary would refuse today, listed without its value
and repaired on request, on PostgreSQL (docs/security.md VAL-03)."""

from __future__ import annotations

import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, Text, create_engine, insert, select, text

from portal_common import repair

pytestmark = pytest.mark.integration

HOSTILE = {
    1: ("Dupont\u202eliaM", "ligne 1\nligne 2", {"name": "a\ud800b"}),
    2: ("Cle\u0301ment", "bip\x07", {"contacts": [{"name": "x\x00y"}]}),
    3: ("Martin", "sans souci\tni retour\r\n", {"name": "Paul"}),
}


@pytest.fixture()
def stored(portal_env):
    engine = create_engine(portal_env.database_url("repair"))
    metadata = MetaData()
    table = Table(
        "contact",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(200), unique=True),
        Column("note", Text),
        Column("payload", JSON),
    )
    metadata.create_all(engine)
    with engine.begin() as conn:
        for key, (name, note, payload) in HOSTILE.items():
            conn.execute(insert(table).values(id=key, name=name, note=note, payload=payload))
    yield engine, metadata, table
    engine.dispose()


def test_a_lone_surrogate_in_a_json_column_is_really_stored_by_postgresql(stored):
    engine, _, table = stored
    with engine.connect() as conn:
        assert conn.execute(text("SELECT payload::text FROM contact WHERE id = 1")).scalar() == '{"name": "a\\ud800b"}'
        assert conn.execute(select(table.c.payload).where(table.c.id == 1)).scalar() == {"name": "a\ud800b"}


def test_every_refused_value_is_listed_by_table_column_and_row_never_by_value(stored):
    engine, metadata, _ = stored
    found = sorted((f.table, f.column, f.row_id) for f in repair.findings(engine, metadata))
    assert found == [
        ("contact", "name", "1"),
        ("contact", "name", "2"),
        ("contact", "note", "2"),
        ("contact", "payload", "1"),
        ("contact", "payload", "2"),
    ]
    shown = "\n".join(f.line() for f in repair.findings(engine, metadata))
    assert "Dupont" not in shown and "Cle" not in shown and "bip" not in shown
    assert "NFC" in shown and "inversion du sens d'écriture" in shown  # the rule broken, in French


def test_repair_removes_the_refused_characters_normalises_and_leaves_line_breaks_alone(stored):
    engine, metadata, table = stored
    done, left = repair.repair(engine, metadata)
    assert done == {"contact.name": 2, "contact.note": 1, "contact.payload": 2} and not left
    with engine.connect() as conn:
        rows = {row.id: row for row in conn.execute(select(table))}
    assert rows[1].name == "DupontliaM" and rows[1].note == "ligne 1\nligne 2" and rows[1].payload == {"name": "ab"}
    assert rows[2].name == "Clément" and rows[2].note == "bip" and rows[2].payload == {"contacts": [{"name": "xy"}]}
    assert rows[3].note == "sans souci\tni retour\r\n"
    assert list(repair.findings(engine, metadata)) == []
    assert repair.repair(engine, metadata) == ({}, {})  # a second run finds nothing


def test_a_repair_that_would_collide_with_a_unique_value_is_counted_as_left(stored):
    engine, metadata, table = stored
    with engine.begin() as conn:
        conn.execute(insert(table).values(id=4, name="DupontliaM", note=None, payload=None))
    done, left = repair.repair(engine, metadata)
    assert left == {"contact.name": 1} and done["contact.name"] == 1
    with engine.connect() as conn:
        assert conn.execute(select(table.c.name).where(table.c.id == 1)).scalar() == "Dupont\u202eliaM"


def test_the_command_prints_counts_and_exits_non_zero_while_something_is_left(stored, capsys, monkeypatch):
    engine, metadata, _ = stored
    url = engine.url.render_as_string(hide_password=False)
    monkeypatch.setattr(repair, "service_metadata", lambda service: metadata)  # the test's table stands for members'
    assert repair.main(["--service", "members", "--database-url", url, "list"]) == 1
    listed = capsys.readouterr().out
    assert "contact\tname\t1\t" in listed and "5 stored value(s)" in listed
    assert repair.main(["--service", "members", "--database-url", url, "repair"]) == 0
    assert "5 value(s) repaired, 0 left" in capsys.readouterr().out
    assert repair.main(["--service", "members", "--database-url", url, "list"]) == 0
