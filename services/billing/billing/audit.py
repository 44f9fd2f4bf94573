"""`python -m billing.audit`: reads a billing database and prints each broken invariant (duplicate live annual
invoice, payable credit note, ledger/balance mismatch, allocation above what is due, numbering gap), one per
line; exit code 1 if any, 0 if none (docs/domain.md « Invariants de facturation »).

The database is BILLING_DATABASE_URL, or --database-url: PostgreSQL, or the embedded default's SQLite file. It
only reads.
"""

from __future__ import annotations

import argparse
import os
import sys

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from .ledger.queries import violations


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m billing.audit", description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("BILLING_DATABASE_URL", ""))
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgresql", "sqlite")):
        parser.error("give --database-url (or BILLING_DATABASE_URL): a postgresql:// or sqlite:/// URL")
    engine = create_engine(args.database_url)
    try:
        with Session(engine) as session:
            if engine.dialect.name == "sqlite":
                session.connection().exec_driver_sql("PRAGMA query_only = ON")
            else:
                session.connection().exec_driver_sql("SET TRANSACTION READ ONLY")
            found = violations(session)
    finally:
        engine.dispose()
    for violation in found:
        print(violation.line(), flush=True)
    print(f"{len(found)} violation(s)" if found else "billing audit: no violation", file=sys.stderr, flush=True)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
