"""`python -m billing.keys rotate`: re-seals every kept bank file (pain.008 debits, pain.001 refunds) with the first
key of BILLING_BANK_FILE_KEYS. Put the new key first, keep the old ones after it, run this, then remove the old keys
once it reports nothing left to rotate; the key once derived from PORTAL_INTERNAL_KEY (id d1) stays read-only in the
ring and opens nothing after a run (docs/decisions/0024-keys-by-purpose.md). Safe to run twice."""

from __future__ import annotations

import argparse
import sys

from .sepa.bank_files import bank_file_ring
from .sepa.use_cases.rotation import rotate_bank_files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m billing.keys", description=__doc__)
    parser.add_argument("command", choices=["rotate"])
    parser.parse_args(argv)
    from .app import create_app  # settings are read (and checked) here, not at import

    app = create_app()
    portal = app.extensions["portal"]
    try:
        result = rotate_bank_files(portal)
    finally:
        portal.db.dispose()
    current = bank_file_ring(portal.settings.bank_file_keys, portal.settings.internal_key).current_id
    print(result.summary("fichiers bancaires pain.008 et pain.001", current), flush=True)
    return 1 if result.unreadable else 0


if __name__ == "__main__":
    sys.exit(main())
