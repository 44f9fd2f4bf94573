"""The README's first command on a fresh machine: the embedded default (SQLite) migrates and loads the demo."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def test_the_portal_prepares_its_demo_on_sqlite_without_any_database_server(tmp_path):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_") and not k.endswith("_DATABASE_URL")}
    environ["PORTAL_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "portal_stack", "prepare"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    for service in ("identity", "members", "workforce", "scheduling", "billing"):
        assert f"données de démonstration chargées : {service}" in done.stdout
    with sqlite3.connect(tmp_path / "members.db") as conn:
        numbers = [row[0] for row in conn.execute("SELECT member_number FROM member ORDER BY member_number")]
    assert numbers[:3] == ["1000001", "1000002", "1000003"]
