"""`python -m identity.maintenance purge-throttle`: housekeeping the worker also runs on its own.

purge-throttle deletes the failed-login counters whose windows, locks and delays are all over (the table
otherwise keeps a row for every account or unknown identifier ever mistyped); purge-captcha deletes the spent
captcha tokens once expired.
"""

from __future__ import annotations

import argparse
import logging
import sys

from portal_common.periodic import Periodic
from portal_common.service import Portal

from .login.use_cases import purge_throttle
from .recovery.use_cases import purge_spent_captchas

log = logging.getLogger("identity.maintenance")

__all__ = ["Periodic", "housekeeping", "start_housekeeping"]

PURGE_EVERY_SECONDS = 600.0


def housekeeping(portal: Portal) -> None:
    """What the worker runs every 10 minutes."""
    purge_throttle(portal)
    purge_spent_captchas(portal)


def start_housekeeping(portal: Portal, every: float = PURGE_EVERY_SECONDS) -> Periodic:
    return Periodic(lambda: housekeeping(portal), every=every, name="housekeeping").start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m identity.maintenance", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["purge-throttle", "purge-captcha"])
    command = parser.parse_args(argv).command
    from .app import create_app  # settings are read (and checked) here, not at import

    app = create_app()
    portal = app.extensions["portal"]
    try:
        if command == "purge-throttle":
            line = f"{purge_throttle(portal)} compteur(s) d'échecs de connexion expiré(s) supprimé(s)."
        else:
            line = f"{purge_spent_captchas(portal)} jeton(s) de captcha expiré(s) supprimé(s)."
    finally:
        portal.db.dispose()
    print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
