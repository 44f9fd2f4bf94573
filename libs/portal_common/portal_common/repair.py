"""`python -m portal_common.repair --service <name> list|repair`: stored text the input boundary would refuse today.

Values stored before the boundary existed (or written by a migration or by hand) may hold a lone surrogate (only
possible inside a JSON column), a control character, a bidi override, or text not in NFC. Pages and PDFs already
survive them (portal_common.web.printable, portal_common.pdf_text); this command finds them and, on request,
repairs them: the refused characters removed, then NFC (tab and line breaks are kept: they are legitimate in the
multi-line fields, and the command cannot tell which field was one).

`list` prints table, column, row id and the rule broken — never the value, which may be personal data. `repair`
rewrites each value in its own transaction and prints counts; primary-key columns are listed but never rewritten
(other rows point at them), and a repair that would collide with a unique value is counted as not repaired.
Nothing is published: each service repairs its own copy (run the command for every service).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, MetaData, String, Table, and_, create_engine, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from .input_rules import repaired_all, stored_problem

SERVICES = ("identity", "members", "workforce", "scheduling", "billing")


@dataclass(frozen=True)
class Finding:
    table: str
    column: str
    row_id: str
    problem: str

    def line(self) -> str:
        return f"{self.table}\t{self.column}\t{self.row_id}\t{self.problem}"


def json_problem(value: Any) -> str | None:
    """The first refused string inside a JSON value (keys included), or None."""
    if isinstance(value, str):
        return stored_problem(value)
    if isinstance(value, list):
        return next((p for item in value if (p := json_problem(item))), None)
    if isinstance(value, dict):
        return next((p for key, item in value.items() if (p := json_problem(key) or json_problem(item))), None)
    return None


def _text_columns(table: Table) -> list[Any]:
    return [column for column in table.columns if isinstance(column.type, String | JSON)]


def _problem(value: Any) -> str | None:
    if value is None:
        return None
    return stored_problem(value) if isinstance(value, str) else json_problem(value)


def _rows(engine: Engine, table: Table) -> Iterator[Any]:
    keys = list(table.primary_key.columns)
    columns = _text_columns(table)
    if not keys or not columns:
        return
    with engine.connect() as conn:
        query = select(*keys, *[c for c in columns if c not in keys]).execution_options(yield_per=500)
        yield from conn.execute(query)


def findings(engine: Engine, metadata: MetaData) -> Iterator[Finding]:
    for table in metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        for row in _rows(engine, table):
            mapping = row._mapping
            row_id = "/".join(str(mapping[key]) for key in keys)
            for column in _text_columns(table):
                problem = _problem(mapping[column])
                if problem:
                    yield Finding(table.name, column.name, row_id, problem)


def repair(engine: Engine, metadata: MetaData) -> tuple[Counter[str], Counter[str]]:
    """(repaired, left) counts per `table.column`."""
    done: Counter[str] = Counter()
    left: Counter[str] = Counter()
    for table in metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        pending = []
        for row in _rows(engine, table):
            mapping = row._mapping
            for column in _text_columns(table):
                value = mapping[column]
                if _problem(value):
                    pending.append(({key.name: mapping[key] for key in keys}, column, value))
        for ids, column, value in pending:
            name = f"{table.name}.{column.name}"
            if column.primary_key:
                left[name] += 1
                continue
            fixed = repaired_all(value)
            where = and_(*[table.c[key] == ident for key, ident in ids.items()])
            try:
                with engine.begin() as conn:
                    conn.execute(update(table).where(where).values({column.name: fixed}))
                done[name] += 1
            except IntegrityError:
                left[name] += 1
    return done, left


def service_metadata(service: str) -> MetaData:
    metadata: MetaData = importlib.import_module(f"{service}.models").Base.metadata
    return metadata


def service_database_url(service: str) -> str:
    """The service's own database, read from the environment as the service reads it."""
    settings = importlib.import_module(f"{service}.config").Settings.from_env()
    url: str = settings.database_url
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal_common.repair", description=__doc__.split("\n\n")[0])
    parser.add_argument("--service", required=True, choices=SERVICES)
    parser.add_argument("--database-url", help="default: the service's own setting (<SERVICE>_DATABASE_URL)")
    parser.add_argument("command", choices=["list", "repair"])
    args = parser.parse_args(argv)
    engine = create_engine(args.database_url or service_database_url(args.service))
    metadata = service_metadata(args.service)
    try:
        if args.command == "list":
            count = 0
            for finding in findings(engine, metadata):
                print(finding.line(), flush=True)
                count += 1
            print(f"{count} stored value(s) the input boundary would refuse ({args.service}).", flush=True)
            return 1 if count else 0
        done, left = repair(engine, metadata)
        for name, count in sorted(done.items()):
            print(f"repaired\t{name}\t{count}", flush=True)
        for name, count in sorted(left.items()):
            print(f"not repaired\t{name}\t{count}", flush=True)
        print(f"{sum(done.values())} value(s) repaired, {sum(left.values())} left ({args.service}).", flush=True)
        return 1 if left else 0
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
