"""`python -m identity.keys rotate`: re-seals every TOTP secret (in use or pending) with the first key of
IDENTITY_TOTP_KEYS. Put the new key first, keep the old ones after it, run this, then remove the old keys once it
reports nothing left to rotate (docs/decisions/0024-keys-by-purpose.md). Safe to run twice.

E-mail-change links live an hour: their ring (IDENTITY_EMAIL_LINK_KEYS) is rotated by putting the new key first and
removing the old one an hour later, nothing to re-seal."""

from __future__ import annotations

import argparse
import sys

from .mfa.use_cases import rotate_totp_secrets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m identity.keys", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["rotate"])
    parser.parse_args(argv)
    from .app import create_app  # settings are read (and checked) here, not at import

    app = create_app()
    portal = app.extensions["portal"]
    try:
        result = rotate_totp_secrets(portal)
    finally:
        portal.db.dispose()
    print(result.summary("secrets TOTP", portal.settings.totp_ring.current_id), flush=True)
    return 1 if result.unreadable else 0


if __name__ == "__main__":
    sys.exit(main())
