"""`python -m portal_common.backup --service S dump FILE | restore FILE`: one service's database, whole.

PostgreSQL: `pg_dump --format=custom` (a consistent snapshot while the service runs) and `pg_restore --clean
--if-exists --no-owner --single-transaction` into the service's database (empty or not: its objects are replaced,
all or nothing). SQLite: the online backup API, so a running portal's file is copied consistently, and the
restore replaces the file's content the same way.

The database is `<SERVICE>_DATABASE_URL` or `--database-url`. The dump holds personal data in clear except what the
service encrypts itself (NIRs, IBANs, TOTP secrets): restoring needs the same key rings (docs/runbook.md).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url


def _libpq(url: str) -> tuple[list[str], dict[str, str]]:
    """pg_dump/pg_restore arguments for a SQLAlchemy URL; the password goes through the environment only."""
    parsed = make_url(url)
    args = ["--dbname", parsed.database or ""]
    if parsed.host:
        args += ["--host", parsed.host]
    if parsed.port:
        args += ["--port", str(parsed.port)]
    if parsed.username:
        args += ["--username", parsed.username]
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    return args, env


def _sqlite_path(url: str) -> str:
    path = make_url(url).database
    if not path:
        raise SystemExit("an in-memory SQLite database cannot be backed up")
    return path


def dump(url: str, target: Path) -> None:
    if url.startswith("sqlite"):
        with sqlite3.connect(_sqlite_path(url)) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        return
    args, env = _libpq(url)
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file", str(target), *args], env=env, check=True)


def restore(url: str, source: Path) -> None:
    if not source.is_file():
        raise SystemExit(f"no dump at {source}")
    if url.startswith("sqlite"):
        with sqlite3.connect(source) as dumped, sqlite3.connect(_sqlite_path(url)) as live:
            dumped.backup(live)
        return
    args, env = _libpq(url)
    subprocess.run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            *args,
            str(source),
        ],
        env=env,
        check=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal_common.backup", description=__doc__)
    parser.add_argument(
        "--service", required=True, choices=["identity", "members", "workforce", "scheduling", "billing"]
    )
    parser.add_argument("--database-url")
    parser.add_argument("action", choices=["dump", "restore"])
    parser.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    url = args.database_url or os.environ.get(f"{args.service.upper()}_DATABASE_URL")
    if not url:
        parser.error(f"give --database-url or {args.service.upper()}_DATABASE_URL")
    url = url.replace("postgresql+psycopg://", "postgresql://", 1)
    (dump if args.action == "dump" else restore)(url, args.file)
    print(f"{args.service}: {args.action} {args.file} done", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
