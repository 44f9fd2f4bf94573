"""`python -m workforce.keys rotate`: re-seals every NIR at rest (employees, staged import files) with the first key
of WORKFORCE_NIR_ENCRYPTION_KEY. Put the new key first, keep the old ones after it, run this, then remove the old
keys once it reports nothing left to rotate (docs/decisions/0024-keys-by-purpose.md). Safe to run twice."""

from __future__ import annotations

import argparse
import sys

from .employees.use_cases.rotation import ROTATION_BATCH, rotate_nir_keys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workforce.keys", description=__doc__)
    parser.add_argument("command", choices=["rotate"])
    parser.add_argument("--batch-size", type=int, default=ROTATION_BATCH, help="values per transaction")
    args = parser.parse_args(argv)
    if args.batch_size < 1:
        parser.error("--batch-size must be at least 1")
    from .app import create_app  # settings are read (and checked) here, not at import

    app = create_app()
    portal = app.extensions["portal"]
    try:
        result = rotate_nir_keys(portal, batch_size=args.batch_size)
    finally:
        portal.db.dispose()
    print(result.summary("NIR, fichiers d'import", portal.settings.nir_vault.current_key_id), flush=True)
    return 1 if result.unreadable else 0


if __name__ == "__main__":
    sys.exit(main())
