"""`python -m members.keys rotate`: re-seals every IBAN and n° télédéclarant with the first key of MEMBERS_IBAN_KEYS.
Put the new key first, keep the old ones after it, run this, then remove the old keys once it reports nothing left
to rotate; the key once derived from PORTAL_INTERNAL_KEY (id d1) stays read-only in the ring and opens nothing
after a run (docs/decisions/0024-keys-by-purpose.md). Safe to run twice."""

from __future__ import annotations

import argparse
import sys

from .sepa.use_cases import iban_cipher, rotate_sealed_values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m members.keys", description=__doc__)
    parser.add_argument("command", choices=["rotate"])
    parser.parse_args(argv)
    from .app import create_app  # settings are read (and checked) here, not at import

    app = create_app()
    portal = app.extensions["portal"]
    try:
        result = rotate_sealed_values(portal)
    finally:
        portal.db.dispose()
    print(result.summary("IBAN, n° télédéclarant", iban_cipher(portal).current_id), flush=True)
    return 1 if result.unreadable else 0


if __name__ == "__main__":
    sys.exit(main())
