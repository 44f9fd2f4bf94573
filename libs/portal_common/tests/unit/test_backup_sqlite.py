"""The embedded default's backup: a consistent copy of a live SQLite file, restored over a damaged one."""

import sqlite3

import pytest

from portal_common import backup


def test_a_sqlite_database_dumped_then_damaged_is_restored_to_its_dumped_content(tmp_path):
    live = tmp_path / "billing.db"
    with sqlite3.connect(live) as db:
        db.execute("CREATE TABLE invoice (number TEXT PRIMARY KEY)")
        db.execute("INSERT INTO invoice VALUES ('F2026-000001')")
    dump = tmp_path / "billing.dump"
    assert backup.main(["--service", "billing", "--database-url", f"sqlite:///{live}", "dump", str(dump)]) == 0
    with sqlite3.connect(live) as db:
        db.execute("DROP TABLE invoice")
    backup.main(["--service", "billing", "--database-url", f"sqlite:///{live}", "restore", str(dump)])
    with sqlite3.connect(live) as db:
        assert db.execute("SELECT number FROM invoice").fetchall() == [("F2026-000001",)]


def test_restoring_from_a_missing_dump_stops_with_a_message_and_touches_nothing(tmp_path):
    with pytest.raises(SystemExit, match="no dump"):
        backup.main(["--service", "billing", "--database-url", f"sqlite:///{tmp_path}/x.db", "restore", "absent"])
    assert not (tmp_path / "x.db").exists()
